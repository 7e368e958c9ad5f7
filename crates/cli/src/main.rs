//! `wijkwerk`: the command line over the Wijkwerk core. Every command prints JSON on standard
//! output; a refused command prints `{"error": {...}}` on standard error and exits with 1
//! (usage mistakes: 2). A refused write leaves the store exactly as it was.

mod calendar;
mod reports;

use clap::{Args, Parser, Subcommand};
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;
use uuid::Uuid;
use wijkwerk_core::action_points::OverdueCursor;
use wijkwerk_core::sync::http::HttpTransport;
use wijkwerk_core::sync::SyncError;
use wijkwerk_core::{Entity, Error as CoreError, Store};

#[derive(Parser)]
#[command(
    name = "wijkwerk",
    version,
    about = "Wijkwerk: area coordinators' work, from the command line (JSON output)"
)]
struct Cli {
    /// The data folder (holds wijkwerk.sqlite3).
    #[arg(long, env = "WIJKWERK_DATA", global = true)]
    data: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Creates a new store in the data folder, optionally with the demo municipality.
    Init {
        #[arg(long)]
        demo: bool,
        /// The day the demo is built around (default: today).
        #[arg(long, value_name = "YYYY-MM-DD")]
        demo_date: Option<String>,
    },
    /// Areas: municipality, kernen, wijken, buurten.
    Area {
        #[command(subcommand)]
        action: AreaAction,
    },
    /// Associations, kernoverleggen, partners, departments.
    Organisation {
        #[command(subcommand)]
        action: OrganisationAction,
    },
    /// People.
    Contact {
        #[command(subcommand)]
        action: ContactAction,
    },
    /// A person's role in an organisation, from a start date to an optional end date.
    Role {
        #[command(subcommand)]
        action: RecordAction,
    },
    /// Meetings: ledenvergadering, kernoverleg, bestuursoverleg, netwerkbijeenkomst.
    Meeting {
        #[command(subcommand)]
        action: PageAction,
    },
    /// Agenda items of a meeting, with minutes and decisions.
    AgendaItem {
        #[command(subcommand)]
        action: RecordAction,
    },
    /// Attendance of a contact at a meeting (one per pair; adding again updates it).
    Attendance {
        #[command(subcommand)]
        action: RecordAction,
    },
    /// Visits: kernbezoek, wijkschouw.
    Visit {
        #[command(subcommand)]
        action: PageAction,
    },
    /// Route stops of a visit.
    Stop {
        #[command(subcommand)]
        action: RecordAction,
    },
    /// Invitees of a visit (one per pair; adding again updates the response).
    Invitee {
        #[command(subcommand)]
        action: RecordAction,
    },
    /// Findings of a visit.
    Finding {
        #[command(subcommand)]
        action: RecordAction,
    },
    /// Action points: status changes, comments, history, the overdue list.
    ActionPoint {
        #[command(subcommand)]
        action: ActionPointAction,
    },
    /// Searches everything (every word a prefix; diacritics do not matter).
    Search {
        text: Vec<String>,
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
    /// The whole store as canonical JSON (sorted, stable, without clocks and outbox).
    Export {
        /// Write to this file instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Values that lost a merge, for review.
    Conflicts {
        #[command(subcommand)]
        action: Option<ConflictAction>,
        /// Include conflicts already reviewed.
        #[arg(long)]
        all: bool,
    },
    /// One full sync round with the municipal server: push what waits, pull what is new.
    Sync {
        /// The server address, e.g. https://wijkwerk.bergen.nl (remembered after the first round).
        #[arg(long)]
        server: Option<String>,
        #[arg(long, env = "WIJKWERK_TOKEN", hide_env_values = true)]
        token: Option<String>,
        /// Seconds to wait for an answer.
        #[arg(long, default_value_t = 60)]
        timeout: u64,
        /// Trust only this certificate authority (PEM), e.g. the municipality's own.
        #[arg(long, value_name = "FILE")]
        ca: Option<PathBuf>,
        /// The server is a training server: a store with the demo municipality may sync with it
        /// (from now on). Never for a municipality's own server.
        #[arg(long)]
        allow_demo: bool,
    },
    /// Where this store stands with its server: waiting changes, conflicts, last sync.
    SyncStatus,
    /// Local changes waiting to be sent to the server.
    Outbox,
    /// Calendars: export to .ics (Outlook, Google, Apple), import invitations, plan the year.
    Calendar {
        #[command(subcommand)]
        action: calendar::CalendarAction,
    },
    /// Kernovereenkomsten: a kern's (or wijk's) agreement on a few projects for a period.
    Agreement {
        #[command(subcommand)]
        action: AgreementAction,
    },
    /// Projects and the municipality's plans that touch an area.
    Project {
        #[command(subcommand)]
        action: PageAction,
    },
    /// Milestones of a project's planning (date, what, done_on).
    Milestone {
        #[command(subcommand)]
        action: RecordAction,
    },
    /// The werkkapitaal of a year (one per municipality and year), divided pro rata inhabitants.
    Budget {
        #[command(subcommand)]
        action: BudgetAction,
    },
    /// A recorded change of a kernoverleg's share of the werkkapitaal, with its reason.
    BudgetAdjustment {
        #[command(subcommand)]
        action: RecordAction,
    },
    /// Commitments (toekenningen) from a kernoverleg's werkkapitaal.
    Commitment {
        #[command(subcommand)]
        action: RecordAction,
    },
    /// Payments (uitgaven); `add` and `update` also print warnings (no commitment, beyond it).
    Payment {
        #[command(subcommand)]
        action: RecordAction,
    },
    /// The yearly report on area-based working: JSON on standard output, or a PDF, XLSX or CSV.
    Report {
        #[arg(long)]
        year: i64,
        /// Only this area (a kern, or a wijk) and what lies inside it.
        #[arg(long, value_name = "ID")]
        area: Option<String>,
        #[arg(long, value_enum, default_value = "json")]
        format: reports::ReportFormat,
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// With --format csv: only this table (its key, e.g. actiepunten_per_kern).
        #[arg(long)]
        table: Option<String>,
        /// Weeks after which an untouched open action point is stale (default 8).
        #[arg(long)]
        stale_weeks: Option<i64>,
        /// The day the report is made (default today); a running year stops there.
        #[arg(long, value_name = "YYYY-MM-DD")]
        date: Option<String>,
    },
    /// The yearly overview for a kern's associations: projects and plans that touch it.
    KernOverview {
        #[arg(long, value_name = "ID")]
        kern: String,
        #[arg(long)]
        year: i64,
        #[arg(long, value_enum, default_value = "json")]
        format: reports::DocumentFormat,
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum AgreementAction {
    #[command(flatten)]
    Record(RecordAction),
    /// The agreement with its projects, milestones and where it was discussed.
    Page { id: String },
    /// The agreement as the document to sign (PDF), or its contents as JSON.
    Document {
        id: String,
        #[arg(long, value_enum, default_value = "pdf")]
        format: reports::DocumentFormat,
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum BudgetAction {
    #[command(flatten)]
    Record(RecordAction),
    /// How the werkkapitaal of a year stands: shares, adjustments, committed, spent, remaining,
    /// under-spending and overruns.
    Overview {
        #[arg(long)]
        year: i64,
        /// The municipality (area id), if the store holds more than one.
        #[arg(long, value_name = "ID")]
        municipality: Option<String>,
        /// The day the figures are as of (default today).
        #[arg(long, value_name = "YYYY-MM-DD")]
        date: Option<String>,
    },
}

#[derive(Subcommand)]
enum ConflictAction {
    /// Takes the value that lost back, as a new edit.
    Keep { seq: i64 },
    /// Leaves the value that won; marks the conflict reviewed.
    Dismiss { seq: i64 },
}

#[derive(Subcommand)]
enum RecordAction {
    /// Creates a record from a JSON object (`--json '{...}'`, `--json @file`, `--json -`).
    Add {
        #[arg(long)]
        json: String,
    },
    /// Lists live records in creation order, a page at a time.
    List(ListArgs),
    /// Shows one record.
    Get { id: String },
    /// Changes fields of a record (only the fields given).
    Update {
        id: String,
        #[arg(long)]
        json: String,
    },
    /// Deletes a record (undo with `restore`).
    Delete { id: String },
    /// Brings back a deleted record.
    Restore { id: String },
}

#[derive(Args)]
struct ListArgs {
    /// Continue after this id (the `next` of the previous page).
    #[arg(long)]
    after: Option<String>,
    #[arg(long, default_value_t = 500)]
    limit: usize,
}

#[derive(Subcommand)]
enum AreaAction {
    #[command(flatten)]
    Record(RecordAction),
    /// The area tree with inhabitants.
    Tree,
}

#[derive(Subcommand)]
enum OrganisationAction {
    #[command(flatten)]
    Record(RecordAction),
    /// The board on a day (default today), its history and vacancies.
    Board {
        id: String,
        #[arg(long, value_name = "YYYY-MM-DD")]
        date: Option<String>,
    },
    /// Associations with an empty board seat or a missing chair, secretary or treasurer.
    Vacancies {
        #[arg(long, value_name = "YYYY-MM-DD")]
        date: Option<String>,
    },
}

#[derive(Subcommand)]
enum ContactAction {
    #[command(flatten)]
    Record(RecordAction),
    /// A contact with roles, meetings and action points.
    Page {
        id: String,
        #[arg(long, value_name = "YYYY-MM-DD")]
        date: Option<String>,
    },
}

#[derive(Subcommand)]
enum PageAction {
    #[command(flatten)]
    Record(RecordAction),
    /// The record with its agenda/attendance (meeting) or route/invitees/findings (visit).
    Page { id: String },
}

#[derive(Subcommand)]
enum ActionPointAction {
    #[command(flatten)]
    Record(RecordAction),
    /// Changes the status (open, in_progress, waiting, done, cancelled), with a comment.
    Status {
        id: String,
        #[arg(long)]
        to: String,
        #[arg(long)]
        comment: Option<String>,
        #[arg(long)]
        author: Option<String>,
    },
    /// Adds a comment to the history.
    Comment {
        id: String,
        #[arg(long)]
        text: String,
        #[arg(long)]
        author: Option<String>,
    },
    /// The complete history of status changes and comments.
    History { id: String },
    /// Action points past their due date that are not done, longest overdue first.
    Overdue {
        /// The day to judge by (default today).
        #[arg(long, value_name = "YYYY-MM-DD")]
        date: Option<String>,
        #[arg(long, default_value_t = 100)]
        limit: usize,
        /// Continue after this due date and id (from the last row of the previous page).
        #[arg(long, requires = "after_id")]
        after_due: Option<String>,
        #[arg(long, requires = "after_due")]
        after_id: Option<String>,
    },
}

/// What went wrong in the CLI itself (around the core's own errors).
#[derive(Debug, thiserror::Error)]
enum CliError {
    #[error(transparent)]
    Core(#[from] CoreError),
    #[error(transparent)]
    Sync(#[from] SyncError),
    #[error(transparent)]
    Calendar(#[from] wijkwerk_core::calendar::CalendarError),
    #[error("{0}")]
    Usage(String),
    #[error("--json is not valid JSON: {0}")]
    BadJson(String),
    #[error("--json must be a JSON object, like '{{\"name\": \"...\"}}'")]
    NotAnObject,
    #[error("{0:?} is not an id (UUID)")]
    BadId(String),
    #[error("{0:?} is not a date (YYYY-MM-DD)")]
    BadDate(String),
    #[error("no data folder: give --data DIR or set WIJKWERK_DATA")]
    NoDataFolder,
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    Document(#[from] wijkwerk_documents::DocumentError),
}

impl CliError {
    fn to_json(&self) -> Value {
        let mut error = json!({ "code": self.code(), "message": self.to_string() });
        if let CliError::Core(CoreError::Invalid {
            entity,
            field,
            reason,
        }) = self
        {
            error["entity"] = entity.name().into();
            error["field"] = field.as_str().into();
            error["reason"] = reason.to_string().into();
        }
        if let CliError::Calendar(refused) = self {
            error["line"] = refused.line().into();
            error["reason"] = refused.reason().into();
        }
        json!({ "error": error })
    }

    fn code(&self) -> &'static str {
        match self {
            CliError::Core(e) => e.code(),
            CliError::Sync(SyncError::Store(e)) => e.code(),
            CliError::Sync(e) => e.code(),
            CliError::Usage(_) => "usage",
            CliError::BadJson(_) => "bad_json",
            CliError::NotAnObject => "bad_json",
            CliError::BadId(_) => "bad_id",
            CliError::BadDate(_) => "bad_date",
            CliError::NoDataFolder => "no_data_folder",
            CliError::Io { .. } => "io",
            CliError::Calendar(_) => "bad_calendar",
            CliError::Document(_) => "document",
        }
    }
}

/// What a command prints: JSON, or (for `export`) the export text as it is, or a document's
/// bytes.
enum Output {
    Json(Value),
    Text(String),
    Bytes(Vec<u8>),
}

impl From<Value> for Output {
    fn from(value: Value) -> Self {
        Output::Json(value)
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Writes ignore a closed pipe (`wijkwerk export | head`): the reader has what it wanted.
    let mut stdout = std::io::stdout().lock();
    match run(cli) {
        Ok(Output::Json(value)) => {
            let text = serde_json::to_string_pretty(&value).unwrap_or_default();
            let _ = writeln!(stdout, "{text}");
            ExitCode::SUCCESS
        }
        Ok(Output::Text(text)) => {
            let _ = stdout.write_all(text.as_bytes());
            ExitCode::SUCCESS
        }
        Ok(Output::Bytes(bytes)) => {
            let _ = stdout.write_all(&bytes);
            ExitCode::SUCCESS
        }
        Err(error) => {
            let text = serde_json::to_string_pretty(&error.to_json()).unwrap_or_default();
            let _ = writeln!(std::io::stderr(), "{text}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<Output, CliError> {
    let data = cli.data.ok_or(CliError::NoDataFolder)?;
    if let Command::Init { demo, demo_date } = &cli.command {
        let reference = match demo_date {
            Some(d) => date(d)?,
            None => wijkwerk_core::today(),
        };
        let mut store = Store::init(&data)?;
        let demo_summary = if *demo {
            match wijkwerk_core::demo::load_demo(&mut store, reference) {
                Ok(summary) => Some(to_value(summary)),
                Err(error) => {
                    // Leave the folder as it was before `init`: no half-made store.
                    let path = store.path().to_path_buf();
                    drop(store);
                    for suffix in ["", "-wal", "-shm"] {
                        let mut file = path.clone().into_os_string();
                        file.push(suffix);
                        let _ = std::fs::remove_file(file);
                    }
                    return Err(error.into());
                }
            }
        } else {
            None
        };
        return Ok(Output::Json(json!({
            "created": store.path().display().to_string(),
            "store_version": store.version()?,
            "demo": demo_summary,
        })));
    }
    let mut store = Store::open(&data)?;
    let store = &mut store;
    let value = match cli.command {
        Command::Init { .. } => unreachable_init(),
        Command::Area { action } => match action {
            AreaAction::Record(a) => record(store, Entity::Area, a),
            AreaAction::Tree => Ok(to_value(store.area_tree()?)),
        },
        Command::Organisation { action } => match action {
            OrganisationAction::Record(a) => record(store, Entity::Organisation, a),
            OrganisationAction::Board { id, date: day } => Ok(to_value(
                store.board(uuid(&id)?, day_or_today(day.as_deref())?)?,
            )),
            OrganisationAction::Vacancies { date: day } => {
                Ok(to_value(store.vacancies(day_or_today(day.as_deref())?)?))
            }
        },
        Command::Contact { action } => match action {
            ContactAction::Record(a) => record(store, Entity::Contact, a),
            ContactAction::Page { id, date: day } => Ok(to_value(
                store.contact_page(uuid(&id)?, day_or_today(day.as_deref())?)?,
            )),
        },
        Command::Role { action } => record(store, Entity::Role, action),
        Command::Meeting { action } => match action {
            PageAction::Record(a) => record(store, Entity::Meeting, a),
            PageAction::Page { id } => Ok(to_value(
                store.meeting_page(uuid(&id)?, wijkwerk_core::today())?,
            )),
        },
        Command::AgendaItem { action } => record(store, Entity::AgendaItem, action),
        Command::Attendance { action } => record(store, Entity::Attendance, action),
        Command::Visit { action } => match action {
            PageAction::Record(a) => record(store, Entity::Visit, a),
            PageAction::Page { id } => Ok(to_value(store.visit_page(uuid(&id)?)?)),
        },
        Command::Stop { action } => record(store, Entity::Stop, action),
        Command::Invitee { action } => record(store, Entity::Invitee, action),
        Command::Finding { action } => record(store, Entity::Finding, action),
        Command::ActionPoint { action } => action_point(store, action),
        Command::Search { text, limit } => Ok(to_value(store.search(&text.join(" "), limit)?)),
        Command::Export { out } => {
            let text = store.export_json()?;
            match out {
                Some(path) => {
                    std::fs::write(&path, &text).map_err(|source| CliError::Io {
                        path: path.display().to_string(),
                        source,
                    })?;
                    Ok(json!({ "exported": path.display().to_string(), "bytes": text.len() }))
                }
                // The export is the output itself, byte for byte.
                None => return Ok(Output::Text(text)),
            }
        }
        Command::Conflicts { action, all } => match action {
            None => Ok(to_value(store.conflicts(all, 1000)?)),
            Some(ConflictAction::Keep { seq }) => {
                store.keep_lost_value(seq)?;
                Ok(json!({ "kept": seq }))
            }
            Some(ConflictAction::Dismiss { seq }) => {
                store.resolve_conflict(seq)?;
                Ok(json!({ "dismissed": seq }))
            }
        },
        Command::Sync {
            server,
            token,
            timeout,
            ca,
            allow_demo,
        } => {
            if allow_demo {
                store.allow_demo_sync()?;
            }
            let server = match server.or(store.sync_status()?.server) {
                Some(server) => server,
                None => {
                    return Err(CliError::Usage(
                        "give --server URL for the first sync".into(),
                    ))
                }
            };
            let token = token.ok_or_else(|| {
                CliError::Usage("give --token TOKEN (or set WIJKWERK_TOKEN)".into())
            })?;
            let ca_pem = match &ca {
                Some(path) => Some(std::fs::read(path).map_err(|source| CliError::Io {
                    path: path.display().to_string(),
                    source,
                })?),
                None => None,
            };
            let mut transport = HttpTransport::with_authority(
                &server,
                &token,
                Duration::from_secs(timeout),
                ca_pem.as_deref(),
            )?;
            match store.sync_round(&server, &mut transport) {
                Ok(report) => Ok(
                    json!({ "server": server, "report": to_value(report), "status": to_value(store.sync_status()?) }),
                ),
                Err(error) => {
                    store.record_sync_error(&error)?;
                    Err(error.into())
                }
            }
        }
        Command::SyncStatus => Ok(to_value(store.sync_status()?)),
        Command::Calendar { action } => return calendar::run(store, action),
        Command::Agreement { action } => match action {
            AgreementAction::Record(a) => record(store, Entity::Agreement, a),
            AgreementAction::Page { id } => Ok(to_value(store.agreement_page(uuid(&id)?)?)),
            AgreementAction::Document { id, format, out } => {
                return reports::agreement_document(store, &id, format, out)
            }
        },
        Command::Project { action } => match action {
            PageAction::Record(a) => record(store, Entity::Project, a),
            PageAction::Page { id } => Ok(to_value(store.project_page(uuid(&id)?)?)),
        },
        Command::Milestone { action } => record(store, Entity::Milestone, action),
        Command::Budget { action } => match action {
            BudgetAction::Record(a) => record(store, Entity::Budget, a),
            BudgetAction::Overview {
                year,
                municipality,
                date: day,
            } => {
                if let Some(m) = &municipality {
                    uuid(m)?;
                }
                let day = day_or_today(day.as_deref())?;
                match store.budget_overview(year, municipality.as_deref(), day)? {
                    Some(overview) => Ok(to_value(overview)),
                    None => Err(CliError::Core(CoreError::BadRequest(format!(
                        "there is no werkkapitaal for {year}; add one with `budget add`"
                    )))),
                }
            }
        },
        Command::BudgetAdjustment { action } => record(store, Entity::BudgetAdjustment, action),
        Command::Commitment { action } => record(store, Entity::Commitment, action),
        Command::Payment { action } => payment(store, action),
        Command::Report {
            year,
            area,
            format,
            out,
            table,
            stale_weeks,
            date: day,
        } => {
            return reports::report(
                store,
                reports::ReportArgs {
                    year,
                    area,
                    format,
                    out,
                    table,
                    stale_weeks,
                    date: day,
                },
            )
        }
        Command::KernOverview {
            kern,
            year,
            format,
            out,
        } => return reports::kern_overview(store, &kern, year, format, out),
        Command::Outbox => {
            let waiting = store.outbox(1000)?;
            Ok(json!({
                "transactions_waiting": store.outbox_len()?,
                "first": waiting.into_iter().map(|(seq, set)| json!({"seq": seq, "set": set})).collect::<Vec<_>>(),
            }))
        }
    }?;
    Ok(Output::Json(value))
}

fn unreachable_init() -> Result<Value, CliError> {
    Err(CliError::Core(CoreError::BadRequest(
        "init was handled above".into(),
    )))
}

fn record(store: &mut Store, entity: Entity, action: RecordAction) -> Result<Value, CliError> {
    match action {
        RecordAction::Add { json } => {
            let fields = fields(&json)?;
            let id = store.create(entity, fields)?;
            Ok(store.get(entity, id)?)
        }
        RecordAction::List(ListArgs { after, limit }) => {
            let after = after.as_deref().map(uuid).transpose()?;
            Ok(to_value(store.list(entity, after, limit)?))
        }
        RecordAction::Get { id } => Ok(store.get(entity, uuid(&id)?)?),
        RecordAction::Update { id, json } => {
            let id = uuid(&id)?;
            store.update(entity, id, fields(&json)?)?;
            Ok(store.get(entity, id)?)
        }
        RecordAction::Delete { id } => {
            let id = uuid(&id)?;
            store.delete(entity, id)?;
            Ok(json!({ "deleted": id.to_string(), "entity": entity.name() }))
        }
        RecordAction::Restore { id } => {
            let id = uuid(&id)?;
            store.restore(entity, id)?;
            Ok(store.get(entity, id)?)
        }
    }
}

/// Payments are records like the others; after a write the warnings about it come along.
fn payment(store: &mut Store, action: RecordAction) -> Result<Value, CliError> {
    let written = matches!(
        &action,
        RecordAction::Add { .. } | RecordAction::Update { .. }
    );
    let record = record(store, Entity::Payment, action)?;
    if !written {
        return Ok(record);
    }
    let id = record
        .get("id")
        .and_then(Value::as_str)
        .map(uuid)
        .transpose()?;
    let warnings = match id {
        Some(id) => to_value(store.payment_warnings(id)?),
        None => json!([]),
    };
    Ok(json!({ "payment": record, "warnings": warnings }))
}

fn action_point(store: &mut Store, action: ActionPointAction) -> Result<Value, CliError> {
    match action {
        ActionPointAction::Record(a) => record(store, Entity::ActionPoint, a),
        ActionPointAction::Status {
            id,
            to,
            comment,
            author,
        } => {
            let id = uuid(&id)?;
            store.change_action_point_status(id, &to, comment.as_deref(), author.as_deref())?;
            Ok(json!({
                "action_point": store.get(Entity::ActionPoint, id)?,
                "history": to_value(store.action_point_history(id)?),
            }))
        }
        ActionPointAction::Comment { id, text, author } => {
            let id = uuid(&id)?;
            store.comment_action_point(id, &text, author.as_deref())?;
            Ok(to_value(store.action_point_history(id)?))
        }
        ActionPointAction::History { id } => Ok(to_value(store.action_point_history(uuid(&id)?)?)),
        ActionPointAction::Overdue {
            date: day,
            limit,
            after_due,
            after_id,
        } => {
            let day = day_or_today(day.as_deref())?;
            let cursor = match (after_due, after_id) {
                (Some(due), Some(id)) => Some(OverdueCursor {
                    due_date: date(&due)?.to_string(),
                    id: uuid(&id)?.to_string(),
                }),
                _ => None,
            };
            let items = store.overdue(day, cursor.as_ref(), limit)?;
            Ok(json!({
                "date": day.to_string(),
                "total": store.overdue_count(day)?,
                "items": to_value(items),
            }))
        }
    }
}

/// Reads `--json`: the text itself, `@file`, or `-` for standard input.
fn fields(arg: &str) -> Result<wijkwerk_core::Fields, CliError> {
    let text = if arg == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|source| CliError::Io {
                path: "standard input".into(),
                source,
            })?;
        text
    } else if let Some(path) = arg.strip_prefix('@') {
        std::fs::read_to_string(path).map_err(|source| CliError::Io {
            path: path.into(),
            source,
        })?
    } else {
        arg.to_owned()
    };
    match serde_json::from_str::<Value>(&text) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(CliError::NotAnObject),
        Err(e) => Err(CliError::BadJson(e.to_string())),
    }
}

fn uuid(text: &str) -> Result<Uuid, CliError> {
    Uuid::parse_str(text.trim()).map_err(|_| CliError::BadId(text.chars().take(80).collect()))
}

fn date(text: &str) -> Result<jiff::civil::Date, CliError> {
    let trimmed = text.trim();
    if trimmed.len() != 10 {
        return Err(CliError::BadDate(text.chars().take(40).collect()));
    }
    trimmed
        .parse()
        .map_err(|_| CliError::BadDate(text.chars().take(40).collect()))
}

fn day_or_today(text: Option<&str>) -> Result<jiff::civil::Date, CliError> {
    text.map(date).unwrap_or_else(|| Ok(wijkwerk_core::today()))
}

fn to_value(value: impl serde::Serialize) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}
