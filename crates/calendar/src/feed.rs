//! The subscription feed: the municipality's kernbezoek calendar as one `.ics` that colleagues and
//! council members subscribe to from Outlook, Google or Apple, so that they see changes without a
//! new file.
//!
//! Built from plain record values ([`FeedRecords`]: each record a JSON object of its fields, as
//! the core's store reads them and as the sync server keeps them), so that the core
//! (`Store::kernbezoek_feed`) and the sync server (`GET /calendar/<token>.ics`) make the same
//! bytes through one function, [`kernbezoek_feed`]. The token is a secret per user made by
//! [`new_feed_token`] (`wijkwerk-server feed add`); the server stores only its hash.
//! - the feed holds no ATTENDEE lines (e-mail addresses are personal data, and a secret address
//!   can leak), keeps cancelled kernbezoeken as `STATUS:CANCELLED` (so subscribers see the
//!   cancellation rather than a silent disappearance), and asks for a refresh every hour;
//! - the organizer is found as a calendar export finds it: a coordinator among the visit's
//!   invitees, else the coordinator who most recently attended a meeting in the visit's kern,
//!   else the only coordinator there is.

use crate::event::{self, text, CalendarExport, Entry, ExportOptions, Invitee, Person, Stop};
use crate::RecordError;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::Timestamp;
use rand::RngCore;
use serde_json::{Map, Value};
use std::cmp::Reverse;
use std::collections::{HashMap, HashSet};

/// How often subscribers should fetch the feed again, in minutes.
pub const FEED_REFRESH_MINUTES: u32 = 60;

/// The entities the feed is made from; records of others are ignored.
pub const FEED_ENTITIES: [&str; 8] = [
    "area",
    "contact",
    "role",
    "meeting",
    "attendance",
    "visit",
    "stop",
    "invitee",
];

/// The feed's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedOptions {
    /// The calendar's name as subscribers see it: `Kernbezoeken Gemeente Bergen`.
    pub calendar_name: String,
    /// Kernbezoeken from this day on (usually 1 January of last year).
    pub since: Date,
    /// The DTSTAMP (now); its day in Dutch time decides whose coordinator role is current.
    pub now: Timestamp,
}

impl FeedOptions {
    /// The usual feed at `now`: kernbezoeken since 1 January of last year (Dutch time).
    pub fn at(calendar_name: String, now: Timestamp) -> FeedOptions {
        let today = dutch_day(now);
        FeedOptions {
            calendar_name,
            since: jiff::civil::date(today.year() - 1, 1, 1),
            now,
        }
    }
}

/// The day of a moment in Dutch time.
pub fn dutch_day(now: Timestamp) -> Date {
    now.to_zoned(TimeZone::get(crate::DEFAULT_TIME_ZONE).unwrap_or(TimeZone::UTC))
        .date()
}

/// The records a feed is made from: every record (live or deleted) of [`FEED_ENTITIES`], each a
/// JSON object of its fields with its `id`. A deleted record has `deleted: true`.
#[derive(Debug, Clone, Default)]
pub struct FeedRecords {
    by_entity: HashMap<&'static str, Vec<Value>>,
}

impl FeedRecords {
    pub fn new() -> FeedRecords {
        FeedRecords::default()
    }

    /// Adds a record of `entity` with its fields (an `id` among them is replaced by `id`).
    pub fn add(&mut self, entity: &str, id: &str, fields: Map<String, Value>) {
        let mut object = fields;
        object.insert("id".into(), Value::String(id.to_owned()));
        self.add_record(entity, Value::Object(object));
    }

    /// Adds a record of `entity` that carries its own `id`.
    pub fn add_record(&mut self, entity: &str, record: Value) {
        if let Some(name) = FEED_ENTITIES.iter().find(|e| **e == entity) {
            self.by_entity.entry(name).or_default().push(record);
        }
    }

    /// How many records were added.
    pub fn len(&self) -> usize {
        self.by_entity.values().map(Vec::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn of(&self, entity: &str) -> &[Value] {
        self.by_entity.get(entity).map(Vec::as_slice).unwrap_or(&[])
    }
}

fn deleted(record: &Value) -> bool {
    match record.get("deleted") {
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.as_i64() != Some(0),
        _ => false,
    }
}

fn live(records: &[Value]) -> impl Iterator<Item = &Value> {
    records.iter().filter(|r| !deleted(r))
}

fn field<'a>(record: &'a Value, name: &str) -> Option<&'a str> {
    record.get(name).and_then(Value::as_str)
}

/// The kernbezoek calendar of the municipality: every kernbezoek since `options.since`
/// (cancelled ones marked cancelled), without attendees, refreshed every hour.
pub fn kernbezoek_feed(
    records: &FeedRecords,
    options: &FeedOptions,
) -> Result<CalendarExport, RecordError> {
    let today = dutch_day(options.now).to_string();
    let since = day_start_utc(options.since)?;

    let contacts: HashMap<&str, &Value> = live(records.of("contact"))
        .filter_map(|c| Some((field(c, "id")?, c)))
        .collect();
    // Contacts with a current coordinator role and an e-mail address; and how many live
    // coordinator roles (of any date) each contact has.
    let mut coordinators: HashMap<String, Person> = HashMap::new();
    let mut coordinator_roles: HashMap<&str, usize> = HashMap::new();
    for role in live(records.of("role")).filter(|r| field(r, "kind") == Some("coordinator")) {
        let Some(contact_id) = field(role, "contact_id") else {
            continue;
        };
        *coordinator_roles.entry(contact_id).or_default() += 1;
        let current = field(role, "start_date").is_some_and(|s| s <= today.as_str())
            && field(role, "end_date").is_none_or(|e| e >= today.as_str());
        if let (true, Some(contact)) = (current, contacts.get(contact_id)) {
            if let Some(email) = text(contact, "email") {
                coordinators.insert(
                    contact_id.to_owned(),
                    Person {
                        name: text(contact, "name").unwrap_or_default(),
                        email,
                    },
                );
            }
        }
    }

    let mut stops: HashMap<&str, Vec<&Value>> = HashMap::new();
    for stop in live(records.of("stop")) {
        if let Some(visit) = field(stop, "visit_id") {
            stops.entry(visit).or_default().push(stop);
        }
    }
    let mut invitees: HashMap<&str, Vec<Invitee>> = HashMap::new();
    for invitee in live(records.of("invitee")) {
        let (Some(visit), Some(contact)) = (
            field(invitee, "visit_id"),
            field(invitee, "contact_id").and_then(|id| contacts.get(id)),
        ) else {
            continue;
        };
        invitees.entry(visit).or_default().push(Invitee {
            contact_id: text(contact, "id").unwrap_or_default(),
            name: text(contact, "name"),
            email: text(contact, "email"),
            response: text(invitee, "response"),
        });
    }

    let mut organizers = Organizers {
        coordinators: &coordinators,
        coordinator_roles: &coordinator_roles,
        areas: records
            .of("area")
            .iter()
            .filter_map(|a| Some((field(a, "id")?, a)))
            .collect(),
        children: HashMap::new(),
        meetings_by_area: HashMap::new(),
        attendance: HashMap::new(),
        found: HashMap::new(),
    };
    for area in records.of("area") {
        if let (Some(id), Some(parent)) = (field(area, "id"), field(area, "parent_id")) {
            organizers.children.entry(parent).or_default().push(id);
        }
    }
    for meeting in live(records.of("meeting")) {
        if let Some(area) = field(meeting, "area_id") {
            organizers
                .meetings_by_area
                .entry(area)
                .or_default()
                .push(meeting);
        }
    }
    for at in live(records.of("attendance"))
        .filter(|a| matches!(field(a, "status"), Some("invited") | Some("present")))
    {
        if let (Some(meeting), Some(contact)) = (field(at, "meeting_id"), field(at, "contact_id")) {
            organizers
                .attendance
                .entry(meeting)
                .or_default()
                .push(contact);
        }
    }

    let mut entries: Vec<Entry> = Vec::new();
    for visit in live(records.of("visit")).filter(|v| {
        field(v, "kind") == Some("kernbezoek")
            && field(v, "starts_at").is_some_and(|s| s >= since.as_str())
    }) {
        let id = field(visit, "id").unwrap_or_default();
        let mut route = stops.get(id).cloned().unwrap_or_default();
        route.sort_by(|a, b| {
            let key = |s: &Value| {
                (
                    s.get("position").and_then(Value::as_i64),
                    field(s, "id").map(str::to_owned),
                )
            };
            key(a).cmp(&key(b))
        });
        let route: Vec<Stop> = route
            .into_iter()
            .map(|s| Stop {
                arrives_at: text(s, "arrives_at"),
                place: text(s, "place"),
                topic: text(s, "topic"),
            })
            .collect();
        let mut invited = invitees.get(id).cloned().unwrap_or_default();
        invited.sort_by(|a, b| (&a.name, &a.contact_id).cmp(&(&b.name, &b.contact_id)));
        let organizer = organizers.organizer(&invited, field(visit, "area_id"));
        entries.push(event::visit_entry(visit, &route, invited, organizer)?);
    }
    entries.sort_by(|a, b| a.sort.cmp(&b.sort));

    let mut export = ExportOptions::at(options.now);
    export.calendar_name = Some(options.calendar_name.clone());
    export.attendees = false;
    export.refresh_minutes = Some(FEED_REFRESH_MINUTES);
    Ok(event::write_calendar(&entries, &export))
}

/// The UTC text of the first moment of a day in Dutch time.
fn day_start_utc(date: Date) -> Result<String, RecordError> {
    let tz = TimeZone::get(crate::DEFAULT_TIME_ZONE).map_err(|e| RecordError(e.to_string()))?;
    let ts = tz
        .to_timestamp(date.to_datetime(jiff::civil::Time::midnight()))
        .map_err(|e| RecordError(e.to_string()))?;
    Ok(ts.to_string())
}

/// Finding a visit's organizer, with what one feed has looked up.
struct Organizers<'r> {
    coordinators: &'r HashMap<String, Person>,
    coordinator_roles: &'r HashMap<&'r str, usize>,
    areas: HashMap<&'r str, &'r Value>,
    children: HashMap<&'r str, Vec<&'r str>>,
    meetings_by_area: HashMap<&'r str, Vec<&'r Value>>,
    /// Contacts invited to or present at a meeting (live attendance).
    attendance: HashMap<&'r str, Vec<&'r str>>,
    /// The organizer found for an area (through its kern).
    found: HashMap<String, Option<Person>>,
}

/// How many of the most recent coordinators' attendances in a kern are looked at.
const RECENT_ATTENDANCES: usize = 20;

impl Organizers<'_> {
    fn organizer(&mut self, invited: &[Invitee], area: Option<&str>) -> Option<Person> {
        if self.coordinators.is_empty() {
            return None;
        }
        if let Some(person) = invited
            .iter()
            .find_map(|i| self.coordinators.get(&i.contact_id))
        {
            return Some(person.clone());
        }
        if let Some(area) = area {
            if let Some(found) = self.found.get(area) {
                return found.clone();
            }
            let found = self.kern_organizer(area);
            self.found.insert(area.to_owned(), found.clone());
            if found.is_some() {
                return found;
            }
        }
        if self.coordinators.len() == 1 {
            return self.coordinators.values().next().cloned();
        }
        None
    }

    /// The coordinator who most recently attended a meeting in the area's kern.
    fn kern_organizer(&self, area: &str) -> Option<Person> {
        let kern = self.kern_of(area);
        // The kern and every area below it.
        let mut seen: HashSet<&str> = HashSet::new();
        let mut todo = vec![kern.as_str()];
        let mut attended: Vec<(Reverse<Option<&str>>, &str)> = Vec::new();
        while let Some(current) = todo.pop() {
            if !seen.insert(current) {
                continue;
            }
            for meeting in self.meetings_by_area.get(current).into_iter().flatten() {
                let id = field(meeting, "id").unwrap_or_default();
                for contact in self.attendance.get(id).into_iter().flatten() {
                    let roles = self.coordinator_roles.get(contact).copied().unwrap_or(0);
                    for _ in 0..roles {
                        attended.push((Reverse(field(meeting, "starts_at")), contact));
                    }
                }
            }
            todo.extend(self.children.get(current).into_iter().flatten().copied());
        }
        attended.sort_by(|a, b| a.0.cmp(&b.0));
        attended
            .iter()
            .take(RECENT_ATTENDANCES)
            .find_map(|(_, contact)| self.coordinators.get(*contact))
            .cloned()
    }

    /// The kern an area lies in (the area itself when it is a kern or above).
    fn kern_of(&self, area: &str) -> String {
        let mut current = area.to_owned();
        for _ in 0..8 {
            let Some(record) = self.areas.get(current.as_str()) else {
                break;
            };
            match (field(record, "kind"), field(record, "parent_id")) {
                (Some("district") | Some("neighbourhood"), Some(parent)) => {
                    current = parent.to_owned()
                }
                _ => break,
            }
        }
        current
    }
}

/// A new secret feed token: 32 random bytes as 64 lowercase hex characters.
pub fn new_feed_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
