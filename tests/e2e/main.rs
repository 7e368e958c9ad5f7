//! End-to-end tests: the real, release-built desktop app under Xvfb, driven over WebDriver
//! (tauri-driver in front of WebKitWebDriver).
//!
//! They need what `scripts/test` provides: the app built with `tauri build` (so that its web
//! assets are inside the binary), named by `WIJKWERK_APP`; `tauri-driver` on PATH; xvfb-run and
//! WebKitWebDriver; axe-core in `ui/node_modules`. They are `#[ignore]`d so that a plain
//! `cargo test` skips them; run them with
//!
//! ```sh
//! WIJKWERK_APP=$CARGO_TARGET_DIR/release/wijkwerk-desktop \
//!     cargo test --workspace --test e2e -- --ignored --nocapture
//! ```
//!
//! `WIJKWERK_SCREENSHOTS=1` writes the screenshots of the main screens to `docs/screenshots/`
//! (otherwise into the temporary folder of the run). The benchmark (`app_benchmark`) needs
//! `WIJKWERK_BENCH_STORE`, a data folder with a large store; `scripts/bench-app` runs it, and
//! `scripts/test` runs only the scenario.

mod accessibility;
mod department_web;
mod import;
mod reports;
mod sync_server;
mod webdriver;

use serde_json::json;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use uuid::Uuid;
use webdriver::{Driver, Session, CONTROL, ENTER, ESCAPE};
use wijkwerk_core::{Entity, Store};

const WAIT: Duration = Duration::from_secs(20);

fn app_binary() -> PathBuf {
    let app = std::env::var_os("WIJKWERK_APP")
        .map(PathBuf::from)
        .expect("set WIJKWERK_APP to the release binary built by `tauri build`");
    assert!(app.is_file(), "WIJKWERK_APP: no file at {}", app.display());
    app
}

/// Where screenshots go: the repository's docs when asked for, else the run's own folder.
fn screenshot_folder(scratch: &Path) -> PathBuf {
    if std::env::var_os("WIJKWERK_SCREENSHOTS").is_some() {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/screenshots")
    } else {
        scratch.join("screenshots")
    }
}

/// The id at the end of the current route (`#/organisaties/<id>`).
fn route_id(window: &Session<'_>) -> String {
    let hash = window.script("return location.hash;", json!([]));
    let hash = hash.as_str().unwrap_or_default().to_owned();
    let id = hash
        .split('?')
        .next()
        .and_then(|path| path.rsplit('/').next())
        .unwrap_or_default()
        .to_owned();
    assert!(
        Uuid::parse_str(&id).is_ok(),
        "no record id in the route {hash:?}"
    );
    id
}

/// Checks the screen with axe-core and collects its serious and critical violations.
fn check_accessibility(window: &Session<'_>, screen: &str, found: &mut Vec<String>) {
    let violations = accessibility::violations(window, screen);
    println!(
        "e2e: axe-core on {screen}: {} serious or critical",
        violations.len()
    );
    found.extend(violations);
}

/// A laptop where no keyring answers: the first start asks for a new passphrase (twice, at least
/// 12 characters) and makes the demo store with it, encrypted; the next start asks for it again,
/// refuses a wrong one with the reason, and opens with the right one.
#[test]
#[ignore = "needs the release app (WIJKWERK_APP), tauri-driver and xvfb-run: run by scripts/test"]
fn without_a_keyring_the_app_asks_for_a_passphrase_and_the_store_is_encrypted() {
    let app = app_binary();
    let scratch = tempfile::tempdir().expect("a temporary folder");
    let data = scratch.path().join("data");
    let passphrase = "Dorpshuis de Schulp 1927";

    let driver = Driver::start_without_keyring(&data);
    let window = driver.session(&app);
    window.wait_for_text_containing(
        "[data-testid=store-problem]",
        "sleutelbos",
        Duration::from_secs(60),
    );
    window.wait_for_text_containing("h2", "Kies een wachtwoord", WAIT);
    window.type_into("[data-testid=passphrase]", "kort");
    window.click("[data-testid=passphrase-submit]");
    window.wait_for_text_containing("#passphrase-error", "minstens 12 tekens", WAIT);
    window.type_into("[data-testid=passphrase]", passphrase);
    window.type_into("[data-testid=passphrase-again]", passphrase);
    window.click("[data-testid=passphrase-submit]");
    window.wait_for_text("h1", "Vandaag", Duration::from_secs(60));
    window.wait_for_text_containing("[data-testid=demo-notice]", "voorbeeldgemeente", WAIT);
    let overdue = window.text("[data-testid=overdue-count]");
    window.quit();
    driver.stop();

    let file = data.join(wijkwerk_core::store::DATA_FILE);
    let bytes = std::fs::read(&file).expect("the store was made");
    assert!(
        !bytes.starts_with(b"SQLite format 3"),
        "the store is not plain SQLite"
    );

    let driver = Driver::start_without_keyring(&data);
    let window = driver.session(&app);
    window.wait_for_text_containing("h2", "Wachtwoord voor de gegevens", Duration::from_secs(60));
    assert!(!window.exists("[data-testid=passphrase-again]"));
    window.type_into("[data-testid=passphrase]", "Dorpshuis de Schulp 1928");
    window.click("[data-testid=passphrase-submit]");
    window.wait_for_text_containing("#passphrase-error", "opent het gegevensbestand", WAIT);
    window.type_into("[data-testid=passphrase]", passphrase);
    window.click("[data-testid=passphrase-submit]");
    window.wait_for_text("h1", "Vandaag", Duration::from_secs(60));
    window.wait_for_text("[data-testid=overdue-count]", &overdue, WAIT);
    window.quit();
    driver.stop();
}

/// The Content Security Policy refuses what the app never needs, a style attribute in markup and
/// an image from elsewhere, and the app's watch sees both: so the check every `quit` makes (no
/// refusal while the test used the app) can fail. The probe and what it caused are then removed.
fn csp_refuses_inline_and_remote(window: &Session<'_>) {
    assert_eq!(window.csp_violations(), Vec::<String>::new());
    window.script(
        "const probe = document.createElement('div');
         probe.id = 'csp-probe';
         probe.innerHTML = '<p style=\"color: red\">probe</p>'
           + '<img src=\"https://example.org/probe.png\" alt=\"\">';
         document.body.append(probe);
         return true;",
        json!([]),
    );
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut seen = window.csp_violations();
    while seen.len() < 2 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
        seen = window.csp_violations();
    }
    println!("e2e: the policy refused the probe: {seen:?}");
    assert!(
        seen.iter().any(|v| v.starts_with("style-src")),
        "a style attribute in markup was not refused: {seen:?}"
    );
    assert!(
        seen.iter()
            .any(|v| v.starts_with("img-src") && v.contains("example.org")),
        "an image from elsewhere was not refused: {seen:?}"
    );
    window.script(
        "document.getElementById('csp-probe').remove();
         window.__WIJKWERK_CSP_VIOLATIONS__.length = 0;
         return true;",
        json!([]),
    );
}

#[test]
#[ignore = "needs the release app (WIJKWERK_APP), tauri-driver and xvfb-run: run by scripts/test"]
fn a_coordinators_evening_in_the_real_app() {
    let app = app_binary();
    let scratch = tempfile::tempdir().expect("a temporary folder");
    // A new, empty data folder: the app creates the store and loads the demo into it.
    let data = scratch.path().join("data");
    let shots = screenshot_folder(scratch.path());
    let mut violations = Vec::new();

    let driver = Driver::start(&data);
    let window = driver.session(&app);

    // First start: Vandaag on the demo municipality.
    window.wait_for_text("h1", "Vandaag", Duration::from_secs(60));
    window.wait_for("[data-testid=overdue-count]", WAIT);
    window.wait_for_text_containing("[data-testid=demo-notice]", "voorbeeldgemeente", WAIT);
    let overdue_shown = window.text("[data-testid=overdue-count]");
    assert_eq!(
        window.text("[data-testid=data-folder]"),
        data.display().to_string()
    );
    check_accessibility(&window, "Vandaag", &mut violations);
    window.screenshot(&shots.join("vandaag.png"));

    // An association with a board: the chair and the secretary are new contacts.
    window.go("#/organisaties");
    window.wait_for("[data-testid=new-organisation]", WAIT);
    check_accessibility(&window, "Organisaties", &mut violations);
    window.click("[data-testid=new-organisation]");
    window.type_into("[data-testid=organisation-name]", "Wijkvereniging De Proef");
    window.select("[data-testid=organisation-kind]", "wijkvereniging");
    window.set_value("[data-testid=organisation-board-size]", "3");
    window.click("[data-testid=organisation-save]");
    window.wait_for_text_containing("h1", "De Proef", WAIT);
    let organisation = route_id(&window);
    for (name, kind) in [("Ans Voorzitter", "chair"), ("Bert Schrijver", "secretary")] {
        window.click("[data-testid=add-role]");
        window.type_into("[data-testid=role-new-contact-name]", name);
        window.select("[data-testid=role-kind]", kind);
        window.click("[data-testid=role-save]");
        window.wait_for_text_containing("[data-testid=board-current]", name, WAIT);
    }
    window.wait_for("[data-testid=board-vacancies]", WAIT);
    check_accessibility(&window, "Organisatie", &mut violations);
    window.screenshot(&shots.join("organisatie.png"));

    // A ledenvergadering of the association.
    window.go("#/vergaderingen");
    window.wait_for("[data-testid=new-meeting]", WAIT);
    check_accessibility(&window, "Vergaderingen", &mut violations);
    window.click("[data-testid=new-meeting]");
    window.type_into("[data-testid=meeting-title]", "Ledenvergadering De Proef");
    window.select("[data-testid=meeting-kind]", "ledenvergadering");
    window.select("[data-testid=meeting-organisation]", &organisation);
    let meeting_day = wijkwerk_core::today()
        .checked_add(jiff::ToSpan::days(7))
        .expect("a week ahead")
        .to_string();
    window.set_value("[data-testid=meeting-date]", &meeting_day);
    window.set_value("[data-testid=meeting-start]", "19:30");
    window.set_value("[data-testid=meeting-end]", "21:30");
    window.type_into("[data-testid=meeting-location]", "Buurthuis De Proef");
    window.click("[data-testid=meeting-save]");
    window.wait_for_text_containing("h1", "Ledenvergadering De Proef", WAIT);
    let meeting = route_id(&window);

    // The agenda, typed with Enter.
    for title in ["Opening", "Verkeer in de Voorstraat", "Rondvraag"] {
        window.type_into("[data-testid=agenda-new-title]", &format!("{title}{ENTER}"));
        window.wait_for_text_containing("[data-testid=agenda]", title, WAIT);
    }

    // Attendance: invite the board, check the chair in.
    window.click("[data-testid=attendance-invite-board]");
    window.wait_for_text_containing("[data-testid=attendance]", "Ans Voorzitter", WAIT);
    window.click("[data-testid=attendance-row] [data-testid=attendance-present]");

    // Minutes of the second item, saved by themselves.
    let minutes = "De bewoners vragen om drempels in de Voorstraat.";
    let second_minutes = "[data-testid=agenda-item]:nth-of-type(2) [data-testid=agenda-minutes]";
    let shown = window.script(
        "const m = document.querySelector(arguments[0]); return !!m && m.offsetParent !== null;",
        json!([second_minutes]),
    );
    if shown != json!(true) {
        // Items show their minutes when opened.
        window.click("[data-testid=agenda-item]:nth-of-type(2) [data-testid=agenda-item-toggle]");
    }
    window.type_into(second_minutes, minutes);
    window.wait_for_text_containing("[data-testid=autosave-status]", "Opgeslagen", WAIT);

    // An action point from that agenda item, in one keystroke (Ctrl+N in the item).
    window.click(second_minutes);
    window.chord(CONTROL, "n");
    window.type_into("[data-testid=action-point-title]", "Drempels Voorstraat");
    window.click("[data-testid=action-point-save]");
    window.wait_for_text_containing(
        "[data-testid=meeting-open-action-points]",
        "Drempels Voorstraat",
        WAIT,
    );
    check_accessibility(&window, "Vergadering", &mut violations);
    window.screenshot(&shots.join("vergadering.png"));

    // Mark it done with a comment.
    window.go("#/actiepunten");
    window.wait_for("[data-testid=ap-search]", WAIT);
    check_accessibility(&window, "Actiepunten", &mut violations);
    window.screenshot(&shots.join("actiepunten.png"));
    window.type_into("[data-testid=ap-search]", "Drempels");
    window.wait_for_text_containing("[data-testid=ap-row]", "Drempels Voorstraat", WAIT);
    window.click("[data-testid=ap-row]");
    window.wait_for("[data-testid=ap-status]", WAIT);
    let action_point = route_id(&window);
    window.select("[data-testid=ap-status]", "done");
    window.type_into(
        "[data-testid=ap-comment]",
        "Drempels liggen er sinds vrijdag.",
    );
    window.click("[data-testid=ap-status-save]");
    window.wait_for_text_containing("[data-testid=ap-history]", "sinds vrijdag", WAIT);
    check_accessibility(&window, "Actiepunt", &mut violations);

    // Find it with global search (Ctrl+K).
    window.click("h1");
    window.chord(CONTROL, "k");
    window.type_into("[data-testid=search-input]", "drempels voor");
    window.wait_for_text_containing("[data-testid=search-hit]", "Drempels Voorstraat", WAIT);
    check_accessibility(&window, "Zoeken", &mut violations);
    window.screenshot(&shots.join("zoeken.png"));
    window.append("[data-testid=search-input]", ESCAPE);
    assert!(
        !window.exists("[data-testid=search-dialog]"),
        "Esc closes the search"
    );

    // The other screens: shown, accessible, photographed.
    for (hash, screen, file) in [
        ("#/gebieden", "Gebieden", "gebieden.png"),
        ("#/contacten", "Contacten", "contacten.png"),
        ("#/bezoeken", "Bezoeken", "bezoeken.png"),
        ("#/jaarplanning", "Jaarplanning", "jaarplanning.png"),
        ("#/instellingen", "Instellingen", "instellingen.png"),
    ] {
        window.go(hash);
        window.wait_for("main h1", WAIT);
        std::thread::sleep(Duration::from_millis(400));
        check_accessibility(&window, screen, &mut violations);
        window.screenshot(&shots.join(file));
    }

    // English and back.
    window.go("#/instellingen");
    window.click("[data-testid=language-en]");
    window.wait_for_text("[data-testid=nav-vandaag]", "Today", WAIT);
    window.wait_for_text("main h1", "Settings", WAIT);
    window.click("[data-testid=language-nl]");
    window.wait_for_text("[data-testid=nav-vandaag]", "Vandaag", WAIT);

    // Close the app and open it again: everything is there.
    window.quit();
    let window = driver.session(&app);
    window.wait_for_text("h1", "Vandaag", Duration::from_secs(60));
    window.go(&format!("#/actiepunten/{action_point}"));
    window.wait_for_text_containing("[data-testid=ap-history]", "sinds vrijdag", WAIT);
    window.go(&format!("#/vergaderingen/{meeting}"));
    window.wait_for_text_containing("[data-testid=agenda]", "Verkeer in de Voorstraat", WAIT);
    window.wait_for_text_containing("[data-testid=attendance]", "Ans Voorzitter", WAIT);
    let shown_minutes = window.script(
        "return Array.from(document.querySelectorAll('[data-testid=agenda-minutes]'))
                .map((m) => m.value).join('|');",
        json!([]),
    );
    assert!(
        shown_minutes.as_str().unwrap_or_default().contains(minutes),
        "the minutes after a restart: {shown_minutes}"
    );
    csp_refuses_inline_and_remote(&window);
    window.quit();
    driver.stop();

    // What the window showed is what the store holds.
    let store =
        Store::open_when_free(&data, Duration::from_secs(15)).expect("the app created a store");
    let today = wijkwerk_core::today();
    let expected_overdue = store.overdue_count(today).expect("overdue count");
    assert_eq!(
        overdue_shown,
        expected_overdue.to_string(),
        "overdue on Vandaag"
    );
    let point = store
        .get_live(
            Entity::ActionPoint,
            Uuid::parse_str(&action_point).expect("id"),
        )
        .expect("the action point");
    assert_eq!(point["status"], "done");
    assert!(point["source_agenda_item_id"].is_string(), "{point}");
    let page = store
        .meeting_page(Uuid::parse_str(&meeting).expect("id"), today)
        .expect("the meeting");
    assert_eq!(page.agenda.len(), 3);
    assert_eq!(page.agenda[1]["minutes"], minutes);
    assert!(page
        .attendance
        .iter()
        .any(|a| a.contact_name == "Ans Voorzitter" && a.status == "present"));
    let board = store
        .board(Uuid::parse_str(&organisation).expect("id"), today)
        .expect("the board");
    assert_eq!(board.current.len(), 2);
    assert_eq!(board.empty_seats, 1);

    assert!(
        violations.is_empty(),
        "serious or critical accessibility violations:\n{}",
        violations.join("\n")
    );
    println!(
        "e2e: association, board, ledenvergadering, agenda, attendance, minutes, action point \
         from an agenda item, done with a comment, found by search, still there after a restart, \
         English and back; screenshots in {}",
        shots.display()
    );
}

/// An invitation as Outlook writes it: a Windows zone name with its own VTIMEZONE, CRLF lines.
const OUTLOOK_INVITATION: &str = "BEGIN:VCALENDAR\r
PRODID:-//Microsoft Corporation//Outlook 16.0 MIMEDIR//EN\r
VERSION:2.0\r
METHOD:REQUEST\r
BEGIN:VTIMEZONE\r
TZID:W. Europe Standard Time\r
BEGIN:STANDARD\r
DTSTART:16010101T030000\r
TZOFFSETFROM:+0200\r
TZOFFSETTO:+0100\r
RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10\r
END:STANDARD\r
BEGIN:DAYLIGHT\r
DTSTART:16010101T020000\r
TZOFFSETFROM:+0100\r
TZOFFSETTO:+0200\r
RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3\r
END:DAYLIGHT\r
END:VTIMEZONE\r
BEGIN:VEVENT\r
ORGANIZER;CN=\"Dorpsraad Schoorl\":mailto:secretaris@dorpsraad-schoorl.example\r
SUMMARY;LANGUAGE=nl-NL:Jaarvergadering Dorpsraad (uitnodiging)\r
DTSTART;TZID=\"W. Europe Standard Time\":20270615T193000\r
DTEND;TZID=\"W. Europe Standard Time\":20270615T213000\r
UID:040000008200E00074C5B7101A82E0080000000070E2E0E2E0E2E0E2E0E2E0E2E0E2E0\r
SEQUENCE:0\r
DTSTAMP:20261120T120000Z\r
LOCATION:Dorpshuis De Blinkerd\r
END:VEVENT\r
END:VCALENDAR\r
";

/// Waits until a new `.ics` file is in `dir` (not one of `known`); its path and text.
fn new_calendar_file(dir: &Path, known: &mut Vec<PathBuf>) -> (PathBuf, String) {
    let path = new_file(dir, "ics", known);
    let text = std::fs::read_to_string(&path).expect("the calendar file");
    (path, text)
}

/// Waits for a file with `extension` in `dir` that is not in `known` (and adds it there).
fn new_file(dir: &Path, extension: &str, known: &mut Vec<PathBuf>) -> PathBuf {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let found = std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .find(|p| p.extension().is_some_and(|e| e == extension) && !known.contains(p));
        if let Some(path) = found {
            known.push(path.clone());
            return path;
        }
        assert!(
            Instant::now() < deadline,
            "no new .{extension} file in {}",
            dir.display()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Exports through "Exporteer naar agenda…" (the button matching `button`), choosing a reminder
/// and, for action points, tasks or appointments; the file written.
fn export_calendar(
    window: &Session<'_>,
    button: &str,
    reminder: &str,
    points_as: Option<&str>,
    downloads: &Path,
    known: &mut Vec<PathBuf>,
) -> (PathBuf, String) {
    window.click(button);
    window.wait_for("[data-testid=calendar-export-dialog]", WAIT);
    if let Some(choice) = points_as {
        window.click(&format!("[data-testid=calendar-export-as-{choice}]"));
    }
    window.select("[data-testid=calendar-export-reminder]", reminder);
    window.click("[data-testid=calendar-export-go]");
    let file = new_calendar_file(downloads, known);
    let deadline = Instant::now() + WAIT;
    while window.exists("[data-testid=calendar-export-dialog]") {
        assert!(Instant::now() < deadline, "the export dialog stays open");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(
        file.1.starts_with("BEGIN:VCALENDAR\r\n") && file.1.ends_with("END:VCALENDAR\r\n"),
        "{}",
        file.1
    );
    file
}

/// Waits until the app's sync worker has sent everything and is idle (asked over IPC, as the
/// status line asks).
fn wait_until_synced(window: &Session<'_>) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let state = window.invoke("sync_state", json!({}));
        let state = &state["answer"];
        if state["phase"] == "idle" && state["waiting"] == 0 && state["last_synced_at"].is_string()
        {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the app did not finish syncing: {state}"
        );
        std::thread::sleep(Duration::from_millis(250));
    }
}

fn name_of(store: &Store, entity: Entity, id: Uuid) -> String {
    store.get_live(entity, id).expect("the record")["name"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[test]
#[ignore = "needs the release app (WIJKWERK_APP), tauri-driver, xvfb-run and wijkwerk-server: run by scripts/test"]
fn sync_and_calendars_in_the_real_app() {
    let app = app_binary();
    let scratch = tempfile::tempdir().expect("a temporary folder");
    // The app starts on a new folder (the demo, as no server is set yet), and works with the
    // server in a second one.
    let demo_folder = scratch.path().join("demo");
    let data = scratch.path().join("demo-gemeente");
    let downloads = scratch.path().join("Downloads");
    std::fs::create_dir_all(&downloads).expect("a downloads folder");
    let shots = screenshot_folder(scratch.path());
    let mut violations = Vec::new();
    let mut files = Vec::new();

    // The municipality's server: the real process on its embedded SQLite, over HTTPS with a
    // certificate of the municipality's own authority. Ans works in the app; Bert's laptop is
    // a second store that syncs through the core. Bert fills the server with the demo
    // municipality, as a training server may hold it (a demo store syncs only when told so).
    let mut server = sync_server::SyncServer::start(&scratch.path().join("server"));
    let token = server.user("ans");
    let mut bert = server.laptop(&scratch.path().join("bert"), "bert");
    wijkwerk_core::demo::load_demo(&mut bert.store, wijkwerk_core::today()).expect("the demo");
    bert.store
        .allow_demo_sync()
        .expect("a store for a training server");
    let first = bert.sync();
    assert!(first.pushed_transactions >= 1, "{first:?}");

    let driver = Driver::start_with(&demo_folder, &[("WIJKWERK_EXPORT_DIR", &downloads)]);
    let window = driver.session(&app);
    window.wait_for_text("h1", "Vandaag", Duration::from_secs(60));
    window.wait_for_text("[data-testid=sync-status-text]", "Niet ingesteld", WAIT);

    // Set up sync without the municipality's authority: the certificate is refused, and the
    // status line says so.
    window.go("#/instellingen");
    window.type_into("[data-testid=sync-server]", &server.url);
    window.type_into("[data-testid=sync-token]", &token);
    window.click("[data-testid=sync-save]");
    window.wait_for("[data-testid=sync-status][data-phase=error]", WAIT);
    window.wait_for_text_containing("[data-testid=sync-reason]", "certificaat", WAIT);

    // A certificate file that is no certificate is refused beside its field.
    let not_a_certificate = scratch.path().join("notities.txt");
    std::fs::write(&not_a_certificate, "geen certificaat").expect("a file");
    window.type_into(
        "[data-testid=sync-ca-file]",
        &not_a_certificate.display().to_string(),
    );
    window.click("[data-testid=sync-save]");
    window.wait_for_text_containing("#sync-ca-file-error", "PEM", WAIT);

    // With the authority's certificate the server is trusted, but the app's own demo
    // municipality never goes to it: the status line says to open a new folder.
    window.type_into(
        "[data-testid=sync-ca-file]",
        &server.ca_file.display().to_string(),
    );
    window.click("[data-testid=sync-save]");
    window.wait_for_text_containing("[data-testid=sync-reason]", "voorbeeldgemeente", WAIT);

    // One click makes a new, empty data folder beside the demo's: the server fills it at once.
    window.click("[data-testid=sync-server-folder]");
    window.wait_for_text_containing(
        "[data-testid=sync-status-text]",
        "Gesynchroniseerd om",
        WAIT,
    );
    window.wait_for_text(
        "[data-testid=settings-data-folder]",
        &data.display().to_string(),
        WAIT,
    );
    check_accessibility(&window, "Instellingen (synchronisatie)", &mut violations);
    let organisation = bert
        .store
        .list(Entity::Organisation, None, 1)
        .expect("organisations")
        .items[0]["id"]
        .as_str()
        .and_then(|id| Uuid::parse_str(id).ok())
        .expect("an organisation");
    let original = name_of(&bert.store, Entity::Organisation, organisation);

    // Ans renames the organisation in the app; Bert, who has not seen that, renames it too, a
    // moment later. The later edit wins; Ans's name goes to the conflict log.
    window.go(&format!("#/organisaties/{organisation}"));
    window.wait_for_text_containing("h1", &original, WAIT);
    window.click("[data-testid=organisation-edit]");
    let ans_name = format!("{original} (Ans)");
    window.type_into("[data-testid=organisation-name]", &ans_name);
    window.click("[data-testid=organisation-save]");
    window.wait_for_text_containing("h1", "(Ans)", WAIT);
    std::thread::sleep(Duration::from_millis(20));
    let bert_name = format!("{original} (Bert)");
    bert.store
        .update(
            Entity::Organisation,
            organisation,
            serde_json::from_value(json!({"name": bert_name})).expect("fields"),
        )
        .expect("Bert's edit");
    bert.sync();
    window.click("[data-testid=sync-now]");
    window.wait_for_text_containing("[data-testid=sync-conflicts]", "1 conflict", WAIT);
    // The page says that colleagues' changes came in, and shows them when asked.
    window.wait_for_text_containing("[data-testid=fresh-data]", "collega", WAIT);
    window.click("[data-testid=fresh-data-show]");
    window.wait_for_text_containing("h1", "(Bert)", WAIT);

    // Ans reviews it in Instellingen and puts her name back: a new edit that reaches Bert.
    window.click("[data-testid=sync-conflicts]");
    window.wait_for_text_containing("[data-testid=conflict-list]", &ans_name, WAIT);
    check_accessibility(&window, "Conflicten", &mut violations);
    window.script(
        "document.querySelector('[data-testid=conflict-list]').scrollIntoView({block: 'center'}); return true;",
        json!([]),
    );
    window.screenshot(&shots.join("conflicten.png"));
    window.click("[data-testid=conflict-list] button[data-testid^=conflict-keep-]");
    window.wait_for("[data-testid=no-conflicts]", WAIT);
    wait_until_synced(&window);
    bert.sync();
    assert_eq!(
        name_of(&bert.store, Entity::Organisation, organisation),
        ans_name
    );

    // Bert erases a person (the right to be forgotten) while Ans has that person open, with the
    // edit form up: when the erasure arrives, the person's data leaves Ans's screen at once.
    let person = bert
        .store
        .list(Entity::Contact, None, 1)
        .expect("contacts")
        .items[0]["id"]
        .as_str()
        .and_then(|id| Uuid::parse_str(id).ok())
        .expect("a contact in the demo");
    let person_name = name_of(&bert.store, Entity::Contact, person);
    window.go(&format!("#/contacten/{person}"));
    window.wait_for_text_containing("h1", &person_name, WAIT);
    window.click("[data-testid=contact-edit]");
    window.wait_for("[data-testid=contact-name]", WAIT);
    bert.store
        .erase_contact(person)
        .expect("Bert erases the person");
    bert.sync();
    window.click("[data-testid=sync-now]");
    window.wait_for_text_containing("[role=alert]", "intussen gewist", WAIT);
    let shown = window.script("return document.body.innerText;", json!([]));
    assert!(
        !shown.as_str().unwrap_or_default().contains(&person_name),
        "the erased person is still on Ans's screen"
    );
    wait_until_synced(&window);

    // A colleague of Beheer Openbare Ruimte answers one of the department's points on the
    // server's web page (in Chromium); after Ans's next sync, Vandaag lists it under
    // "Beantwoord via het web" until she marks it seen.
    let answered = department_web::answer_on_the_web(
        &server,
        &bert.store,
        "Beheer Openbare Ruimte",
        "Opgepakt, de aannemer komt volgende week.",
    );
    let answered_title = bert
        .store
        .get_live(Entity::ActionPoint, answered)
        .expect("the point")["title"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    window.click("[data-testid=sync-now]");
    wait_until_synced(&window);
    window.go("#/");
    window.wait_for_text_containing("[data-testid=web-answers]", &answered_title, WAIT);
    window.wait_for_text_containing(
        "[data-testid=web-answer]",
        "Opgepakt, de aannemer komt volgende week.",
        WAIT,
    );
    check_accessibility(&window, "Vandaag (beantwoord via het web)", &mut violations);
    window.click("[data-testid=web-answers-seen]");
    let deadline = Instant::now() + WAIT;
    while window.exists("[data-testid=web-answers]") {
        assert!(
            Instant::now() < deadline,
            "the answers from the web stay after Gezien"
        );
        std::thread::sleep(Duration::from_millis(150));
    }
    window.go(&format!("#/actiepunten/{answered}"));
    window.wait_for_text_containing("[data-testid=ap-history]", "via het web", WAIT);

    // The server goes away: the app says offline and keeps the change waiting; when the server
    // is back, "Nu synchroniseren" sends it.
    server.kill();
    window.go(&format!("#/organisaties/{organisation}"));
    window.click("[data-testid=organisation-edit]");
    window.type_into("[data-testid=organisation-phone]", "072 123 45 67");
    window.click("[data-testid=organisation-save]");
    window.wait_for("[data-testid=sync-status][data-phase=offline]", WAIT);
    window.wait_for_text_containing("[data-testid=sync-waiting]", "wacht", WAIT);
    window.screenshot(&shots.join("offline.png"));
    // The status stays in view at the end of a long page too.
    let in_view = window.script(
        "window.scrollTo(0, document.body.scrollHeight);
         const r = document.querySelector('[data-testid=sync-status]').getBoundingClientRect();
         return r.top >= 0 && r.bottom <= window.innerHeight;",
        json!([]),
    );
    assert_eq!(in_view, json!(true), "the sync status is always in view");
    server.restart();
    window.click("[data-testid=sync-now]");
    wait_until_synced(&window);
    bert.sync();
    let phone = bert
        .store
        .get_live(Entity::Organisation, organisation)
        .expect("the organisation")["phone"]
        .clone();
    // Typed as "072 123 45 67", stored (and synced) in the normal form of every write.
    assert_eq!(phone, "072-1234567");

    // Calendars. A kernbezoek to Outlook, with a reminder a day before.
    let visit = bert
        .store
        .list(Entity::Visit, None, 100)
        .expect("visits")
        .items
        .into_iter()
        .find(|v| v["kind"] == "kernbezoek" && v["status"] != "cancelled")
        .and_then(|v| v["id"].as_str().and_then(|id| Uuid::parse_str(id).ok()))
        .expect("a kernbezoek in the demo");
    window.go(&format!("#/bezoeken/{visit}"));
    window.wait_for("[data-testid=calendar-export]", WAIT);
    let (_, visit_ics) = export_calendar(
        &window,
        "[data-testid=calendar-export]",
        "1440",
        None,
        &downloads,
        &mut files,
    );
    assert!(visit_ics.contains(&format!("UID:{visit}")) || visit_ics.contains(&visit.to_string()));
    assert!(
        visit_ics.contains("BEGIN:VTIMEZONE\r\nTZID:Europe/Amsterdam"),
        "{visit_ics}"
    );
    assert!(
        visit_ics.contains("TRIGGER:-P1D") || visit_ics.contains("TRIGGER:-PT1440M"),
        "{visit_ics}"
    );

    // Action points' due dates as all-day appointments.
    window.go("#/actiepunten");
    window.wait_for("[data-testid=ap-search]", WAIT);
    let (_, points_ics) = export_calendar(
        &window,
        "[data-testid=calendar-export]",
        "0",
        Some("events"),
        &downloads,
        &mut files,
    );
    assert!(points_ics.contains("DTSTART;VALUE=DATE:"), "{points_ics}");
    assert!(!points_ics.contains("BEGIN:VTODO"), "{points_ics}");
    assert!(!points_ics.contains("BEGIN:VALARM"), "{points_ics}");
    // And as tasks.
    let (_, tasks_ics) = export_calendar(
        &window,
        "[data-testid=calendar-export]",
        "0",
        Some("tasks"),
        &downloads,
        &mut files,
    );
    assert!(tasks_ics.contains("BEGIN:VTODO"), "{tasks_ics}");

    // An association's invitation from Outlook, chosen in Vergaderingen.
    let invitation = scratch.path().join("jaarvergadering.ics");
    std::fs::write(&invitation, OUTLOOK_INVITATION).expect("the invitation");
    window.go("#/vergaderingen");
    window.wait_for("[data-testid=calendar-import-file]", WAIT);
    window.choose_file("[data-testid=calendar-import-file]", &invitation);
    window.wait_for_text_containing("[data-testid=calendar-import-report]", "1 nieuw", WAIT);
    // An event that cannot be read (31 February) is shown first, with its line; cancelled,
    // nothing of the file is imported.
    let broken = scratch.path().join("kapot.ics");
    std::fs::write(
        &broken,
        OUTLOOK_INVITATION
            .replace("20270615T193000", "20270231T193000")
            .replace("E2E0E2E0", "DEADBEEF")
            .replace("(uitnodiging)", "(kapot)"),
    )
    .expect("a broken invitation");
    window.choose_file("[data-testid=calendar-import-file]", &broken);
    window.wait_for_text_containing("[data-testid=calendar-import-skipped]", "Regel 23", WAIT);
    // With nothing else in the file there is nothing to confirm; otherwise it is cancelled.
    if window.exists("[data-testid=calendar-import-cancel]") {
        window.click("[data-testid=calendar-import-cancel]");
    }
    // A file cut short is refused with its line.
    let cut = scratch.path().join("afgebroken.ics");
    let first_half = OUTLOOK_INVITATION
        .split("END:VEVENT")
        .next()
        .expect("an event");
    std::fs::write(&cut, first_half).expect("a file cut short");
    window.choose_file("[data-testid=calendar-import-file]", &cut);
    window.wait_for_text_containing("[data-testid=calendar-import-error]", "regel", WAIT);

    // The yearly planner: next year's proposals, all confirmed, exported as one calendar.
    let year = wijkwerk_core::today().year() + 1;
    window.go("#/jaarplanning");
    window.set_value("[data-testid=plan-year]", &year.to_string());
    // The school holidays it avoids: estimated dates are marked; the first holiday of the year
    // gets a day more, and is then marked as changed.
    window.wait_for("[data-testid=school-holiday-uncertain]", WAIT);
    let first_holiday = "[data-testid=school-holiday]:first-of-type";
    let end = window.script(
        "return document.querySelector(arguments[0] + ' [data-testid=school-holiday-end]').value;",
        json!([first_holiday]),
    );
    let later = end
        .as_str()
        .and_then(|d| d.parse::<jiff::civil::Date>().ok())
        .and_then(|d| d.tomorrow().ok())
        .expect("the holiday's last day")
        .to_string();
    window.set_value(
        &format!("{first_holiday} [data-testid=school-holiday-end]"),
        &later,
    );
    window.click(&format!(
        "{first_holiday} [data-testid=school-holiday-save]"
    ));
    window.wait_for_text_containing(first_holiday, "aangepast", WAIT);
    window.click("[data-testid=plan-propose]");
    window.wait_for("[data-testid=plan-proposals] tbody tr", WAIT);
    check_accessibility(&window, "Jaarplanning (voorstellen)", &mut violations);
    window.screenshot(&shots.join("jaarplanning-voorstellen.png"));
    window.click("[data-testid=plan-confirm]");
    window.wait_for_text_containing("main", "Al gepland", WAIT);
    let (_, schedule_ics) = export_calendar(
        &window,
        "[data-testid=calendar-export]",
        "60",
        None,
        &downloads,
        &mut files,
    );
    assert!(schedule_ics.contains("Kernbezoek"), "{schedule_ics}");
    assert!(schedule_ics.contains("METHOD:PUBLISH"), "{schedule_ics}");

    // Everything reaches the server; then the app is closed.
    wait_until_synced(&window);
    window.quit();
    driver.stop();

    // The first folder kept its demo, which never reached the server.
    let demo =
        Store::open_when_free(&demo_folder, Duration::from_secs(15)).expect("the demo store");
    assert!(demo.is_demo().expect("the mark"));
    assert!(demo.sync_status().expect("status").waiting > 0);

    // The imported invitation is a meeting at 19:30 Dutch summer time (17:30 UTC).
    let store = Store::open_when_free(&data, Duration::from_secs(15)).expect("the app's store");
    assert!(
        !store.is_demo().expect("the mark"),
        "the server's data, not the demo"
    );
    let imported = store
        .list(Entity::Meeting, None, 10_000)
        .expect("meetings")
        .items
        .into_iter()
        .find(|m| m["title"] == "Jaarvergadering Dorpsraad (uitnodiging)")
        .expect("the imported meeting");
    assert_eq!(imported["starts_at"], "2027-06-15T17:30:00Z", "{imported}");
    assert_eq!(imported["location"], "Dorpshuis De Blinkerd");
    assert!(
        !store
            .list(Entity::Meeting, None, 10_000)
            .expect("meetings")
            .items
            .iter()
            .any(|m| m["title"] == "Jaarvergadering Dorpsraad (kapot)"),
        "nothing of the broken file"
    );

    // The changed school holiday is the store's, for every colleague.
    let edited = store
        .school_holidays(None)
        .expect("school holidays")
        .into_iter()
        .find(|h| h.source == "edited")
        .expect("the changed school holiday");
    assert_eq!(edited.end_date.to_string(), later);

    // Bert's laptop and the app hold exactly the same data.
    bert.sync();
    assert_eq!(
        store.export_json().expect("the app's export"),
        bert.store.export_json().expect("Bert's export"),
        "the app and the second laptop converge"
    );
    drop(server);

    assert!(
        violations.is_empty(),
        "serious or critical accessibility violations:\n{}",
        violations.join("\n")
    );
    println!(
        "e2e: sync over HTTPS with the municipality's own CA (refused without it), a conflict \
         reviewed and kept, offline with a change waiting and sent when the server came back; \
         calendar export of a visit, of action points as appointments and as tasks, and of the \
         year's confirmed schedule; an Outlook invitation imported and a broken one refused; \
         the app and a second laptop converge"
    );
}

/// Resident memory of the app and every process under it (WebKit's web and network
/// processes), in MB: the sum of RSS, and the sum of PSS (shared pages counted once). Prints each
/// process's share.
fn app_memory(app_name: &str) -> (f64, f64) {
    let mut parents = std::collections::HashMap::new();
    let mut names = std::collections::HashMap::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(status) = std::fs::read_to_string(entry.path().join("status")) else {
            continue;
        };
        let field = |name: &str| {
            status
                .lines()
                .find(|l| l.starts_with(name))
                .map(|l| l[name.len()..].trim().to_owned())
        };
        if let (Some(name), Some(ppid)) = (field("Name:"), field("PPid:")) {
            names.insert(pid, name);
            parents.insert(pid, ppid.parse::<u32>().unwrap_or(0));
        }
    }
    let roots: Vec<u32> = names
        .iter()
        .filter(|(_, n)| app_name.starts_with(n.as_str()))
        .map(|(p, _)| *p)
        .collect();
    let in_app = |mut pid: u32| loop {
        if roots.contains(&pid) {
            return true;
        }
        match parents.get(&pid) {
            Some(&parent) if parent > 1 => pid = parent,
            _ => return false,
        }
    };
    let (mut rss, mut pss) = (0u64, 0u64);
    for pid in names.keys().copied().filter(|p| in_app(*p)) {
        let rollup =
            std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).unwrap_or_default();
        let kb = |name: &str| {
            rollup
                .lines()
                .find(|l| l.starts_with(name))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0)
        };
        rss += kb("Rss:");
        pss += kb("Pss:");
        println!(
            "  {:<24} {:6.0} MB PSS (anonymous {:5.0} MB, file {:5.0} MB)",
            names.get(&pid).map(String::as_str).unwrap_or("?"),
            kb("Pss:") as f64 / 1024.0,
            kb("Pss_Anon:") as f64 / 1024.0,
            kb("Pss_File:") as f64 / 1024.0,
        );
    }
    (rss as f64 / 1024.0, pss as f64 / 1024.0)
}

/// Milliseconds from setting the route until `css` is in the window (measured in the window).
fn time_to_show(window: &Session<'_>, hash: &str, css: &str) -> f64 {
    let answer = window.script_async(
        "const [hash, css, done] = arguments;
         const start = performance.now();
         location.hash = hash;
         const check = () => document.querySelector(css)
             ? done(performance.now() - start)
             : requestAnimationFrame(check);
         requestAnimationFrame(check);",
        json!([hash, css]),
    );
    answer.as_f64().unwrap_or(f64::NAN)
}

fn percentile(samples: &mut [f64], p: f64) -> f64 {
    samples.sort_by(f64::total_cmp);
    let index = ((samples.len() as f64 - 1.0) * p).round() as usize;
    samples.get(index).copied().unwrap_or(f64::NAN)
}

/// The department colleagues' web pages on the server, in headless Chromium (no app needed).
#[test]
#[ignore = "needs chromium, chromedriver and wijkwerk-server: run by scripts/test"]
fn department_pages_in_a_real_browser() {
    department_web::department_pages_in_chromium();
}

#[test]
#[ignore = "a benchmark: needs WIJKWERK_BENCH_STORE with a large store; run by scripts/bench-app"]
fn app_benchmark() {
    let data = std::env::var_os("WIJKWERK_BENCH_STORE")
        .map(PathBuf::from)
        .expect("set WIJKWERK_BENCH_STORE to a data folder with a large store (scripts/bench-app)");
    let app = app_binary();
    let app_name = app
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let (contacts, meetings, contact) = {
        let store = Store::open(&data).expect("the benchmark store");
        let contact = store
            .list(Entity::Contact, None, 1)
            .expect("a contact")
            .items
            .first()
            .and_then(|c| c["id"].as_str().map(str::to_owned))
            .expect("the store has contacts");
        (
            store.count(Entity::Contact).expect("count"),
            store.count(Entity::Meeting).expect("count"),
            contact,
        )
    };
    println!("app benchmark: {contacts} contacts, {meetings} meetings (release build, Xvfb)");
    let driver = Driver::start(&data);
    let mut launches = Vec::new();
    for round in 0..3 {
        let started = Instant::now();
        let window = driver.session(&app);
        window.wait_for("[data-testid=overdue-count]", Duration::from_secs(120));
        let launch = started.elapsed().as_secs_f64() * 1000.0;
        launches.push(launch);
        println!("launch {round}: first interactive screen after {launch:.0} ms");
        if round < 2 {
            window.quit();
            continue;
        }
        let mut meeting_list = Vec::new();
        let mut contact_page = Vec::new();
        let mut report_screen = Vec::new();
        for _ in 0..10 {
            window.go("#/vandaag");
            window.wait_for("[data-testid=overdue-count]", Duration::from_secs(30));
            meeting_list.push(time_to_show(
                &window,
                "#/vergaderingen",
                "[role=listbox] [role=option][data-loaded=true]",
            ));
            window.go("#/vandaag");
            window.wait_for("[data-testid=overdue-count]", Duration::from_secs(30));
            contact_page.push(time_to_show(
                &window,
                &format!("#/contacten/{contact}"),
                "[data-testid=contact-roles]",
            ));
            // Rapportage's first paint: the year's report computed over the whole store and
            // its key figures shown.
            window.go("#/vandaag");
            window.wait_for("[data-testid=overdue-count]", Duration::from_secs(30));
            report_screen.push(time_to_show(
                &window,
                "#/rapportage",
                "[data-testid=report-table-kerncijfers]",
            ));
        }
        std::thread::sleep(Duration::from_secs(1));
        let (rss, pss) = app_memory(&app_name);
        println!(
            "meetings list shown          p50 {:7.1} ms  p95 {:7.1} ms  (n=10)",
            percentile(&mut meeting_list, 0.5),
            percentile(&mut meeting_list, 0.95)
        );
        println!(
            "contact page shown           p50 {:7.1} ms  p95 {:7.1} ms  (n=10)",
            percentile(&mut contact_page, 0.5),
            percentile(&mut contact_page, 0.95)
        );
        println!(
            "Rapportage shown (figures)   p50 {:7.1} ms  p95 {:7.1} ms  (n=10)",
            percentile(&mut report_screen, 0.5),
            percentile(&mut report_screen, 0.95)
        );
        println!("resident memory, app + web processes: {rss:.0} MB RSS summed, {pss:.0} MB PSS");
        window.quit();
    }
    driver.stop();
    println!(
        "launch to first interactive screen: first {:.0} ms, warm p50 {:.0} ms",
        launches[0],
        percentile(&mut launches[1..].to_vec(), 0.5)
    );
}
