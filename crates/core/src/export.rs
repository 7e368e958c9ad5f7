//! The canonical export: the whole store as JSON, sorted and stable, without clocks or outbox,
//! so that two stores that hold the same data export byte for byte the same text.

use crate::error::Result;
use crate::row;
use crate::schema::Entity;
use crate::store::Store;
use serde_json::{Map, Value};

/// The export format's name and version, the first keys of every export.
pub const EXPORT_FORMAT: &str = "wijkwerk-export";
pub const EXPORT_VERSION: u32 = 1;

impl Store {
    /// Every record, deleted ones included (marked `"deleted": true`), per entity in id order,
    /// keys sorted.
    pub fn export_value(&self) -> Result<Value> {
        let mut entities = Map::new();
        for entity in Entity::ALL {
            let sql = format!("{} ORDER BY id", row::select_sql(entity));
            let mut stmt = self.conn.prepare(&sql)?;
            let mut rows = stmt.query([])?;
            let mut items = Vec::new();
            while let Some(r) = rows.next()? {
                let id: String = r.get(row::id_column(entity))?;
                let stored = row::from_select(entity, r)?;
                let mut record = row::to_json(&id, &stored);
                for (name, extra) in &stored.extra {
                    if let Value::Object(map) = &mut record {
                        map.entry(name.clone()).or_insert(extra.value.clone());
                    }
                }
                items.push(sort_keys(record));
            }
            entities.insert(entity.name().to_owned(), Value::Array(items));
        }
        let mut root = Map::new();
        root.insert("entities".into(), Value::Object(sort_map(entities)));
        root.insert("format".into(), EXPORT_FORMAT.into());
        root.insert("version".into(), EXPORT_VERSION.into());
        Ok(Value::Object(root))
    }

    /// The export as text: pretty-printed, keys sorted, ending in a newline.
    pub fn export_json(&self) -> Result<String> {
        let value = self.export_value()?;
        let mut text = serde_json::to_string_pretty(&value)
            .map_err(|e| crate::Error::StoredData(e.to_string()))?;
        text.push('\n');
        Ok(text)
    }
}

fn sort_map(map: Map<String, Value>) -> Map<String, Value> {
    let mut pairs: Vec<(String, Value)> = map.into_iter().collect();
    pairs.sort_by(|a, b| a.0.cmp(&b.0));
    pairs.into_iter().collect()
}

fn sort_keys(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            sort_map(map)
                .into_iter()
                .map(|(k, v)| (k, sort_keys(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(sort_keys).collect()),
        other => other,
    }
}
