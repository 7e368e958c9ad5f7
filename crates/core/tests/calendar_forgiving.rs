//! Invitations as real programs write them, imported as Outlook, Google and Apple open them: one
//! fixture per forgiven case, each with what it becomes and the warning it gives. What stays
//! refused is in `calendar_import.rs`.

mod calendar_support;

use calendar_support::fixture;
use jiff::Timestamp;
use serde_json::Value;
use wijkwerk_core::calendar::import::{ImportOptions, ImportReport, SkipKind, WarningKind};
use wijkwerk_core::{Entity, Store};

fn options() -> ImportOptions {
    ImportOptions {
        now: "2026-11-24T09:00:00Z".parse::<Timestamp>().unwrap(),
    }
}

fn import_bytes(store: &mut Store, bytes: &[u8]) -> ImportReport {
    store
        .calendar_import(bytes, &options())
        .unwrap_or_else(|e| panic!("{e}"))
}

fn import(store: &mut Store, name: &str) -> ImportReport {
    import_bytes(store, &fixture(name))
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

fn warning_kinds(report: &ImportReport) -> Vec<WarningKind> {
    report.warnings.iter().map(|w| w.kind).collect()
}

#[test]
fn an_event_without_uid_imported_twice_is_one_meeting() {
    let mut store = Store::in_memory().unwrap();
    let first = import(&mut store, "no_uid.ics");
    assert_eq!(first.created.len(), 1, "{first:?}");
    assert_eq!(warning_kinds(&first), [WarningKind::UidMade]);
    assert_eq!(first.warnings[0].line, 4, "the line of its BEGIN:VEVENT");
    let uid = first.created[0].uid.clone();
    assert!(uid.ends_with("@derived.wijkwerk"), "{uid}");
    let again = import(&mut store, "no_uid.ics");
    assert!(again.created.is_empty(), "{again:?}");
    assert_eq!(again.unchanged.len(), 1, "found again by the same made UID");
    assert_eq!(again.unchanged[0].uid, uid);
    // A changed location updates it: the UID is made of organiser, start and title only.
    let moved = String::from_utf8(fixture("no_uid.ics")).unwrap().replace(
        "LOCATION:Dorpshuis De Blinkerd",
        "LOCATION:Het Oude Raadhuis",
    );
    let updated = import_bytes(&mut store, moved.as_bytes());
    assert_eq!(updated.updated.len(), 1, "{updated:?}");
    let m = only_meeting(&store);
    assert_eq!(m["location"], "Het Oude Raadhuis");
    assert_eq!(m["ical_uid"], uid.as_str());
}

#[test]
fn quoted_tzids_and_vendor_prefixed_tzids() {
    let mut store = Store::in_memory().unwrap();
    let report = import(&mut store, "quoted_and_prefixed_tzid.ics");
    assert_eq!(report.created.len(), 3, "{report:?}");
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    let all = meetings(&store);
    // 20:00 on 25 March 2027 (winter time) in "W. Europe Standard Time", quoted.
    assert_eq!(all[0]["starts_at"], "2027-03-25T19:00:00Z");
    assert_eq!(all[0]["time_zone"], "Europe/Amsterdam");
    // 19:30 on 30 March 2027 (summer time) in /mozilla.org/20050126_1/Europe/Amsterdam.
    assert_eq!(all[1]["starts_at"], "2027-03-30T17:30:00Z");
    // 19:30 in New York (EDT, UTC−4) from the softwarestudio.org prefix.
    assert_eq!(all[2]["starts_at"], "2027-03-30T23:30:00Z");
    assert_eq!(all[2]["time_zone"], "America/New_York");
    assert_eq!(all[2]["ends_at"], "2027-03-31T00:30:00Z", "DURATION:PT1H");
}

#[test]
fn a_zone_only_the_files_own_vtimezone_describes() {
    let mut store = Store::in_memory().unwrap();
    let report = import(&mut store, "groupware_zone_name.ics");
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    // 19:30 on 6 July 2027 by the VTIMEZONE's rules: summer time, UTC+2.
    assert_eq!(only_meeting(&store)["starts_at"], "2027-07-06T17:30:00Z");
}

#[test]
fn an_unknown_zone_without_vtimezone_is_read_as_dutch_time_with_a_warning() {
    let mut store = Store::in_memory().unwrap();
    let report = import(&mut store, "unknown_tzid.ics");
    assert_eq!(report.created.len(), 1);
    assert_eq!(warning_kinds(&report), [WarningKind::TimeZoneAssumed]);
    assert_eq!(report.warnings[0].line, 7);
    assert!(report.warnings[0].reason.contains("Dorpstijd Groet"));
    assert!(report.needs_confirmation());
    // 19:30 in Amsterdam in January: 18:30 UTC.
    assert_eq!(only_meeting(&store)["starts_at"], "2027-01-12T18:30:00Z");
}

#[test]
fn a_broken_vendor_line_is_skipped_with_a_warning() {
    let mut store = Store::in_memory().unwrap();
    let report = import(&mut store, "broken_vendor_line.ics");
    assert_eq!(report.created.len(), 1, "{report:?}");
    assert_eq!(warning_kinds(&report), [WarningKind::LineSkipped]);
    assert_eq!(report.warnings[0].line, 11);
    let m = only_meeting(&store);
    assert_eq!(m["starts_at"], "2027-01-12T18:30:00Z");
    assert_eq!(m["title"], "Vergadering met een kapotte leveranciersregel");
}

#[test]
fn a_line_broken_without_a_space_is_read_as_more_of_its_text() {
    let mut store = Store::in_memory().unwrap();
    let report = import(&mut store, "broken_folding.ics");
    assert_eq!(warning_kinds(&report), [WarningKind::LineJoined]);
    assert_eq!(report.warnings[0].line, 9);
    assert_eq!(
        only_meeting(&store)["title"],
        "Ledenvergadering van de wijkvereniging met een heel lange titel die, doorloopt op de \
         volgende regel zonder spatie"
    );
}

#[test]
fn lowercase_names_and_every_kind_of_line_end() {
    for name in [
        "lowercase_lf.ics",
        "cr_only.ics",
        "bom_blank_lines_trailing_space.ics",
    ] {
        let mut store = Store::in_memory().unwrap();
        let report = import(&mut store, name);
        assert_eq!(report.created.len(), 1, "{name}: {report:?}");
        assert!(report.warnings.is_empty(), "{name}: {:?}", report.warnings);
        assert!(!report.needs_confirmation());
        assert_eq!(
            only_meeting(&store)["starts_at"],
            "2027-01-12T18:30:00Z",
            "{name}"
        );
    }
    // A file of Windows lines, with its line ends made LF or CR, gives the same meeting.
    let crlf = fixture("outlook_invitation.ics");
    for end in ["\n", "\r"] {
        let text = String::from_utf8(crlf.clone())
            .unwrap()
            .replace("\r\n", end);
        let mut store = Store::in_memory().unwrap();
        import_bytes(&mut store, text.as_bytes());
        assert_eq!(only_meeting(&store)["starts_at"], "2027-03-25T19:00:00Z");
    }
}

#[test]
fn windows_1252_is_read_as_such_with_a_warning() {
    let mut store = Store::in_memory().unwrap();
    let report = import(&mut store, "windows_1252.ics");
    assert_eq!(warning_kinds(&report), [WarningKind::Encoding]);
    assert_eq!(
        report.warnings[0].line, 8,
        "the first line that is not UTF-8"
    );
    let m = only_meeting(&store);
    assert_eq!(m["title"], "Caféavond – coöperatie");
    assert_eq!(m["location"], "Café ‘t Hoekje");
}

#[test]
fn ends_missing_before_the_start_or_given_as_a_duration() {
    let mut store = Store::in_memory().unwrap();
    let report = import(&mut store, "odd_ends.ics");
    assert_eq!(report.created.len(), 4, "{report:?}");
    assert_eq!(warning_kinds(&report), [WarningKind::TimeAdjusted]);
    assert_eq!(report.warnings[0].line, 7, "the DTEND before DTSTART");
    let all = meetings(&store);
    let ends: Vec<(&str, &str)> = all
        .iter()
        .map(|m| {
            (
                m["starts_at"].as_str().unwrap(),
                m["ends_at"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        ends,
        [
            ("2027-01-12T18:30:00Z", "2027-01-12T18:30:00Z"),
            ("2027-01-13T18:30:00Z", "2027-01-13T20:00:00Z"),
            ("2027-01-14T18:30:00Z", "2027-01-14T18:30:00Z"),
            // All day in Amsterdam: midnight to midnight.
            ("2027-01-14T23:00:00Z", "2027-01-15T23:00:00Z"),
        ]
    );
}

#[test]
fn floating_times_in_the_calendars_x_wr_timezone() {
    let mut store = Store::in_memory().unwrap();
    let report = import(&mut store, "x_wr_timezone.ics");
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    let m = only_meeting(&store);
    // 19:30 in London in January is 19:30 UTC.
    assert_eq!(m["starts_at"], "2027-01-12T19:30:00Z");
    assert_eq!(m["time_zone"], "Europe/London");
}

#[test]
fn several_calendars_in_one_file_and_tasks_ignored_with_a_note() {
    let mut store = Store::in_memory().unwrap();
    let report = import(&mut store, "two_calendars_and_tasks.ics");
    assert_eq!(report.created.len(), 2, "{report:?}");
    assert_eq!(
        warning_kinds(&report),
        [
            WarningKind::IgnoredComponent,
            WarningKind::IgnoredComponent,
            WarningKind::IgnoredComponent
        ]
    );
    assert!(report.warnings[0].reason.starts_with("2 task(s) (VTODO)"));
    assert_eq!(report.warnings[0].line, 10);
    assert_eq!(meetings(&store).len(), 2);
}

#[test]
fn a_base64_attachment_is_ignored() {
    let mut store = Store::in_memory().unwrap();
    let report = import(&mut store, "base64_attachment.ics");
    assert_eq!(report.created.len(), 1);
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
}

#[test]
fn absurd_recurrence_rules_end_and_are_capped() {
    let mut store = Store::in_memory().unwrap();
    let started = std::time::Instant::now();
    let report = import(&mut store, "absurd_rrules.ics");
    assert!(started.elapsed().as_secs() < 20, "{:?}", started.elapsed());
    let count = |uid: &str| report.created.iter().filter(|c| c.uid == uid).count();
    assert_eq!(
        count("count-zero@example.nl"),
        1,
        "COUNT=0: the first meeting"
    );
    assert_eq!(count("huge-interval@example.nl"), 1);
    // Daily since 1900 and daily from 2026 without end: at most the cap, in the window.
    assert!(count("since-1900@example.nl") <= 520);
    assert!(count("since-1900@example.nl") > 300);
    assert!(count("huge-count@example.nl") <= 520);
    assert!(report
        .warnings
        .iter()
        .any(|w| w.kind == WarningKind::RepeatLimited));
    assert!(report
        .warnings
        .iter()
        .any(|w| w.kind == WarningKind::ValueIgnored && w.reason.contains("COUNT=0")));
    let window_start = "2025-11-20";
    assert!(meetings(&store)
        .iter()
        .all(|m| m["starts_at"].as_str().unwrap() > window_start));
}

#[test]
fn the_same_event_twice_is_imported_once() {
    let mut store = Store::in_memory().unwrap();
    let report = import(&mut store, "duplicate_uid.ics");
    assert_eq!(report.created.len(), 1);
    assert_eq!(warning_kinds(&report), [WarningKind::Duplicate]);
    assert_eq!(report.warnings[0].line, 11, "the older one is left out");
    assert_eq!(only_meeting(&store)["title"], "Verplaatst");
}

#[test]
fn one_unusable_event_among_many_is_skipped_and_named() {
    let mut store = Store::in_memory().unwrap();
    // The preview first: nothing written, and the app asks.
    let preview = store
        .calendar_preview(&fixture("feb_31.ics"), &options())
        .unwrap();
    assert!(!preview.written);
    assert!(preview.needs_confirmation());
    assert_eq!(preview.created.len(), 1);
    assert_eq!(preview.refused.len(), 1);
    assert_eq!(preview.refused[0].line, 13);
    assert_eq!(preview.refused[0].kind, SkipKind::Unreadable);
    assert!(preview.refused[0].reason.contains("no day 31"));
    assert!(meetings(&store).is_empty(), "a preview writes nothing");
    assert_eq!(store.outbox_len().unwrap(), 0);
    // The app's first try writes nothing either: it must ask.
    let asked = store
        .calendar_import_unless_doubtful(&fixture("feb_31.ics"), &options())
        .unwrap();
    assert!(!asked.written);
    assert!(meetings(&store).is_empty());
    // Confirmed: the good one is imported, the same report.
    let report = import(&mut store, "feb_31.ics");
    assert!(report.written);
    assert_eq!(report.created.len(), 1);
    assert_eq!(report.refused, preview.refused);
    assert_eq!(only_meeting(&store)["title"], "Een goede vergadering");
    // A file without doubts is imported at once.
    let mut store = Store::in_memory().unwrap();
    let at_once = store
        .calendar_import_unless_doubtful(&fixture("google_invitation.ics"), &options())
        .unwrap();
    assert!(at_once.written);
    assert_eq!(meetings(&store).len(), 1);
}

#[test]
fn very_long_lines_and_deep_nesting() {
    let mut text = String::from(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:long@example.nl\r\n\
         DTSTART:20270112T183000Z\r\nSUMMARY:Lang\r\nDESCRIPTION:",
    );
    text.push_str(&"bla ".repeat(500_000));
    text.push_str("\r\n");
    for _ in 0..20_000 {
        text.push_str("BEGIN:X-NESTED\r\n");
    }
    for _ in 0..20_000 {
        text.push_str("END:X-NESTED\r\n");
    }
    text.push_str("END:VEVENT\r\nEND:VCALENDAR\r\n");
    let mut store = Store::in_memory().unwrap();
    let report = import_bytes(&mut store, text.as_bytes());
    assert_eq!(report.created.len(), 1);
    let notes = only_meeting(&store)["notes"].as_str().unwrap().len();
    assert!(notes < 2_000_000, "cut to the store's longest text");
}

#[test]
fn many_broken_lines_give_a_bounded_list_of_warnings() {
    let mut text = String::from("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x@example.nl\r\n");
    text.push_str("DTSTART:20270112T183000Z\r\n");
    for _ in 0..5_000 {
        text.push_str("this is not a property\r\n");
    }
    text.push_str("END:VEVENT\r\nEND:VCALENDAR\r\n");
    let mut store = Store::in_memory().unwrap();
    let report = import_bytes(&mut store, text.as_bytes());
    assert_eq!(report.created.len(), 1);
    assert_eq!(report.warnings.len(), 101);
    assert_eq!(report.warnings[100].kind, WarningKind::More);
}

#[test]
fn a_file_of_more_meetings_than_an_import_makes_is_cut_with_a_warning() {
    let mut text = String::from("BEGIN:VCALENDAR\r\n");
    for i in 0..(wijkwerk_core::calendar::import::MAX_MEETINGS + 50) {
        text.push_str(&format!(
            "BEGIN:VEVENT\r\nUID:{i}@example.nl\r\nDTSTART:20270112T183000Z\r\nEND:VEVENT\r\n"
        ));
    }
    text.push_str("END:VCALENDAR\r\n");
    let store = Store::in_memory().unwrap();
    let preview = store.calendar_preview(text.as_bytes(), &options()).unwrap();
    assert_eq!(
        preview.created.len(),
        wijkwerk_core::calendar::import::MAX_MEETINGS
    );
    assert!(preview
        .warnings
        .iter()
        .any(|w| w.kind == WarningKind::RepeatLimited));
}

#[test]
fn an_empty_rrule_and_escaped_rule_separators() {
    // calendarlabs.com writes `RRULE:` for single events; a Ruby library escapes the `;`.
    let text = "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:empty-rule@example.nl\r\n\
                DTSTART;VALUE=DATE:20270101\r\nDTEND;VALUE=DATE:20270101\r\nRRULE:\r\n\
                SUMMARY:Nieuwjaarsdag\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:escaped@example.nl\r\n\
                DTSTART:20270112T183000Z\r\nRRULE:FREQ=DAILY\\;COUNT=3\r\nSUMMARY:Drie keer\r\n\
                END:VEVENT\r\nEND:VCALENDAR\r\n";
    let mut store = Store::in_memory().unwrap();
    let report = import_bytes(&mut store, text.as_bytes());
    assert!(report.refused.is_empty(), "{report:?}");
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    assert_eq!(report.created.len(), 4, "one day, and three occurrences");
}
