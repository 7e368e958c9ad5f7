//! The embedded storage: one SQLite file (WAL). Writes go through one connection (SQLite has one
//! writer anyway); reads use a small pool of their own connections.

use crate::audit::{AuditEvent, AuditFilter, AuditRecord};
use crate::error::{Result, ServerError};
use crate::merge::FieldState;
use crate::storage::{
    erasure_events, is_point_link, push_client_seqs, push_keys, pushed, user_events, FeedOwner,
    LinkUse, NewToken, Principal, PushJob, PushPlanner, PushQueue, PushTarget, Pushed,
    RecordsBuilder, Role, TokenRow, WebSession, WebUser, WebUserKey, WebWriterTicket,
};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use uuid::Uuid;
use wijkwerk_protocol::wire::{Cursor, PullResponse, ServerConflict};
use wijkwerk_protocol::{Hlc, RecordChange};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS tenant (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE,
    head_seq      INTEGER NOT NULL DEFAULT 0,
    created_at_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS app_user (
    id            INTEGER PRIMARY KEY,
    tenant_id     INTEGER NOT NULL REFERENCES tenant(id),
    name          TEXT NOT NULL,
    role          TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL,
    UNIQUE (tenant_id, name)
);
CREATE TABLE IF NOT EXISTS token (
    hash          TEXT PRIMARY KEY,
    user_id       INTEGER NOT NULL REFERENCES app_user(id),
    created_at_ms INTEGER NOT NULL,
    revoked_at_ms INTEGER
);
CREATE TABLE IF NOT EXISTS server_tx (
    tenant_id      INTEGER NOT NULL,
    seq            INTEGER NOT NULL,
    tx_id          TEXT NOT NULL,
    client_id      TEXT NOT NULL,
    client_seq     INTEGER NOT NULL,
    client_tx_id   TEXT NOT NULL,
    received_at_ms INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, seq)
);
CREATE UNIQUE INDEX IF NOT EXISTS server_tx_client ON server_tx(tenant_id, client_id, client_seq);
CREATE TABLE IF NOT EXISTS field (
    tenant_id      INTEGER NOT NULL,
    entity         TEXT NOT NULL,
    record_id      TEXT NOT NULL,
    field          TEXT NOT NULL,
    value          TEXT NOT NULL,
    hlc            TEXT NOT NULL,
    seq            INTEGER NOT NULL,
    received_at_ms INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, entity, record_id, field)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS field_seq ON field(tenant_id, seq);
CREATE TABLE IF NOT EXISTS feed_token (
    hash          TEXT PRIMARY KEY,
    tenant_id     INTEGER NOT NULL REFERENCES tenant(id),
    user_id       INTEGER NOT NULL REFERENCES app_user(id),
    created_at_ms INTEGER NOT NULL,
    revoked_at_ms INTEGER
);
CREATE TABLE IF NOT EXISTS conflict (
    tenant_id      INTEGER NOT NULL,
    seq            INTEGER NOT NULL,
    entity         TEXT NOT NULL,
    record_id      TEXT NOT NULL,
    field          TEXT NOT NULL,
    lost_value     TEXT NOT NULL,
    lost_hlc       TEXT NOT NULL,
    won_value      TEXT NOT NULL,
    won_hlc        TEXT NOT NULL,
    received_at_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS conflict_seq ON conflict(tenant_id, seq);
CREATE INDEX IF NOT EXISTS conflict_record ON conflict(tenant_id, entity, record_id);
CREATE TABLE IF NOT EXISTS audit_log (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    at_ms     INTEGER NOT NULL,
    kind      TEXT NOT NULL,
    tenant    TEXT,
    user_name TEXT,
    address   TEXT,
    detail    TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS audit_log_at ON audit_log(at_ms);
CREATE INDEX IF NOT EXISTS audit_log_tenant ON audit_log(tenant, at_ms);
CREATE TABLE IF NOT EXISTS maintenance (
    name       TEXT PRIMARY KEY,
    done_at_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS audit_purge (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    cutoff_ms INTEGER NOT NULL
);
INSERT OR IGNORE INTO audit_purge(id, cutoff_ms) VALUES (1, 0);
CREATE TABLE IF NOT EXISTS department_user (
    user_id       INTEGER PRIMARY KEY REFERENCES app_user(id),
    department_id TEXT NOT NULL,
    email         TEXT,
    password_hash TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS department_user_email ON department_user(email)
    WHERE email IS NOT NULL;
CREATE TABLE IF NOT EXISTS web_session (
    hash          TEXT PRIMARY KEY,
    user_id       INTEGER NOT NULL REFERENCES app_user(id),
    csrf          TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL,
    expires_at_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS sign_in_link (
    hash          TEXT PRIMARY KEY,
    user_id       INTEGER NOT NULL REFERENCES app_user(id),
    created_at_ms INTEGER NOT NULL,
    expires_at_ms INTEGER NOT NULL,
    used_at_ms    INTEGER
);
CREATE TABLE IF NOT EXISTS web_writer (
    tenant_id INTEGER PRIMARY KEY REFERENCES tenant(id),
    client_id TEXT NOT NULL,
    node      INTEGER NOT NULL,
    next_seq  INTEGER NOT NULL,
    last_ms   INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS job_run (
    name  TEXT PRIMARY KEY,
    at_ms INTEGER NOT NULL
);
-- The action point each history entry belongs to, written with the field by the push; the
-- point's page reads its history by it. A partial index on `field` for the same made SQLite
-- prepare the push's statements again at every step (the plan then depends on the bound entity
-- and field), a push of 10,000 changes two and a half times slower.
DROP INDEX IF EXISTS field_event_action_point;
CREATE TABLE IF NOT EXISTS point_event (
    tenant_id INTEGER NOT NULL,
    event_id  TEXT NOT NULL,
    point     TEXT NOT NULL,
    PRIMARY KEY (tenant_id, event_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS point_event_point ON point_event(tenant_id, point);
CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only: its rows are never changed');
END;
CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log
WHEN old.at_ms >= coalesce((SELECT cutoff_ms FROM audit_purge WHERE id = 1), 0)
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only: only the retention purge deletes rows, older than the retention');
END;
CREATE TRIGGER IF NOT EXISTS audit_purge_at_least_30_days BEFORE UPDATE ON audit_purge
WHEN new.cutoff_ms > (julianday('now') - 2440587.5) * 86400000.0 - 30 * 86400000.0
BEGIN
    SELECT RAISE(ABORT, 'the audit log is kept at least 30 days');
END;
CREATE TRIGGER IF NOT EXISTS audit_purge_kept BEFORE DELETE ON audit_purge
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only: its purge setting stays');
END;
";

/// Brings a database made by an older version up to this one, in one transaction: tokens got
/// an expiry and the rotation's link to the token they replace. Tokens from before get their
/// expiry from now ([`crate::auth::DEFAULT_TOKEN_LIFETIME_DAYS`]), so nobody is locked out by
/// an upgrade.
fn migrate(c: &mut Connection) -> Result<()> {
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let has_expiry: bool = tx.query_row(
        "SELECT EXISTS(SELECT 1 FROM pragma_table_info('token') WHERE name = 'expires_at_ms')",
        [],
        |r| r.get(0),
    )?;
    if !has_expiry {
        tx.execute_batch(
            "ALTER TABLE token ADD COLUMN expires_at_ms INTEGER;
             ALTER TABLE token ADD COLUMN replaces TEXT;",
        )?;
    }
    tx.execute(
        "UPDATE token SET expires_at_ms = ?1 WHERE expires_at_ms IS NULL",
        [crate::auth::default_expiry(now_ms() as i64)],
    )?;
    tx.execute_batch(
        "CREATE INDEX IF NOT EXISTS token_replaces ON token(replaces) WHERE replaces IS NOT NULL;
         CREATE INDEX IF NOT EXISTS token_user ON token(user_id);",
    )?;
    // History entries stored before `point_event` existed (once: the mark in `maintenance`).
    let linked: bool = tx.query_row(
        "SELECT EXISTS(SELECT 1 FROM maintenance WHERE name = 'point_event')",
        [],
        |r| r.get(0),
    )?;
    if !linked {
        tx.execute_batch(
            "INSERT OR IGNORE INTO point_event(tenant_id, event_id, point)
                 SELECT tenant_id, record_id, value FROM field
                 WHERE entity = 'action_point_event' AND field = 'action_point_id';
             INSERT INTO maintenance(name, done_at_ms) VALUES ('point_event', 0);",
        )?;
    }
    tx.commit()?;
    Ok(())
}

/// Appends audit events (inside the caller's transaction).
fn insert_audit(c: &Connection, events: &[AuditEvent]) -> Result<()> {
    let mut stmt = c.prepare_cached(
        "INSERT INTO audit_log(at_ms, kind, tenant, user_name, address, detail)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    for e in events {
        stmt.execute((
            e.at_ms,
            e.kind.as_str(),
            &e.tenant,
            &e.user,
            &e.address,
            e.detail_text(),
        ))?;
    }
    Ok(())
}

const READERS: usize = 4;

/// The one writing connection.
pub(crate) type Writer = Arc<Mutex<Connection>>;

pub struct SqliteStorage {
    path: PathBuf,
    writer: Writer,
    pushes: Arc<PushQueue>,
    readers: Arc<Vec<Mutex<Connection>>>,
    next_reader: AtomicUsize,
}

/// How long a connection waits for another's lock.
const BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

fn connect(path: &Path) -> Result<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", true)?;
    conn.pragma_update(None, "cache_size", -32_000)?;
    // Deleted and overwritten content is overwritten with zeros, so an erased person's values
    // do not linger in free space of the file (see `push`).
    conn.pragma_update(None, "secure_delete", true)?;
    Ok(conn)
}

/// Copies the WAL into the database and empties it, after an erasure: the pages as they were
/// before it live on in the WAL until then. Readers still at an older snapshot hold it back; the
/// erasure's mark in `maintenance` stays until a checkpoint completes (after the next erasure,
/// or before serving at the next start), so a crash or a busy reader does not leave it undone.
/// Not run after other pushes: they stay free of the extra query.
pub(crate) fn checkpoint_after_erasure(c: &Connection) {
    let pending: rusqlite::Result<bool> = c.query_row(
        "SELECT EXISTS(SELECT 1 FROM maintenance WHERE name = 'checkpoint-after-erasure')",
        [],
        |r| r.get(0),
    );
    if !matches!(pending, Ok(true)) {
        return;
    }
    // Without waiting: a checkpoint that waits for readers blocks every writer meanwhile.
    let _ = c.busy_timeout(std::time::Duration::ZERO);
    let done = c.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
        Ok(r.get::<_, i64>(0)? == 0)
    });
    let _ = c.busy_timeout(BUSY_TIMEOUT);
    match done {
        Ok(true) => {
            if let Err(e) = c.execute(
                "DELETE FROM maintenance WHERE name = 'checkpoint-after-erasure'",
                [],
            ) {
                tracing::warn!(error = %e, "the WAL checkpoint after an erasure is done but not noted");
            }
        }
        Ok(false) => tracing::warn!("the WAL checkpoint after an erasure waits for readers"),
        Err(e) => tracing::warn!(error = %e, "the WAL checkpoint after an erasure failed"),
    }
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

impl SqliteStorage {
    pub async fn open(path: &Path) -> Result<SqliteStorage> {
        let path = path.to_path_buf();
        let open_path = path.clone();
        let (writer, readers) = tokio::task::spawn_blocking(move || -> Result<_> {
            let mut writer = connect(&open_path)?;
            writer.execute_batch(SCHEMA)?;
            migrate(&mut writer)?;
            let readers = (0..READERS)
                .map(|_| connect(&open_path).map(Mutex::new))
                .collect::<Result<Vec<_>>>()?;
            Ok((writer, readers))
        })
        .await
        .map_err(|e| ServerError::Config(e.to_string()))??;
        Ok(SqliteStorage {
            path,
            writer: Arc::new(Mutex::new(writer)),
            pushes: Arc::default(),
            readers: Arc::new(readers),
            next_reader: AtomicUsize::new(0),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    async fn write<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Connection) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        write_with(&self.writer, work).await
    }

    async fn read<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Connection) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let readers = self.readers.clone();
        let first = self.next_reader.fetch_add(1, Ordering::Relaxed);
        tokio::task::spawn_blocking(move || {
            // A free reader if there is one (a long pull must not hold up the sign-ins that
            // happened to be given its connection); otherwise wait for one in turn.
            let free = (0..READERS).find_map(|i| readers[(first + i) % READERS].try_lock().ok());
            let mut conn = match free {
                Some(conn) => conn,
                None => readers[first % READERS]
                    .lock()
                    .map_err(|_| ServerError::Pool("reader poisoned".into()))?,
            };
            work(&mut conn)
        })
        .await
        .map_err(|e| ServerError::Pool(e.to_string()))?
    }

    /// Before serving: an erasure whose checkpoint a crash or a reader held back is finished
    /// (only when serving: an admin command beside a running server must not wait on its
    /// readers).
    /// Before serving: an erasure whose checkpoint a crash or a reader held back is finished.
    pub async fn warm_up(&self) -> Result<()> {
        write_with(&self.writer, |c| {
            checkpoint_after_erasure(c);
            Ok(())
        })
        .await
    }

    pub async fn health(&self) -> Result<()> {
        self.read(|c| Ok(c.query_row("SELECT 1", [], |_| Ok(()))?))
            .await
    }

    pub async fn add_tenant(&self, name: &str, event: AuditEvent) -> Result<i64> {
        let name = name.to_owned();
        self.write(move |c| {
            let tx = c.transaction()?;
            let exists: bool = tx.query_row(
                "SELECT EXISTS(SELECT 1 FROM tenant WHERE name = ?1)",
                [&name],
                |r| r.get(0),
            )?;
            if exists {
                return Err(ServerError::TenantExists(name));
            }
            tx.execute(
                "INSERT INTO tenant(name, created_at_ms) VALUES (?1, ?2)",
                (&name, now_ms() as i64),
            )?;
            let id = tx.last_insert_rowid();
            insert_audit(&tx, &[event])?;
            tx.commit()?;
            Ok(id)
        })
        .await
    }

    pub async fn add_user(
        &self,
        tenant: &str,
        name: &str,
        role: Role,
        token: NewToken,
    ) -> Result<()> {
        let (tenant, name) = (tenant.to_owned(), name.to_owned());
        self.write(move |c| {
            let tx = c.transaction()?;
            let tenant_id: i64 = tx
                .query_row("SELECT id FROM tenant WHERE name = ?1", [&tenant], |r| {
                    r.get(0)
                })
                .optional()?
                .ok_or_else(|| ServerError::UnknownTenant(tenant.clone()))?;
            let known: bool = tx.query_row(
                "SELECT EXISTS(SELECT 1 FROM app_user WHERE tenant_id = ?1 AND name = ?2)",
                (tenant_id, &name),
                |r| r.get(0),
            )?;
            tx.execute(
                "INSERT INTO app_user(tenant_id, name, role, created_at_ms) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT(tenant_id, name) DO UPDATE SET role = excluded.role",
                (tenant_id, &name, role.as_str(), now_ms() as i64),
            )?;
            let user_id: i64 = tx.query_row(
                "SELECT id FROM app_user WHERE tenant_id = ?1 AND name = ?2",
                (tenant_id, &name),
                |r| r.get(0),
            )?;
            tx.execute(
                "INSERT INTO token(hash, user_id, created_at_ms, expires_at_ms) VALUES (?1, ?2, ?3, ?4)",
                (&token.hash, user_id, now_ms() as i64, token.expires_at_ms),
            )?;
            insert_audit(&tx, &user_events(&tenant, &name, role, &token, !known))?;
            tx.commit()?;
            Ok(())
        })
        .await
    }

    pub async fn revoke_tokens(&self, tenant: &str, name: &str, event: AuditEvent) -> Result<u64> {
        let (tenant, name) = (tenant.to_owned(), name.to_owned());
        self.write(move |c| {
            let tx = c.transaction()?;
            let user_id: i64 = tx
                .query_row(
                    "SELECT u.id FROM app_user u JOIN tenant t ON t.id = u.tenant_id
                     WHERE t.name = ?1 AND u.name = ?2",
                    (&tenant, &name),
                    |r| r.get(0),
                )
                .optional()?
                .ok_or_else(|| ServerError::UnknownUser(name.clone()))?;
            let n = tx.execute(
                "UPDATE token SET revoked_at_ms = ?1 WHERE user_id = ?2 AND revoked_at_ms IS NULL",
                (now_ms() as i64, user_id),
            )? as u64;
            end_access(&tx, &tenant, &name)?;
            insert_audit(&tx, &[event.detail("count", n)])?;
            tx.commit()?;
            Ok(n)
        })
        .await
    }

    /// The token with this hash, live or not.
    pub async fn token(&self, token_hash: &str) -> Result<Option<TokenRow>> {
        let token_hash = token_hash.to_owned();
        self.read(move |c| {
            let row = c
                .prepare_cached(
                    "SELECT t.id, t.name, u.id, u.name, u.role, k.expires_at_ms, k.revoked_at_ms,
                            k.replaces
                     FROM token k
                     JOIN app_user u ON u.id = k.user_id JOIN tenant t ON t.id = u.tenant_id
                     WHERE k.hash = ?1",
                )?
                .query_row([&token_hash], |r| {
                    Ok((
                        (
                            r.get(0)?,
                            r.get(1)?,
                            r.get(2)?,
                            r.get(3)?,
                            r.get::<_, String>(4)?,
                        ),
                        r.get::<_, Option<i64>>(5)?,
                        r.get(6)?,
                        r.get(7)?,
                    ))
                })
                .optional()?;
            Ok(row.map(
                |((tenant_id, tenant, user_id, user, role), expires, revoked_at_ms, replaces)| {
                    TokenRow {
                        principal: Principal {
                            tenant_id,
                            tenant,
                            user_id,
                            user,
                            role: Role::parse(&role).unwrap_or(Role::Reader),
                            expires_at_ms: expires.unwrap_or(0),
                        },
                        revoked_at_ms,
                        replaces,
                    }
                },
            ))
        })
        .await
    }

    /// The first use of a token made by a rotation: the token it replaced is revoked.
    pub async fn finish_rotation(
        &self,
        new_hash: &str,
        old_hash: &str,
        event: AuditEvent,
    ) -> Result<()> {
        let (new_hash, old_hash) = (new_hash.to_owned(), old_hash.to_owned());
        self.write(move |c| {
            let tx = c.transaction()?;
            let n = tx.execute(
                "UPDATE token SET revoked_at_ms = ?1 WHERE hash = ?2 AND revoked_at_ms IS NULL",
                (now_ms() as i64, &old_hash),
            )?;
            tx.execute(
                "UPDATE token SET replaces = NULL WHERE hash = ?1",
                [&new_hash],
            )?;
            if n > 0 {
                insert_audit(&tx, &[event])?;
            }
            tx.commit()?;
            Ok(())
        })
        .await
    }

    /// A new token for the owner of the live token `old_hash` (see `Storage::rotate_token`).
    pub async fn rotate_token(
        &self,
        old_hash: &str,
        token: NewToken,
        event: AuditEvent,
    ) -> Result<()> {
        let old_hash = old_hash.to_owned();
        self.write(move |c| {
            let now = now_ms() as i64;
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let (user_id, expires, revoked): (i64, Option<i64>, Option<i64>) = tx
                .query_row(
                    "SELECT user_id, expires_at_ms, revoked_at_ms FROM token WHERE hash = ?1",
                    [&old_hash],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()?
                .ok_or(ServerError::Unauthorized)?;
            if revoked.is_some() {
                return Err(ServerError::Unauthorized);
            }
            if expires.unwrap_or(0) <= now {
                return Err(ServerError::TokenExpired);
            }
            let abandoned = tx.execute(
                "UPDATE token SET revoked_at_ms = ?1 WHERE replaces = ?2 AND revoked_at_ms IS NULL",
                (now, &old_hash),
            )? as u64;
            tx.execute(
                "INSERT INTO token(hash, user_id, created_at_ms, expires_at_ms, replaces)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                (&token.hash, user_id, now, token.expires_at_ms, &old_hash),
            )?;
            insert_audit(&tx, &[event.detail("unused_tokens_revoked", abandoned)])?;
            tx.commit()?;
            Ok(())
        })
        .await
    }

    /// Stores the hash of a new calendar feed token for a user.
    pub async fn add_feed_token(
        &self,
        tenant: &str,
        name: &str,
        token_hash: &str,
        event: AuditEvent,
    ) -> Result<()> {
        let (tenant, name, token_hash) =
            (tenant.to_owned(), name.to_owned(), token_hash.to_owned());
        self.write(move |c| {
            let tx = c.transaction()?;
            let (tenant_id, user_id): (i64, i64) = tx
                .query_row(
                    "SELECT t.id, u.id FROM app_user u JOIN tenant t ON t.id = u.tenant_id
                     WHERE t.name = ?1 AND u.name = ?2",
                    (&tenant, &name),
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?
                .ok_or(ServerError::UnknownUser(name))?;
            tx.execute(
                "INSERT INTO feed_token(hash, tenant_id, user_id, created_at_ms) VALUES (?1, ?2, ?3, ?4)",
                (&token_hash, tenant_id, user_id, now_ms() as i64),
            )?;
            insert_audit(&tx, &[event])?;
            tx.commit()?;
            Ok(())
        })
        .await
    }

    pub async fn revoke_feed_tokens(
        &self,
        tenant: &str,
        name: &str,
        event: AuditEvent,
    ) -> Result<u64> {
        let (tenant, name) = (tenant.to_owned(), name.to_owned());
        self.write(move |c| {
            let tx = c.transaction()?;
            let n = tx.execute(
                "UPDATE feed_token SET revoked_at_ms = ?1 WHERE revoked_at_ms IS NULL AND user_id IN (
                     SELECT u.id FROM app_user u JOIN tenant t ON t.id = u.tenant_id
                     WHERE t.name = ?2 AND u.name = ?3)",
                (now_ms() as i64, &tenant, &name),
            )? as u64;
            insert_audit(&tx, &[event.detail("count", n)])?;
            tx.commit()?;
            Ok(n)
        })
        .await
    }

    /// The tenant of a live feed token, its head sequence and the token's user.
    pub async fn feed_tenant(&self, token_hash: &str) -> Result<Option<FeedOwner>> {
        let token_hash = token_hash.to_owned();
        self.read(move |c| {
            Ok(c.prepare_cached(
                "SELECT t.id, t.name, t.head_seq, u.name FROM feed_token f
                 JOIN tenant t ON t.id = f.tenant_id JOIN app_user u ON u.id = f.user_id
                 WHERE f.hash = ?1 AND f.revoked_at_ms IS NULL",
            )?
            .query_row([&token_hash], |r| {
                Ok(FeedOwner {
                    tenant_id: r.get(0)?,
                    tenant: r.get(1)?,
                    head_seq: r.get(2)?,
                    user: r.get(3)?,
                })
            })
            .optional()?)
        })
        .await
    }

    /// Appends audit events in one transaction.
    pub async fn audit_batch(&self, events: Vec<AuditEvent>) -> Result<()> {
        self.write(move |c| {
            let tx = c.transaction()?;
            insert_audit(&tx, &events)?;
            tx.commit()?;
            Ok(())
        })
        .await
    }

    pub async fn audit_list(&self, filter: AuditFilter) -> Result<Vec<AuditRecord>> {
        self.read(move |c| {
            let mut sql = String::from(
                "SELECT id, at_ms, kind, tenant, user_name, address, detail FROM audit_log WHERE 1 = 1",
            );
            let mut params: Vec<Box<dyn rusqlite::ToSql>> = Vec::new();
            let mut condition = |sql: &mut String, column: &str, value: Box<dyn rusqlite::ToSql>| {
                params.push(value);
                sql.push_str(&format!(" AND {column} ?{}", params.len()));
            };
            if let Some(tenant) = filter.tenant {
                condition(&mut sql, "tenant =", Box::new(tenant));
            }
            if let Some(user) = filter.user {
                condition(&mut sql, "user_name =", Box::new(user));
            }
            if let Some(kind) = filter.kind {
                condition(&mut sql, "kind =", Box::new(kind.as_str()));
            }
            if let Some(since) = filter.since_ms {
                condition(&mut sql, "at_ms >=", Box::new(since));
            }
            if let Some(until) = filter.until_ms {
                condition(&mut sql, "at_ms <", Box::new(until));
            }
            params.push(Box::new(filter.limit.min(i64::MAX as usize) as i64));
            sql.push_str(&format!(" ORDER BY at_ms DESC, id DESC LIMIT ?{}", params.len()));
            let mut stmt = c.prepare(&sql)?;
            let rows = stmt.query_map(rusqlite::params_from_iter(params.iter()), |r| {
                Ok(AuditRecord {
                    id: r.get(0)?,
                    at_ms: r.get(1)?,
                    kind: r.get(2)?,
                    tenant: r.get(3)?,
                    user: r.get(4)?,
                    address: r.get(5)?,
                    detail: serde_json::from_str(&r.get::<_, String>(6)?)
                        .unwrap_or(serde_json::Value::Null),
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
        .await
    }

    /// Deletes the audit rows older than `cutoff_ms`: the cutoff is set for this transaction
    /// only (the delete trigger allows exactly those rows) and set back before it commits.
    pub async fn audit_purge(&self, cutoff_ms: i64) -> Result<u64> {
        self.write(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            tx.execute(
                "UPDATE audit_purge SET cutoff_ms = ?1 WHERE id = 1",
                [cutoff_ms],
            )?;
            let n = tx.execute("DELETE FROM audit_log WHERE at_ms < ?1", [cutoff_ms])? as u64;
            tx.execute("UPDATE audit_purge SET cutoff_ms = 0 WHERE id = 1", [])?;
            tx.commit()?;
            Ok(n)
        })
        .await
    }

    /// Every stored field of the given entities of a tenant, as record changes.
    pub async fn records(
        &self,
        tenant_id: i64,
        entities: Vec<String>,
    ) -> Result<Vec<RecordChange>> {
        self.read(move |c| {
            let mut records = RecordsBuilder::default();
            let mut stmt = c.prepare_cached(
                "SELECT entity, record_id, field, value, hlc FROM field WHERE tenant_id = ?1 AND entity = ?2",
            )?;
            for entity in &entities {
                add_rows(&mut records, stmt.query((tenant_id, entity))?)?;
            }
            Ok(records.finish())
        })
        .await
    }

    pub async fn claim_run(&self, name: &str) -> Result<bool> {
        let name = name.to_owned();
        self.write(move |c| {
            Ok(c.execute(
                "INSERT INTO job_run(name, at_ms) VALUES (?1, ?2) ON CONFLICT(name) DO NOTHING",
                (&name, now_ms() as i64),
            )? == 1)
        })
        .await
    }

    pub async fn tenant_id(&self, tenant: &str) -> Result<Option<i64>> {
        let tenant = tenant.to_owned();
        self.read(move |c| {
            Ok(c.prepare_cached("SELECT id FROM tenant WHERE name = ?1")?
                .query_row([&tenant], |r| r.get(0))
                .optional()?)
        })
        .await
    }

    pub async fn add_department_user(
        &self,
        tenant_id: i64,
        name: &str,
        department: Uuid,
        email: Option<String>,
        event: AuditEvent,
    ) -> Result<()> {
        let name = name.to_owned();
        self.write(move |c| {
            let tx = c.transaction()?;
            if let Some(email) = &email {
                let taken: bool = tx.query_row(
                    "SELECT EXISTS(SELECT 1 FROM department_user d JOIN app_user u ON u.id = d.user_id
                     WHERE d.email = ?1 AND NOT (u.tenant_id = ?2 AND u.name = ?3))",
                    (email, tenant_id, &name),
                    |r| r.get(0),
                )?;
                if taken {
                    return Err(ServerError::BadRequest(format!(
                        "another department user has the address {email}"
                    )));
                }
            }
            let role: Option<String> = tx
                .query_row(
                    "SELECT role FROM app_user WHERE tenant_id = ?1 AND name = ?2",
                    (tenant_id, &name),
                    |r| r.get(0),
                )
                .optional()?;
            if let Some(role) = role.filter(|r| r != Role::Department.as_str()) {
                return Err(ServerError::BadRequest(format!(
                    "{name:?} is a {role} of this tenant, with a laptop's token: give the department user another name"
                )));
            }
            tx.execute(
                "INSERT INTO app_user(tenant_id, name, role, created_at_ms) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT(tenant_id, name) DO NOTHING",
                (tenant_id, &name, Role::Department.as_str(), now_ms() as i64),
            )?;
            let user_id: i64 = tx.query_row(
                "SELECT id FROM app_user WHERE tenant_id = ?1 AND name = ?2",
                (tenant_id, &name),
                |r| r.get(0),
            )?;
            tx.execute(
                "INSERT INTO department_user(user_id, department_id, email) VALUES (?1, ?2, ?3)
                 ON CONFLICT(user_id) DO UPDATE SET department_id = excluded.department_id,
                     email = coalesce(excluded.email, department_user.email)",
                (user_id, department.to_string(), &email),
            )?;
            insert_audit(&tx, &[event])?;
            tx.commit()?;
            Ok(())
        })
        .await
    }

    pub async fn set_password(
        &self,
        tenant: &str,
        name: &str,
        password_hash: Option<String>,
        event: AuditEvent,
    ) -> Result<()> {
        let (tenant, name) = (tenant.to_owned(), name.to_owned());
        self.write(move |c| {
            let tx = c.transaction()?;
            let n = tx.execute(
                "UPDATE department_user SET password_hash = ?1 WHERE user_id =
                    (SELECT u.id FROM app_user u JOIN tenant t ON t.id = u.tenant_id
                     WHERE t.name = ?2 AND u.name = ?3 AND u.role = 'department')",
                (&password_hash, &tenant, &name),
            )?;
            if n == 0 {
                return Err(ServerError::UnknownUser(name));
            }
            // A new password (or none) ends the sessions and links made before.
            end_access(&tx, &tenant, &name)?;
            insert_audit(&tx, &[event])?;
            tx.commit()?;
            Ok(())
        })
        .await
    }

    pub async fn remove_department_user(
        &self,
        tenant: &str,
        name: &str,
        event: AuditEvent,
    ) -> Result<()> {
        let (tenant, name) = (tenant.to_owned(), name.to_owned());
        self.write(move |c| {
            let tx = c.transaction()?;
            end_access(&tx, &tenant, &name)?;
            let n = tx.execute(
                "DELETE FROM department_user WHERE user_id =
                    (SELECT u.id FROM app_user u JOIN tenant t ON t.id = u.tenant_id
                     WHERE t.name = ?1 AND u.name = ?2 AND u.role = 'department')",
                (&tenant, &name),
            )?;
            if n == 0 {
                return Err(ServerError::UnknownUser(name));
            }
            insert_audit(&tx, &[event])?;
            tx.commit()?;
            Ok(())
        })
        .await
    }

    pub async fn recent_sign_in_links(&self, user_id: i64, since_ms: i64) -> Result<i64> {
        self.read(move |c| {
            Ok(c.prepare_cached(
                "SELECT count(*) FROM sign_in_link WHERE user_id = ?1 AND created_at_ms >= ?2",
            )?
            .query_row((user_id, since_ms), |r| r.get(0))?)
        })
        .await
    }

    pub async fn web_user(&self, key: WebUserKey) -> Result<Option<WebUser>> {
        self.read(move |c| {
            let user = match &key {
                WebUserKey::Id(id) => c
                    .prepare_cached(&format!("{WEB_USER} AND u.id = ?1"))?
                    .query_row([id], web_user_row)
                    .optional()?,
                WebUserKey::Email(email) => c
                    .prepare_cached(&format!("{WEB_USER} AND d.email = lower(?1)"))?
                    .query_row([email.trim()], web_user_row)
                    .optional()?,
                WebUserKey::Name { tenant, name } => c
                    .prepare_cached(&format!("{WEB_USER} AND t.name = ?1 AND u.name = ?2"))?
                    .query_row((tenant, name), web_user_row)
                    .optional()?,
            };
            user.transpose()
        })
        .await
    }

    pub async fn department_users(&self, tenant_id: Option<i64>) -> Result<Vec<WebUser>> {
        self.read(move |c| {
            let mut stmt = c.prepare_cached(&format!(
                "{WEB_USER} AND (?1 IS NULL OR u.tenant_id = ?1) ORDER BY t.name, u.name"
            ))?;
            let rows = stmt.query_map([tenant_id], web_user_row)?;
            rows.map(|r| r?).collect()
        })
        .await
    }

    pub async fn put_web_session(
        &self,
        hash: &str,
        user_id: i64,
        csrf: &str,
        expires_at_ms: i64,
    ) -> Result<()> {
        let (hash, csrf) = (hash.to_owned(), csrf.to_owned());
        self.write(move |c| {
            c.execute(
                "INSERT INTO web_session(hash, user_id, csrf, created_at_ms, expires_at_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                (&hash, user_id, &csrf, now_ms() as i64, expires_at_ms),
            )?;
            Ok(())
        })
        .await
    }

    pub async fn web_session(&self, hash: &str, now_ms: i64) -> Result<Option<WebSession>> {
        let hash = hash.to_owned();
        self.read(move |c| {
            let row = c
                .prepare_cached(&format!(
                    "SELECT w.*, s.csrf, s.expires_at_ms FROM ({WEB_USER}) w
                     JOIN web_session s ON s.user_id = w.id
                     WHERE s.hash = ?1 AND s.expires_at_ms > ?2"
                ))?
                .query_row((&hash, now_ms), |r| {
                    Ok((
                        web_user_row(r)?,
                        r.get::<_, String>(7)?,
                        r.get::<_, i64>(8)?,
                    ))
                })
                .optional()?;
            row.map(|(user, csrf, expires_at_ms)| {
                Ok(WebSession {
                    user: user?,
                    csrf,
                    expires_at_ms,
                })
            })
            .transpose()
        })
        .await
    }

    pub async fn end_web_session(&self, hash: &str, now_ms: i64) -> Result<()> {
        let hash = hash.to_owned();
        self.write(move |c| {
            let tx = c.transaction()?;
            tx.execute(
                "DELETE FROM web_session WHERE hash = ?1 OR expires_at_ms <= ?2",
                (&hash, now_ms),
            )?;
            tx.execute(
                "DELETE FROM sign_in_link WHERE expires_at_ms <= ?1",
                [now_ms - crate::audit::DAY_MS],
            )?;
            tx.commit()?;
            Ok(())
        })
        .await
    }

    pub async fn put_sign_in_link(
        &self,
        hash: &str,
        user_id: i64,
        expires_at_ms: i64,
    ) -> Result<()> {
        let hash = hash.to_owned();
        self.write(move |c| {
            c.execute(
                "INSERT INTO sign_in_link(hash, user_id, created_at_ms, expires_at_ms)
                 VALUES (?1, ?2, ?3, ?4)",
                (&hash, user_id, now_ms() as i64, expires_at_ms),
            )?;
            Ok(())
        })
        .await
    }

    pub async fn use_sign_in_link(&self, hash: &str, now_ms: i64) -> Result<LinkUse> {
        let hash = hash.to_owned();
        let link = self
            .write(move |c| {
                let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
                let row: Option<(i64, i64, Option<i64>)> = tx
                    .query_row(
                        "SELECT user_id, expires_at_ms, used_at_ms FROM sign_in_link WHERE hash = ?1",
                        [&hash],
                        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                    )
                    .optional()?;
                let answer = match row {
                    None => Err(LinkUse::Unknown),
                    Some((_, _, Some(_))) => Err(LinkUse::Used),
                    Some((_, expires, None)) if expires <= now_ms => Err(LinkUse::Expired),
                    Some((user_id, _, None)) => {
                        tx.execute(
                            "UPDATE sign_in_link SET used_at_ms = ?1 WHERE hash = ?2",
                            (now_ms, &hash),
                        )?;
                        Ok(user_id)
                    }
                };
                tx.commit()?;
                Ok(answer)
            })
            .await?;
        match link {
            Err(refused) => Ok(refused),
            Ok(user_id) => Ok(match self.web_user(WebUserKey::Id(user_id)).await? {
                Some(user) => LinkUse::Valid(user),
                None => LinkUse::Unknown,
            }),
        }
    }

    pub async fn release_run(&self, name: &str) -> Result<()> {
        let name = name.to_owned();
        self.write(move |c| {
            c.execute("DELETE FROM job_run WHERE name = ?1", [&name])?;
            Ok(())
        })
        .await
    }

    pub async fn web_writer(&self, tenant_id: i64, floor_ms: i64) -> Result<WebWriterTicket> {
        self.write(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            tx.execute(
                "INSERT INTO web_writer(tenant_id, client_id, node, next_seq) VALUES (?1, ?2, ?3, 1)
                 ON CONFLICT(tenant_id) DO NOTHING",
                (
                    tenant_id,
                    Uuid::now_v7().to_string(),
                    crate::web::new_writer_node().0 as i64,
                ),
            )?;
            let (client_id, node, client_seq, wall): (String, i64, i64, i64) = tx.query_row(
                "UPDATE web_writer SET next_seq = next_seq + 1, last_ms = max(last_ms + 1, ?2)
                 WHERE tenant_id = ?1 RETURNING client_id, node, next_seq - 1, last_ms",
                (tenant_id, floor_ms),
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )?;
            tx.commit()?;
            Ok(WebWriterTicket {
                client_id: parse_uuid(&client_id)?,
                node: wijkwerk_protocol::NodeId(node as u64),
                client_seq,
                wall_ms: u64::try_from(wall).unwrap_or(0),
            })
        })
        .await
    }

    pub async fn head_seq(&self, tenant_id: i64) -> Result<i64> {
        self.read(move |c| {
            c.prepare_cached("SELECT head_seq FROM tenant WHERE id = ?1")?
                .query_row([tenant_id], |r| r.get(0))
                .optional()?
                .ok_or_else(|| ServerError::UnknownTenant(tenant_id.to_string()))
        })
        .await
    }

    pub async fn action_point_fields(
        &self,
        tenant_id: i64,
        after: i64,
        up_to: i64,
    ) -> Result<Vec<crate::web::index::FieldRow>> {
        self.read(move |c| {
            // From nothing: every action point's rows (the primary key's range of the entity);
            // later: the rows written after `after` (the sequence index, as a pull reads).
            let sql = if after == 0 {
                "SELECT record_id, field, value FROM field
                 WHERE tenant_id = ?1 AND entity = 'action_point'
                   AND field IN ('owner_organisation_id', 'status', 'due_date', 'deleted')
                   AND seq <= ?3 AND ?2 = 0"
            } else {
                "SELECT record_id, field, value FROM field INDEXED BY field_seq
                 WHERE tenant_id = ?1 AND seq > ?2 AND seq <= ?3 AND entity = 'action_point'
                   AND field IN ('owner_organisation_id', 'status', 'due_date', 'deleted')
                 ORDER BY seq"
            };
            let mut stmt = c.prepare_cached(sql)?;
            let rows = stmt.query_map((tenant_id, after, up_to), |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
        .await
    }

    pub async fn records_of(
        &self,
        tenant_id: i64,
        entity: &str,
        ids: Vec<String>,
    ) -> Result<Vec<RecordChange>> {
        let entity = entity.to_owned();
        self.read(move |c| {
            let mut records = RecordsBuilder::default();
            let mut stmt = c.prepare_cached(
                "SELECT entity, record_id, field, value, hlc FROM field
                 WHERE tenant_id = ?1 AND entity = ?2 AND record_id = ?3",
            )?;
            for id in &ids {
                add_rows(&mut records, stmt.query((tenant_id, &entity, id))?)?;
            }
            Ok(records.finish())
        })
        .await
    }

    pub async fn point_events(&self, tenant_id: i64, point: String) -> Result<Vec<RecordChange>> {
        self.read(move |c| {
            let mut records = RecordsBuilder::default();
            let mut stmt = c.prepare_cached(
                "SELECT f.entity, f.record_id, f.field, f.value, f.hlc
                 FROM point_event p JOIN field f ON f.tenant_id = p.tenant_id
                     AND f.entity = 'action_point_event' AND f.record_id = p.event_id
                 WHERE p.tenant_id = ?1 AND p.point = ?2",
            )?;
            add_rows(&mut records, stmt.query((tenant_id, &point))?)?;
            Ok(records.finish())
        })
        .await
    }

    pub(crate) fn pushes(&self) -> &Arc<PushQueue> {
        &self.pushes
    }

    pub(crate) fn push_target(&self) -> PushTarget {
        PushTarget::Sqlite(self.writer.clone())
    }

    pub async fn pull(&self, tenant_id: i64, cursor: Cursor, limit: usize) -> Result<PullResponse> {
        self.read(move |c| pull(c, tenant_id, cursor, limit)).await
    }
}

/// Ends a user's web sessions and sign-in links (a new password, a removal, revoked tokens).
fn end_access(tx: &rusqlite::Transaction<'_>, tenant: &str, name: &str) -> Result<()> {
    let user = "(SELECT u.id FROM app_user u JOIN tenant t ON t.id = u.tenant_id
                 WHERE t.name = ?1 AND u.name = ?2)";
    tx.execute(
        &format!("DELETE FROM web_session WHERE user_id = {user}"),
        (tenant, name),
    )?;
    tx.execute(
        &format!("DELETE FROM sign_in_link WHERE user_id = {user}"),
        (tenant, name),
    )?;
    Ok(())
}

/// A department user, with the condition that follows it (`AND ...`).
const WEB_USER: &str =
    "SELECT u.id, u.tenant_id, t.name, u.name, d.department_id, d.email, d.password_hash
     FROM department_user d JOIN app_user u ON u.id = d.user_id JOIN tenant t ON t.id = u.tenant_id
     WHERE u.role = 'department'";

fn web_user_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Result<WebUser>> {
    let department: String = r.get(4)?;
    let (user_id, tenant_id, tenant, name, email, password_hash) = (
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(5)?,
        r.get(6)?,
    );
    Ok(parse_uuid(&department).map(|department_id| WebUser {
        user_id,
        tenant_id,
        tenant,
        name,
        department_id,
        email,
        password_hash,
    }))
}

async fn write_with<T: Send + 'static>(
    writer: &Writer,
    work: impl FnOnce(&mut Connection) -> Result<T> + Send + 'static,
) -> Result<T> {
    let writer = writer.clone();
    tokio::task::spawn_blocking(move || {
        let mut conn = writer
            .lock()
            .map_err(|_| ServerError::Pool("writer poisoned".into()))?;
        work(&mut conn)
    })
    .await
    .map_err(|e| ServerError::Pool(e.to_string()))?
}

/// Writes pushes to one tenant in one transaction; their acknowledgements in the same order.
pub(crate) async fn push_batch(
    writer: &Writer,
    tenant_id: i64,
    jobs: Arc<Vec<PushJob>>,
) -> Result<Vec<Pushed>> {
    write_with(writer, move |c| push(c, tenant_id, &jobs)).await
}

/// Adds rows of `entity, record_id, field, value, hlc` to `records`.
fn add_rows(records: &mut RecordsBuilder, mut rows: rusqlite::Rows<'_>) -> Result<()> {
    while let Some(r) = rows.next()? {
        records.add(
            r.get(0)?,
            r.get(1)?,
            r.get(2)?,
            &r.get::<_, String>(3)?,
            &r.get::<_, String>(4)?,
        )?;
    }
    Ok(())
}

fn parse_hlc(text: &str) -> Result<Hlc> {
    text.parse()
        .map_err(|e: wijkwerk_protocol::HlcParseError| ServerError::StoredData(e.to_string()))
}

fn parse_uuid(text: &str) -> Result<Uuid> {
    Uuid::parse_str(text).map_err(|e| ServerError::StoredData(e.to_string()))
}

fn parse_json(text: &str) -> Result<serde_json::Value> {
    serde_json::from_str(text).map_err(|e| ServerError::StoredData(e.to_string()))
}

fn push(c: &mut Connection, tenant_id: i64, jobs: &[PushJob]) -> Result<Vec<Pushed>> {
    // IMMEDIATE takes the write lock now: sequences are handed out one writer at a time.
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let (head, head_tx): (i64, Option<String>) = tx
        .query_row(
            "SELECT t.head_seq,
                    (SELECT tx_id FROM server_tx s WHERE s.tenant_id = t.id AND s.seq = t.head_seq)
             FROM tenant t WHERE t.id = ?1",
            [tenant_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?
        .ok_or_else(|| ServerError::UnknownTenant(tenant_id.to_string()))?;
    let head_tx = head_tx.map(|t| parse_uuid(&t)).transpose()?;
    let mut done = HashMap::new();
    for (client, client_seq) in push_client_seqs(jobs) {
        let seq: Option<i64> = tx
            .prepare_cached("SELECT seq FROM server_tx WHERE tenant_id = ?1 AND client_id = ?2 AND client_seq = ?3")?
            .query_row((tenant_id, client.to_string(), client_seq), |r| r.get(0))
            .optional()?;
        if let Some(seq) = seq {
            done.insert((client, client_seq), seq);
        }
    }
    let mut current = HashMap::new();
    for key in push_keys(jobs) {
        let state = tx
            .prepare_cached(
                "SELECT value, hlc FROM field
                 WHERE tenant_id = ?1 AND entity = ?2 AND record_id = ?3 AND field = ?4",
            )?
            .query_row((tenant_id, &key.0, &key.1, &key.2), |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
            })
            .optional()?;
        if let Some((value, hlc)) = state {
            current.insert(
                key,
                FieldState {
                    value: parse_json(&value)?,
                    hlc: parse_hlc(&hlc)?,
                },
            );
        }
    }
    let mut planner = PushPlanner::new(head, head_tx, done, current);
    let answers = planner.add_all(jobs);
    let plan = planner.finish();
    // One time of receipt for the whole transaction: the first push's.
    let received = jobs.first().map_or(0, |j| j.limits.now_ms) as i64;
    for f in &plan.fields {
        tx.prepare_cached(
            "INSERT INTO field(tenant_id, entity, record_id, field, value, hlc, seq, received_at_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT(tenant_id, entity, record_id, field) DO UPDATE SET
                 value = excluded.value, hlc = excluded.hlc, seq = excluded.seq,
                 received_at_ms = excluded.received_at_ms",
        )?
        .execute((tenant_id, &f.key.0, &f.key.1, &f.key.2, &f.value, &f.hlc, f.seq, received))?;
        if is_point_link(&f.key) {
            tx.prepare_cached(
                "INSERT INTO point_event(tenant_id, event_id, point) VALUES (?1, ?2, ?3)
                 ON CONFLICT(tenant_id, event_id) DO UPDATE SET point = excluded.point",
            )?
            .execute((tenant_id, &f.key.1, &f.value))?;
        }
    }
    for k in &plan.conflicts {
        tx.prepare_cached(
            "INSERT INTO conflict(tenant_id, seq, entity, record_id, field, lost_value, lost_hlc,
                                  won_value, won_hlc, received_at_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        )?
        .execute((
            tenant_id,
            k.seq,
            &k.key.0,
            &k.key.1,
            &k.key.2,
            &k.lost_value,
            &k.lost_hlc,
            &k.won_value,
            &k.won_hlc,
            received,
        ))?;
    }
    for t in &plan.transactions {
        tx.prepare_cached(
            "INSERT INTO server_tx(tenant_id, seq, tx_id, client_id, client_seq, client_tx_id, received_at_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?
        .execute((tenant_id, t.seq, t.tx_id.to_string(), t.client_id.to_string(), t.client_seq, t.client_tx_id.to_string(), received))?;
    }
    for e in &plan.erasures {
        tx.prepare_cached(
            "DELETE FROM conflict WHERE tenant_id = ?1 AND entity = ?2 AND record_id = ?3",
        )?
        .execute((tenant_id, &e.entity, &e.record_id))?;
        tx.prepare_cached(
            "UPDATE field SET value = CASE field WHEN 'deleted' THEN 'true' ELSE 'null' END,
                              hlc = ?4, seq = ?5, received_at_ms = ?6
             WHERE tenant_id = ?1 AND entity = ?2 AND record_id = ?3 AND field <> ?7
               AND hlc <> ?4 AND seq < ?5
               AND value <> CASE field WHEN 'deleted' THEN 'true' ELSE 'null' END",
        )?
        .execute((
            tenant_id,
            &e.entity,
            &e.record_id,
            &e.hlc,
            e.seq,
            received,
            wijkwerk_protocol::ERASED_FIELD,
        ))?;
    }
    tx.execute(
        "UPDATE tenant SET head_seq = ?1 WHERE id = ?2",
        (plan.head, tenant_id),
    )?;
    if !plan.erasures.is_empty() {
        insert_audit(&tx, &erasure_events(jobs, &answers))?;
        tx.execute(
            "INSERT OR REPLACE INTO maintenance(name, done_at_ms) VALUES ('checkpoint-after-erasure', ?1)",
            [received],
        )?;
    }
    tx.commit()?;
    if !plan.erasures.is_empty() {
        checkpoint_after_erasure(c);
    }
    Ok(pushed(answers, plan.head))
}

fn pull(c: &mut Connection, tenant_id: i64, cursor: Cursor, limit: usize) -> Result<PullResponse> {
    let tx = c.transaction()?;
    let head: i64 = tx
        .query_row(
            "SELECT head_seq FROM tenant WHERE id = ?1",
            [tenant_id],
            |r| r.get(0),
        )
        .optional()?
        .ok_or_else(|| ServerError::UnknownTenant(tenant_id.to_string()))?;
    let tx_of = |seq: i64| -> Result<Option<Uuid>> {
        let text: Option<String> = tx
            .prepare_cached("SELECT tx_id FROM server_tx WHERE tenant_id = ?1 AND seq = ?2")?
            .query_row((tenant_id, seq), |r| r.get(0))
            .optional()?;
        Ok(text.and_then(|t| Uuid::parse_str(&t).ok()))
    };
    if cursor.seq < 0 || cursor.seq > head {
        return Err(ServerError::UnknownCursor);
    }
    if cursor.seq > 0 {
        let known = tx_of(cursor.seq)?;
        if known.is_none() || known != cursor.tx {
            return Err(ServerError::UnknownCursor);
        }
    }
    let limit = limit.clamp(1, 50_000);
    let end: i64 = tx
        .prepare_cached("SELECT seq FROM field WHERE tenant_id = ?1 AND seq > ?2 ORDER BY seq LIMIT 1 OFFSET ?3")?
        .query_row((tenant_id, cursor.seq, limit as i64 - 1), |r| r.get(0))
        .optional()?
        .unwrap_or(head);
    let mut records = RecordsBuilder::default();
    {
        let mut stmt = tx.prepare_cached(
            "SELECT entity, record_id, field, value, hlc FROM field
             WHERE tenant_id = ?1 AND seq > ?2 AND seq <= ?3 ORDER BY seq, entity, record_id, field",
        )?;
        add_rows(&mut records, stmt.query((tenant_id, cursor.seq, end))?)?;
    }
    let records = records.finish();
    let mut conflicts = Vec::new();
    {
        let mut stmt = tx.prepare_cached(
            "SELECT entity, record_id, field, lost_value, lost_hlc, won_value, won_hlc, received_at_ms
             FROM conflict WHERE tenant_id = ?1 AND seq > ?2 AND seq <= ?3 ORDER BY seq",
        )?;
        let mut rows = stmt.query((tenant_id, cursor.seq, end))?;
        while let Some(r) = rows.next()? {
            conflicts.push(ServerConflict {
                entity: r.get(0)?,
                id: Uuid::parse_str(&r.get::<_, String>(1)?)
                    .map_err(|e| ServerError::StoredData(e.to_string()))?,
                field: r.get(2)?,
                lost_value: parse_json(&r.get::<_, String>(3)?)?,
                lost_hlc: parse_hlc(&r.get::<_, String>(4)?)?,
                won_value: parse_json(&r.get::<_, String>(5)?)?,
                won_hlc: parse_hlc(&r.get::<_, String>(6)?)?,
                received_at_ms: r.get::<_, i64>(7)? as u64,
            });
        }
    }
    let cursor = Cursor {
        seq: end,
        tx: if end > 0 { tx_of(end)? } else { None },
    };
    Ok(PullResponse {
        records,
        conflicts,
        cursor,
        more: end < head,
        head,
        token_expires_at_ms: None,
        extra: Default::default(),
    })
}
