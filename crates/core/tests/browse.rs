//! The app's lists over the demo municipality: filters, order, paging, and an area's page.

use jiff::civil::date;
use uuid::Uuid;
use wijkwerk_core::browse::{ActionPointQuery, AppointmentQuery, ContactQuery, OrganisationQuery};
use wijkwerk_core::Store;

fn demo() -> Store {
    let mut store = Store::in_memory().unwrap();
    wijkwerk_core::demo::load_demo(&mut store, date(2026, 11, 24)).unwrap();
    store
}

#[test]
fn organisations_come_in_name_order_and_pages_join_up() {
    let store = demo();
    let all = store
        .organisation_list(&OrganisationQuery {
            limit: 500,
            ..Default::default()
        })
        .unwrap();
    let total = all.total.unwrap() as usize;
    assert_eq!(all.items.len(), total);
    let names: Vec<String> = all.items.iter().map(|o| o.name.to_lowercase()).collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
    let second = store
        .organisation_list(&OrganisationQuery {
            offset: 5,
            limit: 5,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(second.total, None, "only the first page counts");
    assert_eq!(second.items, all.items[5..10].to_vec());
}

#[test]
fn filters_narrow_the_lists() {
    let store = demo();
    let dorpsraden = store
        .organisation_list(&OrganisationQuery {
            kind: Some("dorpsraad".into()),
            ..Default::default()
        })
        .unwrap();
    assert!(!dorpsraden.items.is_empty());
    assert!(dorpsraden.items.iter().all(|o| o.kind == "dorpsraad"));

    let found = store
        .organisation_list(&OrganisationQuery {
            text: Some(dorpsraden.items[0].name.clone()),
            ..Default::default()
        })
        .unwrap();
    assert!(found.items.iter().any(|o| o.id == dorpsraden.items[0].id));

    let members = store
        .contact_list(
            &ContactQuery {
                organisation_id: Some(dorpsraden.items[0].id.clone()),
                ..Default::default()
            },
            date(2026, 11, 24),
        )
        .unwrap();
    assert!(!members.items.is_empty());
    assert!(members.items.iter().any(|c| c.organisations.is_some()));
}

#[test]
fn meetings_filter_by_days_in_amsterdam_and_sort_either_way() {
    let store = demo();
    let week = AppointmentQuery {
        from: Some("2026-11-23".into()),
        until: Some("2026-11-30".into()),
        ..Default::default()
    };
    let page = store.meeting_list(&week).unwrap();
    assert!(!page.items.is_empty());
    assert!(page
        .items
        .windows(2)
        .all(|w| w[0].starts_at <= w[1].starts_at));
    let newest = store
        .meeting_list(&AppointmentQuery {
            newest_first: true,
            ..week.clone()
        })
        .unwrap();
    assert_eq!(newest.items.first(), page.items.last());
    assert!(store
        .meeting_list(&AppointmentQuery {
            from: Some("2026-02-31".into()),
            ..Default::default()
        })
        .is_err());
}

#[test]
fn action_points_filter_by_status_overdue_and_area() {
    let store = demo();
    let today = date(2026, 11, 24);
    let overdue = store
        .action_point_list(
            &ActionPointQuery {
                overdue_only: true,
                limit: 500,
                ..Default::default()
            },
            today,
        )
        .unwrap();
    assert_eq!(overdue.total.unwrap(), store.overdue_count(today).unwrap());
    assert!(overdue.items.iter().all(|a| a.days_overdue > 0));

    let done = store
        .action_point_list(
            &ActionPointQuery {
                statuses: vec!["done".into()],
                ..Default::default()
            },
            today,
        )
        .unwrap();
    assert!(done.items.iter().all(|a| a.status == "done"));

    let tree = store.area_tree().unwrap();
    let kern = tree.iter().find(|a| a.kind == "core").unwrap();
    let page = store
        .area_page(Uuid::parse_str(&kern.id).unwrap(), today)
        .unwrap();
    assert_eq!(page.area.id, kern.id);
    assert!(!page.path.is_empty(), "a kern lies in the municipality");
    assert!(page
        .open_action_points
        .iter()
        .all(|a| ["open", "in_progress", "waiting"].contains(&a.status.as_str())));
    let owner = overdue
        .items
        .iter()
        .find_map(|a| a.owner_organisation_id.clone())
        .expect("the demo has overdue action points owned by an organisation");
    let owned = store
        .action_point_list(
            &ActionPointQuery {
                owner_id: Some(owner.clone()),
                ..Default::default()
            },
            today,
        )
        .unwrap();
    assert!(!owned.items.is_empty());
    assert!(owned
        .items
        .iter()
        .all(|a| a.owner_organisation_id.as_deref() == Some(owner.as_str())));
}

#[test]
fn an_areas_page_lists_the_meetings_of_its_organisations() {
    let store = demo();
    let today = date(2026, 11, 24);
    let coming = store
        .meeting_list(&AppointmentQuery {
            from: Some(today.to_string()),
            limit: 500,
            ..Default::default()
        })
        .unwrap();
    // A coming meeting held by an organisation that is linked to an area.
    let (meeting, area) = coming
        .items
        .iter()
        .find_map(|m| {
            let organisation = store
                .get(
                    wijkwerk_core::Entity::Organisation,
                    Uuid::parse_str(m.organisation_id.as_deref()?).ok()?,
                )
                .ok()?;
            let area = organisation["area_ids"]
                .as_array()?
                .first()?
                .as_str()?
                .to_owned();
            Some((m.id.clone(), area))
        })
        .expect("the demo has coming meetings of organisations with an area");
    let page = store
        .area_page(Uuid::parse_str(&area).unwrap(), today)
        .unwrap();
    assert!(page.meetings.iter().any(|m| m.id == meeting));
    assert!(page
        .meetings
        .windows(2)
        .all(|w| w[0].starts_at <= w[1].starts_at));
}
