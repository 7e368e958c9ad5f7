//! When sync rounds run, and what the status line says: a pure state machine ([`Scheduler`])
//! over instants it is given, so that every decision is tested with a clock the test moves.
//! [`super::worker::SyncWorker`] runs it on a thread; the desktop app and `wijkwerk sync --watch`
//! both use that worker.
//!
//! When a round runs: shortly after the start, a few seconds after a local change
//! ([`Scheduler::local_change`]), every five minutes, and when the user asks
//! ([`Scheduler::sync_now`]). After a failure that may pass by itself (offline, a server in
//! trouble) the next try follows a growing, jittered backoff (5 s, 10 s, 20 s … at most 5
//! minutes; at most a minute while the server cannot be reached, and at once when the network is
//! back, [`Scheduler::network_back`]), so that a returning connection is noticed soon. A refused
//! sign-in (unknown or revoked token, a read-only account) pauses sync until the settings change
//! ([`Scheduler::configure`]). Nothing here touches the outbox: the store keeps every local change
//! until the server acknowledged it.

use super::{SyncError, SyncStatus};
use serde::Serialize;
use std::time::{Duration, Instant};
use ts_rs::TS;

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
    /// When the token expires, as the server last said (UTC instant; `None`: not known yet, or
    /// an older server).
    pub token_expires_at: Option<String>,
    /// The token expires within [`super::TOKEN_WARN_DAYS`] days: ask for a new one
    /// (`rotate_token`).
    pub token_expires_soon: bool,
}

impl SyncState {
    /// Says when the token expires (ms since the epoch), seen at `now_ms`.
    pub fn with_token_expiry(mut self, expires_at_ms: Option<i64>, now_ms: i64) -> SyncState {
        self.token_expires_at = expires_at_ms
            .and_then(|ms| jiff::Timestamp::from_millisecond(ms).ok())
            .map(|t| t.to_string());
        self.token_expires_soon =
            expires_at_ms.is_some_and(|ms| super::token_expires_soon(ms, now_ms));
        self
    }

    /// The state shown for `phase`, with the store's numbers (`status`; `None` when the store
    /// cannot be read). While all is well (idle, off, syncing) no failure is shown, whatever the
    /// store remembers of the last one.
    pub fn new(
        phase: SyncPhase,
        server: Option<String>,
        status: Option<&SyncStatus>,
        last_error_code: Option<String>,
        received: u64,
        next_attempt_at: Option<String>,
    ) -> SyncState {
        let quiet = matches!(phase, SyncPhase::Idle | SyncPhase::Off | SyncPhase::Syncing);
        SyncState {
            phase,
            server,
            received,
            waiting: status.map_or(0, |s| s.waiting),
            refused: status.map_or(0, |s| s.refused),
            conflicts: status.map_or(0, |s| s.conflicts),
            last_synced_at: status.and_then(|s| s.last_synced_at.clone()),
            last_error: if quiet {
                None
            } else {
                status.and_then(|s| s.last_error.clone())
            },
            last_error_code: if quiet { None } else { last_error_code },
            next_attempt_at,
            progress: (phase == SyncPhase::Syncing).then(SyncProgress::default),
            token_expires_at: None,
            token_expires_soon: false,
        }
    }
}

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
        "unauthorized" | "token_expired" | "forbidden" => Outcome::Auth,
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

    /// The network is back (the system says so): a round at once when the last one found the
    /// server unreachable or in trouble; otherwise the schedule stands (a pause for the sign-in
    /// stays, nothing runs while off). True when a round was brought forward.
    pub fn network_back(&mut self, now: Instant) -> bool {
        match self.phase {
            SyncPhase::Offline | SyncPhase::Error => {
                self.next = Some(now);
                true
            }
            SyncPhase::Idle | SyncPhase::Syncing | SyncPhase::PausedAuth | SyncPhase::Off => false,
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
