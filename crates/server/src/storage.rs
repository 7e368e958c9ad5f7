//! The one storage interface of the server. Two implementations sit behind it — SQLite (the
//! embedded default, for a pilot and for tests) and PostgreSQL (production) — and one test suite
//! (`tests/storage.rs`) runs against both.

use crate::audit::{token_id, AuditEvent, AuditFilter, AuditKind, AuditRecord};
use crate::error::{Result, ServerError};
use crate::postgres::PostgresStorage;
use crate::sqlite::SqliteStorage;
use serde::Serialize;
use std::collections::HashMap;
use uuid::Uuid;
use wijkwerk_protocol::wire::{Cursor, PullResponse, PushAck, PushChangeSet};
use wijkwerk_protocol::{erasure_keeps, erasure_stamp, is_erasable, Hlc, ERASED_FIELD};

/// Who a token belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Principal {
    pub tenant_id: i64,
    pub tenant: String,
    pub user_id: i64,
    pub user: String,
    pub role: Role,
    /// When the token signed in with expires (ms since the epoch).
    pub expires_at_ms: i64,
}

/// A token as stored, found by its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRow {
    pub principal: Principal,
    pub revoked_at_ms: Option<i64>,
    /// The hash of the token this one replaced by a rotation, until this one is first used
    /// (then the old one is revoked and this is cleared).
    pub replaces: Option<String>,
}

/// What a token is worth now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignIn {
    /// A live token.
    Valid(Principal),
    /// A token past its expiry: refused, with its own answer (`token_expired`).
    Expired(Principal),
    /// A revoked token: refused like an unknown one.
    Revoked(Principal),
    /// No such token.
    Unknown,
}

impl SignIn {
    /// The principal of a live token.
    pub fn valid(self) -> Option<Principal> {
        match self {
            SignIn::Valid(p) => Some(p),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Reads and writes.
    Coordinator,
    /// Reads only.
    Reader,
    /// A colleague of a department: no token, only the web pages of their department's
    /// action points ([`crate::web`]).
    Department,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Coordinator => "coordinator",
            Role::Reader => "reader",
            Role::Department => "department",
        }
    }
    pub fn parse(text: &str) -> Result<Role> {
        match text {
            "coordinator" => Ok(Role::Coordinator),
            "reader" | "read-only" | "readonly" => Ok(Role::Reader),
            "department" => Ok(Role::Department),
            other => Err(ServerError::BadRequest(format!(
                "unknown role {other:?}: coordinator or reader"
            ))),
        }
    }
}

/// A token to store: its hash and when it expires.
#[derive(Debug, Clone)]
pub struct NewToken {
    pub hash: String,
    pub expires_at_ms: i64,
}

/// Whose calendar a feed token opens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedOwner {
    pub tenant_id: i64,
    pub tenant: String,
    /// The tenant's head sequence when the token was looked up.
    pub head_seq: i64,
    /// The user the feed token was made for.
    pub user: String,
}

/// A department colleague who signs in on the web pages ([`crate::web`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebUser {
    pub user_id: i64,
    pub tenant_id: i64,
    pub tenant: String,
    pub name: String,
    /// The organisation (of kind department) whose action points the user sees.
    pub department_id: Uuid,
    /// Lower case; sign-in links and reminders go here.
    pub email: Option<String>,
    /// Argon2id, as a PHC string; `None`: only sign-in links.
    pub password_hash: Option<String>,
}

/// How to find a department user.
#[derive(Debug, Clone)]
pub enum WebUserKey {
    Id(i64),
    /// The address, in any case.
    Email(String),
    Name {
        tenant: String,
        name: String,
    },
}

/// A web session as stored (found by the hash of its cookie).
#[derive(Debug, Clone)]
pub struct WebSession {
    pub user: WebUser,
    /// The token every form of the session carries.
    pub csrf: String,
    pub expires_at_ms: i64,
}

/// What a sign-in link was worth when it was used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkUse {
    /// Valid: now used up.
    Valid(WebUser),
    /// Used before.
    Used,
    Expired,
    Unknown,
}

/// The server's own writer in a tenant (the web pages' changes): a client id and clock node
/// of its own, and the next sequence number of its changesets, handed out by the database so
/// that several server processes never use one twice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WebWriterTicket {
    pub client_id: Uuid,
    pub node: wijkwerk_protocol::NodeId,
    pub client_seq: i64,
    /// The wall time of this changeset's clock: after every one handed out before in the
    /// tenant and not before the floor asked for, so no two of the writer's changesets share a
    /// clock, whichever process wrote them.
    pub wall_ms: u64,
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
        let event = AuditEvent::new(AuditKind::TenantAdded).tenant(name);
        match self {
            Storage::Sqlite(s) => s.add_tenant(name, event).await,
            Storage::Postgres(s) => s.add_tenant(name, event).await,
        }
    }

    /// Adds a user (or gives an existing one a new token) and stores the token's hash, valid
    /// until `expires_at_ms`. The audit log gets `user_added` (a new user) and `token_added`.
    pub async fn add_user(
        &self,
        tenant: &str,
        name: &str,
        role: Role,
        token_hash: &str,
        expires_at_ms: i64,
    ) -> Result<()> {
        check_name("user", name)?;
        let token = NewToken {
            hash: token_hash.to_owned(),
            expires_at_ms,
        };
        match self {
            Storage::Sqlite(s) => s.add_user(tenant, name, role, token).await,
            Storage::Postgres(s) => s.add_user(tenant, name, role, token).await,
        }
    }

    /// Revokes every token of a user; returns how many were revoked (in the audit log as one
    /// `token_revoked` with the count).
    pub async fn revoke_tokens(&self, tenant: &str, name: &str) -> Result<u64> {
        let event = AuditEvent::new(AuditKind::TokenRevoked)
            .tenant(tenant)
            .user(name)
            .detail("by", "admin");
        match self {
            Storage::Sqlite(s) => s.revoke_tokens(tenant, name, event).await,
            Storage::Postgres(s) => s.revoke_tokens(tenant, name, event).await,
        }
    }

    /// What the token with this hash is worth now. The first use of a token made by a
    /// rotation revokes the token it replaced (the laptop has the new one: the answer of the
    /// rotation arrived).
    pub async fn authenticate(&self, token_hash: &str) -> Result<SignIn> {
        let row = match self {
            Storage::Sqlite(s) => s.token(token_hash).await?,
            Storage::Postgres(s) => s.token(token_hash).await?,
        };
        let Some(row) = row else {
            return Ok(SignIn::Unknown);
        };
        if row.revoked_at_ms.is_some() {
            return Ok(SignIn::Revoked(row.principal));
        }
        if row.principal.expires_at_ms <= crate::audit::now_ms() {
            return Ok(SignIn::Expired(row.principal));
        }
        if let Some(old) = row.replaces {
            let event = AuditEvent::new(AuditKind::TokenRevoked)
                .tenant(&row.principal.tenant)
                .user(&row.principal.user)
                .detail("token", token_id(&old))
                .detail(
                    "reason",
                    "replaced by a rotation, whose new token is now in use",
                )
                .detail("new_token", token_id(token_hash));
            match self {
                Storage::Sqlite(s) => s.finish_rotation(token_hash, &old, event).await?,
                Storage::Postgres(s) => s.finish_rotation(token_hash, &old, event).await?,
            }
        }
        Ok(SignIn::Valid(row.principal))
    }

    /// Makes a new token for the owner of the live token `old_hash`, valid until
    /// `expires_at_ms`. The old token stays valid until the new one is first used or it
    /// expires itself, so that a laptop whose answer was lost still signs in; a new token made
    /// earlier from the same old one and never used is revoked (a rotation tried again).
    pub async fn rotate_token(
        &self,
        principal: &Principal,
        old_hash: &str,
        new_hash: &str,
        expires_at_ms: i64,
        address: &str,
    ) -> Result<()> {
        let event = AuditEvent::new(AuditKind::TokenRotated)
            .tenant(&principal.tenant)
            .user(&principal.user)
            .address(address)
            .detail("token", token_id(old_hash))
            .detail("new_token", token_id(new_hash))
            .detail("expires", crate::audit::timestamp_text(expires_at_ms));
        let token = NewToken {
            hash: new_hash.to_owned(),
            expires_at_ms,
        };
        match self {
            Storage::Sqlite(s) => s.rotate_token(old_hash, token, event).await,
            Storage::Postgres(s) => s.rotate_token(old_hash, token, event).await,
        }
    }

    /// Writes audit events now, in one transaction.
    pub async fn audit_batch(&self, events: Vec<AuditEvent>) -> Result<()> {
        if events.is_empty() {
            return Ok(());
        }
        match self {
            Storage::Sqlite(s) => s.audit_batch(events).await,
            Storage::Postgres(s) => s.audit_batch(events).await,
        }
    }

    /// Writes one audit event now: for the erasure, the anonymisation and whatever else must
    /// be in the log before the caller goes on (`AuditEvent::erasure(...)`).
    pub async fn audit(&self, event: AuditEvent) -> Result<()> {
        self.audit_batch(vec![event]).await
    }

    /// The audit log's rows that pass the filter, newest first.
    pub async fn audit_list(&self, filter: AuditFilter) -> Result<Vec<AuditRecord>> {
        match self {
            Storage::Sqlite(s) => s.audit_list(filter).await,
            Storage::Postgres(s) => s.audit_list(filter).await,
        }
    }

    /// Deletes the audit rows older than `retention_days` (at least
    /// [`crate::audit::MIN_RETENTION_DAYS`]); records an `audit_purged` with the count. Returns
    /// how many rows were deleted.
    pub async fn audit_purge(&self, retention_days: u32) -> Result<u64> {
        if retention_days < crate::audit::MIN_RETENTION_DAYS {
            return Err(ServerError::BadRequest(format!(
                "the audit log is kept at least {} days (asked: {retention_days})",
                crate::audit::MIN_RETENTION_DAYS
            )));
        }
        let now = crate::audit::now_ms();
        let cutoff = now - i64::from(retention_days) * crate::audit::DAY_MS;
        let deleted = match self {
            Storage::Sqlite(s) => s.audit_purge(cutoff).await?,
            Storage::Postgres(s) => s.audit_purge(cutoff).await?,
        };
        self.audit(
            AuditEvent::new(AuditKind::AuditPurged)
                .detail("deleted", deleted)
                .detail("before", crate::audit::timestamp_text(cutoff))
                .detail("retention_days", retention_days),
        )
        .await?;
        Ok(deleted)
    }

    /// Applies changesets in one database transaction; one acknowledgement each. Pushes to one
    /// tenant that arrive together share a transaction ([`PushQueue`]).
    pub async fn push(
        &self,
        tenant_id: i64,
        client_id: Uuid,
        changesets: Vec<PushChangeSet>,
        limits: PushLimits,
    ) -> Result<Vec<PushAck>> {
        self.push_after(tenant_id, client_id, changesets, None, limits, None)
            .await
            .map(|pushed| pushed.acks)
    }

    /// [`Storage::push`] from a client whose cursor is `after`: the answer also says where the
    /// client's cursor may move without pulling its own writes back ([`Pushed::cursor`]). The
    /// erasures of a push by `actor` are audited in the push's transaction.
    pub async fn push_after(
        &self,
        tenant_id: i64,
        client_id: Uuid,
        changesets: Vec<PushChangeSet>,
        after: Option<Cursor>,
        limits: PushLimits,
        actor: Option<PushActor>,
    ) -> Result<Pushed> {
        let job = PushJob {
            client_id,
            changesets,
            after,
            limits,
            actor,
        };
        match self {
            Storage::Sqlite(s) => queued_push(s.pushes(), s.push_target(), tenant_id, job).await,
            Storage::Postgres(s) => queued_push(s.pushes(), s.push_target(), tenant_id, job).await,
        }
    }

    /// What group commit did since this storage was opened.
    pub fn push_stats(&self) -> PushStats {
        match self {
            Storage::Sqlite(s) => s.pushes().stats(),
            Storage::Postgres(s) => s.pushes().stats(),
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
        let event = AuditEvent::new(AuditKind::FeedTokenAdded)
            .tenant(tenant)
            .user(name)
            .detail("token", token_id(token_hash));
        match self {
            Storage::Sqlite(s) => s.add_feed_token(tenant, name, token_hash, event).await,
            Storage::Postgres(s) => s.add_feed_token(tenant, name, token_hash, event).await,
        }
    }

    /// Revokes every calendar feed token of a user.
    pub async fn revoke_feed_tokens(&self, tenant: &str, name: &str) -> Result<u64> {
        let event = AuditEvent::new(AuditKind::FeedTokenRevoked)
            .tenant(tenant)
            .user(name);
        match self {
            Storage::Sqlite(s) => s.revoke_feed_tokens(tenant, name, event).await,
            Storage::Postgres(s) => s.revoke_feed_tokens(tenant, name, event).await,
        }
    }

    /// The tenant a live feed token belongs to. The head sequence is read before any record,
    /// so a calendar built after it is at least that new.
    pub async fn feed_tenant(&self, token_hash: &str) -> Result<Option<FeedOwner>> {
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

    /// Opens the database connections a serving process needs and prepares their statements.
    pub async fn warm_up(&self) -> Result<()> {
        match self {
            Storage::Sqlite(s) => s.warm_up().await,
            Storage::Postgres(s) => s.warm_up().await,
        }
    }

    /// The id of a tenant, by its name.
    pub async fn tenant_id(&self, tenant: &str) -> Result<i64> {
        let id = match self {
            Storage::Sqlite(s) => s.tenant_id(tenant).await?,
            Storage::Postgres(s) => s.tenant_id(tenant).await?,
        };
        id.ok_or_else(|| ServerError::UnknownTenant(tenant.to_owned()))
    }

    /// Adds a department user (or gives an existing one another department or address). A
    /// department user has no token: they sign in on the web pages ([`crate::web`]) with a
    /// link sent to `email` or a password ([`Storage::set_password`]). Refused unless
    /// `department` is a live organisation of kind department in the tenant (a coordinator's
    /// laptop must have synced it), and when another department user has the address.
    pub async fn add_department_user(
        &self,
        tenant: &str,
        name: &str,
        department: Uuid,
        email: Option<&str>,
    ) -> Result<()> {
        check_name("user", name)?;
        let email = email.map(crate::web::normalise_email).transpose()?;
        let tenant_id = self.tenant_id(tenant).await?;
        let known = self
            .web_user(WebUserKey::Name {
                tenant: tenant.to_owned(),
                name: name.to_owned(),
            })
            .await?;
        if email.is_none() && known.as_ref().and_then(|u| u.email.as_ref()).is_none() {
            return Err(ServerError::BadRequest(
                "a department user needs --email: they sign in with it, and links and reminders go there".into(),
            ));
        }
        let organisation = self
            .records_of(tenant_id, "organisation", vec![department])
            .await?;
        let value = |field: &str| {
            organisation
                .first()
                .and_then(|r| r.fields.get(field))
                .map(|v| v.value.clone())
        };
        if organisation.is_empty() || value("deleted") == Some(serde_json::Value::Bool(true)) {
            return Err(ServerError::BadRequest(format!(
                "organisation {department} is not known in tenant {tenant:?}: add it as a department in the app and sync first"
            )));
        }
        if value("kind").as_ref().and_then(|k| k.as_str()) != Some("department") {
            return Err(ServerError::BadRequest(format!(
                "organisation {department} is not a department (its kind is {})",
                value("kind").unwrap_or_default()
            )));
        }
        let mut event = AuditEvent::new(AuditKind::UserAdded)
            .tenant(tenant)
            .user(name)
            .detail("role", Role::Department.as_str())
            .detail("department", department.to_string());
        if email.is_some() {
            event = event.detail("email", true);
        }
        match self {
            Storage::Sqlite(s) => {
                s.add_department_user(tenant_id, name, department, email, event)
                    .await
            }
            Storage::Postgres(s) => {
                s.add_department_user(tenant_id, name, department, email, event)
                    .await
            }
        }
    }

    /// Sets (or with `None` removes) a department user's password hash.
    pub async fn set_password(
        &self,
        tenant: &str,
        name: &str,
        password_hash: Option<String>,
    ) -> Result<()> {
        let event = AuditEvent::new(AuditKind::PasswordSet)
            .tenant(tenant)
            .user(name)
            .detail("removed", password_hash.is_none());
        match self {
            Storage::Sqlite(s) => s.set_password(tenant, name, password_hash, event).await,
            Storage::Postgres(s) => s.set_password(tenant, name, password_hash, event).await,
        }
    }

    /// A department user.
    pub async fn web_user(&self, key: WebUserKey) -> Result<Option<WebUser>> {
        match self {
            Storage::Sqlite(s) => s.web_user(key).await,
            Storage::Postgres(s) => s.web_user(key).await,
        }
    }

    /// Every department user (of one tenant, or of all), for the weekly reminders.
    pub async fn department_users(&self, tenant_id: Option<i64>) -> Result<Vec<WebUser>> {
        match self {
            Storage::Sqlite(s) => s.department_users(tenant_id).await,
            Storage::Postgres(s) => s.department_users(tenant_id).await,
        }
    }

    /// Stores a new web session (the hash of its cookie).
    pub async fn put_web_session(
        &self,
        hash: &str,
        user_id: i64,
        csrf: &str,
        expires_at_ms: i64,
    ) -> Result<()> {
        match self {
            Storage::Sqlite(s) => s.put_web_session(hash, user_id, csrf, expires_at_ms).await,
            Storage::Postgres(s) => s.put_web_session(hash, user_id, csrf, expires_at_ms).await,
        }
    }

    /// A live web session by the hash of its cookie (an expired one is `None`).
    pub async fn web_session(&self, hash: &str) -> Result<Option<WebSession>> {
        match self {
            Storage::Sqlite(s) => s.web_session(hash, crate::audit::now_ms()).await,
            Storage::Postgres(s) => s.web_session(hash, crate::audit::now_ms()).await,
        }
    }

    /// Ends a web session (signing out); also drops expired sessions and links.
    pub async fn end_web_session(&self, hash: &str) -> Result<()> {
        match self {
            Storage::Sqlite(s) => s.end_web_session(hash, crate::audit::now_ms()).await,
            Storage::Postgres(s) => s.end_web_session(hash, crate::audit::now_ms()).await,
        }
    }

    /// How many sign-in links were made for a user since `since_ms`.
    pub async fn recent_sign_in_links(&self, user_id: i64, since_ms: i64) -> Result<i64> {
        match self {
            Storage::Sqlite(s) => s.recent_sign_in_links(user_id, since_ms).await,
            Storage::Postgres(s) => s.recent_sign_in_links(user_id, since_ms).await,
        }
    }

    /// Takes a department user's access away: their sessions and links end, and they can no
    /// longer sign in (the user's name stays in the records they wrote).
    pub async fn remove_department_user(&self, tenant: &str, name: &str) -> Result<()> {
        let event = AuditEvent::new(AuditKind::TokenRevoked)
            .tenant(tenant)
            .user(name)
            .detail("by", "admin")
            .detail("department_user", "removed");
        match self {
            Storage::Sqlite(s) => s.remove_department_user(tenant, name, event).await,
            Storage::Postgres(s) => s.remove_department_user(tenant, name, event).await,
        }
    }

    /// Stores a sign-in link (its hash) for a user, valid until `expires_at_ms`, once.
    pub async fn put_sign_in_link(
        &self,
        hash: &str,
        user_id: i64,
        expires_at_ms: i64,
    ) -> Result<()> {
        match self {
            Storage::Sqlite(s) => s.put_sign_in_link(hash, user_id, expires_at_ms).await,
            Storage::Postgres(s) => s.put_sign_in_link(hash, user_id, expires_at_ms).await,
        }
    }

    /// Uses a sign-in link up: valid only once and before it expires.
    pub async fn use_sign_in_link(&self, hash: &str) -> Result<LinkUse> {
        match self {
            Storage::Sqlite(s) => s.use_sign_in_link(hash, crate::audit::now_ms()).await,
            Storage::Postgres(s) => s.use_sign_in_link(hash, crate::audit::now_ms()).await,
        }
    }

    /// The server's own writer in a tenant, with the next sequence number of its changesets
    /// and a clock wall time of at least `floor_ms` (made at its first use).
    pub async fn web_writer(&self, tenant_id: i64, floor_ms: u64) -> Result<WebWriterTicket> {
        let floor = i64::try_from(floor_ms).unwrap_or(i64::MAX);
        match self {
            Storage::Sqlite(s) => s.web_writer(tenant_id, floor).await,
            Storage::Postgres(s) => s.web_writer(tenant_id, floor).await,
        }
    }

    /// The tenant's newest sequence.
    pub async fn head_seq(&self, tenant_id: i64) -> Result<i64> {
        match self {
            Storage::Sqlite(s) => s.head_seq(tenant_id).await,
            Storage::Postgres(s) => s.head_seq(tenant_id).await,
        }
    }

    /// The fields of action points the department lists sort and filter on
    /// ([`crate::web::index::INDEXED_FIELDS`]) written in the tenant's transactions after
    /// `after` up to `up_to`, oldest first (all of them from 0).
    pub async fn action_point_fields(
        &self,
        tenant_id: i64,
        after: i64,
        up_to: i64,
    ) -> Result<Vec<crate::web::index::FieldRow>> {
        match self {
            Storage::Sqlite(s) => s.action_point_fields(tenant_id, after, up_to).await,
            Storage::Postgres(s) => s.action_point_fields(tenant_id, after, up_to).await,
        }
    }

    /// Every stored field of these records of one entity, one record change per record found.
    pub async fn records_of(
        &self,
        tenant_id: i64,
        entity: &str,
        ids: Vec<Uuid>,
    ) -> Result<Vec<wijkwerk_protocol::RecordChange>> {
        let ids: Vec<String> = ids.iter().map(Uuid::to_string).collect();
        match self {
            Storage::Sqlite(s) => s.records_of(tenant_id, entity, ids).await,
            Storage::Postgres(s) => s.records_of(tenant_id, entity, ids).await,
        }
    }

    /// The events (`action_point_event`) of an action point, every stored field.
    pub async fn point_events(
        &self,
        tenant_id: i64,
        point: Uuid,
    ) -> Result<Vec<wijkwerk_protocol::RecordChange>> {
        let value = json_text(&point.to_string());
        match self {
            Storage::Sqlite(s) => s.point_events(tenant_id, value).await,
            Storage::Postgres(s) => s.point_events(tenant_id, value).await,
        }
    }

    /// Claims a run of a job by its name (such as `reminders 2026-W50`): true for the first
    /// process that asks, false ever after, so several server processes run it once.
    pub async fn claim_run(&self, name: &str) -> Result<bool> {
        match self {
            Storage::Sqlite(s) => s.claim_run(name).await,
            Storage::Postgres(s) => s.claim_run(name).await,
        }
    }

    /// Gives a claimed run back (it failed), so that a later pass claims it again.
    pub async fn release_run(&self, name: &str) -> Result<()> {
        match self {
            Storage::Sqlite(s) => s.release_run(name).await,
            Storage::Postgres(s) => s.release_run(name).await,
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

/// A text as it is stored in the `field` table (a JSON string).
pub fn json_text(text: &str) -> String {
    serde_json::Value::String(text.to_owned()).to_string()
}

/// What `user add` writes to the audit log: `user_added` for a new user, and `token_added`.
pub(crate) fn user_events(
    tenant: &str,
    name: &str,
    role: Role,
    token: &NewToken,
    new_user: bool,
) -> Vec<AuditEvent> {
    let mut events = Vec::new();
    if new_user {
        events.push(
            AuditEvent::new(AuditKind::UserAdded)
                .tenant(tenant)
                .user(name)
                .detail("role", role.as_str())
                .detail("by", "admin"),
        );
    }
    events.push(
        AuditEvent::new(AuditKind::TokenAdded)
            .tenant(tenant)
            .user(name)
            .detail("token", token_id(&token.hash))
            .detail("role", role.as_str())
            .detail("expires", crate::audit::timestamp_text(token.expires_at_ms))
            .detail("by", "admin"),
    );
    events
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
    /// The new state of every field that changed (the last write per field).
    pub fields: Vec<PlannedField>,
    pub conflicts: Vec<PlannedConflict>,
    /// One server transaction per applied changeset.
    pub transactions: Vec<PlannedTransaction>,
    /// Records erased by the push: their other values and their conflict log are purged after
    /// the fields and conflicts above are written.
    pub erasures: Vec<PlannedErasure>,
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

/// A record erased by a push ([`wijkwerk_protocol::ERASED_FIELD`]): every field the erasure did
/// not write becomes empty (stamped with the erasure's clock and sequence, so pulls carry the
/// emptying to every laptop), `deleted` becomes true, and the record's conflict log goes.
#[derive(Debug, Clone)]
pub struct PlannedErasure {
    pub seq: i64,
    pub entity: String,
    pub record_id: String,
    /// The erasure's clock (text form).
    pub hlc: String,
}

#[derive(Debug, Clone)]
pub struct PlannedTransaction {
    pub seq: i64,
    pub tx_id: Uuid,
    pub client_id: Uuid,
    pub client_seq: i64,
    pub client_tx_id: Uuid,
}

/// One push request waiting to be written: several are written in one database transaction
/// when they arrive together (see [`PushQueue`]).
#[derive(Debug, Clone)]
pub struct PushJob {
    pub client_id: Uuid,
    pub changesets: Vec<PushChangeSet>,
    /// The client's cursor when it pushed, if it said.
    pub after: Option<Cursor>,
    pub limits: PushLimits,
    /// Who pushes: the erasures the push makes go to the audit log in its transaction.
    pub actor: Option<PushActor>,
}

/// The user behind a push, for the audit log.
#[derive(Debug, Clone)]
pub struct PushActor {
    pub tenant: String,
    pub user: String,
    pub address: Option<std::net::IpAddr>,
}

/// The audit events of the erasures a planned batch makes (written in the batch's
/// transaction, so an erasure is never without its row).
pub fn erasure_events(jobs: &[PushJob], answers: &[PlannedPush]) -> Vec<AuditEvent> {
    let mut events = Vec::new();
    for (job, answer) in jobs.iter().zip(answers) {
        let Some(actor) = &job.actor else { continue };
        for (entity, record) in &answer.erased {
            let event = AuditEvent::erasure(&actor.tenant, &actor.user, entity, *record);
            events.push(match actor.address {
                Some(address) => event.address(address),
                None => event,
            });
        }
    }
    events
}

/// What became of one push.
#[derive(Debug, Clone, PartialEq)]
pub struct Pushed {
    /// One per changeset, in the order sent.
    pub acks: Vec<PushAck>,
    /// Where the client's cursor may move: given only when every changeset was applied right
    /// after the client's cursor, with no other transaction between and none of its writes
    /// lost or logged as a conflict (so a pull would bring back nothing but its own writes).
    pub cursor: Option<Cursor>,
    /// The tenant's sequence once the database transaction that wrote the push committed.
    pub head: i64,
    /// The records this push erased (entity, id), for the audit log.
    pub erased: Vec<(String, Uuid)>,
}

impl PushJob {
    /// How many fields the push carries.
    fn fields(&self) -> usize {
        self.changesets
            .iter()
            .flat_map(|set| &set.changes)
            .map(|change| change.fields.len())
            .sum()
    }
}

/// Whether a field is the link of a history entry to its action point, which the push also
/// writes to `point_event` (a point's page reads its history by it).
pub fn is_point_link(key: &FieldKey) -> bool {
    key.0 == "action_point_event" && key.2 == "action_point_id"
}

/// Every field the pushes touch, each once.
pub fn push_keys(jobs: &[PushJob]) -> Vec<FieldKey> {
    let mut seen = std::collections::HashSet::new();
    let mut keys = Vec::new();
    for set in jobs.iter().flat_map(|j| &j.changesets) {
        for change in &set.changes {
            // Whether the record is erased decides what of the push it keeps.
            if is_erasable(&change.entity) {
                let key = (
                    change.entity.clone(),
                    change.id.to_string(),
                    wijkwerk_protocol::ERASED_FIELD.to_owned(),
                );
                if seen.insert(key.clone()) {
                    keys.push(key);
                }
            }
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

/// Every (client id, client sequence) the pushes carry, each once: the ones to look up among
/// the already applied.
pub fn push_client_seqs(jobs: &[PushJob]) -> Vec<(Uuid, i64)> {
    let mut seen = std::collections::HashSet::new();
    jobs.iter()
        .flat_map(|j| j.changesets.iter().map(|c| (j.client_id, c.client_seq)))
        .filter(|k| seen.insert(*k))
        .collect()
}

/// Decides pushes in memory, one after the other, as if each were written on its own: the
/// tenant's sequence and the fields' state carry over from one to the next, and the writes are
/// gathered into one [`PushPlan`] (the last write per field).
pub struct PushPlanner {
    plan: PushPlan,
    /// The state of every field the pushes touch, as stored and then as planned.
    current: std::collections::HashMap<FieldKey, crate::merge::FieldState>,
    /// Where each field's write sits in `plan.fields`.
    latest: std::collections::HashMap<FieldKey, usize>,
    /// (client id, client sequence) applied before (as loaded) or by an earlier push of the plan.
    done: std::collections::HashMap<(Uuid, i64), i64>,
    /// The server transaction id of `plan.head` (none at 0).
    head_tx: Option<Uuid>,
}

impl PushPlanner {
    /// `head` is the tenant's sequence now; `done` maps the (client id, client sequence) pairs
    /// already applied to their server sequence; `current` holds the stored state of the fields
    /// the pushes touch.
    pub fn new(
        head: i64,
        head_tx: Option<Uuid>,
        done: std::collections::HashMap<(Uuid, i64), i64>,
        current: std::collections::HashMap<FieldKey, crate::merge::FieldState>,
    ) -> PushPlanner {
        PushPlanner {
            plan: PushPlan {
                head,
                ..PushPlan::default()
            },
            current,
            latest: Default::default(),
            done,
            head_tx,
        }
    }

    /// Decides one push; returns its acknowledgements, one per changeset, where the
    /// client's cursor may move ([`Pushed::cursor`]), and the records it erased.
    pub fn add(&mut self, job: &PushJob) -> PlannedPush {
        use crate::merge::{decide, Decision, FieldState};
        use wijkwerk_protocol::wire::PushOutcome;
        let (head_before, tx_before) = (self.plan.head, self.head_tx);
        // Whether the server's state after this push is the client's own: every changeset
        // applied, every field taken (or the very same write again), nothing lost.
        let mut as_sent = !job.changesets.is_empty();
        let mut acks = Vec::with_capacity(job.changesets.len());
        let mut erased = Vec::new();
        for set in &job.changesets {
            if let Some(seq) = self.done.get(&(job.client_id, set.client_seq)) {
                acks.push(PushAck {
                    client_seq: set.client_seq,
                    outcome: PushOutcome::Duplicate { seq: *seq },
                });
                as_sent = false;
                continue;
            }
            if let Some((code, reason)) = check_changeset(set, job.limits) {
                acks.push(PushAck {
                    client_seq: set.client_seq,
                    outcome: PushOutcome::Refused { code, reason },
                });
                as_sent = false;
                continue;
            }
            let seq = self.plan.head + 1;
            let writes = field_writes(set);
            // Erasures first: they seal their record for the rest of the changeset.
            for write in &writes {
                let Some(stamp) = erasure_stamp(write.entity, write.field, write.value) else {
                    continue;
                };
                let key = field_key(write);
                if self.current.get(&key).is_none_or(|now| now.hlc < stamp) {
                    self.plan.erasures.push(PlannedErasure {
                        seq,
                        entity: write.entity.to_owned(),
                        record_id: write.record_id.to_string(),
                        hlc: stamp.to_string(),
                    });
                    erased.push((write.entity.to_owned(), write.record_id));
                    let incoming = FieldState {
                        value: write.value.value.clone(),
                        hlc: stamp,
                    };
                    self.plan_field(key, incoming, seq);
                }
            }
            for write in writes
                .iter()
                .filter(|w| erasure_stamp(w.entity, w.field, w.value).is_none())
            {
                let key = field_key(write);
                let erasure = if is_erasable(write.entity) {
                    self.erasure_of(write.entity, write.record_id)
                } else {
                    None
                };
                let now = self.current.get(&key);
                let (take, lost) = match erasure {
                    // A sealed record keeps the erasure's own writes (whatever the clocks say)
                    // and empty values; everything else is dropped, and never logged: a lost
                    // value would keep the person in the conflict log.
                    Some(erasure) if !erasure_keeps(write.field, write.value, erasure) => {
                        as_sent = false;
                        continue;
                    }
                    Some(erasure) if write.value.hlc == erasure => match decide(now, write.value) {
                        Decision::Same => continue,
                        _ => (true, None),
                    },
                    Some(_) => match decide(now, write.value) {
                        Decision::Same => continue,
                        Decision::Take { .. } => (true, None),
                        Decision::Keep { .. } => (false, None),
                    },
                    None => match decide(now, write.value) {
                        Decision::Same => continue,
                        Decision::Take { lost } => (true, lost),
                        Decision::Keep { lost } => (false, lost),
                    },
                };
                as_sent &= take && lost.is_none();
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
                    self.plan.conflicts.push(PlannedConflict {
                        seq,
                        key: key.clone(),
                        lost_value: lost.value.to_string(),
                        lost_hlc: lost.hlc.to_string(),
                        won_value: won.value.to_string(),
                        won_hlc: won.hlc.to_string(),
                    });
                }
                if take {
                    self.plan_field(key, incoming, seq);
                }
            }
            let tx_id = Uuid::now_v7();
            self.plan.transactions.push(PlannedTransaction {
                seq,
                tx_id,
                client_id: job.client_id,
                client_seq: set.client_seq,
                client_tx_id: set.tx_id,
            });
            self.done.insert((job.client_id, set.client_seq), seq);
            self.plan.head = seq;
            self.head_tx = Some(tx_id);
            acks.push(PushAck {
                client_seq: set.client_seq,
                outcome: PushOutcome::Applied { seq },
            });
        }
        let cursor = job
            .after
            .filter(|after| as_sent && after.seq == head_before && after.tx == tx_before)
            .map(|_| Cursor {
                seq: self.plan.head,
                tx: self.head_tx,
            });
        PlannedPush {
            acks,
            cursor,
            erased,
        }
    }

    /// The clock of the erasure that sealed a record, if it is erased (as stored or planned).
    fn erasure_of(&self, entity: &str, record_id: Uuid) -> Option<Hlc> {
        let key = (
            entity.to_owned(),
            record_id.to_string(),
            ERASED_FIELD.to_owned(),
        );
        self.current
            .get(&key)
            .filter(|state| !state.value.is_null())
            .map(|state| state.hlc)
    }

    /// Plans the new state of a field (the last write per field wins within the plan).
    fn plan_field(&mut self, key: FieldKey, state: crate::merge::FieldState, seq: i64) {
        let planned = PlannedField {
            key: key.clone(),
            value: state.value.to_string(),
            hlc: state.hlc.to_string(),
            seq,
        };
        match self.latest.get(&key) {
            Some(&i) => self.plan.fields[i] = planned,
            None => {
                self.latest.insert(key.clone(), self.plan.fields.len());
                self.plan.fields.push(planned);
            }
        }
        self.current.insert(key, state);
    }

    /// Decides every push of a batch in order; their answers once the batch is planned.
    pub fn add_all(&mut self, jobs: &[PushJob]) -> Vec<PlannedPush> {
        jobs.iter().map(|job| self.add(job)).collect()
    }

    pub fn finish(self) -> PushPlan {
        self.plan
    }
}

/// What the planner decided for one push ([`PushPlanner::add`]).
#[derive(Debug, Clone)]
pub struct PlannedPush {
    pub acks: Vec<PushAck>,
    pub cursor: Option<Cursor>,
    pub erased: Vec<(String, Uuid)>,
}

fn field_key(write: &FieldWrite<'_>) -> FieldKey {
    (
        write.entity.to_owned(),
        write.record_id.to_string(),
        write.field.to_owned(),
    )
}

/// The answers of a planned batch of pushes, with the tenant's sequence after it.
pub fn pushed(answers: Vec<PlannedPush>, head: i64) -> Vec<Pushed> {
    answers
        .into_iter()
        .map(|a| Pushed {
            acks: a.acks,
            cursor: a.cursor,
            head,
            erased: a.erased,
        })
        .collect()
}

/// How many changesets one database transaction takes from the queue (a single larger push
/// still goes whole).
const BATCH_CHANGESETS: usize = 10_000;
/// How many fields one shared transaction takes at most (so that a burst of large pushes does not
/// become one huge statement; a single larger push still goes whole).
const BATCH_FIELDS: usize = 100_000;

type PushAnswer = tokio::sync::oneshot::Sender<Result<Pushed>>;

/// Pushes to one tenant wait here and are written by one worker task per tenant, all that
/// arrived together in one database transaction (group commit). Sequences are handed out one
/// transaction at a time anyway (the tenant row is locked), so writing waiting pushes together
/// costs the first nothing and saves the others a transaction, a commit and a database
/// connection each that would only wait for the lock. Each push still gets its own
/// acknowledgements, decided as if it were written alone; when a shared transaction fails, each
/// of its pushes is tried again on its own, so one push cannot make another fail.
#[derive(Default)]
pub struct PushQueue {
    /// Tenants with a running worker, and the pushes waiting for it.
    waiting: std::sync::Mutex<HashMap<i64, Vec<(PushJob, PushAnswer)>>>,
    /// Pushes written in a transaction shared with others.
    shared_pushes: std::sync::atomic::AtomicU64,
    /// Shared transactions that failed, after which each push was written alone.
    fallback_batches: std::sync::atomic::AtomicU64,
    /// Tests: the next shared transaction fails (to prove the fall-back).
    #[cfg(test)]
    fail_next_shared: std::sync::atomic::AtomicBool,
}

/// What the push queue did since the storage was opened.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PushStats {
    /// Pushes written in a transaction shared with others (group commit).
    pub shared_pushes: u64,
    /// Shared transactions that failed, after which each of their pushes was written alone.
    pub fallback_batches: u64,
}

impl PushQueue {
    fn stats(&self) -> PushStats {
        use std::sync::atomic::Ordering::Relaxed;
        PushStats {
            shared_pushes: self.shared_pushes.load(Relaxed),
            fallback_batches: self.fallback_batches.load(Relaxed),
        }
    }

    /// Whether a test asked for the next shared transaction to fail.
    fn injected_failure(&self) -> bool {
        #[cfg(test)]
        {
            self.fail_next_shared
                .swap(false, std::sync::atomic::Ordering::SeqCst)
        }
        #[cfg(not(test))]
        {
            false
        }
    }

    /// Queues a push; returns where its answer will come, and whether the caller must start the
    /// tenant's worker (none was running).
    fn enqueue(
        &self,
        tenant_id: i64,
        job: PushJob,
    ) -> (tokio::sync::oneshot::Receiver<Result<Pushed>>, bool) {
        let (answer, receiver) = tokio::sync::oneshot::channel();
        let mut waiting = self.lock();
        let start = !waiting.contains_key(&tenant_id);
        waiting.entry(tenant_id).or_default().push((job, answer));
        (receiver, start)
    }

    /// The next pushes for the worker of a tenant; none means the worker must stop (and it is
    /// then no longer registered, so the next push starts a new one).
    fn next_batch(&self, tenant_id: i64) -> Vec<(PushJob, PushAnswer)> {
        let mut waiting = self.lock();
        let Some(queue) = waiting.get_mut(&tenant_id) else {
            return Vec::new();
        };
        if queue.is_empty() {
            waiting.remove(&tenant_id);
            return Vec::new();
        }
        let (mut changesets, mut fields) = (0, 0);
        let mut take = 0;
        for (job, _) in queue.iter() {
            let job_fields = job.fields();
            if take > 0
                && (changesets + job.changesets.len() > BATCH_CHANGESETS
                    || fields + job_fields > BATCH_FIELDS)
            {
                break;
            }
            changesets += job.changesets.len();
            fields += job_fields;
            take += 1;
        }
        queue.drain(..take).collect()
    }

    /// Forgets a tenant's worker and its waiting pushes (their callers get an error).
    fn stop(&self, tenant_id: i64) {
        self.lock().remove(&tenant_id);
    }

    /// The queue's map. Nothing panics while holding it, and each change leaves it whole, so
    /// a poisoned lock is taken as it is.
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<i64, Vec<(PushJob, PushAnswer)>>> {
        self.waiting
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Unregisters a tenant's worker however it ends (also by a panic), so that pushes never wait
/// for a worker that is gone.
struct WorkerGuard {
    queue: std::sync::Arc<PushQueue>,
    tenant_id: i64,
    done: bool,
}

impl Drop for WorkerGuard {
    fn drop(&mut self) {
        if !self.done {
            self.queue.stop(self.tenant_id);
        }
    }
}

/// What a push worker writes with: cheap handles to the storage's writer, owned by the task.
#[derive(Clone)]
pub(crate) enum PushTarget {
    Sqlite(crate::sqlite::Writer),
    Postgres(deadpool_postgres::Pool),
}

impl PushTarget {
    async fn write(
        &self,
        tenant_id: i64,
        jobs: std::sync::Arc<Vec<PushJob>>,
    ) -> Result<Vec<Pushed>> {
        match self {
            PushTarget::Sqlite(w) => crate::sqlite::push_batch(w, tenant_id, jobs).await,
            PushTarget::Postgres(p) => crate::postgres::push_batch(p, tenant_id, &jobs).await,
        }
    }

    /// Writes one push alone; what became of it.
    async fn write_one(&self, tenant_id: i64, job: PushJob) -> Result<Pushed> {
        self.write(tenant_id, std::sync::Arc::new(vec![job]))
            .await
            .and_then(|mut acks| acks.pop().ok_or_else(unanswered))
    }
}

/// Queues a push and waits for its answer, starting the tenant's worker when none runs.
async fn queued_push(
    queue: &std::sync::Arc<PushQueue>,
    target: PushTarget,
    tenant_id: i64,
    job: PushJob,
) -> Result<Pushed> {
    let (answer, start) = queue.enqueue(tenant_id, job);
    if start {
        // A task of its own: a request that goes away (the laptop hung up) must not stop the
        // writing of the pushes queued behind it.
        tokio::spawn(push_worker(queue.clone(), target, tenant_id));
    }
    answer
        .await
        .map_err(|_| ServerError::Pool("the push was not answered".into()))?
}

async fn push_worker(queue: std::sync::Arc<PushQueue>, target: PushTarget, tenant_id: i64) {
    let mut guard = WorkerGuard {
        queue: queue.clone(),
        tenant_id,
        done: false,
    };
    loop {
        let batch = queue.next_batch(tenant_id);
        if batch.is_empty() {
            guard.done = true;
            return;
        }
        let (mut jobs, answers): (Vec<PushJob>, Vec<PushAnswer>) = batch.into_iter().unzip();
        if jobs.len() == 1 {
            if let (Some(job), Some(answer)) = (jobs.pop(), answers.into_iter().next()) {
                let _ = answer.send(target.write_one(tenant_id, job).await);
            }
            continue;
        }
        let jobs = std::sync::Arc::new(jobs);
        let written = if queue.injected_failure() {
            Err(ServerError::Pool(
                "a shared transaction failed (test)".into(),
            ))
        } else {
            target.write(tenant_id, jobs.clone()).await
        };
        match written {
            Ok(all) if all.len() == answers.len() => {
                queue
                    .shared_pushes
                    .fetch_add(all.len() as u64, std::sync::atomic::Ordering::Relaxed);
                metrics::counter!("wijkwerk_push_shared_total").increment(all.len() as u64);
                for (pushed, answer) in all.into_iter().zip(answers) {
                    let _ = answer.send(Ok(pushed));
                }
            }
            _ => {
                queue
                    .fallback_batches
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                metrics::counter!("wijkwerk_push_batch_fallbacks_total").increment(1);
                // Each on its own, so that the failure stays with the push that caused it.
                let jobs =
                    std::sync::Arc::try_unwrap(jobs).unwrap_or_else(|shared| (*shared).clone());
                for (job, answer) in jobs.into_iter().zip(answers) {
                    let _ = answer.send(target.write_one(tenant_id, job).await);
                }
            }
        }
    }
}

fn unanswered() -> ServerError {
    ServerError::Pool("the push was not answered".into())
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

#[cfg(test)]
mod tests {
    use super::*;
    use wijkwerk_protocol::wire::PushOutcome;
    use wijkwerk_protocol::{Hlc, NodeId, RecordChange, StampedValue};

    const NOW: u64 = 1_800_000_000_000;
    const LIMITS: PushLimits = PushLimits {
        now_ms: NOW,
        max_skew_ms: 300_000,
    };

    fn one_field(record: Uuid, value: &str, at: Hlc, client_seq: i64) -> PushChangeSet {
        PushChangeSet {
            client_seq,
            tx_id: Uuid::now_v7(),
            changes: vec![RecordChange {
                entity: "contact".into(),
                id: record,
                fields: [(
                    "name".to_owned(),
                    StampedValue::new(serde_json::json!(value), at),
                )]
                .into_iter()
                .collect(),
            }],
        }
    }

    /// The planner gives a push the cursor after it only when it was written right after the
    /// client's cursor and as sent: not after another client's transaction, not from a cursor
    /// of another history (a restored server), not for a retry, not when a write lost.
    #[test]
    fn a_push_gets_the_cursor_after_it_only_when_nothing_came_between() {
        let (laptop, other, record) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let at = |ms: u64| Hlc::new(NOW - 10_000 + ms, 0, NodeId(1));
        let job = |client: Uuid, after: Option<Cursor>, sets: Vec<PushChangeSet>| PushJob {
            client_id: client,
            changesets: sets,
            after,
            limits: LIMITS,
            actor: None,
        };
        let mut planner = PushPlanner::new(0, None, HashMap::new(), HashMap::new());
        let start = Cursor { seq: 0, tx: None };
        let first = job(
            laptop,
            Some(start),
            vec![one_field(record, "Els", at(1), 1)],
        );
        let cursor = planner.add(&first).cursor;
        let after_first = cursor.expect("nothing came between");
        assert_eq!(after_first.seq, 1);
        // The retry: a duplicate, no cursor.
        assert_eq!(planner.add(&first).cursor, None);
        // From a cursor of another history (same number, another transaction): none.
        let stranger = Cursor {
            seq: 1,
            tx: Some(Uuid::now_v7()),
        };
        let from_elsewhere = job(
            laptop,
            Some(stranger),
            vec![one_field(record, "Els B", at(2), 2)],
        );
        assert_eq!(planner.add(&from_elsewhere).cursor, None);
        // Another client's push came between (sequence 2 above): none from sequence 1.
        let late = job(
            laptop,
            Some(after_first),
            vec![one_field(record, "Els C", at(3), 3)],
        );
        assert_eq!(planner.add(&late).cursor, None);
        // From the head, with a write that loses to a newer value: none.
        let newer = job(other, None, vec![one_field(record, "Els D", at(9), 1)]);
        planner.add(&newer);
        let head = Cursor {
            seq: planner.plan.head,
            tx: planner.head_tx,
        };
        let losing = job(
            laptop,
            Some(head),
            vec![one_field(record, "Els E", at(4), 4)],
        );
        assert_eq!(planner.add(&losing).cursor, None);
        // And from the head again, a write that wins: the cursor after it.
        let head = Cursor {
            seq: planner.plan.head,
            tx: planner.head_tx,
        };
        // (written on top of the value that won, as a laptop at the head writes)
        let mut on_top = one_field(record, "Els F", at(20), 5);
        for value in on_top.changes[0].fields.values_mut() {
            value.base = Some(at(9));
        }
        let winning = job(laptop, Some(head), vec![on_top]);
        assert_eq!(
            planner.add(&winning).cursor.map(|c| c.seq),
            Some(head.seq + 1)
        );
    }

    /// Many laptops push the same field at once to two server processes (and one of them sends
    /// its push twice at once, once to each): however the pushes are grouped into transactions, every applied changeset gets its own
    /// sequence with none skipped, the retry is a duplicate of the same sequence, the newest
    /// clock wins and every other value is in the conflict log exactly once.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn pushes_arriving_together_are_each_decided_as_if_alone() {
        let dir = tempfile::tempdir().unwrap();
        let sqlite = dir.path().join("s.db").display().to_string();
        let mut databases = vec![sqlite];
        if let Ok(url) = std::env::var("WIJKWERK_TEST_POSTGRES") {
            databases.push(url);
        }
        for db in databases {
            // Two storages over one database, as two server processes: each its own queue.
            let two = [
                std::sync::Arc::new(Storage::open(&db).await.unwrap()),
                std::sync::Arc::new(Storage::open(&db).await.unwrap()),
            ];
            let storage = two[0].clone();
            let tenant = storage
                .add_tenant(&format!("samen-{}", Uuid::now_v7().simple()))
                .await
                .unwrap();
            let record = Uuid::now_v7();
            let laptops = 40u64;
            let mut tasks = Vec::new();
            for n in 0..=laptops {
                // Laptop `laptops` sends laptop 0's push again (same client, same sequence).
                let (client_n, value_n) = if n == laptops { (0, 0) } else { (n, n) };
                let storage = two[(n as usize + usize::from(n == laptops)) % 2].clone();
                tasks.push(tokio::spawn(async move {
                    let client = Uuid::from_u128(client_n as u128 + 1);
                    let at = Hlc::new(NOW - 1000 + value_n, 0, NodeId(value_n + 1));
                    let set = one_field(record, &format!("waarde {value_n}"), at, 1);
                    let acks = storage
                        .push(tenant, client, vec![set], LIMITS)
                        .await
                        .unwrap();
                    (client_n, acks)
                }));
            }
            let mut applied = Vec::new();
            let mut of_laptop_0 = Vec::new();
            for task in tasks {
                let (client_n, acks) = task.await.unwrap();
                assert_eq!(acks.len(), 1);
                if client_n == 0 {
                    of_laptop_0.push(acks[0].outcome.clone());
                }
                if let PushOutcome::Applied { seq } = acks[0].outcome {
                    applied.push(seq);
                }
            }
            applied.sort();
            assert_eq!(applied, (1..=laptops as i64).collect::<Vec<_>>());
            of_laptop_0.sort_by_key(|o| matches!(o, PushOutcome::Duplicate { .. }));
            match &of_laptop_0[..] {
                [PushOutcome::Applied { seq: a }, PushOutcome::Duplicate { seq: d }] => {
                    assert_eq!(a, d)
                }
                other => panic!("{other:?}"),
            }
            let page = storage
                .pull(tenant, Default::default(), 1000)
                .await
                .unwrap();
            assert_eq!(page.head, laptops as i64);
            assert_eq!(page.records.len(), 1);
            let name = &page.records[0].fields["name"];
            assert_eq!(
                name.value,
                serde_json::json!(format!("waarde {}", laptops - 1))
            );
            assert_eq!(page.conflicts.len(), laptops as usize - 1);
        }
    }

    /// Pushes that queue up while the worker has not run yet share one transaction; when that
    /// transaction fails, each is written alone and answered as if nothing had happened.
    #[tokio::test(flavor = "current_thread")]
    async fn queued_pushes_share_a_transaction_and_a_failed_one_falls_back_to_each_alone() {
        let dir = tempfile::tempdir().unwrap();
        let mut databases = vec![dir.path().join("q.db").display().to_string()];
        if let Ok(url) = std::env::var("WIJKWERK_TEST_POSTGRES") {
            databases.push(url);
        }
        for db in databases {
            let storage = std::sync::Arc::new(Storage::open(&db).await.unwrap());
            let tenant = storage
                .add_tenant(&format!("rij-{}", Uuid::now_v7().simple()))
                .await
                .unwrap();
            let record = Uuid::now_v7();
            let round = |first: u64| {
                // On one thread every task queues its push before the worker gets to run.
                (first..first + 10)
                    .map(|n| {
                        let storage = storage.clone();
                        tokio::spawn(async move {
                            let client = Uuid::from_u128(n as u128 + 1);
                            let at = Hlc::new(NOW - 1000 + n, 0, NodeId(n + 1));
                            let set = one_field(record, &format!("waarde {n}"), at, 1);
                            storage.push(tenant, client, vec![set], LIMITS).await
                        })
                    })
                    .collect::<Vec<_>>()
            };
            let mut applied = Vec::new();
            for task in round(0) {
                match task.await.unwrap().unwrap()[0].outcome {
                    PushOutcome::Applied { seq } => applied.push(seq),
                    ref other => panic!("{other:?}"),
                }
            }
            let stats = storage.push_stats();
            assert!(stats.shared_pushes >= 2, "{stats:?}");
            assert_eq!(stats.fallback_batches, 0);

            if let Storage::Sqlite(s) = &*storage {
                s.pushes()
                    .fail_next_shared
                    .store(true, std::sync::atomic::Ordering::SeqCst);
            } else if let Storage::Postgres(s) = &*storage {
                s.pushes()
                    .fail_next_shared
                    .store(true, std::sync::atomic::Ordering::SeqCst);
            }
            for task in round(10) {
                match task.await.unwrap().unwrap()[0].outcome {
                    PushOutcome::Applied { seq } => applied.push(seq),
                    ref other => panic!("{other:?}"),
                }
            }
            assert_eq!(storage.push_stats().fallback_batches, 1);
            applied.sort();
            assert_eq!(
                applied,
                (1..=20).collect::<Vec<i64>>(),
                "no sequence lost or doubled"
            );
        }
    }

    /// A changeset of one record's fields, all stamped `at`.
    fn record_set(
        record: Uuid,
        values: serde_json::Value,
        at: Hlc,
        client_seq: i64,
    ) -> PushChangeSet {
        let fields = values
            .as_object()
            .expect("an object")
            .iter()
            .map(|(k, v)| (k.clone(), StampedValue::new(v.clone(), at)))
            .collect();
        PushChangeSet {
            client_seq,
            tx_id: Uuid::now_v7(),
            changes: vec![RecordChange {
                entity: "contact".into(),
                id: record,
                fields,
            }],
        }
    }

    /// An erasure seals its record: the erasure's writes win whatever the clocks, other fields
    /// are purged by the storage (planned as an erasure), and later pushes keep only empty
    /// values: an old edit and one with a newer clock are both dropped, and neither is logged.
    #[test]
    fn an_erasure_seals_its_record_against_old_and_new_edits() {
        use serde_json::json;
        let (laptop, offline, record) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let at = |ms: u64| Hlc::new(NOW - 10_000 + ms, 0, NodeId(ms));
        let job = |client: Uuid, sets: Vec<PushChangeSet>| PushJob {
            client_id: client,
            changesets: sets,
            after: None,
            limits: LIMITS,
            actor: None,
        };
        let key = |field: &str| {
            (
                String::from("contact"),
                record.to_string(),
                field.to_owned(),
            )
        };
        let mut current = HashMap::new();
        // A newer edit of the name is already here when the erasure (older clock) arrives.
        current.insert(
            key("name"),
            crate::merge::FieldState {
                value: json!("Zwaantje"),
                hlc: at(50),
            },
        );
        let mut planner = PushPlanner::new(0, None, HashMap::new(), current);
        let erasure = job(
            laptop,
            vec![record_set(
                record,
                json!({"name": "Gewist", "email": null, "deleted": true, "erased_on": "2026-12-07"}),
                at(20),
                1,
            )],
        );
        let answer = planner.add(&erasure);
        assert_eq!(answer.erased, vec![("contact".to_owned(), record)]);
        let edits = job(
            offline,
            vec![
                record_set(record, json!({"phone": "06-48213579"}), at(10), 1),
                record_set(
                    record,
                    json!({"email": "z@voorbeeldpost.nl", "deleted": false}),
                    at(90),
                    2,
                ),
                record_set(record, json!({"notes": null}), at(95), 3),
            ],
        );
        let answer = planner.add(&edits);
        assert!(answer
            .acks
            .iter()
            .all(|a| matches!(a.outcome, PushOutcome::Applied { .. })));
        let plan = planner.finish();
        assert!(plan.conflicts.is_empty(), "nothing of the person is logged");
        let planned: std::collections::BTreeMap<_, _> = plan
            .fields
            .iter()
            .map(|f| (f.key.2.clone(), f.value.clone()))
            .collect();
        assert_eq!(planned.get("name").map(String::as_str), Some("\"Gewist\""));
        assert_eq!(planned.get("notes").map(String::as_str), Some("null"));
        for dropped in ["phone", "email"] {
            assert!(
                planned.get(dropped).is_none_or(|v| v == "null"),
                "{dropped}: {planned:?}"
            );
        }
        assert_eq!(planned.get("deleted").map(String::as_str), Some("true"));
        assert_eq!(plan.erasures.len(), 1);
        assert_eq!(plan.erasures[0].hlc, at(20).to_string());
    }
}
