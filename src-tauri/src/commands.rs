//! The IPC commands: thin adapters from the front end to the core. Each takes the store from
//! the app's state, asks the core, and turns a core error into an [`IpcError`].
//!
//! The front end calls them only through `ui/src/lib/ipc.ts`; the types it sees are generated
//! from these and the core's (`ui/src/lib/bindings.ts`, see [`crate::bindings`]).

use crate::error::IpcError;
use crate::settings::{Language, Settings};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use tauri::State;
use ts_rs::TS;
use uuid::Uuid;
use wijkwerk_core::action_points::{ActionPointEvent, ActionPointSummary, WebAnswers};
use wijkwerk_core::areas::AreaNode;
use wijkwerk_core::browse::{
    ActionPointQuery, AppointmentQuery, AppointmentRow, AreaPage, ContactQuery, ContactRow,
    ListPage, OrganisationQuery, OrganisationRow,
};
use wijkwerk_core::contacts::ContactPage;
use wijkwerk_core::dashboard::TodayOverview;
use wijkwerk_core::meetings::MeetingPage;
use wijkwerk_core::organisations::Board;
use wijkwerk_core::search::SearchHit;
use wijkwerk_core::visits::VisitPage;
use wijkwerk_core::{Entity, Store, Write};

/// What the app holds while it runs: the data folder and its store, or why it could not be
/// opened (shown in the window instead of the app's screens), and the user's settings.
pub struct AppState {
    folder: Mutex<OpenFolder>,
    settings: Mutex<Settings>,
}

struct OpenFolder {
    data_folder: PathBuf,
    store: Result<Store, IpcError>,
}

impl AppState {
    pub fn new(data_folder: PathBuf, store: Result<Store, IpcError>, settings: Settings) -> Self {
        AppState {
            folder: Mutex::new(OpenFolder { data_folder, store }),
            settings: Mutex::new(settings),
        }
    }

    fn folder(&self) -> MutexGuard<'_, OpenFolder> {
        // A command that panicked mid-read leaves nothing half-done in SQLite (a write is one
        // transaction), so the store stays usable after a poisoned lock.
        self.folder
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn settings(&self) -> MutexGuard<'_, Settings> {
        self.settings
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Runs `f` on the settings (the sync worker reads and changes the server there).
    pub fn with_settings<T>(&self, f: impl FnOnce(&mut Settings) -> T) -> T {
        f(&mut self.settings())
    }

    /// Runs `f` on the open store, or answers with the error that kept it from opening.
    /// `f` may fail with any error that becomes an [`IpcError`] (the core's, a calendar
    /// import's, ...).
    pub fn with_store<T, E: Into<IpcError>>(
        &self,
        f: impl FnOnce(&mut Store) -> Result<T, E>,
    ) -> Result<T, IpcError> {
        let mut folder = self.folder();
        match &mut folder.store {
            Ok(store) => f(store).map_err(Into::into),
            Err(error) => Err(error.clone()),
        }
    }
}

/// The data folder, whether its store could be opened, and the settings.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct AppStatus {
    pub data_folder: String,
    /// Why the store could not be opened; `None` when it is open.
    pub store_error: Option<IpcError>,
    pub language: Language,
    pub version: String,
    /// Today where the coordinators work (`YYYY-MM-DD`).
    pub today: String,
    /// The open store holds the demo municipality (which never syncs).
    pub demo: bool,
    /// The store waits for a passphrase: none yet (`new`: one is chosen now) or one to type
    /// (`existing`); `None` when it is open or fails for another reason.
    pub passphrase: Option<PassphraseWanted>,
}

/// Which passphrase the window asks for when no keyring holds the store's key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum PassphraseWanted {
    /// No store yet and no keyring: a new passphrase, typed twice.
    New,
    /// An encrypted store whose key is not in the keyring, or a passphrase that did not fit.
    Existing,
}

pub fn status(state: &AppState) -> AppStatus {
    let folder = state.folder();
    AppStatus {
        data_folder: folder.data_folder.display().to_string(),
        store_error: folder.store.as_ref().err().cloned(),
        language: state.settings().language,
        version: env!("CARGO_PKG_VERSION").to_owned(),
        today: wijkwerk_core::today().to_string(),
        demo: folder
            .store
            .as_ref()
            .is_ok_and(|store| store.is_demo().unwrap_or(false)),
        passphrase: folder
            .store
            .as_ref()
            .err()
            .and_then(|error| match error.code.as_str() {
                "no_keyring" | "key_missing" | "wrong_key" | "wrong_passphrase" => {
                    Some(if Store::exists_in(&folder.data_folder) {
                        PassphraseWanted::Existing
                    } else {
                        PassphraseWanted::New
                    })
                }
                _ => None,
            }),
    }
}

/// Opens the data folder's store with the passphrase the user typed (where no keyring holds its
/// key), or makes a new store with it. A passphrase that does not fit leaves the window asking,
/// with the reason.
#[tauri::command(async)]
pub fn unlock_store(state: State<'_, AppState>, passphrase: String) -> Result<AppStatus, IpcError> {
    if passphrase.is_empty() {
        return Err(IpcError::new(
            "bad_request",
            crate::error::text("no_passphrase"),
        ));
    }
    let dir = state.folder().data_folder.clone();
    let new =
        state.with_settings(|s| crate::data_folder::NewStore::for_server(s.server.as_deref()));
    let unlock = wijkwerk_core::store_key::Unlock::passphrase(passphrase);
    let opened =
        crate::data_folder::open_or_create_with(&dir, new, &unlock).map_err(IpcError::from);
    let failed = opened.as_ref().err().cloned();
    {
        let mut folder = state.folder();
        if folder.store.is_ok() {
            // Opened already (a second click): keep what is open.
            drop(folder);
            return Ok(status(&state));
        }
        folder.store = opened;
    }
    if let Some(error) = failed {
        return Err(error);
    }
    crate::sync::folder_changed(&state);
    Ok(status(&state))
}

/// One change asked for by the front end; a batch of them is one transaction.
#[derive(Debug, Clone, PartialEq, Deserialize, TS)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum WriteRequest {
    Create {
        entity: String,
        /// An id made by the front end (so that later changes in the same batch can refer to
        /// it); one is made when absent.
        #[serde(default)]
        id: Option<String>,
        #[ts(type = "Record<string, unknown>")]
        fields: serde_json::Map<String, Value>,
    },
    Update {
        entity: String,
        id: String,
        #[ts(type = "Record<string, unknown>")]
        fields: serde_json::Map<String, Value>,
    },
    Delete {
        entity: String,
        id: String,
    },
    Restore {
        entity: String,
        id: String,
    },
}

/// What a batch wrote: the ids of its records, in the order asked.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct Written {
    pub ids: Vec<String>,
}

fn entity(name: &str) -> Result<Entity, IpcError> {
    name.parse::<Entity>()
        .map_err(|_| IpcError::new("bad_request", format!("Onbekend soort gegeven: {name}.")))
}

fn uuid(text: &str) -> Result<Uuid, IpcError> {
    Uuid::parse_str(text)
        .map_err(|_| IpcError::new("bad_request", format!("Geen geldige sleutel: {text}.")))
}

impl WriteRequest {
    fn into_write(self) -> Result<Write, IpcError> {
        Ok(match self {
            WriteRequest::Create {
                entity: name,
                id,
                fields,
            } => {
                let mut write = Write::create(entity(&name)?, fields);
                if let Some(id) = id {
                    write.id = uuid(&id)?;
                }
                write
            }
            WriteRequest::Update {
                entity: name,
                id,
                fields,
            } => Write::update(entity(&name)?, uuid(&id)?, fields),
            WriteRequest::Delete { entity: name, id } => Write::delete(entity(&name)?, uuid(&id)?),
            WriteRequest::Restore { entity: name, id } => {
                Write::restore(entity(&name)?, uuid(&id)?)
            }
        })
    }
}

pub fn write(state: &AppState, batch: Vec<WriteRequest>) -> Result<Written, IpcError> {
    let writes = batch
        .into_iter()
        .map(WriteRequest::into_write)
        .collect::<Result<Vec<_>, _>>()?;
    let committed = state.with_store(|store| store.write(writes))?;
    crate::sync::poke();
    Ok(Written {
        ids: committed
            .records
            .into_iter()
            .map(|(_, id)| id.to_string())
            .collect(),
    })
}

fn today() -> jiff::civil::Date {
    wijkwerk_core::today()
}

#[tauri::command]
pub fn app_status(state: State<'_, AppState>) -> AppStatus {
    status(&state)
}

#[tauri::command(async)]
pub fn today_overview(state: State<'_, AppState>) -> Result<TodayOverview, IpcError> {
    state.with_store(|s| s.today_overview(today()))
}

/// Writes a batch of changes as one transaction (create, update, delete, restore).
#[tauri::command(async)]
pub fn write_records(
    state: State<'_, AppState>,
    batch: Vec<WriteRequest>,
) -> Result<Written, IpcError> {
    write(&state, batch)
}

/// One record by id, as stored (deleted ones carry `deleted: true`).
#[tauri::command(async)]
pub fn get_record(
    state: State<'_, AppState>,
    entity: String,
    id: String,
) -> Result<Value, IpcError> {
    let (entity, id) = (self::entity(&entity)?, uuid(&id)?);
    state.with_store(|s| s.get(entity, id))
}

#[tauri::command(async)]
pub fn organisation_list(
    state: State<'_, AppState>,
    query: OrganisationQuery,
) -> Result<ListPage<OrganisationRow>, IpcError> {
    state.with_store(|s| s.organisation_list(&query))
}

#[tauri::command(async)]
pub fn contact_list(
    state: State<'_, AppState>,
    query: ContactQuery,
) -> Result<ListPage<ContactRow>, IpcError> {
    state.with_store(|s| s.contact_list(&query, today()))
}

#[tauri::command(async)]
pub fn meeting_list(
    state: State<'_, AppState>,
    query: AppointmentQuery,
) -> Result<ListPage<AppointmentRow>, IpcError> {
    state.with_store(|s| s.meeting_list(&query))
}

#[tauri::command(async)]
pub fn visit_list(
    state: State<'_, AppState>,
    query: AppointmentQuery,
) -> Result<ListPage<AppointmentRow>, IpcError> {
    state.with_store(|s| s.visit_list(&query))
}

#[tauri::command(async)]
pub fn action_point_list(
    state: State<'_, AppState>,
    query: ActionPointQuery,
) -> Result<ListPage<ActionPointSummary>, IpcError> {
    state.with_store(|s| s.action_point_list(&query, today()))
}

#[tauri::command(async)]
pub fn area_tree(state: State<'_, AppState>) -> Result<Vec<AreaNode>, IpcError> {
    state.with_store(|s| s.area_tree())
}

#[tauri::command(async)]
pub fn area_page(state: State<'_, AppState>, id: String) -> Result<AreaPage, IpcError> {
    let id = uuid(&id)?;
    state.with_store(|s| s.area_page(id, today()))
}

/// An organisation's board today, its role history and vacancies.
#[tauri::command(async)]
pub fn organisation_board(state: State<'_, AppState>, id: String) -> Result<Board, IpcError> {
    let id = uuid(&id)?;
    state.with_store(|s| s.board(id, today()))
}

#[tauri::command(async)]
pub fn contact_page(state: State<'_, AppState>, id: String) -> Result<ContactPage, IpcError> {
    let id = uuid(&id)?;
    state.with_store(|s| s.contact_page(id, today()))
}

#[tauri::command(async)]
pub fn meeting_page(state: State<'_, AppState>, id: String) -> Result<MeetingPage, IpcError> {
    let id = uuid(&id)?;
    state.with_store(|s| s.meeting_page(id, today()))
}

#[tauri::command(async)]
pub fn visit_page(state: State<'_, AppState>, id: String) -> Result<VisitPage, IpcError> {
    let id = uuid(&id)?;
    state.with_store(|s| s.visit_page(id))
}

/// Changes an action point's status, with an optional comment (one write, with its history).
#[tauri::command(async)]
pub fn action_point_status(
    state: State<'_, AppState>,
    id: String,
    status: String,
    comment: Option<String>,
) -> Result<(), IpcError> {
    let id = uuid(&id)?;
    state.with_store(|s| {
        s.change_action_point_status(id, &status, comment.as_deref(), None)
            .map(|_| ())
    })?;
    crate::sync::poke();
    Ok(())
}

#[tauri::command(async)]
pub fn action_point_comment(
    state: State<'_, AppState>,
    id: String,
    comment: String,
) -> Result<(), IpcError> {
    let id = uuid(&id)?;
    state.with_store(|s| s.comment_action_point(id, &comment, None).map(|_| ()))?;
    crate::sync::poke();
    Ok(())
}

#[tauri::command(async)]
pub fn action_point_history(
    state: State<'_, AppState>,
    id: String,
) -> Result<Vec<ActionPointEvent>, IpcError> {
    let id = uuid(&id)?;
    state.with_store(|s| s.action_point_history(id))
}

/// The answers department colleagues gave on the server's web pages that this laptop has not
/// shown yet (newest first).
#[tauri::command(async)]
pub fn web_answers(
    state: State<'_, AppState>,
    limit: Option<usize>,
) -> Result<WebAnswers, IpcError> {
    state.with_store(|s| s.unseen_web_answers(limit.unwrap_or(50)))
}

/// Marks the answers from the web up to `seq` as seen.
#[tauri::command(async)]
pub fn web_answers_seen(state: State<'_, AppState>, seq: i64) -> Result<(), IpcError> {
    state.with_store(|s| s.mark_web_answers_seen(seq))
}

/// Takes the due date a department colleague proposed.
#[tauri::command(async)]
pub fn accept_due_date_proposal(
    state: State<'_, AppState>,
    event_id: String,
) -> Result<(), IpcError> {
    let id = uuid(&event_id)?;
    state.with_store(|s| s.accept_due_date_proposal(id, None))?;
    crate::sync::poke();
    Ok(())
}

/// Asks the server to mail the owning department a reminder about an action point.
#[tauri::command(async)]
pub fn request_reminder(state: State<'_, AppState>, id: String) -> Result<(), IpcError> {
    let id = uuid(&id)?;
    state.with_store(|s| s.request_reminder(id, None))?;
    crate::sync::poke();
    Ok(())
}

/// Searches everything (Ctrl+K).
#[tauri::command(async)]
pub fn search(
    state: State<'_, AppState>,
    text: String,
    limit: Option<usize>,
) -> Result<Vec<SearchHit>, IpcError> {
    state.with_store(|s| s.search(&text, limit.unwrap_or(30)))
}

/// Sets the interface language (kept in the settings file, used for error messages too).
#[tauri::command(async)]
pub fn set_language(state: State<'_, AppState>, language: Language) -> Result<(), IpcError> {
    let mut settings = state.settings();
    settings.language = language;
    crate::error::set_language(language);
    settings.save()
}

/// Opens another data folder (creating a store where there is none: the demo, or empty when a
/// sync server is set), and remembers it for the next start. On failure the folder that was open
/// stays open.
#[tauri::command(async)]
pub fn open_data_folder(state: State<'_, AppState>, path: String) -> Result<AppStatus, IpcError> {
    let dir = PathBuf::from(path.trim());
    if dir.as_os_str().is_empty() {
        return Err(IpcError::new(
            "bad_request",
            crate::error::text("no_folder"),
        ));
    }
    open_folder(&state, dir)
}

/// The folder for the server's data beside the current one, when that holds the demo (which
/// never syncs): `<folder>-gemeente`, or `-gemeente-2` and so on when that holds a demo too or
/// cannot be opened.
pub fn server_folder(current: &Path) -> Option<PathBuf> {
    let name = current
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "wijkwerk".to_owned());
    let parent = current.parent().unwrap_or(Path::new("."));
    (1..100)
        .map(|n| match n {
            1 => parent.join(format!("{name}-gemeente")),
            n => parent.join(format!("{name}-gemeente-{n}")),
        })
        .find(|dir| {
            !dir.join(wijkwerk_core::store::DATA_FILE).exists()
                || Store::open(dir).is_ok_and(|s| s.is_demo().is_ok_and(|demo| !demo))
        })
}

/// "Nieuwe map voor de server": opens (or makes, empty) the folder for the server's data beside
/// the demo's, so that a coordinator who tried the demo needs no path to start working.
#[tauri::command(async)]
pub fn open_server_folder(state: State<'_, AppState>) -> Result<AppStatus, IpcError> {
    let current = state.folder().data_folder.clone();
    let dir = server_folder(&current)
        .ok_or_else(|| IpcError::new("bad_request", crate::error::text("no_folder")))?;
    open_folder(&state, dir)
}

fn open_folder(state: &AppState, dir: PathBuf) -> Result<AppStatus, IpcError> {
    // The folder that is open already: nothing to do (opening it a second time would find it
    // locked by this very process).
    {
        let folder = state.folder();
        if folder.data_folder == dir && folder.store.is_ok() {
            drop(folder);
            return Ok(status(state));
        }
    }
    let new =
        state.with_settings(|s| crate::data_folder::NewStore::for_server(s.server.as_deref()));
    let store = crate::data_folder::open_or_create(&dir, new)?;
    {
        let mut folder = state.folder();
        folder.data_folder = dir.clone();
        folder.store = Ok(store);
    }
    {
        let mut settings = state.settings();
        settings.data_folder = Some(dir);
        settings.save()?;
    }
    crate::sync::folder_changed(state);
    Ok(status(state))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_server_folder_is_beside_the_demo_and_never_another_demo() {
        let dir = tempfile::tempdir().unwrap();
        let demo = dir.path().join("wijkwerk");
        let first = server_folder(&demo).unwrap();
        assert_eq!(first, dir.path().join("wijkwerk-gemeente"));
        // That one holds a demo as well: the next.
        crate::data_folder::open_or_create(&first, crate::data_folder::NewStore::Demo).unwrap();
        assert_eq!(
            server_folder(&demo).unwrap(),
            dir.path().join("wijkwerk-gemeente-2")
        );
        // An existing store of the server's is opened again.
        let second = dir.path().join("wijkwerk-gemeente-2");
        crate::data_folder::open_or_create(&second, crate::data_folder::NewStore::Empty).unwrap();
        assert_eq!(server_folder(&demo).unwrap(), second);
    }

    fn state_with(store: Result<Store, IpcError>) -> AppState {
        AppState::new(PathBuf::from("/data"), store, Settings::default())
    }

    #[test]
    fn a_store_that_did_not_open_answers_every_command_with_its_error() {
        let error = IpcError::new("locked_store", "Het gegevensbestand is in gebruik.");
        let state = state_with(Err(error.clone()));
        let status = status(&state);
        assert_eq!(status.data_folder, "/data");
        assert_eq!(status.store_error, Some(error.clone()));
        assert_eq!(state.with_store(|s| s.area_tree()), Err(error));
    }

    #[test]
    fn a_batch_creates_a_meeting_with_its_agenda_in_one_go() {
        let state = state_with(Ok(Store::in_memory().unwrap()));
        let meeting = Uuid::now_v7().to_string();
        let batch: Vec<WriteRequest> = serde_json::from_value(serde_json::json!([
            {"op": "create", "entity": "meeting", "id": meeting, "fields": {
                "kind": "ledenvergadering", "title": "Jaarvergadering",
                "starts_at": "2026-03-12T19:30:00", "ends_at": "2026-03-12T21:30:00"}},
            {"op": "create", "entity": "agenda_item", "fields": {
                "meeting_id": meeting, "position": 1, "title": "Opening"}}
        ]))
        .unwrap();
        let written = write(&state, batch).unwrap();
        assert_eq!(written.ids.len(), 2);
        assert_eq!(written.ids[0], meeting);
        let page = state
            .with_store(|s| s.meeting_page(uuid(&meeting).unwrap(), today()))
            .unwrap();
        assert_eq!(page.agenda.len(), 1);
    }

    #[test]
    fn an_invalid_batch_writes_nothing_and_names_the_field() {
        let state = state_with(Ok(Store::in_memory().unwrap()));
        let batch: Vec<WriteRequest> = serde_json::from_value(serde_json::json!([
            {"op": "create", "entity": "contact", "fields": {"name": "Ans"}},
            {"op": "create", "entity": "contact", "fields": {"name": "Bert", "email": "geen"}}
        ]))
        .unwrap();
        let error = write(&state, batch).unwrap_err();
        assert_eq!(error.code, "invalid");
        assert_eq!(error.field.as_deref(), Some("email"));
        assert_eq!(
            state.with_store(|s| s.count(Entity::Contact)).unwrap(),
            0,
            "nothing of the batch was written"
        );
    }
}
