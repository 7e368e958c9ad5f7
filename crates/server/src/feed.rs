//! The kernbezoek calendar feed (`GET /calendar/<token>.ics`), made from the server's own records
//! by the calendar crate ([`wijkwerk_calendar::feed::kernbezoek_feed`], the function the core's
//! `Store::kernbezoek_feed` runs too), and kept per tenant until the tenant's sequence moves.
//!
//! A cached calendar is keyed by the tenant's head sequence (every push that changes anything
//! raises it) and the Dutch day (which kernbezoeken are recent and whose coordinator role is
//! current depend on it). The head sequence is read before the records, so a calendar is never
//! older than the sequence it is kept under: a push that lands in between only costs one more
//! build.

use crate::auth::token_hash;
use crate::error::{Result, ServerError};
use axum::body::Bytes;
use jiff::civil::Date;
use jiff::Timestamp;
use serde_json::Map;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use wijkwerk_calendar::feed::{dutch_day, kernbezoek_feed, FeedOptions, FeedRecords};
use wijkwerk_protocol::RecordChange;

pub use wijkwerk_calendar::feed::FEED_ENTITIES;

/// A tenant's calendar as answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Feed {
    /// The tenant's head sequence the calendar was made at (or later).
    pub head_seq: i64,
    /// The Dutch day it was made on.
    pub day: Date,
    /// The calendar's name.
    pub name: String,
    /// The calendar's text (shared by every answer, never copied).
    pub body: Bytes,
    /// The entity tag: a hash of the text without DTSTAMP (the moment of building).
    pub etag: String,
}

/// The calendars made, per tenant.
#[derive(Debug, Default)]
pub struct FeedCache {
    feeds: Mutex<HashMap<i64, Arc<Feed>>>,
}

impl FeedCache {
    /// The tenant's calendar, when it was made at this head sequence on this day.
    pub fn get(&self, tenant_id: i64, head_seq: i64, day: Date, name: &str) -> Option<Arc<Feed>> {
        let feeds = self.feeds.lock().unwrap_or_else(|e| e.into_inner());
        feeds
            .get(&tenant_id)
            .filter(|f| f.head_seq == head_seq && f.day == day && f.name == name)
            .cloned()
    }

    /// Keeps a calendar, unless one made at a later sequence is already kept.
    pub fn put(&self, tenant_id: i64, feed: Arc<Feed>) {
        let mut feeds = self.feeds.lock().unwrap_or_else(|e| e.into_inner());
        match feeds.get(&tenant_id) {
            Some(kept) if kept.head_seq > feed.head_seq => {}
            _ => {
                feeds.insert(tenant_id, feed);
            }
        }
    }
}

/// The calendar's name for a tenant.
pub fn calendar_name(tenant: &str) -> String {
    format!("Kernbezoeken {tenant}")
}

/// Makes the tenant's calendar from its records (of [`FEED_ENTITIES`]) at `now`.
pub fn build(
    records: Vec<RecordChange>,
    tenant: &str,
    head_seq: i64,
    now: Timestamp,
) -> Result<Feed> {
    let mut input = FeedRecords::new();
    for record in records {
        let fields: Map<String, serde_json::Value> = record
            .fields
            .into_iter()
            .map(|(name, stamped)| (name, stamped.value))
            .collect();
        input.add(&record.entity, &record.id.to_string(), fields);
    }
    let name = calendar_name(tenant);
    let calendar = kernbezoek_feed(&input, &FeedOptions::at(name.clone(), now))
        .map_err(|e| ServerError::Calendar(e.to_string()))?;
    let etag = etag(&calendar.text);
    Ok(Feed {
        head_seq,
        day: dutch_day(now),
        name,
        body: Bytes::from(calendar.text),
        etag,
    })
}

/// The ETag leaves out DTSTAMP (the moment of building), so an unchanged calendar keeps it.
fn etag(text: &str) -> String {
    let stable: String = text
        .split("\r\n")
        .filter(|line| !line.starts_with("DTSTAMP"))
        .collect::<Vec<_>>()
        .join("\n");
    format!("\"{}\"", &token_hash(&stable)[..32])
}
