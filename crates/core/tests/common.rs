// Shared helpers for the core's integration tests (included with `mod common;`).
#![allow(dead_code)]

use serde_json::{json, Value};
use uuid::Uuid;
use wijkwerk_core::{Entity, Fields, Store};

pub fn fields(value: Value) -> Fields {
    match value {
        Value::Object(map) => map,
        other => panic!("test fixture is not an object: {other}"),
    }
}

pub fn add(store: &mut Store, entity: Entity, value: Value) -> Uuid {
    store
        .create(entity, fields(value))
        .unwrap_or_else(|e| panic!("creating {entity}: {e}"))
}

/// A kern with one wijk, an association in the wijk, and a contact: the smallest useful store.
pub struct Village {
    pub kern: Uuid,
    pub wijk: Uuid,
    pub association: Uuid,
    pub department: Uuid,
    pub contact: Uuid,
}

pub fn village(store: &mut Store) -> Village {
    let kern = add(
        store,
        Entity::Area,
        json!({"name": "Groet", "kind": "core", "inhabitants": 900}),
    );
    let wijk = add(
        store,
        Entity::Area,
        json!({"name": "Groet-Noord", "kind": "district", "parent_id": kern, "inhabitants": 400}),
    );
    let association = add(
        store,
        Entity::Organisation,
        json!({"name": "Dorpsraad Groet", "kind": "dorpsraad", "area_ids": [kern], "board_size": 3}),
    );
    let department = add(
        store,
        Entity::Organisation,
        json!({"name": "Beheer Openbare Ruimte", "kind": "department"}),
    );
    let contact = add(
        store,
        Entity::Contact,
        json!({"name": "Joke de Coöperatie", "email": "joke@example.nl"}),
    );
    Village {
        kern,
        wijk,
        association,
        department,
        contact,
    }
}

/// The store file opened with SQLite itself, with the test suite's key (`.cargo/config.toml`), to
/// look at or change it behind the store's back.
pub fn keyed(file: &std::path::Path) -> rusqlite::Connection {
    let conn = rusqlite::Connection::open(file).unwrap();
    let key = std::env::var(wijkwerk_core::store_key::PASSPHRASE_ENV).unwrap();
    conn.pragma_update(None, "key", key).unwrap();
    conn
}
