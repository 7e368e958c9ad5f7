//! Calendar export: golden files of representative exports, the RFC 5545 structure of every
//! export, SEQUENCE raised by the write path, and export → import giving back the same events.

mod calendar_support;
mod common;

use calendar_support::{check_structure, events, golden};
use common::{add, fields, village};
use jiff::civil::date;
use jiff::Timestamp;
use serde_json::json;
use uuid::Uuid;
use wijkwerk_core::calendar::export::{ActionPointsAs, ExportFilter, ExportOptions};
use wijkwerk_core::calendar::import::ImportOptions;
use wijkwerk_core::{Entity, Op, Store, Write};

fn stamp() -> Timestamp {
    "2026-11-24T09:00:00Z".parse().unwrap()
}

fn demo() -> Store {
    let mut store = Store::in_memory().unwrap();
    wijkwerk_core::demo::load_demo(&mut store, date(2026, 11, 24)).unwrap();
    store
}

fn export(store: &Store, filter: ExportFilter) -> String {
    let text = store
        .calendar_export(&filter, &ExportOptions::at(stamp()))
        .unwrap()
        .text;
    check_structure(&text);
    text
}

fn area_named(store: &Store, name: &str) -> Uuid {
    let page = store.list(Entity::Area, None, 1000).unwrap();
    let found = page
        .items
        .iter()
        .find(|a| a["name"] == name)
        .unwrap_or_else(|| panic!("no area {name}"));
    found["id"].as_str().unwrap().parse().unwrap()
}

#[test]
fn golden_kernbezoeken_of_a_year() {
    let store = demo();
    let text = export(
        &store,
        ExportFilter {
            visits: true,
            year: Some(2026),
            ..ExportFilter::default()
        },
    );
    assert!(text.contains("METHOD:PUBLISH\r\n"));
    assert!(
        text.contains("DESCRIPTION:Route:\\n13:30 "),
        "route with times"
    );
    golden("kernbezoeken_2026.ics", &text);
}

#[test]
fn golden_meetings_of_a_kern_with_reminder() {
    let store = demo();
    let kern = area_named(&store, "Groet/Camperduin");
    let mut options = ExportOptions::at(stamp());
    options.reminder_minutes = Some(60);
    options.calendar_name = Some("Vergaderingen Groet/Camperduin".into());
    let text = store
        .calendar_export(
            &ExportFilter {
                meetings: true,
                area: Some(kern),
                ..ExportFilter::default()
            },
            &options,
        )
        .unwrap()
        .text;
    check_structure(&text);
    assert!(text.contains("TRIGGER:-PT60M\r\n"));
    assert!(text.contains("ATTENDEE;CN="));
    golden("meetings_groet_camperduin.ics", &text);
}

#[test]
fn golden_action_points_as_tasks_and_as_events() {
    let store = demo();
    let kern = area_named(&store, "Schoorl");
    let tasks = export(
        &store,
        ExportFilter {
            action_points: Some(ActionPointsAs::Tasks),
            area: Some(kern),
            ..ExportFilter::default()
        },
    );
    assert!(tasks.contains("BEGIN:VTODO\r\n") && tasks.contains("DUE;VALUE=DATE:"));
    assert!(!tasks.contains("BEGIN:VEVENT"));
    golden("action_points_schoorl_tasks.ics", &tasks);
    let events = export(
        &store,
        ExportFilter {
            action_points: Some(ActionPointsAs::Events),
            area: Some(kern),
            ..ExportFilter::default()
        },
    );
    assert!(events.contains("DTSTART;VALUE=DATE:") && !events.contains("VTODO"));
    golden("action_points_schoorl_events.ics", &events);
}

/// Text that needs escaping and folding, an all-day meeting, a meeting in UTC and one
/// cancelled: the emitter's edge cases, with fixed ids.
#[test]
fn golden_edge_cases() {
    let mut store = Store::in_memory().unwrap();
    let id = |n: u128| Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0000 + n);
    let create = |n: u128, entity: Entity, value: serde_json::Value| Write {
        entity,
        id: id(n),
        op: Op::Create(fields(value)),
    };
    store
        .write(vec![
            create(1, Entity::Area, json!({"name": "Groet", "kind": "core"})),
            create(
                2,
                Entity::Contact,
                json!({"name": "Zoë d'Hondt, \"voorzitter\"", "email": "zoe@example.nl"}),
            ),
            create(
                3,
                Entity::Meeting,
                json!({
                    "kind": "ledenvergadering", "area_id": id(1),
                    "title": "Ledenvergadering; jaarverslag, begroting & café-avond — één keer per jaar, met een lange titel die gevouwen moet worden",
                    "starts_at": "2026-03-12T19:30", "ends_at": "2026-03-12T21:30",
                    "location": "Dorpshuis \"De Blinkerd\"; zaal 2, boven",
                    "notes": "Eerste regel\nTweede regel met \\ backslash\nDerde: ëïöü ß 漢字 🙂"
                }),
            ),
            create(
                4,
                Entity::Meeting,
                json!({
                    "kind": "other", "title": "Dorpsfeest", "area_id": id(1),
                    "starts_at": "2026-06-13T00:00", "ends_at": "2026-06-14T00:00"
                }),
            ),
            create(
                5,
                Entity::Meeting,
                json!({
                    "kind": "netwerkbijeenkomst", "title": "Online netwerkbijeenkomst",
                    "starts_at": "2026-10-25T09:00:00Z", "ends_at": "2026-10-25T10:30:00Z",
                    "time_zone": "UTC"
                }),
            ),
            create(
                6,
                Entity::Visit,
                json!({
                    "kind": "kernbezoek", "title": "Kernbezoek Groet", "area_id": id(1),
                    "starts_at": "2026-10-25T13:30", "ends_at": "2026-10-25T16:30",
                    "status": "cancelled"
                }),
            ),
            create(
                7,
                Entity::Attendance,
                json!({"meeting_id": id(3), "contact_id": id(2), "status": "present"}),
            ),
        ])
        .unwrap();
    let text = export(&store, ExportFilter::default());
    assert!(text.contains("DTSTART;VALUE=DATE:20260613\r\nDTEND;VALUE=DATE:20260614\r\n"));
    assert!(text.contains("DTSTART:20261025T090000Z\r\n"));
    assert!(text.contains("STATUS:CANCELLED\r\n"));
    assert!(text.contains("ATTENDEE;CN=\"Zoë d'Hondt, 'voorzitter'\";"));
    let unfolded = calendar_support::unfold(&text).join("\n");
    assert!(unfolded.contains("LOCATION:Dorpshuis \"De Blinkerd\"\\; zaal 2\\, boven"));
    assert!(unfolded.contains(
        "DESCRIPTION:Eerste regel\\nTweede regel met \\\\ backslash\\nDerde: ëïöü ß 漢字 🙂"
    ));
    golden("edge_cases.ics", &text);
}

#[test]
fn every_demo_export_is_well_formed() {
    let store = demo();
    for filter in [
        ExportFilter::default(),
        ExportFilter {
            action_points: Some(ActionPointsAs::Tasks),
            ..ExportFilter::default()
        },
        ExportFilter {
            action_points: Some(ActionPointsAs::Events),
            visits: true,
            meetings: true,
            ..ExportFilter::default()
        },
    ] {
        let text = export(&store, filter);
        assert!(text.matches("BEGIN:VTIMEZONE").count() <= 1);
    }
}

#[test]
fn sequence_rises_when_time_or_place_changes() {
    let mut store = Store::in_memory().unwrap();
    let v = village(&mut store);
    let visit = add(
        &mut store,
        Entity::Visit,
        json!({"kind": "kernbezoek", "title": "Kernbezoek Groet", "area_id": v.kern,
               "starts_at": "2026-05-12T13:30", "ends_at": "2026-05-12T16:30"}),
    );
    let sequence =
        |store: &Store| store.get(Entity::Visit, visit).unwrap()["ical_sequence"].clone();
    assert_eq!(
        sequence(&store),
        json!(null),
        "a new visit has sequence 0 (not stored)"
    );
    store
        .update(
            Entity::Visit,
            visit,
            fields(json!({"notes": "Met de wethouder"})),
        )
        .unwrap();
    assert_eq!(sequence(&store), json!(null), "notes do not raise it");
    store
        .update(
            Entity::Visit,
            visit,
            fields(json!({"starts_at": "2026-05-12T14:00"})),
        )
        .unwrap();
    assert_eq!(sequence(&store), json!(1));
    // The same time written differently is no change.
    store
        .update(
            Entity::Visit,
            visit,
            fields(json!({"starts_at": "2026-05-12T12:00:00Z"})),
        )
        .unwrap();
    assert_eq!(sequence(&store), json!(1));
    store
        .update(
            Entity::Visit,
            visit,
            fields(json!({"location": "Dorpshuis De Blinkerd"})),
        )
        .unwrap();
    store
        .update(Entity::Visit, visit, fields(json!({"status": "cancelled"})))
        .unwrap();
    assert_eq!(sequence(&store), json!(3));
    let text = export(&store, ExportFilter::default());
    assert!(text.contains("SEQUENCE:3\r\n"));
    // A refused change raises nothing.
    let before = store.export_json().unwrap();
    assert!(store
        .update(
            Entity::Visit,
            visit,
            fields(json!({"starts_at": "2026-05-12T18:00", "ends_at": "2026-05-12T17:00"}))
        )
        .is_err());
    assert_eq!(store.export_json().unwrap(), before);
}

#[test]
fn export_then_import_gives_back_the_same_events() {
    let store = demo();
    let text = export(
        &store,
        ExportFilter {
            visits: true,
            meetings: true,
            year: Some(2026),
            ..ExportFilter::default()
        },
    );
    let now = stamp();
    // Into an empty store: every event becomes a meeting with the same UID, time and place.
    let mut fresh = Store::in_memory().unwrap();
    let report = fresh
        .calendar_import(text.as_bytes(), &ImportOptions { now })
        .unwrap();
    assert!(report.refused.is_empty(), "{:?}", report.refused);
    assert_eq!(report.created.len(), events(&text).len());
    let again = export(&fresh, ExportFilter::default());
    let strip_status = |text: &str| {
        events(text)
            .into_iter()
            .map(|(uid, props)| {
                let props: Vec<String> = props
                    .into_iter()
                    .filter(|p| !p.starts_with("STATUS"))
                    .collect();
                (uid, props)
            })
            .collect::<std::collections::BTreeMap<_, _>>()
    };
    assert_eq!(strip_status(&again), strip_status(&text));
    // Into the store it came from: nothing new, nothing changed.
    let mut same = demo();
    let before = same.export_json().unwrap();
    let report = same
        .calendar_import(text.as_bytes(), &ImportOptions { now })
        .unwrap();
    assert!(report.created.is_empty(), "{:?}", report.created);
    assert!(report.updated.is_empty(), "{:?}", report.updated);
    assert_eq!(report.unchanged.len(), events(&text).len());
    assert_eq!(same.export_json().unwrap(), before);
}

#[test]
fn the_feed_has_kernbezoeken_without_attendees() {
    let store = demo();
    let feed = store
        .kernbezoek_feed(&wijkwerk_core::calendar::feed::FeedOptions {
            calendar_name: "Kernbezoeken Gemeente Bergen".into(),
            since: date(2026, 1, 1),
            now: stamp(),
        })
        .unwrap();
    check_structure(&feed.text);
    assert!(feed.events > 0);
    assert!(!feed.text.contains("ATTENDEE"));
    assert!(feed
        .text
        .contains("REFRESH-INTERVAL;VALUE=DURATION:PT60M\r\n"));
    assert!(feed.text.contains("CATEGORIES:Kernbezoek\r\n"));
    assert!(!feed.text.contains("CATEGORIES:Ledenvergadering"));
    let token = wijkwerk_core::calendar::feed::new_feed_token();
    assert_eq!(token.len(), 64);
    assert_ne!(token, wijkwerk_core::calendar::feed::new_feed_token());
}

/// The feed is built from record values by the calendar crate (as the sync server builds it);
/// it must be the calendar a calendar export with the feed's filter writes from the store.
#[test]
fn the_feed_from_records_is_the_export_with_the_feeds_filter() {
    let mut store = demo();
    // A stop deleted, a visit cancelled, one deleted: still the same calendar both ways.
    let visits = store.list(Entity::Visit, None, 1_000).unwrap().items;
    assert!(visits.len() > 3);
    let id = |v: &serde_json::Value| Uuid::parse_str(v["id"].as_str().unwrap()).unwrap();
    store
        .write(vec![
            Write::update(
                Entity::Visit,
                id(&visits[0]),
                fields(json!({"status": "cancelled"})),
            ),
            Write {
                entity: Entity::Visit,
                id: id(&visits[1]),
                op: Op::Delete,
            },
        ])
        .unwrap();
    for since in [date(2020, 1, 1), date(2026, 1, 1), date(2026, 11, 1)] {
        let feed = store
            .kernbezoek_feed(&wijkwerk_core::calendar::feed::FeedOptions {
                calendar_name: "Kernbezoeken Gemeente Bergen".into(),
                since,
                now: stamp(),
            })
            .unwrap();
        let filter = ExportFilter {
            visits: true,
            visit_kind: Some("kernbezoek".into()),
            since: Some(since),
            ..ExportFilter::default()
        };
        let mut options = ExportOptions::at(stamp());
        options.calendar_name = Some("Kernbezoeken Gemeente Bergen".into());
        options.attendees = false;
        options.refresh_minutes = Some(wijkwerk_core::calendar::feed::FEED_REFRESH_MINUTES);
        let export = store.calendar_export(&filter, &options).unwrap();
        assert_eq!(feed, export, "since {since}");
        if since == date(2020, 1, 1) {
            assert!(feed.events > 3);
            assert!(feed.text.contains("ORGANIZER"), "{}", feed.text);
            assert!(feed.text.contains("Route:"), "{}", feed.text);
        }
    }
}
