//! Personal data (AVG): the legal basis, the retention review, anonymisation and inzage.

mod common;

use common::{add, fields, village};
use jiff::civil::{date, Date};
use serde_json::{json, Value};
use uuid::Uuid;
use wijkwerk_core::privacy::{RetentionReason, ANONYMOUS_NAME};
use wijkwerk_core::protocol::RecordChange;
use wijkwerk_core::{Entity, Error, Invalid, Store};

const TODAY: Date = date(2026, 6, 1);

fn person(store: &mut Store, name: &str) -> Uuid {
    add(store, Entity::Contact, json!({"name": name}))
}

fn role(store: &mut Store, contact: Uuid, organisation: Uuid, start: &str, end: Option<&str>) {
    add(
        store,
        Entity::Role,
        json!({"contact_id": contact, "organisation_id": organisation, "kind": "board_member",
               "title": "Penningmeester van de speeltuin", "start_date": start, "end_date": end}),
    );
}

fn meeting_on(store: &mut Store, organisation: Uuid, day: &str) -> Uuid {
    add(
        store,
        Entity::Meeting,
        json!({"kind": "ledenvergadering", "title": format!("Ledenvergadering {day}"),
               "organisation_id": organisation, "starts_at": format!("{day}T19:30:00"),
               "ends_at": format!("{day}T21:30:00"), "status": "held"}),
    )
}

fn attend(store: &mut Store, meeting: Uuid, contact: Uuid) {
    add(
        store,
        Entity::Attendance,
        json!({"meeting_id": meeting, "contact_id": contact, "status": "present"}),
    );
}

/// What one laptop wrote that another has not seen: its outbox.
fn outbox_changes(store: &Store) -> Vec<RecordChange> {
    store
        .outbox(10_000)
        .unwrap()
        .into_iter()
        .flat_map(|(_, set)| set.changes)
        .collect()
}

fn proposed(store: &Store) -> Vec<(String, RetentionReason)> {
    store
        .retention_review(TODAY)
        .unwrap()
        .candidates
        .into_iter()
        .map(|c| (c.name, c.reason))
        .collect()
}

#[test]
fn consent_without_its_date_is_refused_on_the_consent_date_field() {
    let mut store = Store::in_memory().unwrap();
    let refused = store
        .create(
            Entity::Contact,
            fields(json!({"name": "Ria Dekker", "legal_basis": "toestemming"})),
        )
        .unwrap_err();
    match refused {
        Error::Invalid { field, reason, .. } => {
            assert_eq!(field, "consent_date");
            assert_eq!(reason, Invalid::ConsentDateRequired);
        }
        other => panic!("expected a refused consent date, got {other}"),
    }
    let id = store
        .create(
            Entity::Contact,
            fields(json!({"name": "Ria Dekker", "legal_basis": "toestemming",
                          "consent_date": "2026-01-10"})),
        )
        .unwrap();
    // Taking the date away again is refused the same way.
    let refused = store
        .update(Entity::Contact, id, fields(json!({"consent_date": null})))
        .unwrap_err();
    assert!(matches!(refused, Error::Invalid { ref field, .. } if field == "consent_date"));
    // An unknown basis is refused by the value list.
    assert!(store
        .create(
            Entity::Contact,
            fields(json!({"name": "X", "legal_basis": "omdat het kan"}))
        )
        .is_err());
}

#[test]
fn a_new_contact_gets_public_task_and_own_entry_unless_told() {
    let mut store = Store::in_memory().unwrap();
    let id = person(&mut store, "Kees Bakker");
    let contact = store.get(Entity::Contact, id).unwrap();
    assert_eq!(contact["legal_basis"], "publieke_taak");
    assert_eq!(contact["source"], "eigen invoer");
    // The app's form sends the fields left empty as empty text: the same defaults.
    let from_the_form = store
        .create(
            Entity::Contact,
            fields(json!({"name": "Els Visser", "legal_basis": "", "source": " "})),
        )
        .unwrap();
    let contact = store.get(Entity::Contact, from_the_form).unwrap();
    assert_eq!(contact["legal_basis"], "publieke_taak");
    assert_eq!(contact["source"], "eigen invoer");
}

#[test]
fn the_review_proposes_only_who_is_past_the_period_since_the_last_role_and_involvement() {
    let mut store = Store::in_memory().unwrap();
    let v = village(&mut store);
    // Role ended three years ago, nothing since: proposed.
    let gone = person(&mut store, "Oud Bestuurslid");
    role(
        &mut store,
        gone,
        v.association,
        "2018-01-01",
        Some("2023-05-01"),
    );
    // Role ended three years ago, but at a meeting last year: not proposed.
    let still_comes = person(&mut store, "Trouwe Bezoeker");
    role(
        &mut store,
        still_comes,
        v.association,
        "2018-01-01",
        Some("2023-05-01"),
    );
    let last_year = meeting_on(&mut store, v.association, "2025-09-10");
    attend(&mut store, last_year, still_comes);
    // A current role: not proposed.
    let current = person(&mut store, "Zittende Voorzitter");
    role(&mut store, current, v.association, "2019-01-01", None);
    // Role ended, but an action point they asked for is still open: not proposed.
    let waiting = person(&mut store, "Wachtende Melder");
    role(
        &mut store,
        waiting,
        v.association,
        "2015-01-01",
        Some("2020-01-01"),
    );
    add(
        &mut store,
        Entity::ActionPoint,
        json!({"title": "Bankje bij de kerk", "requester_contact_id": waiting,
               "opened_on": "2020-01-01", "status": "waiting"}),
    );

    let review = store.retention_review(TODAY).unwrap();
    assert_eq!(review.retention_days, 730);
    assert_eq!(review.cutoff, "2024-06-01");
    let gone_row = review
        .candidates
        .iter()
        .find(|c| c.contact_id == gone.to_string())
        .expect("the former board member is proposed");
    assert_eq!(gone_row.reason, RetentionReason::RoleEnded);
    assert_eq!(gone_row.last_involvement.as_deref(), Some("2023-05-01"));
    let names: Vec<String> = review.candidates.iter().map(|c| c.name.clone()).collect();
    for kept in ["Trouwe Bezoeker", "Zittende Voorzitter", "Wachtende Melder"] {
        assert!(
            !names.contains(&kept.to_owned()),
            "{kept} is proposed: {names:?}"
        );
    }
    // The village's own contact was made today and has no role: not yet proposed.
    assert!(!names.contains(&"Joke de Coöperatie".to_owned()));
}

#[test]
fn the_municipality_sets_the_retention_period() {
    let mut store = Store::in_memory().unwrap();
    let v = village(&mut store);
    let gone = person(&mut store, "Oud Bestuurslid");
    role(
        &mut store,
        gone,
        v.association,
        "2018-01-01",
        Some("2023-05-01"),
    );
    assert_eq!(proposed(&store).len(), 1);
    add(
        &mut store,
        Entity::Area,
        json!({"name": "Bergen", "kind": "municipality", "retention_days": 3650}),
    );
    assert_eq!(store.retention_days().unwrap(), 3650);
    assert!(proposed(&store).is_empty());
    // Less than a month is refused.
    assert!(store
        .create(
            Entity::Area,
            fields(json!({"name": "Snel", "kind": "municipality", "retention_days": 7}))
        )
        .is_err());
}

#[test]
fn anonymisation_keeps_the_statistics_and_removes_the_person() {
    let mut store = Store::in_memory().unwrap();
    let v = village(&mut store);
    let gone = add(
        &mut store,
        Entity::Contact,
        json!({"name": "Hendrika Vermeulen", "email": "h.vermeulen@example.nl",
               "phone": "0612345678", "address": "Dorpsstraat 4", "postcode": "1873AB",
               "city": "Groet", "notes": "Belt liever dan mailt."}),
    );
    role(
        &mut store,
        gone,
        v.association,
        "2018-01-01",
        Some("2023-05-01"),
    );
    let meeting = meeting_on(&mut store, v.association, "2022-03-01");
    attend(&mut store, meeting, gone);
    attend(&mut store, meeting, v.contact);
    let point = add(
        &mut store,
        Entity::ActionPoint,
        json!({"title": "Lantaarnpaal Kerkpad", "requester_contact_id": gone,
               "opened_on": "2022-03-01", "status": "open"}),
    );
    store
        .change_action_point_status(
            point,
            "done",
            Some("Gerepareerd"),
            Some("Hendrika Vermeulen"),
        )
        .unwrap();
    // Another record names her in its text.
    let visit = add(
        &mut store,
        Entity::Visit,
        json!({"kind": "kernbezoek", "title": "Kernbezoek Groet", "area_id": v.kern,
               "starts_at": "2022-04-01T13:00:00", "ends_at": "2022-04-01T15:00:00"}),
    );
    add(
        &mut store,
        Entity::Finding,
        json!({"visit_id": visit, "text": "Hendrika Vermeulen wijst op de losse tegels."}),
    );
    let before_events = store.action_point_history(point).unwrap().len();
    assert!(!store.search("Vermeulen", 10).unwrap().is_empty());

    let done = store.anonymise_contact_on(gone, TODAY).unwrap();
    assert!(done.changed);
    assert_eq!(done.role_titles_cleared, 1);
    assert_eq!(done.authors_cleared, 1);
    assert_eq!(done.mentions.len(), 1, "{:?}", done.mentions);
    assert_eq!(done.mentions[0].entity, "finding");

    let contact = store.get(Entity::Contact, gone).unwrap();
    assert_eq!(contact["name"], ANONYMOUS_NAME);
    for field in [
        "email", "phone", "address", "postcode", "city", "notes", "mobile",
    ] {
        assert_eq!(contact[field], Value::Null, "{field} is kept");
    }
    assert_eq!(contact["anonymised_on"], "2026-06-01");
    assert_eq!(contact["legal_basis"], "publieke_taak");
    // The contact record no longer holds the name anywhere but the finding she is named in
    // (for the coordinator to edit), so search finds only that.
    let hits = store.search("Hendrika", 10).unwrap();
    assert!(
        hits.iter().all(|h| h.entity != "contact"),
        "the contact is still found by the old name: {hits:?}"
    );
    assert!(store.search("h.vermeulen", 10).unwrap().is_empty());
    // The statistics stay: two present at the meeting, the role with its dates, the action point
    // with its requester (shown as anonymised) and its whole history.
    let page = store.meeting_page(meeting, TODAY).unwrap();
    assert_eq!(page.attendance.len(), 2);
    let contact_page = store.contact_page(gone, TODAY).unwrap();
    assert_eq!(contact_page.roles.len(), 1);
    assert_eq!(
        contact_page.roles[0].end_date.as_deref(),
        Some("2023-05-01")
    );
    assert_eq!(contact_page.roles[0].title, None);
    assert_eq!(
        contact_page.action_points[0].requester_name.as_deref(),
        Some(ANONYMOUS_NAME)
    );
    let history = store.action_point_history(point).unwrap();
    assert_eq!(history.len(), before_events);
    assert!(history
        .iter()
        .all(|e| e.author.as_deref() != Some("Hendrika Vermeulen")));
    // No longer proposed; doing it again changes nothing.
    assert!(proposed(&store).is_empty());
    assert!(!store.anonymise_contact_on(gone, TODAY).unwrap().changed);
}

#[test]
fn a_form_still_open_from_before_the_anonymisation_cannot_bring_the_person_back() {
    let mut store = Store::in_memory().unwrap();
    let id = person(&mut store, "Piet Schouten");
    store.anonymise_contact_on(id, TODAY).unwrap();
    let outbox = store.outbox_len().unwrap();
    for change in [
        json!({"name": "Piet Schouten"}),
        json!({"phone": "0698765432"}),
        json!({"anonymised_on": null}),
    ] {
        let refused = store
            .update(Entity::Contact, id, fields(change.clone()))
            .unwrap_err();
        assert!(
            matches!(
                refused,
                Error::Invalid {
                    reason: Invalid::Anonymised { .. },
                    ..
                }
            ),
            "{change} was not refused as anonymised: {refused}"
        );
    }
    assert_eq!(
        store.outbox_len().unwrap(),
        outbox,
        "a refusal wrote something"
    );
    // What is not personal can still change.
    store
        .update(
            Entity::Contact,
            id,
            fields(json!({"source": "ledenlijst 2019"})),
        )
        .unwrap();
}

#[test]
fn a_deleted_contact_is_anonymised_too_and_stays_deleted() {
    let mut store = Store::in_memory().unwrap();
    let id = add(
        &mut store,
        Entity::Contact,
        json!({"name": "Weg Gegooid", "email": "weg@example.nl"}),
    );
    store.delete(Entity::Contact, id).unwrap();
    store.anonymise_contact_on(id, TODAY).unwrap();
    let contact = store.get(Entity::Contact, id).unwrap();
    assert_eq!(contact["deleted"], true);
    assert_eq!(contact["name"], ANONYMOUS_NAME);
    assert_eq!(contact["email"], Value::Null);
}

#[test]
fn inzage_holds_roles_over_time_and_a_value_that_lost_a_merge() {
    let mut laptop_a = Store::in_memory().unwrap();
    let mut laptop_b = Store::in_memory().unwrap();
    let v = village(&mut laptop_a);
    let id = add(
        &mut laptop_a,
        Entity::Contact,
        json!({"name": "Annelies Koster", "email": "annelies@example.nl"}),
    );
    role(
        &mut laptop_a,
        id,
        v.association,
        "2015-03-01",
        Some("2019-12-31"),
    );
    role(&mut laptop_a, id, v.association, "2020-01-01", None);
    laptop_b
        .merge(&outbox_changes(&laptop_a), |_| Ok(()))
        .unwrap();
    let a_before = laptop_a.outbox_len().unwrap();
    // Both laptops change her address offline; the later one wins, the other is logged.
    laptop_a
        .update(
            Entity::Contact,
            id,
            fields(json!({"email": "a.koster@thuis.nl"})),
        )
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(5));
    laptop_b
        .update(
            Entity::Contact,
            id,
            fields(json!({"email": "koster@werk.nl"})),
        )
        .unwrap();
    let from_a: Vec<RecordChange> = laptop_a
        .outbox(10_000)
        .unwrap()
        .into_iter()
        .skip(a_before as usize)
        .flat_map(|(_, set)| set.changes)
        .collect();
    laptop_b.merge(&from_a, |_| Ok(())).unwrap();

    let access = laptop_b.subject_access(id, TODAY).unwrap();
    assert_eq!(access.name, "Annelies Koster");
    assert_eq!(access.contact["email"], "koster@werk.nl");
    assert_eq!(access.legal_basis, "publieke_taak");
    let periods: Vec<(Option<&str>, Option<&str>)> = access
        .roles
        .iter()
        .map(|r| (r.start_date.as_deref(), r.end_date.as_deref()))
        .collect();
    assert_eq!(
        periods,
        [
            (Some("2015-03-01"), Some("2019-12-31")),
            (Some("2020-01-01"), None)
        ]
    );
    assert_eq!(access.organisations, ["Dorpsraad Groet"]);
    let lost: Vec<&Value> = access.conflicts.iter().map(|c| &c.lost_value).collect();
    assert_eq!(lost, [&json!("a.koster@thuis.nl")]);
    assert!(access.field_history.iter().any(|f| f.field == "email"));
    // Laptop B's own edit has not been sent yet: it is in the inzage as pending.
    assert!(access
        .pending_changes
        .iter()
        .any(|p| p.fields.get("email") == Some(&json!("koster@werk.nl"))));
    let text = serde_json::to_string(&access).unwrap();
    assert!(text.contains("a.koster@thuis.nl"));
}

#[test]
fn an_edit_made_elsewhere_before_the_anonymisation_arrived_is_reported_and_cleared_again() {
    // Per field the later write wins: a phone number typed on laptop B after A anonymised
    // (before B heard of it) comes back on both. The review lists it; anonymising again wins.
    // Erasure through sync must stop this for good (see docs/avg.md).
    let mut laptop_a = Store::in_memory().unwrap();
    let mut laptop_b = Store::in_memory().unwrap();
    let id = person(&mut laptop_a, "Bart Jonker");
    laptop_b
        .merge(&outbox_changes(&laptop_a), |_| Ok(()))
        .unwrap();
    let a_before = laptop_a.outbox_len().unwrap() as usize;
    laptop_a.anonymise_contact_on(id, TODAY).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(5));
    laptop_b
        .update(Entity::Contact, id, fields(json!({"phone": "0611111111"})))
        .unwrap();
    let from_a: Vec<RecordChange> = laptop_a
        .outbox(10_000)
        .unwrap()
        .into_iter()
        .skip(a_before)
        .flat_map(|(_, set)| set.changes)
        .collect();
    let from_b = outbox_changes(&laptop_b);
    laptop_a.merge(&from_b, |_| Ok(())).unwrap();
    laptop_b.merge(&from_a, |_| Ok(())).unwrap();
    for laptop in [&laptop_a, &laptop_b] {
        let contact = laptop.get(Entity::Contact, id).unwrap();
        assert_eq!(contact["name"], ANONYMOUS_NAME);
        assert_eq!(contact["phone"], "06-11111111");
        assert_eq!(
            proposed(laptop),
            [(ANONYMOUS_NAME.to_owned(), RetentionReason::DataReturned)]
        );
    }
    let again = laptop_a.anonymise_contact_on(id, TODAY).unwrap();
    assert!(again.changed);
    assert_eq!(
        laptop_a.get(Entity::Contact, id).unwrap()["phone"],
        Value::Null
    );
    assert!(proposed(&laptop_a).is_empty());
}

#[test]
fn people_imported_from_a_list_carry_the_file_as_their_source() {
    let mut store = Store::in_memory().unwrap();
    let list = "Naam;E-mail\r\nGerda Zeeman;gerda@example.nl\r\n";
    let request = wijkwerk_core::import::ListImportRequest {
        file_name: Some("leden-2026.csv".into()),
        ..Default::default()
    };
    let report = store.import_list(list.as_bytes(), &request).unwrap();
    let id: Uuid = report.imported[0].id.parse().unwrap();
    let contact = store.get(Entity::Contact, id).unwrap();
    assert_eq!(contact["source"], "import: leden-2026.csv");
    assert_eq!(contact["legal_basis"], "publieke_taak");
}
