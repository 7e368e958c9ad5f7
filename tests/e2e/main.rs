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
    window.quit();
    driver.stop();

    // What the window showed is what the store holds.
    let store = Store::open(&data).expect("the app created a store");
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

/// Resident memory of the app and every process under it (WebKit's web and network
/// processes), in MB: the sum of RSS, and the sum of PSS (shared pages counted once).
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
