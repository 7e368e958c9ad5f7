//! Erasure on a laptop (privacy: the right to be forgotten): what the erasing laptop and a
//! laptop that merges the erasure keep, and what they refuse afterwards. The proof across a
//! server and three laptops, searching every byte, is `crates/server/tests/erasure.rs`.

mod common;

use common::{add, fields, keyed};
use serde_json::json;
use uuid::Uuid;
use wijkwerk_core::erasure::ERASED_NAME;
use wijkwerk_core::protocol::RecordChange;
use wijkwerk_core::{Entity, Error, Invalid, Store};

fn person(store: &mut Store) -> Uuid {
    add(
        store,
        Entity::Contact,
        json!({"name": "Zwaantje Vrijdagmarkt", "email": "zwaantje@voorbeeldpost.nl",
               "phone": "06-48213579", "notes": "Speeltuinplan"}),
    )
}

/// Everything in a store's outbox, as changes another laptop would merge.
fn outbox(store: &Store) -> Vec<RecordChange> {
    store
        .outbox(1000)
        .unwrap()
        .into_iter()
        .flat_map(|(_, set)| set.changes)
        .collect()
}

fn count(conn: &rusqlite::Connection, sql: &str) -> i64 {
    conn.query_row(sql, [], |r| r.get(0)).unwrap()
}

#[test]
fn an_erased_contact_keeps_only_the_erasure_and_refuses_every_later_write() {
    let mut store = Store::in_memory().unwrap();
    let id = person(&mut store);
    // The day of erasure is not an ordinary field: a write that sets it and keeps data is
    // refused (it would seal the data in).
    let sealing = store
        .update(
            Entity::Contact,
            id,
            fields(json!({"erased_on": "2026-12-07", "name": "Zwaantje"})),
        )
        .unwrap_err();
    assert!(
        matches!(
            sealing,
            Error::Invalid {
                reason: Invalid::ErasureOnly,
                ..
            }
        ),
        "{sealing:?}"
    );
    let erased = store.erase_contact(id).unwrap();
    assert!(erased.changed);

    let record = store.get(Entity::Contact, id).unwrap();
    assert_eq!(record["name"], ERASED_NAME);
    assert_eq!(record["deleted"], true);
    assert_eq!(record["erased_on"], erased.erased_on.as_str());
    for field in ["email", "phone", "notes", "legal_basis", "source"] {
        assert!(record[field].is_null(), "{field}: {record}");
    }
    assert!(store.search("Vrijdagmarkt", 10).unwrap().is_empty());

    // A form still open from before: refused, with the day.
    let refused = store
        .update(Entity::Contact, id, fields(json!({"phone": "06-11112222"})))
        .unwrap_err();
    assert!(
        matches!(&refused, Error::Invalid { reason: Invalid::Erased { on }, .. } if *on == erased.erased_on),
        "{refused:?}"
    );
    let restore = store.restore(Entity::Contact, id).unwrap_err();
    assert!(
        matches!(
            restore,
            Error::Invalid {
                reason: Invalid::Erased { .. },
                ..
            }
        ),
        "{restore:?}"
    );
    // Erasing again changes nothing.
    assert!(!store.erase_contact(id).unwrap().changed);
}

#[test]
fn a_merged_erasure_purges_the_outbox_the_conflict_log_and_the_import_log() {
    let dir = tempfile::tempdir().unwrap();
    let mut a = Store::in_memory().unwrap();
    let mut b = Store::init(dir.path()).unwrap();
    // The person came to B in an import (its log keeps names for the report and the undo).
    let list =
        "Naam;E-mail;Telefoon\r\nZwaantje Vrijdagmarkt;zwaantje@voorbeeldpost.nl;06-48213579\r\n";
    let report = b
        .import_list(
            list.as_bytes(),
            &wijkwerk_core::import::ListImportRequest::default(),
        )
        .unwrap();
    let id: Uuid = report.imported[0].id.parse().unwrap();
    a.merge(&outbox(&b), |_| Ok(())).unwrap();

    // B edits the person and a neighbour in one transaction, not yet pushed; and B lost a
    // value to A once (its conflict log holds the person's old phone).
    let neighbour = add(&mut b, Entity::Contact, json!({"name": "Gerrit Blijft"}));
    let mut edit = vec![
        wijkwerk_core::Write::update(
            Entity::Contact,
            id,
            fields(json!({"notes": "Kwartiermaker"})),
        ),
        wijkwerk_core::Write::update(
            Entity::Contact,
            neighbour,
            fields(json!({"notes": "Blijft"})),
        ),
    ];
    b.write(std::mem::take(&mut edit)).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(2));
    a.update(Entity::Contact, id, fields(json!({"phone": "06-97531864"})))
        .unwrap();
    b.merge(&outbox(&a), |_| Ok(())).unwrap();
    assert!(
        !b.conflicts(true, 100).unwrap().is_empty(),
        "a lost value was logged"
    );

    a.erase_contact(id).unwrap();
    let report = b.merge(&outbox(&a), |_| Ok(())).unwrap();
    assert_eq!(report.records_erased, 1);

    let record = b.get(Entity::Contact, id).unwrap();
    assert_eq!(record["name"], ERASED_NAME);
    assert!(
        record["notes"].is_null() && record["phone"].is_null(),
        "{record}"
    );
    assert!(b
        .conflicts(true, 100)
        .unwrap()
        .iter()
        .all(|c| c.record_id != id.to_string()));
    // The waiting edit keeps the neighbour's part only.
    let waiting = outbox(&b);
    assert!(waiting
        .iter()
        .all(|c| c.id != id || c.fields.values().all(|v| v.value.is_null())));
    assert!(waiting.iter().any(|c| c.id == neighbour));
    // The import log names no one and fills nothing in again.
    drop(b);
    let conn = keyed(&dir.path().join("wijkwerk.sqlite3"));
    for text in [
        "Vrijdagmarkt",
        "voorbeeldpost",
        "48213579",
        "97531864",
        "Kwartiermaker",
    ] {
        let sql = format!(
            "SELECT (SELECT count(*) FROM import_batch WHERE instr(report || undo, '{text}') > 0)
                  + (SELECT count(*) FROM outbox WHERE instr(changes, '{text}') > 0)
                  + (SELECT count(*) FROM conflict WHERE instr(lost_value || won_value, '{text}') > 0)
                  + (SELECT count(*) FROM search WHERE search MATCH '{text}')"
        );
        assert_eq!(count(&conn, &sql), 0, "{text} is still kept");
    }
}

#[test]
fn an_edit_merged_after_the_erasure_does_not_bring_the_person_back() {
    let mut a = Store::in_memory().unwrap();
    let mut b = Store::in_memory().unwrap();
    let id = person(&mut a);
    b.merge(&outbox(&a), |_| Ok(())).unwrap();
    a.erase_contact(id).unwrap();
    // B, offline, edits the person after the erasure (a newer clock) and restores nothing.
    std::thread::sleep(std::time::Duration::from_millis(2));
    b.update(
        Entity::Contact,
        id,
        fields(json!({"email": "nieuw@voorbeeldpost.nl"})),
    )
    .unwrap();
    let report = a.merge(&outbox(&b), |_| Ok(())).unwrap();
    assert_eq!(
        report.conflicts, 0,
        "nothing of the person goes to the conflict log"
    );
    let record = a.get(Entity::Contact, id).unwrap();
    assert!(record["email"].is_null(), "{record}");
    assert_eq!(record["deleted"], true);

    // The other way round, B takes the erasure over its own newer edit.
    b.merge(&outbox(&a), |_| Ok(())).unwrap();
    let record = b.get(Entity::Contact, id).unwrap();
    assert!(
        record["email"].is_null() && record["phone"].is_null(),
        "{record}"
    );
    assert_eq!(record["name"], ERASED_NAME);
    assert!(b.conflicts(true, 100).unwrap().is_empty());
}

#[test]
fn a_new_laptop_that_meets_the_erasure_before_the_person_keeps_only_the_erasure() {
    let mut a = Store::in_memory().unwrap();
    let id = person(&mut a);
    let history = outbox(&a);
    a.erase_contact(id).unwrap();
    // The erasure is the last outbox entry (the erasure also emptied the person's values in
    // the entries before it, which had not been pushed).
    let (_, last) = a.outbox(1000).unwrap().pop().unwrap();
    let erasure = last.changes;
    assert!(erasure.iter().any(|c| c.fields.contains_key("erased_on")));
    assert!(
        outbox(&a).iter().all(|c| c
            .fields
            .values()
            .all(|v| !v.value.to_string().contains("Vrijdagmarkt"))),
        "the waiting creation keeps no value of the person"
    );
    let mut c = Store::in_memory().unwrap();
    // The erasure first (a new record to C), then the old creation.
    c.merge(&erasure, |_| Ok(())).unwrap();
    c.merge(&history, |_| Ok(())).unwrap();
    let record = c.get(Entity::Contact, id).unwrap();
    assert_eq!(record["name"], ERASED_NAME);
    assert!(
        record["email"].is_null() && record["notes"].is_null(),
        "{record}"
    );
    assert!(c.search("Vrijdagmarkt", 10).unwrap().is_empty());
}

#[test]
fn the_erasing_laptop_forgets_lost_values_of_the_persons_traces_too() {
    let mut a = Store::in_memory().unwrap();
    let village = common::village(&mut a);
    let id = person(&mut a);
    let role = add(
        &mut a,
        Entity::Role,
        json!({"contact_id": id, "organisation_id": village.association, "kind": "board_member",
               "title": "Penningmeester", "start_date": "2024-01-01"}),
    );
    let mut b = Store::in_memory().unwrap();
    b.merge(&outbox(&a), |_| Ok(())).unwrap();
    // B renames the role's title first; A, later, too: B's title loses in A's conflict log.
    b.update(
        Entity::Role,
        role,
        fields(json!({"title": "Kascommissie Vrijdagmarkt"})),
    )
    .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(2));
    a.update(
        Entity::Role,
        role,
        fields(json!({"title": "Penningmeester Zwaantje"})),
    )
    .unwrap();
    a.merge(&outbox(&b), |_| Ok(())).unwrap();
    let about_role = |store: &Store| {
        store
            .conflicts(true, 100)
            .unwrap()
            .into_iter()
            .filter(|c| c.record_id == role.to_string())
            .count()
    };
    assert_eq!(about_role(&a), 1, "the lost title is logged");

    a.erase_contact(id).unwrap();
    assert_eq!(about_role(&a), 0, "the lost title went with the erasure");
    assert!(a.get(Entity::Role, role).unwrap()["title"].is_null());
}
