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
        (Entity::Agreement, summary.agreements),
        (Entity::Project, summary.projects),
        (Entity::Milestone, summary.milestones),
        (Entity::Budget, summary.budgets),
        (Entity::BudgetAdjustment, summary.budget_adjustments),
        (Entity::Commitment, summary.commitments),
        (Entity::Payment, summary.payments),
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

#[test]
fn most_kernen_have_a_kernovereenkomst_with_projects_and_milestones() {
    let (store, summary) = demo_store(reference());
    let areas = all(&store, Entity::Area);
    let organisations = all(&store, Entity::Organisation);
    let agreements = all(&store, Entity::Agreement);
    let projects = all(&store, Entity::Project);
    let milestones = all(&store, Entity::Milestone);
    let kind_of = |records: &[Value], id: Option<&str>| -> Option<String> {
        records
            .iter()
            .find(|r| text(r, "id") == id)
            .and_then(|r| text(r, "kind"))
            .map(str::to_owned)
    };

    // At least six of the eight kernen, each once; mostly adopted, one concept, one finished.
    let kernen: std::collections::HashSet<&str> = agreements
        .iter()
        .filter_map(|a| text(a, "area_id"))
        .collect();
    assert!(agreements.len() >= 6, "{} agreements", agreements.len());
    assert_eq!(kernen.len(), agreements.len());
    for area in &kernen {
        assert_eq!(kind_of(&areas, Some(area)).as_deref(), Some("core"));
    }
    let status_count = |status: &str| {
        agreements
            .iter()
            .filter(|a| text(a, "status") == Some(status))
            .count()
    };
    assert_eq!(status_count("concept"), 1);
    assert_eq!(status_count("afgerond"), 1);
    assert!(status_count("vastgesteld") >= 4);
    for agreement in &agreements {
        match text(agreement, "status") {
            Some("concept") => assert!(text(agreement, "adopted_on").is_none()),
            _ => assert!(text(agreement, "adopted_on").unwrap() < "2026-03-18"),
        }
        assert_eq!(
            kind_of(&organisations, text(agreement, "kernoverleg_id")).as_deref(),
            Some("kernoverleg")
        );
        assert!(text(agreement, "title")
            .unwrap()
            .starts_with("Kernovereenkomst "));
    }
    let afgerond = agreements
        .iter()
        .find(|a| text(a, "status") == Some("afgerond"))
        .unwrap();
    assert!(text(afgerond, "period_end").unwrap() < "2026-03-18");

    // Two to four projects each, but one agreement holds five: the app flags it.
    let mut flagged = Vec::new();
    for agreement in &agreements {
        let page = store.agreement_page(id(agreement)).unwrap();
        assert!(
            (2..=5).contains(&page.projects.len()),
            "{}: {} projects",
            page.title,
            page.projects.len()
        );
        assert_eq!(page.too_many_projects, page.projects.len() > 4);
        if page.too_many_projects {
            flagged.push(page.projects.len());
        }
        assert!(page.budget_cents > 0);
    }
    assert_eq!(flagged, vec![5], "exactly one agreement has five projects");
    let discussed: usize = agreements
        .iter()
        .map(|a| store.agreement_page(id(a)).unwrap().discussed.len())
        .sum();
    assert!(discussed >= 3, "{discussed} agenda items about agreements");

    // Every project: a department with its contact, a participation step, a budget, a period
    // with two to four milestones inside it.
    let municipality = areas
        .iter()
        .find(|a| text(a, "kind") == Some("municipality"))
        .unwrap();
    let mut plans = 0;
    for project in &projects {
        let name = text(project, "title").unwrap();
        assert_eq!(
            kind_of(&organisations, text(project, "department_id")).as_deref(),
            Some("department"),
            "{name}"
        );
        assert!(text(project, "department_contact_id").is_some(), "{name}");
        assert!(project["budget_cents"].as_i64().unwrap() > 0, "{name}");
        if text(project, "agreement_id").is_none() {
            plans += 1;
            assert_eq!(project["area_ids"], serde_json::json!([id(municipality)]));
        } else {
            assert!(!project["organisation_ids"].as_array().unwrap().is_empty());
        }
        let (start, end) = (
            text(project, "start_date").unwrap(),
            text(project, "end_date").unwrap(),
        );
        let own: Vec<&Value> = milestones
            .iter()
            .filter(|m| text(m, "project_id") == text(project, "id"))
            .collect();
        assert!((2..=4).contains(&own.len()), "{name}: {}", own.len());
        for milestone in own {
            let date = text(milestone, "date").unwrap();
            assert!(start <= date && date <= end, "{name}: {milestone}");
            if let Some(done) = text(milestone, "done_on") {
                assert!(done < "2026-03-18", "{name}: {milestone}");
            }
        }
    }
    assert_eq!(plans, 2, "two municipal plans outside agreements");
    let done: Vec<(&str, &str)> = milestones
        .iter()
        .filter_map(|m| Some((text(m, "date")?, text(m, "done_on")?)))
        .collect();
    assert_eq!(done.len(), summary.milestones_done);
    let late = done.iter().filter(|(date, done)| done > date).count();
    assert_eq!(late, summary.milestones_done_late);
    assert!(
        late >= 3 && done.len() - late >= 3,
        "{late} of {} late",
        done.len()
    );
    assert!(milestones
        .iter()
        .any(|m| text(m, "date").unwrap() >= "2026-03-18"));
    assert!(milestones
        .iter()
        .any(|m| text(m, "date").unwrap() < "2026-03-18" && text(m, "done_on").is_none()));

    // Agenda items, findings and action points about projects.
    let linked = |entity: Entity, field: &str| {
        all(&store, entity)
            .iter()
            .filter(|r| text(r, field).is_some())
            .count()
    };
    assert!(linked(Entity::AgendaItem, "project_id") >= 1);
    assert!(linked(Entity::AgendaItem, "agreement_id") >= 3);
    assert!(linked(Entity::Finding, "project_id") >= 1);
    let action_points = all(&store, Entity::ActionPoint);
    let of_projects: Vec<&Value> = action_points
        .iter()
        .filter(|a| text(a, "project_id").is_some())
        .collect();
    assert!(of_projects.len() >= 5);
    assert!(of_projects
        .iter()
        .any(|a| text(a, "source_finding_id").is_some()));
    assert!(of_projects
        .iter()
        .any(|a| text(a, "source_agenda_item_id").is_some()));
    assert!(of_projects.iter().any(|a| {
        text(a, "source_finding_id").is_none() && text(a, "source_agenda_item_id").is_none()
    }));
    let speeltuin = projects
        .iter()
        .find(|p| text(p, "title") == Some("Vervanging speeltuin Oostdorp"))
        .expect("the speeltuin Oostdorp");
    let page = store.project_page(id(speeltuin)).unwrap();
    assert!(page.action_points.len() >= 2);
    assert!(page.mentions.iter().any(|m| m.kind == "agenda_item"));
    assert!(page.mentions.iter().any(|m| m.kind == "finding"));
    assert!(page.committed_cents > 0);
}

/// The werkkapitaal of a year as the demo holds it around `reference`, with its checks: the
/// shares add up to the total, every booking lies in the year and not after the reference date.
fn checked_budget(
    store: &Store,
    year: i64,
    as_of: Date,
    reference: Date,
) -> wijkwerk_core::budgets::BudgetOverview {
    let overview = store
        .budget_overview(year, None, as_of)
        .unwrap()
        .unwrap_or_else(|| panic!("a werkkapitaal for {year}"));
    assert_eq!(
        overview.parts.iter().map(|p| p.share_cents).sum::<i64>(),
        overview.total_cents
    );
    assert_eq!(overview.parts.len(), 8);
    let budget_id = overview.budget_id.as_str();
    for entity in [
        Entity::BudgetAdjustment,
        Entity::Commitment,
        Entity::Payment,
    ] {
        for booking in all(store, entity) {
            if text(&booking, "budget_id") != Some(budget_id) {
                continue;
            }
            let day = text(&booking, "date").unwrap();
            assert!(day.starts_with(&format!("{year}-")), "{booking}");
            assert!(day <= reference.to_string().as_str(), "{booking}");
        }
    }
    overview
}

#[test]
fn the_werkkapitaal_has_one_kernoverleg_under_spending_and_an_overrun() {
    let (store, summary) = demo_store(reference());
    assert_eq!(summary.budgets, 2);

    let last_year = checked_budget(&store, 2025, reference(), reference());
    assert_eq!(last_year.total_cents, 9_000_000);
    let under: Vec<&str> = last_year
        .parts
        .iter()
        .filter(|p| p.under_spending)
        .map(|p| p.kernoverleg.as_str())
        .collect();
    assert_eq!(under, vec!["Kernoverleg Egmond aan den Hoef"]);
    assert!(!last_year.overruns.is_empty());
    assert!(last_year.payments_without_commitment >= 1);
    assert!(last_year.parts.iter().all(|p| p.committed_cents > 0));

    let this_year = checked_budget(&store, 2026, reference(), reference());
    assert_eq!(this_year.total_cents, 9_600_000);
    assert_eq!(this_year.adjustments_cents, 0, "moved, not added");
    assert_eq!(this_year.allocated_cents, this_year.total_cents);
    let adjusted: Vec<i64> = this_year
        .parts
        .iter()
        .map(|p| p.adjustments_cents)
        .filter(|a| *a != 0)
        .collect();
    assert_eq!(adjusted.len(), 2);
    assert!(adjusted.contains(&-150_000) && adjusted.contains(&150_000));
    // Not judged before 1 October.
    assert!(this_year.parts.iter().all(|p| !p.under_spending));
    assert!(!this_year.overruns.is_empty());
    assert!(this_year.payments_without_commitment >= 1);
    assert!(
        this_year
            .parts
            .iter()
            .filter(|p| p.committed_cents > 0)
            .count()
            >= 6
    );
    assert_eq!(
        store.budget_overview(2024, None, reference()).unwrap(),
        None
    );
}

#[test]
fn agreements_and_the_werkkapitaal_hold_around_any_day_of_the_year() {
    for day in [
        date(2027, 1, 1),
        date(2027, 1, 3),
        date(2027, 6, 15),
        date(2027, 10, 1),
        date(2027, 12, 30),
        date(2028, 2, 29),
    ] {
        let (store, summary) = demo_store(day);
        assert!(
            summary.agreements >= 6 && summary.milestones_done > 0,
            "{day}"
        );
        let year = i64::from(day.year());
        let last_year = checked_budget(&store, year - 1, day, day);
        let under = last_year.parts.iter().filter(|p| p.under_spending).count();
        assert_eq!(under, 1, "{day}");
        assert!(!last_year.overruns.is_empty(), "{day}");
        // This year's bookings: never in the future, and once 1 October has come, the same one
        // kernoverleg under-spends.
        let this_year = checked_budget(&store, year, day, day);
        let under: Vec<&str> = this_year
            .parts
            .iter()
            .filter(|p| p.under_spending)
            .map(|p| p.kernoverleg.as_str())
            .collect();
        if day.month() >= 10 {
            assert_eq!(under, vec!["Kernoverleg Egmond aan den Hoef"], "{day}");
        } else {
            assert!(under.is_empty(), "{day}");
        }
        let flagged = all(&store, Entity::Agreement)
            .iter()
            .filter(|a| store.agreement_page(id(a)).unwrap().too_many_projects)
            .count();
        assert_eq!(flagged, 1, "{day}");
    }
}

#[test]
fn broken_agreements_and_bookings_are_refused() {
    let mut store = Store::in_memory().unwrap();
    for (from, to) in [
        // A milestone outside its project's period.
        (
            "{ \"day\": 120, \"title\": \"Evaluatie met school en dorpsraad\" }",
            "{ \"day\": 900, \"title\": \"Evaluatie met school en dorpsraad\" }",
        ),
        // A milestone done in the future.
        (
            "\"title\": \"Snelheidsdisplay geplaatst\", \"done\": 0",
            "\"title\": \"Snelheidsdisplay geplaatst\", \"done\": 200",
        ),
        // A day that does not exist.
        ("\"date\": \"03-18\"", "\"date\": \"02-30\""),
        // A department contact who works elsewhere.
        (
            "\"department\": \"dep-verkeer\", \"department_contact\": \"Ruud Zwart\"",
            "\"department\": \"dep-verkeer\", \"department_contact\": \"Kees Molenaar\"",
        ),
        // An adopted agreement without its date.
        (
            "\"status\": \"vastgesteld\", \"adopted\": -150",
            "\"status\": \"vastgesteld\"",
        ),
        // A project that is not there.
        ("\"project\": \"bz-aed\"", "\"project\": \"bz-zwembad\""),
    ] {
        let broken = BERGEN.replacen(from, to, 1);
        assert_ne!(broken, BERGEN, "{from}");
        let result = load_demo_from(&mut store, &broken, reference());
        assert!(result.is_err(), "accepted: {to}");
        assert_eq!(store.count(Entity::Area).unwrap(), 0);
    }
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
