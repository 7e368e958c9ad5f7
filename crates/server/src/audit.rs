//! The audit log: who read or wrote which tenant's data and when, sign-in failures, token and
//! user changes, erasures and anonymisations. One table (`audit_log`) in the server's database,
//! append-only:
//!
//! - nothing in the server updates or deletes a row, and the database refuses it too: triggers
//!   raise on every `UPDATE`, and on a `DELETE` of a row that is not older than the cutoff the
//!   retention purge sets in its own transaction (`audit_purge`; a cutoff within
//!   [`MIN_RETENTION_DAYS`] of now is refused), and on PostgreSQL on `TRUNCATE`;
//! - the purge ([`crate::Storage::audit_purge`]) deletes only rows older than the retention the
//!   municipality set (`audit_retention_days`), and records that it did;
//! - a token is never written to it: a token is named by the first 12 hex digits of its hash
//!   ([`token_id`]), enough to tell tokens apart, useless for signing in.
//!
//! On the hot path (every pull and push writes one row) events are not written by the request:
//! they wait in an [`AuditBuffer`] that one task writes in batches (one transaction per batch,
//! at most a second later, and at shutdown). Events that must not wait — token and user changes
//! from the admin commands, a rotation, an erasure — are written at once in their own
//! transaction by [`crate::Storage::audit`] or inside the change's transaction.

use serde::Serialize;
use serde_json::{json, Map, Value};
use std::sync::Mutex;

/// The shortest retention the database allows the purge (days): a mistyped setting cannot
/// empty the log.
pub const MIN_RETENTION_DAYS: u32 = 30;
/// The retention when the configuration does not say (days). BIO (12.4.1) asks for event logs
/// that are kept, protected and reviewed, and leaves the period to the organisation: one year
/// covers a yearly review and an AVG request about the past year.
pub const DEFAULT_RETENTION_DAYS: u32 = 365;
/// At most this many events wait to be written; beyond it new ones are dropped (and counted in
/// `wijkwerk_audit_dropped_total`, and logged): a database that stays away must not fill memory.
pub const MAX_BUFFERED: usize = 100_000;

pub const DAY_MS: i64 = 86_400_000;

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditKind {
    /// A pull: a user read the tenant's data.
    Pull,
    /// A push: a user wrote the tenant's data.
    Push,
    /// The calendar feed was read.
    FeedRead,
    /// A sign-in was refused: no token, an unknown or revoked one.
    SignInFailed,
    /// An expired token was used (refused).
    TokenExpiredUse,
    TokenAdded,
    TokenRevoked,
    /// A token was replaced by a new one from the app; the old one stays valid until the new
    /// one is first used (then a `token_revoked` follows) or it expires.
    TokenRotated,
    UserAdded,
    TenantAdded,
    FeedTokenAdded,
    FeedTokenRevoked,
    /// A record's personal data was erased (AVG article 17).
    Erasure,
    /// A record's personal data was anonymised.
    Anonymisation,
    /// The retention purge deleted old rows of this log.
    AuditPurged,
    /// A department user's password was set or removed (by an admin).
    PasswordSet,
    /// A department user signed in on the web pages (with a password or a link).
    WebSignIn,
    /// A sign-in link was sent to a department user.
    SignInLinkSent,
    /// A reminder e-mail was sent (or could not be).
    ReminderSent,
}

pub const KINDS: [AuditKind; 19] = [
    AuditKind::Pull,
    AuditKind::Push,
    AuditKind::FeedRead,
    AuditKind::SignInFailed,
    AuditKind::TokenExpiredUse,
    AuditKind::TokenAdded,
    AuditKind::TokenRevoked,
    AuditKind::TokenRotated,
    AuditKind::UserAdded,
    AuditKind::TenantAdded,
    AuditKind::FeedTokenAdded,
    AuditKind::FeedTokenRevoked,
    AuditKind::Erasure,
    AuditKind::Anonymisation,
    AuditKind::AuditPurged,
    AuditKind::PasswordSet,
    AuditKind::WebSignIn,
    AuditKind::SignInLinkSent,
    AuditKind::ReminderSent,
];

impl AuditKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AuditKind::Pull => "pull",
            AuditKind::Push => "push",
            AuditKind::FeedRead => "feed_read",
            AuditKind::SignInFailed => "sign_in_failed",
            AuditKind::TokenExpiredUse => "token_expired_use",
            AuditKind::TokenAdded => "token_added",
            AuditKind::TokenRevoked => "token_revoked",
            AuditKind::TokenRotated => "token_rotated",
            AuditKind::UserAdded => "user_added",
            AuditKind::TenantAdded => "tenant_added",
            AuditKind::FeedTokenAdded => "feed_token_added",
            AuditKind::FeedTokenRevoked => "feed_token_revoked",
            AuditKind::Erasure => "erasure",
            AuditKind::Anonymisation => "anonymisation",
            AuditKind::AuditPurged => "audit_purged",
            AuditKind::PasswordSet => "password_set",
            AuditKind::WebSignIn => "web_sign_in",
            AuditKind::SignInLinkSent => "sign_in_link_sent",
            AuditKind::ReminderSent => "reminder_sent",
        }
    }

    /// The kind named `text` (as [`AuditKind::as_str`] writes it; `-` may stand for `_`).
    pub fn parse(text: &str) -> Option<AuditKind> {
        let text = text.trim().replace('-', "_");
        KINDS.into_iter().find(|k| k.as_str() == text)
    }
}

/// One event to record.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEvent {
    /// When (ms since the epoch).
    pub at_ms: i64,
    pub kind: AuditKind,
    /// The tenant whose data or users it concerns (its name).
    pub tenant: Option<String>,
    /// The user who acted, or whom it concerns (their name).
    pub user: Option<String>,
    /// The remote address of the request (none for admin commands).
    pub address: Option<String>,
    /// The rest, as a JSON object (counts, the record, the reason, a token's id).
    pub detail: Map<String, Value>,
}

impl AuditEvent {
    /// An event now, about nobody yet.
    pub fn new(kind: AuditKind) -> AuditEvent {
        AuditEvent {
            at_ms: now_ms(),
            kind,
            tenant: None,
            user: None,
            address: None,
            detail: Map::new(),
        }
    }

    pub fn tenant(mut self, tenant: &str) -> AuditEvent {
        self.tenant = Some(tenant.to_owned());
        self
    }

    pub fn user(mut self, user: &str) -> AuditEvent {
        self.user = Some(user.to_owned());
        self
    }

    pub fn address(mut self, address: impl std::fmt::Display) -> AuditEvent {
        self.address = Some(address.to_string());
        self
    }

    pub fn detail(mut self, key: &str, value: impl Into<Value>) -> AuditEvent {
        self.detail.insert(key.to_owned(), value.into());
        self
    }

    /// A record's personal data erased by `user` of `tenant`: the entity and the record's id.
    pub fn erasure(tenant: &str, user: &str, entity: &str, record: uuid::Uuid) -> AuditEvent {
        AuditEvent::new(AuditKind::Erasure)
            .tenant(tenant)
            .user(user)
            .detail("entity", entity)
            .detail("record", record.to_string())
    }

    /// A record's personal data anonymised by `user` of `tenant`.
    pub fn anonymisation(tenant: &str, user: &str, entity: &str, record: uuid::Uuid) -> AuditEvent {
        AuditEvent::new(AuditKind::Anonymisation)
            .tenant(tenant)
            .user(user)
            .detail("entity", entity)
            .detail("record", record.to_string())
    }

    /// The detail as the JSON text stored.
    pub fn detail_text(&self) -> String {
        Value::Object(self.detail.clone()).to_string()
    }
}

/// A row of the log as read back.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditRecord {
    pub id: i64,
    pub at_ms: i64,
    /// As stored (a kind this version does not know is shown as it is).
    pub kind: String,
    pub tenant: Option<String>,
    pub user: Option<String>,
    pub address: Option<String>,
    pub detail: Value,
}

impl AuditRecord {
    /// The row as the admin command's JSON: the time in UTC beside the milliseconds.
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "at": timestamp_text(self.at_ms),
            "at_ms": self.at_ms,
            "kind": self.kind,
            "tenant": self.tenant,
            "user": self.user,
            "address": self.address,
            "detail": self.detail,
        })
    }

    /// The row as one line for a person: Dutch time, kind, tenant, user, address, detail.
    pub fn to_line(&self) -> String {
        let at = jiff::Timestamp::from_millisecond(self.at_ms)
            .map(|t| {
                t.to_zoned(
                    jiff::tz::TimeZone::get("Europe/Amsterdam").unwrap_or(jiff::tz::TimeZone::UTC),
                )
                .strftime("%Y-%m-%d %H:%M:%S %:z")
                .to_string()
            })
            .unwrap_or_else(|_| self.at_ms.to_string());
        let dash = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".to_owned());
        let detail = match &self.detail {
            Value::Object(map) if map.is_empty() => String::new(),
            other => other.to_string(),
        };
        format!(
            "{at}  {:<18} {:<24} {:<16} {:<15} {detail}",
            self.kind,
            dash(&self.tenant),
            dash(&self.user),
            dash(&self.address)
        )
        .trim_end()
        .to_owned()
    }
}

/// Which rows `audit list` shows: all conditions given must hold; newest first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuditFilter {
    pub tenant: Option<String>,
    pub user: Option<String>,
    pub kind: Option<AuditKind>,
    /// From this moment on (ms, inclusive).
    pub since_ms: Option<i64>,
    /// Before this moment (ms, exclusive).
    pub until_ms: Option<i64>,
    /// At most this many rows.
    pub limit: usize,
}

/// The name of a token in the log: the first 12 hex digits of its hash.
pub fn token_id(token_hash: &str) -> String {
    token_hash.chars().take(12).collect()
}

pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// `ms` as RFC 3339 in UTC.
pub fn timestamp_text(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.to_string())
        .unwrap_or_else(|_| ms.to_string())
}

/// A moment typed by an operator: a date (`2026-03-12`, the start of that day in Dutch time)
/// or a moment with its offset (`2026-03-12T18:30:00Z`, `2026-03-12T19:30:00+01:00`).
pub fn parse_moment(text: &str) -> Result<i64, String> {
    let text = text.trim();
    if let Ok(timestamp) = text.parse::<jiff::Timestamp>() {
        return Ok(timestamp.as_millisecond());
    }
    let date: jiff::civil::Date = text.parse().map_err(|_| {
        format!("{text:?} is not a date (2026-03-12) or a moment (2026-03-12T18:30:00Z)")
    })?;
    let zone = jiff::tz::TimeZone::get("Europe/Amsterdam").map_err(|e| e.to_string())?;
    date.to_zoned(zone)
        .map(|z| z.timestamp().as_millisecond())
        .map_err(|e| format!("{text:?}: {e}"))
}

/// Events waiting to be written by the audit task (see the module).
#[derive(Debug, Default)]
pub struct AuditBuffer {
    events: Mutex<Vec<AuditEvent>>,
    pub(crate) wake: tokio::sync::Notify,
}

/// Wake the writer early once this many events wait.
const WAKE_AT: usize = 1000;

impl AuditBuffer {
    /// Keeps an event to be written soon. Never blocks on the database.
    pub fn record(&self, event: AuditEvent) {
        let mut events = self.events.lock().unwrap_or_else(|p| p.into_inner());
        if events.len() >= MAX_BUFFERED {
            drop(events);
            metrics::counter!("wijkwerk_audit_dropped_total").increment(1);
            tracing::error!(
                kind = event.kind.as_str(),
                "audit event dropped: too many wait to be written (is the database reachable?)"
            );
            return;
        }
        events.push(event);
        if events.len() == WAKE_AT {
            self.wake.notify_one();
        }
    }

    /// Everything waiting, oldest first.
    pub fn take(&self) -> Vec<AuditEvent> {
        std::mem::take(&mut *self.events.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// Puts events that could not be written back in front of the newer ones.
    pub fn put_back(&self, mut failed: Vec<AuditEvent>) {
        let mut events = self.events.lock().unwrap_or_else(|p| p.into_inner());
        failed.append(&mut events);
        failed.truncate(MAX_BUFFERED);
        *events = failed;
    }

    pub fn len(&self) -> usize {
        self.events.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_read_back_as_written() {
        for kind in KINDS {
            assert_eq!(AuditKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(
            AuditKind::parse("sign-in-failed"),
            Some(AuditKind::SignInFailed)
        );
        assert_eq!(AuditKind::parse("login"), None);
    }

    #[test]
    fn a_date_is_the_start_of_the_dutch_day() {
        // 1 July 2026 starts at 22:00 UTC the day before (summer time, +02:00).
        let start = parse_moment("2026-07-01").unwrap();
        assert_eq!(timestamp_text(start), "2026-06-30T22:00:00Z");
        assert_eq!(
            parse_moment("2026-07-01T08:00:00Z").unwrap() - start,
            10 * 3_600_000
        );
        assert!(parse_moment("gisteren").unwrap_err().contains("not a date"));
    }

    #[test]
    fn a_token_is_named_by_a_prefix_of_its_hash_only() {
        let hash = crate::auth::token_hash("wk_secret");
        assert_eq!(token_id(&hash).len(), 12);
        assert!(hash.starts_with(&token_id(&hash)));
    }

    #[test]
    fn a_full_buffer_drops_new_events_and_keeps_the_old() {
        let buffer = AuditBuffer::default();
        for _ in 0..MAX_BUFFERED {
            buffer.record(AuditEvent::new(AuditKind::Pull));
        }
        buffer.record(AuditEvent::new(AuditKind::Push));
        let events = buffer.take();
        assert_eq!(events.len(), MAX_BUFFERED);
        assert!(events.iter().all(|e| e.kind == AuditKind::Pull));
        assert!(buffer.is_empty());
    }
}
