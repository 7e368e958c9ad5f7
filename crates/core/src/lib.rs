//! The core of Wijkwerk: the domain, the local store, the one write path, search and the demo
//! municipality. Plain Rust with no window: the desktop app and the CLI are thin shells over it.
//!
//! Map (see ARCHITECTURE.md for the whole picture):
//! - [`schema`]: every entity and field, described once;
//! - [`store`]: opening, creating and migrating the SQLite file;
//! - [`write`]: the one door for every write ([`Store::write`]);
//! - [`merge`]: applying changes made elsewhere (per-field last writer wins);
//! - [`records`]: reading records generically (get, list);
//! - [`areas`], [`organisations`], [`contacts`], [`meetings`], [`visits`], [`action_points`]:
//!   the domain's questions (a board and its vacancies, the overdue list, ...);
//! - [`calendar`]: calendar export (RFC 5545), invitations in, the yearly visit planner;
//! - [`search`]: full-text search; [`export`]: the canonical JSON export; [`contact_export`]:
//!   contacts, organisations and boards to CSV, XLSX and vCard, a board as a mailing list;
//!   [`demo`]: the demo municipality.

pub mod action_points;
pub mod areas;
pub mod browse;
pub mod budgets;
pub mod calendar;
mod clock;
pub mod contact_export;
pub mod contacts;
pub mod dashboard;
pub mod data_folder;
pub mod demo;
pub mod erasure;
pub mod error;
pub mod export;
pub mod import;
pub mod meetings;
pub mod merge;
pub mod money;
pub mod normal_form;
pub mod open_file;
pub mod organisations;
pub mod privacy;
pub mod projects;
pub mod records;
pub mod report;
mod row;
mod rules;
pub mod schema;
pub mod search;
mod search_index;
pub mod store;
pub mod store_key;
pub mod sync;
pub mod values;
pub mod visits;
pub mod write;

pub use error::{Error, Invalid, Result};
pub use schema::Entity;
pub use store::Store;
pub use wijkwerk_lists as lists;
pub use wijkwerk_protocol as protocol;
pub use write::{Fields, Op, Write};

/// The time zone of meetings and visits unless told otherwise.
pub const DEFAULT_TIME_ZONE: &str = wijkwerk_calendar::DEFAULT_TIME_ZONE;

/// Today's date where the coordinators work.
pub fn today() -> jiff::civil::Date {
    let zone = jiff::tz::TimeZone::get(DEFAULT_TIME_ZONE).unwrap_or(jiff::tz::TimeZone::UTC);
    jiff::Timestamp::now().to_zoned(zone).date()
}
