//! `wijkwerk-server`: serve the sync API; manage tenants, users and tokens; back up and restore
//! the embedded database. See docs/operating.md.

use clap::{Parser, Subcommand};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use wijkwerk_server::audit::{self, AuditFilter, AuditKind};
use wijkwerk_server::auth::{self as tokens, new_token, token_hash};
use wijkwerk_server::backup::{self, BackupError};
use wijkwerk_server::config::{self, ConfigFile, ServeFlags, ServeSettings};
use wijkwerk_server::http::{router, AppState};
use wijkwerk_server::storage::Role;
use wijkwerk_server::{ServerError, Storage};

/// mimalloc instead of the system's allocator: a pull page or a push is thousands of small
/// strings made and freed together, where glibc's allocator spent about a tenth of the
/// server's time (consolidating freed chunks); measured in `cargo bench --bench sync`.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "wijkwerk-server",
    version,
    about = "The municipal sync server of Wijkwerk"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serves the sync API.
    Serve {
        /// A configuration file (TOML) with the keys db, listen, tls_cert, tls_key,
        /// max_clock_skew, audit_retention_days and token_lifetime_days; a flag given here wins
        /// over the file.
        #[arg(long)]
        config: Option<PathBuf>,
        /// An SQLite file path (embedded default) or a postgres:// URL.
        #[arg(long)]
        db: Option<String>,
        /// The address and port to listen on [default: 127.0.0.1:8443].
        #[arg(long)]
        listen: Option<SocketAddr>,
        /// PEM certificate chain: serve HTTPS (with --tls-key).
        #[arg(long)]
        tls_cert: Option<PathBuf>,
        /// PEM private key of the certificate.
        #[arg(long)]
        tls_key: Option<PathBuf>,
        /// How far ahead of the server's clock a change may be stamped, in seconds
        /// [default: 300].
        #[arg(long)]
        max_clock_skew: Option<u64>,
    },
    /// Takes an online backup of the SQLite database while the server runs; the file is
    /// written whole or not at all. (PostgreSQL: pg_dump -Fc.)
    Backup {
        #[command(flatten)]
        db: DbArgs,
        /// The backup file to write (replaced only once the new backup is complete).
        #[arg(long)]
        out: PathBuf,
    },
    /// Puts a backup of the SQLite database in place. Stop the server first: a database still
    /// in use is refused. (PostgreSQL: pg_restore --clean --if-exists.)
    Restore {
        #[command(flatten)]
        db: DbArgs,
        /// The backup file (checked to be a Wijkwerk server database first).
        #[arg(long)]
        from: PathBuf,
    },
    /// Rewrites the SQLite database without its free space (VACUUM), so no value that was
    /// overwritten or erased before this version's secure delete is left in freed pages. Run it
    /// once after upgrading to a version with erasure, with the server stopped or quiet (it
    /// takes the write lock for the whole rewrite). (PostgreSQL: VACUUM FULL field, conflict.)
    Compact {
        #[command(flatten)]
        db: DbArgs,
    },
    /// Tenants: one per municipality.
    Tenant {
        #[command(subcommand)]
        action: TenantAction,
    },
    /// Users of a tenant: coordinators and readers each with their own token; department
    /// colleagues (no token) on the web pages.
    User {
        #[command(subcommand)]
        action: UserAction,
    },
    /// The weekly reminder e-mails to department colleagues (`serve` sends them on Monday
    /// morning).
    Reminders {
        #[command(subcommand)]
        action: ReminderAction,
    },
    /// Tokens.
    Token {
        #[command(subcommand)]
        action: TokenAction,
    },
    /// Secret calendar addresses (the municipality's kernbezoeken, to subscribe to).
    Feed {
        #[command(subcommand)]
        action: FeedAction,
    },
    /// The audit log: who read or wrote which tenant's data and when, sign-in failures, token
    /// and user changes, erasures (append-only; kept `audit_retention_days`).
    Audit {
        #[command(subcommand)]
        action: AuditAction,
    },
}

#[derive(Subcommand)]
enum AuditAction {
    /// Shows the log's rows, newest first: time (Dutch), kind, tenant, user, address, detail.
    List {
        /// Only this tenant's rows.
        #[arg(long)]
        tenant: Option<String>,
        /// Only this user's rows.
        #[arg(long)]
        user: Option<String>,
        /// Only rows of this kind: pull, push, feed_read, sign_in_failed, token_expired_use,
        /// token_added, token_revoked, token_rotated, user_added, tenant_added,
        /// feed_token_added, feed_token_revoked, erasure, anonymisation, audit_purged.
        #[arg(long)]
        kind: Option<String>,
        /// From this day (2026-03-12, from midnight Dutch time) or moment (RFC 3339) on.
        #[arg(long, value_name = "DATE")]
        since: Option<String>,
        /// Before this day (2026-03-12: up to midnight at its start) or moment.
        #[arg(long, value_name = "DATE")]
        until: Option<String>,
        /// At most this many rows.
        #[arg(long, default_value_t = 100)]
        limit: usize,
        /// One JSON array instead of lines.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Deletes the rows older than the retention (`audit_retention_days` of --config, or
    /// --days; at least 30). `serve` does this at start and daily.
    Purge {
        /// The retention in days (wins over the configuration file).
        #[arg(long)]
        days: Option<u32>,
        #[command(flatten)]
        db: DbArgs,
    },
}

/// Where an admin command finds the database: `--db`, or the `db` key of `--config`.
#[derive(clap::Args)]
struct DbArgs {
    /// An SQLite file path or a postgres:// URL.
    #[arg(long)]
    db: Option<String>,
    /// The server's configuration file, for its `db` key (--db wins).
    #[arg(long)]
    config: Option<PathBuf>,
}

impl DbArgs {
    fn resolve(self) -> Result<String, ServerError> {
        Ok(config::database(self.db, self.config.as_deref())?)
    }

    /// The database and the configuration file, when one was given (for its other keys).
    fn resolve_with_file(self) -> Result<(String, Option<ConfigFile>), ServerError> {
        Ok(config::admin_settings(self.db, self.config.as_deref())?)
    }
}

#[derive(Subcommand)]
enum FeedAction {
    /// Makes a new secret address for a user and prints its path as the last line
    /// (`/calendar/<token>.ics`; shown once, only its hash is kept).
    Add {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        name: String,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Revokes every calendar address of a user.
    Revoke {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        name: String,
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Subcommand)]
enum TenantAction {
    Add {
        name: String,
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Subcommand)]
enum ReminderAction {
    /// Sends every department user (of one tenant, or of all) the e-mail with their open and
    /// overdue action points now. Needs [smtp] and public_url in --config.
    Send {
        #[arg(long)]
        tenant: Option<String>,
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Subcommand)]
enum UserAction {
    /// Adds a user and prints a new token as the last line (shown once; only its hash is kept).
    /// With --department: a department colleague, who gets no token and signs in on the web
    /// pages with a link sent to --email or a password (`user password`).
    Add {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        name: String,
        /// coordinator (reads and writes), reader, or department (implied by --department).
        #[arg(long, default_value = "coordinator")]
        role: String,
        /// The id of the organisation (of kind department, synced from the app) whose action
        /// points the colleague sees.
        #[arg(long, value_name = "ORGANISATION_ID")]
        department: Option<uuid::Uuid>,
        /// The colleague's e-mail address (sign-in links and reminders).
        #[arg(long, value_name = "ADDRESS")]
        email: Option<String>,
        /// Days the token is valid [default: token_lifetime_days of --config, or 180].
        #[arg(long, value_name = "DAYS")]
        expires_in_days: Option<u32>,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Takes a department colleague's access away: their sessions and sign-in links end and
    /// they can no longer sign in (their name stays in what they wrote).
    Remove {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        name: String,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Sets a department colleague's password, read as one line from standard input (at least
    /// 12 characters; stored as a salted Argon2id hash), or removes it (only sign-in links).
    Password {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        name: String,
        /// Removes the password instead.
        #[arg(long)]
        remove: bool,
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Subcommand)]
enum TokenAction {
    /// Revokes every token of a user.
    Revoke {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        name: String,
        #[command(flatten)]
        db: DbArgs,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Two TLS crypto providers are linked in (through different libraries); HTTPS needs one
    // chosen for the process, or rustls stops at the first handshake setup.
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("wijkwerk-server: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("wijkwerk-server: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), ServerError> {
    match cli.command {
        Command::Serve {
            config,
            db,
            listen,
            tls_cert,
            tls_key,
            max_clock_skew,
        } => {
            let file = config.as_deref().map(ConfigFile::load).transpose()?;
            let flags = ServeFlags {
                db,
                listen,
                tls_cert,
                tls_key,
                max_clock_skew,
            };
            serve(ServeSettings::resolve(flags, file.as_ref())?).await
        }
        Command::Backup { db, out } => {
            let db = db.resolve()?;
            if config::is_postgres_url(&db) {
                return Err(BackupError::Postgres.into());
            }
            let summary =
                blocking(move || backup::backup(Path::new(&db), &out).map(|s| (s, out))).await?;
            println!("backup written to {}: {}", summary.1.display(), summary.0);
            Ok(())
        }
        Command::Compact { db } => {
            let db = db.resolve()?;
            if config::is_postgres_url(&db) {
                return Err(ServerError::BadRequest(
                    "compact is for the SQLite database; on PostgreSQL run VACUUM FULL field, conflict".into(),
                ));
            }
            let before = std::fs::metadata(&db).map(|m| m.len()).unwrap_or(0);
            let after = tokio::task::spawn_blocking(move || -> Result<u64, ServerError> {
                let conn = rusqlite::Connection::open(&db)?;
                conn.busy_timeout(std::time::Duration::from_secs(30))?;
                conn.execute_batch(
                    "PRAGMA secure_delete = ON; VACUUM; PRAGMA wal_checkpoint(TRUNCATE);",
                )?;
                Ok(std::fs::metadata(&db).map(|m| m.len()).unwrap_or(0))
            })
            .await
            .map_err(|e| ServerError::Config(e.to_string()))??;
            println!("compacted: {before} bytes before, {after} bytes after");
            Ok(())
        }
        Command::Restore { db, from } => {
            let db = db.resolve()?;
            if config::is_postgres_url(&db) {
                return Err(BackupError::Postgres.into());
            }
            let (summary, db) =
                blocking(move || backup::restore(&from, Path::new(&db)).map(|s| (s, db))).await?;
            println!("{db} restored: {summary}");
            println!("laptops will download everything again and send back what this backup lacks at their next sync");
            Ok(())
        }
        Command::Tenant {
            action: TenantAction::Add { name, db },
        } => {
            let storage = Storage::open(&db.resolve()?).await?;
            let id = storage.add_tenant(&name).await?;
            println!("tenant {name:?} added (id {id})");
            Ok(())
        }
        Command::User {
            action:
                UserAction::Add {
                    tenant,
                    name,
                    role,
                    department,
                    email,
                    expires_in_days,
                    db,
                },
        } => {
            let role = Role::parse(&role)?;
            if department.is_some() || role == Role::Department {
                let Some(department) = department else {
                    return Err(ServerError::BadRequest(
                        "a department user needs --department ORGANISATION_ID".into(),
                    ));
                };
                let storage = Storage::open(&db.resolve()?).await?;
                storage
                    .add_department_user(&tenant, &name, department, email.as_deref())
                    .await?;
                println!(
                    "department user {name:?} added to {tenant:?}: signs in on the server's web page {}",
                    match &email {
                        Some(_) => "with a link sent by e-mail, or a password (user password)",
                        None => "with a password (set it with: user password, the password on standard input)",
                    }
                );
                return Ok(());
            }
            let (db, file) = db.resolve_with_file()?;
            let days = expires_in_days.unwrap_or_else(|| {
                file.as_ref().map_or(
                    tokens::DEFAULT_TOKEN_LIFETIME_DAYS,
                    ConfigFile::token_lifetime_days,
                )
            });
            if !(1..=tokens::MAX_TOKEN_LIFETIME_DAYS).contains(&days) {
                return Err(ServerError::BadRequest(format!(
                    "--expires-in-days: a token lives 1 to {} days",
                    tokens::MAX_TOKEN_LIFETIME_DAYS
                )));
            }
            let storage = Storage::open(&db).await?;
            let token = new_token();
            let expires = tokens::expiry(audit::now_ms(), days);
            storage
                .add_user(&tenant, &name, role, &token_hash(&token), expires)
                .await?;
            println!(
                "user {name:?} of {tenant:?} ({}), valid until {} ({days} days); the token is shown once:",
                role.as_str(),
                audit::timestamp_text(expires)
            );
            println!("{token}");
            Ok(())
        }
        Command::Feed {
            action: FeedAction::Add { tenant, name, db },
        } => {
            let storage = Storage::open(&db.resolve()?).await?;
            let token = wijkwerk_calendar::feed::new_feed_token();
            storage
                .add_feed_token(&tenant, &name, &token_hash(&token))
                .await?;
            println!(
                "calendar address of {name:?} in {tenant:?} (shown once; append it to the server's address):"
            );
            println!("/calendar/{token}.ics");
            Ok(())
        }
        Command::Feed {
            action: FeedAction::Revoke { tenant, name, db },
        } => {
            let storage = Storage::open(&db.resolve()?).await?;
            let n = storage.revoke_feed_tokens(&tenant, &name).await?;
            println!("{n} calendar address(es) of {name:?} in {tenant:?} revoked");
            Ok(())
        }
        Command::Audit {
            action:
                AuditAction::List {
                    tenant,
                    user,
                    kind,
                    since,
                    until,
                    limit,
                    json,
                    db,
                },
        } => {
            let kind = match kind {
                Some(text) => Some(AuditKind::parse(&text).ok_or_else(|| {
                    ServerError::BadRequest(format!(
                        "--kind {text:?} is not a kind of the audit log; one of: {}",
                        audit::KINDS.map(AuditKind::as_str).join(", ")
                    ))
                })?),
                None => None,
            };
            let moment = |flag: &str, text: Option<String>| {
                text.map(|t| audit::parse_moment(&t))
                    .transpose()
                    .map_err(|e| ServerError::BadRequest(format!("--{flag}: {e}")))
            };
            let filter = AuditFilter {
                tenant,
                user,
                kind,
                since_ms: moment("since", since)?,
                until_ms: moment("until", until)?,
                limit,
            };
            let storage = Storage::open(&db.resolve()?).await?;
            let rows = storage.audit_list(filter).await?;
            if json {
                let rows: Vec<serde_json::Value> = rows.iter().map(|r| r.to_json()).collect();
                println!(
                    "{}",
                    serde_json::to_string_pretty(&rows)
                        .map_err(|e| ServerError::StoredData(e.to_string()))?
                );
            } else {
                for row in &rows {
                    println!("{}", row.to_line());
                }
            }
            Ok(())
        }
        Command::Audit {
            action: AuditAction::Purge { days, db },
        } => {
            let (db, file) = db.resolve_with_file()?;
            let days = days.unwrap_or_else(|| {
                file.as_ref().map_or(
                    audit::DEFAULT_RETENTION_DAYS,
                    ConfigFile::audit_retention_days,
                )
            });
            let storage = Storage::open(&db).await?;
            let deleted = storage.audit_purge(days).await?;
            println!("{deleted} audit row(s) older than {days} days deleted");
            Ok(())
        }
        Command::User {
            action:
                UserAction::Password {
                    tenant,
                    name,
                    remove,
                    db,
                },
        } => {
            let storage = Storage::open(&db.resolve()?).await?;
            let hash = match remove {
                true => None,
                false => {
                    let mut line = String::new();
                    std::io::stdin().read_line(&mut line).map_err(|e| {
                        ServerError::BadRequest(format!("reading the password: {e}"))
                    })?;
                    let password = line.trim_end_matches(['\r', '\n']).to_owned();
                    let hash = tokio::task::spawn_blocking(move || {
                        wijkwerk_server::web::session::hash_password(&password)
                    })
                    .await
                    .map_err(|e| ServerError::Config(e.to_string()))?
                    .map_err(|e| ServerError::BadRequest(e.to_string()))?;
                    Some(hash)
                }
            };
            let removed = hash.is_none();
            storage.set_password(&tenant, &name, hash).await?;
            println!(
                "password of {name:?} in {tenant:?} {}",
                if removed { "removed" } else { "set" }
            );
            Ok(())
        }
        Command::User {
            action: UserAction::Remove { tenant, name, db },
        } => {
            let storage = Storage::open(&db.resolve()?).await?;
            storage.remove_department_user(&tenant, &name).await?;
            println!("department user {name:?} of {tenant:?} removed: signed out, no more sign-in");
            Ok(())
        }
        Command::Reminders {
            action: ReminderAction::Send { tenant, db },
        } => {
            let (db, file) = db.resolve_with_file()?;
            let web = web_settings(
                file.as_ref()
                    .and_then(ConfigFile::public_url)
                    .map(str::to_owned),
                file.as_ref().and_then(ConfigFile::smtp).cloned(),
            )?;
            let (Some(public_url), true) = (web.public_url.clone(), web.mailer.configured()) else {
                return Err(ServerError::BadRequest(
                    "reminders need public_url and an [smtp] table in --config; no mail was sent"
                        .into(),
                ));
            };
            let storage = Storage::open(&db).await?;
            let tenant_id = match &tenant {
                Some(t) => Some(storage.tenant_id(t).await?),
                None => None,
            };
            let report = wijkwerk_server::web::reminders::send_reminders(
                &storage,
                &wijkwerk_server::web::index::PointIndex::default(),
                &web.mailer,
                &public_url,
                tenant_id,
                wijkwerk_server::web::points::today(),
                None,
            )
            .await?;
            println!(
                "{}",
                serde_json::to_string_pretty(&report).unwrap_or_default()
            );
            if report.failed.is_empty() {
                Ok(())
            } else {
                Err(ServerError::BadRequest(format!(
                    "{} reminder(s) could not be sent",
                    report.failed.len()
                )))
            }
        }
        Command::Token {
            action: TokenAction::Revoke { tenant, name, db },
        } => {
            let storage = Storage::open(&db.resolve()?).await?;
            let n = storage.revoke_tokens(&tenant, &name).await?;
            println!("{n} token(s) of {name:?} in {tenant:?} revoked");
            Ok(())
        }
    }
}

async fn serve(settings: ServeSettings) -> Result<(), ServerError> {
    let ServeSettings {
        db,
        listen,
        tls,
        max_clock_skew,
        audit_retention_days,
        token_lifetime_days,
        public_url,
        smtp,
        weekly_reminders,
    } = settings;
    let web = web_settings(public_url, smtp)?;
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let storage = Storage::open(&db).await?;
    // Best effort: a database that allows fewer connections still serves with those.
    if let Err(e) = storage.warm_up().await {
        tracing::warn!(error = %e, "could not open every database connection in advance");
    }
    let kind = storage.kind();
    if !web.mailer.configured() {
        tracing::info!("no [smtp] configured: no sign-in links or reminders are mailed");
    }
    let state = AppState::with_web(storage, max_clock_skew * 1000, token_lifetime_days, web);
    // The department lists' index, built before the first colleague asks.
    {
        let state = state.clone();
        tokio::spawn(async move { state.points.warm(&state.storage).await });
    }
    if tls.is_none()
        && !state
            .web
            .public_url
            .as_deref()
            .is_some_and(|u| u.starts_with("https://"))
    {
        tracing::warn!("the department colleagues' pages need HTTPS (their cookies are Secure): serve with tls_cert and tls_key, or set public_url to the https:// address of the proxy in front");
    }
    // The weekly reminders (Monday morning, Dutch time), once per week over all processes.
    if weekly_reminders {
        tokio::spawn(wijkwerk_server::web::reminders::weekly(
            std::sync::Arc::downgrade(&state),
        ));
    } else {
        tracing::info!("weekly_reminders = false: this process sends no weekly reminders");
    }
    // The audit log's writer (requests' events in batches) and its daily purge.
    tokio::spawn(wijkwerk_server::http::write_audit(
        std::sync::Arc::downgrade(&state),
        audit_retention_days,
    ));
    let app = router(state.clone()).into_make_service_with_connect_info::<SocketAddr>();
    match tls {
        Some((cert, key)) => {
            let config = axum_server::tls_rustls::RustlsConfig::from_pem_file(&cert, &key)
                .await
                .map_err(|e| {
                    ServerError::Config(format!(
                        "TLS certificate {} or key {}: {e}",
                        cert.display(),
                        key.display()
                    ))
                })?;
            let handle = axum_server::Handle::new();
            tokio::spawn(shutdown_on_signal(handle.clone()));
            let listener = std::net::TcpListener::bind(listen)
                .map_err(|e| ServerError::Config(format!("cannot listen on {listen}: {e}")))?;
            let local = listener
                .local_addr()
                .map_err(|e| ServerError::Config(e.to_string()))?;
            tracing::info!(listen = %local, storage = kind, tls = true, "serving");
            println!("listening on https://{local}");
            axum_server::from_tcp_rustls(listener, config)
                .handle(handle)
                .serve(app)
                .await
                .map_err(|e| ServerError::Config(format!("serving on {local}: {e}")))?;
        }
        None => {
            let listener = tokio::net::TcpListener::bind(listen)
                .await
                .map_err(|e| ServerError::Config(format!("cannot listen on {listen}: {e}")))?;
            let local = listener
                .local_addr()
                .map_err(|e| ServerError::Config(e.to_string()))?;
            tracing::info!(listen = %local, storage = kind, tls = false, "serving");
            println!("listening on http://{local}");
            axum::serve(listener, app)
                .with_graceful_shutdown(stop_signal())
                .await
                .map_err(|e| ServerError::Config(format!("serving on {local}: {e}")))?;
        }
    }
    // What the last requests did, before the process ends.
    if let Err(e) = state.flush_audit().await {
        tracing::error!(error = %e, lost = state.audit.len(), "audit events could not be written at shutdown");
    }
    tracing::info!("stopped");
    Ok(())
}

/// The web pages' settings: the public address and the mail server (checked).
fn web_settings(
    public_url: Option<String>,
    smtp: Option<wijkwerk_server::mail::SmtpSettings>,
) -> Result<wijkwerk_server::web::WebSettings, ServerError> {
    let mailer = wijkwerk_server::mail::Mailer::new(smtp)
        .map_err(|e| ServerError::Config(format!("[smtp]: {e}")))?;
    Ok(wijkwerk_server::web::WebSettings { public_url, mailer })
}

/// Runs blocking database work (a backup) off the async threads.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, BackupError> + Send + 'static,
) -> Result<T, ServerError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| ServerError::Config(e.to_string()))?
        .map_err(ServerError::from)
}

/// Waits for Ctrl+C or SIGTERM (what `systemctl stop` sends).
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            tracing::info!("stopping: finishing the requests in progress");
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
    tracing::info!("stopping: finishing the requests in progress");
}

async fn shutdown_on_signal(handle: axum_server::Handle) {
    stop_signal().await;
    handle.graceful_shutdown(Some(std::time::Duration::from_secs(5)));
}
