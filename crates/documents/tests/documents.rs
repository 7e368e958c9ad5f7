//! The documents of the demo municipality are made without error and are what they claim to be.
//! That they open in real readers (pdftotext, openpyxl, LibreOffice) is checked by
//! `scripts/test-documents`; here: PDF structure, the XLSX's sheets and typed cells, the CSV's
//! Dutch-Excel form, and that a file that cannot be written leaves nothing behind.

mod support;

use std::io::Read;
use support::{demo, reference, report, TRICKY, YEAR};
use wijkwerk_documents as documents;

fn assert_pdf(bytes: &[u8], what: &str) {
    assert!(bytes.starts_with(b"%PDF-"), "{what}: no PDF header");
    let tail = &bytes[bytes.len().saturating_sub(64)..];
    assert!(
        tail.windows(5).any(|w| w == b"%%EOF"),
        "{what}: no PDF trailer"
    );
}

#[test]
fn the_report_pdf_is_made_for_a_year_with_data_and_for_an_empty_year() {
    let demo = demo();
    let full = documents::report_pdf_on(&report(&demo.store, YEAR), reference()).expect("a PDF");
    assert_pdf(&full, "the report");
    let empty = documents::report_pdf_on(&report(&demo.store, 2001), reference()).expect("a PDF");
    assert_pdf(&empty, "the empty report");
    assert!(
        full.len() > empty.len(),
        "the report with data ({} bytes) is no larger than the empty one ({} bytes)",
        full.len(),
        empty.len()
    );
}

#[test]
fn an_agreement_whose_title_is_typst_markup_prints_as_plain_text() {
    let mut demo = demo();
    let tricky = serde_json::json!({"title": TRICKY, "notes": TRICKY});
    let serde_json::Value::Object(fields) = tricky else {
        unreachable!()
    };
    demo.store
        .update(wijkwerk_core::Entity::Agreement, demo.agreement, fields)
        .expect("renamed");
    let page = demo.store.agreement_page(demo.agreement).expect("the page");
    assert_eq!(page.title, TRICKY);
    let pdf = documents::agreement_pdf(&page).expect("a PDF despite the markup in the title");
    assert_pdf(&pdf, "the agreement");
}

#[test]
fn the_kerns_yearly_overview_is_made() {
    let demo = demo();
    let overview = demo
        .store
        .kern_overview(&demo.kern_id, YEAR)
        .expect("the overview");
    assert_pdf(
        &documents::kern_overview_pdf(&overview).expect("a PDF"),
        "the overview",
    );
}

fn zip_entry(archive: &mut zip::ZipArchive<std::io::Cursor<Vec<u8>>>, name: &str) -> String {
    let mut text = String::new();
    archive
        .by_name(name)
        .unwrap_or_else(|e| panic!("{name}: {e}"))
        .read_to_string(&mut text)
        .expect("UTF-8 XML");
    text
}

#[test]
fn the_xlsx_has_a_sheet_per_table_with_numbers_as_numbers_and_dates_as_dates() {
    let demo = demo();
    let year = report(&demo.store, YEAR);
    let tables = year.tables();
    let bytes = documents::report_xlsx_on(&year, reference()).expect("an XLSX");
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a zip");
    let workbook = zip_entry(&mut archive, "xl/workbook.xml");
    // An "about" sheet, then one per table.
    assert_eq!(workbook.matches("<sheet ").count(), tables.len() + 1);
    let styles = zip_entry(&mut archive, "xl/styles.xml");
    assert!(styles.contains("dd-mm-yyyy"), "no date format in {styles}");
    assert!(styles.contains("0.0%"), "no percentage format");
    // The key figures (first table, second sheet): counts are numeric cells, not strings.
    let sheet = zip_entry(&mut archive, "xl/worksheets/sheet2.xml");
    let numeric = sheet
        .split("<c ")
        .skip(1)
        .filter(|c| !c.contains("t=\"s\"") && !c.contains("t=\"str\"") && c.contains("<v>"))
        .count();
    assert!(numeric > 5, "the key figures have {numeric} numeric cells");
}

#[test]
fn the_csv_is_what_dutch_excel_opens_bom_semicolons_crlf_and_decimal_commas() {
    let demo = demo();
    let year = report(&demo.store, YEAR);
    let csv = documents::report_csv(&year, None).expect("a CSV");
    assert!(csv.starts_with(b"\xEF\xBB\xBF"), "no byte order mark");
    let text = String::from_utf8(csv[3..].to_vec()).expect("UTF-8");
    assert!(
        text.starts_with("Rapportage"),
        "starts with {:?}",
        &text[..40]
    );
    assert!(text.contains(';'));
    assert!(!text.replace("\r\n", "").contains('\n'), "a bare LF");
    // Shares and amounts carry a decimal comma, never a decimal point.
    let decimals: Vec<&str> = text
        .split([';', '\r', '\n'])
        .filter(|f| {
            f.len() > 2
                && f.chars()
                    .all(|c| c.is_ascii_digit() || c == ',' || c == '.')
        })
        .collect();
    assert!(decimals.iter().any(|f| f.contains(',')), "no decimal comma");
    assert!(
        decimals.iter().all(|f| !f.contains('.')),
        "a decimal point in {decimals:?}"
    );
}

#[test]
fn a_csv_of_a_table_the_report_does_not_have_names_the_ones_it_has() {
    let demo = demo();
    let error =
        documents::report_csv(&report(&demo.store, YEAR), Some("kaas")).expect_err("no such table");
    let message = error.to_string();
    assert!(message.contains("kaas") && message.contains("actiepunten_per_kern"));
}

#[test]
fn a_file_that_cannot_be_written_leaves_nothing_behind_and_names_the_path() {
    let dir = tempfile::tempdir().expect("a folder");
    // A "folder" that is a file: the write fails whoever runs the test (root ignores read-only).
    let not_a_folder = dir.path().join("rapport.pdf");
    std::fs::write(&not_a_folder, b"was here").expect("a file");
    let target = not_a_folder.join("nieuw.pdf");
    let error = documents::write_file(&target, b"%PDF-").expect_err("cannot write there");
    assert!(error.to_string().contains("nieuw.pdf"), "{error}");
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .expect("the folder")
        .map(|e| e.expect("an entry").file_name())
        .collect();
    assert_eq!(left, vec![std::ffi::OsString::from("rapport.pdf")]);
    assert_eq!(std::fs::read(&not_a_folder).expect("kept"), b"was here");
}

#[test]
fn writing_over_an_existing_document_replaces_it_whole() {
    let dir = tempfile::tempdir().expect("a folder");
    let path = dir.path().join("rapport.csv");
    documents::write_file(&path, b"oud").expect("written");
    documents::write_file(&path, b"nieuw").expect("written again");
    assert_eq!(std::fs::read(&path).expect("read"), b"nieuw");
    assert_eq!(
        std::fs::read_dir(dir.path()).expect("the folder").count(),
        1
    );
}

/// The inzage of a person whose name is typst and HTML markup, with a role and a meeting.
fn tricky_access() -> wijkwerk_core::privacy::SubjectAccess {
    use wijkwerk_core::Entity;
    let mut demo = demo();
    let fields = |v: serde_json::Value| match v {
        serde_json::Value::Object(map) => map,
        _ => unreachable!("an object"),
    };
    let person = demo
        .store
        .create(
            Entity::Contact,
            fields(serde_json::json!({"name": format!("Inzage {TRICKY}"), "notes": TRICKY})),
        )
        .expect("a contact");
    let organisation = demo
        .store
        .create(
            Entity::Organisation,
            fields(serde_json::json!({"name": "Dorpsraad Inzage", "kind": "dorpsraad"})),
        )
        .expect("an organisation");
    demo.store
        .create(
            Entity::Role,
            fields(
                serde_json::json!({"contact_id": person, "organisation_id": organisation,
                "kind": "chair", "start_date": "2020-01-01", "end_date": "2024-12-31"}),
            ),
        )
        .expect("a role");
    demo.store
        .subject_access(person, reference())
        .expect("the inzage")
}

#[test]
fn the_inzage_is_written_as_pdf_and_as_html_with_the_name_as_text() {
    let access = tricky_access();
    let folder = tempfile::tempdir().expect("a folder");

    let pdf = documents::access_pdf(&access).expect("a PDF");
    assert_pdf(&pdf, "the inzage");
    let pdf_path = folder.path().join("inzage.pdf");
    documents::write_file(&pdf_path, &pdf).expect("written");
    assert_eq!(std::fs::read(&pdf_path).expect("read back"), pdf);

    let html = documents::access_html(&access);
    let html_path = folder.path().join("inzage.html");
    documents::write_file(&html_path, html.as_bytes()).expect("written");
    let written = std::fs::read_to_string(&html_path).expect("read back");
    assert!(
        written.contains("Inzage #set text(red) *vet*"),
        "the name is missing"
    );
    assert!(written.contains("Dorpsraad Inzage") && written.contains("31 december 2024"));
    // The markup in the name is text: no tag of it, nothing loaded from elsewhere.
    assert!(!written.contains("<script>"));
    assert!(written.contains("&lt;script&gt;"));
    assert!(!written.contains("http://") && !written.contains("https://"));
}
