//! The subscription feed read from the store: the municipality's kernbezoek calendar, made by
//! the calendar crate's [`kernbezoek_feed`](wijkwerk_calendar::feed::kernbezoek_feed) from the
//! store's records, the same function the sync server (`GET /calendar/<token>.ics`) runs over
//! its own records, so that there is one feed.

use super::export::CalendarExport;
use crate::error::Result;
use crate::row;
use crate::schema::Entity;
use crate::store::Store;

pub use wijkwerk_calendar::feed::{
    new_feed_token, FeedOptions, FeedRecords, FEED_ENTITIES, FEED_REFRESH_MINUTES,
};

impl Store {
    /// The kernbezoek calendar of the municipality (every kernbezoek since `options.since`,
    /// cancelled ones marked cancelled), for the subscription feed.
    pub fn kernbezoek_feed(&self, options: &FeedOptions) -> Result<CalendarExport> {
        Ok(wijkwerk_calendar::feed::kernbezoek_feed(
            &self.feed_records()?,
            options,
        )?)
    }

    /// Every record (live and deleted) of the entities the feed is made from.
    pub fn feed_records(&self) -> Result<FeedRecords> {
        let mut records = FeedRecords::new();
        for entity in Entity::ALL
            .iter()
            .copied()
            .filter(|e| FEED_ENTITIES.contains(&e.name()))
        {
            let mut stmt = self.conn.prepare_cached(row::select_sql(entity))?;
            let mut rows = stmt.query([])?;
            while let Some(r) = rows.next()? {
                let id: String = r.get(row::id_column(entity))?;
                let stored = row::from_select(entity, r)?;
                records.add_record(entity.name(), row::to_json(&id, &stored));
            }
        }
        Ok(records)
    }
}
