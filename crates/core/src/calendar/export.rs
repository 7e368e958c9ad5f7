//! Records out to calendars: kernbezoeken and other visits, meetings, and action-point due dates
//! (as tasks or as all-day events), as one RFC 5545 `.ics` with `METHOD:PUBLISH`.
//!
//! Every event has a stable UID (see [`super`]), `DTSTAMP` in UTC (the export's moment, given by
//! the caller so that exports are reproducible), the record's `SEQUENCE` (raised by the write
//! path when the time or place changes), `DTSTART`/`DTEND` with the record's `TZID` and a
//! VTIMEZONE for every TZID used, `LOCATION`, a `DESCRIPTION` (a visit's route with its times, a
//! meeting's agenda), `ORGANIZER` and `ATTENDEE`s with an e-mail address, and an optional
//! reminder. A meeting that runs from midnight to midnight (an all-day invitation) is written as
//! an all-day event.

use super::emit::{self, Writer};
use super::timezones;
use super::uid_for;
use crate::error::{Error, Result};
use crate::row;
use crate::schema::{Entity, ACTION_POINT_OPEN_STATUSES};
use crate::store::Store;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::Timestamp;
use rusqlite::types::Value as SqlValue;
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

/// What to export. Without any of `visits`, `meetings` and `action_points`, visits and meetings
/// are exported.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExportFilter {
    pub visits: bool,
    pub meetings: bool,
    pub action_points: Option<ActionPointsAs>,
    /// One record (a visit, meeting or action point).
    pub id: Option<Uuid>,
    /// Records in this area or below it (a kern with its wijken).
    pub area: Option<Uuid>,
    /// Meetings of this organisation; action points it asked for or owns. Excludes visits.
    pub organisation: Option<Uuid>,
    /// Records that start (or are due) in this year, in Dutch time.
    pub year: Option<i16>,
    /// Only the confirmed year schedule: kernbezoeken (planned, confirmed, held) and
    /// kernoverleggen (planned, held), nothing cancelled or merely proposed.
    pub schedule: bool,
    /// Only visits of this kind (`kernbezoek`, `wijkschouw`).
    pub visit_kind: Option<String>,
    /// Only records that start (or are due) on or after this day, in Dutch time.
    pub since: Option<Date>,
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

/// The children of a visit or meeting that its calendar entry shows.
pub(crate) const STOPS_SQL: &str = "SELECT arrives_at, place, topic FROM stop
    WHERE visit_id = ?1 AND deleted = 0 ORDER BY position, id";
pub(crate) const INVITEES_SQL: &str = "SELECT c.id, c.name, c.email, i.response FROM invitee i
    JOIN contact c ON c.id = i.contact_id
    WHERE i.visit_id = ?1 AND i.deleted = 0 AND c.deleted = 0 ORDER BY c.name, c.id";
pub(crate) const AGENDA_SQL: &str = "SELECT title FROM agenda_item
    WHERE meeting_id = ?1 AND deleted = 0 ORDER BY position, id";
pub(crate) const ATTENDANCE_SQL: &str = "SELECT c.id, c.name, c.email, a.status FROM attendance a
    JOIN contact c ON c.id = a.contact_id
    WHERE a.meeting_id = ?1 AND a.deleted = 0 AND c.deleted = 0 ORDER BY c.name, c.id";

/// One calendar entry before it is written.
struct Entry {
    sort: (String, String),
    kind: EntryKind,
    uid: String,
    sequence: i64,
    summary: String,
    location: Option<String>,
    description: Option<String>,
    status: &'static str,
    categories: Option<String>,
    organizer: Option<Person>,
    attendees: Vec<(Person, &'static str)>,
    recurrence_id: Option<String>,
}

enum EntryKind {
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

#[derive(Clone)]
struct Person {
    name: String,
    email: String,
}

impl Store {
    /// The `.ics` of the records the filter selects.
    pub fn calendar_export(
        &self,
        filter: &ExportFilter,
        options: &ExportOptions,
    ) -> Result<CalendarExport> {
        if let Some(minutes) = options.reminder_minutes {
            if minutes > MAX_REMINDER_MINUTES {
                return Err(Error::BadRequest(format!(
                    "a reminder is at most {MAX_REMINDER_MINUTES} minutes (four weeks) before"
                )));
            }
        }
        let mut filter = filter.clone();
        if let Some(id) = filter.id {
            // One record: find which kind it is.
            let mut found = false;
            for (entity, flag) in [
                (Entity::Visit, 0),
                (Entity::Meeting, 1),
                (Entity::ActionPoint, 2),
            ] {
                if self.stored_deleted(entity, id)? == Some(false) {
                    found = true;
                    filter.visits = flag == 0;
                    filter.meetings = flag == 1;
                    if flag == 2 && filter.action_points.is_none() {
                        filter.action_points = Some(ActionPointsAs::Tasks);
                    } else if flag != 2 {
                        filter.action_points = None;
                    }
                }
            }
            if !found {
                return Err(Error::BadRequest(format!(
                    "{id} is not a visit, meeting or action point in this store"
                )));
            }
        } else if !filter.visits && !filter.meetings && filter.action_points.is_none() {
            filter.visits = true;
            filter.meetings = true;
        }
        let mut ctx = ExportContext::new(self, options)?;
        let mut entries = Vec::new();
        if filter.visits && filter.organisation.is_none() {
            for visit in self.select_for_export(Entity::Visit, &filter)? {
                entries.push(ctx.visit_entry(&visit)?);
            }
        }
        if filter.meetings {
            for meeting in self.select_for_export(Entity::Meeting, &filter)? {
                entries.push(ctx.meeting_entry(&meeting)?);
            }
        }
        if let Some(mode) = filter.action_points {
            if !filter.schedule {
                for point in self.select_for_export(Entity::ActionPoint, &filter)? {
                    if let Some(entry) = ctx.action_point_entry(&point, mode)? {
                        entries.push(entry);
                    }
                }
            }
        }
        entries.sort_by(|a, b| a.sort.cmp(&b.sort));
        Ok(write_calendar(&entries, options))
    }

    /// Live records of an entity that the filter selects, as JSON, in start order.
    fn select_for_export(&self, entity: Entity, filter: &ExportFilter) -> Result<Vec<Value>> {
        let mut clauses = vec!["deleted = 0".to_owned()];
        let mut params: Vec<SqlValue> = Vec::new();
        let param = |value: SqlValue, params: &mut Vec<SqlValue>| {
            params.push(value);
            format!("?{}", params.len())
        };
        if let Some(id) = filter.id {
            let p = param(id.to_string().into(), &mut params);
            clauses.push(format!("id = {p}"));
        }
        if let Some(area) = filter.area {
            let p = param(area.to_string().into(), &mut params);
            clauses.push(format!(
                "area_id IN (WITH RECURSIVE sub(id) AS (SELECT {p} UNION \
                 SELECT a.id FROM area a JOIN sub ON a.parent_id = sub.id) SELECT id FROM sub)"
            ));
        }
        let time_column = if entity == Entity::ActionPoint {
            "due_date"
        } else {
            "starts_at"
        };
        if let Some(year) = filter.year {
            let (from, to) = if entity == Entity::ActionPoint {
                (format!("{year:04}-01-01"), format!("{:04}-01-01", year + 1))
            } else {
                (year_start_utc(year)?, year_start_utc(year + 1)?)
            };
            let a = param(from.into(), &mut params);
            let b = param(to.into(), &mut params);
            clauses.push(format!("{time_column} >= {a} AND {time_column} < {b}"));
        }
        if let Some(org) = filter.organisation {
            let p = param(org.to_string().into(), &mut params);
            match entity {
                Entity::Meeting => clauses.push(format!("organisation_id = {p}")),
                Entity::ActionPoint => clauses.push(format!(
                    "(requester_organisation_id = {p} OR owner_organisation_id = {p})"
                )),
                _ => clauses.push("0".into()),
            }
        }
        if let Some(since) = filter.since {
            let from = if entity == Entity::ActionPoint {
                since.to_string()
            } else {
                day_start_utc(since)?
            };
            let p = param(from.into(), &mut params);
            clauses.push(format!("{time_column} >= {p}"));
        }
        if let (Entity::Visit, Some(kind)) = (entity, &filter.visit_kind) {
            let p = param(kind.clone().into(), &mut params);
            clauses.push(format!("kind = {p}"));
        }
        if entity == Entity::ActionPoint {
            clauses.push("due_date IS NOT NULL".into());
        }
        if filter.schedule {
            match entity {
                Entity::Visit => clauses.push(
                    "kind = 'kernbezoek' AND status IN ('planned', 'confirmed', 'held')".into(),
                ),
                Entity::Meeting => {
                    clauses.push("kind = 'kernoverleg' AND status IN ('planned', 'held')".into())
                }
                _ => clauses.push("0".into()),
            }
        }
        let sql = format!(
            "{} WHERE {} ORDER BY {time_column}, id",
            row::select_sql(entity),
            clauses.join(" AND ")
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let mut rows = stmt.query(rusqlite::params_from_iter(params))?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let id: String = r.get(row::id_column(entity))?;
            let stored = row::from_select(entity, r)?;
            out.push(row::to_json(&id, &stored));
        }
        Ok(out)
    }
}

/// The UTC text of the first moment of a year in Dutch time.
fn year_start_utc(year: i16) -> Result<String> {
    day_start_utc(Date::new(year, 1, 1).map_err(|e| Error::BadRequest(e.to_string()))?)
}

/// The UTC text of the first moment of a day in Dutch time.
fn day_start_utc(date: Date) -> Result<String> {
    let tz =
        TimeZone::get(crate::DEFAULT_TIME_ZONE).map_err(|e| Error::StoredData(e.to_string()))?;
    let ts = tz
        .to_timestamp(date.to_datetime(jiff::civil::Time::midnight()))
        .map_err(|e| Error::BadRequest(e.to_string()))?;
    Ok(ts.to_string())
}

/// Lookups shared by the entries of one export, cached.
struct ExportContext<'s> {
    store: &'s Store,
    explicit_organizer: Option<Person>,
    /// Contacts with a current coordinator role and an e-mail address.
    coordinators: HashMap<String, Person>,
    /// The organizer found for an area (through its kern).
    kern_organizer: HashMap<String, Option<Person>>,
    /// The per-entry queries, prepared once per export. (Not `prepare_cached`: rusqlite clears
    /// the bindings of a statement it takes back into its cache, and SQLite then prepares these
    /// statements again on every use, which cost a third of an export's time.)
    stops: rusqlite::Statement<'s>,
    invitees: rusqlite::Statement<'s>,
    agenda: rusqlite::Statement<'s>,
    attendance: rusqlite::Statement<'s>,
    contact_by_email: HashMap<String, Option<String>>,
}

fn text(record: &Value, name: &str) -> Option<String> {
    record.get(name).and_then(Value::as_str).map(str::to_owned)
}

fn required(record: &Value, name: &str) -> Result<String> {
    text(record, name)
        .ok_or_else(|| Error::StoredData(format!("a stored record has no {name}: {record}")))
}

impl<'s> ExportContext<'s> {
    fn new(store: &'s Store, options: &ExportOptions) -> Result<ExportContext<'s>> {
        let today = options
            .now
            .to_zoned(TimeZone::get(crate::DEFAULT_TIME_ZONE).unwrap_or(TimeZone::UTC))
            .date();
        let explicit_organizer = match options.organizer {
            Some(id) => {
                let contact = store.get_live(Entity::Contact, id)?;
                let email = text(&contact, "email").ok_or_else(|| {
                    Error::BadRequest(format!(
                        "the organizer {} has no e-mail address",
                        text(&contact, "name").unwrap_or_default()
                    ))
                })?;
                Some(Person {
                    name: text(&contact, "name").unwrap_or_default(),
                    email,
                })
            }
            None => None,
        };
        let mut coordinators = HashMap::new();
        let mut stmt = store.conn.prepare_cached(
            "SELECT c.id, c.name, c.email FROM role r JOIN contact c ON c.id = r.contact_id
             WHERE r.deleted = 0 AND c.deleted = 0 AND r.kind = 'coordinator'
               AND c.email IS NOT NULL AND r.start_date <= ?1
               AND (r.end_date IS NULL OR r.end_date >= ?1)",
        )?;
        let rows = stmt.query_map([today.to_string()], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, Option<String>>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?;
        for row in rows {
            let (id, name, email) = row?;
            coordinators.insert(
                id,
                Person {
                    name: name.unwrap_or_default(),
                    email,
                },
            );
        }
        Ok(ExportContext {
            store,
            explicit_organizer,
            coordinators,
            kern_organizer: HashMap::new(),
            stops: store.conn.prepare(STOPS_SQL)?,
            invitees: store.conn.prepare(INVITEES_SQL)?,
            agenda: store.conn.prepare(AGENDA_SQL)?,
            attendance: store.conn.prepare(ATTENDANCE_SQL)?,
            contact_by_email: HashMap::new(),
        })
    }

    /// The coordinator who organises a record in an area: the one given, else a coordinator
    /// among the people invited, else the coordinator who most recently attended a meeting in
    /// the same kern, else the only coordinator there is.
    fn organizer(&mut self, invited: &[String], area: Option<&str>) -> Result<Option<Person>> {
        if let Some(person) = &self.explicit_organizer {
            return Ok(Some(person.clone()));
        }
        if self.coordinators.is_empty() {
            return Ok(None);
        }
        if let Some(person) = invited.iter().find_map(|id| self.coordinators.get(id)) {
            return Ok(Some(person.clone()));
        }
        if let Some(area) = area {
            if let Some(found) = self.kern_organizer.get(area) {
                return Ok(found.clone());
            }
            let kern = self.kern_of(area)?;
            let mut stmt = self.store.conn.prepare_cached(
                "SELECT at.contact_id FROM attendance at
                 JOIN meeting m ON m.id = at.meeting_id
                 JOIN role r ON r.contact_id = at.contact_id AND r.kind = 'coordinator'
                      AND r.deleted = 0
                 WHERE at.deleted = 0 AND m.deleted = 0 AND at.status IN ('invited', 'present')
                   AND m.area_id IN (WITH RECURSIVE sub(id) AS (SELECT ?1 UNION
                       SELECT a.id FROM area a JOIN sub ON a.parent_id = sub.id) SELECT id FROM sub)
                 ORDER BY m.starts_at DESC LIMIT 20",
            )?;
            let ids: Vec<String> = stmt
                .query_map([&kern], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            let found = ids.iter().find_map(|id| self.coordinators.get(id)).cloned();
            self.kern_organizer.insert(area.to_owned(), found.clone());
            if found.is_some() {
                return Ok(found);
            }
        }
        if self.coordinators.len() == 1 {
            return Ok(self.coordinators.values().next().cloned());
        }
        Ok(None)
    }

    /// The kern an area lies in (the area itself when it is a kern or above).
    fn kern_of(&self, area: &str) -> Result<String> {
        let mut current = area.to_owned();
        for _ in 0..8 {
            let (kind, parent): (Option<String>, Option<String>) = self
                .store
                .conn
                .prepare_cached("SELECT kind, parent_id FROM area WHERE id = ?1")?
                .query_row([&current], |r| Ok((r.get(0)?, r.get(1)?)))
                .unwrap_or((None, None));
            match (kind.as_deref(), parent) {
                (Some("district") | Some("neighbourhood"), Some(parent)) => current = parent,
                _ => break,
            }
        }
        Ok(current)
    }

    fn contact_name_by_email(&mut self, email: &str) -> Result<Option<String>> {
        let key = email.to_lowercase();
        if let Some(found) = self.contact_by_email.get(&key) {
            return Ok(found.clone());
        }
        let name: Option<String> = self
            .store
            .conn
            .prepare_cached(
                "SELECT name FROM contact WHERE deleted = 0 AND lower(email) = ?1
                 UNION ALL SELECT name FROM organisation WHERE deleted = 0 AND lower(email) = ?1
                 LIMIT 1",
            )?
            .query_row([&key], |r| r.get(0))
            .ok();
        self.contact_by_email.insert(key, name.clone());
        Ok(name)
    }

    fn visit_entry(&mut self, visit: &Value) -> Result<Entry> {
        let id = required(visit, "id")?;
        let mut description = Vec::new();
        let mut stops = self
            .stops
            .query_map([&id], |r| {
                Ok((
                    r.get::<_, Option<String>>(0)?,
                    r.get::<_, Option<String>>(1)?,
                    r.get::<_, Option<String>>(2)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        if !stops.is_empty() {
            description.push("Route:".to_owned());
            for (time, place, topic) in stops.drain(..) {
                let mut line = match time {
                    Some(t) => format!("{t} {}", place.unwrap_or_default()),
                    None => format!("      {}", place.unwrap_or_default()),
                };
                if let Some(topic) = topic {
                    line.push_str(" – ");
                    line.push_str(&topic);
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
        let invitees = self
            .invitees
            .query_map([&id], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, Option<String>>(1)?,
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, Option<String>>(3)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let ids: Vec<String> = invitees.iter().map(|i| i.0.clone()).collect();
        let organizer = self.organizer(&ids, text(visit, "area_id").as_deref())?;
        let attendees = invitees
            .into_iter()
            .filter_map(|(_, name, email, response)| {
                let partstat = match response.as_deref() {
                    Some("accepted") => "ACCEPTED",
                    Some("declined") => "DECLINED",
                    Some("tentative") => "TENTATIVE",
                    _ => "NEEDS-ACTION",
                };
                email.map(|email| {
                    (
                        Person {
                            name: name.unwrap_or_default(),
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

    fn meeting_entry(&mut self, meeting: &Value) -> Result<Entry> {
        let id = required(meeting, "id")?;
        let agenda: Vec<String> = self
            .agenda
            .query_map([&id], |r| r.get::<_, Option<String>>(0))?
            .filter_map(|r| r.transpose())
            .collect::<rusqlite::Result<_>>()?;
        let mut description = Vec::new();
        if let Some(notes) = text(meeting, "notes") {
            description.push(notes);
        }
        if !agenda.is_empty() {
            if !description.is_empty() {
                description.push(String::new());
            }
            description.push("Agenda:".to_owned());
            for (i, title) in agenda.iter().enumerate() {
                description.push(format!("{}. {title}", i + 1));
            }
        }
        let attendance = self
            .attendance
            .query_map([&id], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, Option<String>>(1)?,
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, Option<String>>(3)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let organizer = match text(meeting, "organizer_email") {
            Some(email) => Some(Person {
                name: self.contact_name_by_email(&email)?.unwrap_or_default(),
                email,
            }),
            None => {
                let ids: Vec<String> = attendance.iter().map(|a| a.0.clone()).collect();
                self.organizer(&ids, text(meeting, "area_id").as_deref())?
            }
        };
        let attendees = attendance
            .into_iter()
            .filter_map(|(_, name, email, status)| {
                let partstat = match status.as_deref() {
                    Some("present") => "ACCEPTED",
                    Some("absent") | Some("excused") => "DECLINED",
                    _ => "NEEDS-ACTION",
                };
                email.map(|email| {
                    (
                        Person {
                            name: name.unwrap_or_default(),
                            email,
                        },
                        partstat,
                    )
                })
            })
            .collect();
        let status = match text(meeting, "status").as_deref() {
            Some("cancelled") => "CANCELLED",
            _ => "CONFIRMED",
        };
        let category = match text(meeting, "kind").as_deref() {
            Some("ledenvergadering") => "Ledenvergadering",
            Some("kernoverleg") => "Kernoverleg",
            Some("bestuursoverleg") => "Bestuursoverleg",
            Some("netwerkbijeenkomst") => "Netwerkbijeenkomst",
            _ => "Overleg",
        };
        // An occurrence of a recurring invitation gets its own UID: it is exported as a single
        // event, not as an exception of a series the receiver may not have.
        let uid = match (
            text(meeting, "ical_uid"),
            text(meeting, "ical_recurrence_id"),
        ) {
            (Some(uid), None) => uid,
            _ => uid_for(parse_id(&id)?),
        };
        let kind = timed_or_all_day(meeting)?;
        Ok(Entry {
            sort: (sort_key(&kind), uid.clone()),
            kind,
            uid,
            sequence: meeting
                .get("ical_sequence")
                .and_then(Value::as_i64)
                .unwrap_or(0),
            summary: required(meeting, "title")?,
            location: text(meeting, "location"),
            description: (!description.is_empty()).then(|| description.join("\n")),
            status,
            categories: Some(category.to_owned()),
            organizer,
            attendees,
            recurrence_id: None,
        })
    }

    fn action_point_entry(&mut self, point: &Value, mode: ActionPointsAs) -> Result<Option<Entry>> {
        let id = required(point, "id")?;
        let Some(due) = text(point, "due_date").and_then(|d| d.parse::<Date>().ok()) else {
            return Ok(None);
        };
        let status = text(point, "status").unwrap_or_default();
        let open = ACTION_POINT_OPEN_STATUSES.contains(&status.as_str());
        if mode == ActionPointsAs::Events && !open {
            return Ok(None);
        }
        let mut description = Vec::new();
        if let Some(d) = text(point, "description") {
            description.push(d);
        }
        let name_of = |entity: Entity, field: &str| -> Result<Option<String>> {
            match text(point, field).and_then(|id| Uuid::parse_str(&id).ok()) {
                Some(id) => Ok(self
                    .store
                    .get(entity, id)
                    .ok()
                    .and_then(|r| text(&r, "name"))),
                None => Ok(None),
            }
        };
        let owner = [
            name_of(Entity::Contact, "owner_contact_id")?,
            name_of(Entity::Organisation, "owner_organisation_id")?,
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(", ");
        let requester = [
            name_of(Entity::Contact, "requester_contact_id")?,
            name_of(Entity::Organisation, "requester_organisation_id")?,
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(", ");
        if !owner.is_empty() {
            description.push(format!("Eigenaar: {owner}"));
        }
        if !requester.is_empty() {
            description.push(format!("Aangevraagd door: {requester}"));
        }
        let uid = uid_for(parse_id(&id)?);
        let (kind, summary, ical_status) = match mode {
            ActionPointsAs::Tasks => (
                EntryKind::Task { due },
                required(point, "title")?,
                match status.as_str() {
                    "done" => "COMPLETED",
                    "cancelled" => "CANCELLED",
                    "in_progress" | "waiting" => "IN-PROCESS",
                    _ => "NEEDS-ACTION",
                },
            ),
            ActionPointsAs::Events => (
                EntryKind::AllDay {
                    start: due,
                    end: due
                        .tomorrow()
                        .map_err(|e| Error::StoredData(e.to_string()))?,
                },
                format!("Deadline actiepunt: {}", required(point, "title")?),
                "CONFIRMED",
            ),
        };
        Ok(Some(Entry {
            sort: (sort_key(&kind), uid.clone()),
            kind,
            uid,
            sequence: point
                .get("ical_sequence")
                .and_then(Value::as_i64)
                .unwrap_or(0),
            summary,
            location: None,
            description: (!description.is_empty()).then(|| description.join("\n")),
            status: ical_status,
            categories: Some("Actiepunt".to_owned()),
            organizer: None,
            attendees: Vec::new(),
            recurrence_id: None,
        }))
    }
}

fn parse_id(id: &str) -> Result<Uuid> {
    Uuid::parse_str(id).map_err(|e| Error::StoredData(format!("id {id:?}: {e}")))
}

fn sort_key(kind: &EntryKind) -> String {
    match kind {
        EntryKind::Timed { start, .. } => start.to_string(),
        EntryKind::AllDay { start, .. } => format!("{start}T00:00:00Z"),
        EntryKind::Task { due } => format!("{due}T00:00:00Z"),
    }
}

/// A meeting's or visit's time: timed, or all-day when it runs from local midnight to a later
/// local midnight.
fn timed_or_all_day(record: &Value) -> Result<EntryKind> {
    let zone = text(record, "time_zone").unwrap_or_else(|| crate::DEFAULT_TIME_ZONE.to_owned());
    let parse = |name: &str| -> Result<Timestamp> {
        required(record, name)?
            .parse::<Timestamp>()
            .map_err(|e| Error::StoredData(format!("{name}: {e}")))
    };
    let (start, end) = (parse("starts_at")?, parse("ends_at")?);
    let tz = zone_named(&zone).map_err(|e| Error::StoredData(format!("{zone}: {e}")))?;
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

fn write_calendar(entries: &[Entry], options: &ExportOptions) -> CalendarExport {
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
fn zone_named(name: &str) -> std::result::Result<TimeZone, jiff::Error> {
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
