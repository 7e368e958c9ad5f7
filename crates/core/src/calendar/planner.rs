//! The yearly visit planner: for a chosen year, one kernbezoek per kern on a weekday afternoon and
//! two kernoverleggen per kern on weekday evenings (spring and autumn).
//!
//! Proposals avoid weekends, Dutch public holidays ([`super::holidays`]) and the Friday after
//! Ascension (a common bridge day), the school holidays of the region
//! ([`super::school_holidays`]), days on which the coordinator already has a meeting or visit in
//! the same part of the day, and bunching: at most one kernbezoek and one kernoverleg a week (two
//! only when a season is too short for the number of kernen).
//!
//! Proposals are computed, not stored: the same store, year and region always give the same
//! proposals. Each kern keeps its place in the year (kernen are ordered by the date of their last
//! kernbezoek before the year, and spread evenly over the season), so confirming one proposal
//! does not move the others. Confirmed proposals become visits (`confirmed`) and meetings
//! (`planned`) through [`Store::write`]; the confirmed schedule exports as one calendar
//! ([`super::export::ExportFilter::schedule`]).

use super::holidays;
use super::school_holidays::SchoolHoliday;
use crate::error::{Error, Result};
use crate::schema::{Entity, SCHOOL_REGIONS};
use crate::store::Store;
use crate::write::Write;
use jiff::civil::{Date, DateTime, Time, Weekday};
use jiff::tz::TimeZone;
use jiff::Timestamp;
use serde::Serialize;
use serde_json::Map;
use std::collections::{BTreeSet, HashMap};
use uuid::Uuid;

/// What to plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanRequest {
    pub year: i16,
    /// `noord`, `midden` or `zuid`.
    pub region: String,
    /// A kernbezoek's afternoon.
    pub visit_start: Time,
    pub visit_end: Time,
    /// A kernoverleg's evening.
    pub meeting_start: Time,
    pub meeting_end: Time,
}

impl PlanRequest {
    pub fn new(year: i16, region: &str) -> PlanRequest {
        PlanRequest {
            year,
            region: region.to_owned(),
            visit_start: Time::constant(13, 30, 0, 0),
            visit_end: Time::constant(16, 30, 0, 0),
            meeting_start: Time::constant(19, 30, 0, 0),
            meeting_end: Time::constant(21, 30, 0, 0),
        }
    }
}

/// One proposed kernbezoek or kernoverleg.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct Proposal {
    /// Stable key: `2027/kernbezoek/<kern id>`, `2027/kernoverleg-voorjaar/<kern id>`.
    pub key: String,
    /// `kernbezoek` or `kernoverleg`.
    pub kind: &'static str,
    /// `voorjaar` or `najaar` for a kernoverleg.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub season: Option<&'static str>,
    pub kern_id: String,
    pub kern_name: String,
    #[ts(type = "string")]
    pub date: Date,
    /// The Dutch weekday: `dinsdag`.
    pub weekday: &'static str,
    /// Local start and end (`2027-04-13T13:30`), in Dutch time.
    pub local_start: String,
    pub local_end: String,
    /// In UTC, as stored.
    pub starts_at: String,
    pub ends_at: String,
    pub title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub location: Option<String>,
    /// The kern's kernoverleg (for a kernoverleg).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub organisation_id: Option<String>,
    /// Why this date and not the one aimed at (what was avoided).
    pub notes: Vec<String>,
}

/// A kernbezoek or kernoverleg of the year that exists already (so none is proposed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct AlreadyPlanned {
    pub key: String,
    pub entity: &'static str,
    pub id: String,
    pub kern_name: String,
    pub starts_at: String,
    pub status: String,
}

/// A year's proposals and what they avoided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct Plan {
    pub year: i16,
    pub region: String,
    pub proposals: Vec<Proposal>,
    pub already_planned: Vec<AlreadyPlanned>,
    /// Proposals that found no free day in their season.
    pub unplaced: Vec<String>,
    pub public_holidays: Vec<holidays::PublicHoliday>,
    pub school_holidays: Vec<SchoolHoliday>,
}

/// The coordinator's decision on one proposal: confirm it, at its date or moved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Confirmation {
    pub key: String,
    /// A new local start (same length); `None` keeps the proposed time.
    pub moved_to: Option<DateTime>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Part {
    Afternoon,
    Evening,
}

struct Kern {
    id: String,
    name: String,
    /// Month and day of the last kernbezoek before the year (for its place in the year).
    last_visit: Option<(i8, i8)>,
}

/// A season to spread proposals over.
struct Season {
    kind: &'static str,
    label: Option<&'static str>,
    from: Date,
    to: Date,
    part: Part,
}

const DUTCH_WEEKDAYS: [&str; 7] = [
    "maandag",
    "dinsdag",
    "woensdag",
    "donderdag",
    "vrijdag",
    "zaterdag",
    "zondag",
];

fn dutch_weekday(d: Date) -> &'static str {
    DUTCH_WEEKDAYS[d.weekday().to_monday_zero_offset() as usize]
}

fn bad(e: impl std::fmt::Display) -> Error {
    Error::BadRequest(e.to_string())
}

impl Store {
    /// The school-holiday region configured on the municipality (`school_region` of the area of
    /// kind `municipality`), if any.
    pub fn school_region(&self) -> Result<Option<String>> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT school_region FROM area WHERE deleted = 0 AND kind = 'municipality'
                   AND school_region IS NOT NULL ORDER BY local_seq LIMIT 1",
            )?
            .query_row([], |r| r.get(0))
            .ok())
    }

    /// Proposes the year's kernbezoeken and kernoverleggen.
    pub fn plan_year(&self, request: &PlanRequest) -> Result<Plan> {
        if !SCHOOL_REGIONS.contains(&request.region.as_str()) {
            return Err(Error::BadRequest(format!(
                "region must be one of {}; got {:?}",
                SCHOOL_REGIONS.join(", "),
                request.region
            )));
        }
        if !(1900..=9000).contains(&request.year) {
            return Err(Error::BadRequest(format!(
                "{} is not a year to plan",
                request.year
            )));
        }
        let tz = TimeZone::get(crate::DEFAULT_TIME_ZONE).map_err(bad)?;
        let year = request.year;
        let school: Vec<SchoolHoliday> = self
            .school_holidays(Some(&request.region))?
            .into_iter()
            .filter(|h| h.end_date.year() >= year && h.start_date.year() <= year)
            .collect();
        let public = holidays::public_holidays(year);
        let blocked = |d: Date| -> Option<String> {
            if matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday) {
                return Some("weekend".into());
            }
            if let Some(h) = public.iter().find(|h| h.date == d) {
                return Some(h.name.to_owned());
            }
            if let Some(ascension) = public.iter().find(|h| h.name == "Hemelvaartsdag") {
                if ascension.date.tomorrow().ok() == Some(d) {
                    return Some("vrijdag na Hemelvaart".into());
                }
            }
            school
                .iter()
                .find(|h| h.start_date <= d && d <= h.end_date)
                .map(|h| format!("{} ({})", h.name, h.region))
        };

        let kernen = self.plan_kernen(year)?;
        // What the coordinator already has: busy parts of days, and the year's kernbezoeken and
        // kernoverleggen per kern.
        let mut busy: BTreeSet<(Date, Part)> = BTreeSet::new();
        // Days that already hold a kernbezoek or kernoverleg: never two on one day.
        let mut planner_days: BTreeSet<Date> = BTreeSet::new();
        let mut week_load: HashMap<(i16, i8, &'static str), usize> = HashMap::new();
        let mut existing: HashMap<String, AlreadyPlanned> = HashMap::new();
        let (from, to) = (
            tz.to_timestamp(
                Date::new(year, 1, 1)
                    .map_err(bad)?
                    .to_datetime(Time::midnight()),
            )
            .map_err(bad)?,
            tz.to_timestamp(
                Date::new(year + 1, 1, 1)
                    .map_err(bad)?
                    .to_datetime(Time::midnight()),
            )
            .map_err(bad)?,
        );
        for (entity, table) in [(Entity::Meeting, "meeting"), (Entity::Visit, "visit")] {
            let sql = format!(
                "SELECT t.id, t.kind, t.area_id, t.starts_at, t.ends_at, t.status, t.organisation_id,
                        t.title
                 FROM {table} t WHERE t.deleted = 0 AND t.status != 'cancelled'
                   AND t.starts_at >= ?1 AND t.starts_at < ?2 ORDER BY t.starts_at, t.id"
            )
            .replace(
                "t.organisation_id",
                if table == "visit" { "NULL" } else { "t.organisation_id" },
            );
            let mut stmt = self.conn.prepare(&sql)?;
            let rows = stmt.query_map((from.to_string(), to.to_string()), |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, Option<String>>(1)?,
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, Option<String>>(5)?,
                    r.get::<_, Option<String>>(6)?,
                    r.get::<_, Option<String>>(7)?,
                ))
            })?;
            for row in rows {
                let (id, kind, area, starts, ends, status, organisation, title) = row?;
                let (Ok(starts), Ok(ends)) =
                    (starts.parse::<Timestamp>(), ends.parse::<Timestamp>())
                else {
                    continue;
                };
                let (ls, le) = (starts.to_zoned(tz.clone()), ends.to_zoned(tz.clone()));
                for part in parts_of(ls.datetime(), le.datetime()) {
                    busy.insert(part);
                }
                let kind = kind.unwrap_or_default();
                let planner_kind = match (entity, kind.as_str()) {
                    (Entity::Visit, "kernbezoek") => "kernbezoek",
                    (Entity::Meeting, "kernoverleg") => "kernoverleg",
                    _ => continue,
                };
                planner_days.insert(ls.date());
                let week = ls.date().iso_week_date();
                *week_load
                    .entry((week.year(), week.week(), planner_kind))
                    .or_default() += 1;
                let kern = match area.as_deref() {
                    Some(a) => Some(self.plan_kern_of(a)?),
                    None => match organisation.as_deref() {
                        Some(o) => self.plan_kern_of_organisation(o, &kernen)?,
                        None => None,
                    },
                };
                let Some(kern) = kern else { continue };
                let Some(k) = kernen.iter().find(|k| k.id == kern) else {
                    continue;
                };
                // A kernoverleg's season: as its title says (a confirmed proposal keeps it when
                // moved), else by its month.
                let title = title.unwrap_or_default().to_lowercase();
                let spring = if title.contains("voorjaar") {
                    true
                } else if title.contains("najaar") {
                    false
                } else {
                    ls.month() <= 7
                };
                let key = match planner_kind {
                    "kernbezoek" => format!("{year}/kernbezoek/{}", k.id),
                    _ if spring => format!("{year}/kernoverleg-voorjaar/{}", k.id),
                    _ => format!("{year}/kernoverleg-najaar/{}", k.id),
                };
                existing.entry(key.clone()).or_insert(AlreadyPlanned {
                    key,
                    entity: entity.name(),
                    id,
                    kern_name: k.name.clone(),
                    starts_at: starts.to_string(),
                    status: status.unwrap_or_default(),
                });
            }
        }

        let d = |m, day| Date::new(year, m, day).map_err(bad);
        let seasons = [
            Season {
                kind: "kernoverleg",
                label: Some("voorjaar"),
                from: d(3, 1)?,
                to: d(6, 30)?,
                part: Part::Evening,
            },
            Season {
                kind: "kernbezoek",
                label: None,
                from: d(4, 1)?,
                to: d(10, 31)?,
                part: Part::Afternoon,
            },
            Season {
                kind: "kernoverleg",
                label: Some("najaar"),
                from: d(9, 1)?,
                to: d(11, 30)?,
                part: Part::Evening,
            },
        ];
        let mut proposals = Vec::new();
        let mut unplaced = Vec::new();
        for season in &seasons {
            // Weeks of the season with at least one weekday that is not blocked.
            let mut weeks: Vec<(i16, i8)> = Vec::new();
            let mut day = season.from;
            while day <= season.to {
                if blocked(day).is_none() {
                    let w = day.iso_week_date();
                    if weeks.last() != Some(&(w.year(), w.week())) {
                        weeks.push((w.year(), w.week()));
                    }
                }
                day = day.tomorrow().map_err(bad)?;
            }
            if weeks.is_empty() {
                continue;
            }
            let n = kernen.len();
            for (i, kern) in kernen.iter().enumerate() {
                let key = match season.label {
                    Some(label) => format!("{year}/{}-{label}/{}", season.kind, kern.id),
                    None => format!("{year}/{}/{}", season.kind, kern.id),
                };
                if existing.contains_key(&key) {
                    continue;
                }
                // Kern i aims at the middle of its share of the season.
                let target = ((2 * i + 1) * weeks.len()) / (2 * n.max(1));
                let target = target.min(weeks.len() - 1);
                let placed = [1usize, 2].iter().find_map(|max_per_week| {
                    place(
                        &weeks,
                        target,
                        season,
                        *max_per_week,
                        &blocked,
                        &busy,
                        &planner_days,
                        &week_load,
                    )
                });
                let Some(date) = placed else {
                    unplaced.push(key);
                    continue;
                };
                let w = date.iso_week_date();
                *week_load
                    .entry((w.year(), w.week(), season.kind))
                    .or_default() += 1;
                busy.insert((date, season.part));
                planner_days.insert(date);
                let mut notes = Vec::new();
                let aimed = weeks[target];
                if (w.year(), w.week()) != aimed {
                    notes.push(format!(
                        "verschoven van week {} naar week {}",
                        aimed.1,
                        w.week()
                    ));
                }
                let (start, end) = match season.part {
                    Part::Afternoon => (request.visit_start, request.visit_end),
                    Part::Evening => (request.meeting_start, request.meeting_end),
                };
                let (ls, le) = (date.to_datetime(start), date.to_datetime(end));
                let (starts_at, ends_at) = (
                    tz.to_timestamp(ls).map_err(bad)?,
                    tz.to_timestamp(le).map_err(bad)?,
                );
                let (title, organisation_id, location) = if season.kind == "kernbezoek" {
                    (
                        format!("Kernbezoek {} {year}", kern.name),
                        None,
                        self.plan_last_location("visit", "kernbezoek", &kern.id)?,
                    )
                } else {
                    let label = season.label.unwrap_or_default();
                    (
                        format!("Kernoverleg {} {label} {year}", kern.name),
                        self.plan_kernoverleg_of(&kern.id)?,
                        self.plan_last_location("meeting", "kernoverleg", &kern.id)?,
                    )
                };
                proposals.push(Proposal {
                    key,
                    kind: season.kind,
                    season: season.label,
                    kern_id: kern.id.clone(),
                    kern_name: kern.name.clone(),
                    date,
                    weekday: dutch_weekday(date),
                    local_start: ls.strftime("%Y-%m-%dT%H:%M").to_string(),
                    local_end: le.strftime("%Y-%m-%dT%H:%M").to_string(),
                    starts_at: starts_at.to_string(),
                    ends_at: ends_at.to_string(),
                    title,
                    location,
                    organisation_id,
                    notes,
                });
            }
        }
        proposals.sort_by(|a, b| (a.date, &a.key).cmp(&(b.date, &b.key)));
        let mut already_planned: Vec<AlreadyPlanned> = existing.into_values().collect();
        already_planned.sort_by(|a, b| (&a.starts_at, &a.key).cmp(&(&b.starts_at, &b.key)));
        Ok(Plan {
            year,
            region: request.region.clone(),
            proposals,
            already_planned,
            unplaced,
            public_holidays: public.clone(),
            school_holidays: school,
        })
    }

    /// Confirms proposals of the year's plan (moved where asked): kernbezoeken become confirmed
    /// visits, kernoverleggen planned meetings, in one write. Proposals not named are dropped.
    pub fn confirm_plan(
        &mut self,
        request: &PlanRequest,
        confirmations: &[Confirmation],
    ) -> Result<Vec<(Entity, Uuid)>> {
        let plan = self.plan_year(request)?;
        let mut batch = Vec::new();
        for confirmation in confirmations {
            let Some(proposal) = plan.proposals.iter().find(|p| p.key == confirmation.key) else {
                let reason = if plan
                    .already_planned
                    .iter()
                    .any(|a| a.key == confirmation.key)
                {
                    "is already planned"
                } else {
                    "is not a proposal of this plan"
                };
                return Err(Error::BadRequest(format!("{} {reason}", confirmation.key)));
            };
            let (mut starts_at, mut ends_at) = (
                proposal.starts_at.parse::<Timestamp>().map_err(bad)?,
                proposal.ends_at.parse::<Timestamp>().map_err(bad)?,
            );
            if let Some(moved) = confirmation.moved_to {
                let length = starts_at.until(ends_at).map_err(bad)?;
                starts_at =
                    crate::values::instant(&moved.to_string(), Some(crate::DEFAULT_TIME_ZONE))
                        .map_err(|e| Error::BadRequest(format!("{}: {e}", confirmation.key)))?;
                ends_at = starts_at.checked_add(length).map_err(bad)?;
            }
            let mut fields = Map::new();
            fields.insert("kind".into(), proposal.kind.into());
            fields.insert("title".into(), proposal.title.clone().into());
            fields.insert("area_id".into(), proposal.kern_id.clone().into());
            fields.insert("starts_at".into(), starts_at.to_string().into());
            fields.insert("ends_at".into(), ends_at.to_string().into());
            fields.insert("time_zone".into(), crate::DEFAULT_TIME_ZONE.into());
            if let Some(location) = &proposal.location {
                fields.insert("location".into(), location.clone().into());
            }
            let entity = if proposal.kind == "kernbezoek" {
                fields.insert("status".into(), "confirmed".into());
                Entity::Visit
            } else {
                fields.insert("status".into(), "planned".into());
                if let Some(org) = &proposal.organisation_id {
                    fields.insert("organisation_id".into(), org.clone().into());
                }
                Entity::Meeting
            };
            batch.push(Write::create(entity, fields));
        }
        if batch.is_empty() {
            return Ok(Vec::new());
        }
        Ok(self.write(batch)?.records)
    }

    fn plan_kernen(&self, year: i16) -> Result<Vec<Kern>> {
        let before = format!("{year:04}-01-01");
        let mut stmt = self.conn.prepare(
            "SELECT a.id, a.name,
                    (SELECT max(v.starts_at) FROM visit v WHERE v.deleted = 0
                       AND v.kind = 'kernbezoek' AND v.status != 'cancelled'
                       AND v.area_id = a.id AND v.starts_at < ?1)
             FROM area a WHERE a.deleted = 0 AND a.kind = 'core' ORDER BY a.name, a.id",
        )?;
        let tz = TimeZone::get(crate::DEFAULT_TIME_ZONE).map_err(bad)?;
        let mut kernen: Vec<Kern> = stmt
            .query_map([&before], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, Option<String>>(1)?,
                    r.get::<_, Option<String>>(2)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?
            .into_iter()
            .map(|(id, name, last)| Kern {
                id,
                name: name.unwrap_or_default(),
                last_visit: last.and_then(|t| t.parse::<Timestamp>().ok()).map(|t| {
                    let d = t.to_zoned(tz.clone()).date();
                    (d.month(), d.day())
                }),
            })
            .collect();
        // Kernen with a kernbezoek last time keep their time of year; the others follow.
        kernen.sort_by(|a, b| {
            (a.last_visit.is_none(), a.last_visit, &a.name, &a.id).cmp(&(
                b.last_visit.is_none(),
                b.last_visit,
                &b.name,
                &b.id,
            ))
        });
        Ok(kernen)
    }

    /// The kern an area lies in.
    fn plan_kern_of(&self, area: &str) -> Result<String> {
        let mut current = area.to_owned();
        for _ in 0..8 {
            let found: Option<(Option<String>, Option<String>)> = self
                .conn
                .prepare_cached("SELECT kind, parent_id FROM area WHERE id = ?1")?
                .query_row([&current], |r| Ok((r.get(0)?, r.get(1)?)))
                .ok();
            match found {
                Some((Some(kind), Some(parent)))
                    if kind == "district" || kind == "neighbourhood" =>
                {
                    current = parent
                }
                _ => break,
            }
        }
        Ok(current)
    }

    fn plan_kern_of_organisation(
        &self,
        organisation: &str,
        kernen: &[Kern],
    ) -> Result<Option<String>> {
        let areas: Option<String> = self
            .conn
            .prepare_cached("SELECT area_ids FROM organisation WHERE id = ?1")?
            .query_row([organisation], |r| r.get(0))
            .ok()
            .flatten();
        let areas: Vec<String> = areas
            .and_then(|a| serde_json::from_str(&a).ok())
            .unwrap_or_default();
        for area in areas {
            let kern = self.plan_kern_of(&area)?;
            if kernen.iter().any(|k| k.id == kern) {
                return Ok(Some(kern));
            }
        }
        Ok(None)
    }

    /// The kern's kernoverleg organisation, if it has one.
    fn plan_kernoverleg_of(&self, kern: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT o.id FROM organisation o, json_each(o.area_ids) j
                 WHERE o.deleted = 0 AND o.kind = 'kernoverleg' AND j.value = ?1
                 ORDER BY o.id LIMIT 1",
            )?
            .query_row([kern], |r| r.get(0))
            .ok())
    }

    /// Where the kern's last kernbezoek or kernoverleg was held.
    fn plan_last_location(&self, table: &str, kind: &str, kern: &str) -> Result<Option<String>> {
        let sql = format!(
            "SELECT t.location FROM {table} t WHERE t.deleted = 0 AND t.kind = ?1
               AND t.location IS NOT NULL
               AND (t.area_id = ?2 OR t.area_id IN (SELECT id FROM area WHERE parent_id = ?2))
             ORDER BY t.starts_at DESC LIMIT 1"
        );
        Ok(self
            .conn
            .prepare_cached(&sql)?
            .query_row([kind, kern], |r| r.get(0))
            .ok())
    }
}

/// The parts of days an event covers (afternoon 12–18, evening 18–24).
fn parts_of(start: DateTime, end: DateTime) -> Vec<(Date, Part)> {
    let mut out = Vec::new();
    let mut day = start.date();
    while day <= end.date() && out.len() < 64 {
        for (part, from, to) in [
            (
                Part::Afternoon,
                Time::constant(12, 0, 0, 0),
                Time::constant(18, 0, 0, 0),
            ),
            (Part::Evening, Time::constant(18, 0, 0, 0), Time::MAX),
        ] {
            let (a, b) = (day.to_datetime(from), day.to_datetime(to));
            if start < b && end > a {
                out.push((day, part));
            }
        }
        let Ok(next) = day.tomorrow() else { break };
        day = next;
    }
    out
}

#[allow(clippy::too_many_arguments)]
/// The first free weekday near the target week: the target week, then one later, one earlier,
/// two later, ... Tuesday to Thursday first, then Monday, then Friday afternoons.
fn place(
    weeks: &[(i16, i8)],
    target: usize,
    season: &Season,
    max_per_week: usize,
    blocked: &dyn Fn(Date) -> Option<String>,
    busy: &BTreeSet<(Date, Part)>,
    planner_days: &BTreeSet<Date>,
    week_load: &HashMap<(i16, i8, &'static str), usize>,
) -> Option<Date> {
    let order: &[Weekday] = match season.part {
        Part::Afternoon => &[
            Weekday::Tuesday,
            Weekday::Wednesday,
            Weekday::Thursday,
            Weekday::Monday,
            Weekday::Friday,
        ],
        Part::Evening => &[
            Weekday::Tuesday,
            Weekday::Wednesday,
            Weekday::Thursday,
            Weekday::Monday,
        ],
    };
    let mut tried = 0;
    let mut step: i64 = 0;
    while tried < weeks.len() {
        let index = target as i64
            + if step % 2 == 0 {
                step / 2
            } else {
                -(step / 2 + 1)
            };
        step += 1;
        if index < 0 || index >= weeks.len() as i64 {
            if step > 2 * weeks.len() as i64 + 2 {
                break;
            }
            continue;
        }
        tried += 1;
        let (year, week) = weeks[index as usize];
        if week_load
            .get(&(year, week, season.kind))
            .copied()
            .unwrap_or(0)
            >= max_per_week
        {
            continue;
        }
        for weekday in order {
            let Ok(date) = jiff::civil::ISOWeekDate::new(year, week, *weekday).map(|w| w.date())
            else {
                continue;
            };
            if date < season.from || date > season.to || blocked(date).is_some() {
                continue;
            }
            // Never two planner items on one day, nor a clash with what is there.
            if busy.contains(&(date, season.part)) || planner_days.contains(&date) {
                continue;
            }
            return Some(date);
        }
    }
    None
}

/// Parses `KEY=YYYY-MM-DDTHH:MM` (or a date alone, keeping the proposed time) into a
/// confirmation; a plain key confirms it as proposed.
pub fn parse_confirmation(text: &str, plan: &Plan) -> Result<Confirmation> {
    let (key, when) = match text.split_once('=') {
        Some((key, when)) => (key.trim(), Some(when.trim())),
        None => (text.trim(), None),
    };
    let moved_to = match when {
        None => None,
        Some(when) if when.len() == 10 => {
            let date: Date = when.parse().map_err(bad)?;
            let proposal = plan
                .proposals
                .iter()
                .find(|p| p.key == key)
                .ok_or_else(|| {
                    Error::BadRequest(format!("{key} is not a proposal of this plan"))
                })?;
            let time = proposal
                .local_start
                .parse::<DateTime>()
                .map_err(bad)?
                .time();
            Some(date.to_datetime(time))
        }
        Some(when) => Some(when.parse::<DateTime>().map_err(|e| {
            Error::BadRequest(format!(
                "{when:?} is not a date and time (YYYY-MM-DDTHH:MM): {e}"
            ))
        })?),
    };
    Ok(Confirmation {
        key: key.to_owned(),
        moved_to,
    })
}
