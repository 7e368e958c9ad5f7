//! The demo municipality: what it holds, and that it is deterministic around its reference date.

use jiff::civil::{date, Date};
use serde_json::Value;
use std::collections::HashMap;
use uuid::Uuid;
use wijkwerk_core::demo::{load_demo, load_demo_from, DemoSummary, BERGEN};
use wijkwerk_core::{Entity, Error, Store};

fn reference() -> Date {
    date(2026, 3, 18)
}

fn demo_store(reference: Date) -> (Store, DemoSummary) {
    let mut store = Store::in_memory().expect("an in-memory store");
    let summary = load_demo(&mut store, reference).expect("the demo loads");
    (store, summary)
}

/// Every live record of an entity.
fn all(store: &Store, entity: Entity) -> Vec<Value> {
    store.list(entity, None, 10_000).expect("list").items
}

fn text<'v>(record: &'v Value, field: &str) -> Option<&'v str> {
    record.get(field).and_then(Value::as_str)
}

fn id(record: &Value) -> Uuid {
    text(record, "id")
        .and_then(|s| s.parse().ok())
        .expect("a record id")
}

#[test]
fn the_demo_loads_into_an_empty_store_and_reports_what_it_wrote() {
    let (store, summary) = demo_store(reference());
    assert_eq!(summary.reference_date, "2026-03-18");
    let counted = [
        (Entity::Area, summary.areas),
        (Entity::Organisation, summary.organisations),
        (Entity::Contact, summary.contacts),
        (Entity::Role, summary.roles),
        (Entity::Meeting, summary.meetings),
        (Entity::AgendaItem, summary.agenda_items),
        (Entity::Attendance, summary.attendance),
        (Entity::Visit, summary.visits),
        (Entity::Stop, summary.stops),
        (Entity::Invitee, summary.invitees),
        (Entity::Finding, summary.findings),
        (Entity::ActionPoint, summary.action_points),
        (Entity::ActionPointEvent, summary.action_point_events),
    ];
    for (entity, expected) in counted {
        assert_eq!(store.count(entity).unwrap(), expected as i64, "{entity}");
        assert!(expected > 0, "the demo has no {entity}");
    }
    assert!(
        (60..=120).contains(&summary.action_points),
        "{} action points",
        summary.action_points
    );
    // One transaction for the whole demo.
    assert_eq!(store.outbox_len().unwrap(), 1);
}

#[test]
fn bergen_has_eight_kernen_whose_wijken_add_up_to_the_municipality() {
    let (store, summary) = demo_store(reference());
    let areas = all(&store, Entity::Area);
    let of_kind = |kind: &str| -> Vec<&Value> {
        areas
            .iter()
            .filter(|a| text(a, "kind") == Some(kind))
            .collect()
    };
    let municipality = of_kind("municipality");
    assert_eq!(municipality.len(), 1);
    assert_eq!(text(municipality[0], "name"), Some("Gemeente Bergen"));
    assert_eq!(text(municipality[0], "cbs_code"), Some("GM0373"));

    let kernen = of_kind("core");
    assert_eq!(kernen.len(), 8);
    assert_eq!(summary.kernen, 8);
    let names: Vec<&str> = kernen.iter().filter_map(|k| text(k, "name")).collect();
    for expected in [
        "Egmond aan Zee",
        "Egmond-Binnen",
        "Egmond aan den Hoef",
        "Bergen aan Zee",
        "Schoorl",
        "Groet/Camperduin",
    ] {
        assert!(names.contains(&expected), "{expected} missing in {names:?}");
    }
    assert_eq!(
        names
            .iter()
            .filter(|n| n.starts_with("Bergen-Binnen"))
            .count(),
        2
    );

    let inhabitants = |a: &Value| a.get("inhabitants").and_then(Value::as_i64).unwrap_or(0);
    let total = inhabitants(municipality[0]);
    assert!((25_000..=35_000).contains(&total), "{total} inhabitants");
    assert_eq!(kernen.iter().map(|k| inhabitants(k)).sum::<i64>(), total);
    for kern in &kernen {
        let wijken: Vec<&Value> = of_kind("district")
            .into_iter()
            .filter(|w| text(w, "parent_id") == text(kern, "id"))
            .collect();
        assert!(
            (2..=4).contains(&wijken.len()),
            "{:?} has {} wijken",
            text(kern, "name"),
            wijken.len()
        );
        assert_eq!(
            wijken.iter().map(|w| inhabitants(w)).sum::<i64>(),
            inhabitants(kern)
        );
    }
}

#[test]
fn exactly_one_association_has_a_vacancy_on_the_reference_date() {
    let (store, _) = demo_store(reference());
    let vacancies = store.vacancies(reference()).unwrap();
    assert_eq!(vacancies.len(), 1, "{vacancies:#?}");
    let vacancy = &vacancies[0];
    assert_eq!(vacancy.name, "Wijkvereniging Duinvoet");
    assert_eq!(vacancy.missing_positions, vec!["treasurer".to_string()]);
    assert!(vacancy.empty_seats > 0);
}

#[test]
fn boards_change_over_time() {
    let (store, _) = demo_store(reference());
    let organisations = all(&store, Entity::Organisation);
    let oostdorp = organisations
        .iter()
        .find(|o| text(o, "name") == Some("Wijkvereniging Oostdorp"))
        .expect("Wijkvereniging Oostdorp");
    let board = store.board(id(oostdorp), reference()).unwrap();
    let chair_now = board.current.iter().find(|r| r.kind == "chair").unwrap();
    assert_eq!(chair_now.contact_name, "Willemijn Tol");
    let former_chair = board
        .history
        .iter()
        .find(|r| r.kind == "chair" && !r.current)
        .expect("a former chair");
    assert_eq!(former_chair.contact_name, "Bram Slagter");
    assert!(former_chair.end_date.is_some());

    // Four years ago Bram Slagter was still chair.
    let earlier = store.board(id(oostdorp), date(2022, 3, 18)).unwrap();
    let chair_then = earlier.current.iter().find(|r| r.kind == "chair").unwrap();
    assert_eq!(chair_then.contact_name, "Bram Slagter");
}

#[test]
fn every_kern_has_a_kernoverleg_with_a_representative_per_wijk() {
    let (store, _) = demo_store(reference());
    let organisations = all(&store, Entity::Organisation);
    let roles = all(&store, Entity::Role);
    let areas = all(&store, Entity::Area);
    let kernoverleggen: Vec<&Value> = organisations
        .iter()
        .filter(|o| text(o, "kind") == Some("kernoverleg"))
        .collect();
    assert_eq!(kernoverleggen.len(), 8);
    for overleg in kernoverleggen {
        let kern = overleg["area_ids"][0].as_str().unwrap();
        let wijken = areas
            .iter()
            .filter(|a| text(a, "parent_id") == Some(kern))
            .count();
        let represented: std::collections::HashSet<&str> = roles
            .iter()
            .filter(|r| {
                text(r, "organisation_id") == text(overleg, "id")
                    && text(r, "kind") == Some("representative")
                    && r.get("end_date").is_none_or(Value::is_null)
            })
            .filter_map(|r| text(r, "represents_area_id"))
            .collect();
        assert_eq!(represented.len(), wijken, "{:?}", text(overleg, "name"));
    }
}

#[test]
fn the_municipality_partners_and_the_coordinator_are_there() {
    let (store, _) = demo_store(reference());
    let organisations = all(&store, Entity::Organisation);
    let roles = all(&store, Entity::Role);
    for kind in [
        "police",
        "housing_corporation",
        "welfare",
        "care",
        "college",
        "council",
    ] {
        assert!(
            organisations.iter().any(|o| text(o, "kind") == Some(kind)),
            "no {kind}"
        );
    }
    let departments: Vec<&str> = organisations
        .iter()
        .filter(|o| text(o, "kind") == Some("department"))
        .filter_map(|o| text(o, "name"))
        .collect();
    for name in [
        "Beheer Openbare Ruimte",
        "Verkeer",
        "Groen",
        "Sociaal Domein",
        "Bureau Communicatie",
    ] {
        assert!(departments.contains(&name), "{name} missing");
    }
    for kind in [
        "wijkagent",
        "department_contact",
        "alderman",
        "council_member",
        "coordinator",
    ] {
        assert!(
            roles.iter().any(|r| text(r, "kind") == Some(kind)),
            "no {kind} role"
        );
    }
    assert!(roles.iter().any(|r| text(r, "kind") == Some("alderman")
        && text(r, "title").is_some_and(|t| t.contains("wijkwethouder"))));
}

#[test]
fn there_are_overdue_action_points_on_the_reference_date() {
    let (store, summary) = demo_store(reference());
    let overdue = store.overdue(reference(), None, 100).unwrap();
    assert!(!overdue.is_empty());
    assert_eq!(overdue.len(), summary.action_points_overdue);
    assert_eq!(
        store.overdue_count(reference()).unwrap(),
        summary.action_points_overdue as i64
    );
    assert!(overdue.iter().all(|a| a.days_overdue > 0));
}

#[test]
fn action_point_statuses_are_spread_and_match_their_history() {
    let (store, summary) = demo_store(reference());
    let action_points = all(&store, Entity::ActionPoint);
    let mut statuses: HashMap<&str, usize> = HashMap::new();
    let mut done_late = 0;
    let mut open_not_yet_due = 0;
    let reference_instant = "2026-03-17T23:00:00Z"; // midnight in Amsterdam (winter time)
    for ap in &action_points {
        let status = text(ap, "status").unwrap();
        *statuses.entry(status).or_default() += 1;
        let history = store.action_point_history(id(ap)).unwrap();
        assert!(!history.is_empty());
        // Opened once, by the demo itself (no automatic events added by the write path).
        let changes: Vec<_> = history
            .iter()
            .filter(|e| e.kind == "status_change")
            .collect();
        assert_eq!(changes[0].from_status, None);
        assert_eq!(changes[0].to_status.as_deref(), Some("open"));
        for pair in changes.windows(2) {
            assert_eq!(pair[1].from_status, pair[0].to_status);
        }
        assert_eq!(
            changes.last().unwrap().to_status.as_deref(),
            Some(status),
            "{:?}",
            text(ap, "title")
        );
        for event in &history {
            assert!(
                event.at.as_str() < reference_instant,
                "{event:?} is not in the past"
            );
        }
        assert!(text(ap, "opened_on").unwrap() < "2026-03-18");
        let due = text(ap, "due_date");
        if status == "done" {
            let done_on = &changes.last().unwrap().at[..10];
            if due.is_some_and(|d| done_on > d) {
                done_late += 1;
            }
        }
        if status == "open" && due.is_some_and(|d| d >= "2026-03-18") {
            open_not_yet_due += 1;
        }
    }
    for status in ["open", "in_progress", "waiting", "done", "cancelled"] {
        assert!(
            statuses.get(status).copied().unwrap_or(0) > 0,
            "no {status}: {statuses:?}"
        );
    }
    assert!(done_late >= 5, "{done_late} done late");
    assert_eq!(done_late, summary.action_points_done_late);
    assert!(open_not_yet_due > 0);
    let comments = all(&store, Entity::ActionPointEvent)
        .iter()
        .filter(|e| text(e, "kind") == Some("comment"))
        .count();
    assert!(comments > 0);
}

#[test]
fn action_points_come_from_agenda_items_findings_and_requests() {
    let (store, _) = demo_store(reference());
    let action_points = all(&store, Entity::ActionPoint);
    let from = |field: &str| {
        action_points
            .iter()
            .filter(|a| text(a, field).is_some())
            .count()
    };
    assert!(from("source_agenda_item_id") > 30);
    assert!(from("source_finding_id") > 5);
    assert!(action_points
        .iter()
        .all(|a| text(a, "requester_organisation_id").is_some()));
    assert!(action_points.iter().all(|a| text(a, "area_id").is_some()));
    assert!(action_points.iter().all(
        |a| text(a, "owner_organisation_id").is_some() || text(a, "owner_contact_id").is_some()
    ));
}

#[test]
fn meetings_before_the_reference_date_were_held_with_minutes_and_later_ones_are_planned() {
    let (store, summary) = demo_store(reference());
    let meetings = all(&store, Entity::Meeting);
    let attendance = all(&store, Entity::Attendance);
    let agenda = all(&store, Entity::AgendaItem);
    // Midnight of the reference date in Amsterdam, as a UTC instant.
    let boundary = "2026-03-17T23:00:00Z";
    assert!(summary.meetings_held > 10 && summary.meetings_planned > 5);
    for meeting in &meetings {
        let starts = text(meeting, "starts_at").unwrap();
        let status = text(meeting, "status").unwrap();
        let meeting_id = text(meeting, "id");
        let items: Vec<&Value> = agenda
            .iter()
            .filter(|i| text(i, "meeting_id") == meeting_id)
            .collect();
        assert!(
            (3..=6).contains(&items.len()),
            "{:?}",
            text(meeting, "title")
        );
        let mut positions: Vec<i64> = items
            .iter()
            .filter_map(|i| i.get("position").and_then(Value::as_i64))
            .collect();
        positions.sort_unstable();
        assert_eq!(positions, (0..items.len() as i64).collect::<Vec<_>>());
        let statuses: Vec<&str> = attendance
            .iter()
            .filter(|a| text(a, "meeting_id") == meeting_id)
            .filter_map(|a| text(a, "status"))
            .collect();
        if starts < boundary {
            assert!(matches!(status, "held" | "cancelled"), "{meeting}");
            if status == "held" {
                assert!(items.iter().all(|i| text(i, "minutes").is_some()));
                assert!(statuses.contains(&"present"));
                assert!(!statuses.contains(&"invited"));
            }
        } else {
            assert_eq!(status, "planned", "{meeting}");
            assert!(items.iter().all(|i| text(i, "minutes").is_none()));
            assert!(!statuses.is_empty() && statuses.iter().all(|s| *s == "invited"));
        }
    }
    // Evening meetings in local time: 19:30 in winter is 18:30 UTC.
    assert!(meetings
        .iter()
        .filter(|m| text(m, "kind") == Some("ledenvergadering"))
        .all(|m| {
            let t = &text(m, "starts_at").unwrap()[11..16];
            t == "18:30" || t == "17:30"
        }));
    // Two kernoverleggen per kern.
    let kernoverleggen = meetings
        .iter()
        .filter(|m| text(m, "kind") == Some("kernoverleg"))
        .count();
    assert_eq!(kernoverleggen, 16);
}

#[test]
fn every_kern_gets_a_kernbezoek_with_a_route_and_invitees() {
    let (store, summary) = demo_store(reference());
    let visits = all(&store, Entity::Visit);
    assert_eq!(visits.len(), 8);
    assert!(summary.visits_held >= 4 && summary.visits_held < 8);
    for visit in &visits {
        let page = store.visit_page(id(visit)).unwrap();
        assert!((3..=5).contains(&page.stops.len()));
        assert!(!page.invitees.is_empty());
        assert!(page.invitees.iter().any(|i| i.email.is_some()));
        match text(visit, "status") {
            Some("held") => assert!(!page.findings.is_empty()),
            _ => assert!(page.findings.is_empty()),
        }
    }
}

#[test]
fn loading_twice_around_the_same_day_gives_the_same_export() {
    let (first, _) = demo_store(reference());
    let (second, _) = demo_store(reference());
    assert_eq!(first.export_json().unwrap(), second.export_json().unwrap());
}

#[test]
fn the_demo_loads_around_any_day_of_the_week_and_across_summer_time() {
    // Seven consecutive days (every weekday shift), and days around the clock changes.
    let mut days: Vec<Date> = (0..7)
        .map(|i| {
            date(2026, 6, 1)
                .checked_add(jiff::Span::new().days(i))
                .unwrap()
        })
        .collect();
    days.extend([
        date(2026, 3, 29),
        date(2026, 10, 25),
        date(2028, 2, 29),
        date(2027, 1, 1),
    ]);
    for day in days {
        let (store, summary) = demo_store(day);
        assert_eq!(store.vacancies(day).unwrap().len(), 1, "{day}");
        assert!(summary.action_points_overdue > 0, "{day}");
        assert!(summary.action_points_done_late > 0, "{day}");
        assert!(
            summary.meetings_planned > 0 && summary.meetings_held > 0,
            "{day}"
        );
    }
}

#[test]
fn search_finds_kernen_and_folds_diacritics() {
    let (store, _) = demo_store(reference());
    let hits = store.search("Schoorl", 20).unwrap();
    assert!(hits
        .iter()
        .any(|h| h.entity == "area" && h.title == "Schoorl"));
    let hits = store.search("cafe zeemeeuw", 20).unwrap();
    assert!(
        hits.iter().any(|h| h.title.contains("Café De Zeemeeuw")),
        "{hits:#?}"
    );
    let hits = store.search("zorgcooperatie", 20).unwrap();
    assert!(hits.iter().any(|h| h.title == "Zorgcoöperatie Duinstreek"));
}

#[test]
fn a_store_that_already_has_areas_is_refused() {
    let (mut store, _) = demo_store(reference());
    let before = store.export_json().unwrap();
    let error = load_demo(&mut store, reference()).unwrap_err();
    assert!(matches!(error, Error::BadRequest(_)), "{error}");
    assert!(error.to_string().contains("empty store"));
    assert_eq!(store.export_json().unwrap(), before);
}

#[test]
fn broken_demo_data_is_an_error_not_a_panic_and_writes_nothing() {
    let mut store = Store::in_memory().unwrap();
    for asset in [
        "",
        "{",
        "[]",
        r#"{"time_zone": "Europe/Amsterdam"}"#,
        &BERGEN.replacen("\"weekday\": \"di\"", "\"weekday\": \"dinsdag\"", 1),
        &BERGEN.replacen(
            "\"owner_person\": \"Ilse Brouwer\"",
            "\"owner_person\": \"Niemand\"",
            1,
        ),
        &BERGEN.replacen("\"kind\": \"dorpsraad\"", "\"kind\": \"dorpsclub\"", 1),
        &BERGEN.replacen("\"start\": \"19:30\"", "\"start\": \"half acht\"", 1),
        &BERGEN.replacen("\"inhabitants\": 1800", "\"inhabitants\": \"veel\"", 1),
    ] {
        let result = load_demo_from(&mut store, asset, reference());
        assert!(result.is_err(), "accepted: {:.80}", asset);
        assert_eq!(store.count(Entity::Area).unwrap(), 0);
    }
    // A wall time that does not exist (the hour skipped when summer time starts) is refused by
    // the write path, and nothing is written.
    let gap = BERGEN.replacen(
        "\"day\": -236, \"weekday\": \"di\",\n      \"start\": \"19:30\"",
        "\"day\": -236, \"weekday\": \"zo\",\n      \"start\": \"02:30\"",
        1,
    );
    assert_ne!(gap, BERGEN);
    let day = date(2026, 3, 29) // a Sunday: the clocks skip from 02:00 to 03:00
        .checked_add(jiff::Span::new().days(236))
        .unwrap();
    let error = load_demo_from(&mut store, &gap, day).unwrap_err();
    assert!(error.to_string().contains("does not exist"), "{error}");
    assert_eq!(store.count(Entity::Area).unwrap(), 0);
}

/// A transport that fails the test when asked anything.
struct NoServer;

impl wijkwerk_core::sync::Transport for NoServer {
    fn hello(
        &mut self,
    ) -> Result<wijkwerk_core::protocol::wire::Hello, wijkwerk_core::sync::SyncError> {
        panic!("a demo store asked the server")
    }
    fn push(
        &mut self,
        _: &wijkwerk_core::protocol::wire::PushRequest,
    ) -> Result<wijkwerk_core::protocol::wire::PushResponse, wijkwerk_core::sync::SyncError> {
        panic!("a demo store pushed")
    }
    fn pull(
        &mut self,
        _: wijkwerk_core::protocol::wire::Cursor,
        _: usize,
    ) -> Result<wijkwerk_core::protocol::wire::PullResponse, wijkwerk_core::sync::SyncError> {
        panic!("a demo store pulled")
    }
}

#[test]
fn the_demo_never_goes_to_a_server_unless_the_store_is_meant_for_a_training_server() {
    let (mut store, _) = demo_store(reference());
    assert!(store.is_demo().unwrap());
    let refused = store
        .sync_round("https://wijkwerk.bergen.nl", &mut NoServer)
        .expect_err("a demo store does not sync");
    assert!(matches!(refused, wijkwerk_core::sync::SyncError::DemoStore));
    assert_eq!(refused.code(), "demo");
    assert_eq!(store.sync_status().unwrap().waiting, 1, "nothing lost");

    store.allow_demo_sync().unwrap();
    assert!(!store.is_demo().unwrap());
    let empty = Store::in_memory().unwrap();
    assert!(!empty.is_demo().unwrap(), "only the demo is marked");
}
