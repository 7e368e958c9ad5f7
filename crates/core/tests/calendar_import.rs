//! Invitations in: Outlook, Google and Apple styles at the right local time across the changes
//! to and from summer time, updates and cancellations by UID and SEQUENCE, recurring meetings,
//! and malformed files refused with line and reason, leaving the store unchanged.

mod calendar_support;
mod common;

use calendar_support::fixture;
use common::{add, fields, village, Village};
use jiff::Timestamp;
use serde_json::{json, Value};
use wijkwerk_core::calendar::import::{ImportOptions, ImportReport, SkipKind};
use wijkwerk_core::calendar::{CalendarError, ImportError};
use wijkwerk_core::{Entity, Store};

fn options() -> ImportOptions {
    ImportOptions {
        now: "2026-11-24T09:00:00Z".parse::<Timestamp>().unwrap(),
    }
}

/// The village, with the dorpsraad's e-mail address and Joke as its secretary.
fn store() -> (Store, Village) {
    let mut store = Store::in_memory().unwrap();
    let v = village(&mut store);
    store
        .update(
            Entity::Organisation,
            v.association,
            fields(json!({"email": "secretaris@dorpsraad-groet.example"})),
        )
        .unwrap();
    add(
        &mut store,
        Entity::Role,
        json!({"contact_id": v.contact, "organisation_id": v.association, "kind": "secretary",
               "start_date": "2024-01-01"}),
    );
    (store, v)
}

fn import(store: &mut Store, name: &str) -> ImportReport {
    store
        .calendar_import(&fixture(name), &options())
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn meetings(store: &Store) -> Vec<Value> {
    let mut items = store.list(Entity::Meeting, None, 1000).unwrap().items;
    items.sort_by(|a, b| a["starts_at"].as_str().cmp(&b["starts_at"].as_str()));
    items
}

fn only_meeting(store: &Store) -> Value {
    let all = meetings(store);
    assert_eq!(all.len(), 1, "{all:#?}");
    all.into_iter().next().unwrap()
}

#[test]
fn outlook_with_windows_zone_name_before_summer_time() {
    let (mut store, v) = store();
    let report = import(&mut store, "outlook_invitation.ics");
    assert_eq!(report.created.len(), 1, "{report:?}");
    let m = only_meeting(&store);
    // 20:00 on Thursday 25 March 2027, three days before the clocks go forward: UTC+1.
    assert_eq!(m["starts_at"], "2027-03-25T19:00:00Z");
    assert_eq!(m["ends_at"], "2027-03-25T21:00:00Z");
    assert_eq!(m["time_zone"], "Europe/Amsterdam");
    assert_eq!(m["title"], "Ledenvergadering Dorpsraad Groet");
    assert_eq!(m["kind"], "ledenvergadering");
    assert_eq!(m["location"], "Dorpshuis De Blinkerd, Groet");
    assert_eq!(
        m["organisation_id"],
        v.association.to_string(),
        "by the organisation's address"
    );
    assert_eq!(m["area_id"], v.kern.to_string());
    assert_eq!(m["organizer_email"], "secretaris@dorpsraad-groet.example");
    assert_eq!(m["ical_sequence"], 0);
    let notes = m["notes"].as_str().unwrap();
    assert!(notes.starts_with("Beste Jeroen,\n\nHierbij"), "{notes:?}");
    assert!(
        notes.contains("de parkeerdruk bij"),
        "folded text joins without losing spaces"
    );
}

#[test]
fn google_in_utc_after_summer_time() {
    let (mut store, v) = store();
    import(&mut store, "google_invitation.ics");
    let m = only_meeting(&store);
    // 18:30 UTC on Tuesday 27 October 2026, two days after the clocks went back: 19:30 in
    // Amsterdam.
    assert_eq!(m["starts_at"], "2026-10-27T18:30:00Z");
    assert_eq!(m["time_zone"], "Europe/Amsterdam");
    assert_eq!(m["kind"], "ledenvergadering", "ALV");
    assert_eq!(
        m["organisation_id"],
        v.association.to_string(),
        "by the role of the contact with the organizer's address"
    );
}

#[test]
fn apple_with_its_own_vtimezone_in_summer_time() {
    let (mut store, _) = store();
    import(&mut store, "apple_invitation.ics");
    let m = only_meeting(&store);
    // 19:30 on Tuesday 30 March 2027, two days after the clocks went forward: UTC+2.
    assert_eq!(m["starts_at"], "2027-03-30T17:30:00Z");
    assert_eq!(m["ends_at"], "2027-03-30T19:30:00Z");
    assert_eq!(m["kind"], "bestuursoverleg");
    assert_eq!(m["location"], "Het Oude Raadhuis, Laanweg 1, Groet");
}

#[test]
fn floating_all_day_and_vtimezone_only_zones() {
    let (mut store, _) = store();
    import(&mut store, "floating.ics");
    assert_eq!(only_meeting(&store)["starts_at"], "2027-01-12T18:30:00Z");
    let (mut store, _) = crate::store();
    import(&mut store, "all_day.ics");
    let m = only_meeting(&store);
    assert_eq!(
        m["starts_at"], "2027-04-23T22:00:00Z",
        "midnight in Amsterdam"
    );
    assert_eq!(m["ends_at"], "2027-04-24T22:00:00Z");
    let (mut store, _) = crate::store();
    import(&mut store, "custom_vtimezone.ics");
    // 19:30 on 26 October 2027, before the clocks go back on the 31st: UTC+2, read from the
    // VTIMEZONE's own rules.
    assert_eq!(only_meeting(&store)["starts_at"], "2027-10-26T17:30:00Z");
    // An all-day meeting exports as an all-day event again.
    let text = store
        .calendar_export(
            &Default::default(),
            &wijkwerk_core::calendar::export::ExportOptions::at(options().now),
        )
        .unwrap()
        .text;
    assert!(
        !text.contains("VALUE=DATE"),
        "the custom-zone meeting is timed"
    );
}

#[test]
fn an_update_moves_the_meeting_and_a_cancellation_cancels_it() {
    let (mut store, _) = store();
    import(&mut store, "outlook_invitation.ics");
    let id = only_meeting(&store)["id"].clone();
    let report = import(&mut store, "outlook_updated.ics");
    assert_eq!(report.updated.len(), 1, "{report:?}");
    assert!(report.created.is_empty());
    let m = only_meeting(&store);
    assert_eq!(m["id"], id, "the same meeting, not a second one");
    // A week later, now in summer time: 20:00 is 18:00 UTC.
    assert_eq!(m["starts_at"], "2027-04-01T18:00:00Z");
    assert_eq!(m["location"], "Dorpshuis De Blinkerd (bovenzaal), Groet");
    assert_eq!(m["ical_sequence"], 1);
    // The same file again changes nothing.
    let before = store.export_json().unwrap();
    let again = import(&mut store, "outlook_updated.ics");
    assert_eq!(again.unchanged.len(), 1);
    assert_eq!(store.export_json().unwrap(), before);
    // The older version is refused as outdated.
    let old = import(&mut store, "outlook_invitation.ics");
    assert_eq!(old.refused.len(), 1);
    assert!(old.refused[0].reason.contains("older version"), "{old:?}");
    assert_eq!(store.export_json().unwrap(), before);
    let report = import(&mut store, "cancel.ics");
    assert_eq!(report.cancelled.len(), 1, "{report:?}");
    let m = only_meeting(&store);
    assert_eq!(m["status"], "cancelled");
    assert_eq!(m["ical_sequence"], 2);
}

#[test]
fn a_cancellation_of_something_never_imported_changes_nothing() {
    let (mut store, _) = store();
    let before = store.export_json().unwrap();
    let report = import(&mut store, "cancel.ics");
    assert_eq!(report.refused.len(), 1);
    assert_eq!(store.export_json().unwrap(), before);
}

#[test]
fn a_weekly_meeting_across_the_start_of_summer_time() {
    let (mut store, v) = store();
    let report = import(&mut store, "recurring_weekly.ics");
    assert_eq!(report.created.len(), 5, "6 minus one EXDATE: {report:?}");
    let all = meetings(&store);
    let starts: Vec<&str> = all
        .iter()
        .map(|m| m["starts_at"].as_str().unwrap())
        .collect();
    assert_eq!(
        starts,
        [
            "2027-03-16T18:30:00Z",
            "2027-03-23T18:30:00Z",
            // 30 March is excluded; from 28 March on 19:30 is 17:30 UTC.
            "2027-04-06T17:30:00Z",
            "2027-04-13T18:00:00Z", // the exception: 20:00
            "2027-04-20T17:30:00Z",
        ]
    );
    assert_eq!(all[3]["title"], "Werkgroep dorpsfeest (later)");
    assert!(all
        .iter()
        .all(|m| m["organisation_id"] == v.association.to_string()));
    assert!(all
        .iter()
        .all(|m| m["ends_at"].as_str().unwrap() > m["starts_at"].as_str().unwrap()));
    // The series again, with one more occurrence excluded: that meeting is cancelled.
    let text = String::from_utf8(fixture("recurring_weekly.ics")).unwrap();
    let updated = text.replace("SEQUENCE:0", "SEQUENCE:1").replace(
        "EXDATE;TZID=Europe/Amsterdam:20270330T193000",
        "EXDATE;TZID=Europe/Amsterdam:20270330T193000,20270406T193000",
    );
    let report = store
        .calendar_import(updated.as_bytes(), &options())
        .unwrap();
    assert!(report.created.is_empty(), "{report:?}");
    assert_eq!(report.cancelled.len(), 1, "{report:?}");
    assert_eq!(report.cancelled[0].starts_at, "2027-04-06T17:30:00Z");
    assert_eq!(meetings(&store).len(), 5);
}

fn refused(store: &mut Store, bytes: &[u8]) -> CalendarError {
    let before = store.export_json().unwrap();
    let outbox = store.outbox_len().unwrap();
    let error = match store.calendar_import(bytes, &options()) {
        Err(ImportError::Refused(e)) => e,
        other => panic!("not refused: {other:?}"),
    };
    assert_eq!(
        store.export_json().unwrap(),
        before,
        "the store is unchanged"
    );
    assert_eq!(store.outbox_len().unwrap(), outbox);
    error
}

#[test]
fn what_stays_refused_is_refused_with_line_and_reason_and_nothing_imported() {
    let (mut store, _) = store();
    // Something already there, which must stay as it is.
    import(&mut store, "google_invitation.ics");
    for (name, line, words) in [
        ("missing_end.ics", Some(15), "END:VEVENT missing"),
        ("cut_short.ics", Some(7), "END:VEVENT is missing"),
        ("binary_junk.ics", Some(3), "binary data"),
        ("no_dtstart.ics", Some(9), "without DTSTART"),
    ] {
        let error = refused(&mut store, &fixture(name));
        assert_eq!(error.line(), line, "{name}: {error}");
        assert!(error.reason().contains(words), "{name}: {error}");
        assert!(error.to_string().starts_with("line "), "{error}");
    }
    // Binary junk anywhere: NUL bytes in otherwise valid UTF-8.
    let error = refused(
        &mut store,
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nX-JUNK:\x00\x00\x01\r\nEND:VCALENDAR\r\n",
    );
    assert_eq!(error.line(), Some(3));
    // Not a calendar at all.
    let error = refused(&mut store, b"%PDF-1.7\n1 0 obj\n");
    assert_eq!(error.line(), Some(1));
    // A good event before the one without a start: nothing of the file is imported.
    assert!(String::from_utf8(fixture("no_dtstart.ics"))
        .unwrap()
        .contains("UID:good@example.nl"));
    assert_eq!(meetings(&store).len(), 1);
}

#[test]
fn a_file_of_50_mb_is_refused_without_reading_it_into_the_store() {
    let (mut store, _) = store();
    let mut big = String::from("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Test//NL\r\n");
    let event = "BEGIN:VEVENT\r\nUID:x@example.nl\r\nDTSTAMP:20270101T000000Z\r\nDTSTART:20270101T100000Z\r\nSUMMARY:Vergadering\r\nEND:VEVENT\r\n";
    while big.len() < 50 * 1024 * 1024 {
        big.push_str(event);
    }
    big.push_str("END:VCALENDAR\r\n");
    let error = refused(&mut store, big.as_bytes());
    assert_eq!(error.line(), None);
    assert!(error.reason().contains("at most 10 MB"), "{error}");
}

#[test]
fn events_that_cannot_be_expanded_are_reported_and_the_rest_imported() {
    let (mut store, _) = store();
    let text = String::from_utf8(fixture("recurring_weekly.ics"))
        .unwrap()
        .replace(
            "RRULE:FREQ=WEEKLY;BYDAY=TU;COUNT=6",
            "RRULE:FREQ=YEARLY;BYWEEKNO=20;BYDAY=TU",
        );
    let report = store.calendar_import(text.as_bytes(), &options()).unwrap();
    assert_eq!(report.refused.len(), 1, "{report:?}");
    assert!(report.refused[0].reason.contains("BYWEEKNO"));
    assert_eq!(report.refused[0].kind, SkipKind::UnsupportedRepeat);
    assert_eq!(report.refused[0].line, 31);
    // The exception alone is still an occurrence the file describes.
    assert_eq!(report.created.len(), 1);
}

#[test]
fn an_update_of_one_occurrence_leaves_the_others_alone() {
    let (mut store, _) = store();
    import(&mut store, "recurring_weekly.ics");
    // Only the exception, moved again (as Outlook sends "this occurrence only").
    let text = String::from_utf8(fixture("recurring_weekly.ics")).unwrap();
    let exception_at = text.find("BEGIN:VEVENT\r\nUID:werkgroep-dorpsfeest-2027@dorpsraad-groet.example\r\nRECURRENCE-ID").unwrap();
    let end_of_master = text[..exception_at].rfind("BEGIN:VEVENT").unwrap();
    let only_exception = format!("{}{}", &text[..end_of_master], &text[exception_at..])
        .replace("SEQUENCE:0", "SEQUENCE:1")
        .replace("20270413T200000", "20270413T203000");
    let report = store
        .calendar_import(only_exception.as_bytes(), &options())
        .unwrap();
    assert_eq!(report.updated.len(), 1, "{report:?}");
    assert!(report.cancelled.is_empty(), "{report:?}");
    let all = meetings(&store);
    assert_eq!(all.len(), 5);
    assert!(all.iter().all(|m| m["status"] == "planned"));
    assert_eq!(all[3]["starts_at"], "2027-04-13T18:30:00Z");
}

#[test]
fn an_endless_series_from_long_ago_becomes_meetings_of_the_last_and_next_year() {
    let (mut store, _) = store();
    let text = String::from_utf8(fixture("recurring_weekly.ics"))
        .unwrap()
        .replace("20270316T", "20200317T")
        .replace(
            "RRULE:FREQ=WEEKLY;BYDAY=TU;COUNT=6",
            "RRULE:FREQ=WEEKLY;BYDAY=TU",
        );
    let report = store.calendar_import(text.as_bytes(), &options()).unwrap();
    // From 2025-11-23 to 2027-11-25: about 104 Tuesdays, not the 400 since 2020.
    let n = report.created.len();
    assert!((100..=110).contains(&n), "{n}");
    assert!(meetings(&store)
        .iter()
        .all(|m| m["starts_at"].as_str().unwrap() > "2025-11"));
}

mod never_panics {
    use super::*;
    use proptest::prelude::*;

    const FIXTURES: &[&str] = &[
        "outlook_invitation.ics",
        "google_invitation.ics",
        "apple_invitation.ics",
        "recurring_weekly.ics",
        "custom_vtimezone.ics",
        "all_day.ics",
    ];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        /// Damaged invitations (cut short, bytes changed, lines dropped) are imported or refused,
        /// never a panic, and a refusal leaves the store as it was.
        #[test]
        fn damaged_files(
            which in 0..FIXTURES.len(),
            cut in 0.0f64..1.0,
            edits in proptest::collection::vec((0.0f64..1.0, any::<u8>()), 0..4),
            drop_line in proptest::option::of(0usize..60),
        ) {
            let mut bytes = fixture(FIXTURES[which]);
            if let Some(n) = drop_line {
                let text = String::from_utf8_lossy(&bytes).into_owned();
                let lines: Vec<&str> = text.split("\n").collect();
                if n < lines.len() {
                    let kept: Vec<&str> = lines.iter().enumerate().filter(|(i, _)| *i != n).map(|(_, l)| *l).collect();
                    bytes = kept.join("\n").into_bytes();
                }
            }
            for (at, byte) in edits {
                let i = ((bytes.len() as f64) * at) as usize;
                if i < bytes.len() {
                    bytes[i] = byte;
                }
            }
            let keep = ((bytes.len() as f64) * (0.5 + cut / 2.0)) as usize;
            bytes.truncate(keep.max(1));
            let (mut store, _) = store();
            let before = store.export_json().unwrap();
            match store.calendar_import(&bytes, &options()) {
                Ok(_) => {}
                Err(ImportError::Refused(_)) => prop_assert_eq!(store.export_json().unwrap(), before),
                Err(ImportError::Store(e)) => {
                    // The write path refused a value: nothing written either.
                    prop_assert_eq!(store.export_json().unwrap(), before, "{}", e);
                }
            }
        }
    }
}
