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

pub use wijkwerk_calendar::event::{
    ActionPointsAs, CalendarExport, ExportOptions, MAX_REMINDER_MINUTES,
};

use super::uid_for;
use crate::error::{Error, Result};
use crate::row;
use crate::schema::{Entity, ACTION_POINT_OPEN_STATUSES};
use crate::store::Store;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use rusqlite::types::Value as SqlValue;
use serde_json::Value;
use std::collections::HashMap;
use uuid::Uuid;
use wijkwerk_calendar::event::{
    self, parse_id, required, sort_key, text, timed_or_all_day, Entry, EntryKind, Invitee, Person,
    Stop,
};

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
        Ok(event::write_calendar(&entries, options))
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
        let stops = self
            .stops
            .query_map([&id], |r| {
                Ok(Stop {
                    arrives_at: r.get(0)?,
                    place: r.get(1)?,
                    topic: r.get(2)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let invitees = self
            .invitees
            .query_map([&id], |r| {
                Ok(Invitee {
                    contact_id: r.get(0)?,
                    name: r.get(1)?,
                    email: r.get(2)?,
                    response: r.get(3)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let ids: Vec<String> = invitees.iter().map(|i| i.contact_id.clone()).collect();
        let organizer = self.organizer(&ids, text(visit, "area_id").as_deref())?;
        Ok(event::visit_entry(visit, &stops, invitees, organizer)?)
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
