//! `wijkwerk import FILE`, `imports` and `import-undo`: a list previewed without writing, imported
//! as one batch, a duplicate merged on request, a bad file refused with where and why, and the
//! whole import taken back.

mod common;

use common::{ok, wijkwerk};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../core/tests/fixtures/lists")
        .join(name)
        .display()
        .to_string()
}

fn empty_store() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    ok(dir.path(), &["init"]);
    dir
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

fn contact_names(dir: &Path) -> Vec<String> {
    let list = ok(dir, &["contact", "list"]);
    let mut names: Vec<String> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap_or_default().to_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn a_dry_run_shows_what_would_happen_and_writes_nothing() {
    let dir = empty_store();
    let preview = ok(
        dir.path(),
        &["import", &fixture("excel-nl-windows-1252.csv"), "--dry-run"],
    );
    assert_eq!(preview["dry_run"], true);
    assert_eq!(preview["source"]["encoding"], "Windows-1252");
    assert_eq!(preview["source"]["separator"], ";");
    assert!(preview["counts"]["new"].as_u64().unwrap() > 0);
    assert!(contact_names(dir.path()).is_empty());
    assert_eq!(ok(dir.path(), &["imports"]), Value::Array(vec![]));
}

#[test]
fn a_duplicate_is_skipped_by_default_and_merged_when_asked() {
    let dir = empty_store();
    let first = write(
        dir.path(),
        "leden.csv",
        "Naam;E-mail;Telefoon\r\nAnna de Boer;anna@example.nl;\r\nKees Smit;;072-5123456\r\n",
    );
    let report = ok(dir.path(), &["import", &first]);
    assert_eq!(report["imported"].as_array().unwrap().len(), 2);
    assert_eq!(contact_names(dir.path()), ["Anna de Boer", "Kees Smit"]);

    // Anna again (same address, a phone number now); Piet new.
    let second = write(
        dir.path(),
        "leden-2.csv",
        "Naam;E-mail;Telefoon\r\nAnna de Boer;ANNA@example.nl;0725111111\r\nPiet Jansen;piet@example.nl;\r\n",
    );
    let skipped = ok(dir.path(), &["import", &second, "--dry-run"]);
    assert_eq!(skipped["duplicates"][0]["line"], 2);
    assert_eq!(skipped["duplicates"][0]["reason"], "same_email");
    assert_eq!(skipped["duplicates"][0]["resolution"], "skip");

    let report = ok(dir.path(), &["import", &second, "--resolve", "2=merge"]);
    assert_eq!(report["merged"][0]["line"], 2);
    assert_eq!(report["imported"][0]["name"], "Piet Jansen");
    assert_eq!(
        contact_names(dir.path()),
        ["Anna de Boer", "Kees Smit", "Piet Jansen"]
    );
    let anna = ok(dir.path(), &["contact", "list"])["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "Anna de Boer")
        .cloned()
        .unwrap();
    assert_eq!(anna["phone"], "072-5111111", "merged in its normal form");
}

#[test]
fn an_import_is_taken_back_as_a_whole() {
    let dir = empty_store();
    let report = ok(dir.path(), &["import", &fixture("outlook-nl.csv")]);
    let batch = report["batch_id"].as_str().unwrap().to_owned();
    assert!(!contact_names(dir.path()).is_empty());
    let batches = ok(dir.path(), &["imports"]);
    assert_eq!(batches[0]["id"], batch.as_str());
    assert_eq!(batches[0]["source"], "outlook-nl.csv");

    let undo = ok(dir.path(), &["import-undo", &batch]);
    assert!(undo["deleted"].as_u64().unwrap() > 0);
    assert!(contact_names(dir.path()).is_empty());
    let again = wijkwerk(dir.path(), &["import-undo", &batch]);
    assert!(!again.status.success());
    let error: Value = serde_json::from_slice(&again.stderr).unwrap();
    assert_eq!(error["error"]["code"], "import_already_undone");
}

#[test]
fn a_file_that_is_no_list_is_refused_with_its_line_and_nothing_is_imported() {
    let dir = empty_store();
    ok(
        dir.path(),
        &["import", &write(dir.path(), "goed.csv", "Naam\nAnna\n")],
    );
    let mut bytes = b"Naam;E-mail\r\nBert;bert@example.nl\r\n".to_vec();
    bytes.extend_from_slice(&[0, 1, 2, 0, 0, 0, 7, 0]);
    let path = dir.path().join("kapot.csv");
    std::fs::write(&path, bytes).unwrap();
    let out = wijkwerk(dir.path(), &["import", &path.display().to_string()]);
    assert!(!out.status.success());
    let error: Value = serde_json::from_slice(&out.stderr).unwrap();
    assert_eq!(error["error"]["line"], 3, "{error}");
    assert_eq!(contact_names(dir.path()), ["Anna"]);
}
