//! The production storage: PostgreSQL. The same tables and rules as `sqlite.rs`; sequences are
//! handed out under a row lock on the tenant (`SELECT ... FOR UPDATE`), so that they commit in
//! order even with several server processes, and a push writes each changeset's fields with one
//! statement (arrays unnested) instead of one round trip per field.

use crate::error::{Result, ServerError};
use crate::merge::FieldState;
use crate::storage::{plan_push, push_keys, Principal, PushLimits, RecordsBuilder, Role};
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use std::collections::HashMap;
use uuid::Uuid;
use wijkwerk_protocol::wire::{Cursor, PullResponse, PushAck, PushChangeSet, ServerConflict};
use wijkwerk_protocol::{Hlc, RecordChange};

const SCHEMA: &str = "
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
";

/// Serialises schema creation between server processes starting at the same time.
const SCHEMA_LOCK: i64 = 0x5749_4a4b_5745_524b;

pub struct PostgresStorage {
    pool: Pool,
}

fn pool_error(e: impl std::fmt::Display) -> ServerError {
    ServerError::Pool(e.to_string())
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
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
        let manager = Manager::from_config(
            config,
            tokio_postgres::NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(16)
            .build()
            .map_err(|e| ServerError::Config(e.to_string()))?;
        let client = pool
            .get()
            .await
            .map_err(|e| ServerError::Config(format!("cannot reach PostgreSQL: {e}")))?;
        client
            .execute("SELECT pg_advisory_lock($1)", &[&SCHEMA_LOCK])
            .await?;
        let created = client.batch_execute(SCHEMA).await;
        client
            .execute("SELECT pg_advisory_unlock($1)", &[&SCHEMA_LOCK])
            .await?;
        created?;
        Ok(PostgresStorage { pool })
    }

    async fn client(&self) -> Result<deadpool_postgres::Object> {
        self.pool.get().await.map_err(pool_error)
    }

    pub async fn health(&self) -> Result<()> {
        self.client().await?.execute("SELECT 1", &[]).await?;
        Ok(())
    }

    pub async fn add_tenant(&self, name: &str) -> Result<i64> {
        let client = self.client().await?;
        let row = client
            .query_opt(
                "INSERT INTO tenant(name, created_at_ms) VALUES ($1, $2)
                 ON CONFLICT (name) DO NOTHING RETURNING id",
                &[&name, &now_ms()],
            )
            .await?;
        match row {
            Some(row) => Ok(row.get(0)),
            None => Err(ServerError::TenantExists(name.to_owned())),
        }
    }

    pub async fn add_user(
        &self,
        tenant: &str,
        name: &str,
        role: Role,
        token_hash: &str,
    ) -> Result<()> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let tenant_id: i64 = tx
            .query_opt("SELECT id FROM tenant WHERE name = $1", &[&tenant])
            .await?
            .map(|r| r.get(0))
            .ok_or_else(|| ServerError::UnknownTenant(tenant.to_owned()))?;
        let user_id: i64 = tx
            .query_one(
                "INSERT INTO app_user(tenant_id, name, role, created_at_ms) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (tenant_id, name) DO UPDATE SET role = excluded.role RETURNING id",
                &[&tenant_id, &name, &role.as_str(), &now_ms()],
            )
            .await?
            .get(0);
        tx.execute(
            "INSERT INTO token(hash, user_id, created_at_ms) VALUES ($1, $2, $3)",
            &[&token_hash, &user_id, &now_ms()],
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn revoke_tokens(&self, tenant: &str, name: &str) -> Result<u64> {
        let client = self.client().await?;
        let user_id: i64 = client
            .query_opt(
                "SELECT u.id FROM app_user u JOIN tenant t ON t.id = u.tenant_id
                 WHERE t.name = $1 AND u.name = $2",
                &[&tenant, &name],
            )
            .await?
            .map(|r| r.get(0))
            .ok_or_else(|| ServerError::UnknownUser(name.to_owned()))?;
        Ok(client
            .execute(
                "UPDATE token SET revoked_at_ms = $1 WHERE user_id = $2 AND revoked_at_ms IS NULL",
                &[&now_ms(), &user_id],
            )
            .await?)
    }

    pub async fn authenticate(&self, token_hash: &str) -> Result<Option<Principal>> {
        let client = self.client().await?;
        let row = client
            .query_opt(
                "SELECT t.id, t.name, u.id, u.name, u.role FROM token k
                 JOIN app_user u ON u.id = k.user_id JOIN tenant t ON t.id = u.tenant_id
                 WHERE k.hash = $1 AND k.revoked_at_ms IS NULL",
                &[&token_hash],
            )
            .await?;
        Ok(row.map(|r| Principal {
            tenant_id: r.get(0),
            tenant: r.get(1),
            user_id: r.get(2),
            user: r.get(3),
            role: Role::parse(r.get::<_, &str>(4)).unwrap_or(Role::Reader),
        }))
    }

    pub async fn add_feed_token(&self, tenant: &str, name: &str, token_hash: &str) -> Result<()> {
        let client = self.client().await?;
        let row = client
            .query_opt(
                "SELECT t.id, u.id FROM app_user u JOIN tenant t ON t.id = u.tenant_id
                 WHERE t.name = $1 AND u.name = $2",
                &[&tenant, &name],
            )
            .await?
            .ok_or_else(|| ServerError::UnknownUser(name.to_owned()))?;
        let (tenant_id, user_id): (i64, i64) = (row.get(0), row.get(1));
        client
            .execute(
                "INSERT INTO feed_token(hash, tenant_id, user_id, created_at_ms) VALUES ($1, $2, $3, $4)",
                &[&token_hash, &tenant_id, &user_id, &now_ms()],
            )
            .await?;
        Ok(())
    }

    pub async fn revoke_feed_tokens(&self, tenant: &str, name: &str) -> Result<u64> {
        let client = self.client().await?;
        Ok(client
            .execute(
                "UPDATE feed_token SET revoked_at_ms = $1 WHERE revoked_at_ms IS NULL AND user_id IN (
                     SELECT u.id FROM app_user u JOIN tenant t ON t.id = u.tenant_id
                     WHERE t.name = $2 AND u.name = $3)",
                &[&now_ms(), &tenant, &name],
            )
            .await?)
    }

    pub async fn feed_tenant(&self, token_hash: &str) -> Result<Option<(i64, String)>> {
        let client = self.client().await?;
        Ok(client
            .query_opt(
                "SELECT t.id, t.name FROM feed_token f JOIN tenant t ON t.id = f.tenant_id
                 WHERE f.hash = $1 AND f.revoked_at_ms IS NULL",
                &[&token_hash],
            )
            .await?
            .map(|r| (r.get(0), r.get(1))))
    }

    pub async fn records(
        &self,
        tenant_id: i64,
        entities: Vec<String>,
    ) -> Result<Vec<RecordChange>> {
        let client = self.client().await?;
        let mut records = RecordsBuilder::default();
        for row in client
            .query(
                "SELECT entity, record_id, field, value, hlc FROM field
                 WHERE tenant_id = $1 AND entity = ANY($2)",
                &[&tenant_id, &entities],
            )
            .await?
        {
            records.add(row.get(0), row.get(1), row.get(2), row.get(3), row.get(4))?;
        }
        Ok(records.finish())
    }

    pub async fn push(
        &self,
        tenant_id: i64,
        client_id: Uuid,
        changesets: Vec<PushChangeSet>,
        limits: PushLimits,
    ) -> Result<Vec<PushAck>> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let head: i64 = tx
            .query_opt(
                "SELECT head_seq FROM tenant WHERE id = $1 FOR UPDATE",
                &[&tenant_id],
            )
            .await?
            .map(|r| r.get(0))
            .ok_or_else(|| ServerError::UnknownTenant(tenant_id.to_string()))?;
        let client_text = client_id.to_string();
        let client_seqs: Vec<i64> = changesets.iter().map(|c| c.client_seq).collect();
        let mut done = HashMap::new();
        for row in tx
            .query(
                "SELECT client_seq, seq FROM server_tx
                 WHERE tenant_id = $1 AND client_id = $2 AND client_seq = ANY($3)",
                &[&tenant_id, &client_text, &client_seqs],
            )
            .await?
        {
            done.insert(row.get::<_, i64>(0), row.get::<_, i64>(1));
        }
        let keys = push_keys(&changesets);
        let entities: Vec<&str> = keys.iter().map(|k| k.0.as_str()).collect();
        let records: Vec<&str> = keys.iter().map(|k| k.1.as_str()).collect();
        let fields: Vec<&str> = keys.iter().map(|k| k.2.as_str()).collect();
        let mut current = HashMap::new();
        for row in tx
            .query(
                "SELECT f.entity, f.record_id, f.field, f.value, f.hlc FROM field f
                 JOIN unnest($2::text[], $3::text[], $4::text[]) AS w(entity, record_id, field)
                   ON f.entity = w.entity AND f.record_id = w.record_id AND f.field = w.field
                 WHERE f.tenant_id = $1",
                &[&tenant_id, &entities, &records, &fields],
            )
            .await?
        {
            current.insert(
                (row.get(0), row.get(1), row.get(2)),
                FieldState {
                    value: parse_json(row.get(3))?,
                    hlc: parse_hlc(row.get(4))?,
                },
            );
        }
        let plan = plan_push(head, &changesets, &done, current, limits);
        let received = limits.now_ms as i64;
        if !plan.fields.is_empty() {
            let column = |f: fn(&crate::storage::PlannedField) -> &str| -> Vec<&str> {
                plan.fields.iter().map(f).collect()
            };
            let seqs: Vec<i64> = plan.fields.iter().map(|f| f.seq).collect();
            tx.execute(
                "INSERT INTO field(tenant_id, entity, record_id, field, value, hlc, seq, received_at_ms)
                 SELECT $1, e, r, f, v, h, s, $2
                 FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::bigint[])
                      AS u(e, r, f, v, h, s)
                 ON CONFLICT (tenant_id, entity, record_id, field) DO UPDATE SET
                     value = excluded.value, hlc = excluded.hlc, seq = excluded.seq,
                     received_at_ms = excluded.received_at_ms",
                &[
                    &tenant_id,
                    &received,
                    &column(|f| &f.key.0),
                    &column(|f| &f.key.1),
                    &column(|f| &f.key.2),
                    &column(|f| &f.value),
                    &column(|f| &f.hlc),
                    &seqs,
                ],
            )
            .await?;
        }
        if !plan.conflicts.is_empty() {
            let column = |f: fn(&crate::storage::PlannedConflict) -> &str| -> Vec<&str> {
                plan.conflicts.iter().map(f).collect()
            };
            let seqs: Vec<i64> = plan.conflicts.iter().map(|c| c.seq).collect();
            tx.execute(
                "INSERT INTO conflict(tenant_id, seq, entity, record_id, field, lost_value, lost_hlc,
                                      won_value, won_hlc, received_at_ms)
                 SELECT $1, s, e, r, f, lv, lh, wv, wh, $2
                 FROM unnest($3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
                             $9::text[], $10::text[]) AS u(s, e, r, f, lv, lh, wv, wh)",
                &[
                    &tenant_id,
                    &received,
                    &seqs,
                    &column(|c| &c.key.0),
                    &column(|c| &c.key.1),
                    &column(|c| &c.key.2),
                    &column(|c| &c.lost_value),
                    &column(|c| &c.lost_hlc),
                    &column(|c| &c.won_value),
                    &column(|c| &c.won_hlc),
                ],
            )
            .await?;
        }
        if !plan.transactions.is_empty() {
            let seqs: Vec<i64> = plan.transactions.iter().map(|t| t.seq).collect();
            let tx_ids: Vec<String> = plan
                .transactions
                .iter()
                .map(|t| t.tx_id.to_string())
                .collect();
            let client_seqs: Vec<i64> = plan.transactions.iter().map(|t| t.client_seq).collect();
            let client_tx_ids: Vec<String> = plan
                .transactions
                .iter()
                .map(|t| t.client_tx_id.to_string())
                .collect();
            tx.execute(
                "INSERT INTO server_tx(tenant_id, seq, tx_id, client_id, client_seq, client_tx_id, received_at_ms)
                 SELECT $1, s, t, $2, c, ct, $3
                 FROM unnest($4::bigint[], $5::text[], $6::bigint[], $7::text[]) AS u(s, t, c, ct)",
                &[&tenant_id, &client_text, &received, &seqs, &tx_ids, &client_seqs, &client_tx_ids],
            )
            .await?;
        }
        tx.execute(
            "UPDATE tenant SET head_seq = $1 WHERE id = $2",
            &[&plan.head, &tenant_id],
        )
        .await?;
        tx.commit().await?;
        Ok(plan.acks)
    }

    pub async fn pull(&self, tenant_id: i64, cursor: Cursor, limit: usize) -> Result<PullResponse> {
        let mut client = self.client().await?;
        let tx = client
            .build_transaction()
            .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .await?;
        let head: i64 = tx
            .query_opt("SELECT head_seq FROM tenant WHERE id = $1", &[&tenant_id])
            .await?
            .map(|r| r.get(0))
            .ok_or_else(|| ServerError::UnknownTenant(tenant_id.to_string()))?;
        if cursor.seq < 0 || cursor.seq > head {
            return Err(ServerError::UnknownCursor);
        }
        let tx_of = |seq: i64| {
            let tx = &tx;
            async move {
                let row = tx
                    .query_opt(
                        "SELECT tx_id FROM server_tx WHERE tenant_id = $1 AND seq = $2",
                        &[&tenant_id, &seq],
                    )
                    .await?;
                Ok::<_, ServerError>(row.and_then(|r| Uuid::parse_str(r.get::<_, &str>(0)).ok()))
            }
        };
        if cursor.seq > 0 {
            let known = tx_of(cursor.seq).await?;
            if known.is_none() || known != cursor.tx {
                return Err(ServerError::UnknownCursor);
            }
        }
        let limit = limit.clamp(1, 50_000) as i64;
        let end: i64 = tx
            .query_opt(
                "SELECT seq FROM field WHERE tenant_id = $1 AND seq > $2 ORDER BY seq LIMIT 1 OFFSET $3",
                &[&tenant_id, &cursor.seq, &(limit - 1)],
            )
            .await?
            .map(|r| r.get(0))
            .unwrap_or(head);
        let mut records = RecordsBuilder::default();
        for row in tx
            .query(
                "SELECT entity, record_id, field, value, hlc FROM field
                 WHERE tenant_id = $1 AND seq > $2 AND seq <= $3 ORDER BY seq, entity, record_id, field",
                &[&tenant_id, &cursor.seq, &end],
            )
            .await?
        {
            records.add(row.get(0), row.get(1), row.get(2), row.get(3), row.get(4))?;
        }
        let records = records.finish();
        let mut conflicts = Vec::new();
        for row in tx
            .query(
                "SELECT entity, record_id, field, lost_value, lost_hlc, won_value, won_hlc, received_at_ms
                 FROM conflict WHERE tenant_id = $1 AND seq > $2 AND seq <= $3 ORDER BY seq",
                &[&tenant_id, &cursor.seq, &end],
            )
            .await?
        {
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
            tx: if end > 0 { tx_of(end).await? } else { None },
        };
        tx.commit().await?;
        Ok(PullResponse {
            records,
            conflicts,
            cursor: next,
            more: end < head,
            head,
            extra: Default::default(),
        })
    }
}
