//! Invitations in: `.ics` files from associations (as Outlook, Google and Apple write them, and
//! as the many smaller programs and websites write them) become meetings.
//!
//! **As forgiving as Outlook, Google and Apple, and no less safe.** The file is read by
//! [`super::scan`] (which forgives lowercase names, any line ends, a byte-order mark, blank lines,
//! Windows-1252 text, quoted parameters, broken folding, unknown and unclosed sub-components);
//! then every event is read on its own:
//!
//! - **Forgiven, with a warning in the report** (`warnings`, each with its line): an event
//!   without UID gets a stable one made from its organiser, start and title (UUIDv5,
//!   `<uuid>@derived.wijkwerk`), so that importing the file again updates the meeting; a TZID
//!   that is neither IANA (also `/mozilla.org/.../Europe/Amsterdam` and other vendor prefixes),
//!   nor Windows, nor an Outlook display name, nor described by the file's VTIMEZONE (under any
//!   name) is read in the calendar's `X-WR-TIMEZONE` or else in Dutch time, as Outlook reads it
//!   in the computer's own zone (Outlook's "Customized Time Zone" always comes with its
//!   VTIMEZONE, which is used); a DTEND before DTSTART, of another kind, or unreadable, and an
//!   unreadable DURATION, give the meeting no length (a day for an all-day event); an
//!   unreadable SEQUENCE is 0; an unreadable EXDATE or RDATE is left out; odd RRULE parts
//!   ([`super::rrule`]: COUNT=0, INTERVAL=0, parts RFC 5545 does not know); a series longer
//!   than [`rrule::MAX_OCCURRENCES`] meetings is cut there; the same event twice in a file is
//!   imported once (the higher SEQUENCE); tasks, journal entries and free/busy times are not
//!   imported (one warning each kind); events written without a VCALENDAR around them are read
//!   as one calendar.
//! - **Forgiven silently:** no VERSION or PRODID, no DTEND (DURATION, else no length; a day for
//!   an all-day event), a UID too long for the store (a stable one is made of it), several
//!   VCALENDARs in one file, alarms, attachments, X- properties and components.
//! - **An event that cannot be used is skipped** (`refused`, with its line and reason) and the
//!   others are imported: an unreadable DTSTART or RECURRENCE-ID, a recurrence rule that is not
//!   supported, a value the store refuses; also what is not an invitation (METHOD:REPLY), an
//!   older SEQUENCE than the stored one, a cancellation of something never imported, a meeting
//!   deleted in Wijkwerk, an action point's due date.
//! - **Refused as a whole, with the line, and nothing imported:** binary data, a file that ends
//!   inside a component (or loses an END in the middle), a file without VCALENDAR, a file over
//!   [`super::scan::MAX_BYTES`], and an event without any start (no DTSTART, and not an
//!   exception whose RECURRENCE-ID gives its start).
//!
//! Every change of an import is one [`Store::write`]: all or nothing. [`Store::calendar_preview`]
//! does the same reading and comparing without writing, so that the app can show what would
//! happen and ask first when something is skipped or forgiven
//! ([`ImportReport::needs_confirmation`]).
//!
//! - Times: UTC (`Z`, Google); floating times in the calendar's X-WR-TIMEZONE, else Dutch time;
//!   all-day dates in Dutch time.
//! - A recurring invitation (RRULE, EXDATE, RDATE, and exceptions with RECURRENCE-ID) becomes one
//!   meeting per occurrence ([`super::rrule`]), from a year ago up to a year ahead.
//! - Identity: an invitation is found again by its UID (and, for an occurrence, its
//!   RECURRENCE-ID); a UID Wijkwerk made (`<id>@wijkwerk`) finds that meeting or visit. A newer
//!   or equal SEQUENCE updates the meeting; an older one is refused as outdated. METHOD:CANCEL or
//!   STATUS:CANCELLED marks it cancelled; occurrences that an updated series no longer has are
//!   cancelled too.
//! - The organiser: the organisation whose e-mail address is the ORGANIZER's, or in which a
//!   contact with that address holds a role on the meeting's day (associations first).

use super::rrule::{self, Until};
use super::scan::{self, Component, Property, Warnings, When};
use super::timezones::{self, Observance, ObservanceKind, Zone};
use super::{id_from_uid, CalendarError, ImportError};
use crate::schema::{Entity, ASSOCIATION_KINDS, LINE_MAX, LONG_TEXT_MAX, NAME_MAX};
use crate::store::Store;
use crate::write::{Fields, Write};
use jiff::civil::{Date, DateTime, Time};
use jiff::tz::{Offset, TimeZone};
use jiff::{Span, Timestamp, ToSpan};
use rusqlite::OptionalExtension;
use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap, HashSet};
use uuid::Uuid;

pub use super::scan::{ImportWarning, WarningKind};

/// At most this many meetings are made from one file (a year's calendar of a busy association is
/// a few hundred): more would only be a file made to exhaust the store.
pub const MAX_MEETINGS: usize = 10_000;

/// How to import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportOptions {
    /// Now: endless recurring invitations are expanded up to a year after now (or after their
    /// start, if that is later).
    pub now: Timestamp,
}

/// What an import did, or (a preview) would do.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct ImportReport {
    pub created: Vec<ImportedEvent>,
    pub updated: Vec<ImportedEvent>,
    pub cancelled: Vec<ImportedEvent>,
    pub unchanged: Vec<ImportedEvent>,
    /// Events that were skipped (unusable, an outdated version, a reply, a rule that is not
    /// supported), with their line and the reason. The rest of the file was imported.
    pub refused: Vec<RefusedEvent>,
    /// What was forgiven (guessed, left out or adjusted), with its line.
    pub warnings: Vec<ImportWarning>,
    /// Whether the changes were written; `false` for a preview.
    pub written: bool,
}

impl ImportReport {
    /// Whether the user should confirm before the import is written: it would change the store
    /// and something is skipped or forgiven. (Nothing to write: nothing to confirm.)
    pub fn needs_confirmation(&self) -> bool {
        let changes =
            !self.created.is_empty() || !self.updated.is_empty() || !self.cancelled.is_empty();
        changes && (!self.refused.is_empty() || !self.warnings.is_empty())
    }
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

/// Why an event was skipped (the kinds the app words in its own language).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum SkipKind {
    /// METHOD:REPLY and the like: an answer to an invitation.
    Answer,
    /// An older SEQUENCE than the meeting in Wijkwerk.
    Outdated,
    /// The meeting was deleted in Wijkwerk.
    Deleted,
    /// A cancellation of something never imported.
    NeverImported,
    /// An action point's due date exported by Wijkwerk.
    ActionPoint,
    /// A recurrence rule Wijkwerk does not expand.
    UnsupportedRepeat,
    /// A start, end or occurrence that cannot be read.
    Unreadable,
    /// A value the store refuses.
    NotStorable,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct RefusedEvent {
    pub line: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub uid: Option<String>,
    pub kind: SkipKind,
    pub reason: String,
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
    /// A zone jiff knows by name.
    fn named(tz: TimeZone, name: String) -> Frame {
        let keep = if matches!(name.as_str(), "UTC" | "Etc/UTC" | "GMT" | "Etc/GMT") {
            crate::DEFAULT_TIME_ZONE.to_owned()
        } else {
            name.clone()
        };
        Frame {
            zone: Zone::Rules {
                tz,
                name: Some(name),
            },
            keep,
        }
    }
}

/// The zones of one calendar: its VTIMEZONEs by TZID, its own zone (X-WR-TIMEZONE), and the
/// TZIDs already warned about.
struct Zones {
    /// VTIMEZONEs whose TZID is no name jiff knows: the zone, or why it cannot be read.
    described: HashMap<String, Result<Zone, (usize, String)>>,
    /// Floating times and unknown zones are read in this zone (X-WR-TIMEZONE, else Dutch time).
    calendar: Frame,
    assumed: HashSet<String>,
}

impl Zones {
    fn frame(&mut self, tzid: &str, line: usize, warnings: &mut Warnings) -> Frame {
        let tzid = tzid.trim().trim_matches('"').trim();
        if let Some((tz, name)) = timezones::zone_by_name(tzid) {
            return Frame::named(tz, name);
        }
        let described = self.described.get(tzid).or_else(|| {
            self.described
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(tzid))
                .map(|(_, v)| v)
        });
        let why = match described {
            Some(Ok(zone)) => {
                return Frame {
                    zone: zone.clone(),
                    keep: crate::DEFAULT_TIME_ZONE.into(),
                }
            }
            Some(Err((at, reason))) => {
                format!("its VTIMEZONE (line {at}) cannot be read: {reason}")
            }
            None => "it is not known and the file does not describe it".to_owned(),
        };
        if self.assumed.insert(tzid.to_owned()) {
            warnings.push(
                line,
                WarningKind::TimeZoneAssumed,
                format!(
                    "time zone {tzid:?}: {why}; its times are read as {} time, as Outlook \
                     reads them in the computer's own zone",
                    self.calendar.keep
                ),
            );
        }
        self.calendar.clone()
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

/// Reads one DATE / DATE-TIME value of a property in the calendar's zones.
fn moment_of(
    p: &Property,
    value: &str,
    zones: &mut Zones,
    warnings: &mut Warnings,
) -> Result<Moment, String> {
    let written = match scan::parse_when(value)? {
        When::Date(d) => Written::Date(d),
        When::DateTime(dt, true) => Written::Utc(dt),
        When::DateTime(dt, false) => Written::Local(dt),
    };
    let frame = match (written, p.param("TZID").filter(|t| !t.trim().is_empty())) {
        (Written::Utc(_), _) => Frame::utc(),
        (Written::Local(_), Some(tzid)) => zones.frame(tzid, p.line, warnings),
        (Written::Local(_), None) => zones.calendar.clone(),
        (Written::Date(_), _) => Frame::dutch(),
    };
    let moment = Moment { written, frame };
    // A time that no zone can place (before year 1, after 9999) is not a time.
    moment.timestamp()?;
    Ok(moment)
}

fn moment(p: &Property, zones: &mut Zones, warnings: &mut Warnings) -> Result<Moment, String> {
    moment_of(p, &p.value, zones, warnings)
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
    /// EXDATEs given as dates for a timed series: every occurrence on that local date.
    exdays: Vec<Date>,
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

/// What an import would write, and its report.
struct Plan {
    report: ImportReport,
    batch: Vec<Write>,
}

impl Store {
    /// Imports the invitations of a calendar file: every change in one write, or none. A file
    /// that cannot be a calendar is refused as a whole ([`ImportError::Refused`], with the line
    /// and the reason) and the store is unchanged; so is it when the store fails. Events that
    /// cannot be used are skipped and named in the report.
    pub fn calendar_import(
        &mut self,
        bytes: &[u8],
        options: &ImportOptions,
    ) -> Result<ImportReport, ImportError> {
        let plan = self.plan_calendar_import(bytes, options)?;
        self.carry_out(plan)
    }

    /// What [`Store::calendar_import`] would do, without writing anything (`written` is false).
    pub fn calendar_preview(
        &self,
        bytes: &[u8],
        options: &ImportOptions,
    ) -> Result<ImportReport, ImportError> {
        Ok(self.plan_calendar_import(bytes, options)?.report)
    }

    /// Imports at once when nothing is skipped or forgiven; otherwise writes nothing and returns
    /// the preview (`written` false, [`ImportReport::needs_confirmation`]) for the user to
    /// confirm, after which [`Store::calendar_import`] imports it.
    pub fn calendar_import_unless_doubtful(
        &mut self,
        bytes: &[u8],
        options: &ImportOptions,
    ) -> Result<ImportReport, ImportError> {
        let plan = self.plan_calendar_import(bytes, options)?;
        if plan.report.needs_confirmation() {
            return Ok(plan.report);
        }
        self.carry_out(plan)
    }

    fn carry_out(&mut self, plan: Plan) -> Result<ImportReport, ImportError> {
        let Plan { mut report, batch } = plan;
        if !batch.is_empty() {
            self.write(batch)?;
        }
        report.written = true;
        Ok(report)
    }

    /// Reads the file and compares it with the store: the report and the writes.
    fn plan_calendar_import(
        &self,
        bytes: &[u8],
        options: &ImportOptions,
    ) -> Result<Plan, ImportError> {
        let scanned = scan::scan(bytes)?;
        let mut warnings = scanned.warnings;
        let mut report = ImportReport::default();
        let mut invitations = Vec::new();
        for calendar in &scanned.calendars {
            let method = calendar
                .property("METHOD")
                .map(|p| p.value.trim().to_ascii_uppercase())
                .unwrap_or_default();
            let mut zones = read_zones(calendar, &mut warnings);
            let mut ignored: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
            for component in &calendar.children {
                match component.name.as_str() {
                    "VEVENT" => match read_event(component, &mut zones, &method, &mut warnings)? {
                        Ok(invitation) => invitations.push(invitation),
                        Err(refused) => report.refused.push(refused),
                    },
                    "VTODO" | "VJOURNAL" | "VFREEBUSY" => {
                        let entry = ignored
                            .entry(component.name.as_str())
                            .or_insert((component.begin, 0));
                        entry.1 += 1;
                    }
                    _ => {}
                }
            }
            for (name, (line, count)) in ignored {
                let what = match name {
                    "VTODO" => "task(s)",
                    "VJOURNAL" => "journal entry(ies)",
                    _ => "free/busy time(s)",
                };
                warnings.push(
                    line,
                    WarningKind::IgnoredComponent,
                    format!(
                        "{count} {what} ({name}) not imported: Wijkwerk imports appointments \
                         (VEVENT)"
                    ),
                );
            }
        }
        let invitations = without_duplicates(invitations, &mut warnings);
        // Recurring invitations become meetings from a year ago to a year ahead.
        let year = Span::new().hours(24 * 366);
        let horizon = options.now.checked_add(year).unwrap_or(options.now);
        let window_start = options.now.checked_sub(year).unwrap_or(options.now);
        let occurrences = expand_all(
            invitations,
            window_start,
            horizon,
            &mut report,
            &mut warnings,
        );
        let batch = self.plan_import(occurrences, window_start, &mut report)?;
        report.warnings = warnings.into_vec();
        report.refused.sort_by_key(|r| r.line);
        Ok(Plan { report, batch })
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
                    kind: SkipKind::Deleted,
                    reason: "was deleted in Wijkwerk; not brought back".into(),
                }),
                Some(found) => self.update_existing(&occ, found, &mut batch, report)?,
                None if occ.cancellation => report.refused.push(RefusedEvent {
                    line: occ.line,
                    uid: Some(occ.uid.clone()),
                    kind: SkipKind::NeverImported,
                    reason: "cancels an invitation that was never imported".into(),
                }),
                None => {
                    let (fields, organisation) = self.new_meeting_fields(&occ)?;
                    if let Err(refused) = crate::write::check_values(Entity::Meeting, &fields) {
                        report.refused.push(not_storable(&occ, &refused));
                        continue;
                    }
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
                kind: SkipKind::Outdated,
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
        if let Err(refused) = crate::write::check_values(found.entity, &fields) {
            report.refused.push(not_storable(occ, &refused));
            return Ok(());
        }
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
        let Some((id, kind, areas)) = found else {
            return Ok(None);
        };
        let mut live_areas = Vec::new();
        let areas: Vec<String> = areas
            .and_then(|a| serde_json::from_str(&a).ok())
            .unwrap_or_default();
        for area in areas {
            if crate::row::is_live(&self.conn, Entity::Area, &area)? {
                live_areas.push(area);
            }
        }
        Ok(Some((id, kind.unwrap_or_default(), live_areas)))
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

/// An occurrence whose values the store would refuse: skipped, not the whole file.
fn not_storable(occ: &Occurrence, refused: &crate::Error) -> RefusedEvent {
    RefusedEvent {
        line: occ.line,
        uid: Some(occ.uid.clone()),
        kind: SkipKind::NotStorable,
        reason: format!("Wijkwerk cannot keep it: {refused}"),
    }
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

/// The zones of a calendar: its VTIMEZONEs (read only for TZIDs jiff does not know by name) and
/// its X-WR-TIMEZONE.
fn read_zones(calendar: &Component, warnings: &mut Warnings) -> Zones {
    let calendar_zone = calendar
        .property("X-WR-TIMEZONE")
        .and_then(|p| timezones::zone_by_name(&unescape(&p.value)))
        .map_or_else(Frame::dutch, |(tz, name)| Frame::named(tz, name));
    let mut zones = Zones {
        described: HashMap::new(),
        calendar: calendar_zone,
        assumed: HashSet::new(),
    };
    for vtimezone in calendar.children_named("VTIMEZONE") {
        let Some(tzid) = vtimezone
            .property("TZID")
            .map(|p| p.value.trim().trim_matches('"').trim().to_owned())
            .filter(|t| !t.is_empty())
        else {
            warnings.push(
                vtimezone.begin,
                WarningKind::LineSkipped,
                "VTIMEZONE without TZID: skipped",
            );
            continue;
        };
        if timezones::zone_by_name(&tzid).is_some() {
            continue;
        }
        let zone = observances(vtimezone).and_then(|list| {
            timezones::zone_from_observances(&list)
                .ok_or_else(|| (vtimezone.begin, "it has no STANDARD or DAYLIGHT".to_owned()))
        });
        zones.described.insert(tzid, zone);
    }
    zones
}

/// The STANDARD and DAYLIGHT parts of a VTIMEZONE, or the line and reason of one that cannot
/// be read.
fn observances(vtimezone: &Component) -> Result<Vec<Observance>, (usize, String)> {
    let mut list = Vec::new();
    for part in &vtimezone.children {
        let kind = if part.name == "DAYLIGHT" {
            ObservanceKind::Daylight
        } else {
            ObservanceKind::Standard
        };
        let start = part
            .property("DTSTART")
            .ok_or_else(|| (part.begin, format!("{} without DTSTART", part.name)))?;
        let start_dt = match scan::parse_when(&start.value) {
            Ok(When::DateTime(dt, _)) => dt,
            Ok(When::Date(d)) => d.to_datetime(Time::midnight()),
            Err(e) => return Err((start.line, format!("DTSTART: {e}"))),
        };
        let offset = |name: &str| -> Result<Offset, (usize, String)> {
            let p = part
                .property(name)
                .ok_or_else(|| (part.begin, format!("{} without {name}", part.name)))?;
            parse_offset(&p.value).map_err(|e| (p.line, format!("{name}: {e}")))
        };
        let offset_to = offset("TZOFFSETTO")?;
        list.push(Observance {
            kind,
            start: start_dt,
            // A missing TZOFFSETFROM is the offset before the change; for the zone's rules
            // only the offset after it counts.
            offset_from: offset("TZOFFSETFROM").unwrap_or(offset_to),
            offset_to,
            rrule: part.property("RRULE").map(|r| r.value.clone()),
        });
    }
    Ok(list)
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

/// A UID for an event that has none (or one the store cannot keep): the same content gives the
/// same UID, so that importing the file again finds the meeting.
fn derived_uid(content: &str) -> String {
    let namespace = Uuid::new_v5(&Uuid::NAMESPACE_OID, b"wijkwerk:invitation-uid");
    format!(
        "{}@derived.{}",
        Uuid::new_v5(&namespace, content.as_bytes()),
        super::UID_DOMAIN
    )
}

/// Reads one VEVENT: an invitation, or why it is skipped. Only an event without any start
/// refuses the file (the outer error).
fn read_event(
    event: &Component,
    zones: &mut Zones,
    method: &str,
    warnings: &mut Warnings,
) -> Result<Result<Invitation, RefusedEvent>, CalendarError> {
    let written_uid = event
        .property("UID")
        .map(|u| unescape(&u.value).trim().to_owned())
        .filter(|u| !u.is_empty());
    let skip = |line: usize, kind: SkipKind, reason: String| RefusedEvent {
        line,
        uid: written_uid.clone(),
        kind,
        reason,
    };
    if matches!(method, "REPLY" | "COUNTER" | "DECLINECOUNTER" | "REFRESH") {
        return Ok(Err(skip(
            event.begin,
            SkipKind::Answer,
            format!("METHOD:{method} is an answer to an invitation, not an invitation"),
        )));
    }
    // An exception without DTSTART starts where its RECURRENCE-ID says it did.
    let Some(start_prop) = event
        .property("DTSTART")
        .or_else(|| event.property("RECURRENCE-ID"))
    else {
        return Err(CalendarError::at(
            event.begin,
            "VEVENT without DTSTART: an event without any start",
        ));
    };
    let text = |name: &str, max: usize, single_line: bool| -> Option<String> {
        let values: Vec<String> = event
            .properties_named(name)
            .map(|x| unescape(&x.value))
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
            joined.replace("\r\n", "\n").replace('\r', "\n")
        };
        value = value.trim().to_owned();
        if value.chars().count() > max {
            value = value.chars().take(max).collect();
        }
        (!value.is_empty()).then_some(value)
    };
    let summary = text("SUMMARY", NAME_MAX, true);
    let organizer_raw = event
        .property("ORGANIZER")
        .map(|o| o.value.trim().to_owned());
    let organizer = organizer_raw.as_deref().and_then(|v| {
        let email = v
            .get(..7)
            .filter(|m| m.eq_ignore_ascii_case("mailto:"))
            .map_or(v, |_| &v[7..]);
        let email = email.trim().to_lowercase();
        crate::values::normalise(crate::schema::FieldKind::Email, &Value::from(email), None)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
    });
    let uid = match &written_uid {
        Some(uid) if uid.chars().count() <= LINE_MAX && !uid.contains(['\n', '\r']) => uid.clone(),
        Some(uid) => derived_uid(uid),
        None => {
            let uid = derived_uid(&format!(
                "{}\u{1f}{}\u{1f}{}\u{1f}{}",
                organizer_raw.as_deref().unwrap_or(""),
                start_prop.param("TZID").unwrap_or(""),
                start_prop.value.trim(),
                summary.as_deref().unwrap_or("")
            ));
            warnings.push(
                event.begin,
                WarningKind::UidMade,
                format!(
                    "the event has no UID: it gets {uid}, made from its organiser, start and \
                     title (importing the file again updates it; a moved version becomes a new \
                     meeting)"
                ),
            );
            uid
        }
    };
    let skip = |line: usize, kind: SkipKind, reason: String| RefusedEvent {
        line,
        uid: Some(uid.clone()),
        kind,
        reason,
    };
    let start = match moment(start_prop, zones, warnings) {
        Ok(start) => start,
        Err(e) => {
            return Ok(Err(skip(
                start_prop.line,
                SkipKind::Unreadable,
                format!("DTSTART: {e}"),
            )))
        }
    };
    let length = event_length(event, &start, zones, warnings);
    let sequence = match event.property("SEQUENCE") {
        Some(s) => match s.value.trim().parse::<i64>() {
            Ok(n) => n.clamp(0, crate::schema::ICAL_SEQUENCE_MAX),
            Err(_) => {
                warnings.push(
                    s.line,
                    WarningKind::ValueIgnored,
                    format!("SEQUENCE {:?} is not a number: read as 0", s.value.trim()),
                );
                0
            }
        },
        None => 0,
    };
    let status = event
        .property("STATUS")
        .map(|s| s.value.trim().to_ascii_uppercase());
    let cancelled = method == "CANCEL" || status.as_deref() == Some("CANCELLED");
    let recurrence_id = match event.property("RECURRENCE-ID") {
        Some(r) => match moment(r, zones, warnings).and_then(|m| occurrence_key(&m)) {
            Ok(key) => Some(key),
            Err(e) => {
                return Ok(Err(skip(
                    r.line,
                    SkipKind::Unreadable,
                    format!("RECURRENCE-ID: {e}"),
                )))
            }
        },
        None => None,
    };
    // An empty RRULE (calendarlabs.com writes `RRULE:`) says nothing; escaped separators
    // (`FREQ=DAILY\;COUNT=10`) are read as separators.
    let mut rules = event
        .properties_named("RRULE")
        .filter(|r| !r.value.trim().is_empty());
    let rule = match rules.next() {
        Some(r) if recurrence_id.is_none() => {
            match rrule::parse(&r.value.replace("\\;", ";").replace("\\,", ",")) {
                Ok(rule) => {
                    for note in &rule.notes {
                        warnings.push(r.line, WarningKind::ValueIgnored, note.clone());
                    }
                    Some((rule, r.line))
                }
                Err(reason) => return Ok(Err(skip(r.line, SkipKind::UnsupportedRepeat, reason))),
            }
        }
        _ => None,
    };
    if rule.is_some() {
        for extra in rules.chain(event.properties_named("EXRULE")) {
            warnings.push(
                extra.line,
                WarningKind::ValueIgnored,
                format!(
                    "{} is left out: Wijkwerk follows one recurrence rule per event",
                    extra.name
                ),
            );
        }
    }
    let mut exdates = Vec::new();
    let mut exdays = Vec::new();
    let mut rdates = Vec::new();
    for x in event
        .properties
        .iter()
        .filter(|x| x.name == "EXDATE" || x.name == "RDATE")
    {
        for item in x.value.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            // A period (`start/end` or `start/duration`) is taken at its start.
            let item = item.split_once('/').map_or(item, |(start, _)| start);
            let read = moment_of(x, item, zones, warnings);
            let read = read.and_then(|m| occurrence_key(&m).map(|key| (m, key)));
            match read {
                Ok((m, key)) if x.name == "EXDATE" => {
                    if let (Written::Date(d), false) = (m.written, start.all_day()) {
                        exdays.push(d);
                    }
                    exdates.push(key);
                }
                Ok((m, _)) => rdates.push(m),
                Err(e) => warnings.push(
                    x.line,
                    WarningKind::ValueIgnored,
                    format!("{} {item:?} left out: {e}", x.name),
                ),
            }
        }
    }
    let categories = event
        .properties_named("CATEGORIES")
        .map(|x| unescape(&x.value))
        .collect::<Vec<_>>()
        .join(",");
    Ok(Ok(Invitation {
        line: event.begin,
        uid,
        recurrence_id,
        sequence,
        summary,
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
        exdays,
        rdates,
        categories,
    }))
}

/// How long an event lasts, in its own wall-clock time: DTEND − DTSTART, else DURATION, else
/// nothing (a day for an all-day event). An end that cannot be used is left out with a warning.
fn event_length(
    event: &Component,
    start: &Moment,
    zones: &mut Zones,
    warnings: &mut Warnings,
) -> Span {
    let default = if start.all_day() {
        1.day()
    } else {
        Span::new()
    };
    let start_ts = start.timestamp().ok();
    let adjusted = |warnings: &mut Warnings, line: usize, why: String| {
        let then = if start.all_day() {
            "it is read as one day"
        } else {
            "the meeting gets no length"
        };
        warnings.push(line, WarningKind::TimeAdjusted, format!("{why}: {then}"));
        default
    };
    if let Some(end_prop) = event.property("DTEND") {
        let end = match moment(end_prop, zones, warnings) {
            Ok(end) => end,
            Err(e) => return adjusted(warnings, end_prop.line, format!("DTEND: {e}")),
        };
        if end.all_day() != start.all_day() {
            return adjusted(
                warnings,
                end_prop.line,
                "DTEND is a date and DTSTART a date and time (or the other way round)".into(),
            );
        }
        if start.all_day() && end.local() == start.local() {
            return default;
        }
        let end_ts = end.timestamp().ok();
        if end_ts < start_ts {
            return adjusted(warnings, end_prop.line, "DTEND is before DTSTART".into());
        }
        return match start.local().until(end.local()) {
            Ok(span) => span,
            Err(e) => adjusted(warnings, end_prop.line, format!("DTEND: {e}")),
        };
    }
    if let Some(duration) = event.property("DURATION") {
        let fits = parse_duration(&duration.value).and_then(|span| {
            start
                .local()
                .checked_add(span)
                .map(|_| span)
                .map_err(|e| e.to_string())
        });
        return match fits {
            Ok(span) => span,
            Err(e) => adjusted(warnings, duration.line, format!("DURATION: {e}")),
        };
    }
    default
}

/// One invitation per UID and occurrence: of two, the higher SEQUENCE (then the later one in the
/// file) is kept.
fn without_duplicates(invitations: Vec<Invitation>, warnings: &mut Warnings) -> Vec<Invitation> {
    let mut kept: Vec<Invitation> = Vec::with_capacity(invitations.len());
    let mut index: HashMap<(String, Option<String>), usize> = HashMap::new();
    for inv in invitations {
        let key = (inv.uid.clone(), inv.recurrence_id.clone());
        match index.get(&key) {
            Some(&at) => {
                let (dropped, used) = if inv.sequence >= kept[at].sequence {
                    (kept[at].line, inv.line)
                } else {
                    (inv.line, kept[at].line)
                };
                warnings.push(
                    dropped,
                    WarningKind::Duplicate,
                    format!(
                        "the same event (UID {}) as the one of line {used}, which is imported",
                        inv.uid
                    ),
                );
                if inv.sequence >= kept[at].sequence {
                    kept[at] = inv;
                }
            }
            None => {
                index.insert(key, kept.len());
                kept.push(inv);
            }
        }
    }
    kept
}

/// Turns invitations into occurrences: single events as they are, recurring ones expanded with
/// their exceptions applied. An invitation that cannot be placed is skipped in the report.
fn expand_all(
    invitations: Vec<Invitation>,
    window_start: Timestamp,
    horizon: Timestamp,
    report: &mut ImportReport,
    warnings: &mut Warnings,
) -> Vec<Occurrence> {
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
    let unreadable = |inv: &Invitation, line: usize, reason: String| RefusedEvent {
        line,
        uid: Some(inv.uid.clone()),
        kind: SkipKind::Unreadable,
        reason,
    };
    let mut out = Vec::new();
    for inv in masters {
        if out.len() >= MAX_MEETINGS {
            warnings.push(
                inv.line,
                WarningKind::RepeatLimited,
                format!(
                    "the file has more meetings than Wijkwerk imports at once ({MAX_MEETINGS}): \
                     the events from this line on are left out"
                ),
            );
            overrides.clear();
            break;
        }
        if id_from_uid(&inv.uid).is_some() && inv.categories.contains("Actiepunt") {
            report.refused.push(RefusedEvent {
                line: inv.line,
                uid: Some(inv.uid.clone()),
                kind: SkipKind::ActionPoint,
                reason: "is an action point's due date, not a meeting".into(),
            });
            continue;
        }
        let Some((rule, rule_line)) = inv.rule.clone() else {
            // A cancellation of a whole series without RRULE still reaches its occurrences.
            match single(&inv, None) {
                Ok(occ) => out.push(occ),
                Err(e) => report.refused.push(unreadable(&inv, inv.line, e)),
            }
            continue;
        };
        let until = match &rule.until_text {
            None => None,
            Some(text) => match until(text, &inv) {
                Ok(until) => Some(until),
                Err(e) => {
                    report
                        .refused
                        .push(unreadable(&inv, rule_line, format!("RRULE UNTIL: {e}")));
                    continue;
                }
            },
        };
        let local_of = |at: Timestamp| match &inv.start.frame.zone {
            Zone::Rules { tz, .. } => at.to_zoned(tz.clone()).datetime(),
            Zone::Observances(_) => at.to_zoned(TimeZone::UTC).datetime(),
        };
        let horizon_local = local_of(horizon).max(
            inv.start
                .local()
                .checked_add(1.year())
                .unwrap_or(inv.start.local()),
        );
        // A little before the window, so that a meeting running into it is not lost.
        let from_local = local_of(window_start)
            .checked_sub(2.days())
            .ok()
            .and_then(|from| from.checked_sub(inv.length).ok())
            .unwrap_or(DateTime::MIN);
        let expansion = rrule::expand(&rule, inv.start.local(), until, from_local, horizon_local);
        if expansion.limited {
            warnings.push(
                rule_line,
                WarningKind::RepeatLimited,
                format!(
                    "the series has more meetings than Wijkwerk makes from one invitation: \
                     {} are made",
                    expansion.starts.len()
                ),
            );
        }
        let mut starts = expansion.starts;
        for r in &inv.rdates {
            if !starts.contains(&r.local()) && starts.len() < rrule::MAX_OCCURRENCES {
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
            let Ok(key) = occurrence_key(&occurrence) else {
                continue;
            };
            if inv.exdates.contains(&key) || inv.exdays.contains(&local.date()) {
                continue;
            }
            if let Some(exception) = overrides.remove(&(inv.uid.clone(), key.clone())) {
                match single(&exception, Some(key)) {
                    Ok(mut occ) => {
                        occ.from_series = true;
                        out.push(occ);
                    }
                    Err(e) => report
                        .refused
                        .push(unreadable(&exception, exception.line, e)),
                }
                continue;
            }
            let placed = single(&inv, Some(key)).and_then(|mut occ| {
                occ.from_series = true;
                occ.starts_at = occurrence.timestamp()?;
                let end_local = local.checked_add(inv.length).map_err(|e| e.to_string())?;
                occ.ends_at = inv
                    .start
                    .frame
                    .zone
                    .to_timestamp(end_local)?
                    .max(occ.starts_at);
                Ok(occ)
            });
            match placed {
                // Long-past occurrences of a long-running series are not worth a meeting each.
                Ok(occ) if occ.ends_at < window_start => {}
                Ok(occ) => out.push(occ),
                // An occurrence no zone can place (past the year 9999): the series ends there.
                Err(_) => break,
            }
        }
    }
    // Exceptions whose series is not in the file: an update or cancellation of one occurrence.
    let mut rest: Vec<Invitation> = overrides.into_values().collect();
    rest.sort_by_key(|i| i.line);
    rest.truncate(MAX_MEETINGS.saturating_sub(out.len()));
    for inv in rest {
        let rid = inv.recurrence_id.clone();
        match single(&inv, rid) {
            Ok(occ) => out.push(occ),
            Err(e) => report.refused.push(unreadable(&inv, inv.line, e)),
        }
    }
    out
}

fn until(text: &str, inv: &Invitation) -> Result<Until, String> {
    let (dt, utc) = match scan::parse_when(text)? {
        When::Date(d) => {
            return Ok(if inv.all_day {
                Until::Date(d)
            } else {
                Until::At(d.to_datetime(Time::constant(23, 59, 59, 0)))
            })
        }
        When::DateTime(dt, utc) => (dt, utc),
    };
    if inv.all_day {
        return Ok(Until::Date(dt.date()));
    }
    if utc {
        // An UNTIL past what a timestamp holds (9999-12-31) is as good as none.
        let Ok(ts) = Offset::UTC.to_timestamp(dt) else {
            return Ok(Until::At(dt));
        };
        let local = match &inv.start.frame.zone {
            Zone::Rules { tz, .. } => ts.to_zoned(tz.clone()).datetime(),
            Zone::Observances(_) => dt,
        };
        Ok(Until::At(local))
    } else {
        Ok(Until::At(dt))
    }
}

fn single(inv: &Invitation, recurrence_id: Option<String>) -> Result<Occurrence, String> {
    let starts_at = inv.start.timestamp()?;
    let end_local = inv
        .start
        .local()
        .checked_add(inv.length)
        .map_err(|e| e.to_string())?;
    let ends_at = inv.start.frame.zone.to_timestamp(end_local)?.max(starts_at);
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
