//! The Wijkwerk desktop app: a Tauri window over the core.
//!
//! Map:
//! - [`data_folder`]: which folder the app opens (`--data`, `WIJKWERK_DATA`, the OS's data
//!   folder), and creating a new store there with the demo municipality;
//! - [`commands`]: the IPC commands, thin adapters over `wijkwerk_core`;
//! - [`error`]: [`IpcError`], the `{code, message, field}` every failed command returns, in the
//!   interface language;
//! - [`settings`]: language and chosen data folder, kept in the user's config folder;
//! - [`sync`]: the background sync with the municipal server, its settings and conflicts;
//! - [`lists`]: contacts, boards and organisations exported, a board as a mailing list;
//! - [`bindings`]: the TypeScript types of the front end, generated from the Rust ones.
//! - `csp`: a watch on the Content Security Policy's refusals (read by the end-to-end tests);
//!   `capabilities` (tests only): the window's capabilities are exactly what the UI uses, and the
//!   policy stays strict.
//!
//! Invariant: the app never fails to show a window because of its data. A store that cannot be
//! opened (newer version, not a database, damaged, locked) becomes a Dutch message in the window.

pub mod bindings;
pub mod calendar;
pub mod commands;
mod csp;
pub mod data_folder;
pub mod error;
pub mod import;
pub mod lists;
pub mod reports;
pub mod settings;
pub mod sync;

#[cfg(test)]
mod capabilities;

pub use error::IpcError;

use commands::AppState;
use std::path::PathBuf;

/// Opens the data folder and runs the app until its window closes.
pub fn run() -> Result<(), tauri::Error> {
    let settings = settings::Settings::load(settings::Settings::default_file());
    error::set_language(settings.language);
    let state = match data_folder::from_environment(settings.data_folder.clone()) {
        Ok(dir) => {
            let new = data_folder::NewStore::for_server(settings.server.as_deref());
            let store = data_folder::open_or_create(&dir, new).map_err(IpcError::from);
            if let Err(error) = &store {
                eprintln!("wijkwerk: {error}");
            }
            AppState::new(dir, store, settings)
        }
        Err(error) => {
            eprintln!("wijkwerk: {error}");
            AppState::new(PathBuf::new(), Err(error), settings)
        }
    };
    tauri::Builder::default()
        .plugin(csp::watch())
        .manage(state)
        .manage(import::OpenList::default())
        .setup(|app| {
            webview_settings(app);
            sync::start(app.handle().clone());
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::app_status,
            commands::today_overview,
            commands::write_records,
            commands::get_record,
            commands::organisation_list,
            commands::contact_list,
            commands::meeting_list,
            commands::visit_list,
            commands::action_point_list,
            commands::area_tree,
            commands::area_page,
            commands::organisation_board,
            commands::contact_page,
            commands::meeting_page,
            commands::visit_page,
            commands::action_point_status,
            commands::action_point_comment,
            commands::action_point_history,
            commands::web_answers,
            commands::web_answers_seen,
            commands::accept_due_date_proposal,
            commands::request_reminder,
            commands::search,
            commands::set_language,
            commands::open_data_folder,
            commands::open_server_folder,
            commands::unlock_store,
            sync::sync_state,
            sync::sync_now,
            sync::sync_settings,
            sync::save_sync_settings,
            sync::rotate_sync_token,
            sync::sync_conflicts,
            sync::keep_conflict_value,
            sync::dismiss_conflict,
            calendar::calendar_export,
            calendar::open_exported_file,
            calendar::calendar_import,
            calendar::plan_year,
            calendar::confirm_plan,
            calendar::school_holidays,
            calendar::set_school_holiday,
            calendar::drop_school_holiday,
            reports::year_report,
            reports::export_report,
            reports::agreement_document,
            reports::kern_overview_document,
            reports::retention_review,
            reports::anonymise_contact,
            reports::erase_contact,
            reports::subject_access_document,
            reports::budget_overview,
            reports::payment_warnings,
            reports::project_list,
            reports::project_page,
            reports::agreement_list,
            reports::agreement_page,
            import::list_import_prepare,
            import::list_import_open,
            import::list_import_close,
            import::list_import_preview,
            import::list_import,
            import::list_import_undo,
            import::list_import_batches,
            lists::export_list,
            lists::board_mailing_list,
            lists::open_mailing_list,
        ])
        .run(tauri::generate_context!())
}

/// The window's web view keeps no caches meant for browsing between sites (the back/forward page
/// cache, a large memory cache): Wijkwerk is one page served from the app itself.
fn webview_settings(app: &tauri::App) {
    #[cfg(target_os = "linux")]
    if let Some(window) = tauri::Manager::get_webview_window(app, "main") {
        let _ = window.with_webview(|webview| {
            use webkit2gtk::{CacheModel, WebContextExt, WebViewExt};
            if let Some(context) = webview.inner().context() {
                context.set_cache_model(CacheModel::DocumentViewer);
            }
        });
    }
    #[cfg(not(target_os = "linux"))]
    let _ = app;
}
