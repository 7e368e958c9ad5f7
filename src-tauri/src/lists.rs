//! Contacts, boards and organisations out of the window: "Exporteren" on Contacten, Organisaties,
//! an organisation's page and an area's page writes CSV (Dutch Excel), XLSX or vCard into the
//! downloads folder, never over an existing file; "Bestuur mailen" gives the board's addresses
//! for Outlook's To field and opens them in the mail program. The core selects and writes
//! (`wijkwerk_core::contact_export`); this only places the file and words the errors.

use crate::calendar::export_folder;
use crate::commands::AppState;
use crate::error::IpcError;
use crate::reports::save;
use serde::Serialize;
use std::path::Path;
use tauri::State;
use ts_rs::TS;
use uuid::Uuid;
use wijkwerk_core::contact_export::{ExportScope, ListFormat, MailingList};

/// A list written into the downloads folder.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct ListFile {
    pub path: String,
    pub bytes: usize,
    /// Rows below the header; in a vCard file, cards.
    pub rows: usize,
}

fn organisation_id(text: &str) -> Result<Uuid, IpcError> {
    Uuid::parse_str(text.trim())
        .map_err(|_| IpcError::new("bad_request", format!("Geen geldige sleutel: {text}.")))
}

/// Writes the list `scope` selects, as it is today, into `dir`.
pub fn export_list_to(
    state: &AppState,
    scope: &ExportScope,
    format: ListFormat,
    dir: &Path,
) -> Result<ListFile, IpcError> {
    let export = state.with_store(|s| s.export_list(scope, format, wijkwerk_core::today()))?;
    let file = save(dir, &export.name, format.extension(), &export.bytes)?;
    Ok(ListFile {
        path: file.path,
        bytes: file.bytes,
        rows: export.rows,
    })
}

#[tauri::command(async)]
pub fn export_list(
    state: State<'_, AppState>,
    scope: ExportScope,
    format: ListFormat,
) -> Result<ListFile, IpcError> {
    export_list_to(&state, &scope, format, &export_folder())
}

/// The organisation's board today as a mailing list.
#[tauri::command(async)]
pub fn board_mailing_list(
    state: State<'_, AppState>,
    organisation_id: String,
) -> Result<MailingList, IpcError> {
    let id = self::organisation_id(&organisation_id)?;
    state.with_store(|s| s.board_mailing_list(id, wijkwerk_core::today()))
}

/// Opens the board's `mailto:` link in the user's mail program. The link is made here from the
/// store, never taken from the web view.
#[tauri::command(async)]
pub fn open_mailing_list(
    state: State<'_, AppState>,
    organisation_id: String,
) -> Result<(), IpcError> {
    let id = self::organisation_id(&organisation_id)?;
    let list = state.with_store(|s| s.board_mailing_list(id, wijkwerk_core::today()))?;
    let Some(link) = list.mailto else {
        return Err(IpcError::new(
            "no_addresses",
            crate::error::text("no_board_addresses"),
        ));
    };
    wijkwerk_core::open_file::open_mail_link(&link).map_err(|error| match error {
        wijkwerk_core::Error::Io { .. } => {
            IpcError::new("no_mail_program", crate::error::text("no_mail_program"))
        }
        other => other.into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::Settings;
    use std::path::PathBuf;
    use wijkwerk_core::{Entity, Store};

    fn demo_state() -> AppState {
        let mut store = Store::in_memory().unwrap();
        wijkwerk_core::demo::load_demo(&mut store, wijkwerk_core::today()).unwrap();
        AppState::new(PathBuf::from("/data"), Ok(store), Settings::default())
    }

    fn a_dorpsraad(state: &AppState) -> String {
        state
            .with_store(|s| s.list(Entity::Organisation, None, 500))
            .unwrap()
            .items
            .iter()
            .find(|o| o["kind"] == "dorpsraad")
            .and_then(|o| o["id"].as_str())
            .unwrap()
            .to_owned()
    }

    #[test]
    fn a_list_is_a_new_file_in_the_folder_each_time() {
        let state = demo_state();
        let dir = tempfile::tempdir().unwrap();
        let all = ExportScope::all_contacts();
        let first = export_list_to(&state, &all, ListFormat::Csv, dir.path()).unwrap();
        let second = export_list_to(&state, &all, ListFormat::Csv, dir.path()).unwrap();
        assert!(first.path.ends_with("contacten.csv"), "{}", first.path);
        assert!(second.path.ends_with("contacten-2.csv"), "{}", second.path);
        let contacts = state.with_store(|s| s.count(Entity::Contact)).unwrap();
        assert_eq!(first.rows as i64, contacts);
        assert!(std::fs::read(&first.path)
            .unwrap()
            .starts_with(b"\xEF\xBB\xBFNaam;"));

        let board = ExportScope::Board {
            organisation_id: a_dorpsraad(&state),
            all_roles: false,
        };
        let cards = export_list_to(&state, &board, ListFormat::Vcard3, dir.path()).unwrap();
        let name = Path::new(&cards.path)
            .file_name()
            .unwrap()
            .to_string_lossy()
            .to_string();
        assert!(
            name.starts_with("bestuur-dorpsraad-") && name.ends_with(".vcf"),
            "{name}"
        );
    }

    #[test]
    fn an_unknown_organisation_is_said_in_dutch_and_no_file_is_made() {
        let state = demo_state();
        let dir = tempfile::tempdir().unwrap();
        let scope = ExportScope::Board {
            organisation_id: Uuid::nil().to_string(),
            all_roles: false,
        };
        let error = export_list_to(&state, &scope, ListFormat::Xlsx, dir.path()).unwrap_err();
        assert_eq!(error.code, "not_found");
        assert!(error.message.contains("bestaat niet"), "{}", error.message);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn the_board_mailing_list_of_an_association() {
        let state = demo_state();
        let id = Uuid::parse_str(&a_dorpsraad(&state)).unwrap();
        let list = state
            .with_store(|s| s.board_mailing_list(id, wijkwerk_core::today()))
            .unwrap();
        assert!(list.to.contains(" <") && list.mailto.is_some(), "{list:?}");
    }
}
