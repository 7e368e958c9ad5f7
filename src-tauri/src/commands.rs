//! The IPC commands: thin adapters from the front end to the core. Each takes the store from
//! the app's state, asks the core, and turns a core error into an [`IpcError`].
//!
//! The front end calls them only through `ui/src/lib/ipc.ts`, which mirrors these types.

use crate::error::IpcError;
use serde::Serialize;
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard};
use tauri::State;
use wijkwerk_core::dashboard::TodayOverview;
use wijkwerk_core::Store;

/// What the app holds while it runs: the data folder and its store, or why it could not be
/// opened (shown in the window instead of the app's screens).
pub struct AppState {
    data_folder: PathBuf,
    store: Result<Mutex<Store>, IpcError>,
}

impl AppState {
    pub fn new(data_folder: PathBuf, store: Result<Store, IpcError>) -> AppState {
        AppState {
            data_folder,
            store: store.map(Mutex::new),
        }
    }

    /// The store, or the error that kept it from opening.
    fn store(&self) -> Result<MutexGuard<'_, Store>, IpcError> {
        match &self.store {
            // A command that panicked mid-read leaves nothing half-done in SQLite (a write is
            // one transaction), so the store stays usable after a poisoned lock.
            Ok(store) => Ok(store
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())),
            Err(error) => Err(error.clone()),
        }
    }
}

/// The data folder, and whether its store could be opened.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AppStatus {
    pub data_folder: String,
    /// Why the store could not be opened; `None` when it is open.
    pub store_error: Option<IpcError>,
}

pub fn status(state: &AppState) -> AppStatus {
    AppStatus {
        data_folder: state.data_folder.display().to_string(),
        store_error: state.store.as_ref().err().cloned(),
    }
}

pub fn overview(state: &AppState) -> Result<TodayOverview, IpcError> {
    Ok(state.store()?.today_overview(wijkwerk_core::today())?)
}

#[tauri::command]
pub fn app_status(state: State<'_, AppState>) -> AppStatus {
    status(&state)
}

#[tauri::command(async)]
pub fn today_overview(state: State<'_, AppState>) -> Result<TodayOverview, IpcError> {
    overview(&state)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_store_that_did_not_open_answers_every_command_with_its_error() {
        let error = IpcError::new("locked_store", "Het gegevensbestand is in gebruik.");
        let state = AppState::new(PathBuf::from("/data"), Err(error.clone()));
        assert_eq!(
            status(&state),
            AppStatus {
                data_folder: "/data".into(),
                store_error: Some(error.clone()),
            }
        );
        assert_eq!(overview(&state), Err(error));
    }

    #[test]
    fn an_open_store_gives_the_overview() {
        let store = Store::in_memory().unwrap();
        let state = AppState::new(PathBuf::from("/data"), Ok(store));
        assert_eq!(status(&state).store_error, None);
        let overview = overview(&state).unwrap();
        assert_eq!(overview.today, wijkwerk_core::today().to_string());
    }
}
