//! Sync in the app: starts the core's [`SyncWorker`] with the app's store and settings, and shows
//! what it says (event `sync-state`, the command [`sync_state`]). Every decision — when a round
//! runs, the backoff with jitter, offline, the pause after a refused sign-in, progress — is the
//! core's (`wijkwerk_core::sync::scheduler` and `worker`), tested there without a window; the
//! token's keeping (keyring, or a file only the user may read) is `wijkwerk_core::sync::credentials`.
//! What stays here: the Tauri commands, the app's settings, and the words in the interface
//! language.

use crate::commands::AppState;
use crate::error::IpcError;
use crate::settings::Language;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use tauri::{AppHandle, Emitter, Manager, State};
use ts_rs::TS;
use wijkwerk_core::sync::config::{self as sync_config, SettingError, SyncConfig};
use wijkwerk_core::sync::credentials::TokenStore;
use wijkwerk_core::sync::worker::{StoreUnavailable, SyncHost, SyncWorker};
use wijkwerk_core::Store;

pub use wijkwerk_core::sync::credentials::TokenStorage;
pub use wijkwerk_core::sync::scheduler::{SyncPhase, SyncProgress, SyncState};

/// The event the front end listens to.
pub const EVENT: &str = "sync-state";

static WORKER: OnceLock<SyncWorker> = OnceLock::new();

/// What the worker sees of the app: its settings, its token and its store.
struct AppHost {
    app: AppHandle,
}

impl SyncHost for AppHost {
    fn config(&self) -> Option<SyncConfig> {
        config(&self.app.state::<AppState>())
    }

    fn load_token(&self) -> Option<String> {
        let file = self
            .app
            .state::<AppState>()
            .with_settings(|s| s.file().map(Path::to_path_buf));
        // Asked without holding the settings: a keyring may take its time (or ask to unlock).
        TokenStore::for_settings(file.as_deref()).load().0
    }

    fn with_store(&self, f: &mut dyn FnMut(&mut Store)) -> Result<(), StoreUnavailable> {
        self.app
            .state::<AppState>()
            .with_store(|store| {
                f(store);
                Ok::<_, IpcError>(())
            })
            .map_err(|e| StoreUnavailable {
                code: e.code,
                message: e.message,
            })
    }
}

fn config(state: &AppState) -> Option<SyncConfig> {
    state.with_settings(|s| {
        s.server.clone().map(|server| SyncConfig {
            server,
            ca_file: s.ca_file.clone(),
        })
    })
}

/// Starts the app's sync worker (once).
pub fn start(app: AppHandle) {
    let emitter = app.clone();
    let worker = SyncWorker::builder(Arc::new(AppHost { app }))
        .on_state(move |state| {
            let _ = emitter.emit(EVENT, state);
        })
        .build();
    if WORKER.set(worker).is_err() {
        return;
    }
    if let Some(Err(error)) = WORKER.get().map(SyncWorker::start) {
        eprintln!("wijkwerk: sync cannot start: {error}");
    }
}

/// A local change was written: sync it soon. Does nothing when the worker does not run.
pub fn poke() {
    if let Some(worker) = WORKER.get() {
        worker.poke();
    }
}

/// Another data folder was opened: it gets a round of its own at once (its outbox and cursor
/// are its own), and the status line shows its numbers.
pub fn folder_changed(_state: &AppState) {
    if let Some(worker) = WORKER.get() {
        worker.settings_changed(None);
    }
}

/// Where sync stands: the worker's word, or (before it started) the store's numbers.
fn current(state: &AppState) -> SyncState {
    match WORKER.get() {
        Some(worker) => worker.state(),
        None => {
            let server = config(state).map(|c| c.server);
            let status = state.with_store(|s| s.sync_status()).ok();
            let phase = if server.is_some() {
                SyncPhase::Idle
            } else {
                SyncPhase::Off
            };
            SyncState::new(phase, server, status.as_ref(), None, 0, None)
        }
    }
}

/// Publishes the state anew (after conflicts were reviewed, settings saved).
fn republish() {
    if let Some(worker) = WORKER.get() {
        worker.republish();
    }
}

// ---------------------------------------------------------------------------------------------
// Settings.

/// The sync settings as the front end sees them (never the token itself).
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct SyncSettings {
    pub server: Option<String>,
    pub has_token: bool,
    pub token_storage: TokenStorage,
    /// Said when the token is in a file rather than the OS keyring.
    pub warning: Option<String>,
    /// The municipality's own certificate authority (a PEM file), when one is set.
    pub ca_file: Option<String>,
}

fn words(language: Language, nl: &str, en: &str) -> String {
    match language {
        Language::Nl => nl.to_owned(),
        Language::En => en.to_owned(),
    }
}

/// Said when the token is kept in a file: on Unix readable only by the user (0600), on Windows
/// in the user's profile (`%APPDATA%`, whose permissions admit only the user).
fn file_warning(language: Language, file: Option<&Path>) -> String {
    let place = file.map(|f| f.display().to_string()).unwrap_or_default();
    match language {
        Language::Nl => format!(
            "Het token staat in een bestand ({place}) dat alleen jij kunt lezen, omdat er op deze computer geen sleutelbos beschikbaar is."
        ),
        Language::En => format!(
            "The token is kept in a file ({place}) that only you can read, because this computer has no keyring available."
        ),
    }
}

/// A refused sync setting, in the interface language, with its field.
fn setting_refused(error: &SettingError, language: Language) -> IpcError {
    let message = match (error, language) {
        (SettingError::ServerAddress, Language::Nl) => "Geef een adres dat begint met https:// (of http:// op een vertrouwd netwerk), bijvoorbeeld https://wijkwerk.gemeente.nl.".to_owned(),
        (SettingError::ServerAddress, Language::En) => "Give an address starting with https:// (or http:// on a trusted network), for example https://wijkwerk.gemeente.nl.".to_owned(),
        (SettingError::AuthorityUnreadable { file, reason }, Language::Nl) => {
            format!("Het bestand {file} kan niet worden gelezen ({reason}).")
        }
        (SettingError::AuthorityUnreadable { file, reason }, Language::En) => {
            format!("The file {file} cannot be read ({reason}).")
        }
        (SettingError::AuthorityNotPem { file }, Language::Nl) => {
            format!("{file} is geen certificaat in PEM-vorm (-----BEGIN CERTIFICATE-----).")
        }
        (SettingError::AuthorityNotPem { file }, Language::En) => {
            format!("{file} is not a certificate in PEM form (-----BEGIN CERTIFICATE-----).")
        }
        (SettingError::TokenSpaces, language) => {
            words(language, "Een token bevat geen spaties.", "A token contains no spaces.")
        }
    };
    IpcError {
        code: "invalid".into(),
        message,
        field: Some(error.field().into()),
    }
}

/// Checks a certificate authority file given in the settings (see
/// [`wijkwerk_core::sync::config::check_authority_file`]).
pub fn check_authority_file(text: &str, language: Language) -> Result<Option<PathBuf>, IpcError> {
    sync_config::check_authority_file(text).map_err(|e| setting_refused(&e, language))
}

/// Checks and normalises a server address (see
/// [`wijkwerk_core::sync::config::normalise_server`]).
pub fn normalise_server(text: &str, language: Language) -> Result<Option<String>, IpcError> {
    sync_config::normalise_server(text).map_err(|e| setting_refused(&e, language))
}

fn settings_view(state: &AppState) -> SyncSettings {
    let (server, language, file, ca_file) = state.with_settings(|s| {
        (
            s.server.clone(),
            s.language,
            s.file().map(Path::to_path_buf),
            s.ca_file.clone(),
        )
    });
    let tokens = TokenStore::for_settings(file.as_deref());
    let (token, storage) = tokens.load();
    SyncSettings {
        ca_file: ca_file.map(|f| f.display().to_string()),
        server,
        has_token: token.is_some(),
        token_storage: storage,
        warning: (storage == TokenStorage::File).then(|| file_warning(language, tokens.file())),
    }
}

// ---------------------------------------------------------------------------------------------
// Conflicts.

/// A conflict to review, with the name of its record.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct ConflictView {
    pub seq: i64,
    pub entity: String,
    pub record_id: String,
    /// The record's name or title, when it has one.
    pub record_label: Option<String>,
    pub field: String,
    /// The value that lost (here or on another laptop).
    #[ts(type = "unknown")]
    pub lost_value: serde_json::Value,
    /// The value that was kept.
    #[ts(type = "unknown")]
    pub won_value: serde_json::Value,
    pub recorded_at: String,
}

fn record_label(store: &Store, entity: &str, id: &str) -> Option<String> {
    let entity = entity.parse::<wijkwerk_core::Entity>().ok()?;
    let id = uuid::Uuid::parse_str(id).ok()?;
    let record = store.get(entity, id).ok()?;
    ["name", "title", "subject", "description"]
        .iter()
        .find_map(|field| record.get(*field).and_then(|v| v.as_str()))
        .map(str::to_owned)
}

/// The conflicts to review (newest first), as the CLI's `conflicts` lists them.
pub fn conflicts(store: &Store) -> wijkwerk_core::Result<Vec<ConflictView>> {
    Ok(store
        .conflicts(false, 500)?
        .into_iter()
        .map(|c| ConflictView {
            record_label: record_label(store, &c.entity, &c.record_id),
            seq: c.seq,
            entity: c.entity,
            record_id: c.record_id,
            field: c.field,
            lost_value: c.lost_value,
            won_value: c.won_value,
            recorded_at: c.recorded_at,
        })
        .collect())
}

// ---------------------------------------------------------------------------------------------
// Commands.

/// Where sync stands now (the same as the `sync-state` event).
#[tauri::command(async)]
pub fn sync_state(state: State<'_, AppState>) -> SyncState {
    current(&state)
}

/// A round now ("Nu synchroniseren", and when the web view reports the network back).
#[tauri::command(async)]
pub fn sync_now(state: State<'_, AppState>) -> SyncState {
    if let Some(worker) = WORKER.get() {
        worker.sync_now();
    }
    current(&state)
}

#[tauri::command(async)]
pub fn sync_settings(state: State<'_, AppState>) -> SyncSettings {
    settings_view(&state)
}

/// Sets the server (empty: sync off) and, when given, a new token (empty: keep the one there).
#[tauri::command(async)]
pub fn save_sync_settings(
    state: State<'_, AppState>,
    server: String,
    token: Option<String>,
    ca_file: Option<String>,
) -> Result<SyncSettings, IpcError> {
    let (language, file) = state.with_settings(|s| (s.language, s.file().map(Path::to_path_buf)));
    let server = normalise_server(&server, language)?;
    // Checked only when there is a server to trust it for: turning sync off always works.
    let ca_file = match server {
        Some(_) => check_authority_file(ca_file.as_deref().unwrap_or(""), language)?,
        None => None,
    };
    let token = sync_config::check_token(token.as_deref().unwrap_or(""))
        .map_err(|e| setting_refused(&e, language))?;
    if let Some(token) = &token {
        TokenStore::for_settings(file.as_deref())
            .save(token)
            .map_err(|detail| IpcError {
                code: "io".into(),
                message: format!(
                    "{} ({detail})",
                    words(
                        language,
                        "Het token kon niet worden bewaard",
                        "The token could not be kept"
                    )
                ),
                field: Some("token".into()),
            })?;
    }
    state.with_settings(|s| {
        s.server = server.clone();
        s.ca_file = ca_file;
        s.save()
    })?;
    match WORKER.get() {
        // A new token is used as given; otherwise it is loaded again for the next round.
        Some(worker) => worker.settings_changed(token),
        None => republish(),
    }
    Ok(settings_view(&state))
}

/// When the new token from [`rotate_sync_token`] expires (UTC instant) and where it is kept.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct TokenRenewed {
    pub expires_at: String,
    pub settings: SyncSettings,
}

/// "Nieuw token aanvragen": asks the server for a new token in place of the one kept, keeps it
/// where the old one was (keyring or file), and gives it to the worker. The store and its
/// waiting changes are not touched; they go out with the new token at the next round. When the
/// answer is lost or the new token cannot be kept, the old token still works (the server keeps
/// it valid until the new one is first used).
#[tauri::command(async)]
pub fn rotate_sync_token(state: State<'_, AppState>) -> Result<TokenRenewed, IpcError> {
    use wijkwerk_core::sync::http::HttpTransport;
    use wijkwerk_core::sync::{rotate_token, RotateError};
    let (language, file) = state.with_settings(|s| (s.language, s.file().map(Path::to_path_buf)));
    let refused = |message: String, code: &str| IpcError {
        code: code.into(),
        message,
        field: None,
    };
    let config = config(&state).ok_or_else(|| {
        refused(
            words(language, "Stel eerst een server in.", "Set a server first."),
            "invalid",
        )
    })?;
    let tokens = TokenStore::for_settings(file.as_deref());
    let token = tokens.load().0.ok_or_else(|| {
        refused(
            words(
                language,
                "Er is nog geen token bewaard; vul het token in dat je van de beheerder kreeg.",
                "No token is kept yet; fill in the token the administrator gave you.",
            ),
            "no_token",
        )
    })?;
    let authority = match &config.ca_file {
        Some(path) => Some(
            std::fs::read(path).map_err(|e| refused(format!("{}: {e}", path.display()), "io"))?,
        ),
        None => None,
    };
    let mut transport = HttpTransport::with_authority(
        &config.server,
        &token,
        std::time::Duration::from_secs(30),
        authority.as_deref(),
    )
    .map_err(|e| refused(e.to_string(), e.code()))?;
    let (new_token, rotated) = rotate_token(&mut transport, &tokens).map_err(|e| match e {
        RotateError::Sync(e) => {
            let message = match (e.code(), language) {
                ("token_expired", Language::Nl) => "Je token is verlopen; vraag een nieuw token aan bij de beheerder van de gemeente.".to_owned(),
                ("token_expired", Language::En) => "Your token has expired; ask the municipality's administrator for a new one.".to_owned(),
                ("unauthorized", Language::Nl) => "De server kent dit token niet (meer); vraag een nieuw token aan bij de beheerder van de gemeente.".to_owned(),
                ("unauthorized", Language::En) => "The server does not know this token (any more); ask the municipality's administrator for a new one.".to_owned(),
                ("offline", Language::Nl) => format!("De server is niet bereikbaar; je huidige token blijft werken. ({e})"),
                ("offline", Language::En) => format!("The server cannot be reached; your current token keeps working. ({e})"),
                (_, Language::Nl) => format!("Er kon geen nieuw token worden aangevraagd; je huidige token blijft werken. ({e})"),
                (_, Language::En) => format!("No new token could be had; your current token keeps working. ({e})"),
            };
            refused(message, e.code())
        }
        RotateError::NotKept(detail) => refused(
            format!(
                "{} ({detail})",
                words(
                    language,
                    "Het nieuwe token kon niet worden bewaard; je huidige token blijft werken. Probeer het opnieuw",
                    "The new token could not be kept; your current token keeps working. Try again"
                )
            ),
            "io",
        ),
    })?;
    match WORKER.get() {
        // The new token from now on; a round paused on an expired token starts again.
        Some(worker) => worker.settings_changed(Some(new_token)),
        None => republish(),
    }
    Ok(TokenRenewed {
        expires_at: rotated.expires_at,
        settings: settings_view(&state),
    })
}

/// The conflicts to review.
#[tauri::command(async)]
pub fn sync_conflicts(state: State<'_, AppState>) -> Result<Vec<ConflictView>, IpcError> {
    state.with_store(|s| conflicts(s))
}

/// "Mijn waarde terugzetten": the value that lost becomes a new edit; the conflict is reviewed.
#[tauri::command(async)]
pub fn keep_conflict_value(state: State<'_, AppState>, seq: i64) -> Result<(), IpcError> {
    state.with_store(|s| s.keep_lost_value(seq))?;
    poke();
    republish();
    Ok(())
}

/// "Negeren": the value that won stays; the conflict is reviewed.
#[tauri::command(async)]
pub fn dismiss_conflict(state: State<'_, AppState>, seq: i64) -> Result<(), IpcError> {
    state.with_store(|s| s.resolve_conflict(seq))?;
    republish();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_certificate_authority_file_must_hold_a_pem_certificate() {
        let dir = tempfile::tempdir().unwrap();
        let ca = rcgen::generate_simple_self_signed(vec!["wijkwerk.bergen.nl".into()]).unwrap();
        let pem = dir.path().join("gemeente-ca.pem");
        std::fs::write(&pem, ca.cert.pem()).unwrap();
        let text = pem.display().to_string();
        assert_eq!(
            check_authority_file(&format!("  {text} "), Language::Nl),
            Ok(Some(std::fs::canonicalize(&pem).unwrap()))
        );
        assert_eq!(check_authority_file("", Language::Nl), Ok(None));

        let not_pem = dir.path().join("notities.txt");
        std::fs::write(&not_pem, "geen certificaat").unwrap();
        let refused = check_authority_file(&not_pem.display().to_string(), Language::Nl)
            .expect_err("not a certificate");
        assert_eq!(refused.field.as_deref(), Some("ca_file"));
        assert!(
            refused.message.contains("geen certificaat in PEM-vorm"),
            "{refused:?}"
        );

        let missing = dir.path().join("weg.pem");
        let refused = check_authority_file(&missing.display().to_string(), Language::En)
            .expect_err("no such file");
        assert!(refused.message.starts_with("The file"), "{refused:?}");
    }

    #[test]
    fn server_addresses_are_checked() {
        let nl = Language::Nl;
        assert_eq!(normalise_server("  ", nl).unwrap(), None);
        assert_eq!(
            normalise_server(" https://wijkwerk.bergen.nl/ ", nl).unwrap(),
            Some("https://wijkwerk.bergen.nl".into())
        );
        assert_eq!(
            normalise_server("http://127.0.0.1:8443", nl).unwrap(),
            Some("http://127.0.0.1:8443".into())
        );
        for bad in [
            "wijkwerk.bergen.nl",
            "ftp://x",
            "https://",
            "https:// spatie.nl",
            "https://:80",
            "https://user@host",
        ] {
            let error = normalise_server(bad, nl).unwrap_err();
            assert_eq!(error.field.as_deref(), Some("server"), "{bad}");
        }
    }

    #[test]
    fn the_warning_names_the_file_in_the_chosen_language() {
        let file = PathBuf::from("/home/an/.config/wijkwerk/sync-token");
        assert!(file_warning(Language::Nl, Some(&file))
            .starts_with("Het token staat in een bestand (/home/an/.config/wijkwerk/sync-token)"));
        assert!(file_warning(Language::En, Some(&file)).starts_with("The token is kept in a file"));
    }

    #[test]
    fn conflicts_are_listed_with_their_record_and_kept_or_dismissed() {
        use std::collections::BTreeMap;
        use wijkwerk_core::protocol::{Hlc, NodeId, RecordChange, StampedValue};
        use wijkwerk_core::Entity;
        let mut store = Store::in_memory().unwrap();
        assert!(conflicts(&store).unwrap().is_empty());
        let fields = serde_json::json!({"name": "Lokaal"});
        let id = store
            .create(Entity::Contact, fields.as_object().unwrap().clone())
            .unwrap();
        let far_future = Hlc::new(u64::from(u32::MAX) * 1000, 0, NodeId(9));
        let change = RecordChange {
            entity: "contact".into(),
            id,
            fields: BTreeMap::from([(
                "name".into(),
                StampedValue::new(serde_json::json!("Van de server"), far_future),
            )]),
        };
        store.merge(&[change], |_| Ok(())).unwrap();
        let list = conflicts(&store).unwrap();
        assert_eq!(list.len(), 1);
        let c = &list[0];
        assert_eq!(c.entity, "contact");
        assert_eq!(c.field, "name");
        assert_eq!(c.record_label.as_deref(), Some("Van de server"));
        assert_eq!(c.lost_value, serde_json::json!("Lokaal"));
        assert_eq!(c.won_value, serde_json::json!("Van de server"));
        store.keep_lost_value(c.seq).unwrap();
        assert!(conflicts(&store).unwrap().is_empty());
        assert_eq!(store.get(Entity::Contact, id).unwrap()["name"], "Lokaal");
    }
}
