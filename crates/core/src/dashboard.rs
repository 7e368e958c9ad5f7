//! The "Vandaag" overview: what a coordinator sees first when the app opens.
//!
//! One read of the store gives this week's meetings and visits, the overdue action points (their
//! number and the longest overdue first), and the associations whose board has a vacancy. "This
//! week" is Monday to Sunday of the day asked about, in [`crate::DEFAULT_TIME_ZONE`]: a meeting on
//! Sunday evening at 23:30 in Amsterdam belongs to that week even though its UTC instant is Sunday
//! 21:30 or 22:30.

use crate::action_points::ActionPointSummary;
use crate::error::{Error, Result};
use crate::organisations::Vacancy;
use crate::store::Store;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};
use serde::Serialize;

/// How many overdue action points the overview lists (the count covers all of them).
pub const OVERDUE_PREVIEW: usize = 5;

/// Everything the "Vandaag" screen shows.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct TodayOverview {
    /// The day asked about (YYYY-MM-DD).
    pub today: String,
    /// Monday of that week (YYYY-MM-DD).
    pub week_start: String,
    /// Sunday of that week (YYYY-MM-DD).
    pub week_end: String,
    /// This week's meetings (cancelled ones included, marked by their status), in time order.
    pub meetings: Vec<Appointment>,
    /// This week's visits, in time order.
    pub visits: Vec<Appointment>,
    /// Number of action points overdue today.
    pub overdue_count: i64,
    /// The first [`OVERDUE_PREVIEW`] of them, longest overdue first.
    pub overdue: Vec<ActionPointSummary>,
    /// Associations whose board has an empty seat or an unfilled key position today.
    pub vacancies: Vec<Vacancy>,
}

/// A meeting or a visit as the week list shows it.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct Appointment {
    pub id: String,
    /// The meeting's or visit's kind (`kernoverleg`, `wijkschouw`, ...).
    pub kind: String,
    pub title: String,
    /// UTC instant, `YYYY-MM-DDTHH:MM:SSZ`.
    pub starts_at: String,
    /// UTC instant, `YYYY-MM-DDTHH:MM:SSZ`.
    pub ends_at: String,
    /// The zone the appointment was planned in (`Europe/Amsterdam`).
    pub time_zone: String,
    pub location: Option<String>,
    pub status: String,
    /// Who holds it or where it is: the organisation's name, else the area's.
    pub context: Option<String>,
}

const MEETINGS_SQL: &str = "
    SELECT m.id, m.kind, m.title, m.starts_at, m.ends_at, m.time_zone, m.location, m.status,
           coalesce(o.name, a.name)
    FROM meeting m
    LEFT JOIN organisation o ON o.id = m.organisation_id
    LEFT JOIN area a ON a.id = m.area_id
    WHERE m.deleted = 0 AND m.starts_at >= ?1 AND m.starts_at < ?2
    ORDER BY m.starts_at, m.id";

const VISITS_SQL: &str = "
    SELECT v.id, v.kind, v.title, v.starts_at, v.ends_at, v.time_zone, v.location, v.status,
           a.name
    FROM visit v
    LEFT JOIN area a ON a.id = v.area_id
    WHERE v.deleted = 0 AND v.starts_at >= ?1 AND v.starts_at < ?2
    ORDER BY v.starts_at, v.id";

fn appointment(r: &rusqlite::Row<'_>) -> rusqlite::Result<Appointment> {
    let text = |i: usize| -> rusqlite::Result<String> {
        Ok(r.get::<_, Option<String>>(i)?.unwrap_or_default())
    };
    Ok(Appointment {
        id: r.get(0)?,
        kind: text(1)?,
        title: text(2)?,
        starts_at: text(3)?,
        ends_at: text(4)?,
        time_zone: text(5)?,
        location: r.get(6)?,
        status: text(7)?,
        context: r.get(8)?,
    })
}

/// Monday of the week of `day`, and the Monday after.
fn week_of(day: Date) -> Result<(Date, Date)> {
    let since_monday = i64::from(day.weekday().to_monday_zero_offset());
    let out_of_range = |e: jiff::Error| Error::BadRequest(format!("no week around {day}: {e}"));
    let monday = day.checked_sub(since_monday.days()).map_err(out_of_range)?;
    let next_monday = monday.checked_add(7.days()).map_err(out_of_range)?;
    Ok((monday, next_monday))
}

/// The instant a day starts where the coordinators work, as stored (`...Z`).
pub(crate) fn start_of(day: Date) -> Result<String> {
    let zone = TimeZone::get(crate::DEFAULT_TIME_ZONE).unwrap_or(TimeZone::UTC);
    let start: Timestamp = day
        .to_zoned(zone)
        .map_err(|e| Error::BadRequest(format!("{day} has no start: {e}")))?
        .timestamp();
    Ok(start.to_string())
}

impl Store {
    /// The "Vandaag" overview for `today`.
    pub fn today_overview(&self, today: Date) -> Result<TodayOverview> {
        let (monday, next_monday) = week_of(today)?;
        let (from, until) = (start_of(monday)?, start_of(next_monday)?);
        let week = |sql: &str| -> Result<Vec<Appointment>> {
            let mut stmt = self.conn.prepare_cached(sql)?;
            let rows = stmt.query_map((&from, &until), appointment)?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        };
        let meetings = week(MEETINGS_SQL)?;
        let visits = week(VISITS_SQL)?;
        let week_end = next_monday
            .yesterday()
            .map_err(|e| Error::BadRequest(format!("no week around {today}: {e}")))?;
        Ok(TodayOverview {
            today: today.to_string(),
            week_start: monday.to_string(),
            week_end: week_end.to_string(),
            meetings,
            visits,
            overdue_count: self.overdue_count(today)?,
            overdue: self.overdue(today, None, OVERDUE_PREVIEW)?,
            vacancies: self.vacancies(today)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::Entity;
    use crate::write::Fields;
    use jiff::civil::date;
    use serde_json::{json, Value};
    use uuid::Uuid;

    fn fields(value: Value) -> Fields {
        match value {
            Value::Object(map) => map,
            other => panic!("not an object: {other}"),
        }
    }

    fn create(store: &mut Store, entity: Entity, value: Value) -> Uuid {
        store
            .create(entity, fields(value))
            .unwrap_or_else(|e| panic!("creating a {entity}: {e}"))
    }

    #[test]
    fn the_week_runs_from_monday_to_sunday_in_amsterdam() {
        // Wednesday 14 January 2026.
        let (monday, next) = week_of(date(2026, 1, 14)).unwrap();
        assert_eq!((monday, next), (date(2026, 1, 12), date(2026, 1, 19)));
        // A Monday is its own week's start, a Sunday its end.
        assert_eq!(week_of(date(2026, 1, 12)).unwrap().0, date(2026, 1, 12));
        assert_eq!(week_of(date(2026, 1, 18)).unwrap().0, date(2026, 1, 12));
        // Midnight in Amsterdam is 23:00 UTC the day before in winter, 22:00 in summer.
        assert_eq!(start_of(date(2026, 1, 12)).unwrap(), "2026-01-11T23:00:00Z");
        assert_eq!(start_of(date(2026, 7, 13)).unwrap(), "2026-07-12T22:00:00Z");
    }

    #[test]
    fn overview_shows_this_weeks_appointments_overdue_points_and_vacancies() {
        let mut store = Store::in_memory().unwrap();
        let today = date(2026, 1, 14);
        let kern = create(
            &mut store,
            Entity::Area,
            json!({"name": "Groet", "kind": "core"}),
        );
        let dorpsraad = create(
            &mut store,
            Entity::Organisation,
            json!({"name": "Dorpsraad Groet", "kind": "dorpsraad", "board_size": 5}),
        );
        let meeting = |title: &str, start: &str, end: &str| {
            json!({"kind": "kernoverleg", "title": title, "organisation_id": dorpsraad.to_string(),
                   "starts_at": start, "ends_at": end})
        };
        // Monday just after midnight, and Sunday late evening: both in the week.
        create(
            &mut store,
            Entity::Meeting,
            meeting("Kernoverleg", "2026-01-12T00:30", "2026-01-12T01:30"),
        );
        create(
            &mut store,
            Entity::Meeting,
            meeting("Ledenvergadering", "2026-01-18T23:30", "2026-01-18T23:59"),
        );
        // The Sunday before and the Monday after: not in the week.
        create(
            &mut store,
            Entity::Meeting,
            meeting("Vorige week", "2026-01-11T23:30", "2026-01-11T23:45"),
        );
        create(
            &mut store,
            Entity::Meeting,
            meeting("Volgende week", "2026-01-19T00:00", "2026-01-19T01:00"),
        );
        // A deleted meeting in the week is not shown.
        let deleted = create(
            &mut store,
            Entity::Meeting,
            meeting("Verwijderd", "2026-01-14T19:30", "2026-01-14T21:00"),
        );
        store.delete(Entity::Meeting, deleted).unwrap();
        create(
            &mut store,
            Entity::Visit,
            json!({"kind": "wijkschouw", "title": "Schouw Groet", "area_id": kern.to_string(),
                   "starts_at": "2026-01-15T14:00", "ends_at": "2026-01-15T16:00",
                   "location": "Dorpshuis"}),
        );
        for (title, due) in [("Lantaarnpaal", "2026-01-01"), ("Bankje", "2025-12-01")] {
            create(
                &mut store,
                Entity::ActionPoint,
                json!({"title": title, "due_date": due, "opened_on": "2025-11-01",
                       "requester_organisation_id": dorpsraad.to_string()}),
            );
        }
        // Due today, and done: neither is overdue.
        create(
            &mut store,
            Entity::ActionPoint,
            json!({"title": "Vandaag", "due_date": "2026-01-14", "opened_on": "2025-11-01"}),
        );
        create(
            &mut store,
            Entity::ActionPoint,
            json!({"title": "Klaar", "due_date": "2025-10-01", "opened_on": "2025-09-01",
                   "status": "done"}),
        );

        let overview = store.today_overview(today).unwrap();

        assert_eq!(overview.today, "2026-01-14");
        assert_eq!(overview.week_start, "2026-01-12");
        assert_eq!(overview.week_end, "2026-01-18");
        let titles: Vec<&str> = overview.meetings.iter().map(|m| m.title.as_str()).collect();
        assert_eq!(titles, ["Kernoverleg", "Ledenvergadering"]);
        assert_eq!(overview.meetings[0].starts_at, "2026-01-11T23:30:00Z");
        assert_eq!(
            overview.meetings[0].context.as_deref(),
            Some("Dorpsraad Groet")
        );
        assert_eq!(overview.meetings[0].status, "planned");
        assert_eq!(overview.visits.len(), 1);
        assert_eq!(overview.visits[0].kind, "wijkschouw");
        assert_eq!(overview.visits[0].context.as_deref(), Some("Groet"));
        assert_eq!(overview.visits[0].location.as_deref(), Some("Dorpshuis"));
        assert_eq!(overview.overdue_count, 2);
        let overdue: Vec<&str> = overview.overdue.iter().map(|a| a.title.as_str()).collect();
        assert_eq!(overdue, ["Bankje", "Lantaarnpaal"]);
        assert_eq!(overview.overdue[0].days_overdue, 44);
        // The dorpsraad has five seats and nobody on its board.
        assert_eq!(overview.vacancies.len(), 1);
        assert_eq!(overview.vacancies[0].name, "Dorpsraad Groet");
        assert_eq!(overview.vacancies[0].empty_seats, 5);
    }

    #[test]
    fn overview_of_an_empty_store_is_empty() {
        let store = Store::in_memory().unwrap();
        let overview = store.today_overview(date(2026, 3, 29)).unwrap();
        assert_eq!(overview.week_start, "2026-03-23");
        assert_eq!(overview.week_end, "2026-03-29");
        assert!(overview.meetings.is_empty() && overview.visits.is_empty());
        assert_eq!(overview.overdue_count, 0);
        assert!(overview.overdue.is_empty() && overview.vacancies.is_empty());
        let json = serde_json::to_value(&overview).unwrap();
        assert_eq!(json["overdue_count"], 0);
    }
}
