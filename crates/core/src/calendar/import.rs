//! Invitations in: `.ics` files from associations (as Outlook, Google and Apple write them) become
//! meetings.
//!
//! - The file is checked line by line first ([`super::scan`]) and parsed with the `ical` crate;
//!   a malformed file is refused as a whole with the line and the reason, and nothing of it is
//!   imported (every change of an import is one [`Store::write`]: all or nothing).
//! - Times: `TZID` with an IANA name, a Windows name (Outlook) or a zone described only by the
//!   file's VTIMEZONE ([`super::timezones`]); UTC (`Z`, Google); floating times and all-day dates
//!   are read in Dutch time. An unknown TZID without VTIMEZONE refuses the file.
//! - A recurring invitation (RRULE, EXDATE, RDATE, and exceptions with RECURRENCE-ID) becomes one
//!   meeting per occurrence ([`super::rrule`]), up to a year ahead for endless rules.
//! - Identity: an invitation is found again by its UID (and, for an occurrence, its
//!   RECURRENCE-ID); a UID Wijkwerk made (`<id>@wijkwerk`) finds that meeting or visit. A newer
//!   or equal SEQUENCE updates the meeting; an older one is refused as outdated. METHOD:CANCEL or
//!   STATUS:CANCELLED marks it cancelled; occurrences that an updated series no longer has are
//!   cancelled too.
//! - The organiser: the organisation whose e-mail address is the ORGANIZER's, or in which a
//!   contact with that address holds a role on the meeting's day (associations first).

use super::rrule::{self, Until};
use super::scan::{self, Component};
use super::timezones::{self, Observance, ObservanceKind, Zone};
use super::{id_from_uid, CalendarError, ImportError};
use crate::schema::{Entity, ASSOCIATION_KINDS, LINE_MAX, LONG_TEXT_MAX, NAME_MAX};
use crate::store::Store;
use crate::write::{Fields, Write};
use ical::parser::ical::component::{IcalCalendar, IcalEvent, IcalTimeZone};
use ical::property::Property;
use jiff::civil::{Date, DateTime, Time};
use jiff::tz::{Offset, TimeZone};
use jiff::{Span, Timestamp, ToSpan};
use rusqlite::OptionalExtension;
use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap};
use uuid::Uuid;

/// How to import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportOptions {
    /// Now: endless recurring invitations are expanded up to a year after now (or after their
    /// start, if that is later).
    pub now: Timestamp,
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct ImportReport {
    pub created: Vec<ImportedEvent>,
    pub updated: Vec<ImportedEvent>,
    pub cancelled: Vec<ImportedEvent>,
    pub unchanged: Vec<ImportedEvent>,
    /// Events that were understood but not imported (an outdated version, a reply, a rule that is
    /// not supported), with their line and the reason. The rest of the file was imported.
    pub refused: Vec<RefusedEvent>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct ImportedEvent {
    /// `meeting` or `visit`.
    pub entity: &'static str,
    pub id: String,
    pub uid: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub recurrence_id: Option<String>,
    pub title: String,
    pub starts_at: String,
    /// The line of the event's BEGIN:VEVENT.
    pub line: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub organisation_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct RefusedEvent {
    pub line: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub uid: Option<String>,
    pub reason: String,
}

/// A property as the `ical` crate gives it, with the line it came from.
struct Prop<'a> {
    line: usize,
    prop: &'a Property,
}

impl Prop<'_> {
    fn value(&self) -> &str {
        self.prop.value.as_deref().unwrap_or("")
    }
    fn param(&self, name: &str) -> Option<&str> {
        self.prop.params.as_ref().and_then(|params| {
            params
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .and_then(|(_, v)| v.first())
                .map(String::as_str)
        })
    }
    fn fail(&self, reason: impl std::fmt::Display) -> CalendarError {
        CalendarError::at(self.line, format!("{}: {reason}", self.prop.name))
    }
}

/// The properties of one component, paired with their lines.
fn props<'a>(
    properties: &'a [Property],
    index: &Component,
) -> Result<Vec<Prop<'a>>, CalendarError> {
    if properties.len() != index.properties.len() {
        return Err(CalendarError::at(
            index.begin,
            format!("{} could not be read", index.name),
        ));
    }
    properties
        .iter()
        .zip(&index.properties)
        .map(|(prop, line)| {
            if prop.name.eq_ignore_ascii_case(&line.name) {
                Ok(Prop {
                    line: line.number,
                    prop,
                })
            } else {
                Err(CalendarError::at(
                    line.number,
                    format!("{} could not be read", line.name),
                ))
            }
        })
        .collect()
}

fn first<'p, 'a>(props: &'p [Prop<'a>], name: &str) -> Option<&'p Prop<'a>> {
    props
        .iter()
        .find(|p| p.prop.name.eq_ignore_ascii_case(name))
}

/// A TEXT value unescaped (RFC 5545, 3.3.11).
pub fn unescape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') | Some('N') => out.push('\n'),
                Some(other) => out.push(other),
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// A date or date-time as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Written {
    Date(Date),
    Utc(DateTime),
    Local(DateTime),
}

/// A zone in which local times are read, and the zone the meeting keeps.
#[derive(Debug, Clone)]
struct Frame {
    zone: Zone,
    /// The IANA zone stored on the meeting.
    keep: String,
}

impl Frame {
    fn utc() -> Frame {
        Frame {
            zone: Zone::Rules {
                tz: TimeZone::UTC,
                name: Some("UTC".into()),
            },
            keep: crate::DEFAULT_TIME_ZONE.into(),
        }
    }
    fn dutch() -> Frame {
        let tz = TimeZone::get(crate::DEFAULT_TIME_ZONE).unwrap_or(TimeZone::UTC);
        Frame {
            zone: Zone::Rules {
                tz,
                name: Some(crate::DEFAULT_TIME_ZONE.into()),
            },
            keep: crate::DEFAULT_TIME_ZONE.into(),
        }
    }
}

/// The zones of one calendar: TZID → zone.
struct Zones {
    /// VTIMEZONEs whose TZID is neither IANA nor Windows, by TZID.
    described: HashMap<String, Zone>,
}

impl Zones {
    fn frame(&self, tzid: &str) -> Option<Frame> {
        let tzid = tzid.trim().trim_matches('"');
        if let Some((tz, name)) = timezones::iana_zone(tzid) {
            return Some(Frame {
                zone: Zone::Rules {
                    tz,
                    name: Some(name.clone()),
                },
                keep: if name == "UTC" || name == "Etc/UTC" {
                    crate::DEFAULT_TIME_ZONE.into()
                } else {
                    name
                },
            });
        }
        if let Some(iana) = timezones::windows_zone(tzid) {
            let tz = TimeZone::get(iana).ok()?;
            return Some(Frame {
                zone: Zone::Rules {
                    tz,
                    name: Some(iana.into()),
                },
                keep: if iana == "UTC" {
                    crate::DEFAULT_TIME_ZONE.into()
                } else {
                    iana.into()
                },
            });
        }
        self.described.get(tzid).map(|zone| Frame {
            zone: zone.clone(),
            keep: crate::DEFAULT_TIME_ZONE.into(),
        })
    }
}

/// A point in time of an event, read.
#[derive(Debug, Clone)]
struct Moment {
    written: Written,
    frame: Frame,
}

impl Moment {
    fn all_day(&self) -> bool {
        matches!(self.written, Written::Date(_))
    }
    fn local(&self) -> DateTime {
        match self.written {
            Written::Date(d) => d.to_datetime(Time::midnight()),
            Written::Utc(dt) | Written::Local(dt) => dt,
        }
    }
    fn timestamp(&self) -> Result<Timestamp, String> {
        self.frame.zone.to_timestamp(self.local())
    }
}

/// Reads a DATE / DATE-TIME property in the calendar's zones.
fn moment(p: &Prop<'_>, zones: &Zones) -> Result<Moment, CalendarError> {
    let value = p.value().trim();
    let is_date = p
        .param("VALUE")
        .is_some_and(|v| v.eq_ignore_ascii_case("DATE"))
        || value.len() == 8;
    let tzid = p.param("TZID");
    let written = if is_date {
        Written::Date(scan::parse_date(value).map_err(|e| p.fail(e))?)
    } else {
        let (dt, utc) = scan::parse_date_time(value).map_err(|e| p.fail(e))?;
        if utc {
            Written::Utc(dt)
        } else {
            Written::Local(dt)
        }
    };
    let frame = match (written, tzid) {
        (Written::Utc(_), _) => Frame::utc(),
        (Written::Local(_), Some(tzid)) => zones.frame(tzid).ok_or_else(|| {
            p.fail(format!(
                "the time zone {tzid:?} is unknown and the file has no VTIMEZONE for it"
            ))
        })?,
        _ => Frame::dutch(),
    };
    Ok(Moment { written, frame })
}

/// The key of an occurrence: its start in UTC (`20260312T183000Z`), or its date for all-day.
fn occurrence_key(m: &Moment) -> Result<String, String> {
    Ok(match m.written {
        Written::Date(d) => super::emit::date(d),
        _ => super::emit::utc(m.timestamp()?),
    })
}

/// One event of the file, read.
struct Invitation {
    line: usize,
    uid: String,
    recurrence_id: Option<String>,
    sequence: i64,
    summary: Option<String>,
    location: Option<String>,
    description: Option<String>,
    cancelled: bool,
    /// Sent with METHOD:CANCEL (a cancellation, not a calendar that lists a cancelled event).
    cancellation: bool,
    organizer: Option<String>,
    start: Moment,
    /// Local length of the event (end − start, in the event's own wall-clock time).
    length: Span,
    all_day: bool,
    rule: Option<(rrule::Rule, usize)>,
    exdates: Vec<String>,
    rdates: Vec<Moment>,
    categories: String,
}

/// One meeting to be: an event, or one occurrence of a recurring event.
#[derive(Debug, Clone)]
struct Occurrence {
    line: usize,
    uid: String,
    recurrence_id: Option<String>,
    sequence: i64,
    title: String,
    location: Option<String>,
    notes: Option<String>,
    cancelled: bool,
    cancellation: bool,
    /// Made from a recurring event in the file (whose other occurrences the file also has).
    from_series: bool,
    organizer: Option<String>,
    starts_at: Timestamp,
    ends_at: Timestamp,
    zone: String,
}

impl Store {
    /// Imports the invitations of a calendar file. A malformed file is refused as a whole
    /// ([`ImportError::Refused`], with the line and the reason) and the store is unchanged; so
    /// is it when the store refuses a change. Otherwise every change is one write.
    pub fn calendar_import(
        &mut self,
        bytes: &[u8],
        options: &ImportOptions,
    ) -> Result<ImportReport, ImportError> {
        let scanned = scan::scan(bytes)?;
        let parsed: Vec<IcalCalendar> = ical::IcalParser::new(scanned.unfolded.as_bytes())
            .collect::<Result<_, _>>()
            .map_err(|e| {
                use ical::parser::ParserError;
                use ical::property::PropertyError as P;
                // The parser counts lines of the unfolded text; name the file's line.
                let line = match &e {
                    ParserError::PropertyError(
                        P::MissingName { line }
                        | P::MissingClosingQuote { line }
                        | P::MissingDelimiter { line, .. }
                        | P::MissingContentAfter { line, .. }
                        | P::MissingParamKey { line },
                    ) => line
                        .checked_sub(1)
                        .and_then(|i| scanned.origin.get(i).copied()),
                    _ => None,
                };
                let reason = match &e {
                    ParserError::PropertyError(p) => {
                        let text = p.to_string();
                        // "Line N: Missing ..." without the parser's own line number.
                        text.split_once(": ")
                            .map_or(text.clone(), |(_, r)| r.to_owned())
                    }
                    other => other.to_string(),
                };
                CalendarError::at(
                    line.unwrap_or_else(|| scanned.calendars.first().map_or(1, |c| c.begin)),
                    format!("cannot be read: {reason}"),
                )
            })?;
        if parsed.len() != scanned.calendars.len() {
            return Err(CalendarError::at(1, "the calendar could not be read").into());
        }
        let mut report = ImportReport::default();
        let mut invitations = Vec::new();
        for (calendar, index) in parsed.iter().zip(&scanned.calendars) {
            let calendar_props = props(&calendar.properties, index)?;
            let method = first(&calendar_props, "METHOD")
                .map(|p| p.value().trim().to_ascii_uppercase())
                .unwrap_or_default();
            let zones = read_zones(&calendar.timezones, index)?;
            let events: Vec<&Component> = index.children_named("VEVENT").collect();
            if events.len() != calendar.events.len() {
                return Err(CalendarError::at(index.begin, "the events could not be read").into());
            }
            for (event, event_index) in calendar.events.iter().zip(events) {
                match read_event(event, event_index, &zones, &method)? {
                    Ok(invitation) => invitations.push(invitation),
                    Err(refused) => report.refused.push(refused),
                }
            }
        }
        // Recurring invitations become meetings from a year ago to a year ahead.
        let year = Span::new().hours(24 * 366);
        let horizon = options.now.checked_add(year).unwrap_or(options.now);
        let window_start = options.now.checked_sub(year).unwrap_or(options.now);
        let occurrences = expand_all(invitations, window_start, horizon, &mut report)?;
        let batch = self.plan_import(occurrences, window_start, &mut report)?;
        if !batch.is_empty() {
            self.write(batch)?;
        }
        Ok(report)
    }

    /// Compares the occurrences with the store and makes the writes, filling the report.
    fn plan_import(
        &self,
        occurrences: Vec<Occurrence>,
        window_start: Timestamp,
        report: &mut ImportReport,
    ) -> Result<Vec<Write>, ImportError> {
        let mut batch = Vec::new();
        let mut by_uid = self.conn.prepare(FIND_BY_UID_SQL)?;
        // Per UID: the recurrence ids the file has, to cancel the ones a series no longer has.
        let mut seen: BTreeMap<String, SeenUid> = BTreeMap::new();
        for occ in occurrences {
            let entry =
                seen.entry(occ.uid.clone())
                    .or_insert((Vec::new(), false, occ.sequence, occ.line));
            entry.0.push(occ.recurrence_id.clone());
            entry.1 |= occ.from_series;
            entry.2 = entry.2.max(occ.sequence);
            let existing = self.find_existing(&mut by_uid, &occ)?;
            match existing {
                Some(Existing { deleted: true, .. }) => report.refused.push(RefusedEvent {
                    line: occ.line,
                    uid: Some(occ.uid.clone()),
                    reason: "was deleted in Wijkwerk; not brought back".into(),
                }),
                Some(found) => self.update_existing(&occ, found, &mut batch, report)?,
                None if occ.cancellation => report.refused.push(RefusedEvent {
                    line: occ.line,
                    uid: Some(occ.uid.clone()),
                    reason: "cancels an invitation that was never imported".into(),
                }),
                None => {
                    let (fields, organisation) = self.new_meeting_fields(&occ)?;
                    let write = Write::create(Entity::Meeting, fields);
                    report
                        .created
                        .push(imported(&occ, "meeting", write.id, organisation));
                    batch.push(write);
                }
            }
        }
        // Occurrences of an updated series that the file no longer has are cancelled.
        for (uid, (ids, recurring, sequence, line)) in seen {
            if !recurring {
                continue;
            }
            let mut stmt = self.conn.prepare_cached(
                "SELECT id, ical_recurrence_id, title, starts_at, coalesce(ical_sequence, 0)
                 FROM meeting WHERE ical_uid = ?1 AND deleted = 0 AND status != 'cancelled'
                   AND ical_recurrence_id IS NOT NULL AND starts_at >= ?2",
            )?;
            let stored: Vec<(String, String, String, String, i64)> = stmt
                .query_map((&uid, window_start.to_string()), |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
                })?
                .collect::<rusqlite::Result<_>>()?;
            for (id, rid, title, starts_at, stored_sequence) in stored {
                if ids.contains(&Some(rid.clone())) || sequence < stored_sequence {
                    continue;
                }
                let id = Uuid::parse_str(&id)
                    .map_err(|e| crate::Error::StoredData(format!("meeting id {id}: {e}")))?;
                let mut fields = Map::new();
                fields.insert("status".into(), "cancelled".into());
                fields.insert("ical_sequence".into(), sequence.into());
                batch.push(Write::update(Entity::Meeting, id, fields));
                report.cancelled.push(ImportedEvent {
                    entity: "meeting",
                    id: id.to_string(),
                    uid: uid.clone(),
                    recurrence_id: Some(rid),
                    title,
                    starts_at,
                    line,
                    organisation_id: None,
                });
            }
        }
        Ok(batch)
    }

    /// The meeting or visit an occurrence is (with `by_uid` prepared from [`FIND_BY_UID_SQL`]:
    /// prepared once per import, as `prepare_cached` would prepare it again on every use).
    fn find_existing(
        &self,
        by_uid: &mut rusqlite::Statement<'_>,
        occ: &Occurrence,
    ) -> Result<Option<Existing>, ImportError> {
        if occ.recurrence_id.is_none() {
            if let Some(id) = id_from_uid(&occ.uid) {
                for entity in [Entity::Meeting, Entity::Visit] {
                    if let Some(deleted) = self.stored_deleted(entity, id)? {
                        return Ok(Some(Existing {
                            entity,
                            id,
                            deleted,
                            by_invitation: false,
                        }));
                    }
                }
            }
        }
        let found: Option<(String, i64)> = by_uid
            .query_row((&occ.uid, &occ.recurrence_id), |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?;
        Ok(match found {
            Some((id, deleted)) => Some(Existing {
                entity: Entity::Meeting,
                id: Uuid::parse_str(&id)
                    .map_err(|e| crate::Error::StoredData(format!("meeting id {id}: {e}")))?,
                deleted: deleted != 0,
                by_invitation: true,
            }),
            None => None,
        })
    }

    fn update_existing(
        &self,
        occ: &Occurrence,
        found: Existing,
        batch: &mut Vec<Write>,
        report: &mut ImportReport,
    ) -> Result<(), ImportError> {
        let stored = self.get(found.entity, found.id)?;
        let stored_sequence = stored
            .get("ical_sequence")
            .and_then(Value::as_i64)
            .unwrap_or(0);
        if occ.sequence < stored_sequence {
            report.refused.push(RefusedEvent {
                line: occ.line,
                uid: Some(occ.uid.clone()),
                reason: format!(
                    "is an older version (SEQUENCE {}) than the one in Wijkwerk ({stored_sequence})",
                    occ.sequence
                ),
            });
            return Ok(());
        }
        let status = stored.get("status").and_then(Value::as_str).unwrap_or("");
        let mut wanted: Vec<(&str, Value)> = vec![
            ("starts_at", occ.starts_at.to_string().into()),
            ("ends_at", occ.ends_at.to_string().into()),
            (
                "location",
                occ.location.clone().map_or(Value::Null, Value::from),
            ),
        ];
        if !occ.title.is_empty() {
            wanted.push(("title", occ.title.clone().into()));
        }
        if occ.cancelled {
            wanted.push(("status", "cancelled".into()));
        } else if status == "cancelled" {
            // A cancelled invitation sent again: back on.
            wanted.push(("status", "planned".into()));
        }
        if found.by_invitation {
            wanted.push(("notes", occ.notes.clone().map_or(Value::Null, Value::from)));
            if let Some(organizer) = &occ.organizer {
                wanted.push(("organizer_email", organizer.clone().into()));
            }
        }
        let mut fields = Map::new();
        for (name, value) in wanted {
            if stored.get(name) != Some(&value) {
                fields.insert(name.to_owned(), value);
            }
        }
        let entity_name = if found.entity == Entity::Visit {
            "visit"
        } else {
            "meeting"
        };
        let item = imported(occ, entity_name, found.id, None);
        if fields.is_empty() && occ.sequence == stored_sequence {
            report.unchanged.push(item);
            return Ok(());
        }
        fields.insert("ical_sequence".into(), occ.sequence.into());
        batch.push(Write::update(found.entity, found.id, fields.clone()));
        if occ.cancelled && status != "cancelled" {
            report.cancelled.push(item);
        } else if fields.len() == 1 {
            // Only the SEQUENCE moved on.
            report.unchanged.push(item);
        } else {
            report.updated.push(item);
        }
        Ok(())
    }

    /// The fields of a meeting made from an invitation, and the organisation it is linked to.
    fn new_meeting_fields(
        &self,
        occ: &Occurrence,
    ) -> Result<(Fields, Option<String>), ImportError> {
        let day = occ
            .starts_at
            .to_zoned(TimeZone::get(&occ.zone).unwrap_or(TimeZone::UTC))
            .date()
            .to_string();
        let organisation = match &occ.organizer {
            Some(email) => self.organisation_of(email, &day)?,
            None => None,
        };
        let (org_id, org_kind, org_areas) = match &organisation {
            Some((id, kind, areas)) => (Some(id.clone()), kind.clone(), areas.clone()),
            None => (None, String::new(), Vec::new()),
        };
        let kind = meeting_kind(&occ.title, &org_kind);
        let mut fields = Map::new();
        fields.insert("kind".into(), kind.into());
        let title = if occ.title.is_empty() {
            "Uitnodiging zonder titel".to_owned()
        } else {
            occ.title.clone()
        };
        fields.insert("title".into(), title.into());
        if let Some(org) = &org_id {
            fields.insert("organisation_id".into(), org.clone().into());
        }
        if let [area] = org_areas.as_slice() {
            fields.insert("area_id".into(), area.clone().into());
        }
        fields.insert("starts_at".into(), occ.starts_at.to_string().into());
        fields.insert("ends_at".into(), occ.ends_at.to_string().into());
        fields.insert("time_zone".into(), occ.zone.clone().into());
        if let Some(location) = &occ.location {
            fields.insert("location".into(), location.clone().into());
        }
        fields.insert(
            "status".into(),
            if occ.cancelled {
                "cancelled"
            } else {
                "planned"
            }
            .into(),
        );
        if let Some(notes) = &occ.notes {
            fields.insert("notes".into(), notes.clone().into());
        }
        fields.insert("ical_uid".into(), occ.uid.clone().into());
        fields.insert("ical_sequence".into(), occ.sequence.into());
        if let Some(rid) = &occ.recurrence_id {
            fields.insert("ical_recurrence_id".into(), rid.clone().into());
        }
        if let Some(organizer) = &occ.organizer {
            fields.insert("organizer_email".into(), organizer.clone().into());
        }
        Ok((fields, org_id))
    }

    /// The organisation an organizer's e-mail address stands for: an organisation with that
    /// address, or one in which a contact with that address holds a role on `day` (associations
    /// before others, newest role first).
    fn organisation_of(
        &self,
        email: &str,
        day: &str,
    ) -> Result<Option<(String, String, Vec<String>)>, ImportError> {
        let associations = ASSOCIATION_KINDS
            .iter()
            .map(|k| format!("'{k}'"))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT id, kind, area_ids FROM (
                SELECT o.id, o.kind, o.area_ids, 0 AS via_role, '' AS since FROM organisation o
                WHERE o.deleted = 0 AND lower(o.email) = lower(?1)
              UNION ALL
                SELECT o.id, o.kind, o.area_ids, 1, r.start_date FROM contact c
                JOIN role r ON r.contact_id = c.id AND r.deleted = 0
                JOIN organisation o ON o.id = r.organisation_id AND o.deleted = 0
                WHERE c.deleted = 0 AND lower(c.email) = lower(?1)
                  AND r.start_date <= ?2 AND (r.end_date IS NULL OR r.end_date >= ?2))
             ORDER BY via_role, kind IN ({associations}) DESC, since DESC, id LIMIT 1"
        );
        let found: Option<(String, Option<String>, Option<String>)> = self
            .conn
            .prepare_cached(&sql)?
            .query_row((email, day), |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .optional()?;
        Ok(found.map(|(id, kind, areas)| {
            let areas: Vec<String> = areas
                .and_then(|a| serde_json::from_str(&a).ok())
                .unwrap_or_default();
            (id, kind.unwrap_or_default(), areas)
        }))
    }
}

/// The meeting made from an invitation (or one occurrence of it).
const FIND_BY_UID_SQL: &str = "SELECT id, deleted FROM meeting WHERE ical_uid = ?1
    AND ical_recurrence_id IS ?2 ORDER BY deleted, id LIMIT 1";

/// Per UID of a file: its occurrences' recurrence ids, whether it recurs, its highest SEQUENCE,
/// and its line.
type SeenUid = (Vec<Option<String>>, bool, i64, usize);

struct Existing {
    entity: Entity,
    id: Uuid,
    deleted: bool,
    /// Found by the invitation's UID (not a UID Wijkwerk made): its description is the notes.
    by_invitation: bool,
}

fn imported(
    occ: &Occurrence,
    entity: &'static str,
    id: Uuid,
    organisation: Option<String>,
) -> ImportedEvent {
    ImportedEvent {
        entity,
        id: id.to_string(),
        uid: occ.uid.clone(),
        recurrence_id: occ.recurrence_id.clone(),
        title: occ.title.clone(),
        starts_at: occ.starts_at.to_string(),
        line: occ.line,
        organisation_id: organisation,
    }
}

/// The kind of meeting an invitation is, from its title and its organisation.
fn meeting_kind(title: &str, organisation_kind: &str) -> &'static str {
    let t = title.to_lowercase();
    let words: Vec<&str> = t.split(|c: char| !c.is_alphanumeric()).collect();
    if t.contains("kernoverleg") {
        "kernoverleg"
    } else if t.contains("ledenvergadering")
        || t.contains("jaarvergadering")
        || t.contains("algemene vergadering")
        || words.contains(&"alv")
    {
        "ledenvergadering"
    } else if t.contains("bestuur") {
        "bestuursoverleg"
    } else if t.contains("netwerk") {
        "netwerkbijeenkomst"
    } else if organisation_kind == "kernoverleg" {
        "kernoverleg"
    } else if ASSOCIATION_KINDS.contains(&organisation_kind) {
        "ledenvergadering"
    } else {
        "other"
    }
}

/// The zones of a calendar's VTIMEZONEs.
fn read_zones(timezones: &[IcalTimeZone], calendar: &Component) -> Result<Zones, CalendarError> {
    let indexes: Vec<&Component> = calendar.children_named("VTIMEZONE").collect();
    if indexes.len() != timezones.len() {
        return Err(CalendarError::at(
            calendar.begin,
            "the time zones could not be read",
        ));
    }
    let mut zones = Zones {
        described: HashMap::new(),
    };
    for (tz, index) in timezones.iter().zip(indexes) {
        let tz_props = props(&tz.properties, index)?;
        let tzid = first(&tz_props, "TZID")
            .map(|p| p.value().trim().to_owned())
            .ok_or_else(|| CalendarError::at(index.begin, "VTIMEZONE without TZID"))?;
        let parts: Vec<&Component> = index
            .children
            .iter()
            .filter(|c| c.name == "STANDARD" || c.name == "DAYLIGHT")
            .collect();
        if parts.len() != tz.transitions.len() {
            return Err(CalendarError::at(
                index.begin,
                "the VTIMEZONE could not be read",
            ));
        }
        let mut observances = Vec::new();
        for (transition, part) in tz.transitions.iter().zip(parts) {
            let p = props(&transition.properties, part)?;
            let kind = if part.name == "DAYLIGHT" {
                ObservanceKind::Daylight
            } else {
                ObservanceKind::Standard
            };
            let start = first(&p, "DTSTART").ok_or_else(|| {
                CalendarError::at(part.begin, format!("{} without DTSTART", part.name))
            })?;
            let (start_dt, _) = scan::parse_date_time(start.value().trim())
                .or_else(|_| {
                    scan::parse_date(start.value().trim())
                        .map(|d| (d.to_datetime(Time::midnight()), false))
                })
                .map_err(|e| start.fail(e))?;
            let offset = |name: &str| -> Result<Offset, CalendarError> {
                let p = first(&p, name).ok_or_else(|| {
                    CalendarError::at(part.begin, format!("{} without {name}", part.name))
                })?;
                parse_offset(p.value()).map_err(|e| p.fail(e))
            };
            observances.push(Observance {
                kind,
                start: start_dt,
                offset_from: offset("TZOFFSETFROM")?,
                offset_to: offset("TZOFFSETTO")?,
                rrule: first(&p, "RRULE").map(|r| r.value().to_owned()),
            });
        }
        let known =
            timezones::iana_zone(&tzid).is_some() || timezones::windows_zone(&tzid).is_some();
        if !known {
            if let Some(zone) = timezones::zone_from_observances(&observances) {
                zones.described.insert(tzid.clone(), zone);
            }
        }
    }
    Ok(zones)
}

/// `+0100`, `-0500`, `+053045`.
fn parse_offset(text: &str) -> Result<Offset, String> {
    let t = text.trim();
    let bad = || format!("{t:?} is not a UTC offset (+HHMM)");
    let (sign, digits) = match t.split_at_checked(1) {
        Some(("+", rest)) => (1, rest),
        Some(("-", rest)) => (-1, rest),
        _ => return Err(bad()),
    };
    if !(digits.len() == 4 || digits.len() == 6) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let h: i32 = digits[0..2].parse().map_err(|_| bad())?;
    let m: i32 = digits[2..4].parse().map_err(|_| bad())?;
    let s: i32 = if digits.len() == 6 {
        digits[4..6].parse().map_err(|_| bad())?
    } else {
        0
    };
    if h > 23 || m > 59 || s > 59 {
        return Err(bad());
    }
    Offset::from_seconds(sign * (h * 3600 + m * 60 + s)).map_err(|_| bad())
}

/// `PT1H30M`, `P1D`, `P2W` as a span.
fn parse_duration(text: &str) -> Result<Span, String> {
    let t = text.trim();
    let bad = || format!("{t:?} is not a duration (like PT1H30M)");
    let (negative, rest) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    if negative {
        return Err(format!("{t:?}: an event cannot last a negative time"));
    }
    let rest = rest.strip_prefix(['P', 'p']).ok_or_else(bad)?;
    // Weeks, days, hours, minutes, seconds.
    let mut parts = [0i64; 5];
    let mut number = String::new();
    let mut in_time = false;
    let mut any = false;
    for c in rest.chars() {
        match c {
            '0'..='9' => number.push(c),
            'T' | 't' => in_time = true,
            unit => {
                let n: i64 = number.parse().map_err(|_| bad())?;
                number.clear();
                any = true;
                let slot = match (in_time, unit.to_ascii_uppercase()) {
                    (false, 'W') => 0,
                    (false, 'D') => 1,
                    (true, 'H') => 2,
                    (true, 'M') => 3,
                    (true, 'S') => 4,
                    _ => return Err(bad()),
                };
                parts[slot] = n;
            }
        }
    }
    if !number.is_empty() || !any {
        return Err(bad());
    }
    let [w, d, h, m, sec] = parts;
    let span = Span::new()
        .try_weeks(w)
        .and_then(|s| s.try_days(d))
        .and_then(|s| s.try_hours(h))
        .and_then(|s| s.try_minutes(m))
        .and_then(|s| s.try_seconds(sec))
        .map_err(|_| bad())?;
    Ok(span)
}

/// Reads one VEVENT. A malformed event refuses the file (the outer error); an event that is
/// understood but not imported is the inner error.
fn read_event(
    event: &IcalEvent,
    index: &Component,
    zones: &Zones,
    method: &str,
) -> Result<Result<Invitation, RefusedEvent>, CalendarError> {
    let p = props(&event.properties, index)?;
    let uid = first(&p, "UID").map(|u| unescape(u.value()).trim().to_owned());
    let refuse = |reason: &str| RefusedEvent {
        line: index.begin,
        uid: uid.clone(),
        reason: reason.to_owned(),
    };
    if matches!(method, "REPLY" | "COUNTER" | "DECLINECOUNTER" | "REFRESH") {
        return Ok(Err(refuse(&format!(
            "METHOD:{method} is an answer to an invitation, not an invitation"
        ))));
    }
    let Some(uid) = uid.clone().filter(|u| !u.is_empty()) else {
        return Err(CalendarError::at(index.begin, "VEVENT without UID"));
    };
    if uid.chars().count() > LINE_MAX {
        return Err(CalendarError::at(index.line_of("UID"), "UID is too long"));
    }
    if uid.contains(['\n', '\r']) {
        return Err(CalendarError::at(
            index.line_of("UID"),
            "UID must be a single line",
        ));
    }
    let start_prop = first(&p, "DTSTART")
        .ok_or_else(|| CalendarError::at(index.begin, "VEVENT without DTSTART"))?;
    let start = moment(start_prop, zones)?;
    let start_ts = start.timestamp().map_err(|e| start_prop.fail(e))?;
    let (end_local, end_ts) = if let Some(end_prop) = first(&p, "DTEND") {
        let end = moment(end_prop, zones)?;
        if end.all_day() != start.all_day() {
            return Err(end_prop.fail("DTSTART and DTEND must both be dates or both date-times"));
        }
        let ts = end.timestamp().map_err(|e| end_prop.fail(e))?;
        (end.local(), ts)
    } else if let Some(duration) = first(&p, "DURATION") {
        let span = parse_duration(duration.value()).map_err(|e| duration.fail(e))?;
        let local = start
            .local()
            .checked_add(span)
            .map_err(|e| duration.fail(e))?;
        let ts = start
            .frame
            .zone
            .to_timestamp(local)
            .map_err(|e| duration.fail(e))?;
        (local, ts)
    } else if start.all_day() {
        let local = start
            .local()
            .checked_add(1.day())
            .map_err(|e| start_prop.fail(e))?;
        let ts = start
            .frame
            .zone
            .to_timestamp(local)
            .map_err(|e| start_prop.fail(e))?;
        (local, ts)
    } else {
        (start.local(), start_ts)
    };
    if end_ts < start_ts {
        return Err(CalendarError::at(
            index.line_of("DTEND"),
            "the event ends before it starts",
        ));
    }
    let length = start
        .local()
        .until(end_local)
        .map_err(|e| start_prop.fail(e))?;
    let sequence = match first(&p, "SEQUENCE") {
        Some(s) => s
            .value()
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|n| (0..=crate::schema::ICAL_SEQUENCE_MAX).contains(n))
            .ok_or_else(|| s.fail(format!("{:?} is not a sequence number", s.value())))?,
        None => 0,
    };
    let text = |name: &str, max: usize, single_line: bool| -> Option<String> {
        let values: Vec<String> = p
            .iter()
            .filter(|x| x.prop.name.eq_ignore_ascii_case(name))
            .map(|x| unescape(x.value()))
            .collect();
        let joined = values.join(", ");
        let mut value = if single_line {
            joined
                .split(['\n', '\r'])
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(", ")
        } else {
            joined.replace("\r\n", "\n")
        };
        value = value.trim().to_owned();
        if value.chars().count() > max {
            value = value.chars().take(max).collect();
        }
        (!value.is_empty()).then_some(value)
    };
    let status = first(&p, "STATUS").map(|s| s.value().trim().to_ascii_uppercase());
    let cancelled = method == "CANCEL" || status.as_deref() == Some("CANCELLED");
    let organizer = first(&p, "ORGANIZER").and_then(|o| {
        let v = o.value().trim();
        let email = v
            .get(..7)
            .filter(|m| m.eq_ignore_ascii_case("mailto:"))
            .map_or(v, |_| &v[7..]);
        let email = email.trim().to_lowercase();
        crate::values::normalise(crate::schema::FieldKind::Email, &Value::from(email), None)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
    });
    let recurrence_id = match first(&p, "RECURRENCE-ID") {
        Some(r) => {
            let m = moment(r, zones)?;
            Some(occurrence_key(&m).map_err(|e| r.fail(e))?)
        }
        None => None,
    };
    let rule = match first(&p, "RRULE") {
        Some(r) if recurrence_id.is_none() => match rrule::parse(r.value()) {
            Ok(rule) => Some((rule, r.line)),
            Err(reason) => {
                return Ok(Err(RefusedEvent {
                    line: r.line,
                    uid: Some(uid),
                    reason,
                }))
            }
        },
        _ => None,
    };
    let mut exdates = Vec::new();
    let mut rdates = Vec::new();
    for x in p.iter() {
        let name = x.prop.name.to_ascii_uppercase();
        if name != "EXDATE" && name != "RDATE" {
            continue;
        }
        if x.param("VALUE")
            .is_some_and(|v| v.eq_ignore_ascii_case("PERIOD"))
        {
            return Ok(Err(RefusedEvent {
                line: x.line,
                uid: Some(uid),
                reason: "RDATE periods are not supported".into(),
            }));
        }
        for item in x.value().split(',').filter(|s| !s.trim().is_empty()) {
            let single = Property {
                name: x.prop.name.clone(),
                params: x.prop.params.clone(),
                value: Some(item.trim().to_owned()),
            };
            let m = moment(
                &Prop {
                    line: x.line,
                    prop: &single,
                },
                zones,
            )?;
            if name == "EXDATE" {
                exdates.push(occurrence_key(&m).map_err(|e| x.fail(e))?);
            } else {
                rdates.push(m);
            }
        }
    }
    let categories = p
        .iter()
        .filter(|x| x.prop.name.eq_ignore_ascii_case("CATEGORIES"))
        .map(|x| unescape(x.value()))
        .collect::<Vec<_>>()
        .join(",");
    Ok(Ok(Invitation {
        line: index.begin,
        uid,
        recurrence_id,
        sequence,
        summary: text("SUMMARY", NAME_MAX, true),
        location: text("LOCATION", LINE_MAX, true),
        description: text("DESCRIPTION", LONG_TEXT_MAX, false),
        cancelled,
        cancellation: method == "CANCEL",
        organizer,
        all_day: start.all_day(),
        start,
        length,
        rule,
        exdates,
        rdates,
        categories,
    }))
}

/// Turns invitations into occurrences: single events as they are, recurring ones expanded with
/// their exceptions applied.
fn expand_all(
    invitations: Vec<Invitation>,
    window_start: Timestamp,
    horizon: Timestamp,
    report: &mut ImportReport,
) -> Result<Vec<Occurrence>, CalendarError> {
    // Exceptions (RECURRENCE-ID) by UID and occurrence.
    let mut overrides: HashMap<(String, String), Invitation> = HashMap::new();
    let mut masters = Vec::new();
    for inv in invitations {
        match &inv.recurrence_id {
            Some(rid) => {
                overrides.insert((inv.uid.clone(), rid.clone()), inv);
            }
            None => masters.push(inv),
        }
    }
    let mut out = Vec::new();
    for inv in masters {
        if id_from_uid(&inv.uid).is_some() && inv.categories.contains("Actiepunt") {
            report.refused.push(RefusedEvent {
                line: inv.line,
                uid: Some(inv.uid.clone()),
                reason: "is an action point's due date, not a meeting".into(),
            });
            continue;
        }
        let Some((rule, rule_line)) = inv.rule.clone() else {
            // A cancellation of a whole series without RRULE still reaches its occurrences.
            out.push(single(&inv, None)?);
            continue;
        };
        let until = match &rule.until_text {
            None => None,
            Some(text) => Some(
                until(text, &inv)
                    .map_err(|e| CalendarError::at(rule_line, format!("RRULE: {e}")))?,
            ),
        };
        let horizon_local = match &inv.start.frame.zone {
            Zone::Rules { tz, .. } => horizon.to_zoned(tz.clone()).datetime(),
            Zone::Observances(_) => horizon.to_zoned(TimeZone::UTC).datetime(),
        }
        .max(
            inv.start
                .local()
                .checked_add(1.year())
                .unwrap_or(inv.start.local()),
        );
        let mut starts = rrule::expand(&rule, inv.start.local(), until, horizon_local);
        for r in &inv.rdates {
            if !starts.contains(&r.local()) {
                starts.push(r.local());
            }
        }
        starts.sort();
        for local in starts {
            let occurrence = Moment {
                written: match inv.start.written {
                    Written::Date(_) => Written::Date(local.date()),
                    Written::Utc(_) => Written::Utc(local),
                    Written::Local(_) => Written::Local(local),
                },
                frame: inv.start.frame.clone(),
            };
            let key = occurrence_key(&occurrence).map_err(|e| CalendarError::at(inv.line, e))?;
            if inv.exdates.contains(&key) {
                continue;
            }
            if let Some(exception) = overrides.remove(&(inv.uid.clone(), key.clone())) {
                let mut occ = single(&exception, Some(key))?;
                occ.from_series = true;
                out.push(occ);
                continue;
            }
            let mut occ = single(&inv, Some(key))?;
            occ.from_series = true;
            occ.starts_at = occurrence
                .timestamp()
                .map_err(|e| CalendarError::at(inv.line, e))?;
            let end_local = local
                .checked_add(inv.length)
                .map_err(|e| CalendarError::at(inv.line, e.to_string()))?;
            occ.ends_at = inv
                .start
                .frame
                .zone
                .to_timestamp(end_local)
                .map_err(|e| CalendarError::at(inv.line, e))?;
            // Long-past occurrences of a long-running series are not worth a meeting each.
            if occ.ends_at < window_start {
                continue;
            }
            out.push(occ);
        }
    }
    // Exceptions whose series is not in the file: an update or cancellation of one occurrence.
    let mut rest: Vec<Invitation> = overrides.into_values().collect();
    rest.sort_by_key(|i| i.line);
    for inv in rest {
        let rid = inv.recurrence_id.clone();
        out.push(single(&inv, rid)?);
    }
    Ok(out)
}

fn until(text: &str, inv: &Invitation) -> Result<Until, String> {
    if text.len() == 8 {
        let d = scan::parse_date(text)?;
        return Ok(if inv.all_day {
            Until::Date(d)
        } else {
            Until::At(d.to_datetime(Time::constant(23, 59, 59, 0)))
        });
    }
    let (dt, utc) = scan::parse_date_time(text)?;
    if inv.all_day {
        return Ok(Until::Date(dt.date()));
    }
    if utc {
        let ts = Offset::UTC.to_timestamp(dt).map_err(|e| e.to_string())?;
        let local = match &inv.start.frame.zone {
            Zone::Rules { tz, .. } => ts.to_zoned(tz.clone()).datetime(),
            Zone::Observances(_) => dt,
        };
        Ok(Until::At(local))
    } else {
        Ok(Until::At(dt))
    }
}

fn single(inv: &Invitation, recurrence_id: Option<String>) -> Result<Occurrence, CalendarError> {
    let starts_at = inv
        .start
        .timestamp()
        .map_err(|e| CalendarError::at(inv.line, e))?;
    let end_local = inv
        .start
        .local()
        .checked_add(inv.length)
        .map_err(|e| CalendarError::at(inv.line, e.to_string()))?;
    let ends_at = inv
        .start
        .frame
        .zone
        .to_timestamp(end_local)
        .map_err(|e| CalendarError::at(inv.line, e))?;
    Ok(Occurrence {
        line: inv.line,
        uid: inv.uid.clone(),
        recurrence_id,
        sequence: inv.sequence,
        title: inv.summary.clone().unwrap_or_default(),
        location: inv.location.clone(),
        notes: inv.description.clone(),
        cancelled: inv.cancelled,
        cancellation: inv.cancellation,
        from_series: false,
        organizer: inv.organizer.clone(),
        starts_at,
        ends_at,
        zone: inv.start.frame.keep.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_unescapes() {
        assert_eq!(unescape("a\\, b\\; c\\\\d\\ne"), "a, b; c\\d\ne");
    }

    #[test]
    fn durations_and_offsets() {
        assert_eq!(
            parse_duration("PT1H30M").unwrap().fieldwise(),
            1.hour().minutes(30).fieldwise()
        );
        assert_eq!(
            parse_duration("P1W").unwrap().fieldwise(),
            1.week().fieldwise()
        );
        assert!(parse_duration("P").is_err());
        assert!(parse_duration("-PT1H").is_err());
        assert_eq!(parse_offset("+0100").unwrap(), Offset::constant(1));
        assert!(parse_offset("0100").is_err());
    }

    #[test]
    fn kinds_from_titles() {
        assert_eq!(meeting_kind("ALV Dorpsraad Groet", ""), "ledenvergadering");
        assert_eq!(
            meeting_kind("Bestuursvergadering", "dorpsraad"),
            "bestuursoverleg"
        );
        assert_eq!(
            meeting_kind("Nieuwjaarsborrel", "dorpsraad"),
            "ledenvergadering"
        );
        assert_eq!(meeting_kind("Nieuwjaarsborrel", ""), "other");
    }
}
