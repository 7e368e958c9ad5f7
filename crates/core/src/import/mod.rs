//! Contact lists in: people, the organisations they belong to and their roles there, from the
//! lists coordinators already keep (Excel, Outlook, Google, vCards, a list of associations).
//!
//! The steps, each headless and tested here:
//! 1. **Read** the bytes as a table ([`wijkwerk_lists::read`]: the format from the bytes, not the
//!    name; each row with its line).
//! 2. **Map** the columns ([`mapping`]): suggested from the header in Dutch and English, or the
//!    mapping chosen the last time for this kind of source (remembered per kind), or given.
//! 3. **Build** each row into what will be stored ([`draft`]): normal forms (names trimmed,
//!    e-mail addresses checked, Dutch phone numbers as `06-12345678`, postcodes as `1234 AB`), a
//!    board role from "Functie" with "Organisatie", and per line what is wrong (refused, or kept
//!    with a warning).
//! 4. **Find duplicates** against the store and within the list ([`duplicates`]); each is
//!    skipped, merged (the empty fields filled, what is there kept) or added anyway.
//! 5. **Preview** ([`Store::import_preview`]) shows all of this without writing; **import**
//!    ([`Store::import_list`]) writes it as one batch through the one door, in one transaction
//!    that also keeps the batch's undo on this laptop; [`Store::import_undo`] takes the whole
//!    import back as one write.
//!
//! Nothing is written when the file cannot be read, names no known column, or holds no row; a
//! refused line is named with its line number and reason and the rest is imported.

pub mod draft;
pub mod duplicates;
pub mod mapping;

use crate::error::{Error, Result};
use crate::normal_form::fold;
use crate::schema::Entity;
use crate::store::Store;
use crate::write::{Fields, Write};
use draft::{Builder, Columns, Draft, ListKind};
use duplicates::{DuplicateReason, Finder, Origin};
use jiff::civil::Date;
use mapping::{Mapping, Target};
use rusqlite::OptionalExtension;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap, HashSet};
use uuid::Uuid;
use wijkwerk_lists::{Format, List, ListError};

/// Why a list cannot be imported at all. Nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file cannot be read as a list (with the line, where there is one).
    #[error("{0}")]
    List(#[from] ListError),
    #[error(
        "no column of the header is one Wijkwerk knows ({headers}): choose what the columns hold"
    )]
    NoKnownColumn { headers: String },
    #[error("no column holds a name: map a column to the name, first name or last name")]
    NoNameColumn,
    #[error("the list has a header but no rows")]
    NoRows,
    #[error("the mapping names a column the list does not have: {0:?}")]
    UnknownColumn(String),
    #[error("there is no import {0} on this laptop")]
    NoSuchBatch(String),
    #[error("import {0} was already undone")]
    AlreadyUndone(String),
    #[error("{0}")]
    Store(#[from] Error),
}

impl ImportError {
    /// A stable code the shells translate.
    pub fn code(&self) -> &'static str {
        match self {
            ImportError::List(e) => e.code(),
            ImportError::NoKnownColumn { .. } => "import_no_known_column",
            ImportError::NoNameColumn => "import_no_name_column",
            ImportError::NoRows => "import_no_rows",
            ImportError::UnknownColumn(_) => "import_unknown_column",
            ImportError::NoSuchBatch(_) => "import_no_such_batch",
            ImportError::AlreadyUndone(_) => "import_already_undone",
            ImportError::Store(e) => e.code(),
        }
    }

    /// The line the problem is on, where there is one.
    pub fn line(&self) -> Option<usize> {
        match self {
            ImportError::List(e) => e.line(),
            _ => None,
        }
    }
}

/// What is wrong with a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum ProblemCode {
    /// No name (refused).
    NoName,
    /// More cells than the header with something in them (refused); fewer (a warning).
    FieldCount,
    /// A date that is none (refused).
    InvalidDate,
    /// Text over the limit (refused).
    TooLong,
    /// A role that ends before it starts (refused).
    EndBeforeStart,
    /// A value the store refuses (refused).
    Invalid,
    /// Not an e-mail address: kept in the notes (a warning).
    InvalidEmail,
    /// Not a Dutch phone number: kept as written (a warning).
    UnknownPhone,
    /// Not a Dutch postcode: kept as written (a warning).
    UnknownPostcode,
    /// A kind of organisation not known: taken from the name (a warning).
    UnknownOrganisationKind,
    /// An area not found: the organisation is made without it (a warning).
    UnknownArea,
    /// A function without an organisation: kept in the notes (a warning).
    FunctionWithoutOrganisation,
}

/// A line and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct LineProblem {
    pub line: usize,
    /// The column's header, where one column is at fault.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub column: Option<String>,
    pub code: ProblemCode,
    /// The value at fault (clipped), or the numbers a message needs.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub value: Option<String>,
    /// The reason in English (the app words it from the code).
    pub reason: String,
}

impl LineProblem {
    pub fn new(
        line: usize,
        column: Option<String>,
        code: ProblemCode,
        value: Option<String>,
        reason: String,
    ) -> LineProblem {
        LineProblem {
            line,
            column,
            code,
            value: value.map(|v| v.chars().take(80).collect()),
            reason,
        }
    }
}

/// What becomes of a duplicate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Resolution {
    /// Not imported.
    #[default]
    Skip,
    /// The empty fields of the one there filled from the line; what is there is kept.
    Merge,
    /// Imported as someone new.
    Add,
}

impl std::str::FromStr for Resolution {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        match s {
            "skip" => Ok(Resolution::Skip),
            "merge" => Ok(Resolution::Merge),
            "add" => Ok(Resolution::Add),
            other => Err(format!("{other:?} is not skip, merge or add")),
        }
    }
}

/// How to read and import a list.
#[derive(Debug, Clone, Default)]
pub struct ListImportRequest {
    /// The file's name, as the batch remembers where it came from.
    pub file_name: Option<String>,
    /// A workbook's sheet (else the first that holds anything).
    pub sheet: Option<String>,
    /// The columns' meaning (else remembered or suggested). Headers left out are not imported.
    pub mapping: Option<Mapping>,
    /// People or organisations (else people when a column names a person).
    pub list_kind: Option<ListKind>,
    /// What becomes of a duplicate, unless the line is in `resolutions`.
    pub duplicates: Resolution,
    /// What becomes of the duplicate on a line.
    pub resolutions: BTreeMap<usize, Resolution>,
    /// Roles without a start date start on this day (today).
    pub today: Option<Date>,
    /// How many rows the preview shows (default 100).
    pub preview_rows: Option<usize>,
    /// A preview of only the first rows (refusals, duplicates and counts of those), shown while
    /// the whole list is checked; None checks every row. An import always takes every row.
    pub check_rows: Option<usize>,
    /// A preview of a list whose columns say nothing usable yet (no known column, or none with
    /// a name) shows its columns to be chosen instead of failing; an import still fails.
    pub columns_first: bool,
}

/// What a list turned out to be.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct ListSource {
    /// `csv`, `workbook` or `vcard`.
    pub format: String,
    /// The separator of delimited text (`;`, `,`, tab).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub separator: Option<String>,
    /// The text's encoding (`UTF-8`, `Windows-1252`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub encoding: Option<String>,
    /// A workbook's sheets and the one read.
    pub sheets: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub sheet: Option<String>,
    /// The kind of source its mapping is remembered by (`outlook`, `google`, `vcard`, `list:…`).
    pub kind: String,
    /// Whether the mapping is one remembered from an earlier import of this kind.
    pub mapping_remembered: bool,
}

/// A column and what it is taken for.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct ColumnChoice {
    pub header: String,
    pub target: Option<Target>,
    /// The first few values, to recognise the column by.
    pub samples: Vec<String>,
}

/// The one a duplicate is taken for.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct Existing {
    /// In the store: its id.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub id: Option<String>,
    /// Earlier in the list: its line.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub line: Option<usize>,
    #[ts(type = "Record<string, string>")]
    pub fields: Map<String, Value>,
}

/// A line taken for someone known.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct Duplicate {
    pub line: usize,
    pub reason: DuplicateReason,
    pub existing: Existing,
    /// What will become of it.
    pub resolution: Resolution,
    /// What a merge would fill in.
    #[ts(type = "Record<string, string>")]
    pub fills: Map<String, Value>,
}

/// A row as it will be stored.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct PreviewRow {
    pub line: usize,
    /// `new`, `merge`, `skip`, `add` (a duplicate added anyway) or `refused`.
    pub outcome: String,
    /// The fields as stored (the contact's, or the organisation's).
    #[ts(type = "Record<string, string>")]
    pub fields: Map<String, Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub organisation: Option<String>,
    /// Whether the organisation is made by this import.
    pub organisation_new: bool,
    /// The role's kind (`chair`, …) and its words.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub role: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub role_title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub role_start: Option<String>,
    /// The problems of this line (refusal or warnings).
    pub problems: Vec<LineProblem>,
}

/// How many of what.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct ListImportCounts {
    pub rows: usize,
    /// New people (or organisations), duplicates added anyway included.
    pub new: usize,
    pub merged: usize,
    pub skipped: usize,
    pub refused: usize,
    pub warnings: usize,
    pub duplicates: usize,
    pub organisations_new: usize,
    pub roles_new: usize,
}

/// Everything the import would do, before anything is written.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct ListImportPreview {
    pub source: ListSource,
    pub list_kind: ListKind,
    pub columns: Vec<ColumnChoice>,
    /// The first rows as they will be stored.
    pub rows: Vec<PreviewRow>,
    /// Every refused line, in line order.
    pub refused: Vec<LineProblem>,
    /// Every warning, in line order.
    pub warnings: Vec<LineProblem>,
    /// Every duplicate, in line order.
    pub duplicates: Vec<Duplicate>,
    /// Of the rows checked (`check_rows`), or of the whole list.
    pub counts: ListImportCounts,
    /// The rows of the whole list; `counts.rows` of them were checked.
    pub rows_in_list: usize,
    /// Why nothing can be imported as the columns are now (`import_no_known_column`,
    /// `import_no_name_column`): the columns are to be chosen first.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub columns_needed: Option<String>,
}

/// A line written.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct ImportedLine {
    pub line: usize,
    pub id: String,
    pub name: String,
    /// For a merge: the fields filled in.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<String>,
}

/// A line not imported because it is someone known.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct SkippedLine {
    pub line: usize,
    pub reason: DuplicateReason,
    pub existing: Existing,
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct ListImportReport {
    /// The batch to undo (none when nothing was written).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub batch_id: Option<String>,
    pub source: ListSource,
    pub imported: Vec<ImportedLine>,
    pub merged: Vec<ImportedLine>,
    pub skipped: Vec<SkippedLine>,
    pub refused: Vec<LineProblem>,
    pub warnings: Vec<LineProblem>,
    pub organisations_created: Vec<ImportedLine>,
    pub roles_created: usize,
}

/// An import kept on this laptop, to undo.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct ListImportBatch {
    pub id: String,
    pub imported_at: String,
    pub source: String,
    pub imported: usize,
    pub merged: usize,
    pub organisations_created: usize,
    pub roles_created: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub undone_at: Option<String>,
}

/// What an undo did.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct ListImportUndo {
    pub batch_id: String,
    /// Records the import made that are now deleted.
    pub deleted: usize,
    /// Fields a merge filled that are empty again.
    pub cleared: usize,
    /// Fields changed since the import, left as they are now.
    pub kept_changed: usize,
}

/// What the batch keeps to undo itself: the records made, the fields a merge filled.
#[derive(Debug, Default, Serialize, Deserialize)]
struct UndoLog {
    created: Vec<(String, Uuid)>,
    filled: Vec<(String, Uuid, Map<String, Value>)>,
}

/// A plan's writes, its report and its undo.
struct Assembled {
    writes: Vec<Write>,
    report: ListImportReport,
    log: UndoLog,
}

/// A row's fate, decided.
#[derive(Debug, Clone)]
enum Outcome {
    Refused(LineProblem),
    New(Draft),
    Duplicate {
        draft: Draft,
        known: usize,
        reason: DuplicateReason,
        resolution: Resolution,
        fills: Map<String, Value>,
    },
}

/// A role held: contact, organisation, kind, and `start/end` for an ended one.
type RoleKey = (Uuid, Uuid, &'static str, Option<String>);

/// The whole analysis: what the preview shows and the import writes.
struct Plan {
    source: ListSource,
    list_kind: ListKind,
    columns: Vec<ColumnChoice>,
    mapping: Mapping,
    outcomes: Vec<Outcome>,
    /// The people (or organisations) known: the store's, then the list's new ones.
    index: Finder,
    rows_in_list: usize,
    /// Why the list cannot be imported as mapped (a preview of only its columns).
    unusable: Option<ImportError>,
    /// The store's organisations by folded name, and the new ones by folded name.
    organisations: HashMap<String, Uuid>,
    new_organisations: Vec<(String, draft::OrganisationDraft)>,
    /// Areas by folded name.
    areas: HashMap<String, Uuid>,
}

const MAX_SAMPLES: usize = 3;

impl Store {
    /// What importing the list would do, without writing anything: the same plan and the same
    /// writes as [`Store::import_list`], counted instead of written.
    pub fn import_preview(
        &self,
        bytes: &[u8],
        request: &ListImportRequest,
    ) -> Result<ListImportPreview, ImportError> {
        let mut plan = self.import_plan(bytes, request)?;
        if let Some(problem) = plan.unusable.take() {
            return Ok(ListImportPreview {
                source: plan.source,
                list_kind: plan.list_kind,
                columns: plan.columns,
                rows: Vec::new(),
                refused: Vec::new(),
                warnings: Vec::new(),
                duplicates: Vec::new(),
                counts: ListImportCounts::default(),
                rows_in_list: plan.rows_in_list,
                columns_needed: Some(problem.code().to_owned()),
            });
        }
        let limit = request.preview_rows.unwrap_or(100);
        let mut duplicates = Vec::new();
        let mut rows = Vec::new();
        for outcome in &plan.outcomes {
            let (draft, outcome_name) = match outcome {
                Outcome::Refused(problem) => {
                    if rows.len() < limit {
                        rows.push(PreviewRow {
                            line: problem.line,
                            outcome: "refused".into(),
                            fields: Map::new(),
                            organisation: None,
                            organisation_new: false,
                            role: None,
                            role_title: None,
                            role_start: None,
                            problems: vec![problem.clone()],
                        });
                    }
                    continue;
                }
                Outcome::New(draft) => (draft, "new"),
                Outcome::Duplicate {
                    draft,
                    known,
                    reason,
                    resolution,
                    fills,
                } => {
                    duplicates.push(Duplicate {
                        line: draft.line,
                        reason: *reason,
                        existing: plan.existing(*known),
                        resolution: *resolution,
                        fills: fills.clone(),
                    });
                    let name = match resolution {
                        Resolution::Skip => "skip",
                        Resolution::Merge => "merge",
                        Resolution::Add => "add",
                    };
                    (draft, name)
                }
            };
            if rows.len() < limit {
                let org = draft
                    .organisation
                    .as_ref()
                    .filter(|_| plan.list_kind == ListKind::Contacts);
                rows.push(PreviewRow {
                    line: draft.line,
                    outcome: outcome_name.into(),
                    fields: draft.fields.clone(),
                    organisation: org.map(|o| o.name.clone()),
                    organisation_new: org
                        .is_some_and(|o| !plan.organisations.contains_key(&fold(&o.name))),
                    role: draft.role.as_ref().map(|r| r.kind.to_owned()),
                    role_title: draft.role.as_ref().and_then(|r| r.title.clone()),
                    role_start: draft.role.as_ref().map(|r| r.start_date.to_string()),
                    problems: draft.warnings.clone(),
                });
            }
        }
        let rows_total = plan.outcomes.len();
        let Assembled { report, .. } = self.assemble(&mut plan)?;
        let counts = ListImportCounts {
            rows: rows_total,
            new: report.imported.len(),
            merged: report.merged.len(),
            skipped: report.skipped.len(),
            refused: report.refused.len(),
            warnings: report.warnings.len(),
            duplicates: duplicates.len(),
            organisations_new: report.organisations_created.len(),
            roles_new: report.roles_created,
        };
        Ok(ListImportPreview {
            source: plan.source,
            list_kind: plan.list_kind,
            columns: plan.columns,
            rows,
            refused: report.refused,
            warnings: report.warnings,
            duplicates,
            counts,
            rows_in_list: plan.rows_in_list,
            columns_needed: None,
        })
    }

    /// Imports the list: every line that is not refused or skipped, as one batch through the
    /// one door (one transaction, one outbox entry, one undo). The mapping used is remembered
    /// for this kind of source.
    pub fn import_list(
        &mut self,
        bytes: &[u8],
        request: &ListImportRequest,
    ) -> Result<ListImportReport, ImportError> {
        let every_row = ListImportRequest {
            check_rows: None,
            columns_first: false,
            ..request.clone()
        };
        let mut plan = self.import_plan(bytes, &every_row)?;
        let Assembled {
            mut writes,
            mut report,
            log,
        } = self.assemble(&mut plan)?;
        if writes.is_empty() {
            return Ok(report);
        }
        // Where the people came from (AVG): "import: leden.xlsx", unless the list says.
        let source = format!(
            "import: {}",
            request.file_name.as_deref().unwrap_or(&plan.source.kind)
        );
        for write in &mut writes {
            if let (Entity::Contact, crate::write::Op::Create(fields)) =
                (write.entity, &mut write.op)
            {
                fields
                    .entry("source")
                    .or_insert_with(|| Value::String(source.chars().take(500).collect()));
            }
        }
        let batch_id = Uuid::now_v7();
        let summary = serde_json::json!({
            "imported": report.imported.len(),
            "merged": report.merged.len(),
            "organisations_created": report.organisations_created.len(),
            "roles_created": report.roles_created,
        });
        let undo = serde_json::to_string(&log).map_err(|e| Error::StoredData(e.to_string()))?;
        let mapping =
            serde_json::to_string(&plan.mapping).map_err(|e| Error::StoredData(e.to_string()))?;
        let source_name = request
            .file_name
            .clone()
            .unwrap_or_else(|| plan.source.kind.clone());
        let kind = plan.source.kind.clone();
        let now = jiff::Timestamp::now().to_string();
        self.write_and_record(writes, |tx, _| {
            tx.execute(
                "INSERT INTO import_batch(id, imported_at, source, report, undo)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                (
                    batch_id.to_string(),
                    &now,
                    &source_name,
                    summary.to_string(),
                    &undo,
                ),
            )?;
            tx.execute(
                "INSERT INTO import_mapping(source_kind, mapping) VALUES (?1, ?2)
                 ON CONFLICT(source_kind) DO UPDATE SET mapping = excluded.mapping",
                (&kind, &mapping),
            )?;
            Ok(())
        })?;
        report.batch_id = Some(batch_id.to_string());
        self.forget_import_index();
        Ok(report)
    }

    /// The writes of a plan, what they will do, and how to take them back.
    fn assemble(&self, plan: &mut Plan) -> Result<Assembled> {
        let mut writes: Vec<Write> = Vec::new();
        let mut report = ListImportReport {
            batch_id: None,
            source: plan.source.clone(),
            imported: Vec::new(),
            merged: Vec::new(),
            skipped: Vec::new(),
            refused: Vec::new(),
            warnings: Vec::new(),
            organisations_created: Vec::new(),
            roles_created: 0,
        };
        let mut log = UndoLog::default();
        let entity = match plan.list_kind {
            ListKind::Contacts => Entity::Contact,
            ListKind::Organisations => Entity::Organisation,
        };

        // The organisations the list names that are not in the store, made first.
        if plan.list_kind == ListKind::Contacts {
            for (key, org) in std::mem::take(&mut plan.new_organisations) {
                let mut fields = Fields::new();
                fields.insert("name".into(), Value::String(org.name.clone()));
                let kind = org
                    .kind
                    .unwrap_or_else(|| draft::organisation_kind_from_name(&org.name));
                fields.insert("kind".into(), Value::String(kind.into()));
                if let Some(area) = org.area.as_deref().and_then(|a| plan.areas.get(&fold(a))) {
                    fields.insert("area_ids".into(), Value::from(vec![area.to_string()]));
                }
                let write = Write::create(Entity::Organisation, fields);
                plan.organisations.insert(key, write.id);
                log.created
                    .push((Entity::Organisation.name().into(), write.id));
                report.organisations_created.push(ImportedLine {
                    line: 0,
                    id: write.id.to_string(),
                    name: org.name,
                    fields: Vec::new(),
                });
                writes.push(write);
            }
        }

        // Where each line's person went: a new record (its write's index) or a stored one.
        let mut created_at: HashMap<usize, usize> = HashMap::new();
        // Only a stored person merged into can hold a role already.
        let merged_into: Vec<Uuid> = plan
            .outcomes
            .iter()
            .filter_map(|o| match o {
                Outcome::Duplicate {
                    known,
                    resolution: Resolution::Merge,
                    ..
                } => match plan.index.origin(*known) {
                    Origin::Store(id) => Some(id),
                    Origin::Line(_) => None,
                },
                _ => None,
            })
            .collect();
        let mut roles_seen = self.roles_held_by(&merged_into)?;
        let outcomes = std::mem::take(&mut plan.outcomes);
        for outcome in outcomes {
            let (draft, target) = match outcome {
                Outcome::Refused(problem) => {
                    report.refused.push(problem);
                    continue;
                }
                Outcome::New(draft)
                | Outcome::Duplicate {
                    draft,
                    resolution: Resolution::Add,
                    ..
                } => {
                    let mut fields = draft.fields.clone();
                    if plan.list_kind == ListKind::Organisations {
                        plan.organisation_fields(&draft, &mut fields);
                    }
                    let write = Write::create(entity, fields);
                    let id = write.id;
                    log.created.push((entity.name().into(), id));
                    created_at.insert(draft.line, writes.len());
                    report.imported.push(ImportedLine {
                        line: draft.line,
                        id: id.to_string(),
                        name: draft.text("name").unwrap_or_default().to_owned(),
                        fields: Vec::new(),
                    });
                    writes.push(write);
                    (draft, id)
                }
                Outcome::Duplicate {
                    draft,
                    known,
                    reason,
                    resolution: Resolution::Skip,
                    ..
                } => {
                    report.warnings.extend(draft.warnings);
                    report.skipped.push(SkippedLine {
                        line: draft.line,
                        reason,
                        existing: plan.existing(known),
                    });
                    continue;
                }
                Outcome::Duplicate {
                    draft,
                    known,
                    resolution: Resolution::Merge,
                    ..
                } => {
                    let fills = plan.index.fill(known, &draft.fields);
                    plan.index.filled(known, &fills);
                    let names: Vec<String> = fills.keys().cloned().collect();
                    let id = match plan.index.origin(known) {
                        Origin::Store(id) => {
                            if !fills.is_empty() {
                                log.filled.push((entity.name().into(), id, fills.clone()));
                                writes.push(Write::update(entity, id, fills));
                            }
                            id
                        }
                        Origin::Line(line) => {
                            // Someone new earlier in the list: the fields go into that write.
                            let at = created_at.get(&line).copied();
                            match at.and_then(|at| writes.get_mut(at)) {
                                Some(Write {
                                    id,
                                    op: crate::write::Op::Create(fields),
                                    ..
                                }) => {
                                    fields.extend(fills);
                                    *id
                                }
                                _ => continue,
                            }
                        }
                    };
                    report.merged.push(ImportedLine {
                        line: draft.line,
                        id: id.to_string(),
                        name: draft.text("name").unwrap_or_default().to_owned(),
                        fields: names,
                    });
                    (draft, id)
                }
            };
            report.warnings.extend(draft.warnings.iter().cloned());
            // The role in the organisation, unless the person holds it already.
            if let (ListKind::Contacts, Some(org), Some(role)) =
                (plan.list_kind, &draft.organisation, &draft.role)
            {
                let Some(org_id) = plan.organisations.get(&fold(&org.name)).copied() else {
                    continue;
                };
                // A current role once per person, organisation and kind; an ended one once
                // per period (importing the same list again adds nothing).
                let period = role
                    .end_date
                    .map(|end| format!("{}/{end}", role.start_date));
                if !roles_seen.insert((target, org_id, role.kind, period)) {
                    continue;
                }
                let mut fields = Fields::new();
                fields.insert("contact_id".into(), Value::String(target.to_string()));
                fields.insert("organisation_id".into(), Value::String(org_id.to_string()));
                fields.insert("kind".into(), Value::String(role.kind.into()));
                if let Some(title) = &role.title {
                    fields.insert("title".into(), Value::String(title.clone()));
                }
                fields.insert(
                    "start_date".into(),
                    Value::String(role.start_date.to_string()),
                );
                if let Some(end) = role.end_date {
                    fields.insert("end_date".into(), Value::String(end.to_string()));
                }
                let write = Write::create(Entity::Role, fields);
                log.created.push((Entity::Role.name().into(), write.id));
                report.roles_created += 1;
                writes.push(write);
            }
        }

        Ok(Assembled {
            writes,
            report,
            log,
        })
    }

    /// The imports kept on this laptop, newest first.
    pub fn import_batches(&self) -> Result<Vec<ListImportBatch>> {
        let mut stmt = self.conn.prepare(
            "SELECT id, imported_at, source, report, undone_at FROM import_batch
             ORDER BY imported_at DESC, id DESC",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, Option<String>>(4)?,
            ))
        })?;
        let mut batches = Vec::new();
        for row in rows {
            let (id, imported_at, source, report, undone_at) = row?;
            let report: Value = serde_json::from_str(&report).unwrap_or(Value::Null);
            let count = |k: &str| report.get(k).and_then(Value::as_u64).unwrap_or(0) as usize;
            batches.push(ListImportBatch {
                id,
                imported_at,
                source,
                imported: count("imported"),
                merged: count("merged"),
                organisations_created: count("organisations_created"),
                roles_created: count("roles_created"),
                undone_at,
            });
        }
        Ok(batches)
    }

    /// Takes an import back as one write: the records it made are deleted (tombstones, as any
    /// delete), the fields a merge filled are emptied again unless they were changed since.
    pub fn import_undo(&mut self, batch_id: &str) -> Result<ListImportUndo, ImportError> {
        let row: Option<(String, Option<String>)> = self
            .conn
            .query_row(
                "SELECT undo, undone_at FROM import_batch WHERE id = ?1",
                [batch_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(Error::from)?;
        let Some((undo, undone_at)) = row else {
            return Err(ImportError::NoSuchBatch(batch_id.to_owned()));
        };
        if undone_at.is_some() {
            return Err(ImportError::AlreadyUndone(batch_id.to_owned()));
        }
        let log: UndoLog =
            serde_json::from_str(&undo).map_err(|e| Error::StoredData(e.to_string()))?;
        let mut writes = Vec::new();
        let mut report = ListImportUndo {
            batch_id: batch_id.to_owned(),
            deleted: 0,
            cleared: 0,
            kept_changed: 0,
        };
        // Children first: roles, then people, then organisations.
        let mut created = log.created.clone();
        created.sort_by_key(|(entity, _)| match entity.as_str() {
            "role" => 0,
            "contact" => 1,
            _ => 2,
        });
        for (entity, id) in created {
            let Ok(entity) = entity.parse::<Entity>() else {
                continue;
            };
            match self.get(entity, id) {
                Ok(record) if record.get("deleted").is_none() => {
                    writes.push(Write::delete(entity, id));
                    report.deleted += 1;
                }
                _ => {}
            }
        }
        for (entity, id, fields) in log.filled {
            let Ok(entity) = entity.parse::<Entity>() else {
                continue;
            };
            let Ok(now) = self.get(entity, id) else {
                continue;
            };
            let mut clear = Fields::new();
            for (name, value) in fields {
                if now.get(&name) == Some(&value) {
                    clear.insert(name, Value::Null);
                    report.cleared += 1;
                } else {
                    report.kept_changed += 1;
                }
            }
            if !clear.is_empty() && now.get("deleted").is_none() {
                writes.push(Write::update(entity, id, clear));
            }
        }
        let now = jiff::Timestamp::now().to_string();
        let mark = |tx: &rusqlite::Transaction| -> Result<()> {
            tx.execute(
                "UPDATE import_batch SET undone_at = ?2 WHERE id = ?1",
                (batch_id, &now),
            )?;
            Ok(())
        };
        if writes.is_empty() {
            let tx = self.conn.transaction().map_err(Error::from)?;
            mark(&tx)?;
            tx.commit().map_err(Error::from)?;
        } else {
            self.write_and_record(writes, |tx, _| mark(tx))?;
        }
        Ok(report)
    }

    /// The mapping last chosen for a kind of source.
    pub fn remembered_mapping(&self, source_kind: &str) -> Result<Option<Mapping>> {
        let text: Option<String> = self
            .conn
            .query_row(
                "SELECT mapping FROM import_mapping WHERE source_kind = ?1",
                [source_kind],
                |r| r.get(0),
            )
            .optional()?;
        Ok(text.and_then(|t| serde_json::from_str(&t).ok()))
    }

    /// The roles these contacts hold, as (contact, organisation, kind, period): the period is
    /// None for a current role (no end date), `start/end` for an ended one.
    fn roles_held_by(&self, contacts: &[Uuid]) -> Result<HashSet<RoleKey>> {
        let mut held = HashSet::new();
        let mut contacts: Vec<String> = contacts.iter().map(Uuid::to_string).collect();
        contacts.sort_unstable();
        contacts.dedup();
        for chunk in contacts.chunks(500) {
            let marks = vec!["?"; chunk.len()].join(",");
            let mut stmt = self.conn.prepare(&format!(
                "SELECT contact_id, organisation_id, kind, start_date, end_date FROM role
                 WHERE deleted = 0 AND contact_id IN ({marks})"
            ))?;
            let mut rows = stmt.query(rusqlite::params_from_iter(chunk))?;
            while let Some(r) = rows.next()? {
                let contact: Option<String> = r.get(0)?;
                let org: Option<String> = r.get(1)?;
                let kind: Option<String> = r.get(2)?;
                let start: Option<String> = r.get(3)?;
                let end: Option<String> = r.get(4)?;
                let (Some(contact), Some(org), Some(kind)) = (contact, org, kind) else {
                    continue;
                };
                let kind = crate::schema::ROLE_KINDS.iter().find(|k| **k == kind);
                if let (Ok(c), Ok(o), Some(k)) =
                    (Uuid::parse_str(&contact), Uuid::parse_str(&org), kind)
                {
                    let period = end.map(|end| format!("{}/{end}", start.unwrap_or_default()));
                    held.insert((c, o, *k, period));
                }
            }
        }
        Ok(held)
    }

    /// Reads, maps, builds and checks every row: the plan shared by preview and import.
    fn import_plan(&self, bytes: &[u8], request: &ListImportRequest) -> Result<Plan, ImportError> {
        let List { format, table } = wijkwerk_lists::read(bytes, request.sheet.as_deref())?;
        if table.rows.is_empty() {
            return Err(ImportError::NoRows);
        }
        let vcard = matches!(format, Format::Vcard { .. });
        let kind = mapping::source_kind(&table.headers, vcard);
        let remembered = self.remembered_mapping(&kind)?;
        let mapping = match &request.mapping {
            Some(given) => {
                if let Some(unknown) = given.keys().find(|h| !table.headers.contains(h)) {
                    return Err(ImportError::UnknownColumn(unknown.clone()));
                }
                table
                    .headers
                    .iter()
                    .map(|h| (h.clone(), given.get(h).copied().flatten()))
                    .collect()
            }
            None => mapping::suggest_mapping(&table.headers, remembered.as_ref()),
        };
        let columns = Columns::resolve(&table.headers, &mapping);
        let mut unusable = None;
        if mapping.values().all(Option::is_none) {
            unusable = Some(ImportError::NoKnownColumn {
                headers: table
                    .headers
                    .iter()
                    .take(12)
                    .map(|h| format!("{h:?}"))
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
        let list_kind = request.list_kind.unwrap_or(
            if !columns.names_people() && columns.has(Target::Organisation) {
                ListKind::Organisations
            } else {
                ListKind::Contacts
            },
        );
        if unusable.is_none() && list_kind == ListKind::Contacts && !columns.names_people() {
            unusable = Some(ImportError::NoNameColumn);
        }
        if unusable.is_none()
            && list_kind == ListKind::Organisations
            && !columns.has(Target::Organisation)
            && !columns.has(Target::Name)
        {
            unusable = Some(ImportError::NoNameColumn);
        }
        let source = ListSource {
            format: match &format {
                Format::Delimited { .. } => "csv",
                Format::Workbook { .. } => "workbook",
                Format::Vcard { .. } => "vcard",
            }
            .into(),
            separator: match &format {
                Format::Delimited { separator, .. } => Some(match separator {
                    '\t' => "tab".to_owned(),
                    s => s.to_string(),
                }),
                _ => None,
            },
            encoding: match &format {
                Format::Delimited { encoding, .. } | Format::Vcard { encoding } => {
                    Some(encoding.label().to_owned())
                }
                Format::Workbook { .. } => None,
            },
            sheets: match &format {
                Format::Workbook { sheets, .. } => sheets.clone(),
                _ => Vec::new(),
            },
            sheet: match &format {
                Format::Workbook { sheet, .. } => Some(sheet.clone()),
                _ => None,
            },
            kind,
            mapping_remembered: request.mapping.is_none() && remembered.is_some(),
        };
        let column_choices = table
            .headers
            .iter()
            .enumerate()
            .map(|(col, header)| ColumnChoice {
                header: header.clone(),
                target: mapping.get(header).copied().flatten(),
                samples: table
                    .rows
                    .iter()
                    .filter_map(|r| r.cells.get(col))
                    .map(|c| c.trim())
                    .filter(|c| !c.is_empty())
                    .take(MAX_SAMPLES)
                    .map(|c| c.chars().take(60).collect())
                    .collect(),
            })
            .collect();

        // A list whose columns say nothing usable yet: an error for the import; for a preview,
        // the columns and their samples, so that the user can say what they hold.
        if let Some(problem) = unusable {
            if !request.columns_first {
                return Err(problem);
            }
            return Ok(Plan {
                rows_in_list: table.rows.len(),
                unusable: Some(problem),
                source,
                list_kind,
                columns: column_choices,
                mapping,
                outcomes: Vec::new(),
                index: Finder::new(std::sync::Arc::new(duplicates::Index::default())),
                organisations: HashMap::new(),
                new_organisations: Vec::new(),
                areas: HashMap::new(),
            });
        }
        let builder = Builder {
            columns: &columns,
            kind: list_kind,
            today: request.today.unwrap_or_else(crate::today),
            check_widths: matches!(format, Format::Delimited { .. }),
        };
        let organisations_listed = list_kind == ListKind::Organisations;
        let mut index = Finder::new(self.import_index(organisations_listed)?);
        let organisations = self.organisations_by_name()?;
        let areas = self.areas_by_name()?;
        let mut new_organisations: Vec<(String, draft::OrganisationDraft)> = Vec::new();
        let mut outcomes = Vec::with_capacity(table.rows.len());
        let rows_in_list = table.rows.len();
        for row in table
            .rows
            .iter()
            .take(request.check_rows.unwrap_or(usize::MAX))
        {
            let mut draft = match builder.build(row) {
                Ok(draft) => draft,
                Err(problem) => {
                    outcomes.push(Outcome::Refused(problem));
                    continue;
                }
            };
            if let Some(org) = &draft.organisation {
                if let Some(area) = &org.area {
                    if !areas.contains_key(&fold(area)) {
                        let col = mapping
                            .iter()
                            .find(|(_, t)| **t == Some(Target::Area))
                            .map(|(h, _)| h.clone());
                        draft.warnings.push(LineProblem::new(
                            draft.line,
                            col,
                            ProblemCode::UnknownArea,
                            Some(area.clone()),
                            "no area of this name: the organisation is made without it".into(),
                        ));
                    }
                }
            }
            match index.find(&draft.fields) {
                Some((known, reason)) => {
                    let resolution = request
                        .resolutions
                        .get(&draft.line)
                        .copied()
                        .unwrap_or(request.duplicates);
                    outcomes.push(Outcome::Duplicate {
                        draft,
                        known,
                        reason,
                        resolution,
                        fills: Map::new(),
                    });
                }
                None => {
                    index.add(Origin::Line(draft.line), draft.fields.clone());
                    if list_kind == ListKind::Contacts {
                        if let Some(org) = &draft.organisation {
                            let key = fold(&org.name);
                            if !organisations.contains_key(&key)
                                && !new_organisations.iter().any(|(k, _)| *k == key)
                            {
                                new_organisations.push((key, org.clone()));
                            }
                        }
                    }
                    outcomes.push(Outcome::New(draft));
                }
            }
        }
        // What a merge would fill in needs every field of the stored ones the duplicates are.
        let known = outcomes.iter().filter_map(|o| match o {
            Outcome::Duplicate { known, .. } => Some(*known),
            _ => None,
        });
        self.read_duplicates(&mut index, known, organisations_listed)?;
        for outcome in &mut outcomes {
            if let Outcome::Duplicate {
                draft,
                known,
                fills,
                ..
            } = outcome
            {
                *fills = index.fill(*known, &draft.fields);
            }
        }
        // A duplicate that is merged or added still brings its organisation.
        if list_kind == ListKind::Contacts {
            for outcome in &outcomes {
                if let Outcome::Duplicate {
                    draft,
                    resolution: Resolution::Merge | Resolution::Add,
                    ..
                } = outcome
                {
                    if let Some(org) = &draft.organisation {
                        let key = fold(&org.name);
                        if !organisations.contains_key(&key)
                            && !new_organisations.iter().any(|(k, _)| *k == key)
                        {
                            new_organisations.push((key, org.clone()));
                        }
                    }
                }
            }
        }
        Ok(Plan {
            rows_in_list,
            unusable: None,
            source,
            list_kind,
            columns: column_choices,
            mapping,
            outcomes,
            index,
            organisations,
            new_organisations,
            areas,
        })
    }

    fn organisations_by_name(&self) -> Result<HashMap<String, Uuid>> {
        self.ids_by_folded_name("SELECT id, name FROM organisation WHERE deleted = 0 ORDER BY id")
    }

    fn areas_by_name(&self) -> Result<HashMap<String, Uuid>> {
        self.ids_by_folded_name("SELECT id, name FROM area WHERE deleted = 0 ORDER BY id")
    }

    fn ids_by_folded_name(&self, sql: &str) -> Result<HashMap<String, Uuid>> {
        let mut stmt = self.conn.prepare(sql)?;
        let mut rows = stmt.query([])?;
        let mut map = HashMap::new();
        while let Some(r) = rows.next()? {
            let id: String = r.get(0)?;
            let name: Option<String> = r.get(1)?;
            if let (Ok(id), Some(name)) = (Uuid::parse_str(&id), name) {
                map.entry(fold(&name)).or_insert(id);
            }
        }
        Ok(map)
    }
}

impl Plan {
    fn existing(&self, known: usize) -> Existing {
        let (id, line) = match self.index.origin(known) {
            Origin::Store(id) => (Some(id.to_string()), None),
            Origin::Line(line) => (None, Some(line)),
        };
        Existing {
            id,
            line,
            fields: self.index.fields(known).clone(),
        }
    }

    /// An organisation's own fields in a list of organisations: its kind and area.
    fn organisation_fields(&self, draft: &Draft, fields: &mut Fields) {
        let name = draft.text("name").unwrap_or_default();
        let org = draft.organisation.as_ref();
        let kind = org
            .and_then(|o| o.kind)
            .unwrap_or_else(|| draft::organisation_kind_from_name(name));
        fields.insert("kind".into(), Value::String(kind.into()));
        if let Some(area) = org
            .and_then(|o| o.area.as_deref())
            .and_then(|a| self.areas.get(&fold(a)))
        {
            fields.insert("area_ids".into(), Value::from(vec![area.to_string()]));
        }
    }
}
