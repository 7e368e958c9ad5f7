//! `wijkwerk calendar ...`: export, import with its report, refusals with line and reason, and the
//! planner from plan to confirmed schedule.

mod common;

use common::{ok, wijkwerk};
use serde_json::Value;
use std::path::PathBuf;

fn fixture(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../core/tests/fixtures/calendar")
        .join(name)
        .display()
        .to_string()
}

fn demo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    ok(dir.path(), &["init", "--demo", "--demo-date", "2026-11-24"]);
    dir
}

#[test]
fn export_to_a_file_and_to_standard_output() {
    let dir = demo();
    let out = dir.path().join("kernbezoeken.ics");
    let out_text = out.display().to_string();
    let summary = ok(
        dir.path(),
        &[
            "calendar",
            "export",
            "--visits",
            "--year",
            "2026",
            "--dtstamp",
            "2026-11-24T09:00:00Z",
            "--out",
            &out_text,
        ],
    );
    assert_eq!(summary["events"], 6);
    assert_eq!(summary["time_zones"][0], "Europe/Amsterdam");
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.starts_with("BEGIN:VCALENDAR\r\n"));
    let stdout = wijkwerk(
        dir.path(),
        &[
            "calendar",
            "export",
            "--visits",
            "--year",
            "2026",
            "--dtstamp",
            "2026-11-24T09:00:00Z",
        ],
    );
    assert!(stdout.status.success());
    assert_eq!(
        String::from_utf8(stdout.stdout).unwrap(),
        text,
        "byte for byte"
    );
}

#[test]
fn import_reports_and_refusals_name_the_line() {
    let dir = demo();
    let report = ok(
        dir.path(),
        &["calendar", "import", &fixture("outlook_invitation.ics")],
    );
    assert_eq!(report["created"].as_array().unwrap().len(), 1);
    assert_eq!(report["created"][0]["starts_at"], "2027-03-25T19:00:00Z");
    let report = ok(
        dir.path(),
        &["calendar", "import", &fixture("outlook_updated.ics")],
    );
    assert_eq!(report["updated"].as_array().unwrap().len(), 1);
    let before = wijkwerk(dir.path(), &["export"]).stdout;
    for (name, line) in [("no_dtstart.ics", 9), ("missing_end.ics", 15)] {
        let out = wijkwerk(dir.path(), &["calendar", "import", &fixture(name)]);
        assert_eq!(out.status.code(), Some(1), "{name}");
        let error: Value = serde_json::from_slice(&out.stderr).unwrap();
        assert_eq!(error["error"]["code"], "bad_calendar");
        assert_eq!(error["error"]["line"], line, "{name}: {error}");
        assert!(error["error"]["reason"].as_str().unwrap().len() > 10);
    }
    assert_eq!(
        wijkwerk(dir.path(), &["export"]).stdout,
        before,
        "unchanged"
    );
}

#[test]
fn a_dry_run_shows_the_skipped_and_the_forgiven_and_writes_nothing() {
    let dir = demo();
    let before = wijkwerk(dir.path(), &["export"]).stdout;
    let preview = ok(
        dir.path(),
        &["calendar", "import", "--dry-run", &fixture("feb_31.ics")],
    );
    assert_eq!(preview["written"], false);
    assert_eq!(preview["created"].as_array().unwrap().len(), 1);
    assert_eq!(preview["refused"][0]["line"], 13);
    assert_eq!(preview["refused"][0]["kind"], "unreadable");
    assert!(preview["refused"][0]["reason"]
        .as_str()
        .unwrap()
        .contains("no day 31"));
    assert_eq!(
        wijkwerk(dir.path(), &["export"]).stdout,
        before,
        "unchanged"
    );
    let preview = ok(
        dir.path(),
        &[
            "calendar",
            "import",
            "--dry-run",
            &fixture("unknown_tzid.ics"),
        ],
    );
    assert_eq!(preview["warnings"][0]["line"], 7);
    assert_eq!(preview["warnings"][0]["kind"], "time_zone_assumed");
    // Without --dry-run the good event of the file is imported.
    let report = ok(dir.path(), &["calendar", "import", &fixture("feb_31.ics")]);
    assert_eq!(report["written"], true);
    assert_eq!(report["created"].as_array().unwrap().len(), 1);
    assert_eq!(report["refused"].as_array().unwrap().len(), 1);
}

#[test]
fn plan_confirm_and_export_the_schedule() {
    let dir = demo();
    let plan = ok(
        dir.path(),
        &["calendar", "plan", "--year", "2027", "--region", "noord"],
    );
    let proposals = plan["proposals"].as_array().unwrap();
    assert!(!proposals.is_empty());
    let first = proposals[0]["key"].as_str().unwrap().to_owned();
    let second = proposals[1]["key"].as_str().unwrap().to_owned();
    let confirmed = ok(
        dir.path(),
        &[
            "calendar",
            "plan",
            "--year",
            "2027",
            "--region",
            "noord",
            "confirm",
            "--all",
            "--drop",
            &first,
            &format!("{second}=2027-09-15T19:30"),
        ],
    );
    let records = confirmed["confirmed"].as_array().unwrap();
    assert_eq!(records.len(), proposals.len() - 1);
    assert!(records
        .iter()
        .any(|r| r["starts_at"] == "2027-09-15T17:30:00Z"));
    // Without --region: the municipality's configured region.
    let out = wijkwerk(dir.path(), &["calendar", "plan", "--year", "2027"]);
    assert_eq!(out.status.code(), Some(1), "no region configured yet");
    let areas = ok(dir.path(), &["area", "list"]);
    let gemeente = areas["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["kind"] == "municipality")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    ok(
        dir.path(),
        &[
            "area",
            "update",
            &gemeente,
            "--json",
            r#"{"school_region": "noord"}"#,
        ],
    );
    let again = ok(dir.path(), &["calendar", "plan", "--year", "2027"]);
    assert_eq!(again["region"], "noord");
    assert_eq!(again["proposals"].as_array().unwrap().len(), 1);
    assert_eq!(again["proposals"][0]["key"], first.as_str());
    let out = wijkwerk(
        dir.path(),
        &["calendar", "export", "--schedule", "--year", "2027"],
    );
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("CATEGORIES:Kernoverleg\r\n"));
    let holidays = ok(dir.path(), &["calendar", "holidays", "--year", "2027"]);
    assert_eq!(holidays.as_array().unwrap().len(), 11);
}
