// Shared helpers for the calendar tests (included with `mod calendar_support;`).
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

pub fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/calendar")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Compares `text` with the golden file `tests/golden/<name>`; with WIJKWERK_UPDATE_GOLDEN=1 the
/// golden file is written instead.
pub fn golden(name: &str, text: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    if std::env::var_os("WIJKWERK_UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, text).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (run with WIJKWERK_UPDATE_GOLDEN=1 to write it)",
            path.display()
        )
    });
    if expected != text {
        let first = expected
            .lines()
            .zip(text.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(expected.lines().count().min(text.lines().count()));
        panic!(
            "{name} differs from the golden file at line {}:\n  golden: {:?}\n  now:    {:?}\n\
             (if the change is intended: WIJKWERK_UPDATE_GOLDEN=1 cargo test -p wijkwerk-core)",
            first + 1,
            expected.lines().nth(first),
            text.lines().nth(first)
        );
    }
}

/// The RFC 5545 checks every export must pass: CRLF line ends, at most 75 octets a line, a
/// VTIMEZONE for every TZID used, DTSTAMP in UTC, unique UIDs (per recurrence).
pub fn check_structure(text: &str) {
    assert!(text.ends_with("\r\n"), "the text ends with CRLF");
    assert!(
        !text.replace("\r\n", "").contains(['\r', '\n']),
        "a bare CR or LF"
    );
    let physical: Vec<&str> = text.split("\r\n").filter(|l| !l.is_empty()).collect();
    for (i, line) in physical.iter().enumerate() {
        assert!(
            line.len() <= 75,
            "line {} has {} octets: {line}",
            i + 1,
            line.len()
        );
    }
    let unfolded = unfold(text);
    let mut tzids = BTreeSet::new();
    let mut vtimezones = BTreeSet::new();
    let mut uids: BTreeMap<(String, String), usize> = BTreeMap::new();
    let mut current_uid = None;
    let mut current_rid = String::new();
    for line in &unfolded {
        let (head, value) = line.split_once(':').expect("a content line has ':'");
        let name = head.split(';').next().unwrap_or_default();
        for param in head.split(';').skip(1) {
            if let Some(tzid) = param.strip_prefix("TZID=") {
                tzids.insert(tzid.trim_matches('"').to_owned());
            }
        }
        match name {
            "TZID" => {
                vtimezones.insert(value.to_owned());
            }
            "DTSTAMP" => assert!(
                value.ends_with('Z') && value.len() == 16,
                "DTSTAMP not UTC: {value}"
            ),
            "UID" => current_uid = Some(value.to_owned()),
            "RECURRENCE-ID" => current_rid = value.to_owned(),
            "END" if value == "VEVENT" || value == "VTODO" => {
                let uid = current_uid.take().expect("every event has a UID");
                *uids
                    .entry((uid, std::mem::take(&mut current_rid)))
                    .or_default() += 1;
            }
            _ => {}
        }
    }
    for tzid in &tzids {
        assert!(vtimezones.contains(tzid), "TZID {tzid} has no VTIMEZONE");
    }
    for (uid, n) in uids {
        assert_eq!(n, 1, "UID {uid:?} appears {n} times");
    }
}

/// The content lines of an iCalendar text, unfolded.
pub fn unfold(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for line in text.split("\r\n").filter(|l| !l.is_empty()) {
        match line.strip_prefix(' ') {
            Some(rest) => out.last_mut().expect("continuation").push_str(rest),
            None => out.push(line.to_owned()),
        }
    }
    out
}

/// Per event: UID → (DTSTART line, DTEND line, SUMMARY, LOCATION), to compare two exports.
pub fn events(text: &str) -> BTreeMap<String, Vec<String>> {
    let mut out = BTreeMap::new();
    let mut current: Option<(String, Vec<String>)> = None;
    for line in unfold(text) {
        if line == "BEGIN:VEVENT" {
            current = Some((String::new(), Vec::new()));
        } else if line == "END:VEVENT" {
            if let Some((uid, mut props)) = current.take() {
                props.sort();
                out.insert(uid, props);
            }
        } else if let Some((uid, props)) = current.as_mut() {
            let name = line.split([';', ':']).next().unwrap_or_default();
            if name == "UID" {
                *uid = line["UID:".len()..].to_owned();
            } else if ["DTSTART", "DTEND", "SUMMARY", "LOCATION", "STATUS"].contains(&name) {
                props.push(line.clone());
            }
        }
    }
    out
}
