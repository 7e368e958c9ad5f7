//! Agreements, projects, the werkkapitaal and the yearly report in the window: thin adapters
//! over the core (which computes) and `wijkwerk-documents` (which renders). Documents are
//! written into the downloads folder, whole or not at all, never over an existing file.

use crate::calendar::{export_folder, free_path_with, safe_file_stem};
use crate::commands::AppState;
use crate::error::IpcError;
use serde::Serialize;
use std::path::Path;
use tauri::State;
use ts_rs::TS;
use uuid::Uuid;
use wijkwerk_core::budgets::{BudgetOverview, PaymentWarning};
use wijkwerk_core::projects::{AgreementPage, AgreementRow, ProjectPage, ProjectRow};
use wijkwerk_core::report::{CutList, ReportRequest, ReportTable, YearReport};
use wijkwerk_documents::DocumentError;

/// The report as the Rapportage screen shows it: the figures, their tables (the same the
/// documents print) and the charts (the same SVG the PDF holds).
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct ReportView {
    pub report: YearReport,
    pub tables: Vec<ReportTable>,
    pub charts: Vec<ChartView>,
    /// The lists of action points the screen shows only the start of (the exports hold them
    /// whole): a large municipality has tens of thousands of stale points.
    pub cut_lists: Vec<CutList>,
}

/// How many action points each list on the screen shows.
pub const SCREEN_LIST_LIMIT: usize = 200;

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct ChartView {
    pub key: String,
    pub title: String,
    pub svg: String,
}

/// A document written into the downloads folder.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct DocumentFile {
    pub path: String,
    pub bytes: usize,
}

fn bad(message: impl Into<String>) -> IpcError {
    IpcError::new("bad_request", message)
}

fn parse_id(text: &str) -> Result<Uuid, IpcError> {
    Uuid::parse_str(text.trim()).map_err(|_| bad(format!("Geen geldige sleutel: {text}.")))
}

impl From<DocumentError> for IpcError {
    fn from(error: DocumentError) -> IpcError {
        match &error {
            DocumentError::Write { path, source, .. } => {
                let reason = match source.kind() {
                    std::io::ErrorKind::PermissionDenied => {
                        "geen toestemming om daar te schrijven (is de map alleen-lezen?)".to_owned()
                    }
                    std::io::ErrorKind::ReadOnlyFilesystem => {
                        "de schijf is alleen-lezen".to_owned()
                    }
                    std::io::ErrorKind::StorageFull => "de schijf is vol".to_owned(),
                    std::io::ErrorKind::QuotaExceeded => "het schijfquotum is op".to_owned(),
                    std::io::ErrorKind::NotFound => "de map bestaat niet".to_owned(),
                    _ => source.to_string(),
                };
                IpcError::new(
                    "io",
                    format!(
                        "{} kon niet worden bewaard: {reason}. Er is niets half weggeschreven.",
                        path.display()
                    ),
                )
            }
            _ => IpcError::new(
                "document",
                format!(
                    "Het document kon niet worden gemaakt: {error}. Er is niets weggeschreven."
                ),
            ),
        }
    }
}

/// Writes `bytes` as `stem.extension` in `dir` (a new name when that exists).
pub fn save(
    dir: &Path,
    stem: &str,
    extension: &str,
    bytes: &[u8],
) -> Result<DocumentFile, IpcError> {
    let path = free_path_with(dir, &safe_file_stem(stem), extension);
    std::fs::create_dir_all(dir).map_err(|e| {
        IpcError::new(
            "io",
            format!("De map {} kan niet worden gebruikt: {e}.", dir.display()),
        )
    })?;
    wijkwerk_documents::write_file(&path, bytes)?;
    Ok(DocumentFile {
        path: path.display().to_string(),
        bytes: bytes.len(),
    })
}

pub fn report_view(state: &AppState, request: &ReportRequest) -> Result<ReportView, IpcError> {
    let mut report = state.with_store(|s| s.year_report(request, wijkwerk_core::today()))?;
    let cut_lists = report.cut_lists(SCREEN_LIST_LIMIT);
    let charts = wijkwerk_documents::report_charts(&report)
        .into_iter()
        .map(|c| ChartView {
            key: c.key,
            title: c.title,
            svg: c.svg,
        })
        .collect();
    Ok(ReportView {
        tables: report.tables(),
        report,
        charts,
        cut_lists,
    })
}

/// The report as a PDF, XLSX or CSV file in `dir`.
pub fn export_report_to(
    state: &AppState,
    request: &ReportRequest,
    format: &str,
    dir: &Path,
) -> Result<DocumentFile, IpcError> {
    let report = state.with_store(|s| s.year_report(request, wijkwerk_core::today()))?;
    let bytes = match format {
        "pdf" => wijkwerk_documents::report_pdf(&report)?,
        "xlsx" => wijkwerk_documents::report_xlsx(&report)?,
        "csv" => wijkwerk_documents::report_csv(&report, None)?,
        other => return Err(bad(format!("Onbekend formaat: {other}."))),
    };
    let stem = format!("rapportage-{}-{}", report.area_name, report.year);
    save(dir, &stem, format, &bytes)
}

#[tauri::command(async)]
pub fn year_report(
    state: State<'_, AppState>,
    request: ReportRequest,
) -> Result<ReportView, IpcError> {
    report_view(&state, &request)
}

#[tauri::command(async)]
pub fn export_report(
    state: State<'_, AppState>,
    request: ReportRequest,
    format: String,
) -> Result<DocumentFile, IpcError> {
    export_report_to(&state, &request, &format, &export_folder())
}

#[tauri::command(async)]
pub fn agreement_document(
    state: State<'_, AppState>,
    id: String,
) -> Result<DocumentFile, IpcError> {
    let id = parse_id(&id)?;
    let page = state.with_store(|s| s.agreement_page(id))?;
    let bytes = wijkwerk_documents::agreement_pdf(&page)?;
    save(&export_folder(), &page.title, "pdf", &bytes)
}

#[tauri::command(async)]
pub fn kern_overview_document(
    state: State<'_, AppState>,
    kern_id: String,
    year: i64,
) -> Result<DocumentFile, IpcError> {
    parse_id(&kern_id)?;
    let overview = state.with_store(|s| s.kern_overview(&kern_id, year))?;
    let bytes = wijkwerk_documents::kern_overview_pdf(&overview)?;
    let stem = format!("jaaroverzicht-{}-{year}", overview.kern.name);
    save(&export_folder(), &stem, "pdf", &bytes)
}

#[tauri::command(async)]
pub fn budget_overview(
    state: State<'_, AppState>,
    year: i64,
) -> Result<Option<BudgetOverview>, IpcError> {
    state.with_store(|s| s.budget_overview(year, None, wijkwerk_core::today()))
}

#[tauri::command(async)]
pub fn payment_warnings(
    state: State<'_, AppState>,
    id: String,
) -> Result<Vec<PaymentWarning>, IpcError> {
    let id = parse_id(&id)?;
    state.with_store(|s| s.payment_warnings(id))
}

#[tauri::command(async)]
pub fn project_list(
    state: State<'_, AppState>,
    area_id: Option<String>,
    status: Option<String>,
) -> Result<Vec<ProjectRow>, IpcError> {
    state.with_store(|s| {
        s.project_rows(
            area_id.as_deref().filter(|a| !a.is_empty()),
            status.as_deref().filter(|a| !a.is_empty()),
            wijkwerk_core::today(),
        )
    })
}

#[tauri::command(async)]
pub fn project_page(state: State<'_, AppState>, id: String) -> Result<ProjectPage, IpcError> {
    let id = parse_id(&id)?;
    state.with_store(|s| s.project_page(id))
}

#[tauri::command(async)]
pub fn agreement_list(state: State<'_, AppState>) -> Result<Vec<AgreementRow>, IpcError> {
    state.with_store(|s| s.agreement_rows())
}

#[tauri::command(async)]
pub fn agreement_page(state: State<'_, AppState>, id: String) -> Result<AgreementPage, IpcError> {
    let id = parse_id(&id)?;
    state.with_store(|s| s.agreement_page(id))
}

// -- personal data (AVG) ------------------------------------------------------------------

/// The contacts proposed for anonymisation today ("Bewaartermijn verstreken").
#[tauri::command(async)]
pub fn retention_review(
    state: State<'_, AppState>,
) -> Result<wijkwerk_core::privacy::RetentionReview, IpcError> {
    state.with_store(|s| s.retention_review(wijkwerk_core::today()))
}

/// Anonymises a contact (one write; synced like any other).
#[tauri::command(async)]
pub fn anonymise_contact(
    state: State<'_, AppState>,
    id: String,
) -> Result<wijkwerk_core::privacy::Anonymised, IpcError> {
    let id = parse_id(&id)?;
    let done = state.with_store(|s| s.anonymise_contact(id))?;
    crate::sync::poke();
    Ok(done)
}

/// Erases a contact everywhere (one write; the next sync takes it to every replica).
#[tauri::command(async)]
pub fn erase_contact(
    state: State<'_, AppState>,
    id: String,
) -> Result<wijkwerk_core::erasure::Erased, IpcError> {
    let id = parse_id(&id)?;
    let done = state.with_store(|s| s.erase_contact(id))?;
    crate::sync::poke();
    Ok(done)
}

/// Everything held about a contact, as a PDF or HTML file in the downloads folder.
#[tauri::command(async)]
pub fn subject_access_document(
    state: State<'_, AppState>,
    id: String,
    format: String,
) -> Result<DocumentFile, IpcError> {
    let id = parse_id(&id)?;
    let access = state.with_store(|s| s.subject_access(id, wijkwerk_core::today()))?;
    let stem = format!("inzage-{}", access.name);
    match format.as_str() {
        "pdf" => save(
            &export_folder(),
            &stem,
            "pdf",
            &wijkwerk_documents::access_pdf(&access)?,
        ),
        "html" => save(
            &export_folder(),
            &stem,
            "html",
            wijkwerk_documents::access_html(&access).as_bytes(),
        ),
        "json" => {
            let text = serde_json::to_string_pretty(&access)
                .map_err(|e| IpcError::new("stored_data", e.to_string()))?;
            save(&export_folder(), &stem, "json", text.as_bytes())
        }
        other => Err(bad(format!("Onbekend formaat: {other}."))),
    }
}
