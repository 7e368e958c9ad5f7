//! Calendars: kernbezoeken, meetings and action-point due dates out to Outlook, Google and Apple
//! calendars (RFC 5545), invitations of associations in, and the yearly visit planner.
//!
//! The store-free parts (the RFC 5545 writer [`emit`], the entry model [`event`], [`scan`],
//! [`timezones`], [`rrule`], [`holidays`] and the feed's calendar) are the `wijkwerk-calendar`
//! crate, re-exported here; this module reads the store for them and writes through
//! `Store::write`:
//!
//! - [`export`]: records to a `.ics` ([`Store::calendar_export`](crate::Store::calendar_export));
//! - [`import`]: invitations to meetings ([`Store::calendar_import`](crate::Store::calendar_import),
//!   [`Store::calendar_preview`](crate::Store::calendar_preview)), read forgivingly by [`scan`];
//! - [`school_holidays`], [`planner`]: the yearly visit planner;
//! - [`feed`]: the subscription feed's calendar read from the store
//!   ([`Store::kernbezoek_feed`](crate::Store::kernbezoek_feed)), made by the calendar crate's
//!   function that the sync server uses too.
//!
//! Identity: every exported record has a stable UID, `<record id>@wijkwerk`, or for a meeting that
//! came from a (non-recurring) invitation, that invitation's UID, so that a calendar that holds
//! the invitation does not get the meeting twice. Importing a file with those UIDs finds the
//! records again instead of adding new ones.

pub mod export;
pub mod feed;
pub mod import;
pub mod planner;
pub mod school_holidays;

// The store-free parts live in `wijkwerk-calendar` (shared with the sync server); they are
// re-exported here under their old paths.
pub use wijkwerk_calendar::{
    emit, event, holidays, id_from_uid, rrule, scan, timezones, uid_for, CalendarError,
    RecordError, UID_DOMAIN,
};

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

impl From<RecordError> for crate::Error {
    fn from(error: RecordError) -> crate::Error {
        crate::Error::StoredData(error.0)
    }
}
