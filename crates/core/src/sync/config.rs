//! The sync settings as a person types them: the server's address, the municipality's own
//! certificate authority (a PEM file) and the sign-in token, checked and normalised here for
//! the desktop app and the command line alike. The errors say what is wrong; the shells word
//! them in the interface language.

use super::http::check_authority;
use super::SyncError;
use std::path::{Path, PathBuf};

/// What a round needs from the settings: where the server is, and whom to trust for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncConfig {
    /// `https://wijkwerk.bergen.nl`, as [`normalise_server`] gives it.
    pub server: String,
    /// The municipality's own certificate authority; `None`: the public authorities.
    pub ca_file: Option<PathBuf>,
}

/// A setting that is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingError {
    #[error("give an address starting with https:// (or http:// on a trusted network), for example https://wijkwerk.gemeente.nl")]
    ServerAddress,
    #[error("the file {file} cannot be read ({reason})")]
    AuthorityUnreadable { file: String, reason: String },
    #[error("{file} is not a certificate in PEM form (-----BEGIN CERTIFICATE-----)")]
    AuthorityNotPem { file: String },
    #[error("a token contains no spaces")]
    TokenSpaces,
}

impl SettingError {
    /// The setting it is about: `server`, `ca_file` or `token`.
    pub fn field(&self) -> &'static str {
        match self {
            SettingError::ServerAddress => "server",
            SettingError::AuthorityUnreadable { .. } | SettingError::AuthorityNotPem { .. } => {
                "ca_file"
            }
            SettingError::TokenSpaces => "token",
        }
    }
}

/// Checks and normalises a server address: empty is `None` (sync off), otherwise
/// `http(s)://host…` without a trailing slash.
pub fn normalise_server(text: &str) -> Result<Option<String>, SettingError> {
    let text = text.trim().trim_end_matches('/');
    if text.is_empty() {
        return Ok(None);
    }
    let lower = text.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"))
        .ok_or(SettingError::ServerAddress)?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    if host.is_empty()
        || host.starts_with(':')
        || host.contains('@')
        || text.chars().any(char::is_whitespace)
    {
        return Err(SettingError::ServerAddress);
    }
    Ok(Some(text.to_owned()))
}

/// Checks a certificate authority file given in the settings: empty is `None` (the public
/// authorities), otherwise a readable PEM file with at least one certificate, kept as an absolute
/// path (read again at every round, whatever folder the program started in).
pub fn check_authority_file(text: &str) -> Result<Option<PathBuf>, SettingError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let file = std::fs::canonicalize(text).unwrap_or_else(|_| PathBuf::from(text));
    let pem = std::fs::read(&file).map_err(|e| SettingError::AuthorityUnreadable {
        file: text.to_owned(),
        reason: e.to_string(),
    })?;
    check_authority(&pem).map_err(|_| SettingError::AuthorityNotPem {
        file: text.to_owned(),
    })?;
    Ok(Some(file))
}

/// A token as typed: trimmed; empty is `None` (keep the one there); spaces inside are refused.
pub fn check_token(text: &str) -> Result<Option<String>, SettingError> {
    let token = text.trim();
    if token.is_empty() {
        return Ok(None);
    }
    if token.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(SettingError::TokenSpaces);
    }
    Ok(Some(token.to_owned()))
}

/// The municipality's own certificate authority (a PEM file), read for a round.
pub fn read_authority(file: &Path) -> Result<Vec<u8>, SyncError> {
    std::fs::read(file).map_err(|e| {
        SyncError::Certificate(format!(
            "the certificate authority file {} cannot be read: {e}",
            file.display()
        ))
    })
}
