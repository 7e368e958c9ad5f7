//! The one write path: what it writes, what it stamps, what it refuses.

mod common;

use common::{add, fields, village};
use serde_json::json;
use wijkwerk_core::{Entity, Error, Invalid, Store, Write};

#[test]
fn a_created_record_reads_back_in_normal_form() {
    let mut store = Store::in_memory().unwrap();
    let v = village(&mut store);
    let meeting = add(
        &mut store,
        Entity::Meeting,
        json!({
            "kind": "ledenvergadering", "title": "  Ledenvergadering voorjaar ",
            "organisation_id": v.association, "starts_at": "2026-03-12T19:30",
            "ends_at": "2026-03-12T21:30", "location": "Dorpshuis De Blinkerd"
        }),
    );
    let record = store.get(Entity::Meeting, meeting).unwrap();
    assert_eq!(record["title"], "Ledenvergadering voorjaar");
    assert_eq!(
        record["starts_at"], "2026-03-12T18:30:00Z",
        "19:30 in Amsterdam in winter"
    );
    assert_eq!(record["time_zone"], "Europe/Amsterdam", "default zone");
    assert_eq!(record["status"], "planned", "default status");
    assert_eq!(record["area_id"], serde_json::Value::Null);
}

#[test]
fn every_batch_is_one_outbox_entry_with_every_field_stamped() {
    let mut store = Store::in_memory().unwrap();
    let before = store.outbox_len().unwrap();
    let area = Write::create(
        Entity::Area,
        fields(json!({"name": "Schoorl", "kind": "core"})),
    );
    let area_id = area.id;
    let wijk = Write::create(
        Entity::Area,
        fields(json!({"name": "Schoorl-Duin", "kind": "district", "parent_id": area_id})),
    );
    let committed = store.write(vec![area, wijk]).unwrap();
    assert_eq!(store.outbox_len().unwrap(), before + 1);
    let (_, set) = store.outbox(10).unwrap().pop().unwrap();
    assert_eq!(Some(set.hlc), committed.hlc);
    assert_eq!(set.changes.len(), 2);
    let first = &set.changes[0];
    assert_eq!(first.entity, "area");
    assert_eq!(first.fields.keys().collect::<Vec<_>>(), ["kind", "name"]);
    assert!(first.fields.values().all(|f| f.hlc == set.hlc));
}

#[test]
fn clocks_only_go_forward() {
    let mut store = Store::in_memory().unwrap();
    let mut last = None;
    for i in 0..50 {
        let committed = store
            .write(vec![Write::create(
                Entity::Contact,
                fields(json!({"name": format!("Bewoner {i}")})),
            )])
            .unwrap();
        assert!(committed.hlc > last, "clock went back at write {i}");
        last = committed.hlc;
    }
}

#[test]
fn an_update_stamps_only_the_fields_that_changed() {
    let mut store = Store::in_memory().unwrap();
    let v = village(&mut store);
    store
        .update(
            Entity::Contact,
            v.contact,
            fields(json!({"name": "Joke de Coöperatie", "phone": "072-1234567"})),
        )
        .unwrap();
    let (_, set) = store.outbox(100).unwrap().pop().unwrap();
    assert_eq!(set.changes[0].fields.keys().collect::<Vec<_>>(), ["phone"]);
    let n = store.outbox_len().unwrap();
    store
        .update(
            Entity::Contact,
            v.contact,
            fields(json!({"phone": "072-1234567"})),
        )
        .unwrap();
    assert_eq!(
        store.outbox_len().unwrap(),
        n,
        "a write that changes nothing is not sent"
    );
}

#[test]
fn delete_is_a_tombstone_that_restore_undoes() {
    let mut store = Store::in_memory().unwrap();
    let v = village(&mut store);
    store.delete(Entity::Contact, v.contact).unwrap();
    assert_eq!(
        store.get(Entity::Contact, v.contact).unwrap()["deleted"],
        true
    );
    assert!(matches!(
        store.get_live(Entity::Contact, v.contact),
        Err(Error::NotFound { .. })
    ));
    assert!(store
        .list(Entity::Contact, None, 10)
        .unwrap()
        .items
        .is_empty());
    assert!(
        store.search("Joke", 10).unwrap().is_empty(),
        "deleted records are not found"
    );
    let err = store
        .update(Entity::Contact, v.contact, fields(json!({"phone": "1"})))
        .unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }));
    store.restore(Entity::Contact, v.contact).unwrap();
    assert_eq!(
        store.list(Entity::Contact, None, 10).unwrap().items.len(),
        1
    );
    assert_eq!(store.search("Joke", 10).unwrap().len(), 1);
}

#[test]
fn attendance_is_one_record_per_meeting_and_contact() {
    let mut store = Store::in_memory().unwrap();
    let v = village(&mut store);
    let meeting = add(
        &mut store,
        Entity::Meeting,
        json!({"kind": "kernoverleg", "title": "Kernoverleg Groet", "starts_at": "2026-10-01T19:30",
               "ends_at": "2026-10-01T21:30"}),
    );
    let first = add(
        &mut store,
        Entity::Attendance,
        json!({"meeting_id": meeting, "contact_id": v.contact}),
    );
    let second = add(
        &mut store,
        Entity::Attendance,
        json!({"meeting_id": meeting, "contact_id": v.contact, "status": "present"}),
    );
    assert_eq!(first, second);
    assert_eq!(
        store.get(Entity::Attendance, first).unwrap()["status"],
        "present"
    );
    assert_eq!(store.count(Entity::Attendance).unwrap(), 1);
}

#[test]
fn positions_of_agenda_items_follow_on() {
    let mut store = Store::in_memory().unwrap();
    let meeting = add(
        &mut store,
        Entity::Meeting,
        json!({"kind": "ledenvergadering", "title": "ALV", "starts_at": "2026-10-01T19:30",
               "ends_at": "2026-10-01T21:30"}),
    );
    for title in ["Opening", "Verkeer Dorpsstraat", "Rondvraag"] {
        add(
            &mut store,
            Entity::AgendaItem,
            json!({"meeting_id": meeting, "title": title}),
        );
    }
    let page = store.meeting_page(meeting, wijkwerk_core::today()).unwrap();
    let titles: Vec<_> = page
        .agenda
        .iter()
        .map(|i| (i["position"].clone(), i["title"].clone()))
        .collect();
    assert_eq!(
        titles,
        [
            (json!(0), json!("Opening")),
            (json!(1), json!("Verkeer Dorpsstraat")),
            (json!(2), json!("Rondvraag"))
        ]
    );
}

#[test]
fn action_point_status_changes_keep_a_complete_history() {
    let mut store = Store::in_memory().unwrap();
    let v = village(&mut store);
    let point = add(
        &mut store,
        Entity::ActionPoint,
        json!({"title": "Lantaarnpaal Kerkweg kapot", "area_id": v.kern,
               "requester_organisation_id": v.association, "owner_organisation_id": v.department,
               "due_date": "2026-01-31", "opened_on": "2026-01-05"}),
    );
    store
        .change_action_point_status(
            point,
            "in_progress",
            Some("Melding doorgezet naar BOR"),
            Some("coördinator"),
        )
        .unwrap();
    store
        .comment_action_point(point, "Aannemer ingepland", None)
        .unwrap();
    store
        .update(
            Entity::ActionPoint,
            point,
            fields(json!({"status": "done"})),
        )
        .unwrap();
    let history = store.action_point_history(point).unwrap();
    let steps: Vec<_> = history
        .iter()
        .map(|e| {
            (
                e.kind.as_str(),
                e.from_status.as_deref(),
                e.to_status.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        steps,
        [
            ("status_change", None, Some("open")),
            ("status_change", Some("open"), Some("in_progress")),
            ("comment", None, None),
            ("status_change", Some("in_progress"), Some("done")),
        ]
    );
    assert_eq!(
        history[1].comment.as_deref(),
        Some("Melding doorgezet naar BOR")
    );
}

#[test]
fn overdue_is_derived_from_due_date_and_status() {
    let mut store = Store::in_memory().unwrap();
    let day = |s: &str| s.parse::<jiff::civil::Date>().unwrap();
    let late = add(
        &mut store,
        Entity::ActionPoint,
        json!({"title": "Bankje", "due_date": "2026-02-01"}),
    );
    add(
        &mut store,
        Entity::ActionPoint,
        json!({"title": "Later", "due_date": "2026-06-01"}),
    );
    add(
        &mut store,
        Entity::ActionPoint,
        json!({"title": "Zonder datum"}),
    );
    let done = add(
        &mut store,
        Entity::ActionPoint,
        json!({"title": "Klaar", "due_date": "2026-01-01"}),
    );
    store
        .change_action_point_status(done, "done", None, None)
        .unwrap();

    let overdue = store.overdue(day("2026-03-01"), None, 10).unwrap();
    assert_eq!(
        overdue.iter().map(|a| a.id.clone()).collect::<Vec<_>>(),
        [late.to_string()]
    );
    assert_eq!(overdue[0].days_overdue, 28);
    assert_eq!(store.overdue_count(day("2026-01-15")).unwrap(), 0);
    assert_eq!(store.overdue_count(day("2026-07-01")).unwrap(), 2);
}

#[test]
fn a_board_shows_its_vacancies() {
    let mut store = Store::in_memory().unwrap();
    let v = village(&mut store);
    let piet = add(&mut store, Entity::Contact, json!({"name": "Piet Bakker"}));
    add(
        &mut store,
        Entity::Role,
        json!({"contact_id": v.contact, "organisation_id": v.association, "kind": "chair", "start_date": "2022-01-01"}),
    );
    add(
        &mut store,
        Entity::Role,
        json!({"contact_id": piet, "organisation_id": v.association, "kind": "treasurer",
               "start_date": "2020-01-01", "end_date": "2025-12-31"}),
    );
    let day = "2026-03-01".parse().unwrap();
    let board = store.board(v.association, day).unwrap();
    assert_eq!(board.current.len(), 1);
    assert_eq!(board.history.len(), 2);
    assert_eq!(board.empty_seats, 2);
    assert_eq!(board.missing_positions, ["secretary", "treasurer"]);
    let vacancies = store.vacancies(day).unwrap();
    assert_eq!(vacancies.len(), 1);
    assert_eq!(vacancies[0].name, "Dorpsraad Groet");
}

/// Each refused write names the field and leaves the store byte for byte as it was.
#[test]
fn bad_input_is_refused_and_changes_nothing() {
    let mut store = Store::in_memory().unwrap();
    let v = village(&mut store);
    let unknown = uuid::Uuid::now_v7();
    let long = "x".repeat(201);
    let cases: Vec<(Entity, serde_json::Value, &str)> = vec![
        (Entity::Contact, json!({"name": "   "}), "name"),
        (Entity::Contact, json!({"email": "a@b.nl"}), "name"),
        (Entity::Contact, json!({"name": long}), "name"),
        (
            Entity::Contact,
            json!({"name": "A", "shoe_size": 43}),
            "shoe_size",
        ),
        (
            Entity::Contact,
            json!({"name": "A", "email": "not an address"}),
            "email",
        ),
        (
            Entity::Area,
            json!({"name": "X", "kind": "province"}),
            "kind",
        ),
        (
            Entity::Area,
            json!({"name": "X", "kind": "district", "parent_id": unknown}),
            "parent_id",
        ),
        (
            Entity::Area,
            json!({"name": "X", "kind": "core", "parent_id": v.wijk}),
            "parent_id",
        ),
        (
            Entity::Area,
            json!({"name": "X", "kind": "core", "inhabitants": -3}),
            "inhabitants",
        ),
        (
            Entity::Organisation,
            json!({"name": "X", "kind": "dorpsraad", "area_ids": [unknown]}),
            "area_ids",
        ),
        (
            Entity::Role,
            json!({"contact_id": v.contact, "organisation_id": v.association, "kind": "chair",
                   "start_date": "2024-05-01", "end_date": "2024-04-30"}),
            "end_date",
        ),
        (
            Entity::Role,
            json!({"contact_id": v.contact, "organisation_id": unknown, "kind": "chair", "start_date": "2024-05-01"}),
            "organisation_id",
        ),
        (
            Entity::Meeting,
            json!({"kind": "kernoverleg", "title": "K", "starts_at": "2026-03-12T21:30", "ends_at": "2026-03-12T19:30"}),
            "ends_at",
        ),
        (
            Entity::Meeting,
            json!({"kind": "kernoverleg", "title": "K", "starts_at": "2026-02-31T19:30", "ends_at": "2026-03-01T19:30"}),
            "starts_at",
        ),
        (
            Entity::Meeting,
            json!({"kind": "kernoverleg", "title": "K", "starts_at": "2026-03-12T19:30",
                   "ends_at": "2026-03-12T21:30", "time_zone": "Europe/Bergen"}),
            "time_zone",
        ),
        (
            Entity::ActionPoint,
            json!({"title": "X", "due_date": "2026-02-30"}),
            "due_date",
        ),
        (Entity::ActionPoint, json!({"title": 42}), "title"),
        (
            Entity::AgendaItem,
            json!({"meeting_id": unknown, "title": "X"}),
            "meeting_id",
        ),
    ];
    let before = store.export_json().unwrap();
    let outbox = store.outbox_len().unwrap();
    for (entity, value, field) in cases {
        let err = store.create(entity, fields(value.clone())).unwrap_err();
        match &err {
            Error::Invalid { field: f, .. } => assert_eq!(f, field, "{entity} {value}: {err}"),
            other => panic!("{entity} {value}: expected a refusal naming {field}, got {other}"),
        }
    }
    // A batch with one bad write writes nothing at all.
    let good = Write::create(Entity::Contact, fields(json!({"name": "Goed"})));
    let bad = Write::create(Entity::Contact, fields(json!({"name": ""})));
    assert!(store.write(vec![good, bad]).is_err());
    // An update that would break a rule is refused too.
    let err = store
        .update(Entity::Area, v.wijk, fields(json!({"name": ""})))
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Invalid {
                reason: Invalid::Empty,
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(store.export_json().unwrap(), before);
    assert_eq!(store.outbox_len().unwrap(), outbox);
}

#[test]
fn a_record_written_twice_in_one_batch_is_one_change_with_the_later_values() {
    let mut store = Store::in_memory().unwrap();
    let create = Write::create(
        Entity::Contact,
        fields(json!({"name": "Eerst", "phone": "1"})),
    );
    let id = create.id;
    let update = Write::update(Entity::Contact, id, fields(json!({"name": "Daarna"})));
    store.write(vec![create, update]).unwrap();
    let (_, set) = store.outbox(10).unwrap().pop().unwrap();
    assert_eq!(set.changes.len(), 1);
    assert_eq!(set.changes[0].fields["name"].value, "Daarna");
    assert_eq!(set.changes[0].fields["phone"].value, "1");
}
