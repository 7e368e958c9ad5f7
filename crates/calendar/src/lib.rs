//! Wijkwerk's calendars (RFC 5545), knowing no store: what a calendar needs is handed in as plain
//! values, so that the desktop app's core (over its SQLite store) and the sync server (over its
//! own field table) write the same bytes.
//!
//! - [`emit`]: the RFC 5545 writer (CRLF, folding at 75 octets, escaping);
//! - [`event`]: the calendar entry model and the `.ics` it becomes (VTIMEZONEs, reminders);
//! - [`feed`]: the kernbezoek subscription feed, built from record values;
//! - [`scan`]: calendar files read as forgivingly as Outlook, Google and Apple read them;
//! - [`timezones`]: VTIMEZONEs out, IANA / Windows / VTIMEZONE-only zones in;
//! - [`rrule`]: expanding recurring invitations;
//! - [`holidays`]: Dutch public holidays, for the yearly visit planner.
//!
//! Identity: every exported record has a stable UID, `<record id>@wijkwerk` ([`uid_for`]).

pub mod dutch;
pub mod emit;
pub mod event;
pub mod feed;
pub mod holidays;
pub mod rrule;
pub mod scan;
pub mod timezones;

use uuid::Uuid;

/// The zone Dutch times are read and written in (the same as `wijkwerk_core::DEFAULT_TIME_ZONE`).
pub const DEFAULT_TIME_ZONE: &str = "Europe/Amsterdam";

/// The domain part of the UIDs Wijkwerk makes.
pub const UID_DOMAIN: &str = "wijkwerk";

/// The UID of a record's calendar entry.
pub fn uid_for(id: Uuid) -> String {
    format!("{id}@{UID_DOMAIN}")
}

/// The record id in a UID that Wijkwerk made.
pub fn id_from_uid(uid: &str) -> Option<Uuid> {
    let (id, domain) = uid.trim().rsplit_once('@')?;
    if domain != UID_DOMAIN {
        return None;
    }
    Uuid::parse_str(id).ok()
}

/// Why a calendar file was refused as a whole. Nothing of it was imported.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    /// A problem on one line (line numbers count from 1, as editors show them).
    #[error("line {line}: {reason}")]
    Line { line: usize, reason: String },
    /// A problem with the file as a whole (its size).
    #[error("{reason}")]
    File { reason: String },
}

impl CalendarError {
    pub fn line(&self) -> Option<usize> {
        match self {
            CalendarError::Line { line, .. } => Some(*line),
            CalendarError::File { .. } => None,
        }
    }

    pub fn reason(&self) -> &str {
        match self {
            CalendarError::Line { reason, .. } | CalendarError::File { reason } => reason,
        }
    }

    /// A problem on line `line`.
    pub fn at(line: usize, reason: impl Into<String>) -> CalendarError {
        CalendarError::Line {
            line,
            reason: reason.into(),
        }
    }
}

/// A record that cannot become a calendar entry: a field it must have is missing or unreadable
/// (stored data, not the user's input).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct RecordError(pub String);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uids_round_trip() {
        let id = Uuid::now_v7();
        assert_eq!(id_from_uid(&uid_for(id)), Some(id));
        assert_eq!(id_from_uid("abc@example.org"), None);
        assert_eq!(id_from_uid(&format!("{id}@example.org")), None);
    }
}
