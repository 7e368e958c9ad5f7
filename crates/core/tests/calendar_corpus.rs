//! Real calendar files from other programs' test suites and bug reports
//! (`tests/fixtures/calendar-corpus`, sources and licences in its README): each is imported into
//! a fresh store and must finish (a hang guard, not a speed test), never panic, and either import
//! or be refused with a line and a reason. The summary is printed (`--nocapture`, or nextest's
//! `--no-capture`).

use std::path::PathBuf;
use std::sync::mpsc;
use std::time::Duration;
use wijkwerk_core::calendar::import::{ImportOptions, ImportReport};
use wijkwerk_core::calendar::ImportError;
use wijkwerk_core::Store;

/// Far more than any file takes; only a hang reaches it.
const HANG_GUARD: Duration = Duration::from_secs(20);

fn corpus() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/calendar-corpus")
}

fn files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(corpus())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "ics"))
        .collect();
    files.sort();
    files
}

enum Outcome {
    Imported(ImportReport),
    Refused { line: Option<usize>, reason: String },
    StoreFailed(String),
}

/// Imports one file on its own thread; `None` when it did not finish in time, `Err` on a panic.
fn import(bytes: Vec<u8>) -> Option<Result<Outcome, String>> {
    let (tx, rx) = mpsc::channel();
    let worker = std::thread::spawn(move || {
        let mut store = Store::in_memory().expect("an in-memory store");
        let options = ImportOptions {
            now: "2026-11-24T09:00:00Z".parse().expect("an instant"),
        };
        let outcome = match store.calendar_import(&bytes, &options) {
            Ok(report) => Outcome::Imported(report),
            Err(ImportError::Refused(e)) => Outcome::Refused {
                line: e.line(),
                reason: e.reason().to_owned(),
            },
            Err(ImportError::Store(e)) => Outcome::StoreFailed(e.to_string()),
        };
        let _ = tx.send(outcome);
    });
    match rx.recv_timeout(HANG_GUARD) {
        Ok(outcome) => {
            let _ = worker.join();
            Some(Ok(outcome))
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => Some(Err(match worker.join() {
            Err(panic) => panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_else(|| "a panic".into()),
            Ok(()) => "the import ended without an answer".into(),
        })),
        // The thread is left behind; the test fails.
        Err(mpsc::RecvTimeoutError::Timeout) => None,
    }
}

#[test]
fn every_real_file_imports_or_is_refused_with_a_line() {
    let files = files();
    assert!(files.len() >= 30, "the corpus has {} files", files.len());
    let mut failures = Vec::new();
    let (mut imported, mut refused) = (0, 0);
    let mut summary = String::new();
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let bytes = std::fs::read(path).unwrap();
        assert!(bytes.len() < 100 * 1024, "{name}: keep corpus files small");
        match import(bytes) {
            None => failures.push(format!("{name}: did not finish in {HANG_GUARD:?}")),
            Some(Err(panic)) => failures.push(format!("{name}: panicked: {panic}")),
            Some(Ok(Outcome::StoreFailed(e))) => {
                failures.push(format!("{name}: the store refused the write: {e}"))
            }
            Some(Ok(Outcome::Refused { line, reason })) => {
                refused += 1;
                summary.push_str(&format!(
                    "  refused   {name}: line {}: {reason}\n",
                    line.map_or("?".into(), |l| l.to_string())
                ));
                if line.is_none_or(|l| l < 1) || reason.trim().is_empty() {
                    failures.push(format!("{name}: refused without a line or reason"));
                }
            }
            Some(Ok(Outcome::Imported(report))) => {
                imported += 1;
                summary.push_str(&format!(
                    "  imported  {name}: {} new, {} skipped, {} warnings{}\n",
                    report.created.len(),
                    report.refused.len(),
                    report.warnings.len(),
                    report
                        .refused
                        .iter()
                        .map(|r| format!("\n              skipped line {}: {}", r.line, r.reason))
                        .chain(report.warnings.iter().take(3).map(|w| format!(
                            "\n              warning line {}: {}",
                            w.line, w.reason
                        )))
                        .collect::<String>()
                ));
                if report.refused.iter().any(|r| r.line < 1)
                    || report.warnings.iter().any(|w| w.line < 1)
                {
                    failures.push(format!("{name}: a skipped event or warning without a line"));
                }
            }
        }
    }
    println!(
        "calendar corpus: {} files, {imported} imported, {refused} refused\n{summary}",
        files.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_readme_names_the_source_of_every_file() {
    let readme = std::fs::read_to_string(corpus().join("README.md")).unwrap();
    for path in files() {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            readme.contains(&format!("`{name}`")),
            "{name} is not in the README"
        );
    }
}
