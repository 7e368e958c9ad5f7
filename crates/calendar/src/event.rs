//! The calendar entry model and the `.ics` it becomes: one RFC 5545 calendar with
//! `METHOD:PUBLISH`, a VTIMEZONE for every TZID used, entries in start order.
//!
//! Every entry has a stable UID (see [`crate::uid_for`]), `DTSTAMP` in UTC (the export's moment,
//! given by the caller so that exports are reproducible), the record's `SEQUENCE` (raised by the
//! write path when the time or place changes), `DTSTART`/`DTEND` with the record's `TZID`,
//! `LOCATION`, a `DESCRIPTION`, `ORGANIZER` and `ATTENDEE`s with an e-mail address, and an
//! optional reminder. A meeting or visit that runs from midnight to midnight (an all-day
//! invitation) is written as an all-day event.

use crate::emit::{self, Writer};
use crate::{timezones, uid_for, RecordError};
use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::Timestamp;
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use uuid::Uuid;

/// How action points' due dates are exported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionPointsAs {
    /// VTODO with a DUE date (tasks in Outlook, reminders in Apple's apps).
    Tasks,
    /// All-day VEVENTs on the due date (only action points still to be done).
    Events,
}

/// How to export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportOptions {
    /// The DTSTAMP of every entry (now, or a fixed moment for reproducible files).
    pub now: Timestamp,
    /// A reminder this many minutes before each event (and before a task's due date).
    pub reminder_minutes: Option<u32>,
    /// The organizer (a contact with an e-mail address); by default the coordinator.
    pub organizer: Option<Uuid>,
    /// The calendar's name (`X-WR-CALNAME`).
    pub calendar_name: Option<String>,
    /// Whether invitees and attendees are listed (ATTENDEE with their e-mail addresses). A
    /// calendar for subscribers leaves them out: e-mail addresses are personal data.
    pub attendees: bool,
    /// For a subscribed calendar: how often calendar programs should fetch it again
    /// (`REFRESH-INTERVAL`, `X-PUBLISHED-TTL`).
    pub refresh_minutes: Option<u32>,
}

impl ExportOptions {
    pub fn at(now: Timestamp) -> ExportOptions {
        ExportOptions {
            now,
            reminder_minutes: None,
            organizer: None,
            calendar_name: None,
            attendees: true,
            refresh_minutes: None,
        }
    }
}

/// An export: the `.ics` text and what it holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CalendarExport {
    pub text: String,
    pub events: usize,
    pub tasks: usize,
    pub uids: Vec<String>,
    /// The TZIDs used (each has its VTIMEZONE).
    pub time_zones: Vec<String>,
}

/// The highest reminder, in minutes (four weeks).
pub const MAX_REMINDER_MINUTES: u32 = 40_320;

/// One calendar entry before it is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The order in the file: (start, UID).
    pub sort: (String, String),
    pub kind: EntryKind,
    pub uid: String,
    pub sequence: i64,
    pub summary: String,
    pub location: Option<String>,
    pub description: Option<String>,
    pub status: &'static str,
    pub categories: Option<String>,
    pub organizer: Option<Person>,
    pub attendees: Vec<(Person, &'static str)>,
    pub recurrence_id: Option<String>,
}

/// When an entry happens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryKind {
    Timed {
        start: Timestamp,
        end: Timestamp,
        zone: String,
    },
    AllDay {
        start: Date,
        end: Date,
    },
    Task {
        due: Date,
    },
}

/// An organizer or attendee: a name (may be empty) and an e-mail address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub name: String,
    pub email: String,
}

/// A stop on a visit's route: arrival time (`HH:MM`), place, topic.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stop {
    pub arrives_at: Option<String>,
    pub place: Option<String>,
    pub topic: Option<String>,
}

/// Someone invited to a visit: contact id, name, e-mail address, response.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Invitee {
    pub contact_id: String,
    pub name: Option<String>,
    pub email: Option<String>,
    pub response: Option<String>,
}

/// A text field of a record (JSON object), when it is a string.
pub fn text(record: &Value, name: &str) -> Option<String> {
    record.get(name).and_then(Value::as_str).map(str::to_owned)
}

/// A text field a record must have.
pub fn required(record: &Value, name: &str) -> Result<String, RecordError> {
    text(record, name)
        .ok_or_else(|| RecordError(format!("a stored record has no {name}: {record}")))
}

/// A record id as a UUID.
pub fn parse_id(id: &str) -> Result<Uuid, RecordError> {
    Uuid::parse_str(id).map_err(|e| RecordError(format!("id {id:?}: {e}")))
}

/// Where an entry of this kind sorts.
pub fn sort_key(kind: &EntryKind) -> String {
    match kind {
        EntryKind::Timed { start, .. } => start.to_string(),
        EntryKind::AllDay { start, .. } => format!("{start}T00:00:00Z"),
        EntryKind::Task { due } => format!("{due}T00:00:00Z"),
    }
}

/// A meeting's or visit's time: timed, or all-day when it runs from local midnight to a later
/// local midnight.
pub fn timed_or_all_day(record: &Value) -> Result<EntryKind, RecordError> {
    let zone = text(record, "time_zone").unwrap_or_else(|| crate::DEFAULT_TIME_ZONE.to_owned());
    let parse = |name: &str| -> Result<Timestamp, RecordError> {
        required(record, name)?
            .parse::<Timestamp>()
            .map_err(|e| RecordError(format!("{name}: {e}")))
    };
    let (start, end) = (parse("starts_at")?, parse("ends_at")?);
    let tz = zone_named(&zone).map_err(|e| RecordError(format!("{zone}: {e}")))?;
    let (ls, le) = (start.to_zoned(tz.clone()), end.to_zoned(tz));
    let midnight = jiff::civil::Time::midnight();
    if ls.time() == midnight && le.time() == midnight && le.date() > ls.date() {
        return Ok(EntryKind::AllDay {
            start: ls.date(),
            end: le.date(),
        });
    }
    Ok(EntryKind::Timed { start, end, zone })
}

/// A visit's calendar entry: its route (stops in order) and notes as the description, its
/// invitees as attendees (those with an e-mail address), the organizer as found by the caller.
pub fn visit_entry(
    visit: &Value,
    stops: &[Stop],
    invitees: Vec<Invitee>,
    organizer: Option<Person>,
) -> Result<Entry, RecordError> {
    let id = required(visit, "id")?;
    let mut description = Vec::new();
    if !stops.is_empty() {
        description.push("Route:".to_owned());
        for stop in stops {
            let place = stop.place.as_deref().unwrap_or_default();
            let mut line = match &stop.arrives_at {
                Some(t) => format!("{t} {place}"),
                None => format!("      {place}"),
            };
            if let Some(topic) = &stop.topic {
                line.push_str(" – ");
                line.push_str(topic);
            }
            description.push(line);
        }
    }
    if let Some(notes) = text(visit, "notes") {
        if !description.is_empty() {
            description.push(String::new());
        }
        description.push(notes);
    }
    let attendees = invitees
        .into_iter()
        .filter_map(|invitee| {
            let partstat = match invitee.response.as_deref() {
                Some("accepted") => "ACCEPTED",
                Some("declined") => "DECLINED",
                Some("tentative") => "TENTATIVE",
                _ => "NEEDS-ACTION",
            };
            invitee.email.map(|email| {
                (
                    Person {
                        name: invitee.name.unwrap_or_default(),
                        email,
                    },
                    partstat,
                )
            })
        })
        .collect();
    let status = match text(visit, "status").as_deref() {
        Some("proposed") => "TENTATIVE",
        Some("cancelled") => "CANCELLED",
        _ => "CONFIRMED",
    };
    let category = match text(visit, "kind").as_deref() {
        Some("wijkschouw") => "Wijkschouw",
        _ => "Kernbezoek",
    };
    let uid = uid_for(parse_id(&id)?);
    let kind = timed_or_all_day(visit)?;
    Ok(Entry {
        sort: (sort_key(&kind), uid.clone()),
        kind,
        uid,
        sequence: visit
            .get("ical_sequence")
            .and_then(Value::as_i64)
            .unwrap_or(0),
        summary: required(visit, "title")?,
        location: text(visit, "location"),
        description: (!description.is_empty()).then(|| description.join("\n")),
        status,
        categories: Some(category.to_owned()),
        organizer,
        attendees,
        recurrence_id: None,
    })
}

/// The `.ics` of entries already in order.
pub fn write_calendar(entries: &[Entry], options: &ExportOptions) -> CalendarExport {
    let stamp = emit::utc(options.now);
    let mut body = Writer::new();
    // The years each zone is used in, for its VTIMEZONE.
    let mut zones: BTreeMap<String, (i16, i16)> = BTreeMap::new();
    let mut uids = Vec::with_capacity(entries.len());
    let (mut events, mut tasks) = (0, 0);
    for entry in entries {
        let component = if matches!(entry.kind, EntryKind::Task { .. }) {
            tasks += 1;
            "VTODO"
        } else {
            events += 1;
            "VEVENT"
        };
        body.begin(component);
        body.text("UID", &[], &entry.uid);
        body.raw("DTSTAMP", &[], &stamp);
        body.raw("SEQUENCE", &[], &entry.sequence.to_string());
        match &entry.kind {
            EntryKind::Timed { start, end, zone } => {
                if zone == "UTC" || zone == "Etc/UTC" {
                    body.raw("DTSTART", &[], &emit::utc(*start));
                    body.raw("DTEND", &[], &emit::utc(*end));
                } else {
                    let tz = zone_named(zone).unwrap_or(TimeZone::UTC);
                    let (ls, le) = (start.to_zoned(tz.clone()), end.to_zoned(tz));
                    let years = zones.entry(zone.clone()).or_insert((ls.year(), le.year()));
                    years.0 = years.0.min(ls.year());
                    years.1 = years.1.max(le.year());
                    body.raw("DTSTART", &[("TZID", zone)], &emit::local(ls.datetime()));
                    body.raw("DTEND", &[("TZID", zone)], &emit::local(le.datetime()));
                }
            }
            EntryKind::AllDay { start, end } => {
                body.raw("DTSTART", &[("VALUE", "DATE")], &emit::date(*start));
                body.raw("DTEND", &[("VALUE", "DATE")], &emit::date(*end));
                body.raw("TRANSP", &[], "TRANSPARENT");
            }
            EntryKind::Task { due } => {
                body.raw("DUE", &[("VALUE", "DATE")], &emit::date(*due));
            }
        }
        if let Some(rid) = &entry.recurrence_id {
            body.raw("RECURRENCE-ID", &[], rid);
        }
        body.text("SUMMARY", &[], &entry.summary);
        if let Some(location) = &entry.location {
            body.text("LOCATION", &[], location);
        }
        if let Some(description) = &entry.description {
            body.text("DESCRIPTION", &[], description);
        }
        body.raw("STATUS", &[], entry.status);
        if let Some(categories) = &entry.categories {
            body.text("CATEGORIES", &[], categories);
        }
        if let Some(organizer) = &entry.organizer {
            let mailto = format!("mailto:{}", organizer.email);
            if organizer.name.is_empty() {
                body.raw("ORGANIZER", &[], &mailto);
            } else {
                body.raw("ORGANIZER", &[("CN", &organizer.name)], &mailto);
            }
        }
        for (person, partstat) in entry.attendees.iter().filter(|_| options.attendees) {
            let mailto = format!("mailto:{}", person.email);
            let mut params: Vec<(&str, &str)> = Vec::with_capacity(5);
            if !person.name.is_empty() {
                params.push(("CN", &person.name));
            }
            params.extend([
                ("CUTYPE", "INDIVIDUAL"),
                ("ROLE", "REQ-PARTICIPANT"),
                ("PARTSTAT", partstat),
                ("RSVP", "FALSE"),
            ]);
            body.raw("ATTENDEE", &params, &mailto);
        }
        if let Some(minutes) = options.reminder_minutes {
            body.begin("VALARM");
            body.raw("ACTION", &[], "DISPLAY");
            body.text("DESCRIPTION", &[], &entry.summary);
            let trigger = if minutes == 0 {
                "PT0S".to_owned()
            } else {
                format!("-PT{minutes}M")
            };
            if matches!(entry.kind, EntryKind::Task { .. }) {
                body.raw("TRIGGER", &[("RELATED", "END")], &trigger);
            } else {
                body.raw("TRIGGER", &[], &trigger);
            }
            body.end("VALARM");
        }
        body.end(component);
        uids.push(entry.uid.clone());
    }
    let mut head = Writer::new();
    head.begin("VCALENDAR");
    head.raw("VERSION", &[], "2.0");
    head.text(
        "PRODID",
        &[],
        &format!("-//Wijkwerk//Wijkwerk {}//NL", env!("CARGO_PKG_VERSION")),
    );
    head.raw("CALSCALE", &[], "GREGORIAN");
    head.raw("METHOD", &[], "PUBLISH");
    if let Some(name) = &options.calendar_name {
        head.text("X-WR-CALNAME", &[], name);
    }
    head.text("X-WR-TIMEZONE", &[], crate::DEFAULT_TIME_ZONE);
    if let Some(minutes) = options.refresh_minutes {
        let duration = format!("PT{}M", minutes.max(1));
        head.raw("REFRESH-INTERVAL", &[("VALUE", "DURATION")], &duration);
        head.raw("X-PUBLISHED-TTL", &[], &duration);
    }
    let mut used_zones = BTreeSet::new();
    for (zone, (first, last)) in &zones {
        if let Ok(tz) = TimeZone::get(zone) {
            timezones::write_vtimezone(&mut head, zone, &tz, *first, *last);
            used_zones.insert(zone.clone());
        }
    }
    let mut text = head.finish();
    text.push_str(&body.finish());
    let mut tail = Writer::new();
    tail.end("VCALENDAR");
    text.push_str(&tail.finish());
    CalendarExport {
        text,
        events,
        tasks,
        uids,
        time_zones: used_zones.into_iter().collect(),
    }
}

/// A time zone by IANA name, looked up once per thread (a tzdb lookup per event would be a
/// good part of an export's time).
pub fn zone_named(name: &str) -> std::result::Result<TimeZone, jiff::Error> {
    thread_local! {
        static ZONES: std::cell::RefCell<HashMap<String, TimeZone>> =
            std::cell::RefCell::new(HashMap::new());
    }
    if let Some(tz) = ZONES.with(|z| z.borrow().get(name).cloned()) {
        return Ok(tz);
    }
    let tz = TimeZone::get(name)?;
    ZONES.with(|z| z.borrow_mut().insert(name.to_owned(), tz.clone()));
    Ok(tz)
}
