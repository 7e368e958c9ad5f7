//! The core's one error type. Every variant names what went wrong and where, and has a stable
//! code that the shells (CLI, desktop app) show or translate.

use crate::schema::Entity;
use std::path::PathBuf;
use uuid::Uuid;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A value a user, a file or a caller gave is not acceptable. Nothing was written.
    #[error("{entity}.{field}: {reason}")]
    Invalid {
        entity: Entity,
        field: String,
        reason: Invalid,
    },

    #[error("{entity} {id} does not exist")]
    NotFound { entity: Entity, id: Uuid },

    #[error("{entity} {id} already exists")]
    AlreadyExists { entity: Entity, id: Uuid },

    #[error("{0}")]
    BadRequest(String),

    #[error(
        "the data file {path} was written by a newer version of Wijkwerk (store version {found}, \
         this version knows up to {supported}); it was left untouched"
    )]
    NewerStore {
        path: PathBuf,
        found: i64,
        supported: i64,
    },

    #[error("{path} is not a Wijkwerk data file (not an SQLite database); it was left untouched")]
    NotADatabase { path: PathBuf },

    #[error("the data file {path} is damaged ({detail}); it was left untouched")]
    Corrupt { path: PathBuf, detail: String },

    #[error("the data file {path} is locked by another program; close it and try again")]
    Locked { path: PathBuf },

    #[error(
        "no keyring answered for the data file {path} (none runs, or it is locked): \
         give the passphrase (WIJKWERK_PASSPHRASE for the command line)"
    )]
    NoKeyring { path: PathBuf },

    #[error(
        "the keyring of this computer holds no key for the data file {path} (was it copied from \
         another computer, or made with a passphrase?): give its passphrase; it was left untouched"
    )]
    KeyMissing { path: PathBuf },

    #[error("the key in the keyring does not open the data file {path}; it was left untouched")]
    WrongKey { path: PathBuf },

    #[error("the passphrase does not open the data file {path}; it was left untouched")]
    WrongPassphrase { path: PathBuf },

    #[error(
        "the data file {path} could not be encrypted ({detail}); the original was left as it was"
    )]
    EncryptionFailed { path: PathBuf, detail: String },

    #[error(
        "the data folder {path} is on a network drive; the store must be on this computer \
         (SQLite cannot share its log over the network): choose a local folder"
    )]
    NetworkFolder { path: PathBuf },

    #[error("there is no Wijkwerk data in {path}; create it with `init`")]
    NoStore { path: PathBuf },

    #[error("a Wijkwerk data file already exists at {path}")]
    StoreExists { path: PathBuf },

    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("database error: {0}")]
    Database(#[from] rusqlite::Error),

    #[error("stored data could not be read: {0}")]
    StoredData(String),
}

/// Why a value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Invalid {
    #[error("is required")]
    Required,
    #[error("must not be empty")]
    Empty,
    #[error("is too long ({len} characters; at most {max})")]
    TooLong { len: usize, max: usize },
    #[error("must be {expected}")]
    WrongType { expected: &'static str },
    #[error("must be between {min} and {max}")]
    OutOfRange { min: i64, max: i64 },
    #[error("is not a valid date (YYYY-MM-DD): {0}")]
    Date(String),
    #[error("is not a valid date and time: {0}")]
    Instant(String),
    #[error("is not a valid time of day (HH:MM): {0}")]
    LocalTime(String),
    #[error("is not a known time zone: {0}")]
    TimeZone(String),
    #[error("is not an e-mail address: {0}")]
    Email(String),
    #[error("is not a CBS code (GM0000, WK000000 or BU00000000): {0}")]
    CbsCode(String),
    #[error("must be one of {allowed}; got {got:?}")]
    NotAllowed { allowed: String, got: String },
    #[error("refers to a {entity} that does not exist: {id}")]
    UnknownReference { entity: Entity, id: String },
    #[error("is not a field of this record")]
    UnknownField,
    #[error("ends before it starts")]
    EndBeforeStart,
    #[error("is not an amount in euros: {0:?}")]
    Money(String),
    #[error("has more than two decimals (amounts are whole cents): {0:?}")]
    SubCent(String),
    #[error("must not be negative")]
    Negative,
    #[error("must not be zero")]
    Zero,
    #[error("must be {expected}")]
    WrongKind { expected: Expected },
    #[error("lies outside the project's period ({start} to {end})")]
    OutsidePeriod { start: String, end: String },
    #[error("the project has milestones outside this period (the first on {date})")]
    MilestonesOutside { date: String },
    #[error("is required once the agreement is adopted (vastgesteld)")]
    AdoptedOnRequired,
    #[error("is required when the legal basis is consent (toestemming)")]
    ConsentDateRequired,
    #[error("cannot be filled in or undone: the person was anonymised on {on}")]
    Anonymised { on: String },
    #[error("cannot be changed: the person was erased on {on}")]
    Erased { on: String },
    #[error("is set only by erasing the person (privacy erase), which empties everything else")]
    ErasureOnly,
    #[error("must be the {field} of the commitment it pays against")]
    NotTheCommitments { field: &'static str },
    #[error("{0}")]
    Rule(String),
}

/// What kind of record a reference must point to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expected {
    /// An organisation of kind `department`.
    Department,
    /// An organisation of kind `kernoverleg`.
    Kernoverleg,
    /// An area of kind `municipality`.
    Municipality,
    /// An area of kind `core` or `district`.
    KernOrWijk,
}

impl std::fmt::Display for Expected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Expected::Department => "a department",
            Expected::Kernoverleg => "a kernoverleg",
            Expected::Municipality => "a municipality",
            Expected::KernOrWijk => "a kern or a wijk",
        })
    }
}

impl Error {
    /// A stable, machine-readable code for the error.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Invalid { .. } => "invalid",
            Error::NotFound { .. } => "not_found",
            Error::AlreadyExists { .. } => "already_exists",
            Error::BadRequest(_) => "bad_request",
            Error::NewerStore { .. } => "newer_store",
            Error::NotADatabase { .. } => "not_a_database",
            Error::Corrupt { .. } => "corrupt_store",
            Error::Locked { .. } => "locked_store",
            Error::NoKeyring { .. } => "no_keyring",
            Error::KeyMissing { .. } => "key_missing",
            Error::WrongKey { .. } => "wrong_key",
            Error::WrongPassphrase { .. } => "wrong_passphrase",
            Error::EncryptionFailed { .. } => "encryption_failed",
            Error::NetworkFolder { .. } => "network_folder",
            Error::NoStore { .. } => "no_store",
            Error::StoreExists { .. } => "store_exists",
            Error::Io { .. } => "io",
            Error::Database(_) => "database",
            Error::StoredData(_) => "stored_data",
        }
    }

    pub(crate) fn invalid(entity: Entity, field: impl Into<String>, reason: Invalid) -> Error {
        Error::Invalid {
            entity,
            field: field.into(),
            reason,
        }
    }
}
