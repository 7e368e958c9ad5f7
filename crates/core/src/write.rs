//! The one door for every write.
//!
//! [`Store::write`] is the only function that changes domain records on behalf of the user
//! (the CLI, the desktop app, importers and the demo generator all call it; the sync merge in
//! `merge.rs` is its counterpart for changes from elsewhere). In one SQLite transaction it
//! checks every change, writes the rows, stamps each changed field with one hybrid logical clock
//! reading, appends the transaction's changes to the outbox, and persists the clock. Either the
//! whole batch is written or nothing is.

use crate::error::{Error, Invalid, Result};
use crate::row::{self, StoredRow};
use crate::rules;
use crate::schema::{Entity, FieldKind};
use crate::store::Store;
use crate::values;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use uuid::Uuid;
use wijkwerk_protocol::{ChangeSet, Hlc, RecordChange, StampedValue, DELETED_FIELD};

/// Field values by name, as callers give them (JSON).
pub type Fields = Map<String, Value>;

/// One change in a batch.
#[derive(Debug, Clone, PartialEq)]
pub struct Write {
    pub entity: Entity,
    pub id: Uuid,
    pub op: Op,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    /// A new record with these fields (defaults fill what is left out).
    Create(Fields),
    /// New values for some fields of a live record.
    Update(Fields),
    /// Marks the record deleted (a tombstone; undo with `Restore`).
    Delete,
    /// Brings back a deleted record.
    Restore,
}

impl Write {
    /// A new record with a fresh id (UUIDv7). For attendance and invitations the id is derived
    /// from the pair it links, whatever is given here.
    pub fn create(entity: Entity, fields: Fields) -> Write {
        Write {
            entity,
            id: Uuid::now_v7(),
            op: Op::Create(fields),
        }
    }
    pub fn update(entity: Entity, id: Uuid, fields: Fields) -> Write {
        Write {
            entity,
            id,
            op: Op::Update(fields),
        }
    }
    pub fn delete(entity: Entity, id: Uuid) -> Write {
        Write {
            entity,
            id,
            op: Op::Delete,
        }
    }
    pub fn restore(entity: Entity, id: Uuid) -> Write {
        Write {
            entity,
            id,
            op: Op::Restore,
        }
    }
}

/// What a committed batch did.
#[derive(Debug, Clone, PartialEq)]
pub struct Committed {
    /// The clock reading stamped on every field written (none if nothing changed).
    pub hlc: Option<Hlc>,
    /// The records written, in order, with their final ids.
    pub records: Vec<(Entity, Uuid)>,
}

/// The id of the record that links `a` and `b` (attendance of a contact at a meeting, invitation
/// of a contact to a visit, the werkkapitaal of a municipality for a year): the same on every
/// laptop, so concurrent check-ins merge.
pub fn pair_id(entity: Entity, a: &str, b: &str) -> Uuid {
    let namespace = Uuid::new_v5(&Uuid::NAMESPACE_OID, entity.name().as_bytes());
    Uuid::new_v5(&namespace, format!("{a}/{b}").as_bytes())
}

impl Store {
    /// Writes a batch of changes as one transaction: everything or nothing.
    pub fn write(&mut self, batch: Vec<Write>) -> Result<Committed> {
        self.write_and_record(batch, |_, _| Ok(()))
    }

    /// Writes a batch like [`Store::write`], and in the same transaction lets `record` keep
    /// this laptop's own bookkeeping of it (an import's undo), given the records written. Not
    /// called when the batch changes nothing.
    pub(crate) fn write_and_record(
        &mut self,
        batch: Vec<Write>,
        record: impl FnOnce(&rusqlite::Transaction, &[(Entity, Uuid)]) -> Result<()>,
    ) -> Result<Committed> {
        let hlc = self.clock.tick();
        let today = crate::today();
        let now = jiff::Timestamp::now();
        let tx = self.conn.transaction()?;
        let mut changes: Vec<RecordChange> = Vec::with_capacity(batch.len());
        let mut records = Vec::with_capacity(batch.len());
        let explicit_events = explicit_status_events(&batch);
        let docs = std::cell::RefCell::new(crate::search_index::SearchDocs::default());
        let mut queue: std::collections::VecDeque<Write> = batch.into();
        while let Some(write) = queue.pop_front() {
            let ctx = Context {
                conn: &tx,
                docs: &docs,
                today,
                now,
            };
            let write = rules::follow_up(&ctx, write)?;
            let outcome = apply_one(&ctx, write, hlc)?;
            records.push((outcome.entity, outcome.id));
            if let Some(status_change) = outcome.status_change {
                if !explicit_events.contains(&outcome.id) {
                    queue.push_back(status_event(outcome.id, status_change, now));
                }
            }
            if !outcome.change.fields.is_empty() {
                // A record written twice in one batch is one change: the later values replace
                // the earlier ones (both carry the batch's one clock, so order must decide here).
                match changes
                    .iter_mut()
                    .find(|c| c.entity == outcome.change.entity && c.id == outcome.change.id)
                {
                    Some(earlier) => {
                        for (name, value) in outcome.change.fields {
                            // The clock before the batch is the one the first write saw.
                            let base = match earlier.fields.get(&name) {
                                Some(first) => first.base,
                                None => value.base,
                            };
                            earlier.fields.insert(name, StampedValue { base, ..value });
                        }
                    }
                    None => changes.push(outcome.change),
                }
            }
        }
        if changes.is_empty() {
            return Ok(Committed { hlc: None, records });
        }
        let set = ChangeSet {
            tx_id: Uuid::now_v7(),
            hlc,
            changes,
        };
        let json = outbox_text(&set.changes)?;
        tx.prepare_cached("INSERT INTO outbox(tx_id, hlc, changes) VALUES (?1, ?2, ?3)")?
            .execute((set.tx_id.to_string(), hlc.to_string(), json))?;
        self.clock.persist(&tx)?;
        docs.into_inner().flush(&tx)?;
        record(&tx, &records)?;
        tx.commit()?;
        Ok(Committed {
            hlc: Some(hlc),
            records,
        })
    }

    /// Creates one record and returns its id.
    pub fn create(&mut self, entity: Entity, fields: Fields) -> Result<Uuid> {
        let committed = self.write(vec![Write::create(entity, fields)])?;
        committed
            .records
            .first()
            .map(|(_, id)| *id)
            .ok_or_else(|| Error::StoredData("the write returned no record".into()))
    }

    /// Changes some fields of one record.
    pub fn update(&mut self, entity: Entity, id: Uuid, fields: Fields) -> Result<()> {
        self.write(vec![Write::update(entity, id, fields)])
            .map(drop)
    }

    /// Deletes one record (a tombstone that [`Store::restore`] undoes).
    pub fn delete(&mut self, entity: Entity, id: Uuid) -> Result<()> {
        self.write(vec![Write::delete(entity, id)]).map(drop)
    }

    /// Undoes a delete.
    pub fn restore(&mut self, entity: Entity, id: Uuid) -> Result<()> {
        self.write(vec![Write::restore(entity, id)]).map(drop)
    }

    /// Number of local transactions waiting to be pushed.
    pub fn outbox_len(&self) -> Result<i64> {
        Ok(self
            .conn
            .query_row("SELECT count(*) FROM outbox", [], |r| r.get(0))?)
    }

    /// The local transactions waiting to be pushed, oldest first.
    pub fn outbox(&self, limit: usize) -> Result<Vec<(i64, ChangeSet)>> {
        self.outbox_page(0, limit)
    }

    /// The local transactions after outbox position `after`, oldest first.
    pub fn outbox_page(&self, after: i64, limit: usize) -> Result<Vec<(i64, ChangeSet)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT seq, tx_id, hlc, changes FROM outbox WHERE seq > ?1 ORDER BY seq LIMIT ?2",
        )?;
        let rows = stmt.query_map((after, limit as i64), |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (seq, tx_id, hlc, changes) = row?;
            let bad = |e: String| Error::StoredData(format!("outbox entry {seq}: {e}"));
            let hlc_value: Hlc = hlc
                .parse()
                .map_err(|e: wijkwerk_protocol::HlcParseError| bad(e.to_string()))?;
            out.push((
                seq,
                ChangeSet {
                    tx_id: tx_id.parse().map_err(|e: uuid::Error| bad(e.to_string()))?,
                    hlc: hlc
                        .parse()
                        .map_err(|e: wijkwerk_protocol::HlcParseError| bad(e.to_string()))?,
                    changes: outbox_changes(&changes, hlc_value).map_err(|e| bad(e.to_string()))?,
                },
            ));
        }
        Ok(out)
    }
}

/// A record change as the outbox keeps it: every field of a local transaction carries the
/// transaction's clock, so the clock is stored once per transaction, not once per field.
#[derive(serde::Serialize, serde::Deserialize)]
struct OutboxChange {
    entity: String,
    id: Uuid,
    fields: BTreeMap<String, Value>,
    /// The clock each field had before this write, where it had one.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    base: BTreeMap<String, Hlc>,
}

pub(crate) fn outbox_text(changes: &[RecordChange]) -> Result<String> {
    let compact: Vec<OutboxChange> = changes
        .iter()
        .map(|c| OutboxChange {
            entity: c.entity.clone(),
            id: c.id,
            fields: c
                .fields
                .iter()
                .map(|(k, v)| (k.clone(), v.value.clone()))
                .collect(),
            base: c
                .fields
                .iter()
                .filter_map(|(k, v)| v.base.map(|b| (k.clone(), b)))
                .collect(),
        })
        .collect();
    serde_json::to_string(&compact).map_err(|e| Error::StoredData(e.to_string()))
}

pub(crate) fn outbox_changes(text: &str, hlc: Hlc) -> serde_json::Result<Vec<RecordChange>> {
    let compact: Vec<OutboxChange> = serde_json::from_str(text)?;
    Ok(compact
        .into_iter()
        .map(|c| {
            let base = c.base;
            RecordChange {
                entity: c.entity,
                id: c.id,
                fields: c
                    .fields
                    .into_iter()
                    .map(|(k, value)| {
                        let base = base.get(&k).copied();
                        (k, StampedValue { value, hlc, base })
                    })
                    .collect(),
            }
        })
        .collect())
}

pub(crate) struct Context<'a> {
    pub conn: &'a rusqlite::Connection,
    pub docs: &'a std::cell::RefCell<crate::search_index::SearchDocs>,
    pub today: jiff::civil::Date,
    pub now: jiff::Timestamp,
}

struct Outcome {
    entity: Entity,
    id: Uuid,
    change: RecordChange,
    /// `(from, to)` when an action point's status changed.
    status_change: Option<(Value, Value)>,
}

fn apply_one(ctx: &Context<'_>, write: Write, hlc: Hlc) -> Result<Outcome> {
    let Write { entity, mut id, op } = write;
    let mut op = op;
    // Pair records (attendance, invitations) have a derived id; creating one that exists
    // updates it instead, so that checking someone in twice is harmless.
    if let (Op::Create(fields), Some((a, b))) = (&op, entity.pair_key()) {
        let key = |name: &str| -> Result<String> {
            let value = fields
                .get(name)
                .filter(|v| !v.is_null())
                .ok_or_else(|| Error::invalid(entity, name, Invalid::Required))?;
            let kind = entity
                .field(name)
                .map_or(FieldKind::Ref(entity), |f| f.kind);
            values::normalise(kind, value, None)
                .map(|v| match v {
                    Value::String(s) => s,
                    other => other.to_string(),
                })
                .map_err(|reason| Error::invalid(entity, name, reason))
        };
        id = pair_id(entity, &key(a)?, &key(b)?);
        if let Some(existing) = row::read(ctx.conn, entity, id)? {
            let mut fields = fields.clone();
            fields.remove(a);
            fields.remove(b);
            if existing.deleted {
                fields.insert(DELETED_FIELD.into(), Value::Bool(false));
            }
            op = Op::Update(fields);
        }
    }
    let existing = row::read(ctx.conn, entity, id)?;
    let mut change = RecordChange {
        entity: entity.name().to_owned(),
        id,
        fields: BTreeMap::new(),
    };
    let stamp = |change: &mut RecordChange, name: &str, value: &Value, base: Option<Hlc>| {
        change.fields.insert(
            name.to_owned(),
            StampedValue {
                value: value.clone(),
                hlc,
                base,
            },
        );
    };
    let mut status_change = None;
    match op {
        Op::Create(given) => {
            if existing.is_some() {
                return Err(Error::AlreadyExists { entity, id });
            }
            let mut given = given;
            rules::fill_defaults(ctx, entity, &mut given)?;
            let fields = normalise_all(entity, &given, None)?;
            let mut row = StoredRow {
                local_seq: 0,
                deleted: false,
                fields: Map::new(),
                clocks: BTreeMap::new(),
                extra: BTreeMap::new(),
            };
            for field in entity.fields() {
                let value = fields.get(field.name).cloned().unwrap_or(Value::Null);
                if !value.is_null() {
                    row.clocks.insert(field.name.to_owned(), hlc);
                    stamp(&mut change, field.name, &value, None);
                }
                row.fields.insert(field.name.to_owned(), value);
            }
            check_record(ctx, entity, id, &row.fields, None)?;
            row.local_seq = row::insert(ctx.conn, entity, id, &row)?;
            ctx.docs.borrow_mut().touch(entity, &row, true, None);
            if entity == Entity::ActionPoint {
                status_change = Some((Value::Null, row.fields["status"].clone()));
            }
        }
        Op::Update(given) => {
            let Some(mut row) = existing else {
                return Err(Error::NotFound { entity, id });
            };
            refuse_if_erased(entity, &row)?;
            let mut given = given;
            let restore = matches!(given.remove(DELETED_FIELD), Some(Value::Bool(false)));
            if row.deleted && !restore {
                return Err(Error::NotFound { entity, id });
            }
            if let Some((a, b)) = entity.pair_key() {
                for name in [a, b] {
                    if given.get(name).is_some_and(|v| *v != row.fields[name]) {
                        return Err(Error::invalid(
                            entity,
                            name,
                            Invalid::Rule("cannot be changed; delete and add instead".into()),
                        ));
                    }
                }
            }
            let zone = given
                .get("time_zone")
                .and_then(Value::as_str)
                .or_else(|| row.fields.get("time_zone").and_then(Value::as_str))
                .map(str::to_owned);
            let fields = normalise_all(entity, &given, zone.as_deref())?;
            let before = row.fields.clone();
            let mut changed: Vec<&'static str> = Vec::new();
            for field in entity.fields() {
                if let Some(value) = fields.get(field.name) {
                    if row.fields.get(field.name) != Some(value) {
                        row.fields.insert(field.name.to_owned(), value.clone());
                        let base = row.clocks.insert(field.name.to_owned(), hlc);
                        stamp(&mut change, field.name, value, base);
                        changed.push(field.name);
                    }
                }
            }
            if restore {
                row.deleted = false;
                let base = row.clocks.insert(DELETED_FIELD.into(), hlc);
                stamp(&mut change, DELETED_FIELD, &Value::Bool(false), base);
            }
            if !changed.is_empty() {
                check_record(ctx, entity, id, &row.fields, Some((&before, &changed)))?;
            }
            if !change.fields.is_empty() {
                row::update(ctx.conn, entity, id, &row, &changed)?;
                let touched = (!restore).then_some(changed.as_slice());
                ctx.docs.borrow_mut().touch(entity, &row, false, touched);
            }
            if entity == Entity::ActionPoint && changed.contains(&"status") {
                status_change = Some((before["status"].clone(), row.fields["status"].clone()));
            }
        }
        Op::Delete | Op::Restore => {
            let deleting = op == Op::Delete;
            let Some(mut row) = existing else {
                return Err(Error::NotFound { entity, id });
            };
            if !deleting {
                refuse_if_erased(entity, &row)?;
            }
            if row.deleted != deleting {
                row.deleted = deleting;
                let base = row.clocks.insert(DELETED_FIELD.into(), hlc);
                stamp(&mut change, DELETED_FIELD, &Value::Bool(deleting), base);
                row::update(ctx.conn, entity, id, &row, &[])?;
                ctx.docs.borrow_mut().touch(entity, &row, false, None);
            }
        }
    }
    Ok(Outcome {
        entity,
        id,
        change,
        status_change,
    })
}

/// An erased record is sealed: it is not changed or brought back (`erasure.rs`).
fn refuse_if_erased(entity: Entity, row: &StoredRow) -> Result<()> {
    match row.fields.get(wijkwerk_protocol::ERASED_FIELD) {
        Some(Value::String(on)) => Err(Error::invalid(
            entity,
            wijkwerk_protocol::ERASED_FIELD,
            Invalid::Erased { on: on.clone() },
        )),
        _ => Ok(()),
    }
}

/// Checks fields against the schema as [`Store::write`] will, without writing: for an importer
/// that skips what the store would refuse instead of refusing everything.
pub(crate) fn check_values(entity: Entity, fields: &Fields) -> Result<()> {
    normalise_all(entity, fields, None).map(|_| ())
}

/// Checks the given fields against the schema and brings them into normal form.
fn normalise_all(entity: Entity, given: &Fields, zone: Option<&str>) -> Result<Fields> {
    // The zone is checked first: instants without an offset are read in it.
    let zone_given = match given.get("time_zone") {
        Some(value) if entity.field("time_zone").is_some() => {
            values::normalise(FieldKind::TimeZone, value, None)
                .map_err(|reason| Error::invalid(entity, "time_zone", reason))?
                .as_str()
                .map(str::to_owned)
        }
        _ => None,
    };
    let zone = zone_given.as_deref().or(zone);
    let mut out = Map::new();
    for (name, value) in given {
        if name == "id" {
            continue;
        }
        let field = entity
            .field(name)
            .ok_or_else(|| Error::invalid(entity, name.as_str(), Invalid::UnknownField))?;
        let value = values::normalise(field.kind, value, zone)
            .map_err(|reason| Error::invalid(entity, name.as_str(), reason))?;
        out.insert(name.clone(), value);
    }
    Ok(out)
}

/// Checks a whole record: required fields, references, and the entity's own rules. On update,
/// `changed` names the fields that changed (only those references are checked again).
fn check_record(
    ctx: &Context<'_>,
    entity: Entity,
    id: Uuid,
    fields: &Fields,
    changed: Option<(&Fields, &[&str])>,
) -> Result<()> {
    for field in entity.fields() {
        let value = fields.get(field.name).unwrap_or(&Value::Null);
        if field.required && value.is_null() {
            let reason = if changed.is_some() {
                Invalid::Empty
            } else {
                Invalid::Required
            };
            return Err(Error::invalid(entity, field.name, reason));
        }
        let is_changed = changed.is_none_or(|(_, names)| names.contains(&field.name));
        if !is_changed {
            continue;
        }
        match (field.kind, value) {
            (FieldKind::Ref(target), Value::String(target_id))
                if !row::is_live(ctx.conn, target, target_id)? =>
            {
                return Err(Error::invalid(
                    entity,
                    field.name,
                    Invalid::UnknownReference {
                        entity: target,
                        id: target_id.clone(),
                    },
                ));
            }
            (FieldKind::RefList(target), Value::Array(ids)) => {
                for target_id in ids.iter().filter_map(Value::as_str) {
                    if !row::is_live(ctx.conn, target, target_id)? {
                        return Err(Error::invalid(
                            entity,
                            field.name,
                            Invalid::UnknownReference {
                                entity: target,
                                id: target_id.to_owned(),
                            },
                        ));
                    }
                }
            }
            _ => {}
        }
    }
    rules::check(ctx, entity, id, fields)
}

/// Action points whose status-change event the batch writes itself (the demo's history,
/// a status change with a comment): no automatic event for those.
fn explicit_status_events(batch: &[Write]) -> Vec<Uuid> {
    batch
        .iter()
        .filter(|w| w.entity == Entity::ActionPointEvent)
        .filter_map(|w| match &w.op {
            Op::Create(f) if f.get("kind").and_then(Value::as_str) == Some("status_change") => f
                .get("action_point_id")
                .and_then(Value::as_str)
                .and_then(|s| Uuid::parse_str(s).ok()),
            _ => None,
        })
        .collect()
}

fn status_event(action_point: Uuid, (from, to): (Value, Value), now: jiff::Timestamp) -> Write {
    let mut fields = Map::new();
    fields.insert("action_point_id".into(), action_point.to_string().into());
    fields.insert("kind".into(), "status_change".into());
    fields.insert("from_status".into(), from);
    fields.insert("to_status".into(), to);
    fields.insert("at".into(), now.to_string().into());
    Write::create(Entity::ActionPointEvent, fields)
}
