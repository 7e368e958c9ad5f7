//! The error the front end receives: a stable code (the core's [`Error::code`]) and a Dutch
//! message a coordinator can act on. Every core error crosses the IPC boundary through here.

use serde::Serialize;
use std::fmt;
use wijkwerk_core::Error;

/// A failed command, as the front end sees it: `{"code": "...", "message": "..."}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IpcError {
    /// Stable and machine-readable (`newer_store`, `not_found`, ...).
    pub code: String,
    /// Dutch, for the coordinator.
    pub message: String,
}

impl IpcError {
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> IpcError {
        IpcError {
            code: code.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for IpcError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.message, self.code)
    }
}

impl std::error::Error for IpcError {}

impl From<Error> for IpcError {
    fn from(error: Error) -> IpcError {
        IpcError::new(error.code(), dutch(&error))
    }
}

/// The Dutch message for a core error. Matches every variant, so that a new one cannot reach
/// the window untranslated.
fn dutch(error: &Error) -> String {
    match error {
        Error::Invalid {
            entity,
            field,
            reason,
        } => {
            format!("De invoer is niet geldig: {entity}.{field} {reason}. Er is niets opgeslagen.")
        }
        Error::NotFound { entity, id } => {
            format!("Dit gegeven bestaat niet (meer): {entity} {id}.")
        }
        Error::AlreadyExists { entity, id } => format!("Dit gegeven bestaat al: {entity} {id}."),
        Error::BadRequest(detail) => format!("Dit verzoek kan niet worden uitgevoerd: {detail}."),
        Error::NewerStore {
            path,
            found,
            supported,
        } => format!(
            "Het gegevensbestand {} is gemaakt met een nieuwere versie van Wijkwerk \
             (gegevensversie {found}; deze versie kent tot en met {supported}). \
             Werk Wijkwerk bij om het te openen. Het bestand is niet veranderd.",
            path.display()
        ),
        Error::NotADatabase { path } => format!(
            "{} is geen gegevensbestand van Wijkwerk. Het bestand is niet veranderd. \
             Kies een andere gegevensmap of verplaats het bestand.",
            path.display()
        ),
        Error::Corrupt { path, detail } => format!(
            "Het gegevensbestand {} is beschadigd ({detail}). Het bestand is niet veranderd. \
             Zet een reservekopie terug of neem contact op met de servicedesk.",
            path.display()
        ),
        Error::Locked { path } => format!(
            "Het gegevensbestand {} is in gebruik door een ander programma (staat Wijkwerk al \
             open?). Sluit dat programma en start Wijkwerk opnieuw.",
            path.display()
        ),
        Error::NoStore { path } => {
            format!("Er zijn nog geen Wijkwerk-gegevens in {}.", path.display())
        }
        Error::StoreExists { path } => {
            format!(
                "Er staat al een Wijkwerk-gegevensbestand in {}.",
                path.display()
            )
        }
        Error::Io { path, source } => format!(
            "De map of het bestand {} kan niet worden gebruikt: {source}.",
            path.display()
        ),
        Error::Database(detail) => format!("De database gaf een fout: {detail}."),
        Error::StoredData(detail) => {
            format!("Opgeslagen gegevens konden niet worden gelezen: {detail}.")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    #[test]
    fn store_errors_become_dutch_with_the_core_code() {
        let error = IpcError::from(Error::NewerStore {
            path: PathBuf::from("/data/wijkwerk.sqlite3"),
            found: 9,
            supported: 1,
        });
        assert_eq!(error.code, "newer_store");
        assert!(
            error.message.contains("nieuwere versie"),
            "{}",
            error.message
        );
        assert!(error.message.contains("/data/wijkwerk.sqlite3"));

        let locked = IpcError::from(Error::Locked {
            path: PathBuf::from("x"),
        });
        assert_eq!(locked.code, "locked_store");
        assert!(locked.message.contains("in gebruik"));
    }

    #[test]
    fn serialises_as_code_and_message() {
        let json = serde_json::to_value(IpcError::new("io", "Kapot.")).unwrap();
        assert_eq!(json, serde_json::json!({"code": "io", "message": "Kapot."}));
    }
}
