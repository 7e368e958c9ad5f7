//! The Wijkwerk desktop app: a Tauri window over the core.
//!
//! Map:
//! - [`data_folder`]: which folder the app opens (`--data`, `WIJKWERK_DATA`, the OS's data
//!   folder), and creating a new store there with the demo municipality;
//! - [`commands`]: the IPC commands, thin adapters over `wijkwerk_core`;
//! - [`error`]: [`IpcError`], the `{code, message}` every failed command returns, in Dutch.
//!
//! Invariant: the app never fails to show a window because of its data. A store that cannot be
//! opened (newer version, not a database, damaged, locked) becomes a Dutch message in the window.

pub mod commands;
pub mod data_folder;
pub mod error;

pub use error::IpcError;

use commands::AppState;
use std::path::PathBuf;

/// Opens the data folder and runs the app until its window closes.
pub fn run() -> Result<(), tauri::Error> {
    let state = match data_folder::from_environment() {
        Ok(dir) => {
            let store = data_folder::open_or_create(&dir).map_err(IpcError::from);
            if let Err(error) = &store {
                eprintln!("wijkwerk: {error}");
            }
            AppState::new(dir, store)
        }
        Err(error) => {
            eprintln!("wijkwerk: {error}");
            AppState::new(PathBuf::new(), Err(error))
        }
    };
    tauri::Builder::default()
        .manage(state)
        .invoke_handler(tauri::generate_handler![
            commands::app_status,
            commands::today_overview
        ])
        .run(tauri::generate_context!())
}
