//! Sync in the app: a background thread runs the core's sync round ([`Store::sync_round`]) with
//! the municipal server, and the front end sees where it stands (event `sync-state` and the
//! command [`sync_state`]).
//!
//! When a round runs: shortly after the start, a few seconds after a local change ([`poke`],
//! called by the write commands), every five minutes, and when the user asks ("Nu
//! synchroniseren"). After a failure that may pass by itself (offline, a server in trouble) the
//! next try follows a growing, jittered backoff (5 s, 10 s, 20 s … at most 5 minutes; at most a
//! minute while the server cannot be reached, and at once when the web view says the network is
//! back), so that a returning connection is noticed soon. A refused sign-in (unknown or revoked
//! token, a read-only account) pauses sync until the settings change. Nothing here touches the
//! outbox: the core keeps every local change until the server acknowledged it.
//!
//! The scheduling ([`Scheduler`], [`backoff`], [`classify`]) is plain code with unit tests; only
//! [`start`] and the commands know Tauri.
//!
//! The sign-in token lives in the OS keyring (Secret Service on Linux, Keychain, Credential
//! Manager) where one answers, otherwise in a file beside the settings file that only the user
//! may read (mode 0600), and then the settings say so. The token is never logged or returned.

use crate::commands::AppState;
use crate::error::IpcError;
use crate::settings::Language;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};
use tauri::{AppHandle, Emitter, Manager, State};
use ts_rs::TS;
use wijkwerk_core::protocol::wire::{Cursor, Hello, PullResponse, PushRequest, PushResponse};
use wijkwerk_core::sync::http::HttpTransport;
use wijkwerk_core::sync::{SyncError, Transport};
use wijkwerk_core::Store;

/// The event the front end listens to.
pub const EVENT: &str = "sync-state";
/// The first round after the app starts.
pub const AT_START: Duration = Duration::from_secs(2);
/// A round this long after a local change (more changes in between wait for the same round).
pub const AFTER_CHANGE: Duration = Duration::from_secs(3);
/// A round at least this often while all is well.
pub const PERIOD: Duration = Duration::from_secs(5 * 60);
/// The first wait after a failure that may pass by itself; it doubles with each further one.
pub const BACKOFF_FIRST: Duration = Duration::from_secs(5);
/// The longest wait between tries.
pub const BACKOFF_MAX: Duration = Duration::from_secs(5 * 60);
/// The longest nominal wait between rounds while the server cannot be reached (a round then
/// costs one short `hello`, never the store); with the jitter about a minute (48–72 s).
pub const OFFLINE_BACKOFF_MAX: Duration = Duration::from_secs(60);
/// How far a wait may be drawn from its nominal length (±20 %), so that many laptops coming
/// back online at once do not all knock at the same moment.
pub const JITTER: f64 = 0.2;
/// How long one request to the server may take.
const TIMEOUT: Duration = Duration::from_secs(60);
/// How long the first question to the server may take (asked without holding the store).
const HELLO_TIMEOUT: Duration = Duration::from_secs(15);

// ---------------------------------------------------------------------------------------------
// The state the front end sees.

/// Where sync stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum SyncPhase {
    /// No server set: sync is off.
    Off,
    /// Waiting for the next round; the last one succeeded (or none ran yet).
    Idle,
    /// A round is running.
    Syncing,
    /// The server cannot be reached; trying again with a backoff.
    Offline,
    /// The last round failed otherwise (see `last_error`).
    Error,
    /// The server refused the sign-in: paused until the settings change.
    PausedAuth,
}

/// How far a running round is.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, TS)]
pub struct SyncProgress {
    /// Local transactions sent so far.
    pub pushed: usize,
    /// Records received so far.
    pub pulled: usize,
}

/// What the status line in the menu shows.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct SyncState {
    pub phase: SyncPhase,
    pub server: Option<String>,
    /// Local transactions waiting to be sent (refused ones included).
    pub waiting: i64,
    /// Of those, refused by the server.
    pub refused: i64,
    /// Conflicts not yet reviewed.
    pub conflicts: i64,
    /// When the last round succeeded (UTC instant).
    pub last_synced_at: Option<String>,
    /// Fields changed here by what others wrote, received since the app started: when it grows,
    /// what the window shows may be out of date (this laptop's own writes coming back do not
    /// count).
    #[ts(type = "number")]
    pub received: u64,
    /// Why the last round failed (as the core words it).
    pub last_error: Option<String>,
    /// The stable code of that failure (`offline`, `unauthorized`, `forbidden`, `no_token`, …).
    pub last_error_code: Option<String>,
    /// When the next round is planned (UTC instant); `None` when none is (off, paused, running).
    pub next_attempt_at: Option<String>,
    pub progress: Option<SyncProgress>,
}

// ---------------------------------------------------------------------------------------------
// Scheduling: plain functions, no threads, no clocks of their own.

/// What a finished round means for the schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Success,
    /// The server could not be reached.
    Offline,
    /// Another failure that may pass by itself (server error, garbled answer, rate limit).
    Transient,
    /// The sign-in was refused, or there is no token: wait for the user.
    Auth,
    /// A failure that needs someone to act (protocol version, a refused request, the store).
    Failed,
}

/// What a failed round means for the schedule.
pub fn classify(error: &SyncError) -> Outcome {
    match error.code() {
        "unauthorized" | "forbidden" => Outcome::Auth,
        "offline" => Outcome::Offline,
        _ if error.is_transient() => Outcome::Transient,
        _ => Outcome::Failed,
    }
}

/// The wait after the `failures`-th failure in a row (1, 2, …): 5 s doubled each time, at most
/// five minutes, moved by `jitter` (a fraction in ±[`JITTER`], clamped to it).
pub fn backoff(failures: u32, jitter: f64) -> Duration {
    backoff_up_to(failures, jitter, BACKOFF_MAX)
}

/// Like [`backoff`], with the nominal wait at most `cap`.
fn backoff_up_to(failures: u32, jitter: f64, cap: Duration) -> Duration {
    let doublings = failures.saturating_sub(1).min(16);
    let nominal = BACKOFF_FIRST.saturating_mul(1u32 << doublings).min(cap);
    let factor = 1.0 + jitter.clamp(-JITTER, JITTER);
    nominal.mul_f64(factor).min(BACKOFF_MAX)
}

/// A jitter fraction drawn evenly from ±[`JITTER`].
pub fn draw_jitter() -> f64 {
    rand::random_range(-JITTER..=JITTER)
}

/// When rounds run, and the phase the status line shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Scheduler {
    phase: SyncPhase,
    /// Failures in a row that back off.
    failures: u32,
    /// When the next round runs; `None` when none is planned.
    next: Option<Instant>,
    /// Something asked for a round while one was running.
    again: bool,
    /// The settings changed while a round was running: whether a server is set now. Applied
    /// when the round finishes, whatever the old settings met.
    reconfigured: Option<bool>,
}

impl Scheduler {
    /// The schedule at start: a first round soon when a server is set, otherwise off.
    pub fn new(configured: bool, now: Instant) -> Scheduler {
        Scheduler {
            phase: if configured {
                SyncPhase::Idle
            } else {
                SyncPhase::Off
            },
            failures: 0,
            next: configured.then(|| now + AT_START),
            again: false,
            reconfigured: None,
        }
    }

    pub fn phase(&self) -> SyncPhase {
        self.phase
    }

    pub fn next(&self) -> Option<Instant> {
        self.next
    }

    pub fn failures(&self) -> u32 {
        self.failures
    }

    /// The settings changed: start afresh (a pause for the sign-in ends here).
    pub fn configure(&mut self, configured: bool, now: Instant) {
        if self.phase == SyncPhase::Syncing {
            // The running round finishes first; then the new settings get a round of their own
            // (or sync turns off), whatever the old ones met.
            self.reconfigured = Some(configured);
            return;
        }
        self.start_afresh(configured, now);
    }

    fn start_afresh(&mut self, configured: bool, now: Instant) {
        self.failures = 0;
        if configured {
            self.phase = SyncPhase::Idle;
            self.next = Some(now);
        } else {
            self.phase = SyncPhase::Off;
            self.next = None;
        }
    }

    /// Something was written here: a round soon, unless the schedule has a reason to wait
    /// (offline: the backoff decides; paused or off: nothing goes out anyway).
    pub fn local_change(&mut self, now: Instant) {
        match self.phase {
            SyncPhase::Idle | SyncPhase::Error => self.plan(now + AFTER_CHANGE),
            SyncPhase::Syncing => self.again = true,
            SyncPhase::Offline | SyncPhase::PausedAuth | SyncPhase::Off => {}
        }
    }

    /// The user asked for a round now ("Nu synchroniseren"): also while offline or paused, once.
    /// False when sync is off.
    pub fn sync_now(&mut self, now: Instant) -> bool {
        match self.phase {
            SyncPhase::Off => false,
            SyncPhase::Syncing => {
                self.again = true;
                true
            }
            _ => {
                self.next = Some(now);
                true
            }
        }
    }

    fn plan(&mut self, at: Instant) {
        self.next = Some(match self.next {
            Some(planned) => planned.min(at),
            None => at,
        });
    }

    /// Whether a round should start now.
    pub fn due(&self, now: Instant) -> bool {
        self.phase != SyncPhase::Syncing && self.next.is_some_and(|at| at <= now)
    }

    /// How long to sleep before looking again; `None`: until woken.
    pub fn wait(&self, now: Instant) -> Option<Duration> {
        if self.phase == SyncPhase::Syncing {
            return None;
        }
        self.next.map(|at| at.saturating_duration_since(now))
    }

    /// A round starts.
    pub fn start_round(&mut self) {
        self.phase = SyncPhase::Syncing;
        self.next = None;
        self.again = false;
        self.reconfigured = None;
    }

    /// A round ended with `outcome`; `jitter` moves a backoff (see [`backoff`]).
    pub fn finish_round(&mut self, outcome: Outcome, now: Instant, jitter: f64) {
        let again = std::mem::take(&mut self.again);
        if let Some(configured) = self.reconfigured.take() {
            self.start_afresh(configured, now);
            return;
        }
        match outcome {
            Outcome::Success => {
                self.failures = 0;
                self.phase = SyncPhase::Idle;
                self.next = Some(now + if again { AFTER_CHANGE } else { PERIOD });
            }
            Outcome::Offline | Outcome::Transient => {
                self.failures = self.failures.saturating_add(1);
                self.phase = if outcome == Outcome::Offline {
                    SyncPhase::Offline
                } else {
                    SyncPhase::Error
                };
                // Offline costs one short `hello` and never the store: look again within a
                // minute, so that a returning connection is noticed soon. A server in trouble
                // gets the full backoff.
                let cap = if outcome == Outcome::Offline {
                    OFFLINE_BACKOFF_MAX
                } else {
                    BACKOFF_MAX
                };
                self.next = Some(now + backoff_up_to(self.failures, jitter, cap));
            }
            Outcome::Auth => {
                self.failures = 0;
                self.phase = SyncPhase::PausedAuth;
                self.next = None;
            }
            Outcome::Failed => {
                self.failures = 0;
                self.phase = SyncPhase::Error;
                self.next = Some(now + PERIOD);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The sign-in token: the OS keyring, or a file only the user can read.

/// Where the token is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum TokenStorage {
    Keyring,
    File,
}

const KEYRING_SERVICE: &str = "wijkwerk";
const KEYRING_USER: &str = "sync-token";

/// The fallback file: `sync-token` beside the settings file.
pub fn token_file(settings_file: Option<&Path>) -> Option<PathBuf> {
    settings_file
        .and_then(Path::parent)
        .map(|dir| dir.join("sync-token"))
}

/// Writes the token to `file`, readable and writable only by the user on unix (0600). The
/// file is made with those permissions (never readable by others, not even for a moment) and
/// replaces the old one.
pub fn write_token_file(file: &Path, token: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let temporary = file.with_extension("tmp");
    let _ = std::fs::remove_file(&temporary);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut out = options.open(&temporary)?;
    out.write_all(token.as_bytes())?;
    out.sync_all()?;
    drop(out);
    std::fs::rename(&temporary, file)
}

/// The token in `file`, if there is one.
pub fn read_token_file(file: &Path) -> Option<String> {
    let text = std::fs::read_to_string(file).ok()?;
    let token = text.trim();
    (!token.is_empty()).then(|| token.to_owned())
}

fn keyring_entry() -> Option<keyring::Entry> {
    keyring::Entry::new(KEYRING_SERVICE, KEYRING_USER).ok()
}

/// The token and where it is; `None` when there is none. Where the keyring does not answer, the
/// file is used.
fn load_token(file: Option<&Path>) -> (Option<String>, TokenStorage) {
    let keyring = keyring_entry().map(|entry| entry.get_password());
    choose_token(keyring, || file.and_then(read_token_file))
}

/// What [`load_token`] makes of the keyring's answer (`None`: no keyring entry could be made)
/// and the file: the keyring's token first; an empty keyring may still leave one in the file
/// (kept there before a keyring was available); a keyring that does not answer means the file.
fn choose_token(
    keyring: Option<keyring::Result<String>>,
    from_file: impl FnOnce() -> Option<String>,
) -> (Option<String>, TokenStorage) {
    match keyring {
        Some(Ok(token)) if !token.trim().is_empty() => (Some(token), TokenStorage::Keyring),
        Some(Ok(_)) | Some(Err(keyring::Error::NoEntry)) => match from_file() {
            Some(token) => (Some(token), TokenStorage::File),
            None => (None, TokenStorage::Keyring),
        },
        _ => (from_file(), TokenStorage::File),
    }
}

/// Keeps the token: in the keyring where it answers (and then removes an old file), otherwise
/// in the file.
fn save_token(file: Option<&Path>, token: &str) -> Result<TokenStorage, String> {
    let stored = keyring_entry()
        .map(|entry| entry.set_password(token).is_ok())
        .unwrap_or(false);
    if stored {
        if let Some(file) = file {
            let _ = std::fs::remove_file(file);
        }
        return Ok(TokenStorage::Keyring);
    }
    let file = file.ok_or_else(|| "no folder for the settings".to_owned())?;
    write_token_file(file, token).map_err(|e| format!("{}: {e}", file.display()))?;
    Ok(TokenStorage::File)
}

// ---------------------------------------------------------------------------------------------
// The worker.

struct Inner {
    schedule: Scheduler,
    /// The token as last loaded or saved (`None`: not loaded yet).
    token: Option<Option<String>>,
    /// The code of the last failure, for the front end's words.
    last_error_code: Option<String>,
    /// Fields changed by received records since the start (see [`SyncState::received`]).
    received: u64,
    /// The last state published (progress is added to it while a round holds the store).
    last: Option<SyncState>,
}

struct Control {
    inner: Mutex<Inner>,
    wake: Condvar,
    publish: Box<dyn Fn(&SyncState) + Send + Sync>,
}

static CONTROL: OnceLock<Arc<Control>> = OnceLock::new();

impl Control {
    fn new(schedule: Scheduler, publish: Box<dyn Fn(&SyncState) + Send + Sync>) -> Control {
        Control {
            inner: Mutex::new(Inner {
                schedule,
                token: None,
                last_error_code: None,
                received: 0,
                last: None,
            }),
            wake: Condvar::new(),
            publish,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A local change was written: sync it soon. Does nothing when the worker does not run.
pub fn poke() {
    if let Some(control) = CONTROL.get() {
        control.lock().schedule.local_change(Instant::now());
        control.wake.notify_all();
    }
}

/// Another data folder was opened: it gets a round of its own at once (its outbox and cursor
/// are its own), and the status line shows its numbers.
pub fn folder_changed(state: &AppState) {
    if let Some(control) = CONTROL.get() {
        let configured = state.with_settings(|s| s.server.is_some());
        let mut inner = control.lock();
        inner.last_error_code = None;
        inner.schedule.configure(configured, Instant::now());
        drop(inner);
        control.wake.notify_all();
    }
    republish(state);
}

/// Starts the worker thread of the app (once).
pub fn start(app: AppHandle) {
    let configured = app
        .state::<AppState>()
        .with_settings(|s| s.server.is_some());
    let emitter = app.clone();
    let control = Arc::new(Control::new(
        Scheduler::new(configured, Instant::now()),
        Box::new(move |state| {
            let _ = emitter.emit(EVENT, state);
        }),
    ));
    if CONTROL.set(control.clone()).is_err() {
        return;
    }
    let spawned = std::thread::Builder::new()
        .name("wijkwerk-sync".into())
        .spawn(move || worker(&app, &control));
    if let Err(error) = spawned {
        eprintln!("wijkwerk: sync cannot start: {error}");
    }
}

fn worker(app: &AppHandle, control: &Control) {
    let state = app.state::<AppState>();
    publish(&state, control);
    loop {
        {
            let mut inner = control.lock();
            loop {
                let now = Instant::now();
                if inner.schedule.due(now) {
                    break;
                }
                inner = match inner.schedule.wait(now) {
                    Some(wait) => {
                        control
                            .wake
                            .wait_timeout(inner, wait)
                            .unwrap_or_else(|p| p.into_inner())
                            .0
                    }
                    None => control.wake.wait(inner).unwrap_or_else(|p| p.into_inner()),
                };
            }
            inner.schedule.start_round();
        }
        publish(&state, control);
        let (outcome, code, received) = run_round(&state, control);
        {
            let mut inner = control.lock();
            inner.received += received as u64;
            inner
                .schedule
                .finish_round(outcome, Instant::now(), draw_jitter());
            inner.last_error_code = code;
        }
        publish(&state, control);
    }
}

/// One round with what the settings say now: its outcome, the code of a failure, and how many
/// fields it changed here (with what others wrote).
fn run_round(state: &AppState, control: &Control) -> (Outcome, Option<String>, usize) {
    match round(state, control) {
        Ok(received) => (Outcome::Success, None, received),
        Err((outcome, code, received)) => (outcome, code, received),
    }
}

/// A failed round: what it means for the schedule, its code, and the fields its committed pages
/// changed before it failed.
type Failure = (Outcome, Option<String>, usize);

fn round(state: &AppState, control: &Control) -> Result<usize, Failure> {
    let (server, file, ca_file) =
        state.with_settings(|s| (s.server.clone(), token_file(s.file()), s.ca_file.clone()));
    let Some(server) = server else {
        // Sync was turned off just now; the settings change that did it ends the schedule.
        return Ok(0);
    };
    let cached = control.lock().token.clone();
    let token = match cached {
        Some(token) => token,
        None => {
            // Asked without holding anything: a keyring may take its time (or ask to unlock).
            let (loaded, _) = load_token(file.as_deref());
            // A token saved meanwhile is newer than the one just read.
            control.lock().token.get_or_insert(loaded).clone()
        }
    };
    let Some(token) = token else {
        return Err((Outcome::Auth, Some("no_token".into()), 0));
    };
    let failed_after = |error: SyncError, applied: usize| -> Failure {
        let _ = state.with_store(|s| s.record_sync_error(&error));
        (classify(&error), Some(error.code().to_owned()), applied)
    };
    let failed = |error: SyncError| failed_after(error, 0);
    // First the round's own `hello`, with a short timeout and without the store: offline is
    // found out without keeping the other commands waiting. The round gets this answer rather
    // than asking again.
    let authority = ca_file
        .as_deref()
        .map(read_authority)
        .transpose()
        .map_err(failed)?;
    let connect =
        |timeout| HttpTransport::with_authority(&server, &token, timeout, authority.as_deref());
    let hello = connect(HELLO_TIMEOUT)
        .and_then(|mut t| t.hello())
        .map_err(failed)?;
    let transport = connect(TIMEOUT).map_err(failed)?;
    let mut round = RoundTransport {
        inner: transport,
        hello: Some(hello),
        progress: SyncProgress::default(),
        report: &|progress| progress_update(control, progress),
    };
    let result = state.with_store(|s| {
        let result = s.sync_round(&server, &mut round);
        Ok::<_, wijkwerk_core::Error>((result, s.last_round_applied()))
    });
    match result {
        Ok((Ok(_), applied)) => Ok(applied),
        // Pages applied before the failure changed what the window shows too.
        Ok((Err(error), applied)) => Err(failed_after(error, applied)),
        Err(error) => Err((Outcome::Failed, Some(error.code), 0)),
    }
}

/// The municipality's own certificate authority (a PEM file), read for a round.
fn read_authority(file: &Path) -> Result<Vec<u8>, SyncError> {
    std::fs::read(file).map_err(|e| {
        SyncError::Certificate(format!(
            "the certificate authority file {} cannot be read: {e}",
            file.display()
        ))
    })
}

/// The round's progress, published from the last state (the store is busy meanwhile).
fn progress_update(control: &Control, progress: &SyncProgress) {
    let state = {
        let mut inner = control.lock();
        let Some(last) = inner.last.as_mut() else {
            return;
        };
        last.progress = Some(progress.clone());
        last.clone()
    };
    (control.publish)(&state);
}

/// The transport of one round: answers the round's `hello` with the one already asked (once),
/// and counts what passes, for the progress shown.
struct RoundTransport<'a, T: Transport> {
    inner: T,
    hello: Option<Hello>,
    progress: SyncProgress,
    report: &'a dyn Fn(&SyncProgress),
}

impl<T: Transport> Transport for RoundTransport<'_, T> {
    fn hello(&mut self) -> Result<Hello, SyncError> {
        match self.hello.take() {
            Some(hello) => Ok(hello),
            None => self.inner.hello(),
        }
    }

    fn push(&mut self, request: &PushRequest) -> Result<PushResponse, SyncError> {
        let response = self.inner.push(request)?;
        self.progress.pushed += request.changesets.len();
        (self.report)(&self.progress);
        Ok(response)
    }

    fn pull(&mut self, cursor: Cursor, limit: usize) -> Result<PullResponse, SyncError> {
        let page = self.inner.pull(cursor, limit)?;
        self.progress.pulled += page.records.len();
        (self.report)(&self.progress);
        Ok(page)
    }
}

/// The state now: the store's numbers and the worker's phase.
fn current(state: &AppState, control: Option<&Control>) -> SyncState {
    let server = state.with_settings(|s| s.server.clone());
    // The store first: it may be busy with a round for a while, and the phase read after the
    // wait is then that of the round's end, not a "syncing" the worker has already left.
    let status = state.with_store(|s| s.sync_status()).ok();
    let (phase, next, code, received) = match control {
        Some(control) => {
            let inner = control.lock();
            (
                inner.schedule.phase(),
                inner.schedule.next(),
                inner.last_error_code.clone(),
                inner.received,
            )
        }
        None => (
            if server.is_some() {
                SyncPhase::Idle
            } else {
                SyncPhase::Off
            },
            None,
            None,
            0,
        ),
    };
    let next_attempt_at = next.and_then(|at| {
        let wait = at.saturating_duration_since(Instant::now());
        jiff::Timestamp::now()
            .checked_add(jiff::SignedDuration::try_from(wait).ok()?)
            .ok()
            .map(|t| t.to_string())
    });
    let quiet = matches!(phase, SyncPhase::Idle | SyncPhase::Off | SyncPhase::Syncing);
    SyncState {
        phase,
        server,
        received,
        waiting: status.as_ref().map_or(0, |s| s.waiting),
        refused: status.as_ref().map_or(0, |s| s.refused),
        conflicts: status.as_ref().map_or(0, |s| s.conflicts),
        last_synced_at: status.as_ref().and_then(|s| s.last_synced_at.clone()),
        last_error: if quiet {
            None
        } else {
            status.as_ref().and_then(|s| s.last_error.clone())
        },
        last_error_code: if quiet { None } else { code },
        next_attempt_at,
        progress: (phase == SyncPhase::Syncing).then(SyncProgress::default),
    }
}

fn publish(state: &AppState, control: &Control) {
    let now = current(state, Some(control));
    control.lock().last = Some(now.clone());
    (control.publish)(&now);
}

/// Publishes the state anew (after conflicts were reviewed, settings saved).
fn republish(state: &AppState) {
    if let Some(control) = CONTROL.get() {
        publish(state, control);
    }
}

// ---------------------------------------------------------------------------------------------
// Settings.

/// The sync settings as the front end sees them (never the token itself).
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct SyncSettings {
    pub server: Option<String>,
    pub has_token: bool,
    pub token_storage: TokenStorage,
    /// Said when the token is in a file rather than the OS keyring.
    pub warning: Option<String>,
    /// The municipality's own certificate authority (a PEM file), when one is set.
    pub ca_file: Option<String>,
}

fn words(language: Language, nl: &str, en: &str) -> String {
    match language {
        Language::Nl => nl.to_owned(),
        Language::En => en.to_owned(),
    }
}

fn file_warning(language: Language, file: Option<&Path>) -> String {
    let place = file.map(|f| f.display().to_string()).unwrap_or_default();
    match language {
        Language::Nl => format!(
            "Het token staat in een bestand ({place}) dat alleen jij kunt lezen, omdat er op deze computer geen sleutelbos beschikbaar is."
        ),
        Language::En => format!(
            "The token is kept in a file ({place}) that only you can read, because this computer has no keyring available."
        ),
    }
}

/// Checks a certificate authority file given in the settings: empty is `None` (the public
/// authorities), otherwise a readable PEM file with at least one certificate.
pub fn check_authority_file(text: &str, language: Language) -> Result<Option<PathBuf>, IpcError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    // Kept as an absolute path: read again at every round, whatever folder the app started in.
    let file = std::fs::canonicalize(text).unwrap_or_else(|_| PathBuf::from(text));
    let refused = |nl: String, en: String| IpcError {
        code: "invalid".into(),
        message: match language {
            Language::Nl => nl,
            Language::En => en,
        },
        field: Some("ca_file".into()),
    };
    let pem = std::fs::read(&file).map_err(|e| {
        refused(
            format!("Het bestand {text} kan niet worden gelezen ({e})."),
            format!("The file {text} cannot be read ({e})."),
        )
    })?;
    wijkwerk_core::sync::http::check_authority(&pem).map_err(|_| {
        refused(
            format!("{text} is geen certificaat in PEM-vorm (-----BEGIN CERTIFICATE-----)."),
            format!("{text} is not a certificate in PEM form (-----BEGIN CERTIFICATE-----)."),
        )
    })?;
    Ok(Some(file))
}

/// Checks and normalises a server address: empty is `None` (sync off), otherwise
/// `http(s)://host…` without a trailing slash.
pub fn normalise_server(text: &str, language: Language) -> Result<Option<String>, IpcError> {
    let text = text.trim().trim_end_matches('/');
    if text.is_empty() {
        return Ok(None);
    }
    let refused = || {
        IpcError {
        code: "invalid".into(),
        message: words(
            language,
            "Geef een adres dat begint met https:// (of http:// op een vertrouwd netwerk), bijvoorbeeld https://wijkwerk.gemeente.nl.",
            "Give an address starting with https:// (or http:// on a trusted network), for example https://wijkwerk.gemeente.nl.",
        ),
        field: Some("server".into()),
    }
    };
    let lower = text.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"))
        .ok_or_else(refused)?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    if host.is_empty()
        || host.starts_with(':')
        || host.contains('@')
        || text.chars().any(char::is_whitespace)
    {
        return Err(refused());
    }
    Ok(Some(text.to_owned()))
}

fn settings_view(state: &AppState) -> SyncSettings {
    let (server, language, file, ca_file) = state.with_settings(|s| {
        (
            s.server.clone(),
            s.language,
            token_file(s.file()),
            s.ca_file.clone(),
        )
    });
    let (token, storage) = load_token(file.as_deref());
    SyncSettings {
        ca_file: ca_file.map(|f| f.display().to_string()),
        server,
        has_token: token.is_some(),
        token_storage: storage,
        warning: (storage == TokenStorage::File).then(|| file_warning(language, file.as_deref())),
    }
}

// ---------------------------------------------------------------------------------------------
// Conflicts.

/// A conflict to review, with the name of its record.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct ConflictView {
    pub seq: i64,
    pub entity: String,
    pub record_id: String,
    /// The record's name or title, when it has one.
    pub record_label: Option<String>,
    pub field: String,
    /// The value that lost (here or on another laptop).
    #[ts(type = "unknown")]
    pub lost_value: serde_json::Value,
    /// The value that was kept.
    #[ts(type = "unknown")]
    pub won_value: serde_json::Value,
    pub recorded_at: String,
}

fn record_label(store: &Store, entity: &str, id: &str) -> Option<String> {
    let entity = entity.parse::<wijkwerk_core::Entity>().ok()?;
    let id = uuid::Uuid::parse_str(id).ok()?;
    let record = store.get(entity, id).ok()?;
    ["name", "title", "subject", "description"]
        .iter()
        .find_map(|field| record.get(*field).and_then(|v| v.as_str()))
        .map(str::to_owned)
}

/// The conflicts to review (newest first), as the CLI's `conflicts` lists them.
pub fn conflicts(store: &Store) -> wijkwerk_core::Result<Vec<ConflictView>> {
    Ok(store
        .conflicts(false, 500)?
        .into_iter()
        .map(|c| ConflictView {
            record_label: record_label(store, &c.entity, &c.record_id),
            seq: c.seq,
            entity: c.entity,
            record_id: c.record_id,
            field: c.field,
            lost_value: c.lost_value,
            won_value: c.won_value,
            recorded_at: c.recorded_at,
        })
        .collect())
}

// ---------------------------------------------------------------------------------------------
// Commands.

/// Where sync stands now (the same as the `sync-state` event).
#[tauri::command(async)]
pub fn sync_state(state: State<'_, AppState>) -> SyncState {
    current(&state, CONTROL.get().map(|c| &**c))
}

/// A round now.
#[tauri::command(async)]
pub fn sync_now(state: State<'_, AppState>) -> SyncState {
    if let Some(control) = CONTROL.get() {
        control.lock().schedule.sync_now(Instant::now());
        control.wake.notify_all();
    }
    current(&state, CONTROL.get().map(|c| &**c))
}

#[tauri::command(async)]
pub fn sync_settings(state: State<'_, AppState>) -> SyncSettings {
    settings_view(&state)
}

/// Sets the server (empty: sync off) and, when given, a new token (empty: keep the one there).
#[tauri::command(async)]
pub fn save_sync_settings(
    state: State<'_, AppState>,
    server: String,
    token: Option<String>,
    ca_file: Option<String>,
) -> Result<SyncSettings, IpcError> {
    let (language, file) = state.with_settings(|s| (s.language, token_file(s.file())));
    let server = normalise_server(&server, language)?;
    // Checked only when there is a server to trust it for: turning sync off always works.
    let ca_file = match server {
        Some(_) => check_authority_file(ca_file.as_deref().unwrap_or(""), language)?,
        None => None,
    };
    let token = token.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty());
    if let Some(token) = &token {
        if token.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(IpcError {
                code: "invalid".into(),
                message: words(
                    language,
                    "Een token bevat geen spaties.",
                    "A token contains no spaces.",
                ),
                field: Some("token".into()),
            });
        }
        save_token(file.as_deref(), token).map_err(|detail| IpcError {
            code: "io".into(),
            message: format!(
                "{} ({detail})",
                words(
                    language,
                    "Het token kon niet worden bewaard",
                    "The token could not be kept"
                )
            ),
            field: Some("token".into()),
        })?;
    }
    state.with_settings(|s| {
        s.server = server.clone();
        s.ca_file = ca_file;
        s.save()
    })?;
    if let Some(control) = CONTROL.get() {
        let mut inner = control.lock();
        if token.is_some() {
            inner.token = Some(token);
        } else {
            inner.token = None; // loaded again for the next round
        }
        inner.last_error_code = None;
        inner.schedule.configure(server.is_some(), Instant::now());
        drop(inner);
        control.wake.notify_all();
    }
    republish(&state);
    Ok(settings_view(&state))
}

/// The conflicts to review.
#[tauri::command(async)]
pub fn sync_conflicts(state: State<'_, AppState>) -> Result<Vec<ConflictView>, IpcError> {
    state.with_store(|s| conflicts(s))
}

/// "Mijn waarde terugzetten": the value that lost becomes a new edit; the conflict is reviewed.
#[tauri::command(async)]
pub fn keep_conflict_value(state: State<'_, AppState>, seq: i64) -> Result<(), IpcError> {
    state.with_store(|s| s.keep_lost_value(seq))?;
    poke();
    republish(&state);
    Ok(())
}

/// "Negeren": the value that won stays; the conflict is reviewed.
#[tauri::command(async)]
pub fn dismiss_conflict(state: State<'_, AppState>, seq: i64) -> Result<(), IpcError> {
    state.with_store(|s| s.resolve_conflict(seq))?;
    republish(&state);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_starts_short_doubles_and_stops_at_five_minutes() {
        assert_eq!(backoff(1, 0.0), Duration::from_secs(5));
        assert_eq!(backoff(2, 0.0), Duration::from_secs(10));
        assert_eq!(backoff(3, 0.0), Duration::from_secs(20));
        assert_eq!(backoff(4, 0.0), Duration::from_secs(40));
        for n in 1..200 {
            assert!(backoff(n + 1, 0.0) >= backoff(n, 0.0), "never shrinks");
            assert!(backoff(n, 0.0) <= BACKOFF_MAX);
        }
        assert_eq!(backoff(7, 0.0), BACKOFF_MAX);
        assert_eq!(backoff(u32::MAX, 0.0), BACKOFF_MAX);
        // Zero failures counts as the first.
        assert_eq!(backoff(0, 0.0), Duration::from_secs(5));
    }

    #[test]
    fn jitter_stays_within_twenty_percent_and_under_the_cap() {
        assert_eq!(backoff(1, 0.2), Duration::from_secs(6));
        assert_eq!(backoff(1, -0.2), Duration::from_secs(4));
        // Beyond the range is clamped.
        assert_eq!(backoff(1, 5.0), Duration::from_secs(6));
        assert_eq!(backoff(1, -5.0), Duration::from_secs(4));
        assert_eq!(backoff(50, 0.2), BACKOFF_MAX);
        assert_eq!(backoff(50, -0.2), Duration::from_secs(240));
        let mut seen_low = false;
        let mut seen_high = false;
        for _ in 0..2000 {
            let j = draw_jitter();
            assert!((-JITTER..=JITTER).contains(&j));
            seen_low |= j < -0.1;
            seen_high |= j > 0.1;
            let wait = backoff(3, j);
            assert!(wait >= Duration::from_secs(16) && wait <= Duration::from_secs(24));
        }
        assert!(seen_low && seen_high, "the jitter spreads both ways");
    }

    #[test]
    fn failures_are_classified_for_the_schedule() {
        assert_eq!(classify(&SyncError::Unauthorized), Outcome::Auth);
        assert_eq!(classify(&SyncError::Forbidden), Outcome::Auth);
        assert_eq!(
            classify(&SyncError::Offline("dns".into())),
            Outcome::Offline
        );
        assert_eq!(
            classify(&SyncError::Server {
                status: 503,
                code: "x".into(),
                message: "x".into()
            }),
            Outcome::Transient
        );
        assert_eq!(
            classify(&SyncError::Server {
                status: 400,
                code: "bad_request".into(),
                message: "x".into()
            }),
            Outcome::Failed
        );
        assert_eq!(classify(&SyncError::Protocol("v2".into())), Outcome::Failed);
    }

    #[test]
    fn a_configured_app_syncs_soon_after_start_and_then_every_five_minutes() {
        let t0 = Instant::now();
        let mut s = Scheduler::new(true, t0);
        assert_eq!(s.phase(), SyncPhase::Idle);
        assert!(!s.due(t0));
        assert!(s.due(t0 + AT_START));
        s.start_round();
        assert_eq!(s.phase(), SyncPhase::Syncing);
        assert!(!s.due(t0 + PERIOD * 10), "one round at a time");
        s.finish_round(Outcome::Success, t0, 0.0);
        assert_eq!(s.phase(), SyncPhase::Idle);
        assert_eq!(s.next(), Some(t0 + PERIOD));
    }

    #[test]
    fn without_a_server_nothing_runs() {
        let t0 = Instant::now();
        let mut s = Scheduler::new(false, t0);
        assert_eq!(s.phase(), SyncPhase::Off);
        s.local_change(t0);
        assert!(!s.sync_now(t0));
        assert_eq!(s.wait(t0), None);
        assert!(!s.due(t0 + PERIOD * 100));
        s.configure(true, t0);
        assert!(s.due(t0));
    }

    #[test]
    fn a_local_change_brings_the_round_forward_to_three_seconds() {
        let t0 = Instant::now();
        let mut s = Scheduler::new(true, t0);
        s.start_round();
        s.finish_round(Outcome::Success, t0, 0.0);
        s.local_change(t0 + Duration::from_secs(60));
        assert_eq!(s.next(), Some(t0 + Duration::from_secs(63)));
        // A second change does not push it further away.
        s.local_change(t0 + Duration::from_secs(62));
        assert_eq!(s.next(), Some(t0 + Duration::from_secs(63)));
        // A change during a round: another round three seconds after it.
        s.start_round();
        s.local_change(t0 + Duration::from_secs(64));
        s.finish_round(Outcome::Success, t0 + Duration::from_secs(65), 0.0);
        assert_eq!(s.next(), Some(t0 + Duration::from_secs(65) + AFTER_CHANGE));
    }

    #[test]
    fn offline_backs_off_with_growing_waits_and_success_resets_it() {
        let t0 = Instant::now();
        let mut s = Scheduler::new(true, t0);
        let mut waits = Vec::new();
        for _ in 0..8 {
            s.start_round();
            s.finish_round(Outcome::Offline, t0, 0.0);
            assert_eq!(s.phase(), SyncPhase::Offline);
            waits.push(s.next().map(|n| n - t0));
            // Local changes while offline do not hammer a server that is not there.
            s.local_change(t0);
            assert_eq!(s.next().map(|n| n - t0), *waits.last().unwrap());
        }
        let secs: Vec<u64> = waits.iter().map(|w| w.unwrap().as_secs()).collect();
        assert_eq!(secs, [5, 10, 20, 40, 60, 60, 60, 60]);
        s.start_round();
        s.finish_round(Outcome::Success, t0, 0.0);
        assert_eq!(s.phase(), SyncPhase::Idle);
        assert_eq!(s.failures(), 0);
        s.start_round();
        s.finish_round(Outcome::Transient, t0, 0.0);
        assert_eq!(s.phase(), SyncPhase::Error);
        assert_eq!(s.next(), Some(t0 + BACKOFF_FIRST), "backoff starts over");
    }

    #[test]
    fn a_server_in_trouble_backs_off_to_five_minutes_and_offline_waits_keep_their_jitter() {
        let t0 = Instant::now();
        let mut s = Scheduler::new(true, t0);
        for _ in 0..8 {
            s.start_round();
            s.finish_round(Outcome::Transient, t0, 0.0);
        }
        assert_eq!(s.next(), Some(t0 + BACKOFF_MAX));
        let mut s = Scheduler::new(true, t0);
        for _ in 0..8 {
            s.start_round();
            s.finish_round(Outcome::Offline, t0, 0.2);
        }
        assert_eq!(s.next(), Some(t0 + Duration::from_secs(72)));
    }

    #[test]
    fn a_certificate_authority_file_must_hold_a_pem_certificate() {
        let dir = tempfile::tempdir().unwrap();
        let ca = rcgen::generate_simple_self_signed(vec!["wijkwerk.bergen.nl".into()]).unwrap();
        let pem = dir.path().join("gemeente-ca.pem");
        std::fs::write(&pem, ca.cert.pem()).unwrap();
        let text = pem.display().to_string();
        assert_eq!(
            check_authority_file(&format!("  {text} "), Language::Nl),
            Ok(Some(std::fs::canonicalize(&pem).unwrap()))
        );
        assert_eq!(check_authority_file("", Language::Nl), Ok(None));

        let not_pem = dir.path().join("notities.txt");
        std::fs::write(&not_pem, "geen certificaat").unwrap();
        let refused = check_authority_file(&not_pem.display().to_string(), Language::Nl)
            .expect_err("not a certificate");
        assert_eq!(refused.field.as_deref(), Some("ca_file"));
        assert!(
            refused.message.contains("geen certificaat in PEM-vorm"),
            "{refused:?}"
        );

        let missing = dir.path().join("weg.pem");
        let refused = check_authority_file(&missing.display().to_string(), Language::En)
            .expect_err("no such file");
        assert!(refused.message.starts_with("The file"), "{refused:?}");
    }

    #[test]
    fn another_data_folder_gets_a_round_of_its_own_at_once() {
        let t0 = Instant::now();
        let mut s = Scheduler::new(true, t0);
        s.start_round();
        s.finish_round(Outcome::Offline, t0, 0.0);
        s.configure(true, t0 + Duration::from_secs(1));
        assert_eq!(s.phase(), SyncPhase::Idle);
        assert_eq!(s.next(), Some(t0 + Duration::from_secs(1)));
    }

    #[test]
    fn a_refused_sign_in_pauses_until_the_settings_change() {
        let t0 = Instant::now();
        let mut s = Scheduler::new(true, t0);
        s.start_round();
        s.finish_round(Outcome::Offline, t0, 0.0);
        s.start_round();
        s.finish_round(Outcome::Auth, t0, 0.0);
        assert_eq!(s.phase(), SyncPhase::PausedAuth);
        assert_eq!(s.next(), None);
        assert_eq!(s.wait(t0), None);
        s.local_change(t0);
        assert!(!s.due(t0 + PERIOD * 100), "no round while paused");
        // The user may still ask for one explicitly.
        assert!(s.sync_now(t0));
        assert!(s.due(t0));
        s.start_round();
        s.finish_round(Outcome::Auth, t0, 0.0);
        assert_eq!(s.phase(), SyncPhase::PausedAuth);
        // New settings end the pause.
        s.configure(true, t0);
        assert_eq!(s.phase(), SyncPhase::Idle);
        assert!(s.due(t0));
        // Without a server, sync is off.
        s.configure(false, t0);
        assert_eq!(s.phase(), SyncPhase::Off);
        assert!(!s.due(t0 + PERIOD));
    }

    #[test]
    fn a_permanent_failure_is_shown_and_tried_again_on_the_period() {
        let t0 = Instant::now();
        let mut s = Scheduler::new(true, t0);
        s.start_round();
        s.finish_round(Outcome::Failed, t0, 0.0);
        assert_eq!(s.phase(), SyncPhase::Error);
        assert_eq!(s.next(), Some(t0 + PERIOD));
        s.local_change(t0);
        assert_eq!(s.next(), Some(t0 + AFTER_CHANGE));
    }

    #[test]
    fn settings_changed_during_a_round_take_effect_after_it() {
        let t0 = Instant::now();
        let mut s = Scheduler::new(true, t0);
        s.start_round();
        s.finish_round(Outcome::Auth, t0, 0.0);
        assert_eq!(s.phase(), SyncPhase::PausedAuth);
        // A new token saved while a round with the old one runs: that round's refusal does not
        // pause the new settings.
        s.sync_now(t0);
        s.start_round();
        s.configure(true, t0);
        assert_eq!(s.phase(), SyncPhase::Syncing);
        s.finish_round(Outcome::Auth, t0, 0.0);
        assert_eq!(s.phase(), SyncPhase::Idle);
        assert!(s.due(t0));
        // The server removed while a round runs: off after it, whatever it met.
        s.start_round();
        s.configure(false, t0);
        assert_eq!(s.phase(), SyncPhase::Syncing);
        s.finish_round(Outcome::Offline, t0, 0.0);
        assert_eq!(s.phase(), SyncPhase::Off);
        assert_eq!(s.next(), None);
        assert_eq!(s.failures(), 0);
        // Removed and set again during one round: the last word counts.
        s.configure(true, t0);
        s.start_round();
        s.configure(false, t0);
        s.configure(true, t0);
        s.finish_round(Outcome::Success, t0, 0.0);
        assert_eq!(s.phase(), SyncPhase::Idle);
        assert!(s.due(t0));
    }

    /// A server on localhost that answers `hello` and then every other request with `status`
    /// (and an empty pull page for 200), for `n` connections. Also gives the number of `hello`s
    /// asked so far.
    fn fake_server(status: u16, n: usize) -> (String, Arc<std::sync::atomic::AtomicUsize>) {
        use std::io::{BufRead as _, BufReader, Read as _, Write as _};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let address = format!("http://{}", listener.local_addr().unwrap());
        let hellos = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counted = hellos.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().take(n) {
                let Ok(mut stream) = stream else { return };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut first = String::new();
                let _ = reader.read_line(&mut first);
                let mut length = 0usize;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                        length = v.trim().parse().unwrap_or(0);
                    }
                }
                let mut body = vec![0; length];
                let _ = reader.read_exact(&mut body);
                let (code, answer) = if first.contains("/v1/hello") {
                    counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    (
                        200,
                        serde_json::json!({"protocol_versions": [1], "server_version": "test",
                            "server_time_ms": jiff::Timestamp::now().as_millisecond(),
                            "max_clock_skew_ms": 300_000}),
                    )
                } else if status == 200 {
                    (
                        200,
                        serde_json::json!({"records": [], "conflicts": [],
                            "cursor": {"seq": 0, "tx": null}, "more": false, "head": 0}),
                    )
                } else {
                    (
                        status,
                        serde_json::json!({"code": "unauthorized", "message": "unknown token"}),
                    )
                };
                let text = answer.to_string();
                let _ = write!(
                    stream,
                    "HTTP/1.1 {code} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{text}",
                    text.len()
                );
            }
        });
        (address, hellos)
    }

    fn app_with(server: Option<String>, token: Option<&str>) -> (AppState, Control) {
        let settings = crate::settings::Settings {
            server,
            ..Default::default()
        };
        let state = AppState::new(
            PathBuf::from("/data"),
            Ok(Store::in_memory().unwrap()),
            settings,
        );
        let control = Control::new(Scheduler::new(true, Instant::now()), Box::new(|_| {}));
        control.lock().token = Some(token.map(str::to_owned));
        (state, control)
    }

    #[test]
    fn a_round_against_a_server_that_is_not_there_is_offline_and_recorded() {
        // A port nobody listens on: refused at once.
        let closed = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            format!("http://{}", listener.local_addr().unwrap())
        };
        let (state, control) = app_with(Some(closed), Some("geheim"));
        let (outcome, code, _) = run_round(&state, &control);
        assert_eq!(outcome, Outcome::Offline);
        assert_eq!(code.as_deref(), Some("offline"));
        let status = state.with_store(|s| s.sync_status()).unwrap();
        assert!(status.last_error.is_some());
        let shown = current(&state, Some(&control));
        assert_eq!(shown.server, state.with_settings(|s| s.server.clone()));
        // As the worker ends the round: offline, with the reason and the next try shown.
        {
            let mut inner = control.lock();
            inner.schedule.start_round();
            inner.schedule.finish_round(outcome, Instant::now(), 0.0);
            inner.last_error_code = code;
        }
        let shown = current(&state, Some(&control));
        assert_eq!(shown.phase, SyncPhase::Offline);
        assert_eq!(shown.last_error_code.as_deref(), Some("offline"));
        assert_eq!(shown.last_error, status.last_error);
        assert!(shown.next_attempt_at.is_some());
    }

    #[test]
    fn a_refused_token_gives_auth_and_no_token_too() {
        let (state, control) = app_with(Some(fake_server(401, 5).0), Some("verkeerd"));
        assert_eq!(
            run_round(&state, &control),
            (Outcome::Auth, Some("unauthorized".into()), 0)
        );
        let (state, control) = app_with(Some("http://127.0.0.1:9".into()), None);
        assert_eq!(
            run_round(&state, &control),
            (Outcome::Auth, Some("no_token".into()), 0)
        );
    }

    #[test]
    fn a_round_that_succeeds_is_shown_as_synced_with_the_next_round_planned() {
        let published = Arc::new(Mutex::new(Vec::<SyncState>::new()));
        let seen = published.clone();
        let (server, hellos) = fake_server(200, 5);
        let (state, _) = app_with(Some(server), Some("goed"));
        let control = Control::new(
            Scheduler::new(true, Instant::now()),
            Box::new(move |s| seen.lock().unwrap().push(s.clone())),
        );
        control.lock().token = Some(Some("goed".into()));
        control.lock().schedule.start_round();
        publish(&state, &control);
        let (outcome, code, received) = run_round(&state, &control);
        assert_eq!((outcome, code, received), (Outcome::Success, None, 0));
        control
            .lock()
            .schedule
            .finish_round(outcome, Instant::now(), 0.0);
        publish(&state, &control);
        let states = published.lock().unwrap().clone();
        assert_eq!(states.first().map(|s| s.phase), Some(SyncPhase::Syncing));
        assert!(
            states.iter().any(|s| s.progress.is_some()),
            "progress while the round ran"
        );
        let last = states.last().unwrap();
        assert_eq!(last.phase, SyncPhase::Idle);
        assert!(last.last_synced_at.is_some());
        assert!(last.next_attempt_at.is_some());
        assert_eq!(last.last_error, None);
        assert_eq!(
            hellos.load(std::sync::atomic::Ordering::SeqCst),
            1,
            "the round uses the hello asked before it"
        );
    }

    #[test]
    fn server_addresses_are_checked() {
        let nl = Language::Nl;
        assert_eq!(normalise_server("  ", nl).unwrap(), None);
        assert_eq!(
            normalise_server(" https://wijkwerk.bergen.nl/ ", nl).unwrap(),
            Some("https://wijkwerk.bergen.nl".into())
        );
        assert_eq!(
            normalise_server("http://127.0.0.1:8443", nl).unwrap(),
            Some("http://127.0.0.1:8443".into())
        );
        for bad in [
            "wijkwerk.bergen.nl",
            "ftp://x",
            "https://",
            "https:// spatie.nl",
            "https://:80",
            "https://user@host",
        ] {
            let error = normalise_server(bad, nl).unwrap_err();
            assert_eq!(error.field.as_deref(), Some("server"), "{bad}");
        }
    }

    #[test]
    fn the_token_file_is_readable_only_by_the_user() {
        let dir = tempfile::tempdir().unwrap();
        let settings = dir.path().join("config").join("settings.json");
        let file = token_file(Some(&settings)).unwrap();
        assert_eq!(file, dir.path().join("config").join("sync-token"));
        assert_eq!(read_token_file(&file), None);
        write_token_file(&file, "geheim-1").unwrap();
        assert_eq!(read_token_file(&file).as_deref(), Some("geheim-1"));
        write_token_file(&file, "geheim-2").unwrap();
        assert_eq!(read_token_file(&file).as_deref(), Some("geheim-2"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&file).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(!file.with_extension("tmp").exists());
        assert_eq!(token_file(None), None);
    }

    #[test]
    fn without_a_keyring_the_token_comes_from_the_file() {
        // Under CI there is no Secret Service: the keyring must fail fast and cleanly. (Where a
        // keyring answers and holds a Wijkwerk token, that one is used; nothing is written.)
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("sync-token");
        let started = Instant::now();
        let (token, storage) = load_token(Some(&file));
        if storage == TokenStorage::File {
            assert_eq!(token, None);
        }
        write_token_file(&file, "uit-bestand").unwrap();
        let (token, storage) = load_token(Some(&file));
        if storage == TokenStorage::File {
            assert_eq!(token.as_deref(), Some("uit-bestand"));
        }
        assert!(started.elapsed() < Duration::from_secs(30));
    }

    #[test]
    fn the_keyring_token_comes_first_then_the_file() {
        let file = || Some("uit-bestand".to_owned());
        let none = || None;
        let unavailable = || keyring::Error::PlatformFailure("no Secret Service".into());
        assert_eq!(
            choose_token(Some(Ok("uit-sleutelbos".into())), file),
            (Some("uit-sleutelbos".into()), TokenStorage::Keyring)
        );
        // An empty keyring: a token kept in the file before still counts; new ones go to the
        // keyring.
        assert_eq!(
            choose_token(Some(Err(keyring::Error::NoEntry)), file),
            (Some("uit-bestand".into()), TokenStorage::File)
        );
        assert_eq!(
            choose_token(Some(Ok("  ".into())), none),
            (None, TokenStorage::Keyring)
        );
        assert_eq!(
            choose_token(Some(Err(keyring::Error::NoEntry)), none),
            (None, TokenStorage::Keyring)
        );
        // No keyring: the file, with or without a token in it.
        assert_eq!(
            choose_token(Some(Err(unavailable())), file),
            (Some("uit-bestand".into()), TokenStorage::File)
        );
        assert_eq!(choose_token(None, none), (None, TokenStorage::File));
    }

    #[test]
    fn the_warning_names_the_file_in_the_chosen_language() {
        let file = PathBuf::from("/home/an/.config/wijkwerk/sync-token");
        assert!(file_warning(Language::Nl, Some(&file))
            .starts_with("Het token staat in een bestand (/home/an/.config/wijkwerk/sync-token)"));
        assert!(file_warning(Language::En, Some(&file)).starts_with("The token is kept in a file"));
    }

    #[test]
    fn conflicts_are_listed_with_their_record_and_kept_or_dismissed() {
        use std::collections::BTreeMap;
        use wijkwerk_core::protocol::{Hlc, NodeId, RecordChange, StampedValue};
        use wijkwerk_core::Entity;
        let mut store = Store::in_memory().unwrap();
        assert!(conflicts(&store).unwrap().is_empty());
        let fields = serde_json::json!({"name": "Lokaal"});
        let id = store
            .create(Entity::Contact, fields.as_object().unwrap().clone())
            .unwrap();
        let far_future = Hlc::new(u64::from(u32::MAX) * 1000, 0, NodeId(9));
        let change = RecordChange {
            entity: "contact".into(),
            id,
            fields: BTreeMap::from([(
                "name".into(),
                StampedValue::new(serde_json::json!("Van de server"), far_future),
            )]),
        };
        store.merge(&[change], |_| Ok(())).unwrap();
        let list = conflicts(&store).unwrap();
        assert_eq!(list.len(), 1);
        let c = &list[0];
        assert_eq!(c.entity, "contact");
        assert_eq!(c.field, "name");
        assert_eq!(c.record_label.as_deref(), Some("Van de server"));
        assert_eq!(c.lost_value, serde_json::json!("Lokaal"));
        assert_eq!(c.won_value, serde_json::json!("Van de server"));
        store.keep_lost_value(c.seq).unwrap();
        assert!(conflicts(&store).unwrap().is_empty());
        assert_eq!(store.get(Entity::Contact, id).unwrap()["name"], "Lokaal");
    }
}
