//! Wijkwerk's documents: the yearly report on area-based working as PDF, XLSX, CSV and charts
//! (SVG), the kernovereenkomst ready to sign, and a kern's yearly overview of plans and projects.
//!
//! Everything is rendered from what `wijkwerk-core` computes: the report from
//! [`YearReport::tables`], so that the screen, the PDF, the XLSX and the CSV carry the same
//! numbers. The wording of the documents is Dutch; errors are English.
//!
//! - [`report_csv`], [`report_xlsx`], [`report_pdf`], [`report_charts`]: the yearly report;
//! - [`agreement_pdf`]: a kernovereenkomst; [`kern_overview_pdf`]: "Jaaroverzicht";
//! - [`access_pdf`], [`access_html`]: everything held about one person (AVG inzage);
//! - [`write_file`]: writes a document atomically (temporary file, fsync, rename).

mod access;
mod charts;
mod csv_report;
mod dutch;
mod error;
mod file;
mod pdf;
mod xlsx;

pub use access::{access_html, access_pdf, legal_basis_label};
pub use charts::{report_charts, Chart, CHART_FONT};
pub use csv_report::report_csv;
pub use dutch::{dutch_date, DEFINITIONS};
pub use error::DocumentError;
pub use file::write_file;
pub use pdf::{agreement_pdf, kern_overview_pdf, report_pdf, report_pdf_on};
pub use xlsx::{report_xlsx, report_xlsx_on};

pub use wijkwerk_core::projects::{AgreementPage, KernOverview};
pub use wijkwerk_core::report::{Cell, ReportTable, YearReport};

/// The report's title as every format prints it: "Rapportage gebiedsgericht werken".
pub const REPORT_TITLE: &str = "Rapportage gebiedsgericht werken";

/// "Rapportage gebiedsgericht werken Bergen 2026": the first line of the CSV, the PDF's title.
pub fn report_title(report: &YearReport) -> String {
    format!("{REPORT_TITLE} {} {}", report.area_name, report.year)
}
