//! The configuration file (`--config /etc/wijkwerk/server.toml`), beside the command line.
//!
//! The file holds the same settings as the flags of `serve`, one key each (`db`, `listen`,
//! `tls_cert`, `tls_key`, `max_clock_skew`); a flag given on the command line wins over the file.
//! Two keys have no flag: `audit_retention_days` (how long the audit log keeps its rows) and
//! `token_lifetime_days` (how long a new token is valid). The admin commands read `db` from it,
//! `user add` also `token_lifetime_days` and `audit purge` `audit_retention_days`. An unknown key or a value of the wrong kind is
//! refused whole, with the file, the line and the key, before anything is opened. Relative
//! paths in the file are read from the file's own folder.
//!
//! Also without a flag: `public_url` (the address colleagues open, for links in e-mail) and the
//! `[smtp]` table (the mail server, see [`crate::mail`]; without it no mail is sent). The
//! password of the mail server is `password` or `password_file` (read when the file is loaded).

use crate::mail::{SmtpSecurity, SmtpSettings};
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// Where `serve` listens when neither the flag nor the file says.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8443";
/// How far ahead of the server's clock a change may be stamped when nothing says (seconds).
pub const DEFAULT_MAX_CLOCK_SKEW: u64 = 300;
/// How long one e-mail may take to send when `[smtp]` does not say (seconds), and the most.
pub const DEFAULT_SMTP_TIMEOUT_SECONDS: u64 = crate::mail::DEFAULT_TIMEOUT.as_secs();
pub const MAX_SMTP_TIMEOUT_SECONDS: u64 = 120;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration file {file}: cannot read it: {source}")]
    Read {
        file: PathBuf,
        source: std::io::Error,
    },
    #[error("configuration file {file}, line {line}, key `{key}`: {message}")]
    Key {
        file: PathBuf,
        line: usize,
        key: String,
        message: String,
    },
    #[error("configuration file {file}, line {line}: {message}")]
    Line {
        file: PathBuf,
        line: usize,
        message: String,
    },
    #[error("{0}")]
    Missing(String),
    #[error("{0}")]
    Conflict(String),
}

/// The file's keys, each with where it stood (for messages about it after parsing).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Keys {
    db: Option<Spanned<String>>,
    listen: Option<Spanned<SocketAddr>>,
    tls_cert: Option<Spanned<PathBuf>>,
    tls_key: Option<Spanned<PathBuf>>,
    max_clock_skew: Option<Spanned<u64>>,
    audit_retention_days: Option<Spanned<u32>>,
    token_lifetime_days: Option<Spanned<u32>>,
    public_url: Option<Spanned<String>>,
    weekly_reminders: Option<Spanned<bool>>,
    smtp: Option<Spanned<SmtpKeys>>,
}

/// The keys of the `[smtp]` table.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct SmtpKeys {
    host: Option<Spanned<String>>,
    port: Option<Spanned<u16>>,
    security: Option<Spanned<String>>,
    username: Option<Spanned<String>>,
    password: Option<Spanned<String>>,
    password_file: Option<Spanned<PathBuf>>,
    from: Option<Spanned<String>>,
    timeout_seconds: Option<Spanned<u64>>,
}

/// A configuration file, read and checked.
pub struct ConfigFile {
    path: PathBuf,
    text: String,
    keys: Keys,
    public_url: Option<String>,
    smtp: Option<SmtpSettings>,
}

impl std::fmt::Debug for ConfigFile {
    // Not the text nor the keys: they may hold passwords.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConfigFile")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl ConfigFile {
    /// Reads and checks the file: every key known, every value of its kind.
    pub fn load(path: &Path) -> Result<ConfigFile, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            file: path.to_path_buf(),
            source,
        })?;
        ConfigFile::parse(path, text)
    }

    /// Checks `text` as the contents of the file at `path`.
    pub fn parse(path: &Path, text: String) -> Result<ConfigFile, ConfigError> {
        let keys: Keys = toml::from_str(&text).map_err(|e| {
            let at = e.span().map(|s| s.start).unwrap_or(0);
            let message = e
                .message()
                .replace("unknown field", "unknown key")
                .replace("expected u64", "expected a whole number of seconds")
                .replace("expected u16", "expected a port number (1 to 65535)")
                .replace("expected u32", "expected a whole number of days");
            located(path, &text, at, message)
        })?;
        let mut file = ConfigFile {
            path: path.to_path_buf(),
            text,
            keys,
            public_url: None,
            smtp: None,
        };
        if let Some(db) = &file.keys.db {
            if db.get_ref().trim().is_empty() {
                return Err(file.error_at(db.span().start, "the database may not be empty"));
            }
        }
        if let Some(days) = &file.keys.audit_retention_days {
            if *days.get_ref() < crate::audit::MIN_RETENTION_DAYS {
                return Err(file.error_at(
                    days.span().start,
                    &format!(
                        "the audit log is kept at least {} days",
                        crate::audit::MIN_RETENTION_DAYS
                    ),
                ));
            }
        }
        if let Some(days) = &file.keys.token_lifetime_days {
            if !(1..=crate::auth::MAX_TOKEN_LIFETIME_DAYS).contains(days.get_ref()) {
                return Err(file.error_at(
                    days.span().start,
                    &format!(
                        "a token lives 1 to {} days",
                        crate::auth::MAX_TOKEN_LIFETIME_DAYS
                    ),
                ));
            }
        }
        if let Some(url) = &file.keys.public_url {
            let checked = public_url(url.get_ref())
                .map_err(|message| file.error_at(url.span().start, &message))?;
            file.public_url = Some(checked);
        }
        file.smtp = file.smtp_settings()?;
        Ok(file)
    }

    /// The `[smtp]` table, checked: `None` when there is none (or it is empty).
    fn smtp_settings(&self) -> Result<Option<SmtpSettings>, ConfigError> {
        let Some(table) = &self.keys.smtp else {
            return Ok(None);
        };
        let keys = table.get_ref();
        let Some(host) = &keys.host else {
            let empty = keys.port.is_none()
                && keys.security.is_none()
                && keys.username.is_none()
                && keys.password.is_none()
                && keys.password_file.is_none()
                && keys.from.is_none()
                && keys.timeout_seconds.is_none();
            if empty {
                return Ok(None);
            }
            return Err(self.error_at(
                table.span().start,
                "the [smtp] table has no `host` (the mail server, such as smtp.gemeente.nl)",
            ));
        };
        let host_name = host.get_ref().trim();
        let host_ok = !host_name.is_empty()
            && !host_name.contains(|c: char| c.is_whitespace() || matches!(c, '/' | '[' | ']'))
            && (!host_name.contains(':') || host_name.parse::<std::net::Ipv6Addr>().is_ok());
        if !host_ok {
            return Err(self.error_at(
                host.span().start,
                "expected the name or address of the mail server, such as smtp.gemeente.nl (the port is `port`)",
            ));
        }
        let security = match &keys.security {
            None => SmtpSecurity::StartTls,
            Some(security) => match security.get_ref().trim().to_ascii_lowercase().as_str() {
                "starttls" => SmtpSecurity::StartTls,
                "tls" => SmtpSecurity::Tls,
                "none" if crate::mail::plain_allowed(host_name) => SmtpSecurity::None,
                "none" => {
                    return Err(self.error_at(
                        security.span().start,
                        &format!("unencrypted SMTP (security \"none\") is only allowed to this machine (localhost), not to {host_name}: use \"starttls\" or \"tls\""),
                    ))
                }
                _ => {
                    return Err(self.error_at(
                        security.span().start,
                        "expected \"starttls\" (port 587), \"tls\" (port 465) or \"none\" (localhost only)",
                    ))
                }
            },
        };
        let port = match &keys.port {
            Some(port) if *port.get_ref() == 0 => {
                return Err(self.error_at(port.span().start, "the port may not be 0"));
            }
            Some(port) => *port.get_ref(),
            None => security.default_port(),
        };
        let password = match (&keys.password, &keys.password_file) {
            (Some(_), Some(file)) => {
                return Err(self.error_at(
                    file.span().start,
                    "give `password` or `password_file`, not both",
                ));
            }
            (Some(password), None) => Some(password.get_ref().clone()),
            (None, Some(file)) => {
                let path = self.relative(file.get_ref());
                let text = std::fs::read_to_string(&path).map_err(|e| {
                    self.error_at(
                        file.span().start,
                        &format!("cannot read {}: {e}", path.display()),
                    )
                })?;
                let password = text.trim_end_matches(['\n', '\r']).to_owned();
                if password.is_empty() {
                    return Err(
                        self.error_at(file.span().start, &format!("{} is empty", path.display()))
                    );
                }
                Some(password)
            }
            (None, None) => None,
        };
        let username = keys
            .username
            .as_ref()
            .map(|u| u.get_ref().trim().to_owned());
        match (&keys.username, &password) {
            (Some(user), None) => {
                return Err(self.error_at(
                    user.span().start,
                    "a username needs a password (`password` or `password_file`)",
                ));
            }
            (Some(user), Some(_)) if user.get_ref().trim().is_empty() => {
                return Err(self.error_at(user.span().start, "the username may not be empty"));
            }
            (None, Some(_)) => {
                let at = keys
                    .password
                    .as_ref()
                    .map(|p| p.span().start)
                    .or_else(|| keys.password_file.as_ref().map(|p| p.span().start))
                    .unwrap_or(table.span().start);
                return Err(self.error_at(at, "a password needs a `username`"));
            }
            _ => {}
        }
        let Some(from) = &keys.from else {
            return Err(self.error_at(
                table.span().start,
                "the [smtp] table has no `from` (the sender, such as \"Wijkwerk <wijkwerk@gemeente.nl>\")",
            ));
        };
        if let Err(e) = crate::mail::mailbox(from.get_ref()) {
            return Err(self.error_at(
                from.span().start,
                &format!("expected a sender such as \"Wijkwerk <wijkwerk@gemeente.nl>\" ({e})"),
            ));
        }
        let timeout_seconds = match &keys.timeout_seconds {
            Some(t) if !(1..=MAX_SMTP_TIMEOUT_SECONDS).contains(t.get_ref()) => {
                return Err(self.error_at(
                    t.span().start,
                    &format!("the timeout is 1 to {MAX_SMTP_TIMEOUT_SECONDS} seconds"),
                ));
            }
            Some(t) => *t.get_ref(),
            None => DEFAULT_SMTP_TIMEOUT_SECONDS,
        };
        Ok(Some(SmtpSettings {
            host: host_name.to_owned(),
            port,
            security,
            username,
            password,
            from: from.get_ref().trim().to_owned(),
            timeout: std::time::Duration::from_secs(timeout_seconds),
        }))
    }

    /// `public_url`: the address colleagues open (`https://wijkwerk.gemeente.nl`), without a
    /// trailing slash.
    pub fn public_url(&self) -> Option<&str> {
        self.public_url.as_deref()
    }

    /// The `[smtp]` table: the mail server. `None`: no mail is sent.
    pub fn smtp(&self) -> Option<&SmtpSettings> {
        self.smtp.as_ref()
    }

    /// `audit_retention_days`, or the default.
    pub fn audit_retention_days(&self) -> u32 {
        self.keys
            .audit_retention_days
            .as_ref()
            .map_or(crate::audit::DEFAULT_RETENTION_DAYS, |d| *d.get_ref())
    }

    /// `token_lifetime_days`, or the default.
    pub fn token_lifetime_days(&self) -> u32 {
        self.keys
            .token_lifetime_days
            .as_ref()
            .map_or(crate::auth::DEFAULT_TOKEN_LIFETIME_DAYS, |d| *d.get_ref())
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// `db`: an SQLite file (relative to the file's folder) or a `postgres://` URL.
    pub fn db(&self) -> Option<String> {
        self.keys.db.as_ref().map(|db| {
            let db = db.get_ref().trim();
            if is_postgres_url(db) {
                db.to_owned()
            } else {
                self.relative(Path::new(db)).display().to_string()
            }
        })
    }

    fn relative(&self, path: &Path) -> PathBuf {
        match self.path.parent() {
            Some(folder) if path.is_relative() => folder.join(path),
            _ => path.to_path_buf(),
        }
    }

    fn error_at(&self, at: usize, message: &str) -> ConfigError {
        located(&self.path, &self.text, at, message.to_owned())
    }
}

/// An error at byte `at` of the file: its line, and the key on that line if there is one.
fn located(path: &Path, text: &str, at: usize, message: String) -> ConfigError {
    let at = at.min(text.len());
    let line = text[..at].matches('\n').count() + 1;
    let line_text = text.lines().nth(line - 1).unwrap_or_default();
    let key = line_text
        .split_once('=')
        .map(|(key, _)| key.trim().trim_matches(['"', '\'']).to_owned())
        .filter(|key| !key.is_empty() && !key.starts_with('#'));
    let file = path.to_path_buf();
    match key {
        Some(key) => ConfigError::Key {
            file,
            line,
            key,
            message,
        },
        None => ConfigError::Line {
            file,
            line,
            message,
        },
    }
}

/// A `public_url`, checked: `http(s)://host[:port][/path]`, no user, query or fragment; without
/// a trailing slash.
fn public_url(text: &str) -> Result<String, String> {
    const EXAMPLE: &str = "such as https://wijkwerk.gemeente.nl";
    let url = text.trim();
    let lower = url.to_ascii_lowercase();
    let (scheme, rest) = if lower.starts_with("https://") {
        ("https://", &url[8..])
    } else if lower.starts_with("http://") {
        ("http://", &url[7..])
    } else {
        return Err(format!(
            "expected an http:// or https:// address, {EXAMPLE}"
        ));
    };
    if url.contains(['?', '#']) {
        return Err(format!(
            "expected the address without a query (?) or fragment (#), {EXAMPLE}"
        ));
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!("expected an address without spaces, {EXAMPLE}"));
    }
    let authority = rest.split('/').next().unwrap_or_default();
    if authority.contains('@') {
        return Err("expected an address without a user or password".to_owned());
    }
    let (host, port) = match authority.strip_prefix('[') {
        Some(v6) => match v6.split_once(']') {
            Some((host, after)) => (host, after.strip_prefix(':')),
            None => return Err(format!("expected a host, {EXAMPLE}")),
        },
        None => match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        },
    };
    let host_ok = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | ':'));
    if !host_ok {
        return Err(format!("expected a host, {EXAMPLE}"));
    }
    if let Some(port) = port {
        if port.parse::<u16>().map_or(true, |p| p == 0) {
            return Err(format!("expected a port number after the host, {EXAMPLE}"));
        }
    }
    Ok(format!("{scheme}{}", rest.trim_end_matches('/')))
}

pub fn is_postgres_url(db: &str) -> bool {
    db.starts_with("postgres://") || db.starts_with("postgresql://")
}

/// What `serve` was given on its command line (`None`: not given).
#[derive(Debug, Default, Clone)]
pub struct ServeFlags {
    pub db: Option<String>,
    pub listen: Option<SocketAddr>,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    pub max_clock_skew: Option<u64>,
}

/// The settings `serve` runs with: flags over the file over the defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServeSettings {
    pub db: String,
    pub listen: SocketAddr,
    /// Certificate chain and key (PEM): HTTPS. `None`: plain HTTP.
    pub tls: Option<(PathBuf, PathBuf)>,
    pub max_clock_skew: u64,
    /// How long the audit log keeps its rows (days).
    pub audit_retention_days: u32,
    /// How long a token made by a rotation is valid (days).
    pub token_lifetime_days: u32,
    /// The address colleagues open (links in e-mail), without a trailing slash.
    pub public_url: Option<String>,
    /// The mail server. `None`: no mail is sent.
    pub smtp: Option<SmtpSettings>,
    /// Whether this process sends the weekly reminders (`weekly_reminders`, default true; with
    /// several processes they are sent once anyway).
    pub weekly_reminders: bool,
}

impl ServeSettings {
    pub fn resolve(
        flags: ServeFlags,
        file: Option<&ConfigFile>,
    ) -> Result<ServeSettings, ConfigError> {
        let keys = file.map(|f| &f.keys);
        let db = match flags.db {
            Some(db) => db,
            None => file
                .and_then(ConfigFile::db)
                .ok_or_else(|| ConfigError::Missing(no_database(file)))?,
        };
        let listen = flags
            .listen
            .or_else(|| keys.and_then(|k| k.listen.as_ref()).map(|l| *l.get_ref()))
            .unwrap_or_else(default_listen);
        let from_file = |key: Option<&Spanned<PathBuf>>| -> Option<PathBuf> {
            let (file, key) = (file?, key?);
            Some(file.relative(key.get_ref()))
        };
        let tls_cert = flags
            .tls_cert
            .or_else(|| from_file(keys.and_then(|k| k.tls_cert.as_ref())));
        let tls_key = flags
            .tls_key
            .or_else(|| from_file(keys.and_then(|k| k.tls_key.as_ref())));
        let tls = match (tls_cert, tls_key) {
            (Some(cert), Some(key)) => Some((cert, key)),
            (None, None) => None,
            (cert, _) => {
                let (given, missing) = if cert.is_some() {
                    ("tls_cert", "tls_key")
                } else {
                    ("tls_key", "tls_cert")
                };
                return Err(ConfigError::Conflict(format!(
                    "HTTPS needs both a certificate and its key: {given} (--{}) is set but {missing} (--{}) is not",
                    given.replace('_', "-"),
                    missing.replace('_', "-"),
                )));
            }
        };
        let max_clock_skew = flags
            .max_clock_skew
            .or_else(|| {
                keys.and_then(|k| k.max_clock_skew.as_ref())
                    .map(|s| *s.get_ref())
            })
            .unwrap_or(DEFAULT_MAX_CLOCK_SKEW);
        Ok(ServeSettings {
            db,
            listen,
            tls,
            max_clock_skew,
            audit_retention_days: file.map_or(
                crate::audit::DEFAULT_RETENTION_DAYS,
                ConfigFile::audit_retention_days,
            ),
            token_lifetime_days: file.map_or(
                crate::auth::DEFAULT_TOKEN_LIFETIME_DAYS,
                ConfigFile::token_lifetime_days,
            ),
            public_url: file.and_then(ConfigFile::public_url).map(str::to_owned),
            smtp: file.and_then(ConfigFile::smtp).cloned(),
            weekly_reminders: keys
                .and_then(|k| k.weekly_reminders.as_ref())
                .is_none_or(|w| *w.get_ref()),
        })
    }
}

fn default_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 8443))
}

fn no_database(file: Option<&ConfigFile>) -> String {
    match file {
        Some(file) => format!(
            "no database: configuration file {} has no `db` key and --db was not given",
            file.path.display()
        ),
        None => "no database: give --db (an SQLite file or a postgres:// URL) or --config with a `db` key".to_owned(),
    }
}

/// The database of an admin command: `--db`, or else the `db` of `--config`.
pub fn database(db: Option<String>, config: Option<&Path>) -> Result<String, ConfigError> {
    match db {
        Some(db) => Ok(db),
        None => admin_settings(None, config).map(|(db, _)| db),
    }
}

/// The database of an admin command (`--db`, or else the `db` of `--config`) and the file, when
/// one was given (checked whole, also when `--db` wins), for its other keys.
pub fn admin_settings(
    db: Option<String>,
    config: Option<&Path>,
) -> Result<(String, Option<ConfigFile>), ConfigError> {
    let file = config.map(ConfigFile::load).transpose()?;
    let db = match db {
        Some(db) => db,
        None => file
            .as_ref()
            .and_then(ConfigFile::db)
            .ok_or_else(|| ConfigError::Missing(no_database(file.as_ref())))?,
    };
    Ok((db, file))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<ConfigFile, ConfigError> {
        ConfigFile::parse(Path::new("/etc/wijkwerk/server.toml"), text.to_owned())
    }

    #[test]
    fn a_full_file_gives_every_setting() {
        let file = parse(
            "# comment\ndb = \"server.db\"\nlisten = \"0.0.0.0:443\"\ntls_cert = \"/etc/wijkwerk/cert.pem\"\ntls_key = \"key.pem\"\nmax_clock_skew = 60\n",
        )
        .unwrap();
        let settings = ServeSettings::resolve(ServeFlags::default(), Some(&file)).unwrap();
        assert_eq!(
            settings,
            ServeSettings {
                db: "/etc/wijkwerk/server.db".into(),
                listen: "0.0.0.0:443".parse().unwrap(),
                tls: Some((
                    "/etc/wijkwerk/cert.pem".into(),
                    "/etc/wijkwerk/key.pem".into()
                )),
                max_clock_skew: 60,
                audit_retention_days: crate::audit::DEFAULT_RETENTION_DAYS,
                token_lifetime_days: crate::auth::DEFAULT_TOKEN_LIFETIME_DAYS,
                public_url: None,
                smtp: None,
                weekly_reminders: true,
            }
        );
    }

    #[test]
    fn retention_and_token_lifetime_are_read_and_checked() {
        let file =
            parse("db = \"a.db\"\naudit_retention_days = 730\ntoken_lifetime_days = 90\n").unwrap();
        let settings = ServeSettings::resolve(ServeFlags::default(), Some(&file)).unwrap();
        assert_eq!(
            (settings.audit_retention_days, settings.token_lifetime_days),
            (730, 90)
        );
        for (text, line, key) in [
            ("audit_retention_days = 7\n", 1, "audit_retention_days"),
            ("\ntoken_lifetime_days = 0\n", 2, "token_lifetime_days"),
            ("token_lifetime_days = 100000\n", 1, "token_lifetime_days"),
            (
                "audit_retention_days = \"een jaar\"\n",
                1,
                "audit_retention_days",
            ),
        ] {
            match parse(text) {
                Err(ConfigError::Key {
                    line: l, key: k, ..
                }) => assert_eq!((l, k.as_str()), (line, key), "{text}"),
                other => panic!("{text}: {other:?}"),
            }
        }
    }

    #[test]
    fn flags_win_over_the_file_and_defaults_fill_the_rest() {
        let file =
            parse("db = \"postgres://wijkwerk@db/wijkwerk\"\nmax_clock_skew = 60\n").unwrap();
        let flags = ServeFlags {
            max_clock_skew: Some(10),
            ..ServeFlags::default()
        };
        let settings = ServeSettings::resolve(flags, Some(&file)).unwrap();
        assert_eq!(settings.db, "postgres://wijkwerk@db/wijkwerk");
        assert_eq!(settings.max_clock_skew, 10);
        assert_eq!(settings.listen.to_string(), DEFAULT_LISTEN);
        assert_eq!(settings.tls, None);
        let flags = ServeFlags {
            db: Some("/tmp/other.db".into()),
            ..ServeFlags::default()
        };
        assert_eq!(
            ServeSettings::resolve(flags, Some(&file)).unwrap().db,
            "/tmp/other.db"
        );
    }

    #[test]
    fn an_unknown_key_is_refused_with_its_line() {
        let err = parse("db = \"a.db\"\n\ntls_certificate = \"c.pem\"\n").unwrap_err();
        let text = err.to_string();
        assert!(
            text.starts_with(
                "configuration file /etc/wijkwerk/server.toml, line 3, key `tls_certificate`:"
            ),
            "{text}"
        );
        assert!(
            text.contains("unknown key `tls_certificate`, expected one of `db`"),
            "{text}"
        );
    }

    #[test]
    fn a_bad_value_is_refused_with_its_line_and_key() {
        for (text, line, key) in [
            ("db = \"a.db\"\nlisten = \"port 80\"\n", 2, "listen"),
            ("max_clock_skew = -5\n", 1, "max_clock_skew"),
            ("max_clock_skew = \"5 minutes\"\n", 1, "max_clock_skew"),
            ("db = 3\n", 1, "db"),
            ("\n\ndb = \"  \"\n", 3, "db"),
            ("db = \"a.db\"\ndb = \"b.db\"\n", 2, "db"),
        ] {
            match parse(text) {
                Err(ConfigError::Key {
                    line: l, key: k, ..
                }) => assert_eq!((l, k.as_str()), (line, key), "{text}"),
                other => panic!("{text}: {other:?}"),
            }
        }
        // A line that is not TOML at all: its line.
        match parse("db = \"a.db\"\nthis is not toml\n") {
            Err(ConfigError::Line { line: 2, .. }) => {}
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn half_of_tls_is_refused() {
        let file = parse("db = \"a.db\"\ntls_cert = \"cert.pem\"\n").unwrap();
        let err = ServeSettings::resolve(ServeFlags::default(), Some(&file)).unwrap_err();
        assert!(
            err.to_string().contains("tls_key (--tls-key) is not"),
            "{err}"
        );
        // The flag may give the other half.
        let flags = ServeFlags {
            tls_key: Some("/k.pem".into()),
            ..ServeFlags::default()
        };
        let settings = ServeSettings::resolve(flags, Some(&file)).unwrap();
        assert_eq!(
            settings.tls,
            Some(("/etc/wijkwerk/cert.pem".into(), "/k.pem".into()))
        );
    }

    #[test]
    fn the_annotated_example_is_a_valid_file() {
        let example = include_str!("../../../deploy/server.toml");
        let file = parse(example).unwrap();
        let settings = ServeSettings::resolve(ServeFlags::default(), Some(&file)).unwrap();
        assert_eq!(settings.db, "/var/lib/wijkwerk/server.db");
        assert!(settings.tls.is_some());
        assert!(settings.public_url.is_some());
        assert!(settings.smtp.is_some());
    }

    /// The line and key of a refusal.
    fn refused_at(text: &str) -> (usize, String, String) {
        match parse(text) {
            Err(ConfigError::Key {
                line, key, message, ..
            }) => (line, key, message),
            other => panic!("{text}: {other:?}"),
        }
    }

    #[test]
    fn a_full_smtp_table_and_public_url_give_the_mail_settings() {
        let file = parse(
            "db = \"a.db\"\npublic_url = \"https://wijkwerk.bergen.example/\"\n\n[smtp]\nhost = \"smtp.bergen.example\"\nport = 2465\nsecurity = \"tls\"\nusername = \"wijkwerk\"\npassword = \"geheim\"\nfrom = \"Wijkwerk Bergen <wijkwerk@bergen.example>\"\ntimeout_seconds = 20\n",
        )
        .unwrap();
        let settings = ServeSettings::resolve(ServeFlags::default(), Some(&file)).unwrap();
        assert_eq!(
            settings.public_url.as_deref(),
            Some("https://wijkwerk.bergen.example")
        );
        assert_eq!(
            settings.smtp,
            Some(SmtpSettings {
                host: "smtp.bergen.example".into(),
                port: 2465,
                security: SmtpSecurity::Tls,
                username: Some("wijkwerk".into()),
                password: Some("geheim".into()),
                from: "Wijkwerk Bergen <wijkwerk@bergen.example>".into(),
                timeout: std::time::Duration::from_secs(20),
            })
        );
        assert_eq!(file.smtp(), settings.smtp.as_ref());
        assert_eq!(file.public_url(), settings.public_url.as_deref());
        assert!(!format!("{file:?} {settings:?}").contains("geheim"));
    }

    #[test]
    fn smtp_defaults_follow_the_security_and_no_table_sends_nothing() {
        let smtp = |text: &str| parse(text).unwrap().smtp().cloned();
        let from = "from = \"wijkwerk@bergen.example\"\n";
        let starttls = smtp(&format!("[smtp]\nhost = \"smtp.bergen.example\"\n{from}")).unwrap();
        assert_eq!(
            (starttls.port, starttls.security, starttls.timeout.as_secs()),
            (587, SmtpSecurity::StartTls, DEFAULT_SMTP_TIMEOUT_SECONDS)
        );
        let local = smtp(&format!(
            "[smtp]\nhost = \"localhost\"\nsecurity = \"none\"\n{from}"
        ))
        .unwrap();
        assert_eq!((local.port, local.security), (25, SmtpSecurity::None));
        assert_eq!(smtp("db = \"a.db\"\n"), None);
        assert_eq!(smtp("[smtp]\n"), None);
    }

    #[test]
    fn the_smtp_password_may_come_from_a_file_beside_the_configuration() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("smtp-password"), "geheim\n").unwrap();
        let text = "[smtp]\nhost = \"smtp.bergen.example\"\nusername = \"wijkwerk\"\npassword_file = \"smtp-password\"\nfrom = \"wijkwerk@bergen.example\"\n";
        let file = ConfigFile::parse(&dir.path().join("server.toml"), text.into()).unwrap();
        assert_eq!(file.smtp().unwrap().password.as_deref(), Some("geheim"));
        // Missing, or beside `password`: refused at its line.
        let err =
            ConfigFile::parse(&dir.path().join("elders/server.toml"), text.into()).unwrap_err();
        assert!(
            matches!(&err, ConfigError::Key { line: 4, key, .. } if key == "password_file"),
            "{err}"
        );
        let (line, key, _) = refused_at(&text.replace("username", "password = \"x\"\nusername"));
        assert_eq!((line, key.as_str()), (5, "password_file"));
    }

    #[test]
    fn plain_smtp_to_another_machine_is_refused_with_its_line_and_key() {
        let (line, key, message) = refused_at(
            "db = \"a.db\"\n[smtp]\nhost = \"smtp.bergen.example\"\nsecurity = \"none\"\nfrom = \"wijkwerk@bergen.example\"\n",
        );
        assert_eq!((line, key.as_str()), (4, "security"));
        assert!(
            message.contains("only allowed to this machine"),
            "{message}"
        );
        let (line, key, _) =
            refused_at("[smtp]\nhost = \"smtp.bergen.example\"\nsecurity = \"ssl\"\n");
        assert_eq!((line, key.as_str()), (3, "security"));
        for host in [
            "smtp.bergen.example:587",
            "smtp://smtp.bergen.example",
            "[::1]",
            " ",
        ] {
            let (line, key, _) = refused_at(&format!("[smtp]\nhost = \"{host}\"\n"));
            assert_eq!((line, key.as_str()), (2, "host"), "{host}");
        }
    }

    #[test]
    fn smtp_without_from_is_refused() {
        let err = parse("db = \"a.db\"\n\n[smtp]\nhost = \"smtp.bergen.example\"\n").unwrap_err();
        let text = err.to_string();
        assert!(
            text.starts_with("configuration file /etc/wijkwerk/server.toml, line 3"),
            "{text}"
        );
        assert!(text.contains("no `from`"), "{text}");
        let (line, key, _) = refused_at(
            "[smtp]\nhost = \"smtp.bergen.example\"\nfrom = \"Wijkwerk <geen adres>\"\n",
        );
        assert_eq!((line, key.as_str()), (3, "from"));
    }

    #[test]
    fn an_unknown_key_in_smtp_is_refused_with_its_line() {
        let text = "db = \"a.db\"\n[smtp]\nhost = \"smtp.bergen.example\"\npasswd = \"geheim\"\n";
        let (line, key, message) = refused_at(text);
        assert_eq!((line, key.as_str()), (4, "passwd"));
        assert!(message.contains("unknown key `passwd`"), "{message}");
        for (text, line, key) in [
            ("[smtp]\nhost = \"h\"\nport = 70000\n", 3, "port"),
            (
                "[smtp]\nhost = \"h\"\nfrom = \"a@b.nl\"\ntimeout_seconds = 0\n",
                4,
                "timeout_seconds",
            ),
            (
                "[smtp]\nhost = \"h\"\nfrom = \"a@b.nl\"\nusername = \"u\"\n",
                4,
                "username",
            ),
        ] {
            let (l, k, _) = refused_at(text);
            assert_eq!((l, k.as_str()), (line, key), "{text}");
        }
    }

    #[test]
    fn public_url_must_be_an_http_address_with_a_host() {
        for url in [
            "ftp://wijkwerk.bergen.example",
            "wijkwerk.bergen.example",
            "https://",
            "https:///pad",
            "https://wijkwerk.bergen.example/?tenant=1",
            "https://anna@wijkwerk.bergen.example",
            "https://wijkwerk bergen.example",
        ] {
            let (line, key, _) = refused_at(&format!("db = \"a.db\"\npublic_url = \"{url}\"\n"));
            assert_eq!((line, key.as_str()), (2, "public_url"), "{url}");
        }
        for (url, stored) in [
            ("http://127.0.0.1:8443/", "http://127.0.0.1:8443"),
            (
                "HTTPS://Wijkwerk.bergen.example/wijkwerk//",
                "https://Wijkwerk.bergen.example/wijkwerk",
            ),
        ] {
            let file = parse(&format!("public_url = \"{url}\"\n")).unwrap();
            assert_eq!(file.public_url(), Some(stored));
        }
    }

    #[test]
    fn no_database_anywhere_is_refused() {
        let err = ServeSettings::resolve(ServeFlags::default(), None).unwrap_err();
        assert!(err.to_string().starts_with("no database"), "{err}");
        let file = parse("listen = \"127.0.0.1:1\"\n").unwrap();
        let err = database(None, None).unwrap_err();
        assert!(err.to_string().starts_with("no database"), "{err}");
        let err = ServeSettings::resolve(ServeFlags::default(), Some(&file)).unwrap_err();
        assert!(err.to_string().contains("has no `db` key"), "{err}");
    }
}
