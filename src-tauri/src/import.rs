//! Contact lists in, in the window: thin adapters over the core's import
//! (`wijkwerk_core::import`: reading, mapping, duplicates, one batch, one undo).
//!
//! The front end reads the file the user chose or dropped and hands its bytes over once
//! ([`list_import_open`], a raw IPC body: no JSON array of numbers for a workbook of megabytes);
//! the app keeps them while the dialog is open, so that every change of the mapping or of a
//! duplicate's choice is a new preview of the same bytes ([`list_import_preview`]) until the
//! user imports ([`list_import`]) or closes the dialog ([`list_import_close`]).

use crate::commands::AppState;
use crate::error::IpcError;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use tauri::ipc::{InvokeBody, Request};
use tauri::State;
use ts_rs::TS;
use wijkwerk_core::import::draft::ListKind;
use wijkwerk_core::import::mapping::Target;
use wijkwerk_core::import::{
    ImportError, ListImportBatch, ListImportPreview, ListImportReport, ListImportRequest,
    ListImportUndo, Resolution,
};
use wijkwerk_core::lists::text::TextError;
use wijkwerk_core::lists::ListError;

/// The list the import dialog has open: its bytes, by the number the dialog was given. Shared,
/// not copied, by each preview (a list may be tens of megabytes).
#[derive(Default)]
pub struct OpenList {
    file: Mutex<Option<(u32, Arc<[u8]>)>>,
    opened: Mutex<u32>,
}

/// How the dialog wants the open list read and imported.
#[derive(Debug, Clone, Default, Deserialize, TS)]
pub struct ListImportOptions {
    /// The number [`list_import_open`] gave.
    pub list: u32,
    /// The file's name, as the import is remembered.
    #[ts(optional)]
    pub file_name: Option<String>,
    #[ts(optional)]
    pub sheet: Option<String>,
    /// What each column holds, by its header (absent: remembered or suggested).
    #[ts(optional)]
    pub mapping: Option<BTreeMap<String, Option<Target>>>,
    #[ts(optional)]
    pub list_kind: Option<ListKind>,
    /// What becomes of a duplicate (default: skip).
    #[ts(optional)]
    pub duplicates: Option<Resolution>,
    /// What becomes of the duplicate on a line.
    #[ts(optional)]
    pub resolutions: Option<BTreeMap<usize, Resolution>>,
    #[ts(optional)]
    pub preview_rows: Option<usize>,
    /// Only the first rows checked (a quick first preview while the whole list is checked).
    #[ts(optional)]
    pub check_rows: Option<usize>,
}

impl OpenList {
    fn bytes(&self, list: u32) -> Result<Arc<[u8]>, IpcError> {
        let file = self.file.lock().unwrap_or_else(|p| p.into_inner());
        match &*file {
            Some((open, bytes)) if *open == list => Ok(Arc::clone(bytes)),
            _ => Err(IpcError::new(
                "import_not_open",
                dutch_or_english(
                    "De lijst is niet meer open: kies het bestand opnieuw.",
                    "The list is no longer open: choose the file again.",
                ),
            )),
        }
    }
}

fn dutch_or_english(nl: &str, en: &str) -> String {
    if crate::error::is_english() { en } else { nl }.to_owned()
}

fn request(options: &ListImportOptions) -> ListImportRequest {
    ListImportRequest {
        file_name: options.file_name.clone(),
        sheet: options.sheet.clone().filter(|s| !s.is_empty()),
        mapping: options.mapping.clone(),
        list_kind: options.list_kind,
        duplicates: options.duplicates.unwrap_or_default(),
        resolutions: options.resolutions.clone().unwrap_or_default(),
        today: None,
        preview_rows: options.preview_rows,
        check_rows: options.check_rows,
        // The dialog shows the columns of a list it cannot read yet, to be chosen.
        columns_first: true,
    }
}

/// Takes the bytes of the list the user chose (the raw body of the call) and returns the
/// number to preview and import it by. A list opened before is let go.
#[tauri::command]
pub fn list_import_open(lists: State<'_, OpenList>, request: Request<'_>) -> Result<u32, IpcError> {
    let InvokeBody::Raw(raw) = request.body() else {
        return Err(IpcError::new(
            "bad_request",
            "list_import_open takes the file's bytes",
        ));
    };
    if raw.len() > wijkwerk_core::lists::MAX_BYTES {
        return Err(ImportError::List(ListError::TooLarge {
            bytes: raw.len(),
            max: wijkwerk_core::lists::MAX_BYTES,
        })
        .into());
    }
    let bytes: Arc<[u8]> = Arc::from(raw.as_slice());
    let mut opened = lists.opened.lock().unwrap_or_else(|p| p.into_inner());
    *opened = opened.wrapping_add(1);
    *lists.file.lock().unwrap_or_else(|p| p.into_inner()) = Some((*opened, bytes));
    Ok(*opened)
}

/// Reads the store's people (or organisations) while the user chooses the file, so that the
/// first preview only has the list to check.
#[tauri::command(async)]
pub fn list_import_prepare(state: State<'_, AppState>, kind: ListKind) -> Result<(), IpcError> {
    state.with_store(|s| s.prepare_import(kind == ListKind::Organisations))
}

/// Lets the open list go (the dialog closed), and the store's index of people kept for it.
#[tauri::command]
pub fn list_import_close(state: State<'_, AppState>, lists: State<'_, OpenList>) {
    *lists.file.lock().unwrap_or_else(|p| p.into_inner()) = None;
    let _ = state.with_store(|s| {
        s.forget_import_index();
        Ok::<(), IpcError>(())
    });
}

/// What importing the open list would do; nothing is written.
#[tauri::command(async)]
pub fn list_import_preview(
    state: State<'_, AppState>,
    lists: State<'_, OpenList>,
    options: ListImportOptions,
) -> Result<ListImportPreview, IpcError> {
    let bytes = lists.bytes(options.list)?;
    state.with_store(|s| s.import_preview(&bytes, &request(&options)))
}

/// Imports the open list as one batch (one undo), and lets it go.
#[tauri::command(async)]
pub fn list_import(
    state: State<'_, AppState>,
    lists: State<'_, OpenList>,
    options: ListImportOptions,
) -> Result<ListImportReport, IpcError> {
    let bytes = lists.bytes(options.list)?;
    let report = state.with_store(|s| s.import_list(&bytes, &request(&options)))?;
    *lists.file.lock().unwrap_or_else(|p| p.into_inner()) = None;
    crate::sync::poke();
    Ok(report)
}

/// Takes an import back as a whole.
#[tauri::command(async)]
pub fn list_import_undo(
    state: State<'_, AppState>,
    batch_id: String,
) -> Result<ListImportUndo, IpcError> {
    let undo = state.with_store(|s| s.import_undo(&batch_id))?;
    crate::sync::poke();
    Ok(undo)
}

/// The imports made on this laptop, newest first.
#[tauri::command(async)]
pub fn list_import_batches(state: State<'_, AppState>) -> Result<Vec<ListImportBatch>, IpcError> {
    state.with_store(|s| s.import_batches())
}

/// A list that cannot be imported says why, where, and that nothing was imported.
impl From<ImportError> for IpcError {
    fn from(error: ImportError) -> IpcError {
        let error = match error {
            ImportError::Store(e) => return IpcError::from(e),
            other => other,
        };
        let code = error.code();
        let english = crate::error::is_english();
        let (nl, en): (String, String) = match &error {
            ImportError::Store(_) => ("".into(), "".into()),
            ImportError::List(list) => match list {
                ListError::Empty => ("Het bestand is leeg.".into(), "The file is empty.".into()),
                ListError::TooLarge { bytes, max } => (
                    format!(
                        "Het bestand is te groot ({} MB; een lijst is ten hoogste {} MB).",
                        bytes / (1024 * 1024),
                        max / (1024 * 1024)
                    ),
                    format!(
                        "The file is too large ({} MB; a list is at most {} MB).",
                        bytes / (1024 * 1024),
                        max / (1024 * 1024)
                    ),
                ),
                ListError::Text(TextError::Binary { line }) => (
                    format!(
                        "Regel {line}: dit is geen lijst maar een bestand van een ander \
                         programma. Sla de lijst op als CSV, Excel-werkmap of vCard."
                    ),
                    format!(
                        "Line {line}: this is not a list but another program's file. Save \
                         the list as CSV, an Excel workbook or vCard."
                    ),
                ),
                ListError::Text(TextError::UnknownEncoding { line, byte }) => (
                    format!(
                        "Regel {line}: teken 0x{byte:02X} is geen letter in UTF-8 of \
                         Windows-1252; de tekenset is onbekend. Sla de lijst op als \
                         \"CSV UTF-8\"."
                    ),
                    format!(
                        "Line {line}: byte 0x{byte:02X} is no character in UTF-8 or \
                         Windows-1252; the encoding is unknown. Save the list as \"CSV UTF-8\"."
                    ),
                ),
                ListError::Malformed { line, reason } => (
                    format!("Regel {line} kan niet worden gelezen: {reason}."),
                    format!("Line {line} cannot be read: {reason}."),
                ),
                ListError::Workbook(reason) => (
                    format!("De werkmap kan niet worden gelezen: {reason}."),
                    format!("The workbook cannot be read: {reason}."),
                ),
                ListError::NoSuchSheet { sheet, sheets } => (
                    format!(
                        "De werkmap heeft geen blad \"{sheet}\" (wel: {}).",
                        sheets.join(", ")
                    ),
                    format!(
                        "The workbook has no sheet \"{sheet}\" (it has {}).",
                        sheets.join(", ")
                    ),
                ),
                ListError::TooManyCells { sheet, max } => (
                    format!(
                        "Het blad \"{sheet}\" heeft meer dan {max} cellen; splits de lijst in \
                         kleinere werkmappen."
                    ),
                    format!(
                        "The sheet \"{sheet}\" has more than {max} cells; split the list into \
                         smaller workbooks."
                    ),
                ),
                ListError::NotAWorkbook => (
                    "Het bestand is een zip-archief, maar geen werkmap (XLSX of ODS).".into(),
                    "The file is a zip archive, not a workbook (XLSX or ODS).".into(),
                ),
            },
            ImportError::NoKnownColumn { headers } => (
                format!(
                    "Wijkwerk herkent geen enkele kolom ({headers}). Kies hieronder wat de \
                     kolommen bevatten."
                ),
                format!("Wijkwerk knows none of the columns ({headers}). Choose what they hold."),
            ),
            ImportError::NoNameColumn => (
                "Geen kolom bevat een naam: kies de kolom met de naam, de voornaam of de \
                 achternaam."
                    .into(),
                "No column holds a name: choose the column with the name, first name or last \
                 name."
                    .into(),
            ),
            ImportError::NoRows => (
                "De lijst heeft een kopregel maar geen regels daaronder.".into(),
                "The list has a header but no rows under it.".into(),
            ),
            ImportError::UnknownColumn(header) => (
                format!("De lijst heeft geen kolom \"{header}\"."),
                format!("The list has no column \"{header}\"."),
            ),
            ImportError::NoSuchBatch(_) => (
                "Deze import is niet (meer) op deze laptop.".into(),
                "This import is not on this laptop (any more).".into(),
            ),
            ImportError::AlreadyUndone(_) => (
                "Deze import is al ongedaan gemaakt.".into(),
                "This import was undone already.".into(),
            ),
        };
        let nothing = matches!(
            error,
            ImportError::List(_)
                | ImportError::NoKnownColumn { .. }
                | ImportError::NoNameColumn
                | ImportError::NoRows
                | ImportError::UnknownColumn(_)
        );
        let mut message = if english { en } else { nl };
        if nothing {
            message.push_str(if english {
                " Nothing was imported."
            } else {
                " Er is niets geïmporteerd."
            });
        }
        IpcError::new(code, message)
    }
}
