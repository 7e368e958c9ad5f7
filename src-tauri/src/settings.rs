//! The user's settings: the interface language and the data folder chosen in the app. Kept as
//! JSON in the OS's per-user config folder (`~/.config/wijkwerk/settings.json` on Linux), or
//! where `WIJKWERK_SETTINGS` points (tests use that). A missing or unreadable file gives the
//! defaults (Dutch, the default data folder); the app never fails to start over it.

use crate::error::IpcError;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use ts_rs::TS;

/// The environment variable that names the settings file.
pub const ENV_VAR: &str = "WIJKWERK_SETTINGS";

/// The interface language.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    #[default]
    Nl,
    En,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    pub language: Language,
    /// The data folder last opened from the app (used when neither `--data` nor
    /// `WIJKWERK_DATA` names one).
    pub data_folder: Option<PathBuf>,
    /// The municipal sync server (`https://wijkwerk.bergen.nl`); `None` means sync is off. The
    /// sign-in token is not kept here but in the OS keyring, or in a file beside this one that
    /// only the user can read (see `wijkwerk_core::sync::credentials`).
    pub server: Option<String>,
    /// A PEM file with the municipality's own certificate authority, trusted instead of the
    /// public ones for the sync server; `None`: the public authorities.
    pub ca_file: Option<PathBuf>,
    /// Where these settings are kept; `None` when there is nowhere to keep them.
    #[serde(skip)]
    pub file: Option<PathBuf>,
}

impl Settings {
    /// The settings file of this user.
    pub fn default_file() -> Option<PathBuf> {
        match std::env::var_os(ENV_VAR).filter(|v| !v.is_empty()) {
            Some(file) => Some(PathBuf::from(file)),
            None => dirs::config_dir().map(|d| d.join("wijkwerk").join("settings.json")),
        }
    }

    /// Reads the settings from `file`; defaults when it is missing or unreadable.
    pub fn load(file: Option<PathBuf>) -> Settings {
        let mut settings = file
            .as_deref()
            .and_then(|f| std::fs::read(f).ok())
            .and_then(|bytes| serde_json::from_slice::<Settings>(&bytes).ok())
            .unwrap_or_default();
        settings.file = file;
        settings
    }

    /// Writes the settings (to a new file first, then renamed over the old one).
    pub fn save(&self) -> Result<(), IpcError> {
        let Some(file) = &self.file else {
            return Ok(());
        };
        let failed = |e: std::io::Error| {
            IpcError::new(
                "io",
                format!(
                    "{} ({}: {e})",
                    crate::error::text("settings_not_saved"),
                    file.display()
                ),
            )
        };
        if let Some(dir) = file.parent() {
            std::fs::create_dir_all(dir).map_err(failed)?;
        }
        let json = serde_json::to_vec_pretty(self).map_err(|e| failed(std::io::Error::other(e)))?;
        let temporary = file.with_extension("json.tmp");
        std::fs::write(&temporary, json).map_err(failed)?;
        std::fs::rename(&temporary, file).map_err(failed)
    }

    pub fn file(&self) -> Option<&Path> {
        self.file.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_survive_a_restart_and_garbage_gives_the_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("sub").join("settings.json");
        let mut settings = Settings::load(Some(file.clone()));
        assert_eq!(settings.language, Language::Nl);
        settings.language = Language::En;
        settings.data_folder = Some(PathBuf::from("/elders"));
        settings.save().unwrap();
        let again = Settings::load(Some(file.clone()));
        assert_eq!(again.language, Language::En);
        assert_eq!(again.data_folder, Some(PathBuf::from("/elders")));
        std::fs::write(&file, "{niet: json").unwrap();
        assert_eq!(Settings::load(Some(file)).language, Language::Nl);
    }
}
