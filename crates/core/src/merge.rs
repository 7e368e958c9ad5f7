//! Applying changes made elsewhere (by the server, another laptop) to the local store.
//!
//! The rule, per field: the value with the higher hybrid logical clock wins; equal clocks mean
//! the same write seen twice. Deletion is the field `deleted`, merged like any other. So applying
//! the same set of changes in any order, any number of times, gives the same state.
//!
//! A value that loses against a different value is written to the conflict log, never dropped.
//! Fields this version does not know are kept (with their clocks) for newer versions.

use crate::error::{Error, Result};
use crate::row::{self, StoredRow};
use crate::schema::Entity;
use crate::store::Store;
use crate::values;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use wijkwerk_protocol::{
    erasure_keeps, erasure_stamp, Hlc, RecordChange, StampedValue, DELETED_FIELD, ERASED_FIELD,
};

/// What applying a batch did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct MergeReport {
    /// Fields whose incoming value was taken.
    pub fields_applied: usize,
    /// Fields whose incoming value lost to a newer local one (or was the same write again).
    pub fields_ignored: usize,
    /// Values that lost against a different value and went to the conflict log.
    pub conflicts: usize,
    /// Records of entities this version does not know (skipped).
    pub unknown_records: usize,
    /// Records erased by the changes (sealed and purged here).
    pub records_erased: usize,
}

/// A value that lost a merge, as the conflict log keeps it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Conflict {
    pub seq: i64,
    pub entity: String,
    pub record_id: String,
    pub field: String,
    pub lost_value: Value,
    pub lost_hlc: String,
    pub won_value: Value,
    pub won_hlc: String,
    pub recorded_at: String,
    pub resolved: bool,
}

impl Store {
    /// Applies changes from elsewhere in one transaction (the caller's bookkeeping, such as a
    /// sync cursor, goes in through `also`, inside the same transaction).
    pub fn merge(
        &mut self,
        changes: &[RecordChange],
        also: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<()>,
    ) -> Result<MergeReport> {
        self.merge_with(changes, true, also)
    }

    /// [`Store::merge`], choosing whether values that lose are logged here. Changes pulled from
    /// the server are merged without local logging: the server decides what was a conflict (it
    /// knows what each writer had seen) and sends its log along.
    pub(crate) fn merge_with(
        &mut self,
        changes: &[RecordChange],
        log_conflicts: bool,
        also: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<()>,
    ) -> Result<MergeReport> {
        self.merge_into(changes, log_conflicts, None, also)
    }

    /// [`Store::merge_with`] with an optional first download into an empty store
    /// ([`FirstDownload`]): records not seen before in it are inserted without being looked up,
    /// as the rows `fresh` holds for them when they were prepared beforehand ([`prepare_fresh`],
    /// aligned with `changes`).
    pub(crate) fn merge_into(
        &mut self,
        changes: &[RecordChange],
        log_conflicts: bool,
        first_download: Option<(&mut FirstDownload, Vec<Option<Fresh>>)>,
        also: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<()>,
    ) -> Result<MergeReport> {
        // Changes arrive per field in the order the server last changed them, so a child can come
        // before its parent; every reference is valid once the pull is complete (records are
        // never removed). Foreign keys are checked again as soon as the merge is done.
        self.conn.pragma_update(None, "foreign_keys", false)?;
        let result = self.merge_inner(changes, log_conflicts, first_download, also);
        let restored = self.conn.pragma_update(None, "foreign_keys", true);
        let report = result?;
        restored?;
        if report.records_erased > 0 {
            self.checkpoint();
        }
        Ok(report)
    }

    fn merge_inner(
        &mut self,
        changes: &[RecordChange],
        log_conflicts: bool,
        mut first_download: Option<(&mut FirstDownload, Vec<Option<Fresh>>)>,
        also: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<()>,
    ) -> Result<MergeReport> {
        let mut report = MergeReport::default();
        let mut ordered: Vec<(Entity, usize)> = Vec::with_capacity(changes.len());
        for (at, change) in changes.iter().enumerate() {
            match change.entity.parse::<Entity>() {
                Ok(entity) => ordered.push((entity, at)),
                Err(_) => report.unknown_records += 1,
            }
        }
        // Parents before children, so references resolve within the batch.
        ordered.sort_by_key(|(entity, _)| *entity);
        let now = jiff::Timestamp::now().to_string();
        let tx = self.conn.transaction()?;
        let mut max_seen: Option<Hlc> = None;
        let mut docs = crate::search_index::SearchDocs::default();
        for (entity, at) in ordered {
            let change = &changes[at];
            for stamped in change.fields.values() {
                max_seen = max_seen.max(Some(stamped.hlc));
            }
            // In a first download into an empty store, a record not met before in it cannot be
            // there yet: it is inserted as it comes, without a look-up.
            let new_here = match first_download.as_mut() {
                Some((download, fresh)) => download.seen.insert(change.id).then(|| {
                    fresh
                        .get_mut(at)
                        .and_then(Option::take)
                        .unwrap_or_else(|| Fresh::new(entity, change))
                }),
                None => None,
            };
            match new_here {
                Some(fresh) => fresh.insert(&tx, entity, &mut report, &mut docs)?,
                None => merge_record(
                    &tx,
                    entity,
                    change,
                    &now,
                    log_conflicts,
                    &mut report,
                    &mut docs,
                )?,
            }
        }
        if let Some(seen) = max_seen {
            self.clock.observe(seen);
        }
        also(&tx)?;
        self.clock.persist(&tx)?;
        docs.flush(&tx)?;
        if report.records_erased > 0 {
            crate::erasure::forget_old_words(&tx)?;
        }
        tx.commit()?;
        Ok(report)
    }

    /// The conflict log, newest first.
    pub fn conflicts(&self, include_resolved: bool, limit: usize) -> Result<Vec<Conflict>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {CONFLICT_COLUMNS} FROM conflict WHERE resolved = 0 OR ?1 ORDER BY seq DESC LIMIT ?2"
        ))?;
        let rows = stmt.query_map((include_resolved, limit as i64), Conflict::from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

/// The columns [`Conflict::from_row`] reads, in its order.
pub(crate) const CONFLICT_COLUMNS: &str =
    "seq, entity, record_id, field, lost_value, lost_hlc, won_value, won_hlc, recorded_at, resolved";

impl Conflict {
    /// A row of `SELECT {CONFLICT_COLUMNS} FROM conflict`.
    pub(crate) fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Conflict> {
        let json = |i: usize| -> rusqlite::Result<Value> {
            let text: String = r.get(i)?;
            Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
        };
        Ok(Conflict {
            seq: r.get(0)?,
            entity: r.get(1)?,
            record_id: r.get(2)?,
            field: r.get(3)?,
            lost_value: json(4)?,
            lost_hlc: r.get(5)?,
            won_value: json(6)?,
            won_hlc: r.get(7)?,
            recorded_at: r.get(8)?,
            resolved: r.get::<_, i64>(9)? != 0,
        })
    }
}

fn merge_record(
    tx: &rusqlite::Transaction<'_>,
    entity: Entity,
    change: &RecordChange,
    now: &str,
    log_conflicts: bool,
    report: &mut MergeReport,
    docs: &mut crate::search_index::SearchDocs,
) -> Result<()> {
    let log = log_conflicts.then_some(now);
    // A record not here yet takes every field as it comes (nothing to decide against).
    let Some(mut row) = row::read(tx, entity, change.id)? else {
        return Fresh::new(entity, change).insert(tx, entity, report, docs);
    };
    let mut changed: Vec<&'static str> = Vec::new();
    let mut bookkeeping_changed = false;
    // An erased record is sealed: only the erasure's own writes and empty values are kept, the
    // erasure's writes whatever the local clocks say, and nothing is logged (`erasure.rs`).
    let sealed_before = crate::erasure::erasure_of(&row);
    let erasing = change
        .fields
        .get(ERASED_FIELD)
        .and_then(|v| erasure_stamp(entity.name(), ERASED_FIELD, v))
        .filter(|stamp| sealed_before.is_none_or(|e| *stamp > e));
    let erasure = erasing.or(sealed_before);
    let log = if erasure.is_some() { None } else { log };
    for (name, incoming) in &change.fields {
        if let Some(erasure) = erasure {
            if !erasure_keeps(name, incoming, erasure) {
                report.fields_ignored += 1;
                continue;
            }
        }
        // The erasure's own write is taken as if nothing were here yet.
        let forced = erasure.is_some_and(|e| incoming.hlc == e);
        let clock_of = |clock: Option<&Hlc>| if forced { None } else { clock.copied() };
        let field = entity.field(name);
        if name == DELETED_FIELD {
            let current = Value::Bool(row.deleted);
            if take(
                tx,
                entity,
                change,
                name,
                &current,
                clock_of(row.clocks.get(name)).as_ref(),
                incoming,
                log,
                report,
            )? {
                row.deleted = incoming.value.as_bool().unwrap_or(false);
                row.clocks.insert(name.clone(), incoming.hlc);
                bookkeeping_changed = true;
            }
        } else if let Some(field) = field {
            // A value this version cannot read is kept aside rather than stored wrongly.
            let Ok(value) = values::normalise(field.kind, &incoming.value, None) else {
                keep_extra(&mut row, name, incoming);
                bookkeeping_changed = true;
                continue;
            };
            let current = row.fields.get(field.name).cloned().unwrap_or(Value::Null);
            let incoming = StampedValue {
                value,
                hlc: incoming.hlc,
                base: incoming.base,
            };
            if take(
                tx,
                entity,
                change,
                name,
                &current,
                clock_of(row.clocks.get(name)).as_ref(),
                &incoming,
                log,
                report,
            )? {
                row.fields
                    .insert(field.name.to_owned(), incoming.value.clone());
                row.clocks.insert(name.clone(), incoming.hlc);
                changed.push(field.name);
            }
        } else {
            let before = row.extra.get(name).cloned();
            let current = before
                .as_ref()
                .map(|s| s.value.clone())
                .unwrap_or(Value::Null);
            let clock = before.as_ref().map(|s| s.hlc);
            if take(
                tx,
                entity,
                change,
                name,
                &current,
                clock_of(clock.as_ref()).as_ref(),
                incoming,
                log,
                report,
            )? {
                keep_extra(&mut row, name, incoming);
                bookkeeping_changed = true;
            }
        }
    }
    let mut deleted_changed = change.fields.contains_key(DELETED_FIELD) && bookkeeping_changed;
    if let Some(erasure) = erasure {
        let was_deleted = row.deleted;
        let sealed = crate::erasure::seal_row(entity, &mut row, erasure);
        deleted_changed |= row.deleted != was_deleted;
        bookkeeping_changed |= sealed.bookkeeping;
        for name in sealed.fields {
            if !changed.contains(&name) {
                changed.push(name);
            }
        }
    }
    if bookkeeping_changed || !changed.is_empty() {
        row::update(tx, entity, change.id, &row, &changed)?;
        let touched = (!deleted_changed).then_some(changed.as_slice());
        docs.touch(entity, &row, false, touched);
    }
    if erasing.is_some() {
        crate::erasure::purge_history(tx, entity, change.id)?;
        report.records_erased += 1;
    }
    Ok(())
}

/// A row of an entity with every field empty and nothing stamped.
fn empty_row(entity: Entity) -> StoredRow {
    StoredRow {
        local_seq: 0,
        deleted: false,
        fields: entity
            .fields()
            .iter()
            .map(|f| (f.name.to_owned(), Value::Null))
            .collect::<Map<_, _>>(),
        clocks: BTreeMap::new(),
        extra: BTreeMap::new(),
    }
}

/// A record that is not in the store yet, made ready for its `INSERT`: every field taken (a
/// value this version cannot read kept aside, as [`merge_record`] does), its search document,
/// and how many fields it applies. The one way a merge writes a new record; made without the
/// store, so a pull makes the next page's while the store applies this one.
pub(crate) struct Fresh {
    id: uuid::Uuid,
    /// Erased: its history here (a conflict logged from an earlier page) is purged.
    erased: bool,
    params: Vec<rusqlite::types::Value>,
    doc: Option<crate::search_index::Doc>,
    applied: usize,
}

impl Fresh {
    fn new(entity: Entity, change: &RecordChange) -> Fresh {
        let mut row = empty_row(entity);
        let mut applied = 0;
        let erasure = change
            .fields
            .get(ERASED_FIELD)
            .and_then(|v| erasure_stamp(entity.name(), ERASED_FIELD, v));
        for (name, incoming) in &change.fields {
            if erasure.is_some_and(|e| !erasure_keeps(name, incoming, e)) {
                continue;
            }
            if name == DELETED_FIELD {
                row.deleted = incoming.value.as_bool().unwrap_or(false);
                row.clocks.insert(name.clone(), incoming.hlc);
                applied += 1;
            } else if let Some(field) = entity.field(name) {
                match values::normalise(field.kind, &incoming.value, None) {
                    Ok(value) => {
                        row.fields.insert(field.name.to_owned(), value);
                        row.clocks.insert(name.clone(), incoming.hlc);
                        applied += 1;
                    }
                    Err(_) => keep_extra(&mut row, name, incoming),
                }
            } else {
                keep_extra(&mut row, name, incoming);
                applied += 1;
            }
        }
        if let Some(erasure) = erasure {
            crate::erasure::seal_row(entity, &mut row, erasure);
        }
        Fresh {
            id: change.id,
            erased: erasure.is_some(),
            doc: crate::search_index::new_document(entity, &row),
            params: row::insert_values(entity, change.id, &row),
            applied,
        }
    }

    /// Inserts the row and notes its search document.
    fn insert(
        self,
        tx: &rusqlite::Transaction<'_>,
        entity: Entity,
        report: &mut MergeReport,
        docs: &mut crate::search_index::SearchDocs,
    ) -> Result<()> {
        let local_seq = row::insert_params(tx, entity, self.params)?;
        if let Some(doc) = self.doc {
            docs.add_new(entity, local_seq, doc);
        }
        if self.erased {
            crate::erasure::purge_history(tx, entity, self.id)?;
            report.records_erased += 1;
        }
        report.fields_applied += self.applied;
        Ok(())
    }
}

/// The rows of a page's records as if none were in the store yet, aligned with `changes`
/// (none for an entity this version does not know).
pub(crate) fn prepare_fresh(changes: &[RecordChange]) -> Vec<Option<Fresh>> {
    changes
        .iter()
        .map(|change| {
            let entity = change.entity.parse::<Entity>().ok()?;
            Some(Fresh::new(entity, change))
        })
        .collect()
}

/// A first download into an empty store: the records it has written so far. One not among
/// them cannot be in the store, so it is inserted without a look-up.
#[derive(Debug, Default)]
pub(crate) struct FirstDownload {
    seen: std::collections::HashSet<uuid::Uuid>,
}

/// Where a first download keeps, in `meta`, the indexes it dropped (JSON: `[[name, sql], ...]`).
const DEFERRED_INDEXES: &str = "deferred_indexes";

impl Store {
    /// Drops the secondary indexes of the record tables for a first download, keeping their
    /// definitions in `meta` in the same transaction. Records arrive in the server's order, so
    /// an index on a name or an address is written all over at every page's commit (and each
    /// page of it encrypted again); built once at the end, each is one sort. The ids' unique
    /// indexes stay: the merge looks records up by them.
    pub(crate) fn defer_indexes(&mut self) -> Result<()> {
        let tx = self.conn.transaction()?;
        let mut deferred = deferred_indexes(&tx)?;
        {
            let mut stmt = tx.prepare(
                "SELECT name, sql FROM sqlite_schema
                 WHERE type = 'index' AND sql IS NOT NULL AND tbl_name = ?1",
            )?;
            for entity in Entity::ALL {
                let rows = stmt.query_map([entity.table()], |r| Ok((r.get(0)?, r.get(1)?)))?;
                for row in rows {
                    let (name, sql) = row?;
                    if !deferred.iter().any(|(kept, _)| *kept == name) {
                        deferred.push((name, sql));
                    }
                }
            }
        }
        for (name, _) in &deferred {
            tx.execute_batch(&format!(
                "DROP INDEX IF EXISTS \"{}\"",
                name.replace('"', "\"\"")
            ))?;
        }
        let text =
            serde_json::to_string(&deferred).map_err(|e| Error::StoredData(e.to_string()))?;
        tx.execute(
            "INSERT INTO meta(key, value) VALUES (?1, ?2)
             ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (DEFERRED_INDEXES, text),
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Builds the indexes a first download dropped ([`Store::defer_indexes`]) again: at its end,
    /// whether it completed or not, and when a store is opened (a download cut off by a crash).
    pub(crate) fn restore_deferred_indexes(&mut self) -> Result<()> {
        let tx = self.conn.transaction()?;
        let deferred = deferred_indexes(&tx)?;
        if deferred.is_empty() {
            return Ok(());
        }
        for (name, sql) in &deferred {
            let exists: bool = tx.query_row(
                "SELECT EXISTS(SELECT 1 FROM sqlite_schema WHERE type = 'index' AND name = ?1)",
                [name],
                |r| r.get(0),
            )?;
            if !exists {
                tx.execute_batch(sql)?;
            }
        }
        tx.execute("DELETE FROM meta WHERE key = ?1", [DEFERRED_INDEXES])?;
        tx.commit()?;
        Ok(())
    }

    /// Whether the store holds no record at all (a new laptop before its first download).
    pub(crate) fn holds_no_records(&self) -> Result<bool> {
        for entity in Entity::ALL {
            let any: bool = self.conn.query_row(
                &format!("SELECT EXISTS(SELECT 1 FROM {})", entity.table()),
                [],
                |r| r.get(0),
            )?;
            if any {
                return Ok(false);
            }
        }
        Ok(true)
    }
}

/// The indexes a first download dropped and has not built again.
fn deferred_indexes(conn: &rusqlite::Connection) -> Result<Vec<(String, String)>> {
    use rusqlite::OptionalExtension;
    let text: Option<String> = conn
        .query_row(
            "SELECT value FROM meta WHERE key = ?1",
            [DEFERRED_INDEXES],
            |r| r.get(0),
        )
        .optional()?;
    match text {
        None => Ok(Vec::new()),
        Some(text) => serde_json::from_str(&text).map_err(|e| {
            Error::StoredData(format!("the indexes kept aside in a first download: {e}"))
        }),
    }
}

fn keep_extra(row: &mut StoredRow, name: &str, incoming: &StampedValue) {
    let newer = row
        .extra
        .get(name)
        .is_none_or(|current| incoming.hlc > current.hlc);
    if newer {
        row.extra.insert(name.to_owned(), incoming.clone());
    }
}

/// Decides one field: true when the incoming value wins. Logs the losing value when the two
/// differ.
#[allow(clippy::too_many_arguments)]
fn take(
    tx: &rusqlite::Transaction<'_>,
    entity: Entity,
    change: &RecordChange,
    field: &str,
    current: &Value,
    current_clock: Option<&Hlc>,
    incoming: &StampedValue,
    log: Option<&str>,
    report: &mut MergeReport,
) -> Result<bool> {
    let Some(current_clock) = current_clock else {
        report.fields_applied += 1;
        return Ok(true);
    };
    if incoming.hlc == *current_clock {
        report.fields_ignored += 1;
        return Ok(false);
    }
    let incoming_wins = incoming.hlc > *current_clock;
    if let (Some(now), true) = (log, *current != incoming.value) {
        let (lost, lost_clock, won, won_clock) = if incoming_wins {
            (current, *current_clock, &incoming.value, incoming.hlc)
        } else {
            (&incoming.value, incoming.hlc, current, *current_clock)
        };
        log_conflict(
            tx,
            entity.name(),
            change.id,
            field,
            lost,
            lost_clock,
            won,
            won_clock,
            now,
        )?;
        report.conflicts += 1;
    }
    if incoming_wins {
        report.fields_applied += 1;
    } else {
        report.fields_ignored += 1;
    }
    Ok(incoming_wins)
}

/// Writes a lost value to the conflict log, once (the same loss seen again is skipped).
#[allow(clippy::too_many_arguments)]
pub(crate) fn log_conflict(
    tx: &rusqlite::Transaction<'_>,
    entity: &str,
    record_id: uuid::Uuid,
    field: &str,
    lost: &Value,
    lost_clock: Hlc,
    won: &Value,
    won_clock: Hlc,
    now: &str,
) -> Result<()> {
    // An erased record keeps no history (the server's log may still send one from before).
    if crate::erasure::is_erased(tx, entity, &record_id.to_string())? {
        return Ok(());
    }
    // The same loss seen twice (a change delivered again) is logged once.
    let exists: bool = tx
        .prepare_cached(
            "SELECT EXISTS(SELECT 1 FROM conflict WHERE entity = ?1 AND record_id = ?2
                           AND field = ?3 AND lost_hlc = ?4)",
        )?
        .query_row(
            (entity, record_id.to_string(), field, lost_clock.to_string()),
            |r| r.get(0),
        )?;
    if exists {
        return Ok(());
    }
    tx.prepare_cached(
        "INSERT INTO conflict(entity, record_id, field, lost_value, lost_hlc, won_value, won_hlc,
                              recorded_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute((
        entity,
        record_id.to_string(),
        field,
        lost.to_string(),
        lost_clock.to_string(),
        won.to_string(),
        won_clock.to_string(),
        now,
    ))
    .map_err(Error::from)?;
    Ok(())
}

#[cfg(test)]
mod deferred_index_tests {
    use super::*;

    fn indexes(store: &Store) -> Vec<String> {
        let mut stmt = store
            .conn
            .prepare("SELECT name FROM sqlite_schema WHERE type = 'index' AND sql IS NOT NULL ORDER BY name")
            .unwrap();
        let names = stmt.query_map([], |r| r.get(0)).unwrap();
        names.collect::<rusqlite::Result<_>>().unwrap()
    }

    #[test]
    fn a_first_download_drops_the_record_indexes_and_builds_them_again() {
        let mut store = Store::in_memory().unwrap();
        let all = indexes(&store);
        assert!(all.iter().any(|n| n == "contact_email"), "{all:?}");
        store.defer_indexes().unwrap();
        let during = indexes(&store);
        assert!(!during.iter().any(|n| n == "contact_email"), "{during:?}");
        // Asked twice (a download started again), the first definitions are kept.
        store.defer_indexes().unwrap();
        store.restore_deferred_indexes().unwrap();
        assert_eq!(indexes(&store), all);
        store.restore_deferred_indexes().unwrap();
        assert_eq!(indexes(&store), all);
    }

    #[test]
    fn a_first_download_cut_off_by_a_crash_has_its_indexes_again_when_the_store_opens() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::init(dir.path()).unwrap();
        let all = indexes(&store);
        store.defer_indexes().unwrap();
        drop(store);
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(indexes(&store), all);
    }
}
