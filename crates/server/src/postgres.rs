//! The production storage: PostgreSQL. The same tables and rules as `sqlite.rs`; sequences are
//! handed out under a row lock on the tenant (`SELECT ... FOR UPDATE`), so that they commit in
//! order even with several server processes. A push (or several that arrived together, see
//! `storage::PushQueue`) takes four round trips whatever its size: BEGIN; the lock and the reads,
//! pipelined; every write in one statement (arrays unnested); COMMIT. Statements are prepared
//! once per connection, and pushes have connections of their own so they never wait behind
//! pulls.

use crate::audit::{AuditEvent, AuditFilter, AuditRecord};
use crate::error::{Result, ServerError};
use crate::merge::FieldState;
use crate::storage::{
    erasure_events, push_client_seqs, push_keys, pushed, user_events, FeedOwner, LinkUse, NewToken,
    Principal, PushJob, PushPlanner, PushQueue, PushTarget, Pushed, RecordsBuilder, Role, TokenRow,
    WebSession, WebUser, WebUserKey, WebWriterTicket,
};
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use std::collections::HashMap;
use std::sync::Arc;
use uuid::Uuid;
use wijkwerk_protocol::wire::{Cursor, PullResponse, ServerConflict};
use wijkwerk_protocol::{Hlc, RecordChange};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS wijkwerk_schema (
    id     INT PRIMARY KEY CHECK (id = 1),
    digest TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS tenant (
    id            BIGSERIAL PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE,
    head_seq      BIGINT NOT NULL DEFAULT 0,
    created_at_ms BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS app_user (
    id            BIGSERIAL PRIMARY KEY,
    tenant_id     BIGINT NOT NULL REFERENCES tenant(id),
    name          TEXT NOT NULL,
    role          TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    UNIQUE (tenant_id, name)
);
CREATE TABLE IF NOT EXISTS token (
    hash          TEXT PRIMARY KEY,
    user_id       BIGINT NOT NULL REFERENCES app_user(id),
    created_at_ms BIGINT NOT NULL,
    revoked_at_ms BIGINT
);
CREATE TABLE IF NOT EXISTS server_tx (
    tenant_id      BIGINT NOT NULL,
    seq            BIGINT NOT NULL,
    tx_id          TEXT NOT NULL,
    client_id      TEXT NOT NULL,
    client_seq     BIGINT NOT NULL,
    client_tx_id   TEXT NOT NULL,
    received_at_ms BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, seq),
    UNIQUE (tenant_id, client_id, client_seq)
);
CREATE TABLE IF NOT EXISTS field (
    tenant_id      BIGINT NOT NULL,
    entity         TEXT NOT NULL,
    record_id      TEXT NOT NULL,
    field          TEXT NOT NULL,
    value          TEXT NOT NULL,
    hlc            TEXT NOT NULL,
    seq            BIGINT NOT NULL,
    received_at_ms BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, entity, record_id, field)
);
CREATE INDEX IF NOT EXISTS field_seq ON field(tenant_id, seq);
CREATE TABLE IF NOT EXISTS feed_token (
    hash          TEXT PRIMARY KEY,
    tenant_id     BIGINT NOT NULL REFERENCES tenant(id),
    user_id       BIGINT NOT NULL REFERENCES app_user(id),
    created_at_ms BIGINT NOT NULL,
    revoked_at_ms BIGINT
);
CREATE TABLE IF NOT EXISTS conflict (
    tenant_id      BIGINT NOT NULL,
    seq            BIGINT NOT NULL,
    entity         TEXT NOT NULL,
    record_id      TEXT NOT NULL,
    field          TEXT NOT NULL,
    lost_value     TEXT NOT NULL,
    lost_hlc       TEXT NOT NULL,
    won_value      TEXT NOT NULL,
    won_hlc        TEXT NOT NULL,
    received_at_ms BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS conflict_seq ON conflict(tenant_id, seq);
CREATE INDEX IF NOT EXISTS conflict_record ON conflict(tenant_id, entity, record_id);
DO $$
BEGIN
    -- Only when missing: ALTER TABLE locks the table even when the column is there.
    IF NOT EXISTS (SELECT 1 FROM information_schema.columns
                   WHERE table_schema = current_schema() AND table_name = 'token'
                     AND column_name = 'expires_at_ms') THEN
        ALTER TABLE token ADD COLUMN expires_at_ms BIGINT;
        ALTER TABLE token ADD COLUMN replaces TEXT;
    END IF;
END $$;
CREATE INDEX IF NOT EXISTS token_replaces ON token(replaces) WHERE replaces IS NOT NULL;
CREATE INDEX IF NOT EXISTS token_user ON token(user_id);
CREATE TABLE IF NOT EXISTS audit_log (
    id        BIGSERIAL PRIMARY KEY,
    at_ms     BIGINT NOT NULL,
    kind      TEXT NOT NULL,
    tenant    TEXT,
    user_name TEXT,
    address   TEXT,
    detail    TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS audit_log_at ON audit_log(at_ms);
CREATE INDEX IF NOT EXISTS audit_log_tenant ON audit_log(tenant, at_ms);
CREATE TABLE IF NOT EXISTS audit_purge (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    cutoff_ms BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS department_user (
    user_id       BIGINT PRIMARY KEY REFERENCES app_user(id),
    department_id TEXT NOT NULL,
    email         TEXT,
    password_hash TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS department_user_email ON department_user(email)
    WHERE email IS NOT NULL;
CREATE TABLE IF NOT EXISTS web_session (
    hash          TEXT PRIMARY KEY,
    user_id       BIGINT NOT NULL REFERENCES app_user(id),
    csrf          TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    expires_at_ms BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS sign_in_link (
    hash          TEXT PRIMARY KEY,
    user_id       BIGINT NOT NULL REFERENCES app_user(id),
    created_at_ms BIGINT NOT NULL,
    expires_at_ms BIGINT NOT NULL,
    used_at_ms    BIGINT
);
CREATE TABLE IF NOT EXISTS web_writer (
    tenant_id BIGINT PRIMARY KEY REFERENCES tenant(id),
    client_id TEXT NOT NULL,
    node      BIGINT NOT NULL,
    next_seq  BIGINT NOT NULL,
    last_ms   BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS job_run (
    name  TEXT PRIMARY KEY,
    at_ms BIGINT NOT NULL
);
-- The action point each history entry belongs to, written with the field by the push; the
-- point's page reads its history by it. A partial index on `field` for the same made every
-- update of a value a non-HOT update (all of `field`'s indexes written again): a push of
-- 10,000 changes eight times slower.
DROP INDEX IF EXISTS field_event_action_point;
CREATE TABLE IF NOT EXISTS point_event (
    tenant_id BIGINT NOT NULL,
    event_id  TEXT NOT NULL,
    point     TEXT NOT NULL,
    PRIMARY KEY (tenant_id, event_id)
);
CREATE INDEX IF NOT EXISTS point_event_point ON point_event(tenant_id, point);
INSERT INTO point_event(tenant_id, event_id, point)
    SELECT tenant_id, record_id, value FROM field
    WHERE entity = 'action_point_event' AND field = 'action_point_id'
    ON CONFLICT DO NOTHING;
INSERT INTO audit_purge(id, cutoff_ms) SELECT 1, 0 WHERE NOT EXISTS (SELECT 1 FROM audit_purge);
CREATE OR REPLACE FUNCTION audit_log_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.at_ms < coalesce((SELECT cutoff_ms FROM audit_purge WHERE id = 1), 0) THEN
            RETURN OLD;
        END IF;
        RAISE EXCEPTION 'the audit log is append-only: only the retention purge deletes rows, older than the retention';
    END IF;
    RAISE EXCEPTION 'the audit log is append-only: its rows are never changed or emptied';
END $$;
CREATE OR REPLACE FUNCTION audit_purge_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF NEW.cutoff_ms > extract(epoch FROM clock_timestamp()) * 1000 - 30 * 86400000.0 THEN
            RAISE EXCEPTION 'the audit log is kept at least 30 days';
        END IF;
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'the audit log is append-only: its purge setting stays';
END $$;
DO $$
BEGIN
    -- Made once: dropping and making them again at every start would lock the tables a
    -- running server writes (and deadlock with its purge).
    IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = 'audit_log_guard') THEN
        CREATE TRIGGER audit_log_guard BEFORE UPDATE OR DELETE ON audit_log
            FOR EACH ROW EXECUTE FUNCTION audit_log_guard();
        CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
            FOR EACH STATEMENT EXECUTE FUNCTION audit_log_guard();
        CREATE TRIGGER audit_purge_guard BEFORE UPDATE OR DELETE ON audit_purge
            FOR EACH ROW EXECUTE FUNCTION audit_purge_guard();
        CREATE TRIGGER audit_purge_no_truncate BEFORE TRUNCATE ON audit_purge
            FOR EACH STATEMENT EXECUTE FUNCTION audit_purge_guard();
    END IF;
END $$;
";

/// Appends audit events in the caller's transaction (one statement whatever their number).
async fn insert_audit(
    client: &impl deadpool_postgres::GenericClient,
    events: &[AuditEvent],
) -> Result<()> {
    let at: Vec<i64> = events.iter().map(|e| e.at_ms).collect();
    let kind: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
    let tenant: Vec<Option<&str>> = events.iter().map(|e| e.tenant.as_deref()).collect();
    let user: Vec<Option<&str>> = events.iter().map(|e| e.user.as_deref()).collect();
    let address: Vec<Option<&str>> = events.iter().map(|e| e.address.as_deref()).collect();
    let detail: Vec<String> = events.iter().map(AuditEvent::detail_text).collect();
    client
        .execute(
            "INSERT INTO audit_log(at_ms, kind, tenant, user_name, address, detail)
             SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[],
                                  $6::text[])",
            &[&at, &kind, &tenant, &user, &address, &detail],
        )
        .await?;
    Ok(())
}

/// Ends a user's web sessions and sign-in links (a new password, a removal, revoked tokens).
async fn end_access(
    tx: &impl deadpool_postgres::GenericClient,
    tenant: &str,
    name: &str,
) -> Result<()> {
    let user = "(SELECT u.id FROM app_user u JOIN tenant t ON t.id = u.tenant_id
                 WHERE t.name = $1 AND u.name = $2)";
    tx.execute(
        &format!("DELETE FROM web_session WHERE user_id = {user}"),
        &[&tenant, &name],
    )
    .await?;
    tx.execute(
        &format!("DELETE FROM sign_in_link WHERE user_id = {user}"),
        &[&tenant, &name],
    )
    .await?;
    Ok(())
}

/// A department user, with the condition that follows it (`AND ...`).
const WEB_USER: &str =
    "SELECT u.id, u.tenant_id, t.name, u.name, d.department_id, d.email, d.password_hash
     FROM department_user d JOIN app_user u ON u.id = d.user_id JOIN tenant t ON t.id = u.tenant_id
     WHERE u.role = 'department'";

fn web_user_row(r: &tokio_postgres::Row) -> Result<WebUser> {
    Ok(WebUser {
        user_id: r.get(0),
        tenant_id: r.get(1),
        tenant: r.get(2),
        name: r.get(3),
        department_id: parse_uuid(r.get(4))?,
        email: r.get(5),
        password_hash: r.get(6),
    })
}

/// Serialises schema creation between server processes starting at the same time.
const SCHEMA_LOCK: i64 = 0x5749_4a4b_5745_524b;

/// Brings the database to `SCHEMA`, only when the schema last applied was another (its digest
/// is kept in `wijkwerk_schema`). Every `CREATE INDEX IF NOT EXISTS` takes a share lock on its
/// table even when the index is there, so running the whole batch at each start (of the server,
/// and of every admin command) made writers queue behind it and could end a running
/// transaction in a deadlock. Called under `SCHEMA_LOCK`.
async fn create_schema(
    client: &tokio_postgres::Client,
) -> std::result::Result<(), tokio_postgres::Error> {
    use sha2::Digest;
    let digest = format!("{:x}", sha2::Sha256::digest(SCHEMA.as_bytes()));
    let exists: bool = client
        .query_one("SELECT to_regclass('wijkwerk_schema') IS NOT NULL", &[])
        .await?
        .get(0);
    if exists {
        let applied: Option<String> = client
            .query_opt("SELECT digest FROM wijkwerk_schema WHERE id = 1", &[])
            .await?
            .map(|r| r.get(0));
        if applied.as_deref() == Some(digest.as_str()) {
            return Ok(());
        }
    }
    client.batch_execute(SCHEMA).await?;
    // Tokens from before expiries get theirs from now: an upgrade locks nobody out.
    client
        .execute(
            "UPDATE token SET expires_at_ms = $1 WHERE expires_at_ms IS NULL",
            &[&crate::auth::default_expiry(now_ms())],
        )
        .await?;
    client
        .execute(
            "INSERT INTO wijkwerk_schema(id, digest) VALUES (1, $1)
             ON CONFLICT (id) DO UPDATE SET digest = excluded.digest",
            &[&digest],
        )
        .await?;
    Ok(())
}

/// Connections for signing in, pulls and the rest.
const READ_CONNECTIONS: usize = 16;
/// Connections for writing pushes: their own, so that pushes never wait behind pulls for a
/// connection. One push worker per tenant holds one while it writes (`storage::PushQueue`).
const PUSH_CONNECTIONS: usize = 4;

pub struct PostgresStorage {
    /// Signing in, pulls, administration.
    pool: Pool,
    /// Writing pushes.
    push_pool: Pool,
    pushes: Arc<PushQueue>,
}

/// A statement parameter.
type Param<'a> = &'a (dyn tokio_postgres::types::ToSql + Sync);

fn pool_error(e: impl std::fmt::Display) -> ServerError {
    ServerError::Pool(e.to_string())
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Rows of `entity, record_id, field, value, hlc` as one record change per record.
fn records_from(rows: Vec<tokio_postgres::Row>) -> Result<Vec<RecordChange>> {
    let mut records = RecordsBuilder::default();
    for row in rows {
        records.add(row.get(0), row.get(1), row.get(2), row.get(3), row.get(4))?;
    }
    Ok(records.finish())
}

fn parse_hlc(text: &str) -> Result<Hlc> {
    text.parse()
        .map_err(|e: wijkwerk_protocol::HlcParseError| ServerError::StoredData(e.to_string()))
}

fn parse_json(text: &str) -> Result<serde_json::Value> {
    serde_json::from_str(text).map_err(|e| ServerError::StoredData(e.to_string()))
}

fn parse_uuid(text: &str) -> Result<Uuid> {
    Uuid::parse_str(text).map_err(|e| ServerError::StoredData(e.to_string()))
}

impl PostgresStorage {
    pub async fn open(url: &str) -> Result<PostgresStorage> {
        let config: tokio_postgres::Config = url.parse().map_err(|e| {
            ServerError::Config(format!("the PostgreSQL address is not valid: {e}"))
        })?;
        // Pushes run the same few statements with arrays of a few to thousands of elements: one
        // generic plan (look-ups by primary key) instead of planning each again for its arrays.
        // And every statement of a push is a look-up or write by key: with a table that was
        // nearly empty when a connection planned them (a new tenant, a fresh server), the
        // generic plan of the look-up of (client id, client sequence) was a sequential scan,
        // kept while the table grew: 400 ms per push of 500 after 10,000 transactions, until
        // the next analyse. Sequential scans are off on push connections.
        let mut push_config = config.clone();
        let generic = "-c plan_cache_mode=force_generic_plan -c enable_seqscan=off";
        push_config.options(&match config.get_options() {
            Some(options) => format!("{options} {generic}"),
            None => generic.to_owned(),
        });
        // Reads walk the indexes in their order (a pull page is a range of `field_seq`). Before
        // PostgreSQL has statistics for a table just filled (autovacuum analyses it within a
        // minute or so), its planner chose bitmap scans with a sort instead: 124 ms instead of
        // 3 ms for a page's end, and a first download of 100,000 records 3.3 s instead of 2.6 s.
        let mut read_config = config.clone();
        let index_order = "-c enable_bitmapscan=off";
        read_config.options(&match config.get_options() {
            Some(options) => format!("{options} {index_order}"),
            None => index_order.to_owned(),
        });
        let pool = |config: &tokio_postgres::Config, size: usize| {
            let manager = Manager::from_config(
                config.clone(),
                tokio_postgres::NoTls,
                ManagerConfig {
                    recycling_method: RecyclingMethod::Fast,
                },
            );
            Pool::builder(manager)
                .max_size(size)
                .build()
                .map_err(|e| ServerError::Config(e.to_string()))
        };
        let (pool, push_pool) = (
            pool(&read_config, READ_CONNECTIONS)?,
            pool(&push_config, PUSH_CONNECTIONS)?,
        );
        let client = pool
            .get()
            .await
            .map_err(|e| ServerError::Config(format!("cannot reach PostgreSQL: {e}")))?;
        client
            .execute("SELECT pg_advisory_lock($1)", &[&SCHEMA_LOCK])
            .await?;
        let created = create_schema(&client).await;
        client
            .execute("SELECT pg_advisory_unlock($1)", &[&SCHEMA_LOCK])
            .await?;
        created?;
        Ok(PostgresStorage {
            pool,
            push_pool,
            pushes: Arc::default(),
        })
    }

    /// Opens every connection of both pools and prepares the statements of sign-in, pull and
    /// push on each, so that the first burst of laptops does not wait for new connections
    /// (a new PostgreSQL backend and its statements take milliseconds each).
    pub async fn warm_up(&self) -> Result<()> {
        async fn prepare(
            pool: Pool,
            statements: &'static [&'static str],
        ) -> Result<deadpool_postgres::Object> {
            let client = pool.get().await.map_err(pool_error)?;
            for statement in statements {
                client.prepare_cached(statement).await?;
            }
            Ok(client)
        }
        let mut opening = tokio::task::JoinSet::new();
        for _ in 0..READ_CONNECTIONS {
            opening.spawn(prepare(self.pool.clone(), &READ_STATEMENTS));
        }
        for _ in 0..PUSH_CONNECTIONS {
            opening.spawn(prepare(self.push_pool.clone(), &PUSH_STATEMENTS));
        }
        // All held until every one is open, so that each is a connection of its own; then they
        // go back to their pools.
        let mut open = Vec::new();
        while let Some(client) = opening.join_next().await {
            open.push(client.map_err(|e| ServerError::Pool(e.to_string()))??);
        }
        Ok(())
    }

    async fn client(&self) -> Result<deadpool_postgres::Object> {
        self.pool.get().await.map_err(pool_error)
    }

    pub async fn health(&self) -> Result<()> {
        self.client().await?.execute("SELECT 1", &[]).await?;
        Ok(())
    }

    pub async fn add_tenant(&self, name: &str, event: AuditEvent) -> Result<i64> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let row = tx
            .query_opt(
                "INSERT INTO tenant(name, created_at_ms) VALUES ($1, $2)
                 ON CONFLICT (name) DO NOTHING RETURNING id",
                &[&name, &now_ms()],
            )
            .await?;
        let id = match row {
            Some(row) => row.get(0),
            None => return Err(ServerError::TenantExists(name.to_owned())),
        };
        insert_audit(&tx, &[event]).await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn add_user(
        &self,
        tenant: &str,
        name: &str,
        role: Role,
        token: NewToken,
    ) -> Result<()> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let tenant_id: i64 = tx
            .query_opt("SELECT id FROM tenant WHERE name = $1", &[&tenant])
            .await?
            .map(|r| r.get(0))
            .ok_or_else(|| ServerError::UnknownTenant(tenant.to_owned()))?;
        let known = tx
            .query_opt(
                "SELECT 1 FROM app_user WHERE tenant_id = $1 AND name = $2",
                &[&tenant_id, &name],
            )
            .await?
            .is_some();
        let user_id: i64 = tx
            .query_one(
                "INSERT INTO app_user(tenant_id, name, role, created_at_ms) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (tenant_id, name) DO UPDATE SET role = excluded.role RETURNING id",
                &[&tenant_id, &name, &role.as_str(), &now_ms()],
            )
            .await?
            .get(0);
        tx.execute(
            "INSERT INTO token(hash, user_id, created_at_ms, expires_at_ms) VALUES ($1, $2, $3, $4)",
            &[&token.hash, &user_id, &now_ms(), &token.expires_at_ms],
        )
        .await?;
        insert_audit(&tx, &user_events(tenant, name, role, &token, !known)).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn revoke_tokens(&self, tenant: &str, name: &str, event: AuditEvent) -> Result<u64> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let user_id: i64 = tx
            .query_opt(
                "SELECT u.id FROM app_user u JOIN tenant t ON t.id = u.tenant_id
                 WHERE t.name = $1 AND u.name = $2",
                &[&tenant, &name],
            )
            .await?
            .map(|r| r.get(0))
            .ok_or_else(|| ServerError::UnknownUser(name.to_owned()))?;
        let n = tx
            .execute(
                "UPDATE token SET revoked_at_ms = $1 WHERE user_id = $2 AND revoked_at_ms IS NULL",
                &[&now_ms(), &user_id],
            )
            .await?;
        end_access(&tx, tenant, name).await?;
        insert_audit(&tx, &[event.detail("count", n)]).await?;
        tx.commit().await?;
        Ok(n)
    }

    /// The token with this hash, live or not.
    pub async fn token(&self, token_hash: &str) -> Result<Option<TokenRow>> {
        let client = self.client().await?;
        let statement = client.prepare_cached(TOKEN).await?;
        let row = client.query_opt(&statement, &[&token_hash]).await?;
        Ok(row.map(|r| TokenRow {
            principal: Principal {
                tenant_id: r.get(0),
                tenant: r.get(1),
                user_id: r.get(2),
                user: r.get(3),
                role: Role::parse(r.get::<_, &str>(4)).unwrap_or(Role::Reader),
                expires_at_ms: r.get::<_, Option<i64>>(5).unwrap_or(0),
            },
            revoked_at_ms: r.get(6),
            replaces: r.get(7),
        }))
    }

    /// The first use of a token made by a rotation: the token it replaced is revoked.
    pub async fn finish_rotation(
        &self,
        new_hash: &str,
        old_hash: &str,
        event: AuditEvent,
    ) -> Result<()> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let n = tx
            .execute(
                "UPDATE token SET revoked_at_ms = $1 WHERE hash = $2 AND revoked_at_ms IS NULL",
                &[&now_ms(), &old_hash],
            )
            .await?;
        tx.execute(
            "UPDATE token SET replaces = NULL WHERE hash = $1",
            &[&new_hash],
        )
        .await?;
        if n > 0 {
            insert_audit(&tx, &[event]).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// A new token for the owner of the live token `old_hash` (see `Storage::rotate_token`).
    pub async fn rotate_token(
        &self,
        old_hash: &str,
        token: NewToken,
        event: AuditEvent,
    ) -> Result<()> {
        let now = now_ms();
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        // The old token's row locked: two rotations from one token run one after the other.
        let row = tx
            .query_opt(
                "SELECT user_id, expires_at_ms, revoked_at_ms FROM token WHERE hash = $1 FOR UPDATE",
                &[&old_hash],
            )
            .await?
            .ok_or(ServerError::Unauthorized)?;
        let (user_id, expires, revoked): (i64, Option<i64>, Option<i64>) =
            (row.get(0), row.get(1), row.get(2));
        if revoked.is_some() {
            return Err(ServerError::Unauthorized);
        }
        if expires.unwrap_or(0) <= now {
            return Err(ServerError::TokenExpired);
        }
        let abandoned = tx
            .execute(
                "UPDATE token SET revoked_at_ms = $1 WHERE replaces = $2 AND revoked_at_ms IS NULL",
                &[&now, &old_hash],
            )
            .await?;
        tx.execute(
            "INSERT INTO token(hash, user_id, created_at_ms, expires_at_ms, replaces)
             VALUES ($1, $2, $3, $4, $5)",
            &[&token.hash, &user_id, &now, &token.expires_at_ms, &old_hash],
        )
        .await?;
        insert_audit(&tx, &[event.detail("unused_tokens_revoked", abandoned)]).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn add_feed_token(
        &self,
        tenant: &str,
        name: &str,
        token_hash: &str,
        event: AuditEvent,
    ) -> Result<()> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let row = tx
            .query_opt(
                "SELECT t.id, u.id FROM app_user u JOIN tenant t ON t.id = u.tenant_id
                 WHERE t.name = $1 AND u.name = $2",
                &[&tenant, &name],
            )
            .await?
            .ok_or_else(|| ServerError::UnknownUser(name.to_owned()))?;
        let (tenant_id, user_id): (i64, i64) = (row.get(0), row.get(1));
        tx.execute(
            "INSERT INTO feed_token(hash, tenant_id, user_id, created_at_ms) VALUES ($1, $2, $3, $4)",
            &[&token_hash, &tenant_id, &user_id, &now_ms()],
        )
        .await?;
        insert_audit(&tx, &[event]).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn revoke_feed_tokens(
        &self,
        tenant: &str,
        name: &str,
        event: AuditEvent,
    ) -> Result<u64> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let n = tx
            .execute(
                "UPDATE feed_token SET revoked_at_ms = $1 WHERE revoked_at_ms IS NULL AND user_id IN (
                     SELECT u.id FROM app_user u JOIN tenant t ON t.id = u.tenant_id
                     WHERE t.name = $2 AND u.name = $3)",
                &[&now_ms(), &tenant, &name],
            )
            .await?;
        insert_audit(&tx, &[event.detail("count", n)]).await?;
        tx.commit().await?;
        Ok(n)
    }

    pub async fn feed_tenant(&self, token_hash: &str) -> Result<Option<FeedOwner>> {
        let client = self.client().await?;
        Ok(client
            .query_opt(
                "SELECT t.id, t.name, t.head_seq, u.name FROM feed_token f
                 JOIN tenant t ON t.id = f.tenant_id JOIN app_user u ON u.id = f.user_id
                 WHERE f.hash = $1 AND f.revoked_at_ms IS NULL",
                &[&token_hash],
            )
            .await?
            .map(|r| FeedOwner {
                tenant_id: r.get(0),
                tenant: r.get(1),
                head_seq: r.get(2),
                user: r.get(3),
            }))
    }

    /// Appends audit events in one transaction (one statement).
    pub async fn audit_batch(&self, events: Vec<AuditEvent>) -> Result<()> {
        let client = self.client().await?;
        insert_audit(&client, &events).await
    }

    pub async fn audit_list(&self, filter: AuditFilter) -> Result<Vec<AuditRecord>> {
        let client = self.client().await?;
        let mut sql = String::from(
            "SELECT id, at_ms, kind, tenant, user_name, address, detail FROM audit_log WHERE TRUE",
        );
        let mut params: Vec<Box<dyn tokio_postgres::types::ToSql + Sync + Send>> = Vec::new();
        let mut condition =
            |sql: &mut String,
             column: &str,
             value: Box<dyn tokio_postgres::types::ToSql + Sync + Send>| {
                params.push(value);
                sql.push_str(&format!(" AND {column} ${}", params.len()));
            };
        if let Some(tenant) = filter.tenant {
            condition(&mut sql, "tenant =", Box::new(tenant));
        }
        if let Some(user) = filter.user {
            condition(&mut sql, "user_name =", Box::new(user));
        }
        if let Some(kind) = filter.kind {
            condition(&mut sql, "kind =", Box::new(kind.as_str().to_owned()));
        }
        if let Some(since) = filter.since_ms {
            condition(&mut sql, "at_ms >=", Box::new(since));
        }
        if let Some(until) = filter.until_ms {
            condition(&mut sql, "at_ms <", Box::new(until));
        }
        params.push(Box::new(filter.limit.min(i64::MAX as usize) as i64));
        sql.push_str(&format!(
            " ORDER BY at_ms DESC, id DESC LIMIT ${}",
            params.len()
        ));
        let refs: Vec<Param> = params.iter().map(|p| &**p as Param).collect();
        let rows = client.query(&sql, &refs).await?;
        Ok(rows
            .into_iter()
            .map(|r| AuditRecord {
                id: r.get(0),
                at_ms: r.get(1),
                kind: r.get(2),
                tenant: r.get(3),
                user: r.get(4),
                address: r.get(5),
                detail: serde_json::from_str(r.get::<_, &str>(6))
                    .unwrap_or(serde_json::Value::Null),
            })
            .collect())
    }

    /// Deletes the audit rows older than `cutoff_ms`: the cutoff is set for this transaction
    /// only (the delete trigger allows exactly those rows) and set back before it commits.
    pub async fn audit_purge(&self, cutoff_ms: i64) -> Result<u64> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        tx.execute(
            "UPDATE audit_purge SET cutoff_ms = $1 WHERE id = 1",
            &[&cutoff_ms],
        )
        .await?;
        let n = tx
            .execute("DELETE FROM audit_log WHERE at_ms < $1", &[&cutoff_ms])
            .await?;
        tx.execute("UPDATE audit_purge SET cutoff_ms = 0 WHERE id = 1", &[])
            .await?;
        tx.commit().await?;
        Ok(n)
    }

    pub async fn records(
        &self,
        tenant_id: i64,
        entities: Vec<String>,
    ) -> Result<Vec<RecordChange>> {
        let client = self.client().await?;
        records_from(
            client
                .query(
                    "SELECT entity, record_id, field, value, hlc FROM field
                     WHERE tenant_id = $1 AND entity = ANY($2)",
                    &[&tenant_id, &entities],
                )
                .await?,
        )
    }

    pub async fn claim_run(&self, name: &str) -> Result<bool> {
        Ok(self
            .client()
            .await?
            .execute(
                "INSERT INTO job_run(name, at_ms) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
                &[&name, &now_ms()],
            )
            .await?
            == 1)
    }

    pub async fn tenant_id(&self, tenant: &str) -> Result<Option<i64>> {
        let client = self.client().await?;
        Ok(client
            .query_opt("SELECT id FROM tenant WHERE name = $1", &[&tenant])
            .await?
            .map(|r| r.get(0)))
    }

    pub async fn add_department_user(
        &self,
        tenant_id: i64,
        name: &str,
        department: Uuid,
        email: Option<String>,
        event: AuditEvent,
    ) -> Result<()> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        if let Some(email) = &email {
            let taken = tx
                .query_opt(
                    "SELECT 1 FROM department_user d JOIN app_user u ON u.id = d.user_id
                     WHERE d.email = $1 AND NOT (u.tenant_id = $2 AND u.name = $3)",
                    &[email, &tenant_id, &name],
                )
                .await?
                .is_some();
            if taken {
                return Err(ServerError::BadRequest(format!(
                    "another department user has the address {email}"
                )));
            }
        }
        let role: Option<String> = tx
            .query_opt(
                "SELECT role FROM app_user WHERE tenant_id = $1 AND name = $2",
                &[&tenant_id, &name],
            )
            .await?
            .map(|r| r.get(0));
        if let Some(role) = role.filter(|r| r != Role::Department.as_str()) {
            return Err(ServerError::BadRequest(format!(
                "{name:?} is a {role} of this tenant, with a laptop's token: give the department user another name"
            )));
        }
        let user_id: i64 = tx
            .query_one(
                "INSERT INTO app_user(tenant_id, name, role, created_at_ms) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (tenant_id, name) DO UPDATE SET role = excluded.role RETURNING id",
                &[&tenant_id, &name, &Role::Department.as_str(), &now_ms()],
            )
            .await?
            .get(0);
        tx.execute(
            "INSERT INTO department_user(user_id, department_id, email) VALUES ($1, $2, $3)
             ON CONFLICT (user_id) DO UPDATE SET department_id = excluded.department_id,
                 email = coalesce(excluded.email, department_user.email)",
            &[&user_id, &department.to_string(), &email],
        )
        .await?;
        insert_audit(&tx, &[event]).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn set_password(
        &self,
        tenant: &str,
        name: &str,
        password_hash: Option<String>,
        event: AuditEvent,
    ) -> Result<()> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let n = tx
            .execute(
                "UPDATE department_user SET password_hash = $1 WHERE user_id =
                    (SELECT u.id FROM app_user u JOIN tenant t ON t.id = u.tenant_id
                     WHERE t.name = $2 AND u.name = $3 AND u.role = 'department')",
                &[&password_hash, &tenant, &name],
            )
            .await?;
        if n == 0 {
            return Err(ServerError::UnknownUser(name.to_owned()));
        }
        // A new password (or none) ends the sessions and links made before.
        end_access(&tx, tenant, name).await?;
        insert_audit(&tx, &[event]).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn remove_department_user(
        &self,
        tenant: &str,
        name: &str,
        event: AuditEvent,
    ) -> Result<()> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        end_access(&tx, tenant, name).await?;
        let n = tx
            .execute(
                "DELETE FROM department_user WHERE user_id =
                    (SELECT u.id FROM app_user u JOIN tenant t ON t.id = u.tenant_id
                     WHERE t.name = $1 AND u.name = $2 AND u.role = 'department')",
                &[&tenant, &name],
            )
            .await?;
        if n == 0 {
            return Err(ServerError::UnknownUser(name.to_owned()));
        }
        insert_audit(&tx, &[event]).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn recent_sign_in_links(&self, user_id: i64, since_ms: i64) -> Result<i64> {
        Ok(self
            .client()
            .await?
            .query_one(
                "SELECT count(*) FROM sign_in_link WHERE user_id = $1 AND created_at_ms >= $2",
                &[&user_id, &since_ms],
            )
            .await?
            .get(0))
    }

    pub async fn web_user(&self, key: WebUserKey) -> Result<Option<WebUser>> {
        let client = self.client().await?;
        let row = match &key {
            WebUserKey::Id(id) => {
                client
                    .query_opt(&format!("{WEB_USER} AND u.id = $1"), &[id])
                    .await?
            }
            WebUserKey::Email(email) => {
                client
                    .query_opt(
                        &format!("{WEB_USER} AND d.email = lower($1)"),
                        &[&email.trim()],
                    )
                    .await?
            }
            WebUserKey::Name { tenant, name } => {
                client
                    .query_opt(
                        &format!("{WEB_USER} AND t.name = $1 AND u.name = $2"),
                        &[tenant, name],
                    )
                    .await?
            }
        };
        row.map(|r| web_user_row(&r)).transpose()
    }

    pub async fn department_users(&self, tenant_id: Option<i64>) -> Result<Vec<WebUser>> {
        let client = self.client().await?;
        client
            .query(
                &format!(
                    "{WEB_USER} AND ($1::bigint IS NULL OR u.tenant_id = $1) ORDER BY t.name, u.name"
                ),
                &[&tenant_id],
            )
            .await?
            .iter()
            .map(web_user_row)
            .collect()
    }

    pub async fn put_web_session(
        &self,
        hash: &str,
        user_id: i64,
        csrf: &str,
        expires_at_ms: i64,
    ) -> Result<()> {
        self.client()
            .await?
            .execute(
                "INSERT INTO web_session(hash, user_id, csrf, created_at_ms, expires_at_ms)
                 VALUES ($1, $2, $3, $4, $5)",
                &[&hash, &user_id, &csrf, &now_ms(), &expires_at_ms],
            )
            .await?;
        Ok(())
    }

    pub async fn web_session(&self, hash: &str, now_ms: i64) -> Result<Option<WebSession>> {
        let client = self.client().await?;
        let Some(row) = client
            .query_opt(
                &format!(
                    "SELECT w.*, s.csrf, s.expires_at_ms FROM ({WEB_USER}) w
                     JOIN web_session s ON s.user_id = w.id
                     WHERE s.hash = $1 AND s.expires_at_ms > $2"
                ),
                &[&hash, &now_ms],
            )
            .await?
        else {
            return Ok(None);
        };
        Ok(Some(WebSession {
            user: web_user_row(&row)?,
            csrf: row.get(7),
            expires_at_ms: row.get(8),
        }))
    }

    pub async fn end_web_session(&self, hash: &str, now_ms: i64) -> Result<()> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        tx.execute(
            "DELETE FROM web_session WHERE hash = $1 OR expires_at_ms <= $2",
            &[&hash, &now_ms],
        )
        .await?;
        tx.execute(
            "DELETE FROM sign_in_link WHERE expires_at_ms <= $1",
            &[&(now_ms - crate::audit::DAY_MS)],
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn put_sign_in_link(
        &self,
        hash: &str,
        user_id: i64,
        expires_at_ms: i64,
    ) -> Result<()> {
        self.client()
            .await?
            .execute(
                "INSERT INTO sign_in_link(hash, user_id, created_at_ms, expires_at_ms)
                 VALUES ($1, $2, $3, $4)",
                &[&hash, &user_id, &now_ms(), &expires_at_ms],
            )
            .await?;
        Ok(())
    }

    pub async fn use_sign_in_link(&self, hash: &str, now_ms: i64) -> Result<LinkUse> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let row = tx
            .query_opt(
                "SELECT user_id, expires_at_ms, used_at_ms FROM sign_in_link WHERE hash = $1
                 FOR UPDATE",
                &[&hash],
            )
            .await?;
        let user_id = match row.map(|r| {
            (
                r.get::<_, i64>(0),
                r.get::<_, i64>(1),
                r.get::<_, Option<i64>>(2),
            )
        }) {
            None => return Ok(LinkUse::Unknown),
            Some((_, _, Some(_))) => return Ok(LinkUse::Used),
            Some((_, expires, None)) if expires <= now_ms => return Ok(LinkUse::Expired),
            Some((user_id, _, None)) => user_id,
        };
        tx.execute(
            "UPDATE sign_in_link SET used_at_ms = $1 WHERE hash = $2",
            &[&now_ms, &hash],
        )
        .await?;
        tx.commit().await?;
        Ok(match self.web_user(WebUserKey::Id(user_id)).await? {
            Some(user) => LinkUse::Valid(user),
            None => LinkUse::Unknown,
        })
    }

    pub async fn release_run(&self, name: &str) -> Result<()> {
        self.client()
            .await?
            .execute("DELETE FROM job_run WHERE name = $1", &[&name])
            .await?;
        Ok(())
    }

    pub async fn web_writer(&self, tenant_id: i64, floor_ms: i64) -> Result<WebWriterTicket> {
        let client = self.client().await?;
        client
            .execute(
                "INSERT INTO web_writer(tenant_id, client_id, node, next_seq) VALUES ($1, $2, $3, 1)
                 ON CONFLICT (tenant_id) DO NOTHING",
                &[
                    &tenant_id,
                    &Uuid::now_v7().to_string(),
                    &(crate::web::new_writer_node().0 as i64),
                ],
            )
            .await?;
        let row = client
            .query_one(
                "UPDATE web_writer SET next_seq = next_seq + 1,
                     last_ms = GREATEST(last_ms + 1, $2)
                 WHERE tenant_id = $1 RETURNING client_id, node, next_seq - 1, last_ms",
                &[&tenant_id, &floor_ms],
            )
            .await?;
        Ok(WebWriterTicket {
            client_id: parse_uuid(row.get(0))?,
            node: wijkwerk_protocol::NodeId(row.get::<_, i64>(1) as u64),
            client_seq: row.get(2),
            wall_ms: u64::try_from(row.get::<_, i64>(3)).unwrap_or(0),
        })
    }

    pub async fn head_seq(&self, tenant_id: i64) -> Result<i64> {
        self.client()
            .await?
            .query_opt("SELECT head_seq FROM tenant WHERE id = $1", &[&tenant_id])
            .await?
            .map(|r| r.get(0))
            .ok_or_else(|| ServerError::UnknownTenant(tenant_id.to_string()))
    }

    pub async fn action_point_fields(
        &self,
        tenant_id: i64,
        after: i64,
        up_to: i64,
    ) -> Result<Vec<crate::web::index::FieldRow>> {
        let client = self.client().await?;
        let sql = if after == 0 {
            "SELECT record_id, field, value FROM field
             WHERE tenant_id = $1 AND entity = 'action_point'
               AND field IN ('owner_organisation_id', 'status', 'due_date', 'deleted')
               AND seq <= $3 AND $2::bigint = 0"
        } else {
            "SELECT record_id, field, value FROM field
             WHERE tenant_id = $1 AND seq > $2 AND seq <= $3 AND entity = 'action_point'
               AND field IN ('owner_organisation_id', 'status', 'due_date', 'deleted')
             ORDER BY seq"
        };
        Ok(client
            .query(sql, &[&tenant_id, &after, &up_to])
            .await?
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2)))
            .collect())
    }

    pub async fn records_of(
        &self,
        tenant_id: i64,
        entity: &str,
        ids: Vec<String>,
    ) -> Result<Vec<RecordChange>> {
        let client = self.client().await?;
        records_from(
            client
                .query(
                    "SELECT entity, record_id, field, value, hlc FROM field
                     WHERE tenant_id = $1 AND entity = $2 AND record_id = ANY($3)",
                    &[&tenant_id, &entity, &ids],
                )
                .await?,
        )
    }

    pub async fn point_events(&self, tenant_id: i64, point: String) -> Result<Vec<RecordChange>> {
        let client = self.client().await?;
        records_from(
            client
                .query(
                    "SELECT f.entity, f.record_id, f.field, f.value, f.hlc
                     FROM point_event p JOIN field f ON f.tenant_id = p.tenant_id
                         AND f.entity = 'action_point_event' AND f.record_id = p.event_id
                     WHERE p.tenant_id = $1 AND p.point = $2",
                    &[&tenant_id, &point],
                )
                .await?,
        )
    }

    pub(crate) fn pushes(&self) -> &Arc<PushQueue> {
        &self.pushes
    }

    pub(crate) fn push_target(&self) -> PushTarget {
        PushTarget::Postgres(self.push_pool.clone())
    }

    pub async fn pull(&self, tenant_id: i64, cursor: Cursor, limit: usize) -> Result<PullResponse> {
        let mut client = self.client().await?;
        let (head_of, tx_of, end_of, fields_of, conflicts_of) = tokio::try_join!(
            client.prepare_cached(HEAD),
            client.prepare_cached(TX_OF),
            client.prepare_cached(PAGE_END),
            client.prepare_cached(PAGE_FIELDS),
            client.prepare_cached(PAGE_CONFLICTS),
        )?;
        // One snapshot for every statement, so that a push committing meanwhile is either wholly
        // in this page or wholly after it.
        let tx = client
            .build_transaction()
            .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .await?;
        let uuid_of = |row: Option<tokio_postgres::Row>| {
            row.and_then(|r| Uuid::parse_str(r.get::<_, &str>(0)).ok())
        };
        let limit = limit.clamp(1, 50_000) as i64;
        // Sent together (one round trip): the head, the cursor's transaction, and where this page
        // ends; the cursor is checked once they are back.
        let offset = limit - 1;
        let head_params: [Param; 1] = [&tenant_id];
        let cursor_params: [Param; 2] = [&tenant_id, &cursor.seq];
        let end_params: [Param; 3] = [&tenant_id, &cursor.seq, &offset];
        let (head, known, end) = tokio::try_join!(
            tx.query_opt(&head_of, &head_params),
            tx.query_opt(&tx_of, &cursor_params),
            tx.query_opt(&end_of, &end_params),
        )?;
        let head: i64 = head
            .map(|r| r.get(0))
            .ok_or_else(|| ServerError::UnknownTenant(tenant_id.to_string()))?;
        if cursor.seq < 0 || cursor.seq > head {
            return Err(ServerError::UnknownCursor);
        }
        if cursor.seq > 0 {
            let known = uuid_of(known);
            if known.is_none() || known != cursor.tx {
                return Err(ServerError::UnknownCursor);
            }
        }
        let end: i64 = end.map(|r| r.get(0)).unwrap_or(head);
        let page_params: [Param; 3] = [&tenant_id, &cursor.seq, &end];
        let end_tx_params: [Param; 2] = [&tenant_id, &end];
        let (rows, conflict_rows, end_tx) = tokio::try_join!(
            tx.query(&fields_of, &page_params),
            tx.query(&conflicts_of, &page_params),
            tx.query_opt(&tx_of, &end_tx_params),
        )?;
        // A read-only transaction: ending it is the same either way, and dropping it sends the
        // ROLLBACK without waiting for the answer.
        drop(tx);
        let records = records_from(rows)?;
        let mut conflicts = Vec::with_capacity(conflict_rows.len());
        for row in conflict_rows {
            conflicts.push(ServerConflict {
                entity: row.get(0),
                id: parse_uuid(row.get(1))?,
                field: row.get(2),
                lost_value: parse_json(row.get(3))?,
                lost_hlc: parse_hlc(row.get(4))?,
                won_value: parse_json(row.get(5))?,
                won_hlc: parse_hlc(row.get(6))?,
                received_at_ms: row.get::<_, i64>(7) as u64,
            });
        }
        let next = Cursor {
            seq: end,
            tx: if end > 0 { uuid_of(end_tx) } else { None },
        };
        Ok(PullResponse {
            records,
            conflicts,
            cursor: next,
            more: end < head,
            head,
            token_expires_at_ms: None,
            extra: Default::default(),
        })
    }
}

/// A token, live or not, with its principal.
const TOKEN: &str = "SELECT t.id, t.name, u.id, u.name, u.role, k.expires_at_ms, k.revoked_at_ms,
            k.replaces
     FROM token k JOIN app_user u ON u.id = k.user_id JOIN tenant t ON t.id = u.tenant_id
     WHERE k.hash = $1";
const HEAD: &str = "SELECT head_seq FROM tenant WHERE id = $1";
const TX_OF: &str = "SELECT tx_id FROM server_tx WHERE tenant_id = $1 AND seq = $2";
/// The sequence of the `$3`-th field after the cursor: where a page of that many fields ends.
const PAGE_END: &str =
    "SELECT seq FROM field WHERE tenant_id = $1 AND seq > $2 ORDER BY seq LIMIT 1 OFFSET $3";
/// In the order of `field_seq` only: the records builder groups a record's fields wherever they
/// come, and sorting a page's rows by their text columns as well took most of the query's time
/// (about 100 ms per 160,000 fields).
const PAGE_FIELDS: &str = "SELECT entity, record_id, field, value, hlc FROM field
     WHERE tenant_id = $1 AND seq > $2 AND seq <= $3 ORDER BY seq";
const PAGE_CONFLICTS: &str =
    "SELECT entity, record_id, field, lost_value, lost_hlc, won_value, won_hlc, received_at_ms
     FROM conflict WHERE tenant_id = $1 AND seq > $2 AND seq <= $3 ORDER BY seq";
/// Prepared on every read connection when the server starts.
const READ_STATEMENTS: [&str; 6] = [TOKEN, HEAD, TX_OF, PAGE_END, PAGE_FIELDS, PAGE_CONFLICTS];
/// Prepared on every push connection when the server starts.
const PUSH_STATEMENTS: [&str; 4] = [LOCK_TENANT, APPLIED, CURRENT, WRITE];

/// Locks the tenant row (sequences are handed out one transaction at a time, also between
/// server processes) and reads its sequence and that transaction's id.
const LOCK_TENANT: &str = "SELECT t.head_seq,
            (SELECT tx_id FROM server_tx s WHERE s.tenant_id = t.id AND s.seq = t.head_seq)
     FROM tenant t WHERE t.id = $1 FOR UPDATE OF t";

/// Which of these (client id, client sequence) pairs were applied before, at which sequence.
/// One index look-up per pair (the `LIMIT` keeps the planner from turning the look-ups into a
/// hash join over all of the tenant's transactions).
const APPLIED: &str = "SELECT w.client_id, w.client_seq, s.seq
     FROM unnest($2::text[], $3::bigint[]) AS w(client_id, client_seq)
     CROSS JOIN LATERAL (SELECT seq FROM server_tx
                         WHERE tenant_id = $1 AND client_id = w.client_id
                           AND client_seq = w.client_seq LIMIT 1) s";

/// The stored state of these fields: one primary key look-up per field (with a join, a push of
/// a few hundred fields got a hash join over every field of the tenant: 200 ms at 400,000).
const CURRENT: &str = "SELECT w.entity, w.record_id, w.field, f.value, f.hlc
     FROM unnest($2::text[], $3::text[], $4::text[]) AS w(entity, record_id, field)
     CROSS JOIN LATERAL (SELECT value, hlc FROM field
                         WHERE tenant_id = $1 AND entity = w.entity AND record_id = w.record_id
                           AND field = w.field LIMIT 1) f";

/// Everything a push writes, in one statement: the fields' new state, the conflict log, the
/// server transactions with their (client id, client sequence), and the tenant's sequence.
const WRITE: &str = "WITH
  written AS (
    INSERT INTO field(tenant_id, entity, record_id, field, value, hlc, seq, received_at_ms)
    SELECT $1, e, r, f, v, h, s, $2
    FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::bigint[])
         AS u(e, r, f, v, h, s)
    ON CONFLICT (tenant_id, entity, record_id, field) DO UPDATE SET
        value = excluded.value, hlc = excluded.hlc, seq = excluded.seq,
        received_at_ms = excluded.received_at_ms),
  linked AS (
    INSERT INTO point_event(tenant_id, event_id, point)
    SELECT $1, r, v
    FROM unnest($3::text[], $4::text[], $5::text[], $6::text[]) AS u(e, r, f, v)
    WHERE e = 'action_point_event' AND f = 'action_point_id'
    ON CONFLICT (tenant_id, event_id) DO UPDATE SET point = excluded.point),
  logged AS (
    INSERT INTO conflict(tenant_id, seq, entity, record_id, field, lost_value, lost_hlc,
                         won_value, won_hlc, received_at_ms)
    SELECT $1, s, e, r, f, lv, lh, wv, wh, $2
    FROM unnest($9::bigint[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[],
                $15::text[], $16::text[]) AS u(s, e, r, f, lv, lh, wv, wh)),
  applied AS (
    INSERT INTO server_tx(tenant_id, seq, tx_id, client_id, client_seq, client_tx_id,
                          received_at_ms)
    SELECT $1, s, t, c, cs, ct, $2
    FROM unnest($17::bigint[], $18::text[], $19::text[], $20::bigint[], $21::text[])
         AS u(s, t, c, cs, ct))
UPDATE tenant SET head_seq = $22 WHERE id = $1";

/// Writes pushes to one tenant in one transaction; their acknowledgements in the same order.
/// Four round trips whatever the size: BEGIN; the lock with the reads (pipelined); the writes
/// (one statement); COMMIT. Statements are prepared once per connection.
pub(crate) async fn push_batch(
    pool: &Pool,
    tenant_id: i64,
    jobs: &[PushJob],
) -> Result<Vec<Pushed>> {
    let mut client = pool.get().await.map_err(pool_error)?;
    let (lock, applied, current_fields, write) = tokio::try_join!(
        client.prepare_cached(LOCK_TENANT),
        client.prepare_cached(APPLIED),
        client.prepare_cached(CURRENT),
        client.prepare_cached(WRITE),
    )?;
    let pairs = push_client_seqs(jobs);
    let pair_clients: Vec<String> = pairs.iter().map(|p| p.0.to_string()).collect();
    let pair_seqs: Vec<i64> = pairs.iter().map(|p| p.1).collect();
    let keys = push_keys(jobs);
    let entities: Vec<&str> = keys.iter().map(|k| k.0.as_str()).collect();
    let records: Vec<&str> = keys.iter().map(|k| k.1.as_str()).collect();
    let fields: Vec<&str> = keys.iter().map(|k| k.2.as_str()).collect();
    let tx = client.transaction().await?;
    // Sent together: PostgreSQL runs them in order, so the reads start (and take their
    // snapshot) only once the lock is held.
    let lock_params: [Param; 1] = [&tenant_id];
    let applied_params: [Param; 3] = [&tenant_id, &pair_clients, &pair_seqs];
    let current_params: [Param; 4] = [&tenant_id, &entities, &records, &fields];
    let (head, done_rows, current_rows) = tokio::try_join!(
        tx.query_opt(&lock, &lock_params),
        tx.query(&applied, &applied_params),
        tx.query(&current_fields, &current_params),
    )?;
    let (head, head_tx): (i64, Option<String>) = head
        .map(|r| (r.get(0), r.get(1)))
        .ok_or_else(|| ServerError::UnknownTenant(tenant_id.to_string()))?;
    let head_tx = head_tx.as_deref().map(parse_uuid).transpose()?;
    let mut done = HashMap::new();
    for row in done_rows {
        done.insert(
            (parse_uuid(row.get(0))?, row.get::<_, i64>(1)),
            row.get::<_, i64>(2),
        );
    }
    let mut current = HashMap::new();
    for row in current_rows {
        current.insert(
            (row.get(0), row.get(1), row.get(2)),
            FieldState {
                value: parse_json(row.get(3))?,
                hlc: parse_hlc(row.get(4))?,
            },
        );
    }
    let mut planner = PushPlanner::new(head, head_tx, done, current);
    let answers = planner.add_all(jobs);
    let plan = planner.finish();
    if plan.transactions.is_empty() {
        // Only duplicates and refusals: nothing to write.
        tx.commit().await?;
        return Ok(pushed(answers, plan.head));
    }
    // One time of receipt for the whole transaction: the first push's.
    let received = jobs.first().map_or(0, |j| j.limits.now_ms) as i64;
    let field_column = |f: fn(&crate::storage::PlannedField) -> &str| -> Vec<&str> {
        plan.fields.iter().map(f).collect()
    };
    let field_seqs: Vec<i64> = plan.fields.iter().map(|f| f.seq).collect();
    let conflict_column = |f: fn(&crate::storage::PlannedConflict) -> &str| -> Vec<&str> {
        plan.conflicts.iter().map(f).collect()
    };
    let conflict_seqs: Vec<i64> = plan.conflicts.iter().map(|c| c.seq).collect();
    let t = &plan.transactions;
    let tx_seqs: Vec<i64> = t.iter().map(|t| t.seq).collect();
    let tx_ids: Vec<String> = t.iter().map(|t| t.tx_id.to_string()).collect();
    let tx_clients: Vec<String> = t.iter().map(|t| t.client_id.to_string()).collect();
    let tx_client_seqs: Vec<i64> = t.iter().map(|t| t.client_seq).collect();
    let tx_client_tx_ids: Vec<String> = t.iter().map(|t| t.client_tx_id.to_string()).collect();
    tx.execute(
        &write,
        &[
            &tenant_id,
            &received,
            &field_column(|f| &f.key.0),
            &field_column(|f| &f.key.1),
            &field_column(|f| &f.key.2),
            &field_column(|f| &f.value),
            &field_column(|f| &f.hlc),
            &field_seqs,
            &conflict_seqs,
            &conflict_column(|c| &c.key.0),
            &conflict_column(|c| &c.key.1),
            &conflict_column(|c| &c.key.2),
            &conflict_column(|c| &c.lost_value),
            &conflict_column(|c| &c.lost_hlc),
            &conflict_column(|c| &c.won_value),
            &conflict_column(|c| &c.won_hlc),
            &tx_seqs,
            &tx_ids,
            &tx_clients,
            &tx_client_seqs,
            &tx_client_tx_ids,
            &plan.head,
        ],
    )
    .await?;
    if !plan.erasures.is_empty() {
        insert_audit(&tx, &erasure_events(jobs, &answers)).await?;
    }
    for e in &plan.erasures {
        // Rare (a person erased), so statement by statement.
        tx.execute(
            "DELETE FROM conflict WHERE tenant_id = $1 AND entity = $2 AND record_id = $3",
            &[&tenant_id, &e.entity, &e.record_id],
        )
        .await?;
        tx.execute(
            "UPDATE field SET value = CASE field WHEN 'deleted' THEN 'true' ELSE 'null' END,
                              hlc = $4, seq = $5, received_at_ms = $6
             WHERE tenant_id = $1 AND entity = $2 AND record_id = $3 AND field <> $7
               AND hlc <> $4 AND seq < $5
               AND value <> CASE field WHEN 'deleted' THEN 'true' ELSE 'null' END",
            &[
                &tenant_id,
                &e.entity,
                &e.record_id,
                &e.hlc,
                &e.seq,
                &received,
                &wijkwerk_protocol::ERASED_FIELD,
            ],
        )
        .await?;
    }
    tx.commit().await?;
    Ok(pushed(answers, plan.head))
}
