//! Reading and writing one stored row generically, from the entity descriptions in `schema`.

use crate::error::{Error, Result};
use crate::schema::Entity;
use crate::values;
use rusqlite::{Connection, OptionalExtension};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::sync::OnceLock;
use uuid::Uuid;
use wijkwerk_protocol::{Hlc, StampedValue};

/// A record as stored, with its bookkeeping.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct StoredRow {
    pub local_seq: i64,
    pub deleted: bool,
    /// Field values, every schema field present (null when empty).
    pub fields: Map<String, Value>,
    pub clocks: BTreeMap<String, Hlc>,
    /// Fields this version does not know, kept for newer clients.
    pub extra: BTreeMap<String, StampedValue>,
}

/// The bookkeeping columns that precede the fields in every `SELECT` of [`select_sql`].
const BOOKKEEPING: usize = 4;

/// `SELECT local_seq, deleted, clocks, extra, <fields> FROM <table>` for each entity.
pub(crate) fn select_sql(entity: Entity) -> &'static str {
    static SQL: OnceLock<Vec<String>> = OnceLock::new();
    let all = SQL.get_or_init(|| {
        Entity::ALL
            .iter()
            .map(|e| {
                let cols: Vec<&str> = e.fields().iter().map(|f| f.name).collect();
                format!(
                    "SELECT local_seq, deleted, clocks, extra, {}, id FROM {}",
                    cols.join(", "),
                    e.table()
                )
            })
            .collect()
    });
    &all[entity.code() as usize - 1]
}

fn insert_sql(entity: Entity) -> &'static str {
    static SQL: OnceLock<Vec<String>> = OnceLock::new();
    let all = SQL.get_or_init(|| {
        Entity::ALL
            .iter()
            .map(|e| {
                let cols: Vec<&str> = e.fields().iter().map(|f| f.name).collect();
                let marks: Vec<String> = (1..=cols.len() + 4).map(|i| format!("?{i}")).collect();
                format!(
                    "INSERT INTO {} (id, deleted, clocks, extra, {}) VALUES ({})",
                    e.table(),
                    cols.join(", "),
                    marks.join(", ")
                )
            })
            .collect()
    });
    &all[entity.code() as usize - 1]
}

/// Builds a [`StoredRow`] from a row of [`select_sql`].
pub(crate) fn from_select(entity: Entity, row: &rusqlite::Row<'_>) -> rusqlite::Result<StoredRow> {
    let clocks_text: String = row.get(2)?;
    let extra_text: Option<String> = row.get(3)?;
    let mut fields = Map::new();
    for (i, field) in entity.fields().iter().enumerate() {
        fields.insert(
            field.name.to_owned(),
            values::from_sql(field.kind, row.get_ref(BOOKKEEPING + i)?),
        );
    }
    Ok(StoredRow {
        local_seq: row.get(0)?,
        deleted: row.get::<_, i64>(1)? != 0,
        fields,
        clocks: decode_clocks(entity, &clocks_text),
        extra: extra_text
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default(),
    })
}

/// The id column's position in [`select_sql`] rows.
pub(crate) fn id_column(entity: Entity) -> usize {
    BOOKKEEPING + entity.fields().len()
}

pub(crate) fn read(conn: &Connection, entity: Entity, id: Uuid) -> Result<Option<StoredRow>> {
    let sql = format!("{} WHERE id = ?1", select_sql(entity));
    let mut stmt = conn.prepare_cached(&sql)?;
    Ok(stmt
        .query_row([id.to_string()], |r| from_select(entity, r))
        .optional()?)
}

/// Whether a live (not deleted) record with this id exists.
pub(crate) fn is_live(conn: &Connection, entity: Entity, id: &str) -> Result<bool> {
    let sql = format!("SELECT deleted FROM {} WHERE id = ?1", entity.table());
    let deleted: Option<i64> = conn
        .prepare_cached(&sql)?
        .query_row([id], |r| r.get(0))
        .optional()?;
    Ok(deleted == Some(0))
}

/// Inserts a new row and returns its `local_seq`.
pub(crate) fn insert(conn: &Connection, entity: Entity, id: Uuid, row: &StoredRow) -> Result<i64> {
    insert_params(conn, entity, insert_values(entity, id, row))
}

/// The values of a new row's `INSERT`, in the order of its columns.
pub(crate) fn insert_values(
    entity: Entity,
    id: Uuid,
    row: &StoredRow,
) -> Vec<rusqlite::types::Value> {
    let mut params: Vec<rusqlite::types::Value> = Vec::with_capacity(entity.fields().len() + 4);
    params.push(id.to_string().into());
    params.push(i64::from(row.deleted).into());
    params.push(encode_clocks(entity, &row.clocks).into());
    params.push(extra_json(&row.extra));
    for field in entity.fields() {
        let value = row.fields.get(field.name).unwrap_or(&Value::Null);
        params.push(values::to_sql(value));
    }
    params
}

/// Inserts a new row from [`insert_values`]; returns its `local_seq`.
pub(crate) fn insert_params(
    conn: &Connection,
    entity: Entity,
    params: Vec<rusqlite::types::Value>,
) -> Result<i64> {
    conn.prepare_cached(insert_sql(entity))?
        .execute(rusqlite::params_from_iter(params))?;
    Ok(conn.last_insert_rowid())
}

/// Writes the named fields (and the bookkeeping) of an existing row. Only the named columns
/// appear in the `SET`, so search-index triggers fire only for searchable changes.
pub(crate) fn update(
    conn: &Connection,
    entity: Entity,
    id: Uuid,
    row: &StoredRow,
    changed: &[&str],
) -> Result<()> {
    let mut sql = format!(
        "UPDATE {} SET deleted = ?1, clocks = ?2, extra = ?3",
        entity.table()
    );
    let mut params: Vec<rusqlite::types::Value> = vec![
        i64::from(row.deleted).into(),
        encode_clocks(entity, &row.clocks).into(),
        extra_json(&row.extra),
    ];
    for name in changed {
        let Some(field) = entity.field(name) else {
            continue;
        };
        params.push(values::to_sql(
            row.fields.get(field.name).unwrap_or(&Value::Null),
        ));
        sql.push_str(&format!(", {} = ?{}", field.name, params.len()));
    }
    params.push(id.to_string().into());
    sql.push_str(&format!(" WHERE id = ?{}", params.len()));
    let n = conn
        .prepare_cached(&sql)?
        .execute(rusqlite::params_from_iter(params))?;
    if n != 1 {
        return Err(Error::NotFound { entity, id });
    }
    Ok(())
}

/// Field clocks in a compact text: groups `CLOCK=f,f,...` joined by `;`, where each `f` is the
/// field's position in the entity's schema (`d` for `deleted`). Most rows have one or two
/// distinct clocks (the write that created them, the last edit), so each clock is written once.
/// Positions are stable because fields are only ever added at the end of an entity.
pub(crate) fn encode_clocks(entity: Entity, clocks: &BTreeMap<String, Hlc>) -> String {
    let mut groups: BTreeMap<Hlc, Vec<String>> = BTreeMap::new();
    for (field, hlc) in clocks {
        let key = if field == wijkwerk_protocol::DELETED_FIELD {
            "d".to_owned()
        } else if let Some(i) = entity.fields().iter().position(|f| f.name == field) {
            i.to_string()
        } else {
            continue;
        };
        groups.entry(*hlc).or_default().push(key);
    }
    groups
        .into_iter()
        .map(|(hlc, fields)| format!("{hlc}={}", fields.join(",")))
        .collect::<Vec<_>>()
        .join(";")
}

/// Reads [`encode_clocks`]' text; unreadable parts are skipped (their fields then count as
/// never written, so any incoming value for them wins).
pub(crate) fn decode_clocks(entity: Entity, text: &str) -> BTreeMap<String, Hlc> {
    let mut clocks = BTreeMap::new();
    for group in text.split(';') {
        let Some((hlc, fields)) = group.split_once('=') else {
            continue;
        };
        let Ok(hlc) = hlc.parse::<Hlc>() else {
            continue;
        };
        for key in fields.split(',') {
            let name = if key == "d" {
                Some(wijkwerk_protocol::DELETED_FIELD)
            } else {
                key.parse::<usize>()
                    .ok()
                    .and_then(|i| entity.fields().get(i))
                    .map(|f| f.name)
            };
            if let Some(name) = name {
                clocks.insert(name.to_owned(), hlc);
            }
        }
    }
    clocks
}

fn extra_json(extra: &BTreeMap<String, StampedValue>) -> rusqlite::types::Value {
    if extra.is_empty() {
        rusqlite::types::Value::Null
    } else {
        serde_json::to_string(extra)
            .map(rusqlite::types::Value::Text)
            .unwrap_or(rusqlite::types::Value::Null)
    }
}

/// The record as the outside world sees it: `id`, `deleted` when true, and every field.
pub(crate) fn to_json(id: &str, row: &StoredRow) -> Value {
    let mut out = Map::new();
    out.insert("id".into(), Value::String(id.to_owned()));
    for (k, v) in &row.fields {
        out.insert(k.clone(), v.clone());
    }
    if row.deleted {
        out.insert("deleted".into(), Value::Bool(true));
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use wijkwerk_protocol::NodeId;

    #[test]
    fn clocks_text_round_trips() {
        let a = Hlc::new(1_000, 0, NodeId(1));
        let b = Hlc::new(2_000, 3, NodeId(2));
        let clocks: BTreeMap<String, Hlc> = [("name", a), ("kind", a), ("deleted", b)]
            .into_iter()
            .map(|(f, h)| (f.to_owned(), h))
            .collect();
        let text = encode_clocks(Entity::Area, &clocks);
        assert_eq!(text, format!("{a}=1,0;{b}=d"));
        assert_eq!(decode_clocks(Entity::Area, &text), clocks);
        assert!(decode_clocks(Entity::Area, "").is_empty());
        assert!(decode_clocks(Entity::Area, "garbage;x=1").is_empty());
    }
}
