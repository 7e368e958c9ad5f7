//! The background sync worker: a thin loop that runs the [`Scheduler`]'s decisions with the
//! store of whoever started it (the desktop app, `wijkwerk sync --watch`), and says where it
//! stands after every change ([`SyncState`], given to the `on_state` callback).
//!
//! - What it needs from its host is [`SyncHost`]: the settings now, the token, the store (shared
//!   with the host's other work, so a round takes it only for the round itself) and a transport.
//! - Time comes from a [`Clock`]; tests use a [`ManualClock`] they move forward, and
//!   [`SyncWorker::step`] runs a round that is due without a thread, so nothing sleeps for real.
//! - A round first asks the server's `hello` with a short timeout and **without the store**, so
//!   that an unreachable server never keeps a write waiting; the round then uses that answer.
//! - [`SyncWorker::stop`] lets a running round finish (its transactions are whole either way)
//!   and starts no other.

use super::config::{read_authority, SyncConfig};
use super::http::HttpTransport;
use super::scheduler::{
    classify, draw_jitter, Outcome, Scheduler, SyncPhase, SyncProgress, SyncState,
};
use super::{SyncError, Transport};
use crate::store::Store;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use wijkwerk_protocol::wire::{Cursor, Hello, PullResponse, PushRequest, PushResponse};

/// How long one request to the server may take.
pub const TIMEOUT: Duration = Duration::from_secs(60);
/// How long the first question to the server may take (asked without holding the store).
pub const HELLO_TIMEOUT: Duration = Duration::from_secs(15);

/// Where the worker's time comes from.
pub trait Clock: Send + Sync {
    /// The monotonic now the schedule is planned in.
    fn now(&self) -> Instant;
    /// The wall clock, for the planned round's instant shown to people.
    fn utc_now(&self) -> jiff::Timestamp;
    /// How long to really wait when the schedule says `wait`: all of it for the system's clock;
    /// a test's clock waits a few milliseconds and then looks at itself again.
    fn real_wait(&self, wait: Duration) -> Duration {
        wait
    }
}

/// The system's clocks.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }

    fn utc_now(&self) -> jiff::Timestamp {
        jiff::Timestamp::now()
    }
}

/// A clock that moves only when told ([`ManualClock::advance`]), for tests.
#[derive(Debug)]
pub struct ManualClock {
    start: Instant,
    utc_start: jiff::Timestamp,
    passed: Mutex<Duration>,
}

impl Default for ManualClock {
    fn default() -> Self {
        ManualClock::new()
    }
}

impl ManualClock {
    pub fn new() -> ManualClock {
        ManualClock {
            start: Instant::now(),
            utc_start: jiff::Timestamp::now(),
            passed: Mutex::new(Duration::ZERO),
        }
    }

    fn passed(&self) -> MutexGuard<'_, Duration> {
        self.passed.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        *self.passed() += by;
    }

    /// How far the clock was moved since it was made.
    pub fn elapsed(&self) -> Duration {
        *self.passed()
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Instant {
        self.start + *self.passed()
    }

    fn utc_now(&self) -> jiff::Timestamp {
        let passed = jiff::SignedDuration::try_from(*self.passed()).unwrap_or_default();
        self.utc_start.checked_add(passed).unwrap_or(self.utc_start)
    }

    fn real_wait(&self, wait: Duration) -> Duration {
        wait.min(Duration::from_millis(2))
    }
}

/// The store could not be used for a round (the host's own reason, with its stable code).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct StoreUnavailable {
    pub code: String,
    pub message: String,
}

/// What the worker needs from the program that runs it.
pub trait SyncHost: Send + Sync {
    /// The server as the settings say now; `None`: sync is off.
    fn config(&self) -> Option<SyncConfig>;
    /// The sign-in token (asked without holding anything: a keyring may take its time). The
    /// worker keeps it until [`SyncWorker::settings_changed`].
    fn load_token(&self) -> Option<String>;
    /// Runs `f` on the store, which the host may share with its other work.
    fn with_store(&self, f: &mut dyn FnMut(&mut Store)) -> Result<(), StoreUnavailable>;
    /// A transport to the server: HTTP(S), trusting `authority` (PEM) when one is given. Tests
    /// give fakes.
    fn connect(
        &self,
        server: &str,
        token: &str,
        authority: Option<&[u8]>,
        timeout: Duration,
    ) -> Result<Box<dyn Transport>, SyncError> {
        Ok(Box::new(HttpTransport::with_authority(
            server, token, timeout, authority,
        )?))
    }
}

/// Runs `f` on the host's store and gives its answer.
fn on_store<T>(
    host: &dyn SyncHost,
    f: impl FnOnce(&mut Store) -> T,
) -> Result<T, StoreUnavailable> {
    let mut f = Some(f);
    let mut answer = None;
    host.with_store(&mut |store| {
        if let Some(f) = f.take() {
            answer = Some(f(store));
        }
    })?;
    answer.ok_or_else(|| StoreUnavailable {
        code: "store".into(),
        message: "the store was not reached".into(),
    })
}

type OnState = Box<dyn Fn(&SyncState) + Send + Sync>;
type Jitter = Box<dyn FnMut() -> f64 + Send>;

struct Inner {
    schedule: Scheduler,
    /// The token as last loaded or given (`None`: not loaded yet).
    token: Option<Option<String>>,
    /// The code of the last failure, for the shells' words.
    last_error_code: Option<String>,
    /// Fields changed here by received records since the start (see [`SyncState::received`]).
    received: u64,
    /// When the token expires, as the server said in the last round that completed.
    token_expires_at_ms: Option<i64>,
    /// The last state published (progress is added to it while a round holds the store).
    last: Option<SyncState>,
    stopping: bool,
    jitter: Jitter,
}

struct Shared {
    host: Arc<dyn SyncHost>,
    clock: Arc<dyn Clock>,
    inner: Mutex<Inner>,
    wake: Condvar,
    on_state: OnState,
}

/// How a [`SyncWorker`] is made: its clock, its jitter and who hears its state.
pub struct WorkerBuilder {
    host: Arc<dyn SyncHost>,
    clock: Arc<dyn Clock>,
    jitter: Jitter,
    on_state: OnState,
}

impl WorkerBuilder {
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Where the jitter of a backoff comes from (a fraction in ±[`super::scheduler::JITTER`]);
    /// drawn evenly at random unless a test fixes it.
    pub fn jitter(mut self, jitter: impl FnMut() -> f64 + Send + 'static) -> Self {
        self.jitter = Box::new(jitter);
        self
    }

    /// Called with the new state after every change (from the worker's thread or the caller's).
    pub fn on_state(mut self, on_state: impl Fn(&SyncState) + Send + Sync + 'static) -> Self {
        self.on_state = Box::new(on_state);
        self
    }

    /// The worker, not yet running: [`SyncWorker::start`] runs its loop on a thread, or
    /// [`SyncWorker::step`] runs what is due from the caller.
    pub fn build(self) -> SyncWorker {
        let configured = self.host.config().is_some();
        let schedule = Scheduler::new(configured, self.clock.now());
        SyncWorker {
            shared: Arc::new(Shared {
                host: self.host,
                clock: self.clock,
                inner: Mutex::new(Inner {
                    schedule,
                    token: None,
                    last_error_code: None,
                    received: 0,
                    token_expires_at_ms: None,
                    last: None,
                    stopping: false,
                    jitter: self.jitter,
                }),
                wake: Condvar::new(),
                on_state: self.on_state,
            }),
            thread: Mutex::new(None),
        }
    }
}

/// The background sync of one store (see the module).
pub struct SyncWorker {
    shared: Arc<Shared>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl SyncWorker {
    /// A worker over `host` with the system's clock and random jitter.
    pub fn builder(host: Arc<dyn SyncHost>) -> WorkerBuilder {
        WorkerBuilder {
            host,
            clock: Arc::new(SystemClock),
            jitter: Box::new(draw_jitter),
            on_state: Box::new(|_| {}),
        }
    }

    /// Runs the loop on a thread of its own (once; again is a no-op) and says where it stands.
    pub fn start(&self) -> std::io::Result<()> {
        let mut thread = self.thread.lock().unwrap_or_else(|p| p.into_inner());
        if thread.is_some() {
            return Ok(());
        }
        self.shared.publish();
        let shared = self.shared.clone();
        *thread = Some(
            std::thread::Builder::new()
                .name("wijkwerk-sync".into())
                .spawn(move || shared.run())?,
        );
        Ok(())
    }

    /// Runs a round when one is due now, from the calling thread; true when one ran.
    pub fn step(&self) -> bool {
        self.shared.step()
    }

    /// Something was written here: sync it soon (a few seconds, so that more changes share the
    /// round).
    pub fn poke(&self) {
        self.shared.change(|s, now| {
            s.local_change(now);
        });
    }

    /// A round now (the user asked): also while offline or paused. False when sync is off.
    pub fn sync_now(&self) -> bool {
        let mut asked = false;
        self.shared.change(|s, now| asked = s.sync_now(now));
        asked
    }

    /// The network is back: a round at once when the server could not be reached.
    pub fn network_back(&self) -> bool {
        let mut asked = false;
        self.shared.change(|s, now| asked = s.network_back(now));
        asked
    }

    /// The settings changed (server, token, certificate authority, another store): start
    /// afresh; a pause for the sign-in ends here. `token`: the new token when the host just
    /// saved one, otherwise `None` and it is loaded again for the next round.
    pub fn settings_changed(&self, token: Option<String>) {
        let configured = self.shared.host.config().is_some();
        {
            let mut inner = self.shared.lock();
            if token.is_some() {
                // A new token: its expiry is told by the next round.
                inner.token_expires_at_ms = None;
            }
            inner.token = token.map(Some);
            inner.last_error_code = None;
            let now = self.shared.clock.now();
            inner.schedule.configure(configured, now);
        }
        self.shared.wake.notify_all();
        self.shared.publish();
    }

    /// Stops the loop: a running round finishes, no other starts. Waits for the thread.
    pub fn stop(&self) {
        self.shared.lock().stopping = true;
        self.shared.wake.notify_all();
        let thread = self.thread.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(thread) = thread {
            let _ = thread.join();
        }
    }

    /// Where sync stands now: the store's numbers and the schedule's phase.
    pub fn state(&self) -> SyncState {
        self.shared.current()
    }

    /// Says where sync stands again (after conflicts were reviewed, say).
    pub fn republish(&self) {
        self.shared.publish();
    }

    /// The schedule's phase now.
    pub fn phase(&self) -> SyncPhase {
        self.shared.lock().schedule.phase()
    }

    /// How long until the next planned round; `None` when none is planned (off, paused,
    /// running).
    pub fn next_round_in(&self) -> Option<Duration> {
        let now = self.shared.clock.now();
        let inner = self.shared.lock();
        if inner.schedule.phase() == SyncPhase::Syncing {
            return None;
        }
        inner
            .schedule
            .next()
            .map(|at| at.saturating_duration_since(now))
    }

    /// Failed rounds in a row that back off.
    pub fn failures(&self) -> u32 {
        self.shared.lock().schedule.failures()
    }
}

impl Drop for SyncWorker {
    fn drop(&mut self) {
        self.stop();
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Changes the schedule and wakes the loop. Says nothing by itself: the round it brings
    /// forward does when it starts (a write never waits for the state to be read).
    fn change(&self, f: impl FnOnce(&mut Scheduler, Instant)) {
        let now = self.clock.now();
        {
            let mut inner = self.lock();
            if inner.stopping {
                return;
            }
            f(&mut inner.schedule, now);
        }
        self.wake.notify_all();
    }

    fn run(&self) {
        loop {
            {
                let mut inner = self.lock();
                loop {
                    if inner.stopping {
                        return;
                    }
                    let now = self.clock.now();
                    if inner.schedule.due(now) {
                        break;
                    }
                    inner = match inner.schedule.wait(now) {
                        Some(wait) => {
                            self.wake
                                .wait_timeout(inner, self.clock.real_wait(wait))
                                .unwrap_or_else(|p| p.into_inner())
                                .0
                        }
                        None => self.wake.wait(inner).unwrap_or_else(|p| p.into_inner()),
                    };
                }
                inner.schedule.start_round();
            }
            self.round_started();
        }
    }

    fn step(&self) -> bool {
        {
            let mut inner = self.lock();
            if inner.stopping || !inner.schedule.due(self.clock.now()) {
                return false;
            }
            inner.schedule.start_round();
        }
        self.round_started();
        true
    }

    /// Runs the round the schedule just started, and plans the next.
    fn round_started(&self) {
        self.publish();
        let (outcome, code, received) = match self.round() {
            Ok(received) => (Outcome::Success, None, received),
            Err(failure) => failure,
        };
        {
            let mut inner = self.lock();
            inner.received += received as u64;
            let jitter = (inner.jitter)();
            let now = self.clock.now();
            inner.schedule.finish_round(outcome, now, jitter);
            inner.last_error_code = code;
        }
        self.publish();
    }

    /// One round with what the settings say now: the fields it changed here (with what others
    /// wrote), or what the failure means, its code and the fields changed before it.
    fn round(&self) -> Result<usize, Failure> {
        let host = &*self.host;
        let Some(config) = host.config() else {
            // Sync was turned off just now; the settings change that did it ends the schedule.
            return Ok(0);
        };
        let cached = self.lock().token.clone();
        let token = match cached {
            Some(token) => token,
            None => {
                let loaded = host.load_token();
                // A token given meanwhile is newer than the one just read.
                self.lock().token.get_or_insert(loaded).clone()
            }
        };
        let Some(token) = token else {
            return Err((Outcome::Auth, Some("no_token".into()), 0));
        };
        let failed_after = |error: SyncError, applied: usize| -> Failure {
            let _ = on_store(host, |s| s.record_sync_error(&error));
            (classify(&error), Some(error.code().to_owned()), applied)
        };
        let failed = |error: SyncError| failed_after(error, 0);
        let authority = config
            .ca_file
            .as_deref()
            .map(read_authority)
            .transpose()
            .map_err(failed)?;
        let server = config.server.as_str();
        let hello = host
            .connect(server, &token, authority.as_deref(), HELLO_TIMEOUT)
            .and_then(|mut t| t.hello())
            .map_err(failed)?;
        let transport = host
            .connect(server, &token, authority.as_deref(), TIMEOUT)
            .map_err(failed)?;
        let mut round = RoundTransport {
            inner: transport,
            hello: Some(hello),
            progress: SyncProgress::default(),
            report: &|progress| self.progress(progress),
        };
        let result = on_store(host, |s| {
            let result = s.sync_round(server, &mut round);
            (result, s.last_round_applied())
        });
        match result {
            Ok((Ok(report), applied)) => {
                if report.token_expires_at_ms.is_some() {
                    self.lock().token_expires_at_ms = report.token_expires_at_ms;
                }
                Ok(applied)
            }
            // Pages applied before the failure changed what the host shows too.
            Ok((Err(error), applied)) => Err(failed_after(error, applied)),
            Err(unavailable) => Err((Outcome::Failed, Some(unavailable.code), 0)),
        }
    }

    /// The round's progress, said from the last state (the store is busy meanwhile).
    fn progress(&self, progress: &SyncProgress) {
        let state = {
            let mut inner = self.lock();
            let Some(last) = inner.last.as_mut() else {
                return;
            };
            last.progress = Some(progress.clone());
            last.clone()
        };
        (self.on_state)(&state);
    }

    /// The state now.
    fn current(&self) -> SyncState {
        let server = self.host.config().map(|c| c.server);
        // The store first: it may be busy with a round for a while, and the phase read after the
        // wait is then that of the round's end, not a "syncing" the worker has already left.
        let status = on_store(&*self.host, |s| s.sync_status().ok())
            .ok()
            .flatten();
        let (phase, next, code, received, token_expires_at_ms) = {
            let inner = self.lock();
            (
                inner.schedule.phase(),
                inner.schedule.next(),
                inner.last_error_code.clone(),
                inner.received,
                inner.token_expires_at_ms,
            )
        };
        let next_attempt_at = next.and_then(|at| {
            let wait = at.saturating_duration_since(self.clock.now());
            self.clock
                .utc_now()
                .checked_add(jiff::SignedDuration::try_from(wait).ok()?)
                .ok()
                .map(|t| t.to_string())
        });
        SyncState::new(
            phase,
            server,
            status.as_ref(),
            code,
            received,
            next_attempt_at,
        )
        .with_token_expiry(token_expires_at_ms, self.clock.utc_now().as_millisecond())
    }

    fn publish(&self) {
        let now = self.current();
        self.lock().last = Some(now.clone());
        (self.on_state)(&now);
    }
}

/// A failed round: what it means for the schedule, its code, and the fields its committed pages
/// changed before it failed.
type Failure = (Outcome, Option<String>, usize);

/// The transport of one round: answers the round's `hello` with the one already asked (once),
/// and counts what passes, for the progress shown.
struct RoundTransport<'a> {
    inner: Box<dyn Transport>,
    hello: Option<Hello>,
    progress: SyncProgress,
    report: &'a dyn Fn(&SyncProgress),
}

impl Transport for RoundTransport<'_> {
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
