//! A meeting's page: the previous meeting of its series and the open action points carried over
//! from it, and the action points made from its own agenda items.

mod common;

use common::{add, village};
use jiff::civil::date;
use serde_json::json;
use uuid::Uuid;
use wijkwerk_core::{Entity, Store};

fn meeting(store: &mut Store, kind: &str, organisation: Uuid, day: &str, status: &str) -> Uuid {
    add(
        store,
        Entity::Meeting,
        json!({
            "kind": kind, "title": format!("{kind} {day}"), "organisation_id": organisation,
            "starts_at": format!("{day}T19:30"), "ends_at": format!("{day}T21:30"),
            "status": status
        }),
    )
}

fn action_point(store: &mut Store, item: Uuid, title: &str, status: &str) -> Uuid {
    add(
        store,
        Entity::ActionPoint,
        json!({
            "title": title, "source_agenda_item_id": item, "status": status,
            "opened_on": "2026-03-12", "due_date": "2026-04-01"
        }),
    )
}

#[test]
fn open_action_points_of_the_previous_meeting_are_carried_over() {
    let mut store = Store::in_memory().unwrap();
    let v = village(&mut store);
    let first = meeting(
        &mut store,
        "kernoverleg",
        v.association,
        "2026-03-12",
        "held",
    );
    let item = add(
        &mut store,
        Entity::AgendaItem,
        json!({"meeting_id": first, "position": 10, "title": "Verkeer Voorstraat"}),
    );
    let open = action_point(&mut store, item, "Drempel Voorstraat", "open");
    let waiting = action_point(&mut store, item, "Bord 30 km", "waiting");
    action_point(&mut store, item, "Lantaarnpaal", "done");
    // Neither a cancelled meeting in between, nor another kind, nor one of another
    // organisation is "the previous one".
    let cancelled = meeting(
        &mut store,
        "kernoverleg",
        v.association,
        "2026-06-01",
        "cancelled",
    );
    let cancelled_item = add(
        &mut store,
        Entity::AgendaItem,
        json!({"meeting_id": cancelled, "position": 10, "title": "Vervallen"}),
    );
    action_point(
        &mut store,
        cancelled_item,
        "Van het vervallen overleg",
        "open",
    );
    meeting(
        &mut store,
        "ledenvergadering",
        v.association,
        "2026-07-01",
        "held",
    );
    meeting(
        &mut store,
        "kernoverleg",
        v.department,
        "2026-08-01",
        "held",
    );
    let second = meeting(
        &mut store,
        "kernoverleg",
        v.association,
        "2026-10-08",
        "planned",
    );

    let page = store.meeting_page(second, date(2026, 10, 1)).unwrap();
    assert_eq!(page.organisation_name.as_deref(), Some("Dorpsraad Groet"));
    assert_eq!(page.area_name, None);
    let previous = page.previous_meeting.expect("a previous meeting");
    assert_eq!(previous.id, first.to_string());
    assert_eq!(previous.title, "kernoverleg 2026-03-12");
    assert_eq!(previous.starts_at, "2026-03-12T18:30:00Z");
    let mut carried: Vec<String> = page.carried_over.iter().map(|p| p.id.clone()).collect();
    carried.sort();
    let mut expected = vec![open.to_string(), waiting.to_string()];
    expected.sort();
    assert_eq!(
        carried, expected,
        "only the open ones, not the finished one"
    );
    assert!(page.carried_over.iter().all(|p| p.days_overdue == 183));
    assert!(page.agenda_action_points.is_empty());

    // The first meeting has no previous one, and lists the three action points made from its item.
    let page = store.meeting_page(first, date(2026, 10, 1)).unwrap();
    assert_eq!(page.previous_meeting, None);
    assert!(page.carried_over.is_empty());
    assert_eq!(page.agenda_action_points.len(), 3);
    assert!(page
        .agenda_action_points
        .iter()
        .all(|p| p.agenda_item_id == item.to_string()));
}

#[test]
fn without_an_organisation_the_series_is_the_area() {
    let mut store = Store::in_memory().unwrap();
    let v = village(&mut store);
    let in_area = |day: &str| {
        json!({
            "kind": "kernoverleg", "title": format!("Kernoverleg {day}"), "area_id": v.kern,
            "starts_at": format!("{day}T19:30"), "ends_at": format!("{day}T21:30")
        })
    };
    let first = add(&mut store, Entity::Meeting, in_area("2026-03-12"));
    let item = add(
        &mut store,
        Entity::AgendaItem,
        json!({"meeting_id": first, "position": 10, "title": "Speeltuin"}),
    );
    let point = action_point(&mut store, item, "Hek speeltuin", "in_progress");
    let second = add(&mut store, Entity::Meeting, in_area("2026-10-08"));

    let page = store.meeting_page(second, date(2026, 3, 20)).unwrap();
    assert_eq!(page.area_name.as_deref(), Some("Groet"));
    assert_eq!(page.previous_meeting.map(|m| m.id), Some(first.to_string()));
    assert_eq!(page.carried_over.len(), 1);
    assert_eq!(page.carried_over[0].id, point.to_string());
    assert_eq!(page.carried_over[0].days_overdue, 0);
}
