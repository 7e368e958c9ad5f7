//! Search: diacritics folded, every word a prefix, hits point at what to open.

mod common;

use common::{add, village};
use serde_json::json;
use wijkwerk_core::{Entity, Store};

#[test]
fn diacritics_do_not_matter() {
    let mut store = Store::in_memory().unwrap();
    village(&mut store);
    add(
        &mut store,
        Entity::Organisation,
        json!({"name": "Café De Kroon", "kind": "other_partner"}),
    );
    let hits = store.search("cafe", 10).unwrap();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].title, "Café De Kroon");
    // "coordinator" finds "coördinator"; the contact is named "Joke de Coöperatie".
    add(
        &mut store,
        Entity::Contact,
        json!({"name": "Anna Visser", "notes": "wijkcoördinator Schoorl"}),
    );
    assert_eq!(
        store.search("wijkcoordinator", 10).unwrap()[0].title,
        "Anna Visser"
    );
    assert_eq!(
        store.search("cooperatie", 10).unwrap()[0].title,
        "Joke de Coöperatie"
    );
    assert_eq!(store.search("COÖPERATIE", 10).unwrap().len(), 1);
}

#[test]
fn words_are_prefixes_and_all_must_match() {
    let mut store = Store::in_memory().unwrap();
    let v = village(&mut store);
    let meeting = add(
        &mut store,
        Entity::Meeting,
        json!({"kind": "ledenvergadering", "title": "Ledenvergadering Dorpsraad Groet",
               "organisation_id": v.association, "starts_at": "2026-03-12T19:30", "ends_at": "2026-03-12T21:30"}),
    );
    add(
        &mut store,
        Entity::AgendaItem,
        json!({"meeting_id": meeting, "title": "Parkeren bij de school",
               "minutes": "Bewoners klagen over parkeeroverlast bij De Blinkerd."}),
    );
    assert_eq!(store.search("led", 10).unwrap().len(), 1);
    assert_eq!(store.search("parkeer blink", 10).unwrap().len(), 1);
    assert!(store.search("parkeer zwembad", 10).unwrap().is_empty());
    let hit = &store.search("parkeeroverlast", 10).unwrap()[0];
    assert_eq!(hit.entity, "agenda_item");
    assert_eq!(
        (hit.open_entity.as_str(), hit.open_id.clone()),
        ("meeting", meeting.to_string())
    );
    assert!(hit.snippet.contains("[parkeeroverlast]"), "{}", hit.snippet);
}

#[test]
fn odd_input_finds_nothing_instead_of_failing() {
    let mut store = Store::in_memory().unwrap();
    village(&mut store);
    for text in ["", "   ", "\"", "*", "AND OR NOT", "NEAR(", "groet\"", "😀"] {
        assert!(store.search(text, 10).is_ok(), "{text:?}");
    }
    assert_eq!(
        store.search("groet\"", 10).unwrap().len(),
        3,
        "the quote is ignored"
    );
}

#[test]
fn an_edit_moves_the_record_in_the_index() {
    let mut store = Store::in_memory().unwrap();
    let v = village(&mut store);
    store
        .update(
            Entity::Contact,
            v.contact,
            common::fields(json!({"name": "Joke Zeeman"})),
        )
        .unwrap();
    assert!(store.search("cooperatie", 10).unwrap().is_empty());
    assert_eq!(store.search("zeeman", 10).unwrap().len(), 1);
}
