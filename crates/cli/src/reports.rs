//! `wijkwerk report`, `wijkwerk kern-overview` and `wijkwerk agreement document`: the yearly
//! report for the council, a kern's yearly overview for its associations, and a kernovereenkomst
//! to sign. Thin: the core computes (`report.rs`, `projects.rs`), `wijkwerk-documents` renders.

use crate::{date, to_value, uuid, CliError, Output};
use clap::ValueEnum;
use serde_json::json;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use wijkwerk_core::report::ReportRequest;
use wijkwerk_core::Store;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum ReportFormat {
    Json,
    Pdf,
    Xlsx,
    Csv,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum DocumentFormat {
    Json,
    Pdf,
}

pub(crate) struct ReportArgs {
    pub year: i64,
    pub area: Option<String>,
    pub format: ReportFormat,
    pub out: Option<PathBuf>,
    pub table: Option<String>,
    pub stale_weeks: Option<i64>,
    pub date: Option<String>,
}

/// The yearly report in the format asked, to `out` or to standard output.
pub(crate) fn report(store: &Store, args: ReportArgs) -> Result<Output, CliError> {
    if let Some(area) = &args.area {
        uuid(area)?;
    }
    let today = match &args.date {
        Some(d) => date(d)?,
        None => wijkwerk_core::today(),
    };
    let request = ReportRequest {
        year: args.year,
        area_id: args.area.clone(),
        stale_weeks: args.stale_weeks,
    };
    let report = store.year_report(&request, today)?;
    let bytes = match args.format {
        ReportFormat::Json => {
            let text = serde_json::to_string_pretty(&report).unwrap_or_default();
            return match &args.out {
                Some(path) => {
                    write(path, format!("{text}\n").as_bytes())?;
                    Ok(written(path, text.len() + 1, report.has_data))
                }
                None => Ok(Output::Json(to_value(report))),
            };
        }
        ReportFormat::Csv => wijkwerk_documents::report_csv(&report, args.table.as_deref())?,
        ReportFormat::Xlsx => wijkwerk_documents::report_xlsx_on(&report, today)?,
        ReportFormat::Pdf => wijkwerk_documents::report_pdf_on(&report, today)?,
    };
    deliver(args.out.as_deref(), &bytes, report.has_data)
}

/// A kern's yearly overview of projects and plans.
pub(crate) fn kern_overview(
    store: &Store,
    kern: &str,
    year: i64,
    format: DocumentFormat,
    out: Option<PathBuf>,
) -> Result<Output, CliError> {
    uuid(kern)?;
    let overview = store.kern_overview(kern, year)?;
    match format {
        DocumentFormat::Json => Ok(Output::Json(to_value(overview))),
        DocumentFormat::Pdf => {
            let bytes = wijkwerk_documents::kern_overview_pdf(&overview)?;
            deliver(out.as_deref(), &bytes, true)
        }
    }
}

/// An agreement as the document to sign.
pub(crate) fn agreement_document(
    store: &Store,
    id: &str,
    format: DocumentFormat,
    out: Option<PathBuf>,
) -> Result<Output, CliError> {
    let page = store.agreement_page(uuid(id)?)?;
    match format {
        DocumentFormat::Json => Ok(Output::Json(to_value(page))),
        DocumentFormat::Pdf => {
            let bytes = wijkwerk_documents::agreement_pdf(&page)?;
            deliver(out.as_deref(), &bytes, true)
        }
    }
}

/// Writes the document to `out` (whole or not at all), or to standard output when that is not
/// a terminal (a PDF on a terminal helps nobody).
fn deliver(out: Option<&Path>, bytes: &[u8], has_data: bool) -> Result<Output, CliError> {
    match out {
        Some(path) => {
            write(path, bytes)?;
            Ok(written(path, bytes.len(), has_data))
        }
        None if std::io::stdout().is_terminal() => Err(CliError::Usage(
            "give --out FILE for a PDF, XLSX or CSV (or send standard output to a file)".into(),
        )),
        None => Ok(Output::Bytes(bytes.to_vec())),
    }
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    wijkwerk_documents::write_file(path, bytes)?;
    Ok(())
}

fn written(path: &Path, bytes: usize, has_data: bool) -> Output {
    Output::Json(json!({
        "written": path.display().to_string(),
        "bytes": bytes,
        "has_data": has_data,
    }))
}
