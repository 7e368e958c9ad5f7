//! The yearly visit planner: what it avoids, how it spreads, and confirming proposals through the
//! one write path.

mod common;

use common::{add, fields};
use jiff::civil::{date, Date, Weekday};
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};
use wijkwerk_core::calendar::export::{ExportFilter, ExportOptions};
use wijkwerk_core::calendar::holidays::public_holidays;
use wijkwerk_core::calendar::planner::{Confirmation, PlanRequest};
use wijkwerk_core::{Entity, Store};

/// Five kernen, no meetings yet.
fn municipality() -> Store {
    let mut store = Store::in_memory().unwrap();
    let gemeente = add(
        &mut store,
        Entity::Area,
        json!({"name": "Gemeente Bergen", "kind": "municipality"}),
    );
    for name in [
        "Bergen aan Zee",
        "Egmond-Binnen",
        "Groet",
        "Schoorl",
        "Catrijp",
    ] {
        add(
            &mut store,
            Entity::Area,
            json!({"name": name, "kind": "core", "parent_id": gemeente}),
        );
    }
    store
}

fn kernen(store: &Store) -> BTreeMap<String, String> {
    store
        .list(Entity::Area, None, 100)
        .unwrap()
        .items
        .into_iter()
        .filter(|a| a["kind"] == "core")
        .map(|a| {
            (
                a["id"].as_str().unwrap().to_owned(),
                a["name"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn one_kernbezoek_and_two_kernoverleggen_per_kern_on_free_weekdays() {
    let store = municipality();
    let plan = store.plan_year(&PlanRequest::new(2027, "noord")).unwrap();
    assert!(plan.unplaced.is_empty(), "{:?}", plan.unplaced);
    let holidays: BTreeSet<Date> = public_holidays(2027).into_iter().map(|h| h.date).collect();
    let school = store.school_holidays(Some("noord")).unwrap();
    let mut per_kern: BTreeMap<(String, &str), usize> = BTreeMap::new();
    let mut days = BTreeSet::new();
    let mut kernbezoek_weeks = BTreeSet::new();
    for p in &plan.proposals {
        *per_kern.entry((p.kern_id.clone(), p.kind)).or_default() += 1;
        assert!(
            !matches!(p.date.weekday(), Weekday::Saturday | Weekday::Sunday),
            "{p:?}"
        );
        assert!(!holidays.contains(&p.date), "public holiday: {p:?}");
        assert!(
            !school
                .iter()
                .any(|h| h.start_date <= p.date && p.date <= h.end_date),
            "school holiday: {p:?}"
        );
        assert!(days.insert(p.date), "two proposals on {}", p.date);
        match p.kind {
            "kernbezoek" => {
                assert!(p.local_start.ends_with("T13:30"), "afternoon: {p:?}");
                let w = p.date.iso_week_date();
                assert!(
                    kernbezoek_weeks.insert((w.year(), w.week())),
                    "two kernbezoeken in week {}",
                    w.week()
                );
            }
            _ => {
                assert!(p.local_start.ends_with("T19:30"), "evening: {p:?}");
                let month = p.date.month();
                match p.season {
                    Some("voorjaar") => assert!((3..=6).contains(&month), "{p:?}"),
                    Some("najaar") => assert!((9..=11).contains(&month), "{p:?}"),
                    other => panic!("season {other:?}"),
                }
            }
        }
    }
    for kern in kernen(&store).keys() {
        assert_eq!(per_kern.get(&(kern.clone(), "kernbezoek")), Some(&1));
        assert_eq!(per_kern.get(&(kern.clone(), "kernoverleg")), Some(&2));
    }
    // King's Day 2027 is Tuesday 27 April, a planner's favourite weekday.
    assert!(plan
        .public_holidays
        .iter()
        .any(|h| h.date == date(2027, 4, 27)));
}

#[test]
fn the_coordinators_other_meetings_are_avoided() {
    let mut store = municipality();
    let plan = store.plan_year(&PlanRequest::new(2027, "midden")).unwrap();
    let first = plan.proposals[0].clone();
    // Something else that evening (or afternoon) on the proposed day.
    let at = if first.kind == "kernbezoek" {
        "14:00"
    } else {
        "20:00"
    };
    add(
        &mut store,
        Entity::Meeting,
        json!({"kind": "other", "title": "Raadsvergadering",
               "starts_at": format!("{}T{at}", first.date), "ends_at": format!("{}T23:00", first.date)}),
    );
    let again = store.plan_year(&PlanRequest::new(2027, "midden")).unwrap();
    let moved = again.proposals.iter().find(|p| p.key == first.key).unwrap();
    assert_ne!(moved.date, first.date);
}

#[test]
fn confirmed_proposals_become_visits_and_meetings_and_are_not_proposed_again() {
    let mut store = municipality();
    let request = PlanRequest::new(2027, "zuid");
    let plan = store.plan_year(&request).unwrap();
    let kernbezoek = plan
        .proposals
        .iter()
        .find(|p| p.kind == "kernbezoek")
        .unwrap()
        .clone();
    // Moved to a free Tuesday in September (a day no other proposal has).
    let taken: BTreeSet<Date> = plan.proposals.iter().map(|p| p.date).collect();
    let mut day = date(2027, 9, 7);
    while taken.contains(&day) {
        day = day.checked_add(jiff::Span::new().days(7)).unwrap();
    }
    let moved_to = day.at(14, 0, 0, 0);
    let outbox = store.outbox_len().unwrap();
    let created = store
        .confirm_plan(
            &request,
            &[Confirmation {
                key: kernbezoek.key.clone(),
                moved_to: Some(moved_to),
            }],
        )
        .unwrap();
    assert_eq!(store.outbox_len().unwrap(), outbox + 1, "one write");
    let (entity, id) = created[0];
    assert_eq!(entity, Entity::Visit);
    let visit = store.get(Entity::Visit, id).unwrap();
    assert_eq!(visit["status"], "confirmed");
    assert_eq!(
        visit["starts_at"],
        format!("{day}T12:00:00Z"),
        "14:00 in summer time"
    );
    assert_eq!(
        visit["ends_at"],
        format!("{day}T15:00:00Z"),
        "the same three hours"
    );
    // The others keep their dates; that kern's kernbezoek is planned now.
    let again = store.plan_year(&request).unwrap();
    assert!(again.proposals.iter().all(|p| p.key != kernbezoek.key));
    assert!(again
        .already_planned
        .iter()
        .any(|a| a.key == kernbezoek.key));
    for p in &again.proposals {
        let before = plan.proposals.iter().find(|q| q.key == p.key).unwrap();
        assert_eq!(p.date, before.date, "{} moved", p.key);
    }
    // The rest, except one dropped.
    let dropped = &again.proposals[0].key;
    let rest: Vec<Confirmation> = again
        .proposals
        .iter()
        .filter(|p| &p.key != dropped)
        .map(|p| Confirmation {
            key: p.key.clone(),
            moved_to: None,
        })
        .collect();
    store.confirm_plan(&request, &rest).unwrap();
    let last = store.plan_year(&request).unwrap();
    assert_eq!(last.proposals.len(), 1);
    assert_eq!(&last.proposals[0].key, dropped);
    // Confirming something already planned is refused, and writes nothing.
    let before = store.export_json().unwrap();
    assert!(store
        .confirm_plan(
            &request,
            &[Confirmation {
                key: kernbezoek.key.clone(),
                moved_to: None
            }]
        )
        .is_err());
    assert_eq!(store.export_json().unwrap(), before);
    // The confirmed schedule as one calendar.
    let export = store
        .calendar_export(
            &ExportFilter {
                schedule: true,
                year: Some(2027),
                ..ExportFilter::default()
            },
            &ExportOptions::at("2026-11-24T09:00:00Z".parse().unwrap()),
        )
        .unwrap();
    assert_eq!(export.events, 5 * 3 - 1);
}

#[test]
fn school_holidays_are_editable_through_the_write_path() {
    let mut store = municipality();
    let shipped = store.school_holidays(Some("noord")).unwrap();
    let may = shipped
        .iter()
        .find(|h| h.school_year == "2026-2027" && h.name == "Meivakantie")
        .unwrap()
        .clone();
    let outbox = store.outbox_len().unwrap();
    store
        .set_school_holiday(
            "noord",
            "2026-2027",
            "Meivakantie",
            "2027-04-24",
            "2027-05-09",
        )
        .unwrap();
    assert_eq!(store.outbox_len().unwrap(), outbox + 1);
    let edited = store.school_holidays(Some("noord")).unwrap();
    let may_now = edited.iter().find(|h| h.id == may.id).unwrap();
    assert_eq!(may_now.end_date, date(2027, 5, 9));
    assert_eq!(may_now.source, "edited");
    assert_eq!(edited.len(), shipped.len(), "overrides, not adds");
    // Dropping a shipped holiday, and adding a new one.
    store
        .drop_school_holiday("noord", "2026-2027", "Herfstvakantie")
        .unwrap();
    store
        .set_school_holiday(
            "noord",
            "2028-2029",
            "Herfstvakantie",
            "2028-10-14",
            "2028-10-22",
        )
        .unwrap();
    let now = store.school_holidays(Some("noord")).unwrap();
    assert!(!now
        .iter()
        .any(|h| h.school_year == "2026-2027" && h.name == "Herfstvakantie"));
    assert!(now.iter().any(|h| h.school_year == "2028-2029"));
    // Nonsense is refused by the write path.
    assert!(store
        .set_school_holiday(
            "west",
            "2026-2027",
            "Meivakantie",
            "2027-04-24",
            "2027-05-02"
        )
        .is_err());
    assert!(store
        .set_school_holiday(
            "noord",
            "2026-2027",
            "Meivakantie",
            "2027-05-02",
            "2027-04-24"
        )
        .is_err());
    // The planner uses the edit: nothing in the longer May holiday.
    let plan = store.plan_year(&PlanRequest::new(2027, "noord")).unwrap();
    assert!(plan
        .proposals
        .iter()
        .all(|p| !(date(2027, 4, 24) <= p.date && p.date <= date(2027, 5, 9))));
    let _ = fields(json!({}));
}
