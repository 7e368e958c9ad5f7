//! Reading records generically: one by id, or a page of an entity in id order.

use crate::error::{Error, Result};
use crate::row;
use crate::schema::Entity;
use crate::store::Store;
use serde_json::Value;
use uuid::Uuid;

/// One page of a listing; `next` is the id to pass as `after` for the page that follows.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Page {
    pub items: Vec<Value>,
    pub next: Option<String>,
}

impl Store {
    /// The record with this id, deleted or not (a deleted one carries `"deleted": true`).
    pub fn get(&self, entity: Entity, id: Uuid) -> Result<Value> {
        let row = row::read(&self.conn, entity, id)?.ok_or(Error::NotFound { entity, id })?;
        Ok(row::to_json(&id.to_string(), &row))
    }

    /// The live record with this id.
    pub fn get_live(&self, entity: Entity, id: Uuid) -> Result<Value> {
        let value = self.get(entity, id)?;
        if value.get("deleted").is_some() {
            return Err(Error::NotFound { entity, id });
        }
        Ok(value)
    }

    /// A page of live records in id order (ids are UUIDv7, so that is creation order), after
    /// the given id.
    pub fn list(&self, entity: Entity, after: Option<Uuid>, limit: usize) -> Result<Page> {
        let limit = limit.clamp(1, 10_000);
        let sql = format!(
            "{} WHERE deleted = 0 AND id > ?1 ORDER BY id LIMIT ?2",
            row::select_sql(entity)
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let after = after.map(|a| a.to_string()).unwrap_or_default();
        let mut rows = stmt.query((after, limit as i64 + 1))?;
        let mut items = Vec::new();
        let mut next = None;
        while let Some(r) = rows.next()? {
            let id: String = r.get(row::id_column(entity))?;
            if items.len() == limit {
                next = items
                    .last()
                    .and_then(|v: &Value| v.get("id"))
                    .and_then(Value::as_str)
                    .map(str::to_owned);
                break;
            }
            let stored = row::from_select(entity, r)?;
            items.push(row::to_json(&id, &stored));
        }
        Ok(Page { items, next })
    }

    /// Number of live records of an entity.
    pub fn count(&self, entity: Entity) -> Result<i64> {
        let sql = format!("SELECT count(*) FROM {} WHERE deleted = 0", entity.table());
        Ok(self.conn.query_row(&sql, [], |r| r.get(0))?)
    }
}
