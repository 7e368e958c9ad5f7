//! Calendars: kernbezoeken, meetings and action-point due dates out to Outlook, Google and Apple
//! calendars (RFC 5545), invitations of associations in, and the yearly visit planner.
//!
//! - [`emit`]: the RFC 5545 writer (CRLF, folding at 75 octets, escaping);
//! - [`export`]: records to a `.ics` ([`Store::calendar_export`](crate::Store::calendar_export));
//! - [`import`]: invitations to meetings ([`Store::calendar_import`](crate::Store::calendar_import)),
//!   checked line by line first ([`scan`]) and parsed with the `ical` crate;
//! - [`timezones`]: VTIMEZONEs out, IANA / Windows / VTIMEZONE-only zones in;
//! - [`rrule`]: expanding recurring invitations;
//! - [`holidays`], [`school_holidays`], [`planner`]: the yearly visit planner;
//! - [`feed`]: the subscription feed's calendar, for the sync server to serve.
//!
//! Identity: every exported record has a stable UID, `<record id>@wijkwerk`, or for a meeting that
//! came from a (non-recurring) invitation, that invitation's UID, so that a calendar that holds
//! the invitation does not get the meeting twice. Importing a file with those UIDs finds the
//! records again instead of adding new ones.

pub mod emit;
pub mod export;
pub mod feed;
pub mod holidays;
pub mod import;
pub mod planner;
pub mod rrule;
pub mod scan;
pub mod school_holidays;
pub mod timezones;

use uuid::Uuid;

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

    pub(crate) fn at(line: usize, reason: impl Into<String>) -> CalendarError {
        CalendarError::Line {
            line,
            reason: reason.into(),
        }
    }
}

/// Why an import did not happen: the file was refused, or the store failed. Either way nothing
/// was imported. (Kept apart from [`crate::Error`] so that the shells handle a refused file, with
/// its line, on purpose.)
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("calendar file refused: {0}")]
    Refused(#[from] CalendarError),
    #[error(transparent)]
    Store(#[from] crate::Error),
}

impl From<rusqlite::Error> for ImportError {
    fn from(error: rusqlite::Error) -> ImportError {
        ImportError::Store(crate::Error::Database(error))
    }
}

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
