//! The yearly report on area-based working, for the council: computed from the records, for a
//! year, per kern and for the whole municipality (or one area), with the previous year beside
//! it. One function computes it ([`Store::year_report`]); the screen, the PDF, the XLSX and the
//! CSV all show its [`YearReport::tables`], so every format carries the same numbers.
//!
//! Definitions (the report's own page "Toelichting" prints them):
//! - a year runs from 1 January 00:00 to 1 January 00:00 in Amsterdam time; for the running
//!   year the report stops at the start of today ("the end" below);
//! - **meetings held**: status held, starting in the year; attendance counts those present;
//! - **kernbezoeken held**: visits of kind kernbezoek with status held in the year;
//! - an action point's status at a moment is the last status change before it; it is
//!   **closed** when that status is `done` (on the day of that change), **vervallen** when
//!   `cancelled`; **open at the end** when opened before the end and not closed or vervallen
//!   then; **overdue at the end** when open at the end with a due date before it;
//! - **on time**: closed on or before the due date, as a share of those closed in the year that
//!   had a due date; **lead time**: days from opening to closing, of those closed in the year
//!   (median and 90th percentile, nearest rank);
//! - **stale**: open at the end and untouched (no status change or comment) for the set number
//!   of weeks; **closed without comment**: closed in the year and no comment or answer on it;
//! - an action point belongs to the kern of its area, else to that of its requesting
//!   organisation; to a department when its owner is one;
//! - **projects**: those whose period overlaps the year (no dates: always), by current status;
//!   milestones planned in the year, and how many were done (on time: on or before their date);
//! - **werkkapitaal**: see `budgets.rs`;
//! - a year **has data** when something happened in it: a meeting or visit held, an action
//!   point opened, closed or vervallen, a dated project running or a milestone planned, or a
//!   werkkapitaal set (open points carried over alone do not count).

use crate::areas::AreaIndex;
use crate::budgets::BudgetOverview;
use crate::error::{Error, Result};
use crate::store::Store;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};

use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// Weeks without a status change or comment after which an open action point is stale.
pub const DEFAULT_STALE_WEEKS: i64 = 8;

/// What to report on.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, ts_rs::TS)]
pub struct ReportRequest {
    pub year: i64,
    /// Only this area (and what lies inside it); the whole municipality when `None`.
    #[serde(default)]
    pub area_id: Option<String>,
    /// Weeks after which an untouched open action point is stale (default 8).
    #[serde(default)]
    pub stale_weeks: Option<i64>,
}

/// The yearly report.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct YearReport {
    pub year: i64,
    /// The area reported on: the municipality, or the area asked for.
    pub area_id: Option<String>,
    pub area_name: String,
    pub municipality: String,
    /// The first day and the day after the last day reported on (`YYYY-MM-DD`).
    pub period_start: String,
    pub period_end: String,
    /// Whether the year is still running (figures until today).
    pub running: bool,
    pub stale_weeks: i64,
    /// Whether there is anything to report for the year at all.
    pub has_data: bool,
    pub total: AreaFigures,
    /// The previous year's figures for the same area, for comparison.
    pub previous: AreaFigures,
    pub kernen: Vec<AreaFigures>,
    pub departments: Vec<DepartmentFigures>,
    pub stale: Vec<ActionPointLine>,
    pub closed_without_comment: Vec<ActionPointLine>,
}

/// A list of the report (its table's key) cut to its first `shown` of `total` rows.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct CutList {
    pub key: String,
    pub shown: usize,
    pub total: usize,
}

impl YearReport {
    /// Cuts the lists of action points (stale, closed without comment) to their first `limit`
    /// lines, for the places a whole list is too long to read (the PDF, the screen); the figures
    /// count every point still. Says which lists were cut.
    pub fn cut_lists(&mut self, limit: usize) -> Vec<CutList> {
        let mut cut = Vec::new();
        for (key, list) in [
            ("stilstaande_actiepunten", &mut self.stale),
            ("zonder_toelichting", &mut self.closed_without_comment),
        ] {
            if list.len() > limit {
                cut.push(CutList {
                    key: key.to_owned(),
                    shown: limit,
                    total: list.len(),
                });
                list.truncate(limit);
            }
        }
        cut
    }
}

/// The figures of one area (a kern, or the whole).
#[derive(Debug, Clone, PartialEq, Default, Serialize, ts_rs::TS)]
pub struct AreaFigures {
    pub area_id: Option<String>,
    pub name: String,
    pub meetings: Vec<MeetingFigures>,
    pub kernbezoeken_held: i64,
    pub wijkschouwen_held: i64,
    pub action_points: ActionPointFigures,
    pub projects: ProjectFigures,
    pub werkkapitaal: MoneyFigures,
}

/// Meetings of one kind held in the year.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct MeetingFigures {
    pub kind: String,
    pub held: i64,
    /// People present, summed over the meetings.
    pub present: i64,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, ts_rs::TS)]
pub struct ActionPointFigures {
    pub opened: i64,
    pub closed: i64,
    pub cancelled: i64,
    pub open_at_end: i64,
    pub overdue_at_end: i64,
    /// Closed in the year with a due date.
    pub closed_with_due_date: i64,
    pub closed_on_time: i64,
    /// `closed_on_time / closed_with_due_date`, `None` when nothing was closed with a due date.
    pub on_time_share: Option<f64>,
    pub lead_time_median_days: Option<i64>,
    pub lead_time_p90_days: Option<i64>,
    pub stale: i64,
    pub closed_without_comment: i64,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, ts_rs::TS)]
pub struct ProjectFigures {
    /// Projects by status, in the order of the status list (every status present).
    pub by_status: Vec<StatusCount>,
    pub total: i64,
    pub milestones_planned: i64,
    pub milestones_done: i64,
    pub milestones_on_time: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct StatusCount {
    pub status: String,
    pub count: i64,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, ts_rs::TS)]
pub struct MoneyFigures {
    /// Whether a werkkapitaal was set for the year.
    pub budgeted: bool,
    pub allocated_cents: i64,
    pub committed_cents: i64,
    pub spent_cents: i64,
    pub remaining_cents: i64,
    /// Kernoverleggen with less than half committed by the check date.
    pub under_spending: Vec<String>,
}

/// The action-point figures of the department that owns them: "afspraak is afspraak".
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct DepartmentFigures {
    pub organisation_id: String,
    pub name: String,
    pub action_points: ActionPointFigures,
}

/// An action point named in the report (stale, or closed without a comment).
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct ActionPointLine {
    pub id: String,
    pub title: String,
    pub kern: Option<String>,
    pub owner: Option<String>,
    pub opened_on: String,
    pub due_date: Option<String>,
    /// The last status change or comment (`YYYY-MM-DD`), or the opening day.
    pub last_touched: String,
}

/// Organisations by id: kind, name, first area.
type Organisations = HashMap<String, (String, String, Option<String>)>;

/// The action points a report reads, and their events folded up to each cutoff.
struct PointData {
    points: Vec<PointState>,
    folds: Vec<Vec<EventFold>>,
}

/// The instant a day starts in `zone`, as stored timestamps are written.
fn start_instant(date: Date, zone: &TimeZone) -> Result<String> {
    Ok(date
        .to_zoned(zone.clone())
        .map_err(|e| Error::BadRequest(e.to_string()))?
        .timestamp()
        .to_string())
}

/// One action point as the report sees it.
struct PointState {
    id: String,
    title: String,
    opened_on: String,
    due_date: Option<String>,
    kern: Option<String>,
    department: Option<String>,
    owner: Option<String>,
    in_scope: bool,
}

#[derive(Default)]
struct EventFold {
    /// The status after the last change before the end, and the instant of that change.
    status: Option<(String, String)>,
    /// Whether a comment or answer was written (before the end).
    commented: bool,
    /// The instant of the last status change or comment before the end.
    last_touched: Option<String>,
}

/// Local days of UTC instants (`2026-03-04T22:15:00Z`), remembered per UTC hour: the report
/// turns hundreds of thousands of event instants into days, and within an hour whose offset is
/// whole hours and the same at both ends, every instant falls on the same local day.
struct LocalDays {
    zone: TimeZone,
    by_hour: HashMap<String, Option<String>>,
}

impl LocalDays {
    fn new(zone: TimeZone) -> Self {
        LocalDays {
            zone,
            by_hour: HashMap::new(),
        }
    }

    fn day(&mut self, at: &str) -> Option<String> {
        // Only the canonical form is cached by its hour ("YYYY-MM-DDTHH:" ... "Z").
        let hour = at
            .get(..13)
            .filter(|_| at.len() > 14 && at.as_bytes()[13] == b':' && at.ends_with('Z'));
        let Some(hour) = hour else {
            return local_day(at, &self.zone);
        };
        if let Some(day) = self.by_hour.get(hour) {
            return day.clone();
        }
        let day = local_day(at, &self.zone);
        let start: Option<Timestamp> = format!("{hour}:00:00Z").parse().ok();
        let same_day_all_hour = start.is_some_and(|start| {
            let end = start.checked_add(3599.seconds()).ok();
            let first = self.zone.to_offset(start);
            end.is_some_and(|end| first == self.zone.to_offset(end)) && first.seconds() % 3600 == 0
        });
        if same_day_all_hour {
            self.by_hour.insert(hour.to_owned(), day.clone());
        }
        day
    }
}

impl Store {
    /// Computes the yearly report (see the module's definitions).
    pub fn year_report(&self, request: &ReportRequest, today: Date) -> Result<YearReport> {
        let areas = self.area_index()?;
        let scope = match &request.area_id {
            Some(id) => Some(
                areas
                    .get(id)
                    .ok_or_else(|| Error::BadRequest(format!("there is no area {id}")))?
                    .clone(),
            ),
            None => None,
        };
        let stale_weeks = request
            .stale_weeks
            .unwrap_or(DEFAULT_STALE_WEEKS)
            .clamp(1, 520);
        let year = request.year;
        if !(2000..=2200).contains(&year) {
            return Err(Error::BadRequest(format!(
                "{year} is not a year to report on (2000 to 2200)"
            )));
        }
        // The action points and their events are read once for both years (the most of the
        // work): folded up to the end of last year (cutoff 0) and of this year (cutoff 1).
        let scope_id = scope.as_ref().map(|a| a.id.as_str());
        let organisations = self.report_organisations()?;
        let cutoffs = [period(year - 1, today)?.1, period(year, today)?.1];
        let points = self.point_data(&areas, scope_id, &organisations, &cutoffs)?;
        let figures = self.year_figures(
            &areas,
            scope_id,
            year,
            today,
            stale_weeks,
            &organisations,
            &points,
            1,
        )?;
        let previous = self
            .year_figures(
                &areas,
                scope_id,
                year - 1,
                today,
                stale_weeks,
                &organisations,
                &points,
                0,
            )?
            .total;
        let municipality = match &scope {
            Some(area) => areas.municipality_of(&area.id),
            None => areas.all().find(|a| a.kind == "municipality"),
        }
        .map(|a| a.name.clone())
        .unwrap_or_default();
        let (start, end, running) = period(year, today)?;
        Ok(YearReport {
            year,
            area_id: scope.as_ref().map(|a| a.id.clone()),
            area_name: scope
                .as_ref()
                .map(|a| a.name.clone())
                .unwrap_or_else(|| municipality.clone()),
            municipality,
            period_start: start.to_string(),
            period_end: end.to_string(),
            running,
            stale_weeks,
            has_data: figures.has_data,
            total: figures.total,
            previous,
            kernen: figures.kernen,
            departments: figures.departments,
            stale: figures.stale,
            closed_without_comment: figures.closed_without_comment,
        })
    }

    /// Every organisation: kind, name and first area.
    fn report_organisations(&self) -> Result<Organisations> {
        // Organisations: kind, name, first area.
        let mut organisations: Organisations = HashMap::new();
        {
            let mut stmt = self.conn.prepare_cached(
                "SELECT id, coalesce(kind, ''), coalesce(name, ''), area_ids FROM organisation
                 WHERE deleted = 0",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, Option<String>>(3)?,
                ))
            })?;
            for row in rows {
                let (id, kind, name, area_ids) = row?;
                let first = area_ids
                    .and_then(|t| serde_json::from_str::<Vec<String>>(&t).ok())
                    .and_then(|a| a.into_iter().next());
                organisations.insert(id, (kind, name, first));
            }
        }
        Ok(organisations)
    }

    /// The action points opened before the last cutoff (end days), with their events folded up
    /// to each cutoff.
    fn point_data(
        &self,
        areas: &AreaIndex,
        scope: Option<&str>,
        organisations: &Organisations,
        cutoffs: &[Date],
    ) -> Result<PointData> {
        let zone = TimeZone::get(crate::DEFAULT_TIME_ZONE).unwrap_or(TimeZone::UTC);
        let last = cutoffs.iter().max().copied().unwrap_or(Date::MAX);
        let end_text = last.to_string();
        let end_at = start_instant(last, &zone)?;
        let cutoff_at: Vec<String> = cutoffs
            .iter()
            .map(|d| start_instant(*d, &zone))
            .collect::<Result<_>>()?;
        let in_scope = |area: Option<&str>| match (scope, area) {
            (None, _) => true,
            (Some(scope), Some(area)) => areas.is_within(area, scope),
            (Some(_), None) => false,
        };
        let org_area = |org: Option<&str>| {
            org.and_then(|o| organisations.get(o))
                .and_then(|(_, _, a)| a.clone())
        };
        // Action points opened before the end, and their events before the end.
        let mut points: Vec<PointState> = Vec::new();
        let mut by_id: HashMap<String, usize> = HashMap::new();
        {
            let mut stmt = self.conn.prepare_cached(
                "SELECT id, coalesce(title, ''), opened_on, due_date, area_id,
                        requester_organisation_id, owner_organisation_id
                 FROM action_point WHERE deleted = 0 AND opened_on < ?1",
            )?;
            let rows = stmt.query_map([&end_text], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Option<String>>(2)?.unwrap_or_default(),
                    r.get::<_, Option<String>>(3)?,
                    r.get::<_, Option<String>>(4)?,
                    r.get::<_, Option<String>>(5)?,
                    r.get::<_, Option<String>>(6)?,
                ))
            })?;
            for row in rows {
                let (id, title, opened_on, due_date, area, requester, owner) = row?;
                let area = area.or_else(|| org_area(requester.as_deref()));
                let owner_org = owner.as_deref().and_then(|o| organisations.get(o));
                let department = owner_org
                    .filter(|(kind, _, _)| kind == "department")
                    .and(owner.clone());
                let kern = area
                    .as_deref()
                    .and_then(|a| areas.kern_of(a))
                    .map(|k| k.id.clone());
                let owner = owner_org.map(|(_, name, _)| name.clone());
                by_id.insert(id.clone(), points.len());
                points.push(PointState {
                    id,
                    title,
                    opened_on,
                    due_date,
                    kern,
                    department,
                    owner,
                    in_scope: in_scope(area.as_deref()),
                });
            }
        }
        // The events in the table's own order (sorting every event by time costs more than the
        // rest of the report): per point, the latest status change and touch by instant.
        let mut folds: Vec<Vec<EventFold>> = cutoffs
            .iter()
            .map(|_| {
                let mut f = Vec::new();
                f.resize_with(points.len(), EventFold::default);
                f
            })
            .collect();
        {
            let mut stmt = self.conn.prepare_cached(
                "SELECT action_point_id, kind, to_status, at, comment IS NOT NULL
                 FROM action_point_event WHERE deleted = 0 AND at < ?1",
            )?;
            let mut rows = stmt.query([&end_at])?;
            while let Some(r) = rows.next()? {
                let point = r.get_ref(0)?.as_str().map_err(rusqlite::Error::from)?;
                let Some(&i) = by_id.get(point) else {
                    continue;
                };
                let at: String = r.get(3)?;
                let status_change =
                    r.get_ref(1)?.as_str().map_err(rusqlite::Error::from)? == "status_change";
                let to: Option<String> = if status_change { r.get(2)? } else { None };
                let commented: bool = r.get(4)?;
                for (c, cutoff) in cutoff_at.iter().enumerate() {
                    if at >= *cutoff {
                        continue;
                    }
                    let fold = &mut folds[c][i];
                    if let Some(to) = &to {
                        if fold.status.as_ref().is_none_or(|(_, when)| at >= *when) {
                            fold.status = Some((to.clone(), at.clone()));
                        }
                    }
                    fold.commented |= commented;
                    if fold.last_touched.as_ref().is_none_or(|when| at >= *when) {
                        fold.last_touched = Some(at.clone());
                    }
                }
            }
        }
        let mut days = LocalDays::new(zone.clone());
        let mut day_of = |at: &str| {
            days.day(at)
                .unwrap_or_else(|| at.get(..10).unwrap_or("").to_owned())
        };
        for fold in folds.iter_mut().flatten() {
            if let Some((_, at)) = &mut fold.status {
                *at = day_of(at);
            }
            if let Some(at) = &mut fold.last_touched {
                *at = day_of(at);
            }
        }
        Ok(PointData { points, folds })
    }

    #[allow(clippy::too_many_arguments)]
    fn year_figures(
        &self,
        areas: &AreaIndex,
        scope: Option<&str>,
        year: i64,
        today: Date,
        stale_weeks: i64,
        organisations: &Organisations,
        points: &PointData,
        cutoff: usize,
    ) -> Result<Figures> {
        let (start, end, _) = period(year, today)?;
        let zone = TimeZone::get(crate::DEFAULT_TIME_ZONE).unwrap_or(TimeZone::UTC);
        let instant = |date: Date| -> Result<String> {
            Ok(date
                .to_zoned(zone.clone())
                .map_err(|e| Error::BadRequest(e.to_string()))?
                .timestamp()
                .to_string())
        };
        let (start_at, end_at) = (instant(start)?, instant(end)?);
        let (start_text, end_text) = (start.to_string(), end.to_string());
        let in_scope = |area: Option<&str>| match (scope, area) {
            (None, _) => true,
            (Some(scope), Some(area)) => areas.is_within(area, scope),
            (Some(_), None) => false,
        };
        let kern_of =
            |area: Option<&str>| area.and_then(|a| areas.kern_of(a)).map(|k| k.id.clone());

        let org_area = |org: Option<&str>| {
            org.and_then(|o| organisations.get(o))
                .and_then(|(_, _, a)| a.clone())
        };

        let mut groups: BTreeMap<String, Group> = BTreeMap::new();
        let mut total = Group::default();
        let mut has_data = false;

        // Meetings held, with those present.
        {
            let mut stmt = self.conn.prepare_cached(
                "SELECT m.kind, m.area_id, m.organisation_id,
                        (SELECT count(*) FROM attendance a WHERE a.meeting_id = m.id
                           AND a.deleted = 0 AND a.status = 'present')
                 FROM meeting m INDEXED BY meeting_starts
                 WHERE m.deleted = 0 AND m.status = 'held' AND m.starts_at >= ?1 AND m.starts_at < ?2",
            )?;
            let rows = stmt.query_map((&start_at, &end_at), |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, Option<String>>(1)?,
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, i64>(3)?,
                ))
            })?;
            for row in rows {
                let (kind, area, org, present) = row?;
                let area = area.or_else(|| org_area(org.as_deref()));
                if !in_scope(area.as_deref()) {
                    continue;
                }
                has_data = true;
                let add = |g: &mut Group| {
                    let entry = g.meetings.entry(kind.clone()).or_default();
                    entry.0 += 1;
                    entry.1 += present;
                };
                add(&mut total);
                if let Some(kern) = kern_of(area.as_deref()) {
                    add(groups.entry(kern).or_default());
                }
            }
        }
        // Visits held.
        {
            let mut stmt = self.conn.prepare_cached(
                "SELECT kind, area_id FROM visit INDEXED BY visit_starts
                 WHERE deleted = 0 AND status = 'held' AND starts_at >= ?1 AND starts_at < ?2",
            )?;
            let rows = stmt.query_map((&start_at, &end_at), |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?))
            })?;
            for row in rows {
                let (kind, area) = row?;
                if !in_scope(area.as_deref()) {
                    continue;
                }
                has_data = true;
                let add = |g: &mut Group| match kind.as_str() {
                    "kernbezoek" => g.kernbezoeken += 1,
                    _ => g.wijkschouwen += 1,
                };
                add(&mut total);
                if let Some(kern) = kern_of(area.as_deref()) {
                    add(groups.entry(kern).or_default());
                }
            }
        }

        let (points, folds) = (&points.points, &points.folds[cutoff]);
        let stale_before = end
            .checked_sub((stale_weeks * 7).days())
            .map_err(|e| Error::BadRequest(e.to_string()))?
            .to_string();
        let mut stale = Vec::new();
        let mut closed_without_comment = Vec::new();
        let mut departments: BTreeMap<String, Tally> = BTreeMap::new();
        let mut total_tally = Tally::default();
        let mut kern_tallies: BTreeMap<String, Tally> = BTreeMap::new();
        for (point, fold) in points.iter().zip(folds) {
            if !point.in_scope || point.opened_on >= end_text {
                continue;
            }
            let (status, changed_on) = fold
                .status
                .clone()
                .unwrap_or_else(|| ("open".to_owned(), point.opened_on.clone()));
            let opened = point.opened_on >= start_text;
            let closed = status == "done" && changed_on >= start_text;
            let cancelled = status == "cancelled" && changed_on >= start_text;
            let open = crate::schema::ACTION_POINT_OPEN_STATUSES.contains(&status.as_str());
            if !(opened || closed || cancelled || open) {
                continue;
            }
            // Points only carried over from earlier years do not make a year with data.
            has_data |= opened || closed || cancelled;
            let last_touched = fold
                .last_touched
                .clone()
                .filter(|d| *d > point.opened_on)
                .unwrap_or_else(|| point.opened_on.clone());
            let is_stale = open && last_touched < stale_before;
            let overdue = open
                && point
                    .due_date
                    .as_deref()
                    .is_some_and(|d| d < end_text.as_str());
            let lead = closed
                .then(|| days_between(&point.opened_on, &changed_on))
                .flatten();
            let on_time = closed
                .then(|| point.due_date.as_deref().map(|d| changed_on.as_str() <= d))
                .flatten();
            let no_comment = closed && !fold.commented;
            let apply = |t: &mut Tally| {
                t.figures.opened += i64::from(opened);
                t.figures.closed += i64::from(closed);
                t.figures.cancelled += i64::from(cancelled);
                t.figures.open_at_end += i64::from(open);
                t.figures.overdue_at_end += i64::from(overdue);
                t.figures.stale += i64::from(is_stale);
                t.figures.closed_without_comment += i64::from(no_comment);
                if let Some(on_time) = on_time {
                    t.figures.closed_with_due_date += 1;
                    t.figures.closed_on_time += i64::from(on_time);
                }
                if let Some(lead) = lead {
                    t.lead_times.push(lead);
                }
            };
            apply(&mut total_tally);
            if let Some(kern) = &point.kern {
                apply(kern_tallies.entry(kern.clone()).or_default());
            }
            if let Some(department) = &point.department {
                apply(departments.entry(department.clone()).or_default());
            }
            let line = || ActionPointLine {
                id: point.id.clone(),
                title: point.title.clone(),
                kern: point
                    .kern
                    .as_deref()
                    .and_then(|k| areas.get(k))
                    .map(|k| k.name.clone()),
                owner: point.owner.clone(),
                opened_on: point.opened_on.clone(),
                due_date: point.due_date.clone(),
                last_touched: last_touched.clone(),
            };
            if is_stale {
                stale.push(line());
            }
            if no_comment {
                closed_without_comment.push(line());
            }
        }
        stale.sort_by(|a, b| a.last_touched.cmp(&b.last_touched).then(a.id.cmp(&b.id)));
        closed_without_comment.sort_by(|a, b| a.opened_on.cmp(&b.opened_on).then(a.id.cmp(&b.id)));

        // Projects whose period overlaps the year, and their milestones in the year.
        let mut project_groups: BTreeMap<String, ProjectFigures> = BTreeMap::new();
        let mut project_total = ProjectFigures::default();
        {
            let mut stmt = self.conn.prepare_cached(
                "SELECT p.status, p.area_ids, p.start_date IS NOT NULL OR p.end_date IS NOT NULL,
                        (SELECT count(*) FROM milestone m WHERE m.project_id = p.id AND m.deleted = 0
                           AND m.date >= ?1 AND m.date < ?2),
                        (SELECT count(*) FROM milestone m WHERE m.project_id = p.id AND m.deleted = 0
                           AND m.date >= ?1 AND m.date < ?2 AND m.done_on IS NOT NULL AND m.done_on < ?2),
                        (SELECT count(*) FROM milestone m WHERE m.project_id = p.id AND m.deleted = 0
                           AND m.date >= ?1 AND m.date < ?2 AND m.done_on IS NOT NULL AND m.done_on <= m.date)
                 FROM project p WHERE p.deleted = 0
                   AND (p.start_date IS NULL OR p.start_date < ?2)
                   AND (p.end_date IS NULL OR p.end_date >= ?1)",
            )?;
            let rows = stmt.query_map((&start_text, &end_text), |r| {
                Ok((
                    r.get::<_, Option<String>>(0)?.unwrap_or_default(),
                    r.get::<_, Option<String>>(1)?,
                    r.get::<_, bool>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, i64>(4)?,
                    r.get::<_, i64>(5)?,
                ))
            })?;
            for row in rows {
                let (status, area_ids, dated, planned, done, on_time) = row?;
                let area_ids: Vec<String> = area_ids
                    .and_then(|t| serde_json::from_str(&t).ok())
                    .unwrap_or_default();
                let touches_scope = match scope {
                    None => true,
                    Some(scope) => area_ids
                        .iter()
                        .any(|a| areas.is_within(a, scope) || areas.is_within(scope, a)),
                };
                if !touches_scope {
                    continue;
                }
                // A project without dates runs every year; only its milestones make data.
                has_data |= planned > 0 || dated;
                let add = |f: &mut ProjectFigures| {
                    f.total += 1;
                    match f.by_status.iter_mut().find(|s| s.status == status) {
                        Some(s) => s.count += 1,
                        None => f.by_status.push(StatusCount {
                            status: status.clone(),
                            count: 1,
                        }),
                    }
                    f.milestones_planned += planned;
                    f.milestones_done += done;
                    f.milestones_on_time += on_time;
                };
                add(&mut project_total);
                let mut kernen: Vec<String> = area_ids
                    .iter()
                    .filter_map(|a| areas.kern_of(a))
                    .map(|k| k.id.clone())
                    .collect();
                kernen.sort();
                kernen.dedup();
                for kern in kernen {
                    add(project_groups.entry(kern).or_default());
                }
            }
        }

        // The werkkapitaal.
        let budget_as_of = if end <= today { end } else { today };
        let municipality = match scope {
            Some(scope) => areas.municipality_of(scope).map(|m| m.id.clone()),
            None => None,
        };
        let budget =
            self.budget_overview_with(areas, year, municipality.as_deref(), budget_as_of)?;
        if budget.is_some() {
            has_data = true;
        }

        // Put it together: the whole, each kern in tree order, each department by name.
        let kern_ids: Vec<&crate::areas::AreaNode> = areas
            .kernen()
            .filter(|k| match scope {
                None => true,
                Some(scope) => areas.is_within(&k.id, scope) || areas.is_within(scope, &k.id),
            })
            .collect();
        let total_figures = AreaFigures {
            area_id: scope.map(str::to_owned),
            name: scope
                .and_then(|s| areas.get(s))
                .or_else(|| areas.all().find(|a| a.kind == "municipality"))
                .map(|a| a.name.clone())
                .unwrap_or_default(),
            meetings: total.meeting_figures(),
            kernbezoeken_held: total.kernbezoeken,
            wijkschouwen_held: total.wijkschouwen,
            action_points: total_tally.finish(),
            projects: complete_statuses(project_total),
            werkkapitaal: money_figures(
                budget.as_ref(),
                None,
                scope
                    .is_some()
                    .then(|| kern_ids.iter().map(|k| k.id.clone()).collect()),
            ),
        };
        let kernen = kern_ids
            .iter()
            .map(|kern| {
                let group = groups.remove(&kern.id).unwrap_or_default();
                AreaFigures {
                    area_id: Some(kern.id.clone()),
                    name: kern.name.clone(),
                    meetings: group.meeting_figures(),
                    kernbezoeken_held: group.kernbezoeken,
                    wijkschouwen_held: group.wijkschouwen,
                    action_points: kern_tallies
                        .remove(kern.id.as_str())
                        .unwrap_or_default()
                        .finish(),
                    projects: complete_statuses(
                        project_groups.remove(&kern.id).unwrap_or_default(),
                    ),
                    werkkapitaal: money_figures(budget.as_ref(), Some(&kern.id), None),
                }
            })
            .collect();
        let mut departments: Vec<DepartmentFigures> = departments
            .into_iter()
            .map(|(id, tally)| DepartmentFigures {
                name: organisations
                    .get(&id)
                    .map(|(_, name, _)| name.clone())
                    .unwrap_or_default(),
                organisation_id: id,
                action_points: tally.finish(),
            })
            .collect();
        departments.sort_by_key(|d| d.name.to_lowercase());
        Ok(Figures {
            has_data,
            total: total_figures,
            kernen,
            departments,
            stale,
            closed_without_comment,
        })
    }
}

struct Figures {
    has_data: bool,
    total: AreaFigures,
    kernen: Vec<AreaFigures>,
    departments: Vec<DepartmentFigures>,
    stale: Vec<ActionPointLine>,
    closed_without_comment: Vec<ActionPointLine>,
}

#[derive(Default)]
struct Group {
    /// Per meeting kind: (held, present).
    meetings: BTreeMap<String, (i64, i64)>,
    kernbezoeken: i64,
    wijkschouwen: i64,
}

impl Group {
    fn meeting_figures(&self) -> Vec<MeetingFigures> {
        crate::schema::MEETING_KINDS
            .iter()
            .map(|kind| {
                let (held, present) = self.meetings.get(*kind).copied().unwrap_or((0, 0));
                MeetingFigures {
                    kind: (*kind).to_owned(),
                    held,
                    present,
                }
            })
            .collect()
    }
}

#[derive(Default)]
struct Tally {
    figures: ActionPointFigures,
    lead_times: Vec<i64>,
}

impl Tally {
    fn finish(mut self) -> ActionPointFigures {
        let f = &mut self.figures;
        f.on_time_share = (f.closed_with_due_date > 0)
            .then(|| f.closed_on_time as f64 / f.closed_with_due_date as f64);
        self.lead_times.sort_unstable();
        f.lead_time_median_days = nearest_rank(&self.lead_times, 50);
        f.lead_time_p90_days = nearest_rank(&self.lead_times, 90);
        self.figures
    }
}

/// The `percent`th percentile of sorted values by the nearest-rank method: the smallest value
/// with at least that share of the values at or below it.
pub fn nearest_rank(sorted: &[i64], percent: usize) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (percent * sorted.len()).div_ceil(100).max(1);
    sorted.get(rank - 1).copied()
}

fn complete_statuses(mut figures: ProjectFigures) -> ProjectFigures {
    let mut by_status: Vec<StatusCount> = crate::schema::PROJECT_STATUSES
        .iter()
        .map(|status| StatusCount {
            status: (*status).to_owned(),
            count: figures
                .by_status
                .iter()
                .find(|s| s.status == *status)
                .map_or(0, |s| s.count),
        })
        .collect();
    // A status this version does not know (from a newer laptop) still counts.
    by_status.extend(
        figures
            .by_status
            .drain(..)
            .filter(|s| !crate::schema::PROJECT_STATUSES.contains(&s.status.as_str())),
    );
    figures.by_status = by_status;
    figures
}

/// The werkkapitaal figures of one kern (`kern`), of some kernen (`kernen`), or of all.
fn money_figures(
    budget: Option<&BudgetOverview>,
    kern: Option<&str>,
    kernen: Option<Vec<String>>,
) -> MoneyFigures {
    let Some(budget) = budget else {
        return MoneyFigures::default();
    };
    let parts: Vec<_> = budget
        .parts
        .iter()
        .filter(|p| match (kern, &kernen) {
            (Some(kern), _) => p.kern_id.as_deref() == Some(kern),
            (None, Some(kernen)) => p.kern_id.as_ref().is_some_and(|k| kernen.contains(k)),
            (None, None) => true,
        })
        .collect();
    MoneyFigures {
        budgeted: true,
        allocated_cents: parts.iter().map(|p| p.allocated_cents).sum(),
        committed_cents: parts.iter().map(|p| p.committed_cents).sum(),
        spent_cents: parts.iter().map(|p| p.spent_cents).sum(),
        remaining_cents: parts.iter().map(|p| p.remaining_cents).sum(),
        under_spending: parts
            .iter()
            .filter(|p| p.under_spending)
            .map(|p| p.kernoverleg.clone())
            .collect(),
    }
}

/// The year's first day, the day after its last day reported on, and whether it still runs.
fn period(year: i64, today: Date) -> Result<(Date, Date, bool)> {
    let bad = || Error::BadRequest(format!("{year} is not a year to report on"));
    let y = i16::try_from(year).map_err(|_| bad())?;
    let start = Date::new(y, 1, 1).map_err(|_| bad())?;
    let next = Date::new(y + 1, 1, 1).map_err(|_| bad())?;
    if today < next {
        Ok((start, today.max(start), true))
    } else {
        Ok((start, next, false))
    }
}

/// The Amsterdam day of a stored UTC instant.
fn local_day(at: &str, zone: &TimeZone) -> Option<String> {
    let ts: Timestamp = at.parse().ok()?;
    Some(ts.to_zoned(zone.clone()).date().to_string())
}

fn days_between(from: &str, to: &str) -> Option<i64> {
    let from: Date = from.parse().ok()?;
    let to: Date = to.parse().ok()?;
    Some(i64::from(from.until(to).ok()?.get_days()))
}

// ---------------------------------------------------------------------------------------------
// The report as tables: what the screen, the PDF, the XLSX and the CSV all show.

/// One table of the report.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct ReportTable {
    /// A stable name (`actiepunten_per_kern`), for a CSV of one table and the sheet's name.
    pub key: String,
    pub title: String,
    /// What the table shows, in a sentence.
    pub caption: String,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

/// One value in a table, typed, so that each format writes it as what it is (a number as a
/// number, an amount as an amount, a date as a date).
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum Cell {
    Text(String),
    Count(i64),
    /// Whole cents.
    Cents(i64),
    /// A share between 0 and 1 (`None`: nothing to divide).
    Share(Option<f64>),
    /// A number of days (`None`: nothing to measure).
    Days(Option<i64>),
    /// A date (`YYYY-MM-DD`), or none.
    Date(Option<String>),
    Flag(bool),
}

/// Dutch names of meeting kinds, for the report's columns.
pub fn meeting_kind_plural(kind: &str) -> &'static str {
    match kind {
        "ledenvergadering" => "Ledenvergaderingen",
        "kernoverleg" => "Kernoverleggen",
        "bestuursoverleg" => "Bestuursoverleggen",
        "netwerkbijeenkomst" => "Netwerkbijeenkomsten",
        _ => "Overige bijeenkomsten",
    }
}

/// Dutch names of project statuses.
pub fn project_status_label(status: &str) -> String {
    match status {
        "idee" => "Idee".into(),
        "voorbereiding" => "Voorbereiding".into(),
        "uitvoering" => "Uitvoering".into(),
        "afgerond" => "Afgerond".into(),
        "vervallen" => "Vervallen".into(),
        other => other.to_owned(),
    }
}

const ACTION_POINT_COLUMNS: [&str; 11] = [
    "Geopend",
    "Afgehandeld",
    "Vervallen",
    "Open einde jaar",
    "Te laat einde jaar",
    "Op tijd afgehandeld (%)",
    "Doorlooptijd mediaan (dagen)",
    "Doorlooptijd 90e percentiel (dagen)",
    "Stilstaand",
    "Afgehandeld zonder toelichting",
    "Afgehandeld met deadline",
];

fn action_point_cells(f: &ActionPointFigures) -> Vec<Cell> {
    vec![
        Cell::Count(f.opened),
        Cell::Count(f.closed),
        Cell::Count(f.cancelled),
        Cell::Count(f.open_at_end),
        Cell::Count(f.overdue_at_end),
        Cell::Share(f.on_time_share),
        Cell::Days(f.lead_time_median_days),
        Cell::Days(f.lead_time_p90_days),
        Cell::Count(f.stale),
        Cell::Count(f.closed_without_comment),
        Cell::Count(f.closed_with_due_date),
    ]
}

impl YearReport {
    /// The report's tables, in the order the documents print them.
    pub fn tables(&self) -> Vec<ReportTable> {
        let year = self.year;
        let end_word = if self.running {
            "vandaag"
        } else {
            "einde jaar"
        };
        let mut tables = Vec::new();

        // The key figures, this year beside the previous one.
        let mut rows: Vec<Vec<Cell>> = Vec::new();
        let mut pair = |label: &str, now: Cell, before: Cell| {
            rows.push(vec![Cell::Text(label.to_owned()), now, before]);
        };
        let (t, p) = (&self.total, &self.previous);
        for (now, before) in t.meetings.iter().zip(&p.meetings) {
            pair(
                &format!("{} gehouden", meeting_kind_plural(&now.kind)),
                Cell::Count(now.held),
                Cell::Count(before.held),
            );
        }
        pair(
            "Aanwezigen bij vergaderingen",
            Cell::Count(t.meetings.iter().map(|m| m.present).sum()),
            Cell::Count(p.meetings.iter().map(|m| m.present).sum()),
        );
        pair(
            "Kernbezoeken gehouden",
            Cell::Count(t.kernbezoeken_held),
            Cell::Count(p.kernbezoeken_held),
        );
        pair(
            "Wijkschouwen gehouden",
            Cell::Count(t.wijkschouwen_held),
            Cell::Count(p.wijkschouwen_held),
        );
        let (a, b) = (&t.action_points, &p.action_points);
        pair(
            "Actiepunten geopend",
            Cell::Count(a.opened),
            Cell::Count(b.opened),
        );
        pair(
            "Actiepunten afgehandeld",
            Cell::Count(a.closed),
            Cell::Count(b.closed),
        );
        pair(
            "Actiepunten vervallen",
            Cell::Count(a.cancelled),
            Cell::Count(b.cancelled),
        );
        pair(
            &format!("Actiepunten open ({end_word})"),
            Cell::Count(a.open_at_end),
            Cell::Count(b.open_at_end),
        );
        pair(
            &format!("Actiepunten te laat ({end_word})"),
            Cell::Count(a.overdue_at_end),
            Cell::Count(b.overdue_at_end),
        );
        pair(
            "Op tijd afgehandeld (%)",
            Cell::Share(a.on_time_share),
            Cell::Share(b.on_time_share),
        );
        pair(
            "Doorlooptijd mediaan (dagen)",
            Cell::Days(a.lead_time_median_days),
            Cell::Days(b.lead_time_median_days),
        );
        pair(
            "Doorlooptijd 90e percentiel (dagen)",
            Cell::Days(a.lead_time_p90_days),
            Cell::Days(b.lead_time_p90_days),
        );
        pair(
            &format!(
                "Stilstaande actiepunten (langer dan {} weken niet bijgewerkt)",
                self.stale_weeks
            ),
            Cell::Count(a.stale),
            Cell::Count(b.stale),
        );
        pair(
            "Afgehandeld zonder toelichting",
            Cell::Count(a.closed_without_comment),
            Cell::Count(b.closed_without_comment),
        );
        pair(
            "Projecten",
            Cell::Count(t.projects.total),
            Cell::Count(p.projects.total),
        );
        pair(
            "Mijlpalen gepland",
            Cell::Count(t.projects.milestones_planned),
            Cell::Count(p.projects.milestones_planned),
        );
        pair(
            "Mijlpalen gehaald",
            Cell::Count(t.projects.milestones_done),
            Cell::Count(p.projects.milestones_done),
        );
        pair(
            "Werkkapitaal verdeeld",
            Cell::Cents(t.werkkapitaal.allocated_cents),
            Cell::Cents(p.werkkapitaal.allocated_cents),
        );
        pair(
            "Werkkapitaal toegekend",
            Cell::Cents(t.werkkapitaal.committed_cents),
            Cell::Cents(p.werkkapitaal.committed_cents),
        );
        pair(
            "Werkkapitaal uitgegeven",
            Cell::Cents(t.werkkapitaal.spent_cents),
            Cell::Cents(p.werkkapitaal.spent_cents),
        );
        pair(
            "Werkkapitaal beschikbaar",
            Cell::Cents(t.werkkapitaal.remaining_cents),
            Cell::Cents(p.werkkapitaal.remaining_cents),
        );
        tables.push(ReportTable {
            key: "kerncijfers".into(),
            title: "Kerncijfers".into(),
            caption: format!(
                "{} in {year}, met {} ter vergelijking.",
                self.area_name,
                year - 1
            ),
            columns: vec!["Onderwerp".into(), year.to_string(), (year - 1).to_string()],
            rows,
        });

        // Meetings and visits per kern.
        let mut columns = vec!["Kern".to_owned()];
        columns.extend(
            crate::schema::MEETING_KINDS
                .iter()
                .map(|k| meeting_kind_plural(k).to_owned()),
        );
        columns.extend([
            "Aanwezigen".into(),
            "Kernbezoeken".into(),
            "Wijkschouwen".into(),
        ]);
        let rows = self
            .kernen
            .iter()
            .chain(std::iter::once(&self.total))
            .map(|k| {
                let mut row = vec![Cell::Text(self.row_name(k))];
                row.extend(k.meetings.iter().map(|m| Cell::Count(m.held)));
                row.push(Cell::Count(k.meetings.iter().map(|m| m.present).sum()));
                row.push(Cell::Count(k.kernbezoeken_held));
                row.push(Cell::Count(k.wijkschouwen_held));
                row
            })
            .collect();
        tables.push(ReportTable {
            key: "vergaderingen_per_kern".into(),
            title: "Vergaderingen en bezoeken per kern".into(),
            caption: format!("Gehouden vergaderingen naar soort, het aantal aanwezigen, en de kernbezoeken en wijkschouwen in {year}."),
            columns,
            rows,
        });

        // Action points per kern and per department.
        let mut columns = vec!["Kern".to_owned()];
        columns.extend(ACTION_POINT_COLUMNS.iter().map(|c| (*c).to_owned()));
        let rows = self
            .kernen
            .iter()
            .chain(std::iter::once(&self.total))
            .map(|k| {
                let mut row = vec![Cell::Text(self.row_name(k))];
                row.extend(action_point_cells(&k.action_points));
                row
            })
            .collect();
        tables.push(ReportTable {
            key: "actiepunten_per_kern".into(),
            title: "Actiepunten per kern".into(),
            caption: format!(
                "Geopend en afgehandeld in {year}; open en te laat op {}.",
                self.end_label()
            ),
            columns,
            rows,
        });
        let mut columns = vec!["Afdeling".to_owned()];
        columns.extend(ACTION_POINT_COLUMNS.iter().map(|c| (*c).to_owned()));
        let rows = self
            .departments
            .iter()
            .map(|d| {
                let mut row = vec![Cell::Text(d.name.clone())];
                row.extend(action_point_cells(&d.action_points));
                row
            })
            .collect();
        tables.push(ReportTable {
            key: "actiepunten_per_afdeling".into(),
            title: "Actiepunten per afdeling".into(),
            caption: "Afspraak is afspraak: de actiepunten die bij een afdeling liggen, en hoe die ze afhandelt.".into(),
            columns,
            rows,
        });

        // Projects per kern.
        let mut columns = vec!["Kern".to_owned()];
        columns.extend(
            crate::schema::PROJECT_STATUSES
                .iter()
                .map(|s| project_status_label(s)),
        );
        columns.extend([
            "Totaal".into(),
            "Mijlpalen gepland".into(),
            "Mijlpalen gehaald".into(),
            "Mijlpalen op tijd".into(),
        ]);
        let rows = self
            .kernen
            .iter()
            .chain(std::iter::once(&self.total))
            .map(|k| {
                let mut row = vec![Cell::Text(self.row_name(k))];
                row.extend(crate::schema::PROJECT_STATUSES.iter().map(|s| {
                    Cell::Count(
                        k.projects
                            .by_status
                            .iter()
                            .find(|c| c.status == *s)
                            .map_or(0, |c| c.count),
                    )
                }));
                row.push(Cell::Count(k.projects.total));
                row.push(Cell::Count(k.projects.milestones_planned));
                row.push(Cell::Count(k.projects.milestones_done));
                row.push(Cell::Count(k.projects.milestones_on_time));
                row
            })
            .collect();
        tables.push(ReportTable {
            key: "projecten_per_kern".into(),
            title: "Projecten per kern".into(),
            caption: format!("Projecten en plannen die in {year} liepen, naar hun stand; mijlpalen gepland in {year}. Een project dat meer kernen raakt, telt bij elke kern."),
            columns,
            rows,
        });

        // The werkkapitaal per kern.
        let rows = self
            .kernen
            .iter()
            .chain(std::iter::once(&self.total))
            .map(|k| {
                let w = &k.werkkapitaal;
                vec![
                    Cell::Text(self.row_name(k)),
                    Cell::Cents(w.allocated_cents),
                    Cell::Cents(w.committed_cents),
                    Cell::Cents(w.spent_cents),
                    Cell::Cents(w.remaining_cents),
                    Cell::Flag(!w.under_spending.is_empty()),
                ]
            })
            .collect();
        tables.push(ReportTable {
            key: "werkkapitaal_per_kern".into(),
            title: "Werkkapitaal per kern".into(),
            caption: format!("Het werkkapitaal {year}: verdeeld naar inwoners (met aanpassingen), toegekend, uitgegeven en nog beschikbaar. Onderbesteding: op de peildatum minder dan de helft toegekend."),
            columns: ["Kern", "Verdeeld", "Toegekend", "Uitgegeven", "Beschikbaar", "Onderbesteding"]
                .map(String::from)
                .to_vec(),
            rows,
        });

        // The action points named.
        let columns: Vec<String> = [
            "Actiepunt",
            "Kern",
            "Eigenaar",
            "Geopend",
            "Deadline",
            "Laatst bijgewerkt",
        ]
        .map(String::from)
        .to_vec();
        let line_rows = |lines: &[ActionPointLine]| -> Vec<Vec<Cell>> {
            lines
                .iter()
                .map(|l| {
                    vec![
                        Cell::Text(l.title.clone()),
                        Cell::Text(l.kern.clone().unwrap_or_default()),
                        Cell::Text(l.owner.clone().unwrap_or_default()),
                        Cell::Date(Some(l.opened_on.clone())),
                        Cell::Date(l.due_date.clone()),
                        Cell::Date(Some(l.last_touched.clone())),
                    ]
                })
                .collect()
        };
        tables.push(ReportTable {
            key: "stilstaande_actiepunten".into(),
            title: "Stilstaande actiepunten".into(),
            caption: format!(
                "Open op {} en langer dan {} weken zonder statuswijziging of reactie.",
                self.end_label(),
                self.stale_weeks
            ),
            columns: columns.clone(),
            rows: line_rows(&self.stale),
        });
        tables.push(ReportTable {
            key: "zonder_toelichting".into(),
            title: "Afgehandeld zonder toelichting".into(),
            caption: format!("Actiepunten afgehandeld in {year} zonder opmerking of antwoord."),
            columns,
            rows: line_rows(&self.closed_without_comment),
        });
        tables
    }

    fn row_name(&self, figures: &AreaFigures) -> String {
        if figures.area_id == self.total.area_id && std::ptr::eq(figures, &self.total) {
            format!("Totaal {}", self.total.name)
        } else {
            figures.name.clone()
        }
    }

    /// "31 december 2026" or "vandaag" (for the running year).
    pub fn end_label(&self) -> String {
        if self.running {
            "vandaag".into()
        } else {
            format!("31 december {}", self.year)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_by_nearest_rank() {
        assert_eq!(nearest_rank(&[], 50), None);
        assert_eq!(nearest_rank(&[7], 90), Some(7));
        assert_eq!(nearest_rank(&[1, 2, 3, 4], 50), Some(2));
        assert_eq!(nearest_rank(&[1, 2, 3, 4, 5], 50), Some(3));
        let ten: Vec<i64> = (1..=10).collect();
        assert_eq!(nearest_rank(&ten, 90), Some(9));
        let eleven: Vec<i64> = (1..=11).collect();
        assert_eq!(nearest_rank(&eleven, 90), Some(10));
    }

    #[test]
    fn days_between_dates() {
        assert_eq!(days_between("2026-01-01", "2026-01-31"), Some(30));
        // Across the change to summer time a day is still a day.
        assert_eq!(days_between("2026-03-28", "2026-03-30"), Some(2));
        assert_eq!(days_between("2026-01-01", "nonsense"), None);
    }
}
