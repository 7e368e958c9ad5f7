//! `wijkwerk export-contacts` and `wijkwerk organisation mailing-list` on the demo municipality,
//! as a user runs them: files whole or not at all, CSV and vCard on standard output.

mod common;

use common::{ok, wijkwerk};
use serde_json::Value;
use std::path::Path;

fn demo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    ok(dir.path(), &["init", "--demo", "--demo-date", "2027-02-01"]);
    dir
}

/// The demo's organisations of a kind.
fn organisations(data: &Path, kind: &str) -> Vec<Value> {
    let all = ok(data, &["organisation", "list", "--limit", "500"]);
    all["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["kind"] == kind)
        .cloned()
        .collect()
}

fn stdout(data: &Path, args: &[&str]) -> Vec<u8> {
    let out = wijkwerk(data, args);
    assert!(
        out.status.success(),
        "wijkwerk {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn error(data: &Path, args: &[&str]) -> Value {
    let out = wijkwerk(data, args);
    assert!(!out.status.success(), "wijkwerk {args:?} succeeded");
    serde_json::from_slice(&out.stderr).unwrap_or_else(
        |_| serde_json::json!({"usage": String::from_utf8_lossy(&out.stderr).to_string()}),
    )
}

#[test]
fn every_contact_as_csv_for_dutch_excel_on_standard_output() {
    let dir = demo();
    let data = dir.path();
    let contacts = ok(data, &["contact", "list", "--limit", "1000"])["items"]
        .as_array()
        .unwrap()
        .len();
    let csv = stdout(
        data,
        &["export-contacts", "--format", "csv", "--date", "2027-02-01"],
    );
    assert!(csv.starts_with(b"\xEF\xBB\xBFNaam;Voornaam;Achternaam;E-mailadres;"));
    let text = String::from_utf8(csv).unwrap();
    assert_eq!(
        text.matches("\r\n").count(),
        contacts + 1,
        "a line per contact"
    );
    assert!(text.contains("Henriëtte Bosman"));
    assert!(text.contains("Wijkcoördinator"));
}

#[test]
fn a_board_as_xlsx_and_vcard_files_and_as_a_mailing_list() {
    let dir = demo();
    let data = dir.path();
    let dorpsraad = organisations(data, "dorpsraad")[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let xlsx = data.join("bestuur.xlsx");
    let written = ok(
        data,
        &[
            "export-contacts",
            "--format",
            "xlsx",
            "--organisation",
            &dorpsraad,
            "--date",
            "2027-02-01",
            "--out",
            xlsx.to_str().unwrap(),
        ],
    );
    assert!(written["rows"].as_u64().unwrap() >= 1, "{written}");
    assert_eq!(written["format"], "xlsx");
    assert!(std::fs::read(&xlsx).unwrap().starts_with(b"PK\x03\x04"));

    let cards = String::from_utf8(stdout(
        data,
        &[
            "export-contacts",
            "--format",
            "vcf",
            "--vcard-version",
            "4",
            "--organisation",
            &dorpsraad,
            "--date",
            "2027-02-01",
        ],
    ))
    .unwrap();
    assert!(
        cards.starts_with("BEGIN:VCARD\r\nVERSION:4.0\r\n"),
        "{cards}"
    );
    assert!(cards.contains("TITLE:Voorzitter\r\n"), "{cards}");

    let list = ok(
        data,
        &[
            "organisation",
            "mailing-list",
            &dorpsraad,
            "--date",
            "2027-02-01",
        ],
    );
    let to = list["to"].as_str().unwrap();
    assert!(
        to.starts_with('"') && to.contains(" <") && to.ends_with('>'),
        "{to}"
    );
    assert!(list["mailto"].as_str().unwrap().starts_with("mailto:"));
    assert!(list["missing"].is_array());
    assert_eq!(
        list["recipients"].as_array().unwrap().len(),
        to.matches('<').count()
    );
}

#[test]
fn the_organisations_of_an_area_and_the_role_holders_there() {
    let dir = demo();
    let data = dir.path();
    let kern = ok(data, &["area", "list", "--limit", "500"])["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["kind"] == "core")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let organisations = String::from_utf8(stdout(
        data,
        &[
            "export-contacts",
            "--format",
            "csv",
            "--organisations",
            "--area",
            &kern,
        ],
    ))
    .unwrap();
    assert!(organisations.starts_with("\u{feff}Naam;Soort;Gebieden;"));
    let roles = String::from_utf8(stdout(
        data,
        &["export-contacts", "--format", "csv", "--area", &kern],
    ))
    .unwrap();
    assert!(roles.starts_with("\u{feff}Organisatie;Functie;Sinds;Naam;"));
    assert!(roles.lines().count() > 2, "{roles}");

    let refused = error(
        data,
        &[
            "export-contacts",
            "--format",
            "csv",
            "--area",
            &kern,
            "--search",
            "x",
        ],
    );
    assert_eq!(refused["error"]["code"], "usage");
}

#[test]
fn a_refused_export_writes_nothing_and_leaves_the_file_there_alone() {
    let dir = demo();
    let data = dir.path();
    let file = data.join("bestuur.csv");
    std::fs::write(&file, "vorige versie").unwrap();
    let unknown = "019bb2f0-0000-7000-8000-0000000000a1";
    let refused = error(
        data,
        &[
            "export-contacts",
            "--format",
            "csv",
            "--organisation",
            unknown,
            "--out",
            file.to_str().unwrap(),
        ],
    );
    assert_eq!(refused["error"]["code"], "not_found");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "vorige versie");

    let missing = data.join("bestaat-niet").join("contacten.csv");
    let refused = error(
        data,
        &[
            "export-contacts",
            "--format",
            "csv",
            "--out",
            missing.to_str().unwrap(),
        ],
    );
    assert_eq!(refused["error"]["code"], "document");
    assert!(refused["error"]["message"]
        .as_str()
        .unwrap()
        .contains("contacten.csv"));
    assert!(!missing.exists());
    let leftovers: Vec<_> = std::fs::read_dir(data)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "no temporary file left behind");

    let refused = error(
        data,
        &["export-contacts", "--format", "vcf", "--vcard-version", "2"],
    );
    assert!(refused.to_string().contains("vcard-version"), "{refused}");
}
