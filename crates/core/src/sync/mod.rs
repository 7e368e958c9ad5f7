//! The sync client: one round pushes the outbox and pulls what changed on the server.
//!
//! Rules (see also ARCHITECTURE.md):
//! - An outbox entry leaves the outbox only when the server acknowledged it (applied now or
//!   before). A refused entry stays, marked with the reason, and is shown; a failed round changes
//!   nothing in the outbox.
//! - Pulled changes, the server's conflict log and the new cursor are applied in one transaction.
//! - A cursor the server does not know (restored from a backup, history pruned) means: download
//!   everything again (merging is idempotent, local edits stay on top by their clocks), then push
//!   the whole store once, so that what the server lost comes back from the laptops.
//! - The transport is a trait, so the engine runs over HTTP ([`http::HttpTransport`]) or over a
//!   test double that injects faults.
//!
//! Around the round: [`scheduler`] decides when rounds run and what the status line says (a pure
//! state machine), [`worker`] runs it on a thread for the desktop app and `wijkwerk sync
//! --watch`, [`credentials`] keeps the sign-in token (keyring or a file only the user may read)
//! and [`config`] checks the settings as typed.

pub mod config;
pub mod credentials;
pub mod http;
pub mod scheduler;
pub mod worker;

use crate::error::Error;
use crate::merge::{log_conflict, prepare_fresh, FirstDownload, Fresh};
use crate::row;
use crate::schema::Entity;
use crate::store::Store;
use rusqlite::OptionalExtension;
use serde::Serialize;
use std::time::Instant;
use uuid::Uuid;
use wijkwerk_protocol::wire::{
    Cursor, Hello, PullResponse, PushAck, PushChangeSet, PushOutcome, PushRequest, PushResponse,
    TokenRotation,
};
use wijkwerk_protocol::{RecordChange, StampedValue, DELETED_FIELD, PROTOCOL_VERSION};

/// How many local transactions go in one push at most.
pub const PUSH_BATCH: usize = 500;
/// How many bytes of JSON one push carries at most (the server takes up to 128 MB).
pub const PUSH_BYTES: usize = 8 * 1024 * 1024;
/// How many fields one pull page asks for.
pub const PULL_PAGE: usize = 20_000;

/// Why a round did not complete. Nothing local is lost in any of these.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("the server cannot be reached: {0}")]
    Offline(String),
    #[error("the server refused the sign-in (token unknown or revoked); sync is paused until you sign in again")]
    Unauthorized,
    /// The token is past its expiry: the municipality's administrator gives a new one. Nothing
    /// local is lost; sync is paused until a new token is set.
    #[error("the token has expired; ask for a new one (sync is paused until it is set)")]
    TokenExpired,
    #[error("this account may only read; local changes cannot be sent")]
    Forbidden,
    #[error("the server does not know where this laptop left off")]
    UnknownCursor,
    #[error("the server speaks another protocol version: {0}")]
    Protocol(String),
    /// The secure connection was refused: the server's certificate is not trusted (a
    /// municipality's own authority not set) or not valid. Waiting does not help.
    #[error("the server's certificate is not trusted or not valid: {0}")]
    Certificate(String),
    /// This store holds the demo municipality, whose fictional records never go to a server.
    #[error("this data folder holds the demo municipality, which is never synced; open a new, empty data folder to work with the server (for a training server: `sync --allow-demo`)")]
    DemoStore,
    #[error("the server answered {status}: {message}")]
    Server {
        status: u16,
        code: String,
        message: String,
    },
    #[error("the server's answer is not understood: {0}")]
    Garbage(String),
    #[error(transparent)]
    Store(#[from] Error),
}

impl SyncError {
    /// A stable code for the user interface.
    pub fn code(&self) -> &'static str {
        match self {
            SyncError::Offline(_) => "offline",
            SyncError::Unauthorized => "unauthorized",
            SyncError::TokenExpired => "token_expired",
            SyncError::Forbidden => "forbidden",
            SyncError::UnknownCursor => "unknown_cursor",
            SyncError::Protocol(_) => "protocol",
            SyncError::Certificate(_) => "certificate",
            SyncError::DemoStore => "demo",
            SyncError::Server { .. } => "server",
            SyncError::Garbage(_) => "garbage",
            SyncError::Store(_) => "store",
        }
    }

    /// Whether trying again later may help without the user doing anything.
    pub fn is_transient(&self) -> bool {
        matches!(self, SyncError::Offline(_) | SyncError::Garbage(_))
            || matches!(self, SyncError::Server { status, .. } if *status >= 500 || *status == 429)
    }
}

impl From<rusqlite::Error> for SyncError {
    fn from(e: rusqlite::Error) -> Self {
        SyncError::Store(Error::Database(e))
    }
}

/// How the engine talks to a server.
pub trait Transport {
    fn hello(&mut self) -> Result<Hello, SyncError>;
    fn push(&mut self, request: &PushRequest) -> Result<PushResponse, SyncError>;
    fn pull(&mut self, cursor: Cursor, limit: usize) -> Result<PullResponse, SyncError>;
    /// Asks the server for a new token in place of the one this transport signs in with
    /// (`POST /v1/token/rotate`). The old token stays valid on the server until the new one is
    /// first used, so an answer lost on the way locks nobody out.
    fn rotate_token(&mut self) -> Result<TokenRotation, SyncError> {
        Err(SyncError::Protocol(
            "this connection cannot ask for a new token".into(),
        ))
    }
}

/// Within this many days of its expiry the app says that the token should be renewed.
pub const TOKEN_WARN_DAYS: i64 = 14;

/// Whether a token that expires at `expires_at_ms` should be renewed now (`now_ms`): it
/// expires within [`TOKEN_WARN_DAYS`], or already did.
pub fn token_expires_soon(expires_at_ms: i64, now_ms: i64) -> bool {
    expires_at_ms.saturating_sub(now_ms) < TOKEN_WARN_DAYS * 86_400_000
}

/// A new token, kept: when it expires and where it is kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RotatedToken {
    /// When the new token expires (UTC instant).
    pub expires_at: String,
    pub expires_at_ms: i64,
    pub storage: credentials::TokenStorage,
}

/// Why a new token could not be had or kept.
#[derive(Debug, thiserror::Error)]
pub enum RotateError {
    #[error(transparent)]
    Sync(#[from] SyncError),
    /// The server made a new token but it could not be kept here. The old token still works
    /// (the server keeps it valid until the new one is first used): try again later.
    #[error("the new token could not be kept ({0}); the old one still works, try again")]
    NotKept(credentials::CredentialError),
}

/// Asks the server for a new token and keeps it where the old one was (the keyring, or the
/// file). Touches neither the store nor its outbox: changes waiting to be sent go out with the
/// new token at the next round. Whatever fails on the way, the laptop keeps a token that
/// works: the old one stays valid on the server until the new one is first used, and the new
/// one is used only once it is kept.
pub fn rotate_token(
    transport: &mut dyn Transport,
    tokens: &credentials::TokenStore,
) -> Result<(String, RotatedToken), RotateError> {
    let rotation = transport.rotate_token()?;
    let storage = tokens.save(&rotation.token).map_err(RotateError::NotKept)?;
    let expires_at = jiff::Timestamp::from_millisecond(rotation.expires_at_ms)
        .map(|t| t.to_string())
        .unwrap_or_default();
    Ok((
        rotation.token,
        RotatedToken {
            expires_at,
            expires_at_ms: rotation.expires_at_ms,
            storage,
        },
    ))
}

/// A transport that notes when the token expires, as the server's answers say.
struct Watched<'a> {
    inner: &'a mut dyn Transport,
    token_expires_at_ms: Option<i64>,
}

impl Transport for Watched<'_> {
    fn hello(&mut self) -> Result<Hello, SyncError> {
        self.inner.hello()
    }

    fn push(&mut self, request: &PushRequest) -> Result<PushResponse, SyncError> {
        let response = self.inner.push(request)?;
        if response.token_expires_at_ms.is_some() {
            self.token_expires_at_ms = response.token_expires_at_ms;
        }
        Ok(response)
    }

    fn pull(&mut self, cursor: Cursor, limit: usize) -> Result<PullResponse, SyncError> {
        let response = self.inner.pull(cursor, limit)?;
        if response.token_expires_at_ms.is_some() {
            self.token_expires_at_ms = response.token_expires_at_ms;
        }
        Ok(response)
    }

    fn rotate_token(&mut self) -> Result<TokenRotation, SyncError> {
        self.inner.rotate_token()
    }
}

/// What one round did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SyncReport {
    pub pushed_transactions: usize,
    pub pushed_fields: usize,
    pub duplicates: usize,
    pub refused: Vec<Refusal>,
    pub pulled_records: usize,
    pub pulled_fields: usize,
    pub pulled_conflicts: usize,
    /// Of the pulled fields, those that changed something here (not this laptop's own writes
    /// coming back, nor values older than the ones here).
    pub applied_fields: usize,
    /// The server did not know our cursor: everything was downloaded again.
    pub downloaded_again: bool,
    /// The whole store was pushed to restore what the server had lost.
    pub repaired: bool,
    /// No pull was needed: the server answered the last push that nothing but this laptop's
    /// own writes came after its cursor, and moved the cursor past them.
    pub pull_skipped: bool,
    pub cursor: i64,
    pub millis: u64,
    /// When the token expires, as the server said in this round (ms since the epoch; `None`
    /// from older servers).
    pub token_expires_at_ms: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Refusal {
    pub outbox_seq: i64,
    pub code: String,
    pub reason: String,
}

/// What the app shows: offline / syncing / synced at 21:47 / 12 changes waiting / 1 conflict.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SyncStatus {
    pub server: Option<String>,
    /// Local transactions waiting to be pushed (refused ones included).
    pub waiting: i64,
    /// Of those, refused by the server.
    pub refused: i64,
    /// Conflicts not yet reviewed.
    pub conflicts: i64,
    pub last_synced_at: Option<String>,
    pub last_error: Option<String>,
    pub last_error_at: Option<String>,
    pub cursor: i64,
}

impl Store {
    /// The fields the last sync round changed here with what others wrote: the report's
    /// `applied_fields` when it completed, and also what its committed pages changed when it
    /// failed after some of them.
    pub fn last_round_applied(&self) -> usize {
        self.applied_in_round
    }

    /// The id this store pushes under; made on first use.
    pub fn client_id(&mut self) -> Result<Uuid, Error> {
        let found: Option<String> = self
            .conn
            .query_row("SELECT client_id FROM sync_state WHERE id = 1", [], |r| {
                r.get(0)
            })
            .optional()?;
        if let Some(text) = found {
            return Uuid::parse_str(&text).map_err(|e| Error::StoredData(e.to_string()));
        }
        let id = Uuid::now_v7();
        self.conn.execute(
            "INSERT INTO sync_state(id, client_id) VALUES (1, ?1)",
            [id.to_string()],
        )?;
        Ok(id)
    }

    pub fn sync_status(&self) -> Result<SyncStatus, Error> {
        let (server, cursor, last_synced_at, last_error, last_error_at) = self
            .conn
            .query_row(
                "SELECT server, cursor_seq, last_synced_at, last_error, last_error_at
                 FROM sync_state WHERE id = 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
            )
            .optional()?
            .unwrap_or((None, 0, None, None, None));
        let (waiting, refused): (i64, i64) = self.conn.query_row(
            "SELECT count(*), count(refused_code) FROM outbox",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let conflicts: i64 = self.conn.query_row(
            "SELECT count(*) FROM conflict WHERE resolved = 0",
            [],
            |r| r.get(0),
        )?;
        Ok(SyncStatus {
            server,
            waiting,
            refused,
            conflicts,
            last_synced_at,
            last_error,
            last_error_at,
            cursor,
        })
    }

    /// Remembers why the last round failed (shown until a round succeeds).
    pub fn record_sync_error(&mut self, error: &SyncError) -> Result<(), Error> {
        self.client_id()?;
        self.conn.execute(
            "UPDATE sync_state SET last_error = ?1, last_error_at = ?2 WHERE id = 1",
            (error.to_string(), jiff::Timestamp::now().to_string()),
        )?;
        Ok(())
    }

    /// One full round: push everything waiting, pull everything new.
    pub fn sync_round(
        &mut self,
        server: &str,
        transport: &mut dyn Transport,
    ) -> Result<SyncReport, SyncError> {
        let mut watched = Watched {
            inner: transport,
            token_expires_at_ms: None,
        };
        let mut report = self.run_round(server, &mut watched)?;
        report.token_expires_at_ms = watched.token_expires_at_ms;
        Ok(report)
    }

    /// The round itself (see [`Store::sync_round`]).
    fn run_round(
        &mut self,
        server: &str,
        transport: &mut dyn Transport,
    ) -> Result<SyncReport, SyncError> {
        let started = Instant::now();
        self.applied_in_round = 0;
        if self.is_demo()? {
            return Err(SyncError::DemoStore);
        }
        let client_id = self.client_id()?;
        self.conn
            .execute("UPDATE sync_state SET server = ?1 WHERE id = 1", [server])?;
        let hello = transport.hello()?;
        if !hello.protocol_versions.contains(&PROTOCOL_VERSION) {
            return Err(SyncError::Protocol(format!(
                "this app speaks version {PROTOCOL_VERSION}, the server {:?}; update the app or the server",
                hello.protocol_versions
            )));
        }
        let mut report = SyncReport::default();
        let mut at_head = self.push_outbox(client_id, transport, &mut report)?;
        // Changes refused because this computer's clock ran ahead get new stamps once the clock
        // is right again (the server's clock says so), and go out in the same round.
        if report.refused.iter().any(|r| r.code == "clock_skew")
            && self.clock.now_ms()
                <= hello
                    .server_time_ms
                    .saturating_add(hello.max_clock_skew_ms / 2)
            && self.restamp_refused(hello.server_time_ms)? > 0
        {
            report.refused.retain(|r| r.code != "clock_skew");
            at_head = self.push_outbox(client_id, transport, &mut report)?;
        }
        // The server said the last push left this laptop at its newest transaction, with
        // nothing but the laptop's own writes after its cursor: a pull would bring nothing.
        if at_head {
            report.pull_skipped = true;
        } else {
            self.pull_all(transport, &mut report)?;
        }
        if self.repair_pending()? {
            self.push_whole_store(transport, &mut report)?;
        }
        let (cursor,): (i64,) =
            self.conn
                .query_row("SELECT cursor_seq FROM sync_state WHERE id = 1", [], |r| {
                    Ok((r.get(0)?,))
                })?;
        report.cursor = cursor;
        self.conn.execute(
            "UPDATE sync_state SET last_synced_at = ?1, last_error = NULL, last_error_at = NULL
             WHERE id = 1",
            [jiff::Timestamp::now().to_string()],
        )?;
        report.millis = started.elapsed().as_millis() as u64;
        Ok(report)
    }

    /// Pushes the outbox; returns whether the last push's answer moved the cursor to the
    /// server's newest transaction ([`PushResponse::cursor`]).
    fn push_outbox(
        &mut self,
        client_id: Uuid,
        transport: &mut dyn Transport,
        report: &mut SyncReport,
    ) -> Result<bool, SyncError> {
        // Refused entries are sent again each round (the cause, such as a clock, may be fixed);
        // the server's idempotency record keeps a retry from applying anything twice.
        let mut after = 0i64;
        let mut at_head = false;
        loop {
            let waiting = self.outbox_page(after, PUSH_BATCH)?;
            if waiting.is_empty() {
                return Ok(at_head);
            }
            // Requests stay well under the server's size limit: as many transactions as fit in
            // PUSH_BYTES (a single larger transaction goes alone; it cannot be split).
            let mut changesets: Vec<PushChangeSet> = Vec::new();
            let mut bytes = 0usize;
            for (seq, set) in waiting {
                let changeset = PushChangeSet {
                    client_seq: seq,
                    tx_id: set.tx_id,
                    changes: set.changes,
                };
                let size = serde_json::to_vec(&changeset).map(|v| v.len()).unwrap_or(0);
                if !changesets.is_empty() && bytes + size > PUSH_BYTES {
                    break;
                }
                bytes += size;
                after = seq;
                changesets.push(changeset);
            }
            let fields: usize = changesets
                .iter()
                .flat_map(|c| &c.changes)
                .map(|c| c.fields.len())
                .sum();
            let sent: Vec<i64> = changesets.iter().map(|c| c.client_seq).collect();
            let cursor = self.cursor()?;
            let response = transport.push(&PushRequest {
                client_id,
                changesets,
                after: Some(cursor),
                extra: Default::default(),
            })?;
            // Only forward, and only from where this push was sent.
            let moved_to = response.cursor.filter(|c| c.seq > cursor.seq);
            self.acknowledge(
                &sent,
                &response.acks,
                moved_to.map(|to| (cursor, to)),
                report,
            )?;
            at_head = moved_to.is_some_and(|to| response.head == Some(to.seq));
            report.pushed_fields += fields;
        }
    }

    /// Removes acknowledged entries from the outbox and marks refused ones, in one transaction;
    /// moves the cursor `(from, to)` in it when the server said that only these writes lie
    /// between (and the cursor still stands at `from`).
    fn acknowledge(
        &mut self,
        sent: &[i64],
        acks: &[PushAck],
        moved: Option<(Cursor, Cursor)>,
        report: &mut SyncReport,
    ) -> Result<(), SyncError> {
        for ack in acks {
            if !sent.contains(&ack.client_seq) {
                return Err(SyncError::Garbage(format!(
                    "acknowledgement for transaction {} that was not sent",
                    ack.client_seq
                )));
            }
        }
        let tx = self.conn.transaction()?;
        for ack in acks {
            match &ack.outcome {
                PushOutcome::Applied { .. } | PushOutcome::Duplicate { .. } => {
                    tx.prepare_cached("DELETE FROM outbox WHERE seq = ?1")?
                        .execute([ack.client_seq])?;
                    if matches!(ack.outcome, PushOutcome::Duplicate { .. }) {
                        report.duplicates += 1;
                    } else {
                        report.pushed_transactions += 1;
                    }
                }
                PushOutcome::Refused { code, reason } => {
                    tx.prepare_cached(
                        "UPDATE outbox SET refused_code = ?1, refused_reason = ?2 WHERE seq = ?3",
                    )?
                    .execute((code, reason, ack.client_seq))?;
                    report.refused.push(Refusal {
                        outbox_seq: ack.client_seq,
                        code: code.clone(),
                        reason: reason.clone(),
                    });
                }
            }
        }
        if let Some((from, to)) = moved {
            tx.execute(
                "UPDATE sync_state SET cursor_seq = ?1, cursor_tx = ?2
                 WHERE id = 1 AND cursor_seq = ?3 AND cursor_tx IS ?4",
                (
                    to.seq,
                    to.tx.map(|t| t.to_string()),
                    from.seq,
                    from.tx.map(|t| t.to_string()),
                ),
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    fn cursor(&self) -> Result<Cursor, Error> {
        let (seq, tx): (i64, Option<String>) = self
            .conn
            .query_row(
                "SELECT cursor_seq, cursor_tx FROM sync_state WHERE id = 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?
            .unwrap_or((0, None));
        Ok(Cursor {
            seq,
            tx: tx.and_then(|t| Uuid::parse_str(&t).ok()),
        })
    }

    fn repair_pending(&self) -> Result<bool, Error> {
        Ok(self
            .conn
            .query_row(
                "SELECT repair_pending FROM sync_state WHERE id = 1",
                [],
                |r| r.get::<_, i64>(0),
            )
            .optional()?
            .unwrap_or(0)
            != 0)
    }

    /// Pulls every page after the cursor. The next page is asked for while this one is
    /// applied (the transport on this thread, the store on another), so the server's and the
    /// wire's time overlap with SQLite's. A first download into an empty store skips the
    /// look-ups of records it cannot have yet.
    fn pull_all(
        &mut self,
        transport: &mut dyn Transport,
        report: &mut SyncReport,
    ) -> Result<(), SyncError> {
        loop {
            let start = self.cursor()?;
            let first_download =
                (start.seq == 0 && self.holds_no_records()?).then(FirstDownload::default);
            let bulk = first_download.is_some();
            if bulk {
                self.defer_indexes()?;
            }
            let pulled = self.pull_pages(transport, start, first_download, report);
            if bulk {
                self.restore_deferred_indexes()?;
            }
            match pulled {
                Err(SyncError::UnknownCursor) if !report.downloaded_again => {
                    // Start over from the beginning; push everything afterwards.
                    self.conn.execute(
                        "UPDATE sync_state SET cursor_seq = 0, cursor_tx = NULL, repair_pending = 1
                         WHERE id = 1",
                        [],
                    )?;
                    report.downloaded_again = true;
                }
                other => return other,
            }
        }
    }

    /// Fetches pages from `start` on this thread and applies them on another, one page ahead.
    /// An error of either stops both; pages applied before it stay applied (each commits with
    /// its cursor).
    fn pull_pages(
        &mut self,
        transport: &mut dyn Transport,
        start: Cursor,
        mut first_download: Option<FirstDownload>,
        report: &mut SyncReport,
    ) -> Result<(), SyncError> {
        // In a first download, this thread also makes each record's row ready for its INSERT.
        let prepare = first_download.is_some();
        let (pages, arriving) =
            std::sync::mpsc::sync_channel::<(PullResponse, Vec<Option<Fresh>>)>(1);
        std::thread::scope(|scope| {
            let applier = scope.spawn(move || -> Result<(), SyncError> {
                for (page, fresh) in arriving {
                    let download = first_download.as_mut().map(|d| (d, fresh));
                    self.apply_page(page, download, report)?;
                }
                Ok(())
            });
            let mut cursor = start;
            let fetched = loop {
                let page = match transport.pull(cursor, PULL_PAGE) {
                    Ok(page) => page,
                    Err(e) => break Err(e),
                };
                if page.cursor.seq < cursor.seq {
                    break Err(SyncError::Garbage(format!(
                        "the server moved the cursor back from {} to {}",
                        cursor.seq, page.cursor.seq
                    )));
                }
                cursor = page.cursor;
                let more = page.more;
                let fresh = if prepare {
                    prepare_fresh(&page.records)
                } else {
                    Vec::new()
                };
                // A closed channel: the applier stopped on an error, which it returns.
                if pages.send((page, fresh)).is_err() || !more {
                    break Ok(());
                }
            };
            drop(pages);
            let applied = applier.join().unwrap_or_else(|_| {
                Err(SyncError::Store(Error::StoredData(
                    "applying a pulled page failed unexpectedly".into(),
                )))
            });
            applied.and(fetched)
        })
    }

    /// Applies one pulled page with its conflicts and cursor, in one transaction.
    fn apply_page(
        &mut self,
        page: PullResponse,
        first_download: Option<(&mut FirstDownload, Vec<Option<Fresh>>)>,
        report: &mut SyncReport,
    ) -> Result<(), SyncError> {
        report.pulled_records += page.records.len();
        report.pulled_fields += page.records.iter().map(|r| r.fields.len()).sum::<usize>();
        report.pulled_conflicts += page.conflicts.len();
        let next = page.cursor;
        let conflicts = page.conflicts;
        let now = jiff::Timestamp::now().to_string();
        let merged = self.merge_into(&page.records, false, first_download, |tx| {
            for c in &conflicts {
                log_conflict(
                    tx,
                    &c.entity,
                    c.id,
                    &c.field,
                    &c.lost_value,
                    c.lost_hlc,
                    &c.won_value,
                    c.won_hlc,
                    &now,
                )?;
            }
            tx.execute(
                "UPDATE sync_state SET cursor_seq = ?1, cursor_tx = ?2 WHERE id = 1",
                (next.seq, next.tx.map(|t| t.to_string())),
            )?;
            Ok(())
        })?;
        report.applied_fields += merged.fields_applied;
        self.applied_in_round += merged.fields_applied;
        Ok(())
    }

    /// Pushes every record with every field and its clock, under a fresh client id (so no
    /// earlier idempotency record hides it). Merging makes this harmless where the server
    /// already has the values.
    fn push_whole_store(
        &mut self,
        transport: &mut dyn Transport,
        report: &mut SyncReport,
    ) -> Result<(), SyncError> {
        let repair_client = Uuid::now_v7();
        let mut client_seq = 0i64;
        for entity in Entity::ALL {
            let mut after = String::new();
            loop {
                let records = self.records_with_clocks(entity, &after, 2_000)?;
                let Some(last) = records.last() else {
                    break;
                };
                after = last.id.to_string();
                client_seq += 1;
                let fields: usize = records.iter().map(|r| r.fields.len()).sum();
                let response = transport.push(&PushRequest {
                    client_id: repair_client,
                    changesets: vec![PushChangeSet {
                        client_seq,
                        tx_id: Uuid::now_v7(),
                        changes: records,
                    }],
                    after: None,
                    extra: Default::default(),
                })?;
                for ack in response.acks {
                    if let PushOutcome::Refused { code, reason } = ack.outcome {
                        report.refused.push(Refusal {
                            outbox_seq: 0,
                            code,
                            reason,
                        });
                    }
                }
                report.pushed_fields += fields;
            }
        }
        self.conn
            .execute("UPDATE sync_state SET repair_pending = 0 WHERE id = 1", [])?;
        report.repaired = true;
        Ok(())
    }

    /// Records of an entity after an id, each with every stamped field.
    fn records_with_clocks(
        &self,
        entity: Entity,
        after: &str,
        limit: usize,
    ) -> Result<Vec<RecordChange>, Error> {
        let sql = format!(
            "{} WHERE id > ?1 ORDER BY id LIMIT ?2",
            row::select_sql(entity)
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let mut rows = stmt.query((after, limit as i64))?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let id: String = r.get(row::id_column(entity))?;
            let stored = row::from_select(entity, r)?;
            let mut change = RecordChange {
                entity: entity.name().to_owned(),
                id: Uuid::parse_str(&id).map_err(|e| Error::StoredData(e.to_string()))?,
                fields: Default::default(),
            };
            for (name, hlc) in &stored.clocks {
                let value = if name == DELETED_FIELD {
                    serde_json::Value::Bool(stored.deleted)
                } else {
                    stored
                        .fields
                        .get(name)
                        .cloned()
                        .unwrap_or(serde_json::Value::Null)
                };
                change
                    .fields
                    .insert(name.clone(), StampedValue::new(value, *hlc));
            }
            for (name, extra) in &stored.extra {
                change.fields.insert(name.clone(), extra.clone());
            }
            out.push(change);
        }
        Ok(out)
    }

    /// Gives the outbox entries refused for clock skew new clock readings, starting from the
    /// server's time, and moves the stamps of the fields they wrote along. Nobody else has seen the
    /// refused stamps, so replacing them loses nothing. Returns how many entries were re-stamped.
    fn restamp_refused(&mut self, server_time_ms: u64) -> Result<usize, SyncError> {
        let refused = {
            let mut stmt = self.conn.prepare(
                "SELECT seq, hlc FROM outbox WHERE refused_code = 'clock_skew' ORDER BY seq",
            )?;
            let rows = stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?;
            rows.collect::<rusqlite::Result<Vec<_>>>()?
        };
        if refused.is_empty() {
            return Ok(0);
        }
        self.clock.rewind(server_time_ms.max(self.clock.now_ms()));
        let mut entries = Vec::with_capacity(refused.len());
        for (seq, _) in &refused {
            entries.extend(self.outbox_page(seq - 1, 1)?);
        }
        let tx = self.conn.transaction()?;
        for (seq, old) in &refused {
            let Some((_, set)) = entries.iter().find(|(s, _)| s == seq) else {
                continue;
            };
            let new = self.clock.tick();
            for change in &set.changes {
                let Ok(entity) = change.entity.parse::<Entity>() else {
                    continue;
                };
                if let Some(mut row) = row::read(&tx, entity, change.id)? {
                    let mut moved = false;
                    for clock in row.clocks.values_mut() {
                        if clock.to_string() == *old {
                            *clock = new;
                            moved = true;
                        }
                    }
                    if moved {
                        row::update(&tx, entity, change.id, &row, &[])?;
                    }
                }
            }
            tx.execute(
                "UPDATE outbox SET hlc = ?1, refused_code = NULL, refused_reason = NULL WHERE seq = ?2",
                (new.to_string(), seq),
            )?;
        }
        self.clock.persist(&tx)?;
        tx.commit()?;
        Ok(refused.len())
    }

    /// Takes a lost value back: writes it as a new edit (through the one write path) and marks
    /// the conflict reviewed.
    pub fn keep_lost_value(&mut self, conflict_seq: i64) -> Result<(), Error> {
        let (entity, record_id, field, lost): (String, String, String, String) = self
            .conn
            .query_row(
                "SELECT entity, record_id, field, lost_value FROM conflict WHERE seq = ?1",
                [conflict_seq],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()?
            .ok_or_else(|| Error::BadRequest(format!("conflict {conflict_seq} does not exist")))?;
        let entity: Entity = entity.parse().map_err(Error::BadRequest)?;
        let id = Uuid::parse_str(&record_id).map_err(|e| Error::StoredData(e.to_string()))?;
        let value: serde_json::Value =
            serde_json::from_str(&lost).map_err(|e| Error::StoredData(e.to_string()))?;
        let write = if field == DELETED_FIELD {
            if value.as_bool() == Some(true) {
                crate::Write::delete(entity, id)
            } else {
                crate::Write::restore(entity, id)
            }
        } else {
            let mut fields = crate::Fields::new();
            fields.insert(field, value);
            crate::Write::update(entity, id, fields)
        };
        self.write(vec![write])?;
        self.resolve_conflict(conflict_seq)
    }

    /// Marks a conflict reviewed (the value that won stays).
    pub fn resolve_conflict(&mut self, conflict_seq: i64) -> Result<(), Error> {
        let n = self.conn.execute(
            "UPDATE conflict SET resolved = 1 WHERE seq = ?1",
            [conflict_seq],
        )?;
        if n == 0 {
            return Err(Error::BadRequest(format!(
                "conflict {conflict_seq} does not exist"
            )));
        }
        Ok(())
    }
}
