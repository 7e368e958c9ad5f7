//! Erasure (the AVG's right to be forgotten, art. 17): a person removed from every replica.
//!
//! - [`Store::erase_contact`] is one [`Store::write`] batch, so it syncs like any change: the
//!   contact's name becomes [`ERASED_NAME`], every other field is emptied, the record is deleted
//!   and `erased_on` set; the person's traces in other records go as with anonymisation
//!   ([`Store::person_traces`]). In the same transaction the record's history on this laptop is
//!   purged ([`purge_history`]): its conflict-log rows, its values in waiting outbox entries,
//!   and its values in the import log.
//! - From then on the record is **sealed** (`wijkwerk_protocol::erasure_keeps`): a local write
//!   is refused (`Invalid::Erased`), and the merge keeps of incoming changes only the erasure's
//!   own writes and empty values, never logging a losing value ([`seal_row`] empties whatever
//!   else the row still holds). The server applies the same rule to pushes, so a laptop that was
//!   offline and pushes an old edit does not bring the person back.
//! - A laptop that pulls the erasure seals the record and purges its history in the pull's
//!   transaction. Freed content is overwritten (`PRAGMA secure_delete`), the search index is
//!   merged into one segment so no earlier version of the person's document keeps its words
//!   (`forget_old_words`), and after the transaction the WAL is checkpointed and emptied (again
//!   at every open, for a crash in between).
//! - Free text in other records that names the person is not changed (it is reported, as with
//!   anonymisation, for the coordinator to edit).

use crate::error::{Error, Result};
use crate::privacy::{clear, Person, PersonMention, PersonTraces};
use crate::row::{self, StoredRow};
use crate::schema::Entity;
use crate::store::Store;
use crate::write::{Fields, Write};
use jiff::civil::Date;
use rusqlite::OptionalExtension;
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;
use wijkwerk_protocol::{erasure_keeps, Hlc, DELETED_FIELD, ERASED_FIELD};

/// The name an erased contact keeps (for the attendance and action points that still link to
/// the record).
pub const ERASED_NAME: &str = "Gewist";

/// What an erasure did.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct Erased {
    pub contact_id: String,
    pub erased_on: String,
    /// Whether anything changed (false: the person was erased already).
    pub changed: bool,
    /// Roles whose title was emptied.
    pub role_titles_cleared: usize,
    /// Action-point history entries whose author was the person's name.
    pub authors_cleared: usize,
    /// Meetings whose organiser address was the person's.
    pub organisers_cleared: usize,
    /// Records whose free text names the person: not changed, for the coordinator to edit.
    pub mentions: Vec<PersonMention>,
}

impl Store {
    /// Erases a contact everywhere (see the module doc), dated today.
    pub fn erase_contact(&mut self, id: Uuid) -> Result<Erased> {
        self.erase_contact_on(id, crate::today())
    }

    /// [`Store::erase_contact`] dated `day`.
    pub fn erase_contact_on(&mut self, id: Uuid, day: Date) -> Result<Erased> {
        let Person {
            contact,
            old_name,
            old_email,
        } = self.person(id)?;
        if let Some(on) = contact.fields.get(ERASED_FIELD).and_then(Value::as_str) {
            return Ok(Erased {
                contact_id: id.to_string(),
                erased_on: on.to_owned(),
                changed: false,
                role_titles_cleared: 0,
                authors_cleared: 0,
                organisers_cleared: 0,
                mentions: Vec::new(),
            });
        }
        let mentions = self.mentions_of_person(id, old_name.as_deref())?;
        let mut fields = Fields::new();
        for field in Entity::Contact.fields() {
            let value = match field.name {
                "name" => ERASED_NAME.into(),
                ERASED_FIELD => day.to_string().into(),
                _ => Value::Null,
            };
            fields.insert(field.name.into(), value);
        }
        let mut writes = clear(Entity::Contact, id, contact.deleted, fields);
        if !contact.deleted {
            writes.push(Write::delete(Entity::Contact, id));
        }
        let PersonTraces {
            writes: traces,
            role_titles_cleared,
            authors_cleared,
            organisers_cleared,
        } = self.person_traces(id, old_name.as_deref(), old_email.as_deref())?;
        // The fields the traces empty, whose lost values in this laptop's conflict log may name
        // the person too.
        let trace_fields: Vec<(Entity, Uuid, String)> = traces
            .iter()
            .filter_map(|w| match &w.op {
                crate::write::Op::Update(fields) => Some((w, fields)),
                _ => None,
            })
            .flat_map(|(w, fields)| {
                fields
                    .keys()
                    .filter(|name| name.as_str() != DELETED_FIELD)
                    .map(move |name| (w.entity, w.id, name.clone()))
            })
            .collect();
        writes.extend(traces);
        let committed = self.write_and_record(writes, |tx, _| {
            // What the write did not reach: values of fields this version does not know.
            if let Some(mut row) = row::read(tx, Entity::Contact, id)? {
                if let Some(erasure) = erasure_of(&row) {
                    if !seal_row(Entity::Contact, &mut row, erasure).is_empty() {
                        row::update(tx, Entity::Contact, id, &row, &[])?;
                    }
                }
            }
            for (entity, record, field) in &trace_fields {
                tx.prepare_cached(
                    "DELETE FROM conflict WHERE entity = ?1 AND record_id = ?2 AND field = ?3",
                )?
                .execute((entity.name(), record.to_string(), field))?;
            }
            purge_history(tx, Entity::Contact, id)?;
            forget_old_words(tx)
        })?;
        self.checkpoint();
        Ok(Erased {
            contact_id: id.to_string(),
            erased_on: day.to_string(),
            changed: committed.hlc.is_some(),
            role_titles_cleared,
            authors_cleared,
            organisers_cleared,
            mentions,
        })
    }
}

/// The clock of the erasure that sealed a row, if it is erased.
pub(crate) fn erasure_of(row: &StoredRow) -> Option<Hlc> {
    row.fields
        .get(ERASED_FIELD)
        .filter(|v| !v.is_null())
        .and_then(|_| row.clocks.get(ERASED_FIELD).copied())
}

/// What sealing changed in a row.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Sealed {
    /// Fields emptied.
    pub fields: Vec<&'static str>,
    /// The record became deleted, or kept values of unknown fields went.
    pub bookkeeping: bool,
}

impl Sealed {
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty() && !self.bookkeeping
    }
}

/// Empties every field of a sealed row the erasure did not write (stamping the emptying with
/// the erasure's clock, as the server does), deletes it, and drops kept values of unknown
/// fields: the row as every replica holds it after the erasure.
pub(crate) fn seal_row(entity: Entity, row: &mut StoredRow, erasure: Hlc) -> Sealed {
    let mut sealed = Sealed::default();
    for field in entity.fields() {
        if field.name == ERASED_FIELD {
            continue;
        }
        let filled = row.fields.get(field.name).is_some_and(|v| !v.is_null());
        if filled && row.clocks.get(field.name) != Some(&erasure) {
            row.fields.insert(field.name.to_owned(), Value::Null);
            row.clocks.insert(field.name.to_owned(), erasure);
            sealed.fields.push(field.name);
        }
    }
    if !row.deleted {
        row.deleted = true;
        row.clocks.insert(DELETED_FIELD.to_owned(), erasure);
        sealed.bookkeeping = true;
    }
    let before = row.extra.len();
    row.extra
        .retain(|name, value| erasure_keeps(name, value, erasure));
    sealed.bookkeeping |= row.extra.len() != before;
    sealed
}

/// Whether a record is erased here (only erasable entities can be).
pub(crate) fn is_erased(conn: &rusqlite::Connection, entity: &str, id: &str) -> Result<bool> {
    if !wijkwerk_protocol::ERASABLE_ENTITIES.contains(&entity) {
        return Ok(false);
    }
    let Ok(entity) = entity.parse::<Entity>() else {
        return Ok(false);
    };
    let sql = format!(
        "SELECT 1 FROM {} WHERE id = ?1 AND {ERASED_FIELD} IS NOT NULL",
        entity.table()
    );
    Ok(conn
        .prepare_cached(&sql)?
        .query_row([id], |_| Ok(()))
        .optional()?
        .is_some())
}

/// Removes what this laptop keeps of an erased record outside its row: its conflict-log rows,
/// its values in waiting outbox entries (an entry left empty goes), and its values in the
/// import log (the undo no longer fills them in again; the report names it [`ERASED_NAME`]).
pub(crate) fn purge_history(
    tx: &rusqlite::Transaction<'_>,
    entity: Entity,
    id: Uuid,
) -> Result<()> {
    let id_text = id.to_string();
    let row = row::read(tx, entity, id)?;
    let Some(erasure) = row.as_ref().and_then(erasure_of) else {
        return Ok(());
    };
    tx.prepare_cached("DELETE FROM conflict WHERE entity = ?1 AND record_id = ?2")?
        .execute((entity.name(), &id_text))?;

    let waiting: Vec<(i64, String, String)> = tx
        .prepare_cached("SELECT seq, hlc, changes FROM outbox WHERE instr(changes, ?1) > 0")?
        .query_map([&id_text], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (seq, hlc, text) in waiting {
        let hlc: Hlc = hlc
            .parse()
            .map_err(|e: wijkwerk_protocol::HlcParseError| Error::StoredData(e.to_string()))?;
        let mut changes = crate::write::outbox_changes(&text, hlc)
            .map_err(|e| Error::StoredData(format!("outbox entry {seq}: {e}")))?;
        for change in changes.iter_mut().filter(|c| c.id == id) {
            change
                .fields
                .retain(|name, value| erasure_keeps(name, value, erasure));
        }
        changes.retain(|c| !c.fields.is_empty());
        if changes.is_empty() {
            tx.prepare_cached("DELETE FROM outbox WHERE seq = ?1")?
                .execute([seq])?;
        } else {
            tx.prepare_cached("UPDATE outbox SET changes = ?1 WHERE seq = ?2")?
                .execute((crate::write::outbox_text(&changes)?, seq))?;
        }
    }

    let imports: Vec<(String, String, String)> = tx
        .prepare_cached(
            "SELECT id, report, undo FROM import_batch
             WHERE instr(report, ?1) > 0 OR instr(undo, ?1) > 0",
        )?
        .query_map([&id_text], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (batch, report, undo) in imports {
        let parse = |text: &str| {
            serde_json::from_str::<Value>(text)
                .map_err(|e| Error::StoredData(format!("import {batch}: {e}")))
        };
        let mut report = parse(&report)?;
        scrub(&mut report, &id_text);
        let mut undo = parse(&undo)?;
        // `filled`: [entity, id, {field: value before}] — the values go with the entry.
        if let Some(filled) = undo.get_mut("filled").and_then(Value::as_array_mut) {
            filled.retain(|entry| entry.get(1).and_then(Value::as_str) != Some(id_text.as_str()));
        }
        tx.prepare_cached("UPDATE import_batch SET report = ?1, undo = ?2 WHERE id = ?3")?
            .execute((report.to_string(), undo.to_string(), &batch))?;
    }
    Ok(())
}

/// Merges the search index into one segment, so words of earlier versions of the erased
/// record's document (kept in older segments until a merge) are gone; with `secure_delete`
/// the freed pages are overwritten. Rewrites the whole index: a second or more on a large
/// store, in the erasure's transaction.
pub(crate) fn forget_old_words(tx: &rusqlite::Transaction<'_>) -> Result<()> {
    tx.execute("INSERT INTO search(search) VALUES ('optimize')", [])?;
    Ok(())
}

/// Replaces every text beside `"id": id` in a JSON document (an import's report) by
/// [`ERASED_NAME`].
fn scrub(value: &mut Value, id: &str) {
    match value {
        Value::Object(map) => {
            let about = map.get("id").and_then(Value::as_str) == Some(id);
            for (key, inner) in map.iter_mut() {
                match inner {
                    Value::String(_) if about && key != "id" => *inner = ERASED_NAME.into(),
                    _ => scrub(inner, id),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|item| scrub(item, id)),
        _ => {}
    }
}
