//! The rule sync relies on: applying the same field changes in any order, any number of times,
//! gives the same state, and no overwritten value is dropped silently.

mod common;

use proptest::prelude::*;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use uuid::Uuid;
use wijkwerk_core::protocol::{Hlc, NodeId, RecordChange, StampedValue};
use wijkwerk_core::{Entity, Store};

/// Contacts and meetings that every store in a test starts from (created by the same writes,
/// so that field changes refer to records that exist).
fn base_records() -> Vec<RecordChange> {
    let at = |n| Hlc::new(1_000, n, NodeId(1));
    let field = |v: Value, n| StampedValue::new(v, at(n));
    let contact = |i: u128| RecordChange {
        entity: "contact".into(),
        id: Uuid::from_u128(i),
        fields: BTreeMap::from([("name".into(), field(json!(format!("Bewoner {i}")), 0))]),
    };
    let meeting = RecordChange {
        entity: "meeting".into(),
        id: Uuid::from_u128(100),
        fields: BTreeMap::from([
            ("kind".into(), field(json!("kernoverleg"), 0)),
            ("title".into(), field(json!("Kernoverleg"), 0)),
            ("starts_at".into(), field(json!("2026-03-12T18:30:00Z"), 0)),
            ("ends_at".into(), field(json!("2026-03-12T20:30:00Z"), 0)),
            ("time_zone".into(), field(json!("Europe/Amsterdam"), 0)),
            ("status".into(), field(json!("planned"), 0)),
        ]),
    };
    vec![contact(1), contact(2), contact(3), meeting]
}

/// One generated field write: which record, which field, which value, which clock.
fn field_change() -> impl Strategy<Value = RecordChange> {
    let contact_field = prop_oneof![
        Just("name"),
        Just("email"),
        Just("phone"),
        Just("notes"),
        Just("deleted"),
        Just("future_field"),
    ];
    (1u128..=3, contact_field, 0u8..4, 1u64..6, 0u32..3, 1u64..4).prop_map(
        |(record, field, value, wall, counter, node)| {
            let value = match field {
                "deleted" => json!(value % 2 == 0),
                "email" => json!(format!("b{value}@example.nl")),
                "name" => json!(format!("Naam {value}")),
                _ => json!(format!("{field} {value}")),
            };
            RecordChange {
                entity: "contact".into(),
                id: Uuid::from_u128(record),
                fields: BTreeMap::from([(
                    field.to_owned(),
                    StampedValue::new(value, Hlc::new(2_000 + wall, counter, NodeId(node))),
                )]),
            }
        },
    )
}

/// A set of writes in which no two share a clock (clocks are unique per write in real use).
fn unique_clocks(changes: Vec<RecordChange>) -> Vec<RecordChange> {
    let mut seen = std::collections::HashSet::new();
    changes
        .into_iter()
        .filter(|c| c.fields.values().all(|f| seen.insert(f.hlc)))
        .collect()
}

fn store_after(batches: &[Vec<RecordChange>]) -> (String, usize) {
    let mut store = Store::in_memory().unwrap();
    store.merge(&base_records(), |_| Ok(())).unwrap();
    for batch in batches {
        store.merge(batch, |_| Ok(())).unwrap();
    }
    let conflicts = store.conflicts(true, 10_000).unwrap().len();
    (store.export_json().unwrap(), conflicts)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn any_order_and_any_repetition_gives_the_same_state(
        changes in prop::collection::vec(field_change(), 1..25).prop_map(unique_clocks),
        seed in any::<u64>(),
        batch_size in 1usize..5,
    ) {
        let (reference, _) = store_after(std::slice::from_ref(&changes));

        // The same changes shuffled, some delivered twice, in batches of varying size.
        let mut shuffled = changes.clone();
        let mut rng = seed;
        let mut next = || { rng = rng.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407); (rng >> 33) as usize };
        for i in (1..shuffled.len()).rev() {
            let j = next() % (i + 1);
            shuffled.swap(i, j);
        }
        let repeats: Vec<RecordChange> = shuffled.iter().filter(|_| next() % 3 == 0).cloned().collect();
        shuffled.extend(repeats);
        let batches: Vec<Vec<RecordChange>> = shuffled.chunks(batch_size).map(<[_]>::to_vec).collect();
        let (state, _) = store_after(&batches);
        prop_assert_eq!(state, reference);
    }

    #[test]
    fn every_overwritten_value_is_in_the_conflict_log(
        changes in prop::collection::vec(field_change(), 2..20).prop_map(unique_clocks),
    ) {
        // Each field's distinct losing values must appear in the log, whatever the order.
        let mut by_field: BTreeMap<(Uuid, String), Vec<(Hlc, Value)>> = BTreeMap::new();
        for c in &changes {
            for (name, f) in &c.fields {
                by_field.entry((c.id, name.clone())).or_default().push((f.hlc, f.value.clone()));
            }
        }
        let mut store = Store::in_memory().unwrap();
        store.merge(&base_records(), |_| Ok(())).unwrap();
        for c in changes.iter().rev() {
            store.merge(std::slice::from_ref(c), |_| Ok(())).unwrap();
        }
        let log = store.conflicts(true, 10_000).unwrap();
        for ((id, field), mut writes) in by_field {
            writes.sort_by_key(|(hlc, _)| *hlc);
            let Some((_, winner)) = writes.last().cloned() else { continue };
            for (hlc, value) in &writes[..writes.len() - 1] {
                if *value != winner {
                    // Logged by value: the same value written twice is one loss.
                    let logged = log.iter().any(|c| c.record_id == id.to_string()
                        && c.field == field && c.lost_value == *value);
                    prop_assert!(logged, "lost write {hlc} of {field} = {value} is not in the log");
                }
            }
        }
    }
}

#[test]
fn a_newer_remote_value_wins_and_the_local_one_is_logged() {
    let mut store = Store::in_memory().unwrap();
    let id = store
        .create(Entity::Contact, common::fields(json!({"name": "Lokaal"})))
        .unwrap();
    let far_future = Hlc::new(u64::from(u32::MAX) * 1000, 0, NodeId(9));
    let change = RecordChange {
        entity: "contact".into(),
        id,
        fields: BTreeMap::from([(
            "name".into(),
            StampedValue::new(json!("Van de server"), far_future),
        )]),
    };
    let report = store.merge(&[change], |_| Ok(())).unwrap();
    assert_eq!(report.fields_applied, 1);
    assert_eq!(
        store.get(Entity::Contact, id).unwrap()["name"],
        "Van de server"
    );
    let log = store.conflicts(false, 10).unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].lost_value, json!("Lokaal"));
    // A local write after seeing the remote clock comes after it.
    let committed = store
        .write(vec![wijkwerk_core::Write::update(
            Entity::Contact,
            id,
            common::fields(json!({"name": "Weer lokaal"})),
        )])
        .unwrap();
    assert!(committed.hlc > Some(far_future));
}

#[test]
fn unknown_fields_from_newer_clients_are_kept() {
    let mut store = Store::in_memory().unwrap();
    store.merge(&base_records(), |_| Ok(())).unwrap();
    let change = RecordChange {
        entity: "contact".into(),
        id: Uuid::from_u128(1),
        fields: BTreeMap::from([(
            "pronouns".into(),
            StampedValue::new(json!("zij/haar"), Hlc::new(5_000, 0, NodeId(2))),
        )]),
    };
    store.merge(&[change], |_| Ok(())).unwrap();
    let export = store.export_value().unwrap();
    let contact = &export["entities"]["contact"][0];
    assert_eq!(contact["pronouns"], "zij/haar");
}
