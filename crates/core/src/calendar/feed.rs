//! The subscription feed: the municipality's kernbezoek calendar as one `.ics` that colleagues and
//! council members subscribe to from Outlook, Google or Apple, so that they see changes without a
//! new file.
//!
//! Served by the sync server at `GET /calendar/<token>.ics` (`crates/server/src/http.rs`): per
//! request it loads the tenant's records into an in-memory store and calls
//! [`Store::kernbezoek_feed`]; it answers `text/calendar` with an `ETag` (without DTSTAMP, so an
//! unchanged calendar answers `304`). The token is a secret per user made by [`new_feed_token`]
//! (`wijkwerk-server feed add`); the server stores only its hash and forgets it on
//! `wijkwerk-server feed revoke`.
//! - the feed holds no ATTENDEE lines (e-mail addresses are personal data, and a secret address
//!   can leak), keeps cancelled kernbezoeken as `STATUS:CANCELLED` (so subscribers see the
//!   cancellation rather than a silent disappearance), and asks for a refresh every hour.

use super::export::{CalendarExport, ExportFilter, ExportOptions};
use crate::error::Result;
use crate::store::Store;
use jiff::civil::Date;
use jiff::Timestamp;
use rand::RngCore;

/// How often subscribers should fetch the feed again, in minutes.
pub const FEED_REFRESH_MINUTES: u32 = 60;

/// The feed's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedOptions {
    /// The calendar's name as subscribers see it: `Kernbezoeken Gemeente Bergen`.
    pub calendar_name: String,
    /// Kernbezoeken from this day on (usually 1 January of last year).
    pub since: Date,
    /// The DTSTAMP (now).
    pub now: Timestamp,
}

impl Store {
    /// The kernbezoek calendar of the municipality (every kernbezoek since `options.since`,
    /// cancelled ones marked cancelled), for the subscription feed.
    pub fn kernbezoek_feed(&self, options: &FeedOptions) -> Result<CalendarExport> {
        let filter = ExportFilter {
            visits: true,
            visit_kind: Some("kernbezoek".into()),
            since: Some(options.since),
            ..ExportFilter::default()
        };
        let mut export = ExportOptions::at(options.now);
        export.calendar_name = Some(options.calendar_name.clone());
        export.attendees = false;
        export.refresh_minutes = Some(FEED_REFRESH_MINUTES);
        self.calendar_export(&filter, &export)
    }
}

/// A new secret feed token: 32 random bytes as 64 lowercase hex characters.
pub fn new_feed_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
