//! `wijkwerk`: the command line over the Wijkwerk core. Every command prints JSON on standard
//! output; a refused command prints `{"error": {...}}` on standard error and exits with 1
//! (usage mistakes: 2). A refused write leaves the store exactly as it was. `sync --watch` runs
//! until standard input closes and prints a line per status change (one JSON object per line
//! with `--json`).

mod calendar;
mod import;
mod lists;
mod privacy;
mod reports;

use clap::{Args, Parser, Subcommand};
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
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
    /// The data folder (holds wijkwerk.sqlite3); by default the app's: `wijkwerk` in the per-user
    /// local data folder (~/.local/share/wijkwerk, %LOCALAPPDATA%\wijkwerk).
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
    /// Brings a contact list in: people, their organisations and roles (or a list of
    /// organisations), from CSV as Excel, Outlook and Google write it, an XLSX/XLS/ODS workbook
    /// or vCards; duplicates found in the store and the list; one batch, one undo. Prints what
    /// was imported, merged, skipped and refused (with line and reason).
    Import(import::ImportArgs),
    /// Takes an import back as a whole (its batch id from `import` or `imports`).
    ImportUndo { batch: String },
    /// The imports made on this laptop, newest first, to undo.
    Imports,
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
        #[command(subcommand)]
        action: Option<SyncAction>,
        /// The server address, e.g. https://wijkwerk.bergen.nl (remembered after the first round).
        #[arg(long, global = true)]
        server: Option<String>,
        #[arg(long, env = "WIJKWERK_TOKEN", hide_env_values = true, global = true)]
        token: Option<String>,
        /// Seconds to wait for an answer.
        #[arg(long, default_value_t = 60, global = true)]
        timeout: u64,
        /// Trust only this certificate authority (PEM), e.g. the municipality's own.
        #[arg(long, value_name = "FILE", global = true)]
        ca: Option<PathBuf>,
        /// The server is a training server: a store with the demo municipality may sync with it
        /// (from now on). Never for a municipality's own server.
        #[arg(long)]
        allow_demo: bool,
        /// Keep syncing in the background as the app does (the core's scheduler: a round at once,
        /// then every five minutes, backing off while the server cannot be reached), printing
        /// one line per change of the status. A line on standard input asks for a round now;
        /// standard input closed (Ctrl-D, the end of a pipe) stops after the running round and
        /// exits 0; Ctrl-C stops at once, which is safe too (every write is one transaction; the
        /// outbox only shrinks on the server's acknowledgement). A refused sign-in (unknown or
        /// revoked token, a read-only account) ends it with exit code 1 and the error on standard
        /// error, since only new settings could help; other failures are retried and shown.
        #[arg(long)]
        watch: bool,
        /// With --watch: each status as one JSON object per line (the app's `sync-state`).
        #[arg(long, requires = "watch")]
        json: bool,
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
    /// Contacts (all, or those --search finds), a board (--organisation), everyone with a role in
    /// an area's organisations (--area), or the organisations (--organisations) as CSV for Dutch
    /// Excel, XLSX or vCard. To --out FILE (whole or not at all), or to standard output.
    ExportContacts(lists::ExportArgs),
    /// Personal data (AVG): the retention review, anonymising a person, the inzage.
    Privacy {
        #[command(subcommand)]
        action: privacy::PrivacyAction,
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
    /// The board as a mailing list: the text for Outlook's To field, a mailto: link, and the
    /// members without an e-mail address.
    MailingList {
        id: String,
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

#[derive(Subcommand)]
enum SyncAction {
    /// Asks the server for a new token in place of --token (before it expires). Prints it
    /// (`token`) with its expiry, or with --save-to writes it to a file only you may read and
    /// prints where. The store and its waiting changes are not touched: they go out with the new
    /// token. The old token keeps working until the new one is first used, so a lost answer
    /// never locks you out.
    RotateToken {
        /// Keep the new token in this file (made readable only by you) instead of printing it.
        #[arg(long, value_name = "FILE")]
        save_to: Option<PathBuf>,
    },
}

/// The server (given, or the one the store last synced with) and a transport to it with the
/// token and the certificate authority given: what `sync` and `sync rotate-token` share.
fn sync_transport(
    store: &Store,
    server: Option<String>,
    token: Option<String>,
    timeout: u64,
    ca: Option<PathBuf>,
) -> Result<(String, HttpTransport), CliError> {
    let server = match server.or(store.sync_status()?.server) {
        Some(server) => server,
        None => {
            return Err(CliError::Usage(
                "give --server URL for the first sync".into(),
            ))
        }
    };
    let token = token
        .ok_or_else(|| CliError::Usage("give --token TOKEN (or set WIJKWERK_TOKEN)".into()))?;
    let ca_pem = match &ca {
        Some(path) => Some(std::fs::read(path).map_err(|source| CliError::Io {
            path: path.display().to_string(),
            source,
        })?),
        None => None,
    };
    let transport = HttpTransport::with_authority(
        &server,
        &token,
        Duration::from_secs(timeout),
        ca_pem.as_deref(),
    )?;
    Ok((server, transport))
}

/// `sync rotate-token`: a new token from the server, printed or kept in a file. Reads the store
/// only for the server's address.
fn rotate_token(
    store: &mut Store,
    server: Option<String>,
    token: Option<String>,
    timeout: u64,
    ca: Option<PathBuf>,
    save_to: Option<PathBuf>,
) -> Result<Value, CliError> {
    use wijkwerk_core::sync::credentials::TokenStore;
    use wijkwerk_core::sync::{rotate_token, RotateError, Transport as _};
    let (server, mut transport) = sync_transport(store, server, token, timeout, ca)?;
    let expires = |ms: i64| {
        jiff::Timestamp::from_millisecond(ms)
            .map(|t| t.to_string())
            .unwrap_or_default()
    };
    match save_to {
        Some(file) => {
            let (_, rotated) = rotate_token(&mut transport, &TokenStore::file_only(file.clone()))
                .map_err(|e| match e {
                RotateError::Sync(e) => CliError::Sync(e),
                RotateError::NotKept(e) => CliError::Io {
                    path: file.display().to_string(),
                    source: std::io::Error::other(format!(
                        "{e}; the old token still works, try again"
                    )),
                },
            })?;
            Ok(json!({
                "server": server,
                "saved_to": file.display().to_string(),
                "expires_at": rotated.expires_at,
            }))
        }
        None => {
            let rotation = transport.rotate_token()?;
            Ok(json!({
                "server": server,
                "token": rotation.token,
                "expires_at": expires(rotation.expires_at_ms),
            }))
        }
    }
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
    #[error(transparent)]
    Export(#[from] wijkwerk_core::contact_export::ExportError),
    #[error(transparent)]
    Setting(#[from] wijkwerk_core::sync::config::SettingError),
    #[error(transparent)]
    Import(wijkwerk_core::import::ImportError),
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
        if let CliError::Setting(refused) = self {
            error["field"] = refused.field().into();
        }
        if let CliError::Import(refused) = self {
            if let Some(line) = refused.line() {
                error["line"] = line.into();
            }
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
            CliError::Export(e) => e.code(),
            CliError::Setting(_) => "invalid",
            CliError::Import(e) => e.code(),
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

/// Opens the store with its key from the keyring (or `WIJKWERK_PASSPHRASE`); where the keyring
/// has none for it and the command runs at a terminal, asks for the passphrase.
fn open_store(data: &Path) -> Result<Store, CliError> {
    match Store::open(data) {
        Err(
            error @ (wijkwerk_core::Error::NoKeyring { .. }
            | wijkwerk_core::Error::KeyMissing { .. }
            | wijkwerk_core::Error::WrongKey { .. }),
        ) => match ask_passphrase(&error, false) {
            Some(unlock) => Ok(Store::open_with(data, &unlock)?),
            None => Err(error.into()),
        },
        other => Ok(other?),
    }
}

/// Creates the store; where no keyring answers and the command runs at a terminal, asks for a
/// new passphrase (twice).
fn init_store(data: &Path) -> Result<Store, CliError> {
    match Store::init(data) {
        Err(error @ wijkwerk_core::Error::NoKeyring { .. }) => match ask_passphrase(&error, true) {
            Some(unlock) => Ok(Store::init_with(data, &unlock)?),
            None => Err(error.into()),
        },
        other => Ok(other?),
    }
}

/// The passphrase typed at the terminal (without echo); `None` when there is no terminal or
/// nothing was typed (the error then goes out as JSON, as every error does).
fn ask_passphrase(
    why: &wijkwerk_core::Error,
    new: bool,
) -> Option<wijkwerk_core::store_key::Unlock> {
    use std::io::IsTerminal;
    if !std::io::stdin().is_terminal() {
        return None;
    }
    eprintln!("wijkwerk: {why}");
    let passphrase = rpassword::prompt_password("Passphrase: ").ok()?;
    if passphrase.is_empty() {
        return None;
    }
    if new {
        let again = rpassword::prompt_password("Passphrase again: ").ok()?;
        if again != passphrase {
            eprintln!("wijkwerk: the two passphrases differ; nothing was made");
            return None;
        }
    }
    Some(wijkwerk_core::store_key::Unlock::passphrase(passphrase))
}

fn run(cli: Cli) -> Result<Output, CliError> {
    let data = cli
        .data
        .or_else(wijkwerk_core::data_folder::default_data_folder)
        .ok_or(CliError::NoDataFolder)?;
    if let Command::Init { demo, demo_date } = &cli.command {
        let reference = match demo_date {
            Some(d) => date(d)?,
            None => wijkwerk_core::today(),
        };
        let mut store = init_store(&data)?;
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
    if let Command::Sync {
        action: None,
        server,
        token,
        timeout,
        ca,
        allow_demo,
        watch: true,
        json,
    } = cli.command
    {
        let store = open_store(&data)?;
        return watch::run(
            store,
            watch::Options {
                server,
                token,
                timeout: Duration::from_secs(timeout),
                ca,
                allow_demo,
                json,
            },
        );
    }
    let mut store = open_store(&data)?;
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
            OrganisationAction::MailingList { id, date: day } => {
                lists::mailing_list(store, &id, day.as_deref())
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
            action: Some(SyncAction::RotateToken { save_to }),
            server,
            token,
            timeout,
            ca,
            ..
        } => rotate_token(store, server, token, timeout, ca, save_to),
        Command::Sync {
            server,
            token,
            timeout,
            ca,
            allow_demo,
            ..
        } => {
            if allow_demo {
                store.allow_demo_sync()?;
            }
            let (server, mut transport) = sync_transport(store, server, token, timeout, ca)?;
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
        Command::Import(args) => return import::run(store, args),
        Command::ImportUndo { batch } => return import::undo(store, &batch),
        Command::Imports => return import::list(store),
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
        Command::ExportContacts(args) => return lists::export_contacts(store, args),
        Command::KernOverview {
            kern,
            year,
            format,
            out,
        } => return reports::kern_overview(store, &kern, year, format, out),
        Command::Privacy { action } => return privacy::run(store, action),
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
    match read_json_arg(arg)? {
        Value::Object(map) => Ok(map),
        _ => Err(CliError::NotAnObject),
    }
}

/// A JSON argument: the text itself, `@file`, or `-` for standard input.
fn read_json_arg(arg: &str) -> Result<Value, CliError> {
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
    serde_json::from_str::<Value>(&text).map_err(|e| CliError::BadJson(e.to_string()))
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

/// `sync --watch`: the core's sync worker over this store, until standard input closes.
mod watch {
    use super::{CliError, Output};
    use std::io::{BufRead as _, Write as _};
    use std::path::PathBuf;
    use std::sync::mpsc::{channel, Sender};
    use std::sync::{Arc, Mutex};
    use std::time::Duration;
    use wijkwerk_core::sync::config::{check_authority_file, normalise_server, SyncConfig};
    use wijkwerk_core::sync::http::HttpTransport;
    use wijkwerk_core::sync::scheduler::{SyncPhase, SyncState};
    use wijkwerk_core::sync::worker::{StoreUnavailable, SyncHost, SyncWorker};
    use wijkwerk_core::sync::{SyncError, Transport};
    use wijkwerk_core::Store;

    pub struct Options {
        pub server: Option<String>,
        pub token: Option<String>,
        pub timeout: Duration,
        pub ca: Option<PathBuf>,
        pub allow_demo: bool,
        pub json: bool,
    }

    /// The store (this process's alone) and the settings given on the command line.
    struct Host {
        store: Mutex<Store>,
        config: SyncConfig,
        token: String,
        timeout: Duration,
    }

    impl SyncHost for Host {
        fn config(&self) -> Option<SyncConfig> {
            Some(self.config.clone())
        }

        fn load_token(&self) -> Option<String> {
            Some(self.token.clone())
        }

        fn with_store(&self, f: &mut dyn FnMut(&mut Store)) -> Result<(), StoreUnavailable> {
            let mut store = self.store.lock().unwrap_or_else(|p| p.into_inner());
            f(&mut store);
            Ok(())
        }

        fn connect(
            &self,
            server: &str,
            token: &str,
            authority: Option<&[u8]>,
            timeout: Duration,
        ) -> Result<Box<dyn Transport>, SyncError> {
            // --timeout bounds every request; the worker's own limits may be shorter.
            let timeout = timeout.min(self.timeout);
            Ok(Box::new(HttpTransport::with_authority(
                server, token, timeout, authority,
            )?))
        }
    }

    enum Event {
        State(Box<SyncState>),
        /// A line on standard input: a round now.
        Line,
        /// Standard input closed: stop.
        Closed,
    }

    pub fn run(mut store: Store, options: Options) -> Result<Output, CliError> {
        if options.allow_demo {
            store.allow_demo_sync()?;
        }
        let given = match options.server {
            Some(server) => Some(server),
            None => store.sync_status()?.server,
        };
        let server = normalise_server(given.as_deref().unwrap_or(""))?
            .ok_or_else(|| CliError::Usage("give --server URL for the first sync".into()))?;
        let token = options
            .token
            .ok_or_else(|| CliError::Usage("give --token TOKEN (or set WIJKWERK_TOKEN)".into()))?;
        let ca_file = match &options.ca {
            Some(path) => check_authority_file(&path.display().to_string())?,
            None => None,
        };
        let host = Arc::new(Host {
            store: Mutex::new(store),
            config: SyncConfig { server, ca_file },
            token,
            timeout: options.timeout,
        });
        let (events, incoming) = channel::<Event>();
        let states = Mutex::new(events.clone());
        let worker = SyncWorker::builder(host)
            .on_state(move |state| {
                let sender = states.lock().unwrap_or_else(|p| p.into_inner());
                let _ = sender.send(Event::State(Box::new(state.clone())));
            })
            .build();
        worker.start().map_err(|source| CliError::Io {
            path: "the sync thread".into(),
            source,
        })?;
        // The first round at once, rather than after the app's start-up pause.
        worker.sync_now();
        read_stdin(events);
        let mut stdout = std::io::stdout();
        let mut last: Option<SyncState> = None;
        for event in incoming {
            match event {
                Event::State(state) => {
                    if last.as_ref() == Some(&*state) {
                        continue;
                    }
                    let _ = writeln!(stdout, "{}", line(&state, options.json));
                    let _ = stdout.flush();
                    if state.phase == SyncPhase::PausedAuth {
                        worker.stop();
                        return Err(CliError::Sync(match state.last_error_code.as_deref() {
                            Some("forbidden") => SyncError::Forbidden,
                            Some("token_expired") => SyncError::TokenExpired,
                            _ => SyncError::Unauthorized,
                        }));
                    }
                    last = Some(*state);
                }
                Event::Line => {
                    worker.sync_now();
                }
                Event::Closed => break,
            }
        }
        // Lets a running round finish; its last state is not printed (the worker stopped).
        worker.stop();
        Ok(Output::Text(String::new()))
    }

    /// Standard input on a thread of its own: each line asks for a round, its end stops.
    fn read_stdin(events: Sender<Event>) {
        std::thread::spawn(move || {
            let stdin = std::io::stdin();
            for line in stdin.lock().lines() {
                if line.is_err() || events.send(Event::Line).is_err() {
                    break;
                }
            }
            let _ = events.send(Event::Closed);
        });
    }

    /// One status as a line: JSON, or words for a person.
    fn line(state: &SyncState, json: bool) -> String {
        if json {
            return serde_json::to_string(state).unwrap_or_default();
        }
        let phase = serde_json::to_value(state.phase)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        let mut text = format!(
            "{phase}: {} waiting ({} refused), {} conflicts, {} fields received",
            state.waiting, state.refused, state.conflicts, state.received
        );
        if let Some(progress) = &state.progress {
            text += &format!(
                "; sent {} transactions, received {} records",
                progress.pushed, progress.pulled
            );
        }
        if let Some(at) = &state.last_synced_at {
            text += &format!("; last synced {at}");
        }
        if let Some(error) = &state.last_error {
            text += &format!(
                "; {}: {error}",
                state.last_error_code.as_deref().unwrap_or("error")
            );
        }
        if let Some(next) = &state.next_attempt_at {
            text += &format!("; next round {next}");
        }
        text
    }
}
