//! `wijkwerk import FILE`: contact lists in (CSV as Excel, Outlook and Google write it, XLSX and
//! ODS workbooks, vCards), `import-undo` and `imports`. Thin: reading, mapping, duplicates and
//! the one batch are the core's (`wijkwerk_core::import`).

use crate::{read_json_arg, to_value, CliError, Output};
use clap::{Args, ValueEnum};
use std::collections::BTreeMap;
use std::path::PathBuf;
use wijkwerk_core::import::draft::ListKind;
use wijkwerk_core::import::mapping::{Mapping, Target};
use wijkwerk_core::import::{ImportError, ListImportRequest, Resolution};
use wijkwerk_core::Store;

#[derive(Args)]
pub(crate) struct ImportArgs {
    /// The list: .csv/.txt (any separator and encoding), .xlsx/.xls/.ods, .vcf.
    file: PathBuf,
    /// What the columns hold, by header: '{"Voornaam": "first_name", "Mail": "email", "Oud":
    /// null}' (or @file). Targets: name, first_name, initials, infix, last_name, email, phone,
    /// mobile, street, house_number, postcode, city, notes, organisation, function, role_start,
    /// role_end, organisation_kind, area, website. Default: the mapping last used for this kind
    /// of list, else suggested from the header.
    #[arg(long, value_name = "JSON")]
    map: Option<String>,
    /// Show what would be imported (the first rows, every refused line, every duplicate)
    /// without writing anything.
    #[arg(long)]
    dry_run: bool,
    /// What becomes of someone already in the store or earlier in the list.
    #[arg(long, value_enum, default_value = "skip")]
    duplicates: DuplicatesArg,
    /// What becomes of the duplicate on one line, overriding --duplicates: `12=merge`
    /// (repeatable).
    #[arg(long, value_name = "LINE=skip|merge|add")]
    resolve: Vec<String>,
    /// A workbook's sheet (default: the first that holds a list).
    #[arg(long)]
    sheet: Option<String>,
    /// Whether the rows are people (with their organisations and roles) or organisations
    /// (default: people when a column holds a name).
    #[arg(long, value_enum)]
    kind: Option<KindArg>,
    /// Roles without a start date start on this day (default today).
    #[arg(long, value_name = "YYYY-MM-DD")]
    date: Option<String>,
    /// With --dry-run: how many rows to show (default 100).
    #[arg(long, default_value_t = 100)]
    rows: usize,
}

#[derive(Clone, Copy, ValueEnum)]
enum DuplicatesArg {
    Skip,
    Merge,
    Add,
}

#[derive(Clone, Copy, ValueEnum)]
enum KindArg {
    Contacts,
    Organisations,
}

pub(crate) fn run(store: &mut Store, args: ImportArgs) -> Result<Output, CliError> {
    let bytes = std::fs::read(&args.file).map_err(|source| CliError::Io {
        path: args.file.display().to_string(),
        source,
    })?;
    let mapping = match &args.map {
        Some(text) => Some(mapping(&read_json_arg(text)?)?),
        None => None,
    };
    let mut resolutions = BTreeMap::new();
    for item in &args.resolve {
        let (line, resolution) = item
            .split_once('=')
            .ok_or_else(|| CliError::Usage(format!("--resolve {item:?}: write LINE=merge")))?;
        let line: usize = line
            .trim()
            .parse()
            .map_err(|_| CliError::Usage(format!("--resolve {item:?}: {line:?} is no line")))?;
        let resolution: Resolution = resolution
            .trim()
            .parse()
            .map_err(|e| CliError::Usage(format!("--resolve {item:?}: {e}")))?;
        resolutions.insert(line, resolution);
    }
    let request = ListImportRequest {
        file_name: args
            .file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned()),
        sheet: args.sheet,
        mapping,
        list_kind: args.kind.map(|k| match k {
            KindArg::Contacts => ListKind::Contacts,
            KindArg::Organisations => ListKind::Organisations,
        }),
        duplicates: match args.duplicates {
            DuplicatesArg::Skip => Resolution::Skip,
            DuplicatesArg::Merge => Resolution::Merge,
            DuplicatesArg::Add => Resolution::Add,
        },
        resolutions,
        today: args.date.as_deref().map(crate::date).transpose()?,
        preview_rows: Some(args.rows),
        check_rows: None,
        columns_first: false,
    };
    if args.dry_run {
        let preview = store.import_preview(&bytes, &request).map_err(refused)?;
        let mut value = to_value(preview);
        value["dry_run"] = true.into();
        return Ok(value.into());
    }
    let report = store.import_list(&bytes, &request).map_err(refused)?;
    Ok(to_value(report).into())
}

pub(crate) fn undo(store: &mut Store, batch: &str) -> Result<Output, CliError> {
    let report = store.import_undo(batch).map_err(refused)?;
    Ok(to_value(report).into())
}

pub(crate) fn list(store: &Store) -> Result<Output, CliError> {
    Ok(to_value(store.import_batches()?).into())
}

fn refused(error: ImportError) -> CliError {
    match error {
        ImportError::Store(e) => CliError::Core(e),
        other => CliError::Import(other),
    }
}

/// `{"Voornaam": "first_name", "Oud": null}` as a mapping.
fn mapping(value: &serde_json::Value) -> Result<Mapping, CliError> {
    let object = value.as_object().ok_or(CliError::NotAnObject)?;
    let mut mapping = Mapping::new();
    for (header, target) in object {
        let target = match target {
            serde_json::Value::Null => None,
            serde_json::Value::String(key) => Some(Target::from_key(key).ok_or_else(|| {
                CliError::Usage(format!(
                    "--map: {key:?} (for {header:?}) is not a target; use one of {}",
                    Target::ALL.map(Target::key).join(", ")
                ))
            })?),
            _ => {
                return Err(CliError::Usage(format!(
                    "--map: the target of {header:?} must be a name or null"
                )))
            }
        };
        mapping.insert(header.clone(), target);
    }
    Ok(mapping)
}
