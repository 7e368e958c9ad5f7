//! The werkkapitaal and the yearly report from the command line: records in, warnings and
//! figures out, and the same numbers in JSON and CSV.

mod common;

use common::{ok, wijkwerk};
use serde_json::Value;
use std::path::Path;

fn id(value: &Value) -> String {
    value["id"].as_str().expect("an id").to_owned()
}

fn add(data: &Path, entity: &str, json: &str) -> Value {
    ok(data, &[entity, "add", "--json", json])
}

#[test]
fn a_werkkapitaal_from_the_command_line_with_its_report() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    ok(data, &["init"]);
    let gemeente = id(&add(
        data,
        "area",
        r#"{"name": "Gemeente Bergen", "kind": "municipality"}"#,
    ));
    let kern = id(&add(
        data,
        "area",
        &format!(
            r#"{{"name": "Schoorl", "kind": "core", "parent_id": "{gemeente}", "inhabitants": 5700}}"#
        ),
    ));
    let ko = id(&add(
        data,
        "organisation",
        &format!(
            r#"{{"name": "Kernoverleg Schoorl", "kind": "kernoverleg", "area_ids": ["{kern}"]}}"#
        ),
    ));
    let budget = id(&add(
        data,
        "budget",
        &format!(r#"{{"area_id": "{gemeente}", "year": 2026, "total_cents": "12.000,00"}}"#),
    ));
    let commitment = id(&add(
        data,
        "commitment",
        &format!(
            r#"{{"budget_id": "{budget}", "kernoverleg_id": "{ko}", "date": "2026-03-01",
                "amount_cents": "1.000", "description": "Burendag"}}"#
        ),
    ));
    let paid = add(
        data,
        "payment",
        &format!(
            r#"{{"commitment_id": "{commitment}", "date": "2026-04-01", "amount_cents": "1.250,50",
                "description": "Springkussen"}}"#
        ),
    );
    assert_eq!(paid["payment"]["amount_cents"], 125_050);
    assert_eq!(paid["warnings"][0]["kind"], "beyond_commitment");
    assert_eq!(paid["warnings"][0]["overrun_cents"], 25_050);

    let overview = ok(
        data,
        &[
            "budget",
            "overview",
            "--year",
            "2026",
            "--date",
            "2026-12-31",
        ],
    );
    assert_eq!(overview["total_cents"], 1_200_000);
    assert_eq!(overview["spent_cents"], 125_050);
    assert_eq!(overview["parts"][0]["under_spending"], true);

    // A sub-cent amount is refused by name, and nothing is written.
    let before = ok(data, &["payment", "list"]);
    let out = wijkwerk(
        data,
        &[
            "payment",
            "add",
            "--json",
            &format!(
                r#"{{"commitment_id": "{commitment}", "amount_cents": "1,005", "description": "x"}}"#
            ),
        ],
    );
    assert!(!out.status.success());
    let error: Value = serde_json::from_slice(&out.stderr).unwrap();
    assert_eq!(error["error"]["field"], "amount_cents");
    assert_eq!(ok(data, &["payment", "list"]), before);

    // The report as JSON and as CSV carries the same figures.
    let report = ok(data, &["report", "--year", "2026", "--date", "2027-01-15"]);
    assert_eq!(report["total"]["werkkapitaal"]["spent_cents"], 125_050);
    assert_eq!(
        report["total"]["werkkapitaal"]["under_spending"][0],
        "Kernoverleg Schoorl"
    );
    let csv_file = data.join("rapport.csv");
    let written = ok(
        data,
        &[
            "report",
            "--year",
            "2026",
            "--date",
            "2027-01-15",
            "--format",
            "csv",
            "--out",
            csv_file.to_str().unwrap(),
        ],
    );
    assert_eq!(written["has_data"], true);
    let csv = std::fs::read(&csv_file).unwrap();
    assert!(
        csv.starts_with(b"\xEF\xBB\xBF"),
        "UTF-8 with a byte order mark"
    );
    let text = String::from_utf8(csv).unwrap();
    assert!(text.contains("\r\n"), "lines end in CRLF");
    assert!(
        text.contains("1250,50"),
        "amounts with a decimal comma: {text}"
    );

    // A year without data is an empty report that says so, not an error.
    let empty = ok(data, &["report", "--year", "2019", "--date", "2027-01-15"]);
    assert_eq!(empty["has_data"], false);

    // A folder that cannot be written: a clear error, and no file.
    let missing = data.join("bestaat-niet").join("rapport.xlsx");
    let out = wijkwerk(
        data,
        &[
            "report",
            "--year",
            "2026",
            "--format",
            "xlsx",
            "--out",
            missing.to_str().unwrap(),
        ],
    );
    assert!(!out.status.success());
    assert!(!missing.exists());
}
