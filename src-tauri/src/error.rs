//! The error the front end receives: a stable code (the core's [`Error::code`]), a message a
//! coordinator can act on in the interface language (Dutch unless English was chosen), and for
//! a refused value the field it belongs beside. Every core error crosses the IPC boundary here.

use crate::settings::Language;
use serde::Serialize;
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use ts_rs::TS;
use wijkwerk_core::contact_export::ExportError;
use wijkwerk_core::error::Expected;
use wijkwerk_core::lists::write::WriteError;
use wijkwerk_core::{Error, Invalid};

/// A failed command, as the front end sees it: `{"code": "...", "message": "...", "field": ...}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct IpcError {
    /// Stable and machine-readable (`newer_store`, `not_found`, `invalid`, ...).
    pub code: String,
    /// For the coordinator, in the interface language.
    pub message: String,
    /// The field a refused value was given for, so the form shows the message beside it.
    pub field: Option<String>,
}

impl IpcError {
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> IpcError {
        IpcError {
            code: code.into(),
            message: message.into(),
            field: None,
        }
    }
}

impl fmt::Display for IpcError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.message, self.code)
    }
}

impl std::error::Error for IpcError {}

static ENGLISH: AtomicBool = AtomicBool::new(false);

/// Sets the language of the messages made from now on.
pub fn set_language(language: Language) {
    ENGLISH.store(language == Language::En, Ordering::Relaxed);
}

/// Whether messages are made in English (else Dutch).
pub fn is_english() -> bool {
    english()
}

fn english() -> bool {
    ENGLISH.load(Ordering::Relaxed)
}

/// A short message of the shell itself, by key, in the interface language.
pub fn text(key: &str) -> &'static str {
    let (nl, en) = match key {
        "no_folder" => ("Geef een map op.", "Give a folder."),
        "no_passphrase" => ("Typ het wachtwoord.", "Type the passphrase."),
        "settings_not_saved" => (
            "De instellingen konden niet worden bewaard",
            "The settings could not be saved",
        ),
        "no_board_addresses" => (
            "Niemand in het bestuur heeft een e-mailadres.",
            "Nobody on the board has an email address.",
        ),
        "no_mail_program" => (
            "Er is geen e-mailprogramma ingesteld om de link te openen. Kopieer de adressen en \
             plak ze in het Aan-veld van een nieuw bericht.",
            "No mail program is set to open the link. Copy the addresses and paste them into \
             the To field of a new message.",
        ),
        _ => ("Er ging iets mis.", "Something went wrong."),
    };
    if english() {
        en
    } else {
        nl
    }
}

/// A list that could not be exported: the store's reason, or why its file could not be made.
impl From<ExportError> for IpcError {
    fn from(error: ExportError) -> IpcError {
        match error {
            ExportError::Store(error) => error.into(),
            ExportError::Write(WriteError::TooManyRows { max }) => IpcError::new(
                "export",
                if english() {
                    format!("An Excel sheet holds at most {max} rows and this list has more. Export it as CSV.")
                } else {
                    format!("Een Excel-blad bevat ten hoogste {max} rijen en deze lijst heeft er meer. Exporteer hem als CSV.")
                },
            ),
            ExportError::Write(other) => {
                IpcError::new(
                    "export",
                    if english() {
                        format!("The list could not be made ({other}). Nothing was written.")
                    } else {
                        format!("De lijst kon niet worden gemaakt ({other}). Er is niets weggeschreven.")
                    },
                )
            }
        }
    }
}

impl From<Error> for IpcError {
    fn from(error: Error) -> IpcError {
        let field = match &error {
            Error::Invalid { field, .. } => Some(field.clone()),
            _ => None,
        };
        let message = if english() {
            english_message(&error)
        } else {
            dutch(&error)
        };
        IpcError {
            code: error.code().to_owned(),
            message,
            field,
        }
    }
}

/// Why a value was refused, in Dutch, to show beside the field.
fn dutch_reason(reason: &Invalid) -> String {
    match reason {
        Invalid::Required => "Dit veld is verplicht.".into(),
        Invalid::Empty => "Dit veld mag niet leeg zijn.".into(),
        Invalid::TooLong { len, max } => format!("Te lang: {len} tekens, ten hoogste {max}."),
        Invalid::WrongType { expected } => format!("Verwacht: {expected}."),
        Invalid::OutOfRange { min, max } => format!("Moet tussen {min} en {max} liggen."),
        Invalid::Date(got) => format!("Geen geldige datum (JJJJ-MM-DD): {got}."),
        Invalid::Instant(got) => format!("Geen geldige datum en tijd: {got}."),
        Invalid::LocalTime(got) => format!("Geen geldige tijd (UU:MM): {got}."),
        Invalid::TimeZone(got) => format!("Onbekende tijdzone: {got}."),
        Invalid::Email(got) => format!("Geen geldig e-mailadres: {got}."),
        Invalid::CbsCode(got) => {
            format!("Geen CBS-code (GM0000, WK000000 of BU00000000): {got}.")
        }
        Invalid::NotAllowed { allowed, got } => {
            format!("Kies een van: {allowed} (niet {got}).")
        }
        Invalid::UnknownReference { entity, id } => {
            format!("Verwijst naar een {entity} die niet bestaat: {id}.")
        }
        Invalid::UnknownField => "Dit veld bestaat niet.".into(),
        Invalid::EndBeforeStart => "Het einde ligt voor het begin.".into(),
        Invalid::Money(got) => {
            format!("Geen bedrag in euro's: {got:?}. Schrijf bijvoorbeeld 1234,56 of 1.234,56.")
        }
        Invalid::SubCent(got) => {
            format!("Een bedrag heeft hoogstens twee cijfers achter de komma: {got:?}.")
        }
        Invalid::Negative => "Het bedrag mag niet negatief zijn.".into(),
        Invalid::Zero => "Het bedrag mag niet nul zijn.".into(),
        Invalid::WrongKind { expected } => format!(
            "Kies {}.",
            match expected {
                Expected::Department => "een afdeling van de gemeente",
                Expected::Kernoverleg => "een kernoverleg",
                Expected::Municipality => "de gemeente (het hoogste gebied)",
                Expected::KernOrWijk => "een kern of een wijk",
            }
        ),
        Invalid::OutsidePeriod { start, end } => format!(
            "De datum valt buiten de looptijd van het project ({} tot en met {}).",
            dutch_date(start),
            dutch_date(end)
        ),
        Invalid::MilestonesOutside { date } => format!(
            "Het project heeft mijlpalen buiten deze looptijd (de eerste op {}). \
             Verplaats die eerst.",
            dutch_date(date)
        ),
        Invalid::AdoptedOnRequired => {
            "Vul de datum in waarop de overeenkomst is vastgesteld.".into()
        }
        Invalid::ConsentDateRequired => "Vul de datum in waarop de persoon toestemming gaf.".into(),
        Invalid::Anonymised { on } => format!(
            "Deze persoon is op {} geanonimiseerd; persoonsgegevens kunnen niet meer worden \
             ingevuld en de anonimisering kan niet worden teruggedraaid. Sluit het formulier \
             en open het contact opnieuw.",
            dutch_date(on)
        ),
        Invalid::Erased { on } => format!(
            "Deze persoon is op {} gewist; het contact kan niet meer worden gewijzigd of \
             teruggezet. Sluit het formulier.",
            dutch_date(on)
        ),
        Invalid::ErasureOnly => {
            "De datum van wissen wordt alleen gezet door \"Wissen (AVG)\", dat alle andere \
             gegevens leegmaakt."
                .into()
        }
        Invalid::NotTheCommitments { field } => format!(
            "Een betaling op een toekenning komt uit hetzelfde {}.",
            if *field == "werkkapitaal" {
                "werkkapitaal"
            } else {
                "kernoverleg"
            }
        ),
        Invalid::Rule(rule) => format!("{rule}."),
    }
}

/// `2027-03-01` as `1-3-2027`; anything else as it is.
fn dutch_date(date: &str) -> String {
    let parts: Vec<&str> = date.split('-').collect();
    match parts.as_slice() {
        [y, m, d] if y.len() == 4 => format!(
            "{}-{}-{y}",
            d.trim_start_matches('0'),
            m.trim_start_matches('0')
        ),
        _ => date.to_owned(),
    }
}

/// The English message for a core error (the core's own wording, which is English).
fn english_message(error: &Error) -> String {
    match error {
        Error::Invalid { reason, .. } => format!("{}. Nothing was saved.", sentence(reason)),
        other => format!("{}.", sentence(other)),
    }
}

/// The text with its first letter in capitals.
fn sentence(text: impl fmt::Display) -> String {
    let text = text.to_string();
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => text,
    }
}

/// The Dutch message for a core error. Matches every variant, so that a new one cannot reach
/// the window untranslated.
fn dutch(error: &Error) -> String {
    match error {
        Error::Invalid { reason, .. } => {
            format!("{} Er is niets opgeslagen.", dutch_reason(reason))
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
        Error::NoKeyring { path } => format!(
            "Wijkwerk versleutelt zijn gegevens en bewaart de sleutel in de sleutelbos van de \
             computer, maar er antwoordt geen sleutelbos (er draait er geen, of hij is \
             vergrendeld). Geef een wachtwoord voor de gegevens in {}. Het wordt nergens \
             opgeslagen: u geeft het bij elke start.",
            path.display()
        ),
        Error::KeyMissing { path } => format!(
            "De sleutelbos van deze computer heeft geen sleutel voor het gegevensbestand {}. \
             Is het gekopieerd van een andere computer, of is het met een wachtwoord gemaakt? \
             Geef het wachtwoord. Het bestand is niet veranderd.",
            path.display()
        ),
        Error::WrongKey { path } => format!(
            "De sleutel in de sleutelbos past niet op het gegevensbestand {}. Het bestand is \
             niet veranderd. Geef het wachtwoord als het daarmee gemaakt is, of neem contact op \
             met de servicedesk.",
            path.display()
        ),
        Error::WrongPassphrase { path } => format!(
            "Dit wachtwoord opent het gegevensbestand {} niet. Het bestand is niet veranderd; \
             probeer het opnieuw.",
            path.display()
        ),
        Error::EncryptionFailed { path, detail } => format!(
            "Het gegevensbestand {} kon niet worden versleuteld ({detail}). Het oorspronkelijke \
             bestand is niet veranderd. Controleer of er genoeg vrije schijfruimte is en start \
             Wijkwerk opnieuw.",
            path.display()
        ),
        Error::NetworkFolder { path } => format!(
            "De map {} staat op een netwerkschijf. Wijkwerk bewaart zijn gegevens op deze \
             computer (over het netwerk kan het gegevensbestand niet veilig worden bijgewerkt). \
             Kies een map op deze computer; er is niets veranderd.",
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
    fn english_messages_are_sentences_from_the_cores_wording() {
        let invalid = Error::Invalid {
            entity: wijkwerk_core::Entity::Contact,
            field: "email".into(),
            reason: Invalid::Email("geen".into()),
        };
        assert_eq!(
            english_message(&invalid),
            "Is not an e-mail address: geen. Nothing was saved."
        );
        assert_eq!(sentence("één"), "Één");
        assert_eq!(sentence(""), "");
    }

    #[test]
    fn a_list_too_long_for_a_sheet_says_to_take_csv() {
        let error = IpcError::from(ExportError::Write(WriteError::TooManyRows {
            max: 1_048_575,
        }));
        assert_eq!(error.code, "export");
        assert!(
            error.message.contains("Exporteer hem als CSV"),
            "{}",
            error.message
        );
        let missing = IpcError::from(ExportError::Store(Error::NotFound {
            entity: wijkwerk_core::Entity::Organisation,
            id: uuid::Uuid::nil(),
        }));
        assert_eq!(missing.code, "not_found");
    }

    #[test]
    fn serialises_as_code_and_message() {
        let json = serde_json::to_value(IpcError::new("io", "Kapot.")).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"code": "io", "message": "Kapot.", "field": null})
        );
    }
}
