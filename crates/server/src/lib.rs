//! The municipal sync server of Wijkwerk.
//!
//! Map:
//! - [`storage`]: the one storage interface, with [`sqlite`] (embedded default) and
//!   [`postgres`] (production) behind it; the same test suite runs against both;
//! - [`merge`]: the per-field decision (last writer wins, conflicts) shared by both;
//! - [`http`]: the HTTP API (axum): hello, push, pull, health, metrics;
//! - [`web`]: the department colleagues' web pages at `/` (sign-in by link or password,
//!   their department's action points, answers written as the server's own writer through
//!   the push path) and their reminder e-mails;
//! - [`audit`]: the append-only audit log (reads, writes, sign-in failures, token and user
//!   changes, erasures), written in batches off the hot path, purged after its retention;
//! - [`auth`]: tokens (stored as SHA-256 hashes, with an expiry, rotated from the app) and
//!   slowing down repeated failures;
//! - [`config`]: the configuration file beside the flags;
//! - [`mail`]: e-mail over SMTP (reminders, sign-in links), when the configuration names a mail
//!   server;
//! - [`backup`]: online backup and restore of the SQLite database (PostgreSQL uses its own
//!   tools).
//!
//! Invariants:
//! - The process keeps no state of its own: everything lives in the database, so two server
//!   processes over one PostgreSQL are correct. (The failed-login counter is per process; it only
//!   slows attackers down.)
//! - A push is one database transaction: its effects, the per-tenant sequence, and the
//!   idempotency record (client id, client sequence) commit together or not at all.
//! - Sequences are handed out under a lock on the tenant row, so they commit in order and a pull
//!   never skips a transaction that commits later with a lower number.
//! - Pushes to one tenant that arrive together are written in one database transaction by one
//!   task per tenant and process (`storage::PushQueue`), each decided as if it came alone; the
//!   lock above still orders the transactions of several processes.

pub mod audit;
pub mod auth;
pub mod backup;
pub mod config;
pub mod error;
pub mod feed;
pub mod http;
pub mod mail;
pub mod merge;
pub mod postgres;
pub mod sqlite;
pub mod storage;
pub mod web;

pub use error::{Result, ServerError};
pub use storage::Storage;
