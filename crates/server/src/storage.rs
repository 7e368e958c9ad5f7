//! The one storage interface of the server. Two implementations sit behind it — SQLite (the
//! embedded default, for a pilot and for tests) and PostgreSQL (production) — and one test suite
//! (`tests/storage.rs`) runs against both.

use crate::error::{Result, ServerError};
use crate::postgres::PostgresStorage;
use crate::sqlite::SqliteStorage;
use serde::Serialize;
use uuid::Uuid;
use wijkwerk_protocol::wire::{Cursor, PullResponse, PushAck, PushChangeSet};

/// Who a token belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Principal {
    pub tenant_id: i64,
    pub tenant: String,
    pub user_id: i64,
    pub user: String,
    pub role: Role,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Reads and writes.
    Coordinator,
    /// Reads only.
    Reader,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Coordinator => "coordinator",
            Role::Reader => "reader",
        }
    }
    pub fn parse(text: &str) -> Result<Role> {
        match text {
            "coordinator" => Ok(Role::Coordinator),
            "reader" | "read-only" | "readonly" => Ok(Role::Reader),
            other => Err(ServerError::BadRequest(format!(
                "unknown role {other:?}: coordinator or reader"
            ))),
        }
    }
}

/// Limits a push is checked against before anything is written.
#[derive(Debug, Clone, Copy)]
pub struct PushLimits {
    /// The server's clock now (ms since the epoch).
    pub now_ms: u64,
    /// How far ahead of `now_ms` a field's clock may be.
    pub max_skew_ms: u64,
}

/// The storage: SQLite or PostgreSQL, chosen by the `--db` argument.
pub enum Storage {
    Sqlite(SqliteStorage),
    Postgres(PostgresStorage),
}

impl Storage {
    /// Opens the storage named by `db`: a `postgres://` URL, or the path of an SQLite file.
    /// Creates or migrates its tables.
    pub async fn open(db: &str) -> Result<Storage> {
        if db.starts_with("postgres://") || db.starts_with("postgresql://") {
            Ok(Storage::Postgres(PostgresStorage::open(db).await?))
        } else {
            Ok(Storage::Sqlite(
                SqliteStorage::open(std::path::Path::new(db)).await?,
            ))
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Storage::Sqlite(_) => "sqlite",
            Storage::Postgres(_) => "postgres",
        }
    }

    pub async fn add_tenant(&self, name: &str) -> Result<i64> {
        check_name("tenant", name)?;
        match self {
            Storage::Sqlite(s) => s.add_tenant(name).await,
            Storage::Postgres(s) => s.add_tenant(name).await,
        }
    }

    /// Adds a user (or gives an existing one a new token) and stores the token's hash.
    pub async fn add_user(
        &self,
        tenant: &str,
        name: &str,
        role: Role,
        token_hash: &str,
    ) -> Result<()> {
        check_name("user", name)?;
        match self {
            Storage::Sqlite(s) => s.add_user(tenant, name, role, token_hash).await,
            Storage::Postgres(s) => s.add_user(tenant, name, role, token_hash).await,
        }
    }

    /// Revokes every token of a user; returns how many were revoked.
    pub async fn revoke_tokens(&self, tenant: &str, name: &str) -> Result<u64> {
        match self {
            Storage::Sqlite(s) => s.revoke_tokens(tenant, name).await,
            Storage::Postgres(s) => s.revoke_tokens(tenant, name).await,
        }
    }

    pub async fn authenticate(&self, token_hash: &str) -> Result<Option<Principal>> {
        match self {
            Storage::Sqlite(s) => s.authenticate(token_hash).await,
            Storage::Postgres(s) => s.authenticate(token_hash).await,
        }
    }

    /// Applies changesets in one database transaction; one acknowledgement each.
    pub async fn push(
        &self,
        tenant_id: i64,
        client_id: Uuid,
        changesets: Vec<PushChangeSet>,
        limits: PushLimits,
    ) -> Result<Vec<PushAck>> {
        match self {
            Storage::Sqlite(s) => s.push(tenant_id, client_id, changesets, limits).await,
            Storage::Postgres(s) => s.push(tenant_id, client_id, changesets, limits).await,
        }
    }

    /// The changes after `cursor`, at most about `limit` fields (a server transaction is never
    /// split over two pages).
    pub async fn pull(&self, tenant_id: i64, cursor: Cursor, limit: usize) -> Result<PullResponse> {
        match self {
            Storage::Sqlite(s) => s.pull(tenant_id, cursor, limit).await,
            Storage::Postgres(s) => s.pull(tenant_id, cursor, limit).await,
        }
    }

    /// Stores a calendar feed token (its hash) for a user.
    pub async fn add_feed_token(&self, tenant: &str, name: &str, token_hash: &str) -> Result<()> {
        match self {
            Storage::Sqlite(s) => s.add_feed_token(tenant, name, token_hash).await,
            Storage::Postgres(s) => s.add_feed_token(tenant, name, token_hash).await,
        }
    }

    /// Revokes every calendar feed token of a user.
    pub async fn revoke_feed_tokens(&self, tenant: &str, name: &str) -> Result<u64> {
        match self {
            Storage::Sqlite(s) => s.revoke_feed_tokens(tenant, name).await,
            Storage::Postgres(s) => s.revoke_feed_tokens(tenant, name).await,
        }
    }

    /// The tenant (id, name) a live feed token belongs to.
    pub async fn feed_tenant(&self, token_hash: &str) -> Result<Option<(i64, String)>> {
        match self {
            Storage::Sqlite(s) => s.feed_tenant(token_hash).await,
            Storage::Postgres(s) => s.feed_tenant(token_hash).await,
        }
    }

    /// Every stored field of these entities of a tenant, one record change per record.
    pub async fn records(
        &self,
        tenant_id: i64,
        entities: Vec<String>,
    ) -> Result<Vec<wijkwerk_protocol::RecordChange>> {
        match self {
            Storage::Sqlite(s) => s.records(tenant_id, entities).await,
            Storage::Postgres(s) => s.records(tenant_id, entities).await,
        }
    }

    /// Checks that the database answers.
    pub async fn health(&self) -> Result<()> {
        match self {
            Storage::Sqlite(s) => s.health().await,
            Storage::Postgres(s) => s.health().await,
        }
    }
}

fn check_name(what: &str, name: &str) -> Result<()> {
    let ok = !name.trim().is_empty()
        && name.len() <= 100
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || " -_.@'".contains(c));
    if ok {
        Ok(())
    } else {
        Err(ServerError::BadRequest(format!(
            "{what} name {name:?} must be 1 to 100 letters, digits, spaces or -_.@'"
        )))
    }
}

/// Checks a changeset before it is applied: clocks not too far ahead, names and sizes sane.
/// Returns the refusal (code, reason) if it must be refused.
pub fn check_changeset(set: &PushChangeSet, limits: PushLimits) -> Option<(String, String)> {
    let limit = limits.now_ms.saturating_add(limits.max_skew_ms);
    for change in &set.changes {
        let name_ok = |n: &str| {
            !n.is_empty()
                && n.len() <= 64
                && n.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        };
        if !name_ok(&change.entity) {
            return Some((
                "bad_request".into(),
                format!("entity name {:?} is not valid", change.entity),
            ));
        }
        if change.fields.len() > 200 {
            return Some((
                "bad_request".into(),
                format!("{} {} has more than 200 fields", change.entity, change.id),
            ));
        }
        for (field, stamped) in &change.fields {
            if !name_ok(field) {
                return Some((
                    "bad_request".into(),
                    format!("field name {field:?} is not valid"),
                ));
            }
            if stamped.hlc.wall_ms > limit {
                let ahead_s = (stamped.hlc.wall_ms - limits.now_ms) / 1000;
                return Some((
                    "clock_skew".into(),
                    format!(
                        "{}.{} is stamped {} ahead of the server's clock (at most {} s allowed); \
                         set the computer's clock right and synchronise again",
                        change.entity,
                        field,
                        human_seconds(ahead_s),
                        limits.max_skew_ms / 1000
                    ),
                ));
            }
            let size = stamped.value.to_string().len();
            if size > 1_000_000 {
                return Some((
                    "too_large".into(),
                    format!(
                        "{}.{} holds {size} bytes (at most 1 MB)",
                        change.entity, field
                    ),
                ));
            }
        }
    }
    None
}

/// One field write of a changeset, after later writes of the same field in the same
/// changeset have replaced earlier ones (a record created and changed in one local transaction
/// carries one clock for both writes, so only the order tells which came last).
#[derive(Debug, Clone, PartialEq)]
pub struct FieldWrite<'a> {
    pub entity: &'a str,
    pub record_id: Uuid,
    pub field: &'a str,
    pub value: &'a wijkwerk_protocol::StampedValue,
}

pub fn field_writes(set: &PushChangeSet) -> Vec<FieldWrite<'_>> {
    let mut order: Vec<(&str, Uuid, &str)> = Vec::new();
    let mut latest: std::collections::HashMap<
        (&str, Uuid, &str),
        &wijkwerk_protocol::StampedValue,
    > = std::collections::HashMap::new();
    for change in &set.changes {
        for (field, value) in &change.fields {
            let key = (change.entity.as_str(), change.id, field.as_str());
            if latest.insert(key, value).is_none() {
                order.push(key);
            }
        }
    }
    order
        .into_iter()
        .filter_map(|key| {
            latest.get(&key).map(|value| FieldWrite {
                entity: key.0,
                record_id: key.1,
                field: key.2,
                value,
            })
        })
        .collect()
}

fn human_seconds(s: u64) -> String {
    if s >= 86_400 {
        format!("{:.1} days", s as f64 / 86_400.0)
    } else if s >= 3600 {
        format!("{:.1} hours", s as f64 / 3600.0)
    } else {
        format!("{s} seconds")
    }
}

/// A field as the storages key it: (entity, record id, field).
pub type FieldKey = (String, String, String);

/// What a push will write, decided in memory before anything is written, so that both storages
/// write the same and PostgreSQL can write a whole push in a few statements.
#[derive(Debug, Default)]
pub struct PushPlan {
    pub acks: Vec<PushAck>,
    /// The new state of every field that changed (the last write per field).
    pub fields: Vec<PlannedField>,
    pub conflicts: Vec<PlannedConflict>,
    /// One server transaction per applied changeset.
    pub transactions: Vec<PlannedTransaction>,
    /// The tenant's sequence after the push.
    pub head: i64,
}

#[derive(Debug, Clone)]
pub struct PlannedField {
    pub key: FieldKey,
    pub value: String,
    pub hlc: String,
    pub seq: i64,
}

#[derive(Debug, Clone)]
pub struct PlannedConflict {
    pub seq: i64,
    pub key: FieldKey,
    pub lost_value: String,
    pub lost_hlc: String,
    pub won_value: String,
    pub won_hlc: String,
}

#[derive(Debug, Clone)]
pub struct PlannedTransaction {
    pub seq: i64,
    pub tx_id: Uuid,
    pub client_seq: i64,
    pub client_tx_id: Uuid,
}

/// Every field a push touches, each once.
pub fn push_keys(changesets: &[PushChangeSet]) -> Vec<FieldKey> {
    let mut seen = std::collections::HashSet::new();
    let mut keys = Vec::new();
    for set in changesets {
        for change in &set.changes {
            for field in change.fields.keys() {
                let key = (change.entity.clone(), change.id.to_string(), field.clone());
                if seen.insert(key.clone()) {
                    keys.push(key);
                }
            }
        }
    }
    keys
}

/// Decides a push: `done` maps client sequences already applied to their server sequence;
/// `current` holds the stored state of the fields the push touches.
pub fn plan_push(
    head: i64,
    changesets: &[PushChangeSet],
    done: &std::collections::HashMap<i64, i64>,
    mut current: std::collections::HashMap<FieldKey, crate::merge::FieldState>,
    limits: PushLimits,
) -> PushPlan {
    use crate::merge::{decide, Decision, FieldState};
    use wijkwerk_protocol::wire::PushOutcome;
    let mut plan = PushPlan {
        head,
        ..PushPlan::default()
    };
    let mut applied_now: std::collections::HashMap<i64, i64> = std::collections::HashMap::new();
    let mut latest: std::collections::HashMap<FieldKey, usize> = std::collections::HashMap::new();
    for set in changesets {
        if let Some(seq) = done
            .get(&set.client_seq)
            .or(applied_now.get(&set.client_seq))
        {
            plan.acks.push(PushAck {
                client_seq: set.client_seq,
                outcome: PushOutcome::Duplicate { seq: *seq },
            });
            continue;
        }
        if let Some((code, reason)) = check_changeset(set, limits) {
            plan.acks.push(PushAck {
                client_seq: set.client_seq,
                outcome: PushOutcome::Refused { code, reason },
            });
            continue;
        }
        let seq = plan.head + 1;
        for write in field_writes(set) {
            let key = (
                write.entity.to_owned(),
                write.record_id.to_string(),
                write.field.to_owned(),
            );
            let now = current.get(&key);
            let (take, lost) = match decide(now, write.value) {
                Decision::Same => continue,
                Decision::Take { lost } => (true, lost),
                Decision::Keep { lost } => (false, lost),
            };
            let incoming = FieldState {
                value: write.value.value.clone(),
                hlc: write.value.hlc,
            };
            if let Some(lost) = lost {
                let won = if take {
                    incoming.clone()
                } else {
                    now.cloned().unwrap_or(incoming.clone())
                };
                plan.conflicts.push(PlannedConflict {
                    seq,
                    key: key.clone(),
                    lost_value: lost.value.to_string(),
                    lost_hlc: lost.hlc.to_string(),
                    won_value: won.value.to_string(),
                    won_hlc: won.hlc.to_string(),
                });
            }
            if take {
                let planned = PlannedField {
                    key: key.clone(),
                    value: incoming.value.to_string(),
                    hlc: incoming.hlc.to_string(),
                    seq,
                };
                match latest.get(&key) {
                    Some(&i) => plan.fields[i] = planned,
                    None => {
                        latest.insert(key.clone(), plan.fields.len());
                        plan.fields.push(planned);
                    }
                }
                current.insert(key, incoming);
            }
        }
        plan.transactions.push(PlannedTransaction {
            seq,
            tx_id: Uuid::now_v7(),
            client_seq: set.client_seq,
            client_tx_id: set.tx_id,
        });
        applied_now.insert(set.client_seq, seq);
        plan.head = seq;
        plan.acks.push(PushAck {
            client_seq: set.client_seq,
            outcome: PushOutcome::Applied { seq },
        });
    }
    plan
}

/// Gathers stored field rows (in any order) into one record change per record, in the order
/// records first appear. Shared by both storages' pulls and record loads.
#[derive(Default)]
pub struct RecordsBuilder {
    records: Vec<wijkwerk_protocol::RecordChange>,
    index: std::collections::HashMap<(String, String), usize>,
}

impl RecordsBuilder {
    /// Adds one stored field: its value as JSON text and its clock as text.
    pub fn add(
        &mut self,
        entity: String,
        record: String,
        field: String,
        value: &str,
        hlc: &str,
    ) -> Result<()> {
        let stored = |e: String| ServerError::StoredData(e);
        let value: serde_json::Value =
            serde_json::from_str(value).map_err(|e| stored(e.to_string()))?;
        let hlc: wijkwerk_protocol::Hlc = hlc
            .parse()
            .map_err(|e: wijkwerk_protocol::HlcParseError| stored(e.to_string()))?;
        let at = match self.index.get(&(entity.clone(), record.clone())) {
            Some(at) => *at,
            None => {
                let id = Uuid::parse_str(&record).map_err(|e| stored(e.to_string()))?;
                self.records.push(wijkwerk_protocol::RecordChange {
                    entity: entity.clone(),
                    id,
                    fields: Default::default(),
                });
                self.index.insert((entity, record), self.records.len() - 1);
                self.records.len() - 1
            }
        };
        self.records[at]
            .fields
            .insert(field, wijkwerk_protocol::StampedValue::new(value, hlc));
        Ok(())
    }

    pub fn finish(self) -> Vec<wijkwerk_protocol::RecordChange> {
        self.records
    }
}
