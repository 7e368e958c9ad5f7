//! The sign-in token: kept in the OS keyring where one answers (Secret Service on Linux, the
//! Keychain on macOS, the Credential Manager on Windows), otherwise in a file only the user may
//! read, and then the caller says so ([`TokenStorage::File`]). The token is never logged or
//! returned in an error.
//!
//! The file: on Unix it is made with mode 0600 (never readable by others, not even for a moment)
//! and replaces the old one by a rename. Windows has no mode bits: the file lives in the user's
//! profile (the desktop app keeps it beside its settings in `%APPDATA%\wijkwerk`), whose ACLs
//! give only the user (and the machine's administrators and SYSTEM) access; nothing here changes
//! those ACLs.
//!
//! The keyring is behind [`SecretStore`], so that the choice between keyring and file is tested
//! with a keyring that answers, one that is empty and one that is not there.

use std::path::{Path, PathBuf};
use ts_rs::TS;

/// The keyring entry the desktop app keeps its token under.
pub const KEYRING_SERVICE: &str = "wijkwerk";
pub const KEYRING_USER: &str = "sync-token";
/// The name of the fallback file (beside the settings file).
pub const TOKEN_FILE: &str = "sync-token";

/// Where the token is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum TokenStorage {
    Keyring,
    File,
}

/// Why a token could not be kept.
#[derive(Debug, thiserror::Error)]
pub enum CredentialError {
    /// No keyring answered and there is no folder for the file.
    #[error("no keyring answered and there is no folder for the token file")]
    NoFolder,
    #[error("{}: {source}", file.display())]
    Io {
        file: PathBuf,
        source: std::io::Error,
    },
}

/// What a keyring answered when asked for the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretAnswer {
    Found(String),
    /// The keyring works and holds no token.
    Empty,
    /// No keyring answered (none runs, it is locked, the platform has none).
    Unavailable,
}

/// A keyring: one secret under a service and user name.
pub trait SecretStore: Send + Sync {
    fn get(&self) -> SecretAnswer;
    /// Keeps `secret`; false when the keyring did not take it.
    fn set(&self, secret: &str) -> bool;
    /// Removes the secret (nothing happens when there is none).
    fn delete(&self);
}

/// The OS keyring through the `keyring` crate.
#[derive(Debug, Clone)]
pub struct OsKeyring {
    service: String,
    user: String,
}

impl OsKeyring {
    pub fn new(service: &str, user: &str) -> OsKeyring {
        OsKeyring {
            service: service.to_owned(),
            user: user.to_owned(),
        }
    }

    fn entry(&self) -> Option<keyring::Entry> {
        keyring::Entry::new(&self.service, &self.user).ok()
    }
}

impl SecretStore for OsKeyring {
    fn get(&self) -> SecretAnswer {
        match self.entry().map(|entry| entry.get_password()) {
            Some(Ok(secret)) => SecretAnswer::Found(secret),
            Some(Err(keyring::Error::NoEntry)) => SecretAnswer::Empty,
            _ => SecretAnswer::Unavailable,
        }
    }

    fn set(&self, secret: &str) -> bool {
        self.entry()
            .is_some_and(|entry| entry.set_password(secret).is_ok())
    }

    fn delete(&self) {
        if let Some(entry) = self.entry() {
            let _ = entry.delete_credential();
        }
    }
}

/// No keyring: every token goes to the file.
struct NoKeyring;

impl SecretStore for NoKeyring {
    fn get(&self) -> SecretAnswer {
        SecretAnswer::Unavailable
    }
    fn set(&self, _secret: &str) -> bool {
        false
    }
    fn delete(&self) {}
}

/// The token's two places: a keyring and the fallback file.
pub struct TokenStore {
    keyring: Box<dyn SecretStore>,
    file: Option<PathBuf>,
}

impl TokenStore {
    /// The desktop app's token: the OS keyring's `wijkwerk`/`sync-token` entry, and the file
    /// beside `settings_file` (see [`token_file`]).
    pub fn for_settings(settings_file: Option<&Path>) -> TokenStore {
        TokenStore::new(
            Box::new(OsKeyring::new(KEYRING_SERVICE, KEYRING_USER)),
            token_file(settings_file),
        )
    }

    pub fn new(keyring: Box<dyn SecretStore>, file: Option<PathBuf>) -> TokenStore {
        TokenStore { keyring, file }
    }

    /// A token kept only in `file` (no keyring): the command line's `--save-to`.
    pub fn file_only(file: PathBuf) -> TokenStore {
        TokenStore::new(Box::new(NoKeyring), Some(file))
    }

    /// The fallback file, if there is a folder for it.
    pub fn file(&self) -> Option<&Path> {
        self.file.as_deref()
    }

    /// The token and where it is; `None` when there is none. The keyring's token first; an empty
    /// keyring may still leave one in the file (kept there before a keyring was available); a
    /// keyring that does not answer means the file.
    pub fn load(&self) -> (Option<String>, TokenStorage) {
        let from_file = || self.file.as_deref().and_then(read_token_file);
        match self.keyring.get() {
            SecretAnswer::Found(token) if !token.trim().is_empty() => {
                (Some(token.trim().to_owned()), TokenStorage::Keyring)
            }
            SecretAnswer::Found(_) | SecretAnswer::Empty => match from_file() {
                Some(token) => (Some(token), TokenStorage::File),
                None => (None, TokenStorage::Keyring),
            },
            SecretAnswer::Unavailable => (from_file(), TokenStorage::File),
        }
    }

    /// Keeps the token: in the keyring where it answers (and then removes an old file),
    /// otherwise in the file.
    pub fn save(&self, token: &str) -> Result<TokenStorage, CredentialError> {
        if self.keyring.set(token) {
            if let Some(file) = &self.file {
                let _ = std::fs::remove_file(file);
            }
            return Ok(TokenStorage::Keyring);
        }
        let file = self.file.as_deref().ok_or(CredentialError::NoFolder)?;
        write_token_file(file, token).map_err(|source| CredentialError::Io {
            file: file.to_owned(),
            source,
        })?;
        Ok(TokenStorage::File)
    }

    /// Forgets the token in both places.
    pub fn forget(&self) {
        self.keyring.delete();
        if let Some(file) = &self.file {
            let _ = std::fs::remove_file(file);
        }
    }
}

/// The fallback file: `sync-token` beside the settings file.
pub fn token_file(settings_file: Option<&Path>) -> Option<PathBuf> {
    settings_file
        .and_then(Path::parent)
        .map(|dir| dir.join(TOKEN_FILE))
}

/// Writes the token to `file`, readable and writable only by the user on Unix (0600; on Windows
/// the folder's ACLs, see the module). The file is made with those permissions and replaces the
/// old one.
pub fn write_token_file(file: &Path, token: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let temporary = file.with_extension("tmp");
    let _ = std::fs::remove_file(&temporary);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut out = options.open(&temporary)?;
    out.write_all(token.as_bytes())?;
    out.sync_all()?;
    drop(out);
    // Windows' rename replaces an existing file too (MoveFileEx with REPLACE_EXISTING).
    std::fs::rename(&temporary, file)
}

/// The token in `file`, if there is one.
pub fn read_token_file(file: &Path) -> Option<String> {
    let text = std::fs::read_to_string(file).ok()?;
    let token = text.trim();
    (!token.is_empty()).then(|| token.to_owned())
}
