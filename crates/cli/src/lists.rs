//! `wijkwerk export-contacts`: contacts, a board, an area's role holders or the organisations as
//! CSV (Dutch Excel), XLSX or vCard; and `wijkwerk organisation mailing-list`. Thin: the core
//! selects and writes (`contact_export.rs`), `wijkwerk-documents` writes the file whole or not at
//! all.

use crate::{date, uuid, CliError, Output};
use clap::{Args, ValueEnum};
use serde_json::json;
use std::io::IsTerminal;
use std::path::PathBuf;
use wijkwerk_core::contact_export::{ExportScope, ListFormat};
use wijkwerk_core::Store;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum ExportFormat {
    /// CSV as Dutch Excel opens it (UTF-8 with BOM, `;`, CRLF).
    Csv,
    Xlsx,
    /// vCard (3.0 unless --vcard-version 4), one card per person.
    Vcf,
}

/// What `export-contacts` takes: by default every contact.
#[derive(Args, Debug)]
pub(crate) struct ExportArgs {
    #[arg(long, value_enum)]
    format: ExportFormat,
    /// With --format vcf: 3 (Outlook, Google) or 4.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u8).range(3..=4))]
    vcard_version: u8,
    /// Write to this file (whole or not at all) instead of standard output.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// The current board of this organisation (an association), one row per position.
    #[arg(long, value_name = "ID", conflicts_with_all = ["area", "search", "organisations"])]
    organisation: Option<String>,
    /// With --organisation: every role held there today, not only the board.
    #[arg(long, requires = "organisation")]
    all_roles: bool,
    /// Everyone with a role today in an organisation of this area or an area below it (a kern
    /// with its wijken); with --organisations, the organisations of the area.
    #[arg(long, value_name = "ID")]
    area: Option<String>,
    /// The contacts these words find, as the Contacten list shows them (with --organisations,
    /// the organisations).
    #[arg(long, value_name = "TEXT")]
    search: Option<String>,
    /// The organisations list instead of people.
    #[arg(long)]
    organisations: bool,
    /// With --organisations: only this kind (dorpsraad, wijkvereniging, department, ...).
    #[arg(long, requires = "organisations")]
    kind: Option<String>,
    /// The day whose roles are current (default today).
    #[arg(long, value_name = "YYYY-MM-DD")]
    date: Option<String>,
}

impl ExportArgs {
    fn scope(&self) -> Result<ExportScope, CliError> {
        let checked = |id: &Option<String>| -> Result<Option<String>, CliError> {
            id.as_deref()
                .map(|i| uuid(i).map(|u| u.to_string()))
                .transpose()
        };
        let search = self
            .search
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned);
        if self.organisations {
            return Ok(ExportScope::Organisations {
                text: search,
                kind: self.kind.clone(),
                area_id: checked(&self.area)?,
            });
        }
        if let Some(organisation) = checked(&self.organisation)? {
            return Ok(ExportScope::Board {
                organisation_id: organisation,
                all_roles: self.all_roles,
            });
        }
        match (checked(&self.area)?, search) {
            (Some(_), Some(_)) => Err(CliError::Usage(
                "--area and --search go together only with --organisations".into(),
            )),
            (Some(area), None) => Ok(ExportScope::Area { area_id: area }),
            (None, text) => Ok(ExportScope::Contacts {
                text,
                organisation_id: None,
            }),
        }
    }

    fn format(&self) -> ListFormat {
        match (self.format, self.vcard_version) {
            (ExportFormat::Csv, _) => ListFormat::Csv,
            (ExportFormat::Xlsx, _) => ListFormat::Xlsx,
            (ExportFormat::Vcf, 4) => ListFormat::Vcard4,
            (ExportFormat::Vcf, _) => ListFormat::Vcard3,
        }
    }
}

/// The list asked for, to `--out` or to standard output.
pub(crate) fn export_contacts(store: &Store, args: ExportArgs) -> Result<Output, CliError> {
    let scope = args.scope()?;
    let format = args.format();
    let day = match &args.date {
        Some(d) => date(d)?,
        None => wijkwerk_core::today(),
    };
    if args.out.is_none() && format == ListFormat::Xlsx && std::io::stdout().is_terminal() {
        return Err(CliError::Usage(
            "give --out FILE for XLSX (or send standard output to a file)".into(),
        ));
    }
    let export = store.export_list(&scope, format, day)?;
    match &args.out {
        Some(path) => {
            wijkwerk_documents::write_file(path, &export.bytes)?;
            Ok(Output::Json(json!({
                "written": path.display().to_string(),
                "bytes": export.bytes.len(),
                "rows": export.rows,
                "format": format,
            })))
        }
        None => Ok(Output::Bytes(export.bytes)),
    }
}

/// An organisation's board as a mailing list: the To field, the mailto link, who has no address.
pub(crate) fn mailing_list(
    store: &Store,
    id: &str,
    day: Option<&str>,
) -> Result<serde_json::Value, CliError> {
    let day = match day {
        Some(d) => date(d)?,
        None => wijkwerk_core::today(),
    };
    let list = store.board_mailing_list(uuid(id)?, day)?;
    Ok(serde_json::to_value(list).unwrap_or_default())
}
