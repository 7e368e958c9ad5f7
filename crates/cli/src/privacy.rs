//! `wijkwerk privacy`: personal data (AVG). The retention review, anonymising or erasing a person, and
//! the inzage (everything held about one person) as PDF, HTML or JSON. Thin: the core decides
//! (`privacy.rs`), `wijkwerk-documents` renders.

use crate::{day_or_today, to_value, uuid, CliError, Output};
use clap::{Subcommand, ValueEnum};
use serde_json::json;
use std::path::PathBuf;
use wijkwerk_core::Store;

#[derive(Subcommand)]
pub(crate) enum PrivacyAction {
    /// Contacts proposed for anonymisation: last role ended and nothing involved them for the
    /// municipality's retention period (default two years), or anonymised contacts whose
    /// personal data came back through sync.
    Review {
        /// The day to judge by (default today).
        #[arg(long, value_name = "YYYY-MM-DD")]
        date: Option<String>,
    },
    /// Anonymises a contact: the name becomes "Geanonimiseerd", every personal field is
    /// emptied; attendance, roles (with their dates) and action points stay. One write, synced
    /// like any other. Prints the records whose text still names the person.
    Anonymise { id: String },
    /// Erases a contact everywhere (the right to be forgotten): the name becomes "Gewist",
    /// every other field is emptied and the record deleted; the laptop's conflict log, waiting
    /// changes and import log lose the person's values, and the next sync takes the erasure to
    /// the server and every other laptop, which purge them too and refuse them from then on.
    /// Cannot be undone. Prints the records whose text still names the person.
    Erase { id: String },
    /// Everything held about a contact (inzage): as a PDF or HTML document, or JSON.
    Access {
        id: String,
        #[arg(long, value_enum, default_value = "json")]
        format: AccessFormat,
        /// Write to this file (whole or not at all); JSON goes to standard output without it.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum AccessFormat {
    Json,
    Html,
    Pdf,
}

pub(crate) fn run(store: &mut Store, action: PrivacyAction) -> Result<Output, CliError> {
    match action {
        PrivacyAction::Review { date } => Ok(Output::Json(to_value(
            store.retention_review(day_or_today(date.as_deref())?)?,
        ))),
        PrivacyAction::Anonymise { id } => {
            Ok(Output::Json(to_value(store.anonymise_contact(uuid(&id)?)?)))
        }
        PrivacyAction::Erase { id } => Ok(Output::Json(to_value(store.erase_contact(uuid(&id)?)?))),
        PrivacyAction::Access { id, format, out } => {
            let access = store.subject_access(uuid(&id)?, wijkwerk_core::today())?;
            let bytes = match format {
                AccessFormat::Json => {
                    let text = serde_json::to_string_pretty(&access).unwrap_or_default();
                    match &out {
                        None => return Ok(Output::Json(to_value(access))),
                        Some(_) => format!("{text}\n").into_bytes(),
                    }
                }
                AccessFormat::Html => wijkwerk_documents::access_html(&access).into_bytes(),
                AccessFormat::Pdf => wijkwerk_documents::access_pdf(&access)?,
            };
            let Some(path) = out else {
                return Err(CliError::Usage(
                    "give --out FILE for an HTML or PDF inzage".into(),
                ));
            };
            wijkwerk_documents::write_file(&path, &bytes)?;
            Ok(Output::Json(json!({
                "written": path.display().to_string(),
                "bytes": bytes.len(),
                "contact_id": access.contact_id,
            })))
        }
    }
}
