//! Keeping the full-text index in step with the tables.
//!
//! The one write path and the merge collect the search documents of the records they touch and
//! write them at the end of their transaction, after every other statement. (Triggers would
//! write the index in the middle of each row's statement; SQLite then opens a savepoint per
//! statement, and FTS5 flushes its in-memory index at every savepoint: a pulled page of 2,500
//! records took five times as long.)
//!
//! A document's row id is `local_seq * 32 + entity code`.

use crate::error::Result;
use crate::row::StoredRow;
use crate::schema::Entity;
use rusqlite::Connection;
use serde_json::Value;

/// A search document: its title and its body.
pub(crate) type Doc = (String, String);

#[derive(Default)]
pub(crate) struct SearchDocs {
    /// (row id, the document or `None` to remove it, whether the record is new)
    docs: Vec<(i64, Option<Doc>, bool)>,
    /// Where each row id's entry is in `docs` (a record touched twice keeps its last document).
    at: std::collections::HashMap<i64, usize>,
}

/// Row ids of search documents step by this per `local_seq`: room for 31 entity codes
/// (migration 005 renumbered the index from 16).
pub(crate) const DOC_ROWID_STRIDE: i64 = 32;

/// The search row id of a record.
pub(crate) fn doc_rowid(entity: Entity, local_seq: i64) -> i64 {
    local_seq * DOC_ROWID_STRIDE + entity.code()
}

fn text(row: &StoredRow, field: &str) -> Option<String> {
    match row.fields.get(field) {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Null) | None => None,
        Some(other) => Some(other.to_string()),
    }
}

/// The document of a record written for the first time: none when the entity is not searched
/// or the record is deleted (what [`SearchDocs::touch`] does with a new record).
pub(crate) fn new_document(entity: Entity, row: &StoredRow) -> Option<Doc> {
    let (title, body) = entity.search_columns()?;
    if row.deleted {
        return None;
    }
    let body: Vec<String> = body.iter().filter_map(|f| text(row, f)).collect();
    Some((text(row, title).unwrap_or_default(), body.join(" ")))
}

impl SearchDocs {
    /// Notes the document of a record inserted in this transaction ([`new_document`]).
    pub(crate) fn add_new(&mut self, entity: Entity, local_seq: i64, doc: Doc) {
        let rowid = doc_rowid(entity, local_seq);
        self.at.insert(rowid, self.docs.len());
        self.docs.push((rowid, Some(doc), true));
    }

    /// Notes the record's document after a write. `changed` names the fields written (`None`:
    /// a new record, or `deleted` changed): nothing happens unless a searched field changed.
    pub(crate) fn touch(
        &mut self,
        entity: Entity,
        row: &StoredRow,
        is_new: bool,
        changed: Option<&[&str]>,
    ) {
        let Some((title, body)) = entity.search_columns() else {
            return;
        };
        if let Some(changed) = changed {
            if !changed.iter().any(|c| *c == title || body.contains(c)) {
                return;
            }
        }
        let rowid = doc_rowid(entity, row.local_seq);
        let doc = new_document(entity, row);
        match self.at.get(&rowid) {
            Some(&i) => {
                let was_new = self.docs[i].2;
                self.docs[i] = (rowid, doc, was_new);
            }
            None => {
                if is_new && doc.is_none() {
                    return;
                }
                self.at.insert(rowid, self.docs.len());
                self.docs.push((rowid, doc, is_new));
            }
        }
    }

    /// Writes the documents; call last in the transaction.
    pub(crate) fn flush(self, conn: &Connection) -> Result<()> {
        if self.docs.is_empty() {
            return Ok(());
        }
        let mut delete = conn.prepare_cached("DELETE FROM search WHERE rowid = ?1")?;
        let mut insert =
            conn.prepare_cached("INSERT INTO search(rowid, title, body) VALUES (?1, ?2, ?3)")?;
        for (rowid, doc, is_new) in self.docs {
            if !is_new {
                delete.execute([rowid])?;
            }
            if let Some((title, body)) = doc {
                insert.execute((rowid, title, body))?;
            }
        }
        Ok(())
    }
}
