//! One test suite for every storage: the embedded SQLite default always, PostgreSQL when
//! `WIJKWERK_TEST_POSTGRES` names a database URL (the test command starts a throwaway cluster).

use serde_json::json;
use std::collections::BTreeMap;
use uuid::Uuid;
use wijkwerk_protocol::wire::{Cursor, PushChangeSet, PushOutcome};
use wijkwerk_protocol::{Hlc, NodeId, RecordChange, StampedValue};
use wijkwerk_server::storage::{PushLimits, Role};
use wijkwerk_server::{ServerError, Storage};

const NOW: u64 = 1_800_000_000_000;
const LIMITS: PushLimits = PushLimits {
    now_ms: NOW,
    max_skew_ms: 300_000,
};

/// A fresh storage of each kind available.
async fn storages() -> Vec<(String, Storage, Option<tempfile::TempDir>)> {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = Storage::open(dir.path().join("server.db").to_str().unwrap())
        .await
        .unwrap();
    let mut all = vec![("sqlite".to_owned(), sqlite, Some(dir))];
    if let Ok(url) = std::env::var("WIJKWERK_TEST_POSTGRES") {
        let storage = Storage::open(&url).await.unwrap();
        all.push(("postgres".to_owned(), storage, None));
    }
    all
}

/// Each test gets its own tenant, so tests may share a PostgreSQL database.
async fn tenant(storage: &Storage) -> (i64, String) {
    let name = format!("gemeente-{}", Uuid::now_v7().simple());
    let id = storage.add_tenant(&name).await.unwrap();
    (id, name)
}

fn hlc(ms: u64, node: u64) -> Hlc {
    Hlc::new(ms, 0, NodeId(node))
}

fn field(value: serde_json::Value, at: Hlc, base: Option<Hlc>) -> StampedValue {
    StampedValue {
        value,
        hlc: at,
        base,
    }
}

fn set(client_seq: i64, changes: Vec<RecordChange>) -> PushChangeSet {
    PushChangeSet {
        client_seq,
        tx_id: Uuid::now_v7(),
        changes,
    }
}

fn contact(id: Uuid, fields: Vec<(&str, StampedValue)>) -> RecordChange {
    RecordChange {
        entity: "contact".into(),
        id,
        fields: fields
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect::<BTreeMap<_, _>>(),
    }
}

#[tokio::test]
async fn pushed_fields_come_back_in_a_pull() {
    for (kind, storage, _dir) in storages().await {
        let (t, _) = tenant(&storage).await;
        let id = Uuid::now_v7();
        let client = Uuid::now_v7();
        let acks = storage
            .push(
                t,
                client,
                vec![set(
                    1,
                    vec![contact(
                        id,
                        vec![("name", field(json!("Anna"), hlc(NOW - 10, 1), None))],
                    )],
                )],
                LIMITS,
            )
            .await
            .unwrap();
        assert_eq!(acks[0].outcome, PushOutcome::Applied { seq: 1 }, "{kind}");
        let page = storage.pull(t, Cursor::default(), 100).await.unwrap();
        assert_eq!(page.records.len(), 1, "{kind}");
        assert_eq!(
            page.records[0].fields["name"].value,
            json!("Anna"),
            "{kind}"
        );
        assert_eq!(
            (page.cursor.seq, page.more, page.head),
            (1, false, 1),
            "{kind}"
        );
        let again = storage.pull(t, page.cursor, 100).await.unwrap();
        assert!(again.records.is_empty(), "{kind}");
    }
}

#[tokio::test]
async fn a_retried_push_applies_nothing_twice() {
    for (kind, storage, _dir) in storages().await {
        let (t, _) = tenant(&storage).await;
        let client = Uuid::now_v7();
        let changes = vec![contact(
            Uuid::now_v7(),
            vec![("name", field(json!("Bram"), hlc(NOW, 1), None))],
        )];
        storage
            .push(t, client, vec![set(7, changes.clone())], LIMITS)
            .await
            .unwrap();
        let acks = storage
            .push(t, client, vec![set(7, changes)], LIMITS)
            .await
            .unwrap();
        assert_eq!(acks[0].outcome, PushOutcome::Duplicate { seq: 1 }, "{kind}");
        let page = storage.pull(t, Cursor::default(), 100).await.unwrap();
        assert_eq!(page.head, 1, "{kind}: no second server transaction");
    }
}

#[tokio::test]
async fn concurrent_edits_keep_the_losing_value_in_the_conflict_log() {
    for (kind, storage, _dir) in storages().await {
        let (t, _) = tenant(&storage).await;
        let id = Uuid::now_v7();
        let created = hlc(NOW - 100, 1);
        storage
            .push(
                t,
                Uuid::now_v7(),
                vec![set(
                    1,
                    vec![contact(
                        id,
                        vec![("phone", field(json!("1"), created, None))],
                    )],
                )],
                LIMITS,
            )
            .await
            .unwrap();
        // Two laptops edit the phone number on top of the same version.
        let a = field(json!("072-111"), hlc(NOW - 50, 2), Some(created));
        let b = field(json!("072-222"), hlc(NOW - 40, 3), Some(created));
        storage
            .push(
                t,
                Uuid::now_v7(),
                vec![set(1, vec![contact(id, vec![("phone", a)])])],
                LIMITS,
            )
            .await
            .unwrap();
        storage
            .push(
                t,
                Uuid::now_v7(),
                vec![set(1, vec![contact(id, vec![("phone", b)])])],
                LIMITS,
            )
            .await
            .unwrap();
        // A later edit made after seeing b is an ordinary edit, not a conflict.
        let c = field(json!("072-333"), hlc(NOW - 30, 2), Some(hlc(NOW - 40, 3)));
        storage
            .push(
                t,
                Uuid::now_v7(),
                vec![set(2, vec![contact(id, vec![("phone", c)])])],
                LIMITS,
            )
            .await
            .unwrap();
        let page = storage.pull(t, Cursor::default(), 100).await.unwrap();
        assert_eq!(
            page.records[0].fields["phone"].value,
            json!("072-333"),
            "{kind}"
        );
        assert_eq!(page.conflicts.len(), 1, "{kind}: {:?}", page.conflicts);
        assert_eq!(page.conflicts[0].lost_value, json!("072-111"), "{kind}");
        assert_eq!(page.conflicts[0].won_value, json!("072-222"), "{kind}");
        // An older write arriving late loses and is logged too.
        let late = field(json!("072-000"), hlc(NOW - 60, 4), Some(created));
        storage
            .push(
                t,
                Uuid::now_v7(),
                vec![set(1, vec![contact(id, vec![("phone", late)])])],
                LIMITS,
            )
            .await
            .unwrap();
        let page = storage.pull(t, page.cursor, 100).await.unwrap();
        assert!(
            page.records.is_empty(),
            "{kind}: the late write changed nothing"
        );
        assert_eq!(page.conflicts[0].lost_value, json!("072-000"), "{kind}");
    }
}

#[tokio::test]
async fn a_clock_too_far_ahead_is_refused_and_nothing_is_written() {
    for (kind, storage, _dir) in storages().await {
        let (t, _) = tenant(&storage).await;
        let two_days = 2 * 86_400_000;
        let changes = vec![
            contact(
                Uuid::now_v7(),
                vec![("name", field(json!("Op tijd"), hlc(NOW, 1), None))],
            ),
            contact(
                Uuid::now_v7(),
                vec![(
                    "name",
                    field(json!("Vooruit"), hlc(NOW + two_days, 1), None),
                )],
            ),
        ];
        let acks = storage
            .push(t, Uuid::now_v7(), vec![set(1, changes)], LIMITS)
            .await
            .unwrap();
        match &acks[0].outcome {
            PushOutcome::Refused { code, reason } => {
                assert_eq!(code, "clock_skew", "{kind}");
                assert!(reason.contains("2.0 days ahead"), "{kind}: {reason}");
            }
            other => panic!("{kind}: expected a refusal, got {other:?}"),
        }
        let page = storage.pull(t, Cursor::default(), 100).await.unwrap();
        assert!(
            page.records.is_empty() && page.head == 0,
            "{kind}: the whole changeset was refused"
        );
    }
}

#[tokio::test]
async fn a_cursor_the_server_does_not_know_is_refused() {
    for (kind, storage, _dir) in storages().await {
        let (t, _) = tenant(&storage).await;
        storage
            .push(
                t,
                Uuid::now_v7(),
                vec![set(
                    1,
                    vec![contact(
                        Uuid::now_v7(),
                        vec![("name", field(json!("X"), hlc(NOW, 1), None))],
                    )],
                )],
                LIMITS,
            )
            .await
            .unwrap();
        let ahead = Cursor {
            seq: 5,
            tx: Some(Uuid::now_v7()),
        };
        assert!(
            matches!(
                storage.pull(t, ahead, 10).await,
                Err(ServerError::UnknownCursor)
            ),
            "{kind}"
        );
        let other_history = Cursor {
            seq: 1,
            tx: Some(Uuid::now_v7()),
        };
        assert!(
            matches!(
                storage.pull(t, other_history, 10).await,
                Err(ServerError::UnknownCursor)
            ),
            "{kind}"
        );
    }
}

#[tokio::test]
async fn pages_never_split_a_transaction_and_cover_everything() {
    for (kind, storage, _dir) in storages().await {
        let (t, _) = tenant(&storage).await;
        let client = Uuid::now_v7();
        for seq in 1..=10 {
            let changes = (0..7)
                .map(|i| {
                    contact(
                        Uuid::now_v7(),
                        vec![(
                            "name",
                            field(json!(format!("P{seq}.{i}")), hlc(NOW, seq as u64), None),
                        )],
                    )
                })
                .collect();
            storage
                .push(t, client, vec![set(seq, changes)], LIMITS)
                .await
                .unwrap();
        }
        let mut cursor = Cursor::default();
        let mut seen = 0;
        let mut pages = 0;
        loop {
            let page = storage.pull(t, cursor, 10).await.unwrap();
            assert_eq!(
                page.records.len() % 7,
                0,
                "{kind}: a page ends on a transaction boundary"
            );
            seen += page.records.len();
            pages += 1;
            cursor = page.cursor;
            if !page.more {
                break;
            }
        }
        assert_eq!((seen, cursor.seq), (70, 10), "{kind}");
        assert!(pages > 1, "{kind}");
    }
}

#[tokio::test]
async fn tenants_see_only_their_own_data_and_tokens_can_be_revoked() {
    for (kind, storage, _dir) in storages().await {
        let (a, a_name) = tenant(&storage).await;
        let (b, _) = tenant(&storage).await;
        storage
            .push(
                a,
                Uuid::now_v7(),
                vec![set(
                    1,
                    vec![contact(
                        Uuid::now_v7(),
                        vec![("name", field(json!("Geheim"), hlc(NOW, 1), None))],
                    )],
                )],
                LIMITS,
            )
            .await
            .unwrap();
        assert!(
            storage
                .pull(b, Cursor::default(), 10)
                .await
                .unwrap()
                .records
                .is_empty(),
            "{kind}"
        );
        let hash = format!("hash-{}", Uuid::now_v7());
        storage
            .add_user(&a_name, "anna", Role::Coordinator, &hash, i64::MAX)
            .await
            .unwrap();
        let principal = storage.authenticate(&hash).await.unwrap().valid().unwrap();
        assert_eq!(
            (principal.tenant_id, principal.role),
            (a, Role::Coordinator),
            "{kind}"
        );
        assert_eq!(
            storage.revoke_tokens(&a_name, "anna").await.unwrap(),
            1,
            "{kind}"
        );
        assert!(
            storage.authenticate(&hash).await.unwrap().valid().is_none(),
            "{kind}"
        );
        assert!(
            matches!(
                storage.add_tenant(&a_name).await,
                Err(ServerError::TenantExists(_))
            ),
            "{kind}"
        );
        assert!(
            matches!(
                storage
                    .add_user("no-such-town", "x", Role::Reader, "h", i64::MAX)
                    .await,
                Err(ServerError::UnknownTenant(_))
            ),
            "{kind}"
        );
    }
}
