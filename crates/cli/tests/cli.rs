//! The `wijkwerk` command line, run as a user runs it: JSON out, clear refusals, nothing lost.

mod common;

use common::{ok, wijkwerk};
use serde_json::{json, Value};
use std::path::Path;

/// Runs a command that must be refused and returns the error object.
fn refused(data: &Path, args: &[&str]) -> Value {
    let out = wijkwerk(data, args);
    assert_eq!(
        out.status.code(),
        Some(1),
        "wijkwerk {args:?} should be refused"
    );
    let err: Value = serde_json::from_slice(&out.stderr).unwrap_or_else(|e| {
        panic!(
            "no JSON error ({e}): {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    err["error"].clone()
}

fn export(data: &Path) -> String {
    let out = wijkwerk(data, &["export"]);
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

fn id(value: &Value) -> String {
    value["id"].as_str().expect("an id").to_owned()
}

#[test]
fn the_demo_is_the_same_every_time_for_the_same_day() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let made = ok(a.path(), &["init", "--demo", "--demo-date", "2026-11-24"]);
    assert!(made["demo"].is_object());
    ok(b.path(), &["init", "--demo", "--demo-date", "2026-11-24"]);
    let export_a = export(a.path());
    assert_eq!(export_a, export(b.path()));
    let parsed: Value = serde_json::from_str(&export_a).unwrap();
    assert_eq!(parsed["format"], "wijkwerk-export");
    let overdue = ok(
        a.path(),
        &["action-point", "overdue", "--date", "2026-11-24"],
    );
    assert!(
        overdue["total"].as_i64().unwrap() > 0,
        "the demo has overdue action points"
    );
    let vacancies = ok(
        a.path(),
        &["organisation", "vacancies", "--date", "2026-11-24"],
    );
    assert_eq!(
        vacancies.as_array().unwrap().len(),
        1,
        "one association with a vacancy"
    );
}

#[test]
fn records_go_in_change_and_come_out_as_json() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    ok(data, &["init"]);
    let kern = ok(
        data,
        &[
            "area",
            "add",
            "--json",
            r#"{"name": "Egmond aan Zee", "kind": "core", "inhabitants": 5300}"#,
        ],
    );
    let wijk = ok(
        data,
        &[
            "area",
            "add",
            "--json",
            &json!({"name": "Boulevard", "kind": "district", "parent_id": id(&kern)}).to_string(),
        ],
    );
    assert_eq!(wijk["parent_id"], kern["id"]);
    let tree = ok(data, &["area", "tree"]);
    assert_eq!(tree[1]["depth"], 1);

    let org = ok(
        data,
        &["organisation", "add", "--json", &json!({"name": "Wijkvereniging Boulevard", "kind": "wijkvereniging", "area_ids": [id(&wijk)]}).to_string()],
    );
    let person = ok(
        data,
        &[
            "contact",
            "add",
            "--json",
            r#"{"name": "Mieke Zeeman", "email": "mieke@example.nl"}"#,
        ],
    );
    ok(
        data,
        &["role", "add", "--json", &json!({"contact_id": id(&person), "organisation_id": id(&org), "kind": "chair", "start_date": "2024-01-01"}).to_string()],
    );
    let meeting = ok(
        data,
        &["meeting", "add", "--json", &json!({"kind": "ledenvergadering", "title": "ALV voorjaar", "organisation_id": id(&org),
            "starts_at": "2026-04-09T19:30", "ends_at": "2026-04-09T21:30", "location": "Het Zeehuis"}).to_string()],
    );
    assert_eq!(
        meeting["starts_at"], "2026-04-09T17:30:00Z",
        "19:30 summer time in Amsterdam"
    );
    let item = ok(
        data,
        &[
            "agenda-item",
            "add",
            "--json",
            &json!({"meeting_id": id(&meeting), "title": "Strandopgang"}).to_string(),
        ],
    );
    ok(
        data,
        &[
            "attendance",
            "add",
            "--json",
            &json!({"meeting_id": id(&meeting), "contact_id": id(&person), "status": "present"})
                .to_string(),
        ],
    );
    ok(
        data,
        &[
            "agenda-item",
            "update",
            &id(&item),
            "--json",
            r#"{"minutes": "Zand stuift op het pad.", "decision": "Melden bij BOR."}"#,
        ],
    );
    let point = ok(
        data,
        &[
            "action-point",
            "add",
            "--json",
            &json!({"title": "Strandopgang vegen", "source_agenda_item_id": id(&item),
            "requester_organisation_id": id(&org), "due_date": "2026-05-01"})
            .to_string(),
        ],
    );
    let done = ok(
        data,
        &[
            "action-point",
            "status",
            &id(&point),
            "--to",
            "done",
            "--comment",
            "Geveegd",
        ],
    );
    assert_eq!(done["action_point"]["status"], "done");
    assert_eq!(done["history"].as_array().unwrap().len(), 2);

    let page = ok(data, &["meeting", "page", &id(&meeting)]);
    assert_eq!(page["agenda"][0]["minutes"], "Zand stuift op het pad.");
    assert_eq!(page["attendance"][0]["status"], "present");
    let contact_page = ok(data, &["contact", "page", &id(&person)]);
    assert_eq!(contact_page["roles"][0]["kind"], "chair");
    assert_eq!(contact_page["meetings"][0]["title"], "ALV voorjaar");

    let hits = ok(data, &["search", "strandopg"]);
    assert!(hits
        .as_array()
        .unwrap()
        .iter()
        .any(|h| h["entity"] == "action_point"));

    ok(data, &["contact", "delete", &id(&person)]);
    assert_eq!(ok(data, &["contact", "get", &id(&person)])["deleted"], true);
    assert!(ok(data, &["contact", "list"])["items"]
        .as_array()
        .unwrap()
        .is_empty());
    ok(data, &["contact", "restore", &id(&person)]);
    assert_eq!(
        ok(data, &["contact", "list"])["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn bad_input_is_refused_by_name_and_the_store_is_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    ok(data, &["init", "--demo", "--demo-date", "2026-11-24"]);
    let before = export(data);
    let unknown = "0190d6a0-0000-7000-8000-000000000000";
    let unknown_parent =
        format!(r#"{{"name": "X", "kind": "district", "parent_id": "{unknown}"}}"#);
    let cases: Vec<(Vec<&str>, &str, Option<&str>)> = vec![
        (
            vec!["contact", "add", "--json", "{\"name\": \"Piet\""],
            "bad_json",
            None,
        ),
        (vec!["contact", "add", "--json", "[1, 2]"], "bad_json", None),
        (
            vec!["contact", "add", "--json", r#"{"name": ""}"#],
            "invalid",
            Some("name"),
        ),
        (
            vec!["area", "add", "--json", &unknown_parent],
            "invalid",
            Some("parent_id"),
        ),
        (
            vec![
                "meeting",
                "add",
                "--json",
                r#"{"kind": "kernoverleg", "title": "K", "starts_at": "2026-05-01T21:00", "ends_at": "2026-05-01T19:00"}"#,
            ],
            "invalid",
            Some("ends_at"),
        ),
        (
            vec![
                "action-point",
                "add",
                "--json",
                r#"{"title": "X", "due_date": "2026-02-31"}"#,
            ],
            "invalid",
            Some("due_date"),
        ),
        (
            vec!["contact", "update", unknown, "--json", r#"{"name": "X"}"#],
            "not_found",
            None,
        ),
        (vec!["contact", "get", "not-an-id"], "bad_id", None),
        (
            vec!["action-point", "overdue", "--date", "2026-13-01"],
            "bad_date",
            None,
        ),
        (
            vec!["action-point", "status", unknown, "--to", "finished"],
            "invalid",
            Some("status"),
        ),
    ];
    let long = format!(r#"{{"name": "{}"}}"#, "a".repeat(5000));
    let mut cases = cases;
    cases.push((
        vec!["contact", "add", "--json", &long],
        "invalid",
        Some("name"),
    ));
    for (args, code, field) in &cases {
        let err = refused(data, args);
        assert_eq!(err["code"], *code, "{args:?}: {err}");
        if let Some(field) = field {
            assert_eq!(err["field"], *field, "{args:?}: {err}");
        }
        assert!(!err["message"].as_str().unwrap_or_default().is_empty());
    }
    assert_eq!(export(data), before, "refused commands changed the store");
}

#[test]
fn a_store_from_a_newer_version_is_refused_with_a_message() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    ok(data, &["init"]);
    let file = data.join("wijkwerk.sqlite3");
    {
        // What a newer Wijkwerk would have left behind (the store opened with the test suite's
        // key from `.cargo/config.toml`).
        let conn = rusqlite::Connection::open(&file).unwrap();
        let key = std::env::var(wijkwerk_core::store_key::PASSPHRASE_ENV).unwrap();
        conn.pragma_update(None, "key", key).unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
        conn.pragma_update(None, "journal_mode", "DELETE").unwrap();
    }
    let before = std::fs::read(&file).unwrap();
    let err = refused(data, &["contact", "list"]);
    assert_eq!(err["code"], "newer_store");
    assert!(err["message"].as_str().unwrap().contains("newer version"));
    assert_eq!(std::fs::read(&file).unwrap(), before);
    let err = refused(tempfile::tempdir().unwrap().path(), &["contact", "list"]);
    assert_eq!(err["code"], "no_store");
}

#[test]
fn a_person_is_erased_from_the_command_line_and_cannot_be_changed_afterwards() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    ok(data, &["init"]);
    let person = ok(
        data,
        &[
            "contact",
            "add",
            "--json",
            r#"{"name": "Zwaantje Vrijdagmarkt", "phone": "06-48213579"}"#,
        ],
    );
    let erased = ok(data, &["privacy", "erase", &id(&person)]);
    assert_eq!(erased["changed"], true);
    assert!(!export(data).contains("Vrijdagmarkt"));
    let err = refused(
        data,
        &[
            "contact",
            "update",
            &id(&person),
            "--json",
            r#"{"phone": "06-11112222"}"#,
        ],
    );
    assert_eq!(err["field"], "erased_on", "{err}");
    // Erasing again says nothing changed.
    assert_eq!(
        ok(data, &["privacy", "erase", &id(&person)])["changed"],
        false
    );
}
