//! Writes the documents of the demo municipality into a folder, for looking at them and for
//! `scripts/test-documents`: report.pdf, report.xlsx, report.csv, report-empty.pdf,
//! agreement.pdf, overview.pdf and the charts as SVG.
//!
//! `cargo run -p wijkwerk-documents --example write_examples -- DIR`

#[path = "../tests/support/mod.rs"]
mod support;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use wijkwerk_documents as documents;

fn main() -> ExitCode {
    let Some(dir) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: write_examples DIR");
        return ExitCode::from(2);
    };
    match run(&dir) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("write_examples: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(dir: &Path) -> Result<(), Box<dyn std::error::Error>> {
    std::fs::create_dir_all(dir)?;
    let demo = support::demo();
    let report = support::report(&demo.store, support::YEAR);
    let generated = support::reference();
    let write = |name: &str, bytes: Vec<u8>| -> Result<(), documents::DocumentError> {
        let path = dir.join(name);
        documents::write_file(&path, &bytes)?;
        println!("{} ({} bytes)", path.display(), bytes.len());
        Ok(())
    };
    write("report.pdf", documents::report_pdf_on(&report, generated)?)?;
    write(
        "report.xlsx",
        documents::report_xlsx_on(&report, generated)?,
    )?;
    write("report.csv", documents::report_csv(&report, None)?)?;
    write(
        "report-actiepunten.csv",
        documents::report_csv(&report, Some("actiepunten_per_kern"))?,
    )?;
    for chart in documents::report_charts(&report) {
        write(&format!("chart-{}.svg", chart.key), chart.svg.into_bytes())?;
    }
    let empty = support::report(&demo.store, 2001);
    write(
        "report-empty.pdf",
        documents::report_pdf_on(&empty, generated)?,
    )?;
    let agreement = demo.store.agreement_page(demo.agreement)?;
    write("agreement.pdf", documents::agreement_pdf(&agreement)?)?;
    let overview = demo.store.kern_overview(&demo.kern_id, support::YEAR)?;
    write("overview.pdf", documents::kern_overview_pdf(&overview)?)?;
    Ok(())
}
