//! The yearly report, the werkkapitaal, agreements and projects in the real app: Rapportage shows
//! the year's figures (the same as the core computes), exports the PDF and the XLSX into the
//! downloads folder where real readers open them (Poppler, openpyxl), says so for a year without
//! data; a commitment typed in Dutch is booked; an agreement prints as its PDF; a project gets a
//! milestone.

use super::{app_binary, check_accessibility, new_file, screenshot_folder, WAIT};
use crate::webdriver::{Driver, Session};
use serde_json::{json, Value};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};
use wijkwerk_core::report::ReportRequest;
use wijkwerk_core::{Entity, Store};

/// Runs a reader on a document; its standard output (the test fails with the reader's error).
fn read_with(program: &str, args: &[&str]) -> String {
    let output = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| {
            panic!("{program} is needed (scripts/test-documents installs it): {e}")
        });
    assert!(
        output.status.success(),
        "{program} {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Poppler opens the PDF; its page count and text.
fn pdf_pages_and_text(path: &Path) -> (usize, String) {
    let file = path.display().to_string();
    let info = read_with("pdfinfo", &[&file]);
    let pages = info
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0);
    (pages, read_with("pdftotext", &["-layout", &file, "-"]))
}

/// The text of a cell in the row of a report table whose first cell is `label`.
fn report_cell(window: &Session<'_>, table: &str, label: &str, column: usize) -> String {
    let value = window.script(
        "const [table, label, column] = arguments;
         const row = [...document.querySelectorAll(`[data-testid=report-table-${table}] tr`)]
           .find(r => r.cells.length > column && r.cells[0].textContent.trim() === label);
         return row ? row.cells[column].textContent.trim() : null;",
        json!([table, label, column]),
    );
    value
        .as_str()
        .unwrap_or_else(|| panic!("no row {label:?} in the table {table}"))
        .to_owned()
}

/// The first option with a value of a select.
fn first_option(window: &Session<'_>, css: &str) -> String {
    window.wait_for(css, WAIT);
    window
        .script(
            "return [...document.querySelectorAll(arguments[0] + ' option')]
               .map(o => o.value).find(v => v) ?? null;",
            json!([css]),
        )
        .as_str()
        .unwrap_or_else(|| panic!("no option in {css}"))
        .to_owned()
}

#[test]
#[ignore = "needs the release app (WIJKWERK_APP), tauri-driver and xvfb-run: run by scripts/test"]
fn the_yearly_report_in_the_real_app() {
    let app = app_binary();
    let scratch = tempfile::tempdir().expect("a temporary folder");
    let data = scratch.path().join("data");
    let downloads = scratch.path().join("Downloads");
    std::fs::create_dir_all(&downloads).expect("a downloads folder");
    let shots = screenshot_folder(scratch.path());
    let mut violations = Vec::new();
    let mut files = Vec::new();
    let today = wijkwerk_core::today();
    let year = today.year();

    // The desktop's "open with its program" (xdg-open) is a stand-in that writes down what it
    // was given, first on the app's PATH.
    let opener = scratch.path().join("bin");
    std::fs::create_dir_all(&opener).expect("a folder for the stand-in xdg-open");
    let opened = opener.join("opened.txt");
    let xdg_open = opener.join("xdg-open");
    std::fs::write(
        &xdg_open,
        format!("#!/bin/sh\nprintf '%s' \"$1\" > '{}'\n", opened.display()),
    )
    .expect("the stand-in xdg-open");
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&xdg_open, std::fs::Permissions::from_mode(0o755))
            .expect("the stand-in is executable");
    }
    let path = std::path::PathBuf::from(format!(
        "{}:{}",
        opener.display(),
        std::env::var("PATH").unwrap_or_default()
    ));
    let driver = Driver::start_with(
        &data,
        &[("WIJKWERK_EXPORT_DIR", &downloads), ("PATH", &path)],
    );
    let window = driver.session(&app);
    window.wait_for_text("h1", "Vandaag", Duration::from_secs(60));

    // Rapportage opens on this year, for the whole municipality, with last year beside it.
    window.click("[data-testid=nav-rapportage]");
    window.wait_for("[data-testid=report-table-kerncijfers]", WAIT);
    let shown_year = window.script(
        "return document.querySelector('[data-testid=report-year]').value;",
        json!([]),
    );
    assert_eq!(shown_year, json!(year.to_string()));
    window.wait_for("[data-testid=report-table-actiepunten_per_afdeling]", WAIT);
    let visits_shown = report_cell(&window, "kerncijfers", "Kernbezoeken gehouden", 1);
    let opened_shown = report_cell(&window, "kerncijfers", "Actiepunten geopend", 1);
    check_accessibility(&window, "Rapportage", &mut violations);
    window.screenshot(&shots.join("rapportage.png"));

    // The PDF for the council and the XLSX for the clerk, into the downloads folder.
    window.click("[data-testid=report-export-pdf]");
    let pdf = new_file(&downloads, "pdf", &mut files);
    // "Openen" in its message hands the PDF to the desktop's program for PDFs.
    window.click("[data-testid=toast-action]");
    let deadline = Instant::now() + WAIT;
    while !opened.exists() {
        assert!(Instant::now() < deadline, "Openen did not start xdg-open");
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(
        std::fs::read_to_string(&opened).expect("what xdg-open was given"),
        pdf.display().to_string()
    );
    window.click("[data-testid=report-export-xlsx]");
    let xlsx = new_file(&downloads, "xlsx", &mut files);
    std::thread::sleep(Duration::from_millis(500)); // written whole: renamed into place
    let (pages, text) = pdf_pages_and_text(&pdf);
    assert!(pages >= 5, "the report PDF has {pages} pages");
    for expected in [
        "Rapportage gebiedsgericht werken",
        "Inhoud",
        "Kerncijfers",
        "Pagina 2 van",
    ] {
        assert!(text.contains(expected), "the PDF lacks {expected:?}");
    }
    let sheets = read_with(
        "/usr/bin/python3",
        &[
            "-c",
            "import sys, openpyxl; wb = openpyxl.load_workbook(sys.argv[1]); \
             rows = {r[0]: r[1] for r in wb['Kerncijfers'].iter_rows(values_only=True)}; \
             print('|'.join(wb.sheetnames)); print(rows['Kernbezoeken gehouden'])",
            &xlsx.display().to_string(),
        ],
    );
    let mut lines = sheets.lines();
    let names = lines.next().unwrap_or_default();
    assert!(
        names.contains("Kerncijfers") && names.contains("Actiepunten per afdeling"),
        "{names}"
    );
    assert_eq!(lines.next(), Some(visits_shown.as_str()), "XLSX and screen");

    // A year without data says so, and exports nothing odd.
    window.set_value("[data-testid=report-year]", "2001");
    window.wait_for("[data-testid=report-empty]", WAIT);

    // The werkkapitaal: the demo's under-spending kernoverleg is flagged; a commitment typed in
    // Dutch is booked.
    window.set_value("[data-testid=report-year]", &year.to_string());
    window.wait_for("[data-testid=report-table-kerncijfers]", WAIT);
    window.click("[data-testid=report-tab-budget]");
    window.wait_for("[data-testid=budget-table]", WAIT);
    window.wait_for("[data-testid=budget-under-spending]", WAIT);
    check_accessibility(&window, "Werkkapitaal", &mut violations);
    window.screenshot(&shots.join("werkkapitaal.png"));
    window.click("[data-testid=commitment-new]");
    window.wait_for("[data-testid=commitment-dialog]", WAIT);
    let kernoverleg = first_option(&window, "[data-testid=commitment-kernoverleg]");
    window.select("[data-testid=commitment-kernoverleg]", &kernoverleg);
    window.type_into(
        "[data-testid=commitment-initiative]",
        "Kerstmarkt op het plein",
    );
    window.set_value(
        "[data-testid=commitment-date]",
        &format!("{year}-{:02}-01", today.month()),
    );
    window.type_into("[data-testid=commitment-amount]", "1.234,56");
    window.type_into(
        "[data-testid=commitment-description]",
        "Toekenning kerstmarkt",
    );
    window.click("[data-testid=commitment-save]");
    let deadline = Instant::now() + WAIT;
    while window.exists("[data-testid=commitment-dialog]") {
        assert!(
            Instant::now() < deadline,
            "the commitment dialog stays open: {}",
            window.page_text()
        );
        std::thread::sleep(Duration::from_millis(100));
    }

    // An agreement as the PDF to sign.
    window.click("[data-testid=nav-overeenkomsten]");
    window.wait_for("[data-testid=agreement-row]", WAIT);
    check_accessibility(&window, "Overeenkomsten", &mut violations);
    window.click("[data-testid=agreement-row] a");
    window.wait_for("[data-testid=agreement-page]", WAIT);
    let agreement_title = window.text("h1");
    check_accessibility(&window, "Overeenkomst", &mut violations);
    window.click("[data-testid=agreement-document]");
    let agreement_pdf = new_file(&downloads, "pdf", &mut files);
    std::thread::sleep(Duration::from_millis(500));
    let (_, agreement_text) = pdf_pages_and_text(&agreement_pdf);
    assert!(
        agreement_text.contains("Kernovereenkomst"),
        "{agreement_text}"
    );

    // A project gets a milestone.
    window.click("[data-testid=nav-projecten]");
    window.wait_for("[data-testid=project-row]", WAIT);
    check_accessibility(&window, "Projecten", &mut violations);
    window.click("[data-testid=project-row] a");
    window.wait_for("[data-testid=project-page]", WAIT);
    check_accessibility(&window, "Project", &mut violations);
    let milestones_before = window
        .script(
            "return document.querySelectorAll('[data-testid=milestone-row]').length;",
            json!([]),
        )
        .as_u64()
        .unwrap_or(0);
    window.type_into(
        "[data-testid=milestone-title]",
        "Inloopavond in het dorpshuis",
    );
    window.set_value("[data-testid=milestone-date]", &format!("{year}-12-15"));
    window.click("[data-testid=milestone-add]");
    let deadline = Instant::now() + WAIT;
    loop {
        let now = window
            .script(
                "return document.querySelectorAll('[data-testid=milestone-row]').length;",
                json!([]),
            )
            .as_u64()
            .unwrap_or(0);
        let refused = window.exists("[data-testid=milestone-error]");
        if now > milestones_before || refused {
            break;
        }
        assert!(Instant::now() < deadline, "no milestone added");
        std::thread::sleep(Duration::from_millis(100));
    }
    window.quit();
    driver.stop();

    // What the screen showed is what the core computes from the store the app wrote.
    let store = Store::open_when_free(&data, Duration::from_secs(15)).expect("the app's store");
    let report = store
        .year_report(
            &ReportRequest {
                year: i64::from(year),
                area_id: None,
                stale_weeks: None,
            },
            today,
        )
        .expect("the report");
    assert_eq!(visits_shown, report.total.kernbezoeken_held.to_string());
    assert_eq!(
        opened_shown.replace('.', ""),
        report.total.action_points.opened.to_string()
    );
    let commitments = store
        .list(Entity::Commitment, None, 10_000)
        .expect("the commitments");
    assert!(
        commitments
            .items
            .iter()
            .any(|c: &Value| c["amount_cents"] == json!(123_456)
                && c["kernoverleg_id"] == json!(kernoverleg)),
        "the commitment of € 1.234,56 was not booked"
    );
    let milestones = store
        .list(Entity::Milestone, None, 10_000)
        .expect("the milestones");
    assert!(milestones
        .items
        .iter()
        .any(|m: &Value| m["title"] == json!("Inloopavond in het dorpshuis")));
    assert!(
        violations.is_empty(),
        "serious or critical accessibility violations:\n{}",
        violations.join("\n")
    );
    println!(
        "e2e: Rapportage {year} (kernbezoeken {visits_shown}, actiepunten geopend {opened_shown}, \
         as the core computes), PDF ({pages} pages) and XLSX exported and opened by Poppler and \
         openpyxl, an empty year, the werkkapitaal with a commitment of € 1.234,56, the \
         agreement \"{agreement_title}\" as PDF, a milestone added"
    );
}
