//! The sync scheduler and worker of the core, headless: the schedule's decisions as a pure
//! state machine (backoff with jitter, offline about a minute, a refused sign-in pausing until
//! the settings change, a poke coalescing into one round, the network coming back), and the
//! worker running rounds against a fake server with a clock the test moves, so that nothing
//! sleeps for real beyond milliseconds. Runs on Linux and, as a Windows program, under Wine.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use wijkwerk_core::protocol::wire::{
    Cursor, Hello, PullResponse, PushAck, PushOutcome, PushRequest, PushResponse,
};
use wijkwerk_core::protocol::{RecordChange, PROTOCOL_VERSION};
use wijkwerk_core::sync::config::SyncConfig;
use wijkwerk_core::sync::http::HttpTransport;
use wijkwerk_core::sync::scheduler::*;
use wijkwerk_core::sync::worker::{Clock, ManualClock, StoreUnavailable, SyncHost, SyncWorker};
use wijkwerk_core::sync::{SyncError, Transport};
use wijkwerk_core::{Entity, Store};

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

#[test]
fn the_network_back_brings_a_round_forward_only_after_a_failure() {
    let t0 = Instant::now();
    let mut s = Scheduler::new(true, t0);
    assert!(!s.network_back(t0), "idle: the schedule stands");
    assert_eq!(s.next(), Some(t0 + AT_START));
    s.start_round();
    assert!(!s.network_back(t0), "a round runs already");
    s.finish_round(Outcome::Offline, t0, 0.0);
    assert!(s.network_back(t0 + Duration::from_secs(1)));
    assert!(s.due(t0 + Duration::from_secs(1)));
    s.start_round();
    s.finish_round(Outcome::Auth, t0, 0.0);
    assert!(!s.network_back(t0), "a refused sign-in stays paused");
    assert_eq!(s.next(), None);
    let mut off = Scheduler::new(false, t0);
    assert!(!off.network_back(t0));
}

// ---------------------------------------------------------------------------------------------
// The worker over a fake server, with a clock the test moves: nothing sleeps for real.

/// How the fake server answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Online,
    /// Not reachable at all.
    Offline,
    /// Answers every request with 503.
    InTrouble,
}

#[derive(Default)]
struct ServerState {
    mode: Option<Mode>,
    /// The one token it accepts.
    accepted: String,
    hellos: usize,
    /// The number of changesets in each push request.
    pushes: Vec<usize>,
    /// Every pushed record change, with the server sequence it got.
    log: Vec<(i64, RecordChange)>,
    seq: i64,
}

/// A sync server in memory: pushes are applied in order and pulled by everyone (the laptop's
/// own writes come back to it too, as from the real server).
#[derive(Clone)]
struct FakeServer(Arc<Mutex<ServerState>>);

impl FakeServer {
    fn new(token: &str) -> FakeServer {
        FakeServer(Arc::new(Mutex::new(ServerState {
            mode: Some(Mode::Online),
            accepted: token.to_owned(),
            ..Default::default()
        })))
    }
    fn state(&self) -> std::sync::MutexGuard<'_, ServerState> {
        self.0.lock().unwrap()
    }
    fn set_mode(&self, mode: Mode) {
        self.state().mode = Some(mode);
    }
    fn hellos(&self) -> usize {
        self.state().hellos
    }
    fn pushes(&self) -> Vec<usize> {
        self.state().pushes.clone()
    }
}

struct FakeTransport {
    server: FakeServer,
    token: String,
}

impl FakeTransport {
    fn check(&self) -> Result<(), SyncError> {
        let state = self.server.state();
        match state.mode.unwrap_or(Mode::Online) {
            Mode::Offline => Err(SyncError::Offline("connection refused".into())),
            Mode::InTrouble => Err(SyncError::Server {
                status: 503,
                code: "internal".into(),
                message: "busy".into(),
            }),
            Mode::Online if self.token != state.accepted => Err(SyncError::Unauthorized),
            Mode::Online => Ok(()),
        }
    }
}

impl Transport for FakeTransport {
    fn hello(&mut self) -> Result<Hello, SyncError> {
        self.check()?;
        self.server.state().hellos += 1;
        Ok(Hello {
            protocol_versions: vec![PROTOCOL_VERSION],
            server_version: "fake".into(),
            server_time_ms: jiff::Timestamp::now().as_millisecond() as u64,
            max_clock_skew_ms: 300_000,
            extra: Default::default(),
        })
    }

    fn push(&mut self, request: &PushRequest) -> Result<PushResponse, SyncError> {
        self.check()?;
        let mut state = self.server.state();
        state.pushes.push(request.changesets.len());
        let mut acks = Vec::new();
        for set in &request.changesets {
            state.seq += 1;
            let seq = state.seq;
            for change in &set.changes {
                state.log.push((seq, change.clone()));
            }
            acks.push(PushAck {
                client_seq: set.client_seq,
                outcome: PushOutcome::Applied { seq },
            });
        }
        Ok(PushResponse {
            acks,
            cursor: None,
            head: None,
            token_expires_at_ms: None,
            extra: Default::default(),
        })
    }

    fn pull(&mut self, cursor: Cursor, _limit: usize) -> Result<PullResponse, SyncError> {
        self.check()?;
        let state = self.server.state();
        let records = state
            .log
            .iter()
            .filter(|(seq, _)| *seq > cursor.seq)
            .map(|(_, change)| change.clone())
            .collect();
        Ok(PullResponse {
            records,
            conflicts: Vec::new(),
            cursor: Cursor {
                seq: state.seq,
                tx: None,
            },
            more: false,
            head: state.seq,
            token_expires_at_ms: None,
            extra: Default::default(),
        })
    }
}

/// A laptop: a store, its settings and its token, syncing with a fake server.
struct Laptop {
    store: Mutex<Option<Store>>,
    server: Mutex<Option<String>>,
    token: Mutex<Option<String>>,
    token_loads: AtomicUsize,
    fake: FakeServer,
    /// Speak HTTP to the server address instead of the fake.
    http: bool,
    ca_file: Mutex<Option<std::path::PathBuf>>,
}

impl SyncHost for Laptop {
    fn config(&self) -> Option<SyncConfig> {
        self.server
            .lock()
            .unwrap()
            .clone()
            .map(|server| SyncConfig {
                server,
                ca_file: self.ca_file.lock().unwrap().clone(),
            })
    }

    fn load_token(&self) -> Option<String> {
        self.token_loads.fetch_add(1, Ordering::SeqCst);
        self.token.lock().unwrap().clone()
    }

    fn with_store(&self, f: &mut dyn FnMut(&mut Store)) -> Result<(), StoreUnavailable> {
        match self.store.lock().unwrap().as_mut() {
            Some(store) => {
                f(store);
                Ok(())
            }
            None => Err(StoreUnavailable {
                code: "locked".into(),
                message: "another program holds the store".into(),
            }),
        }
    }

    fn connect(
        &self,
        server: &str,
        token: &str,
        authority: Option<&[u8]>,
        timeout: Duration,
    ) -> Result<Box<dyn Transport>, SyncError> {
        if self.http {
            return Ok(Box::new(HttpTransport::with_authority(
                server, token, timeout, authority,
            )?));
        }
        Ok(Box::new(FakeTransport {
            server: self.fake.clone(),
            token: token.to_owned(),
        }))
    }
}

impl Laptop {
    fn new(fake: &FakeServer, token: Option<&str>) -> Arc<Laptop> {
        Arc::new(Laptop {
            store: Mutex::new(Some(Store::in_memory().unwrap())),
            server: Mutex::new(Some("https://wijkwerk.bergen.nl".into())),
            token: Mutex::new(token.map(str::to_owned)),
            token_loads: AtomicUsize::new(0),
            fake: fake.clone(),
            http: false,
            ca_file: Mutex::new(None),
        })
    }

    /// Writes a new contact (as a command of the app does; the caller pokes).
    fn write_contact(&self, name: &str) {
        let fields = serde_json::json!({ "name": name });
        let mut store = self.store.lock().unwrap();
        store
            .as_mut()
            .unwrap()
            .create(Entity::Contact, fields.as_object().unwrap().clone())
            .unwrap();
    }

    fn contact_names(&self) -> Vec<String> {
        let store = self.store.lock().unwrap();
        let page = store
            .as_ref()
            .unwrap()
            .list(Entity::Contact, None, 100)
            .unwrap();
        page.items
            .iter()
            .filter_map(|c| c["name"].as_str().map(str::to_owned))
            .collect()
    }
}

/// A worker over `laptop` with a manual clock and no jitter, and the states it said.
fn worker(laptop: &Arc<Laptop>) -> (SyncWorker, Arc<ManualClock>, Arc<Mutex<Vec<SyncState>>>) {
    let clock = Arc::new(ManualClock::new());
    let said = Arc::new(Mutex::new(Vec::new()));
    let heard = said.clone();
    let host: Arc<dyn SyncHost> = laptop.clone();
    let worker = SyncWorker::builder(host)
        .clock(clock.clone())
        .jitter(|| 0.0)
        .on_state(move |state| heard.lock().unwrap().push(state.clone()))
        .build();
    (worker, clock, said)
}

/// Moves the clock to the next planned round and runs it.
fn run_next(worker: &SyncWorker, clock: &ManualClock) -> Duration {
    let wait = worker.next_round_in().expect("a round is planned");
    clock.advance(wait);
    assert!(worker.step(), "the planned round runs");
    wait
}

#[test]
fn the_first_round_runs_shortly_after_the_start_and_then_every_five_minutes() {
    let fake = FakeServer::new("goed");
    let laptop = Laptop::new(&fake, Some("goed"));
    let (worker, clock, _) = worker(&laptop);
    assert_eq!(worker.phase(), SyncPhase::Idle);
    assert!(!worker.step(), "not before the first round is due");
    clock.advance(AT_START - Duration::from_millis(1));
    assert!(!worker.step());
    clock.advance(Duration::from_millis(1));
    assert!(worker.step());
    assert_eq!(worker.phase(), SyncPhase::Idle);
    assert_eq!(fake.hellos(), 1, "the round uses the hello asked before it");
    assert_eq!(worker.next_round_in(), Some(PERIOD));
    assert_eq!(run_next(&worker, &clock), PERIOD);
    assert_eq!(fake.hellos(), 2);
    assert_eq!(
        laptop.token_loads.load(Ordering::SeqCst),
        1,
        "the token is loaded once, not for every round"
    );
}

#[test]
fn a_poke_coalesces_into_one_round_after_the_delay() {
    let fake = FakeServer::new("goed");
    let laptop = Laptop::new(&fake, Some("goed"));
    let (worker, clock, _) = worker(&laptop);
    run_next(&worker, &clock);
    assert!(fake.pushes().is_empty(), "nothing waited");
    // Three writes a second apart: one round, three seconds after the first.
    for name in ["Anna", "Bram", "Cor"] {
        laptop.write_contact(name);
        worker.poke();
        assert!(worker.state().waiting > 0);
        clock.advance(Duration::from_millis(900));
        assert!(!worker.step(), "the round waits for more changes");
    }
    assert_eq!(
        worker.next_round_in(),
        Some(AFTER_CHANGE - Duration::from_millis(2700))
    );
    clock.advance(Duration::from_millis(300));
    assert!(worker.step());
    assert_eq!(fake.pushes(), [3], "one push with the three transactions");
    assert!(!worker.step(), "and no second round");
    assert_eq!(worker.state().waiting, 0);
    assert_eq!(worker.next_round_in(), Some(PERIOD));
}

#[test]
fn offline_backs_off_with_jitter_to_about_a_minute_and_network_back_runs_at_once() {
    let fake = FakeServer::new("goed");
    let laptop = Laptop::new(&fake, Some("goed"));
    fake.set_mode(Mode::Offline);
    let clock = Arc::new(ManualClock::new());
    let host: Arc<dyn SyncHost> = laptop.clone();
    // The real jitter: every wait within ±20 % of its nominal length.
    let worker = SyncWorker::builder(host).clock(clock.clone()).build();
    clock.advance(AT_START);
    assert!(worker.step());
    let nominal = [5u64, 10, 20, 40, 60, 60, 60, 60, 60, 60];
    for (n, nominal) in nominal.iter().enumerate() {
        assert_eq!(worker.phase(), SyncPhase::Offline);
        assert_eq!(worker.failures(), n as u32 + 1);
        let state = worker.state();
        assert_eq!(state.last_error_code.as_deref(), Some("offline"));
        assert!(state.last_error.is_some(), "the reason is shown");
        assert!(state.next_attempt_at.is_some(), "and when it tries again");
        // A local change while offline does not bring the round forward.
        worker.poke();
        let wait = run_next(&worker, &clock);
        let nominal = Duration::from_secs(*nominal);
        assert!(
            wait >= nominal.mul_f64(0.8) && wait <= nominal.mul_f64(1.2),
            "wait {wait:?} for nominal {nominal:?}"
        );
        assert!(wait <= Duration::from_secs(72), "about a minute at most");
    }
    assert_eq!(fake.hellos(), 0);
    // The network is back: a round at once, not at the end of the backoff.
    fake.set_mode(Mode::Online);
    assert!(worker.network_back());
    assert!(worker.step(), "no waiting for the backoff");
    assert_eq!(worker.phase(), SyncPhase::Idle);
    assert_eq!(worker.failures(), 0);
    assert_eq!(worker.state().last_error, None);
    // While all is well, the network coming back changes nothing.
    assert!(!worker.network_back());
    assert!(!worker.step());
}

#[test]
fn a_server_in_trouble_backs_off_up_to_five_minutes() {
    let fake = FakeServer::new("goed");
    let laptop = Laptop::new(&fake, Some("goed"));
    fake.set_mode(Mode::InTrouble);
    let (worker, clock, _) = worker(&laptop);
    let waits: Vec<u64> = (0..9)
        .map(|_| run_next(&worker, &clock).as_secs())
        .collect();
    assert_eq!(waits, [2, 5, 10, 20, 40, 80, 160, 300, 300]);
    assert_eq!(worker.phase(), SyncPhase::Error);
    assert_eq!(worker.state().last_error_code.as_deref(), Some("server"));
    assert!(
        worker.network_back(),
        "an error is tried again when the network returns"
    );
}

#[test]
fn the_worker_pauses_on_a_refused_sign_in_until_the_settings_change() {
    let fake = FakeServer::new("goed");
    let laptop = Laptop::new(&fake, Some("verkeerd"));
    let (worker, clock, _) = worker(&laptop);
    run_next(&worker, &clock);
    assert_eq!(worker.phase(), SyncPhase::PausedAuth);
    assert_eq!(
        worker.state().last_error_code.as_deref(),
        Some("unauthorized")
    );
    assert_eq!(worker.next_round_in(), None);
    laptop.write_contact("Anna");
    worker.poke();
    assert!(!worker.network_back());
    clock.advance(Duration::from_secs(24 * 3600));
    assert!(!worker.step(), "no round while paused, however long");
    // Asked explicitly, once: refused again, paused again.
    assert!(worker.sync_now());
    assert!(worker.step());
    assert_eq!(worker.phase(), SyncPhase::PausedAuth);
    assert_eq!(fake.pushes().len(), 0);
    // A new token in the settings: a round at once, with it.
    worker.settings_changed(Some("goed".into()));
    assert_eq!(worker.phase(), SyncPhase::Idle);
    assert_eq!(worker.state().last_error_code, None);
    assert!(worker.step());
    assert_eq!(worker.phase(), SyncPhase::Idle);
    assert_eq!(fake.pushes(), [1]);
    // Sync turned off in the settings: nothing runs.
    *laptop.server.lock().unwrap() = None;
    worker.settings_changed(None);
    assert_eq!(worker.phase(), SyncPhase::Off);
    assert!(!worker.sync_now());
    clock.advance(PERIOD * 10);
    assert!(!worker.step());
}

#[test]
fn without_a_token_sync_waits_for_one() {
    let fake = FakeServer::new("goed");
    let laptop = Laptop::new(&fake, None);
    let (worker, clock, _) = worker(&laptop);
    run_next(&worker, &clock);
    assert_eq!(worker.phase(), SyncPhase::PausedAuth);
    assert_eq!(worker.state().last_error_code.as_deref(), Some("no_token"));
    assert_eq!(fake.hellos(), 0);
    // The token saved in the settings (not given to the worker): loaded again.
    *laptop.token.lock().unwrap() = Some("goed".into());
    worker.settings_changed(None);
    assert!(worker.step());
    assert_eq!(worker.phase(), SyncPhase::Idle);
    assert_eq!(laptop.token_loads.load(Ordering::SeqCst), 2);
}

#[test]
fn a_store_that_cannot_be_used_is_an_error_tried_again_on_the_period() {
    let fake = FakeServer::new("goed");
    let laptop = Laptop::new(&fake, Some("goed"));
    let (worker, clock, _) = worker(&laptop);
    let store = laptop.store.lock().unwrap().take();
    run_next(&worker, &clock);
    assert_eq!(worker.phase(), SyncPhase::Error);
    let state = worker.state();
    assert_eq!(state.last_error_code.as_deref(), Some("locked"));
    assert_eq!(state.waiting, 0);
    assert_eq!(worker.next_round_in(), Some(PERIOD));
    *laptop.store.lock().unwrap() = store;
    worker.settings_changed(None);
    assert!(worker.step());
    assert_eq!(worker.phase(), SyncPhase::Idle);
}

#[test]
fn progress_is_reported_while_a_round_runs() {
    let fake = FakeServer::new("goed");
    let laptop = Laptop::new(&fake, Some("goed"));
    let (worker, clock, said) = worker(&laptop);
    for name in ["Anna", "Bram"] {
        laptop.write_contact(name);
    }
    run_next(&worker, &clock);
    let states = said.lock().unwrap().clone();
    let first = &states[0];
    assert_eq!(first.phase, SyncPhase::Syncing);
    assert_eq!(first.progress, Some(SyncProgress::default()));
    assert_eq!(first.waiting, 2);
    assert_eq!(first.next_attempt_at, None);
    let progress: Vec<SyncProgress> = states.iter().filter_map(|s| s.progress.clone()).collect();
    assert!(
        progress.contains(&SyncProgress {
            pushed: 2,
            pulled: 0
        }),
        "{progress:?}"
    );
    assert!(
        progress.contains(&SyncProgress {
            pushed: 2,
            pulled: 2
        }),
        "its own records came back: {progress:?}"
    );
    let last = states.last().unwrap();
    assert_eq!(last.phase, SyncPhase::Idle);
    assert_eq!(last.progress, None);
    assert_eq!(last.waiting, 0);
    assert!(last.last_synced_at.is_some());
    assert_eq!(last.last_error, None);
    assert_eq!(
        last.received, 0,
        "this laptop's own writes coming back do not count"
    );
    // The next round is planned five minutes on, as the manual clock's wall time says.
    let next: jiff::Timestamp = last.next_attempt_at.as_deref().unwrap().parse().unwrap();
    let expected = clock
        .utc_now()
        .checked_add(jiff::SignedDuration::try_from(PERIOD).unwrap())
        .unwrap();
    assert_eq!(next, expected);
    // The JSON the app's event carries.
    let json = serde_json::to_value(last).unwrap();
    let keys: Vec<&str> = json
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "phase",
            "server",
            "waiting",
            "refused",
            "conflicts",
            "last_synced_at",
            "received",
            "last_error",
            "last_error_code",
            "next_attempt_at",
            "progress",
            "token_expires_at",
            "token_expires_soon"
        ]
    );
    assert_eq!(json["phase"], "idle");
}

#[test]
fn what_another_laptop_wrote_arrives_and_is_counted() {
    let fake = FakeServer::new("goed");
    let anna = Laptop::new(&fake, Some("goed"));
    let bram = Laptop::new(&fake, Some("goed"));
    let (anna_worker, anna_clock, _) = worker(&anna);
    let (bram_worker, bram_clock, _) = worker(&bram);
    run_next(&anna_worker, &anna_clock);
    bram.write_contact("Bram de Vries");
    bram_worker.poke();
    run_next(&bram_worker, &bram_clock);
    assert_eq!(fake.pushes(), [1]);
    // Anna's next round (or "Nu synchroniseren") brings it.
    assert!(anna_worker.sync_now());
    assert!(anna_worker.step());
    let state = anna_worker.state();
    assert!(state.received > 0, "{state:?}");
    assert_eq!(anna.contact_names(), ["Bram de Vries"]);
}

#[test]
fn the_loop_runs_on_its_thread_and_stops_cleanly() {
    let fake = FakeServer::new("goed");
    let laptop = Laptop::new(&fake, Some("goed"));
    let (worker, clock, said) = worker(&laptop);
    let synced = |n: usize| {
        let until = Instant::now() + Duration::from_secs(20);
        while Instant::now() < until {
            let rounds = said
                .lock()
                .unwrap()
                .iter()
                .filter(|s| s.phase == SyncPhase::Idle && s.last_synced_at.is_some())
                .count();
            if rounds >= n {
                return;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        panic!("no {n} rounds: {:?}", said.lock().unwrap());
    };
    worker.start().unwrap();
    worker.start().unwrap(); // once
    clock.advance(AT_START);
    synced(1);
    laptop.write_contact("Anna");
    worker.poke();
    clock.advance(AFTER_CHANGE);
    synced(2);
    assert_eq!(fake.pushes(), [1]);
    worker.stop();
    let hellos = fake.hellos();
    worker.poke();
    assert!(!worker.sync_now(), "a stopped worker plans nothing");
    clock.advance(PERIOD * 3);
    std::thread::sleep(Duration::from_millis(20));
    assert_eq!(fake.hellos(), hellos, "no round after stop");
    assert!(!worker.step(), "nor by hand");
}

#[test]
fn a_server_that_is_not_there_is_offline_over_http_and_recorded() {
    // A port nobody listens on: refused at once.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    };
    let fake = FakeServer::new("goed");
    let laptop = Arc::new(Laptop {
        http: true,
        server: Mutex::new(Some(closed)),
        ..Arc::into_inner(Laptop::new(&fake, Some("goed"))).unwrap()
    });
    let (worker, clock, _) = worker(&laptop);
    run_next(&worker, &clock);
    assert_eq!(worker.phase(), SyncPhase::Offline);
    let state = worker.state();
    assert_eq!(state.last_error_code.as_deref(), Some("offline"));
    let recorded = laptop
        .store
        .lock()
        .unwrap()
        .as_ref()
        .unwrap()
        .sync_status()
        .unwrap();
    assert!(recorded.last_error.is_some(), "the store remembers why");
    assert_eq!(state.last_error, recorded.last_error);
    assert_eq!(worker.next_round_in(), Some(BACKOFF_FIRST));
}

#[test]
fn a_certificate_authority_file_gone_is_a_certificate_error_not_offline() {
    let fake = FakeServer::new("goed");
    let laptop = Laptop::new(&fake, Some("goed"));
    let dir = tempfile::tempdir().unwrap();
    *laptop.ca_file.lock().unwrap() = Some(dir.path().join("gemeente-ca.pem"));
    let (worker, clock, _) = worker(&laptop);
    run_next(&worker, &clock);
    assert_eq!(worker.phase(), SyncPhase::Error);
    assert_eq!(
        worker.state().last_error_code.as_deref(),
        Some("certificate")
    );
    assert_eq!(fake.hellos(), 0, "nothing was asked without the authority");
    assert_eq!(
        worker.next_round_in(),
        Some(PERIOD),
        "waiting does not help"
    );
}
