//! The audit log and the tokens' lifetime, with a real server process (SQLite, or PostgreSQL
//! when `WIJKWERK_TEST_POSTGRES` is set): requests leave a row each with who, which tenant,
//! from where and when; the log refuses changes; the purge deletes only rows past the
//! retention; an expired token gets its own answer; a rotation keeps the laptop's waiting
//! changes, and a rotation whose answer was lost does not lock the laptop out.

mod common;

use common::{admin, database, tenant_with_user, Laptop, Server};
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use wijkwerk_core::sync::credentials::TokenStore;
use wijkwerk_core::sync::http::HttpTransport;
use wijkwerk_core::sync::{rotate_token, SyncError, Transport as _};
use wijkwerk_core::{Entity, Fields};
use wijkwerk_server::audit::{AuditEvent, AuditFilter, AuditKind, DAY_MS};
use wijkwerk_server::storage::Role;
use wijkwerk_server::Storage;

fn agent() -> ureq::Agent {
    common::http_agent(Duration::from_secs(10))
}

fn fields(value: Value) -> Fields {
    match value {
        Value::Object(map) => map,
        _ => Fields::new(),
    }
}

/// The tenant's audit rows as `audit list --json` prints them, once `until` holds for them (the
/// server writes its requests' rows in batches, about a second later).
fn audit_rows(db: &str, args: &[&str], until: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    let started = Instant::now();
    loop {
        let mut all = vec!["audit", "list", "--json", "--limit", "1000"];
        all.extend_from_slice(args);
        let out = admin(db, &all);
        let rows: Vec<Value> = serde_json::from_str(&out).expect("audit list --json is JSON");
        if until(&rows) || started.elapsed() > Duration::from_secs(10) {
            return rows;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn kinds(rows: &[Value]) -> Vec<&str> {
    rows.iter().filter_map(|r| r["kind"].as_str()).collect()
}

#[test]
fn every_request_leaves_one_row_with_who_where_and_never_the_token() {
    let dir = tempfile::tempdir().unwrap();
    let db = database(dir.path());
    let server = Server::start(&db);
    let (tenant, token) = tenant_with_user(&db, "coordinator");
    let mut laptop = Laptop::new(dir.path(), "anna", &token);
    for i in 0..3 {
        laptop
            .store
            .create(
                Entity::Contact,
                fields(json!({"name": format!("Bewoner {i}")})),
            )
            .unwrap();
    }
    laptop.sync(&server.url).unwrap();
    // The round above needed no pull (nothing but its own writes on the server): one read.
    assert_eq!(common::server_head(&server.url, &token), 3);
    // A sign-in with a token nobody was given.
    let wrong = agent()
        .get(format!("{}/v1/pull", server.url))
        .header("authorization", "Bearer wk_geraden")
        .call()
        .unwrap();
    assert_eq!(wrong.status(), 401);

    let rows = audit_rows(&db, &["--tenant", &tenant], |rows| {
        kinds(rows).contains(&"push") && kinds(rows).contains(&"pull")
    });
    let push = rows
        .iter()
        .find(|r| r["kind"] == "push")
        .expect("a push row");
    assert_eq!(push["user"], "anna");
    assert_eq!(push["address"], "127.0.0.1");
    assert_eq!(push["detail"]["changesets"], 3, "{push}");
    assert_eq!(push["detail"]["applied"], 3, "{push}");
    assert_eq!(
        rows.iter().filter(|r| r["kind"] == "push").count(),
        1,
        "one row per request, not per change: {rows:?}"
    );
    let pull = rows
        .iter()
        .find(|r| r["kind"] == "pull")
        .expect("a pull row");
    assert_eq!(pull["user"], "anna");
    // What the admin command wrote, in the same log.
    for kind in ["tenant_added", "user_added", "token_added"] {
        assert!(kinds(&rows).contains(&kind), "{kind}: {rows:?}");
    }

    let failures = audit_rows(&db, &["--kind", "sign_in_failed"], |rows| {
        rows.iter()
            .any(|r| r["detail"]["reason"] == "unknown token")
    });
    let failure = failures
        .iter()
        .find(|r| r["detail"]["reason"] == "unknown token")
        .expect("the failed sign-in is in the log");
    assert_eq!(failure["address"], "127.0.0.1");

    // Neither the token given nor the wrong one is anywhere in the log.
    let everything = admin(&db, &["audit", "list", "--json", "--limit", "100000"]);
    assert!(!everything.contains(&token));
    assert!(!everything.contains("wk_geraden"));
    // The lines for a person name the same rows.
    let lines = admin(
        &db,
        &["audit", "list", "--tenant", &tenant, "--kind", "push"],
    );
    assert_eq!(lines.lines().count(), 1, "{lines}");
    assert!(lines.contains("push") && lines.contains("anna"), "{lines}");
}

#[test]
fn a_wrong_kind_or_date_is_refused_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let db = database(dir.path());
    for (args, said) in [
        (vec!["--kind", "login"], "is not a kind of the audit log"),
        (vec!["--since", "gisteren"], "--since"),
    ] {
        let out = std::process::Command::new(common::SERVER)
            .args(["audit", "list", "--db", &db])
            .args(&args)
            .output()
            .unwrap();
        assert!(!out.status.success());
        let error = String::from_utf8_lossy(&out.stderr);
        assert!(error.contains(said), "{args:?}: {error}");
    }
}

/// The tenant's rows, newest first.
async fn tenant_rows(storage: &Storage, tenant: &str) -> Vec<wijkwerk_server::audit::AuditRecord> {
    let filter = AuditFilter {
        tenant: Some(tenant.to_owned()),
        limit: 100,
        ..AuditFilter::default()
    };
    storage.audit_list(filter).await.unwrap()
}

/// Raw SQL from outside the server: what an operator or a bug could try.
async fn try_sql(db: &str, statement: &str) -> Result<u64, String> {
    if db.starts_with("postgres") {
        let (client, connection) = tokio_postgres::connect(db, tokio_postgres::NoTls)
            .await
            .map_err(|e| e.to_string())?;
        tokio::spawn(connection);
        client
            .execute(statement, &[])
            .await
            .map_err(|e| format!("{e:?}"))
    } else {
        let conn = rusqlite::Connection::open(db).map_err(|e| e.to_string())?;
        conn.execute(statement, [])
            .map(|n| n as u64)
            .map_err(|e| e.to_string())
    }
}

#[tokio::test]
async fn the_log_refuses_changes_and_the_purge_deletes_only_rows_past_the_retention() {
    let dir = tempfile::tempdir().unwrap();
    // Its own: other tests' servers purge a shared database's old rows when they start.
    let db = common::own_database(dir.path()).await;
    let storage = Storage::open(&db).await.unwrap();
    let tenant = format!("gemeente-{}", uuid::Uuid::now_v7().simple());
    let now = wijkwerk_server::audit::now_ms();
    let at = |days_ago: i64| {
        let mut event = AuditEvent::new(AuditKind::Pull)
            .tenant(&tenant)
            .user("anna");
        event.at_ms = now - days_ago * DAY_MS;
        event
    };
    storage
        .audit_batch(vec![at(400), at(366), at(364), at(1)])
        .await
        .unwrap();
    storage
        .audit(AuditEvent::erasure(
            &tenant,
            "anna",
            "contact",
            uuid::Uuid::now_v7(),
        ))
        .await
        .unwrap();
    assert_eq!(tenant_rows(&storage, &tenant).await.len(), 5);

    let condition = format!("tenant = '{tenant}'");
    for statement in [
        format!("UPDATE audit_log SET user_name = 'iemand' WHERE {condition}"),
        format!("DELETE FROM audit_log WHERE {condition}"),
        // Even the oldest row: only the purge deletes, in its own transaction.
        format!(
            "DELETE FROM audit_log WHERE {condition} AND at_ms < {}",
            now - 399 * DAY_MS
        ),
        // The purge's cutoff may not come within 30 days of now.
        format!("UPDATE audit_purge SET cutoff_ms = {now}"),
        "DELETE FROM audit_purge".to_owned(),
    ] {
        let refused = try_sql(&db, &statement).await;
        assert!(refused.is_err(), "{statement}: {refused:?}");
        assert!(
            refused.unwrap_err().contains("audit"),
            "{statement}: the reason names the audit log"
        );
    }
    if db.starts_with("postgres") {
        assert!(try_sql(&db, "TRUNCATE audit_log").await.is_err());
    }
    assert_eq!(
        tenant_rows(&storage, &tenant).await.len(),
        5,
        "nothing changed"
    );

    // A retention shorter than the least allowed is refused before anything is deleted.
    assert!(storage.audit_purge(7).await.is_err());
    let deleted = storage.audit_purge(365).await.unwrap();
    assert!(deleted >= 2, "{deleted}");
    let left = tenant_rows(&storage, &tenant).await;
    let ages: Vec<i64> = left.iter().map(|r| (now - r.at_ms) / DAY_MS).collect();
    assert_eq!(
        ages,
        vec![0, 1, 364],
        "newest first: the erasure, then the rest"
    );
    assert_eq!(left[0].kind, "erasure");
    assert_eq!(left[0].detail["entity"], "contact");
    // The purge is in the log itself.
    let purges = storage
        .audit_list(AuditFilter {
            kind: Some(AuditKind::AuditPurged),
            limit: 1,
            ..AuditFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(purges[0].detail["retention_days"], 365);
    // And the guard is back: a row as old as the purged ones cannot be deleted by hand.
    storage.audit_batch(vec![at(500)]).await.unwrap();
    assert!(
        try_sql(&db, &format!("DELETE FROM audit_log WHERE {condition}"))
            .await
            .is_err()
    );
}

#[test]
fn an_expired_token_is_refused_with_its_own_reason() {
    let dir = tempfile::tempdir().unwrap();
    let db = database(dir.path());
    let tenant = format!("gemeente-{}", uuid::Uuid::now_v7().simple());
    let token = wijkwerk_server::auth::new_token();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let storage = Storage::open(&db).await.unwrap();
        storage.add_tenant(&tenant).await.unwrap();
        let yesterday = wijkwerk_server::audit::now_ms() - DAY_MS;
        storage
            .add_user(
                &tenant,
                "anna",
                Role::Coordinator,
                &wijkwerk_server::auth::token_hash(&token),
                yesterday,
            )
            .await
            .unwrap();
    });
    let server = Server::start(&db);
    let mut answer = agent()
        .get(format!("{}/v1/pull", server.url))
        .header("authorization", format!("Bearer {token}"))
        .call()
        .unwrap();
    let body: Value = serde_json::from_str(&answer.body_mut().read_to_string().unwrap()).unwrap();
    assert_eq!(
        (answer.status().as_u16(), body["code"].as_str()),
        (401, Some("token_expired")),
        "{body}"
    );

    let mut laptop = Laptop::new(dir.path(), "anna", &token);
    laptop
        .store
        .create(Entity::Contact, fields(json!({"name": "Wacht"})))
        .unwrap();
    let refused = laptop.sync(&server.url).unwrap_err();
    assert!(matches!(refused, SyncError::TokenExpired), "{refused:?}");
    assert_eq!(refused.code(), "token_expired");
    assert_eq!(
        laptop.store.sync_status().unwrap().waiting,
        1,
        "the change waits for a new token"
    );
    // A rotation needs a live token too.
    let mut transport = HttpTransport::new(&server.url, &token, Duration::from_secs(10)).unwrap();
    assert!(matches!(
        transport.rotate_token(),
        Err(SyncError::TokenExpired)
    ));

    let rows = audit_rows(
        &db,
        &["--tenant", &tenant, "--kind", "token_expired_use"],
        |rows| !rows.is_empty(),
    );
    assert_eq!(rows[0]["user"], "anna");
    assert_eq!(rows[0]["address"], "127.0.0.1");
}

#[test]
fn a_rotation_keeps_the_waiting_change_and_it_arrives_with_the_new_token() {
    let dir = tempfile::tempdir().unwrap();
    let db = database(dir.path());
    let server = Server::start(&db);
    let (tenant, old) = tenant_with_user(&db, "coordinator");
    let colleague = common::user(&db, &tenant, "bert", "coordinator");
    let mut anna = Laptop::new(dir.path(), "anna", &old);
    let id = anna
        .store
        .create(
            Entity::Contact,
            fields(json!({"name": "Wachtende wijziging"})),
        )
        .unwrap();
    assert_eq!(anna.store.sync_status().unwrap().waiting, 1);

    let token_file = dir.path().join("anna-token");
    let tokens = TokenStore::file_only(token_file.clone());
    let mut transport = HttpTransport::new(&server.url, &old, Duration::from_secs(10)).unwrap();
    let (new, rotated) = rotate_token(&mut transport, &tokens).unwrap();
    assert_ne!(new, old);
    assert_eq!(
        tokens.load().0.as_deref(),
        Some(new.as_str()),
        "kept where it was"
    );
    let days = (rotated.expires_at_ms - wijkwerk_server::audit::now_ms()) / DAY_MS;
    assert!((178..=180).contains(&days), "{days}");
    assert_eq!(
        anna.store.sync_status().unwrap().waiting,
        1,
        "the outbox is not touched"
    );

    anna.token = new.clone();
    let report = anna.sync(&server.url).unwrap();
    assert_eq!(report.pushed_transactions, 1);
    assert_eq!(report.token_expires_at_ms, Some(rotated.expires_at_ms));
    assert_eq!(anna.store.sync_status().unwrap().waiting, 0);
    let mut bert = Laptop::new(dir.path(), "bert", &colleague);
    bert.sync(&server.url).unwrap();
    assert_eq!(
        bert.store.get(Entity::Contact, id).unwrap()["name"],
        "Wachtende wijziging"
    );
    // The new token was used: the old one is revoked now.
    anna.token = old;
    assert!(matches!(
        anna.sync(&server.url),
        Err(SyncError::Unauthorized)
    ));

    let rows = audit_rows(&db, &["--tenant", &tenant, "--user", "anna"], |rows| {
        kinds(rows).contains(&"token_rotated") && kinds(rows).contains(&"token_revoked")
    });
    let rotated_row = rows.iter().find(|r| r["kind"] == "token_rotated").unwrap();
    assert_eq!(rotated_row["address"], "127.0.0.1");
    let revoked = rows.iter().find(|r| r["kind"] == "token_revoked").unwrap();
    assert_eq!(revoked["detail"]["token"], rotated_row["detail"]["token"]);
}

#[test]
fn a_lost_rotation_answer_does_not_lock_the_laptop_out() {
    let dir = tempfile::tempdir().unwrap();
    let db = database(dir.path());
    let server = Server::start(&db);
    let (tenant, old) = tenant_with_user(&db, "coordinator");
    let mut anna = Laptop::new(dir.path(), "anna", &old);
    anna.store
        .create(
            Entity::Contact,
            fields(json!({"name": "Na het verloren antwoord"})),
        )
        .unwrap();

    // The server makes a new token, but its answer never reaches the laptop.
    let mut lost = agent()
        .post(format!("{}/v1/token/rotate", server.url))
        .header("authorization", format!("Bearer {old}"))
        .send_empty()
        .unwrap();
    assert_eq!(lost.status(), 200);
    let lost: Value = serde_json::from_str(&lost.body_mut().read_to_string().unwrap()).unwrap();
    let never_seen = lost["token"].as_str().unwrap().to_owned();

    // The laptop still has only the old token, and it still works.
    let report = anna.sync(&server.url).unwrap();
    assert_eq!(report.pushed_transactions, 1);
    // It asks again; the token made for the lost answer is revoked, never having been used.
    let tokens = TokenStore::file_only(dir.path().join("anna-token"));
    let mut transport = HttpTransport::new(&server.url, &old, Duration::from_secs(10)).unwrap();
    let (new, _) = rotate_token(&mut transport, &tokens).unwrap();
    let refused = HttpTransport::new(&server.url, &never_seen, Duration::from_secs(10))
        .unwrap()
        .rotate_token();
    assert!(
        matches!(refused, Err(SyncError::Unauthorized)),
        "{refused:?}"
    );
    anna.token = new;
    anna.sync(&server.url).unwrap();

    let rows = audit_rows(
        &db,
        &["--tenant", &tenant, "--kind", "token_rotated"],
        |rows| rows.len() >= 2,
    );
    assert_eq!(rows.len(), 2);
    // Newest first: the second rotation revoked the unused token of the first.
    assert_eq!(rows[0]["detail"]["unused_tokens_revoked"], 1, "{rows:?}");
}
