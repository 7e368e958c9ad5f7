//! The seeded chaos runner: laptops make random edits and sync at random moments, through a
//! proxy that drops, delays, duplicates and reorders traffic (a request held back until later
//! requests, often another laptop's, have reached the server first; a copy of a push replayed
//! after newer pushes and pulls), while the server is killed now and then and laptops "crash"
//! between receiving an answer and recording it. At the end, with the faults off, every laptop
//! syncs again and:
//! - no write is lost: every field holds the value of its newest write (by clock) made anywhere;
//! - no store diverges: every laptop's export is byte for byte the same;
//! - nothing applied twice or not at all: the server holds exactly one transaction per local
//!   transaction made on any laptop, and every outbox is empty.
//!
//! `WIJKWERK_CHAOS_RUNS` (default 200) and `WIJKWERK_CHAOS_SEED` choose how many runs and from
//! which seed. The laptops' edits and syncs follow the seed; the proxy's faults follow the order
//! in which the laptops' requests arrive. It prints runs, operations, faults, lost writes,
//! divergent stores and transactions applied twice or not at all.

mod common;

use common::{
    admin, database, forward, outbox_transactions_ever, read_request, request_line, server_head,
    user, Laptop, Server,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use uuid::Uuid;
use wijkwerk_core::sync::http::HttpTransport;
use wijkwerk_core::sync::{SyncError, Transport};
use wijkwerk_core::{Entity, Fields, Write as StoreWrite};
use wijkwerk_protocol::wire::{Cursor, Hello, PullResponse, PushRequest, PushResponse};
use wijkwerk_protocol::Hlc;

#[derive(Default)]
struct Counters {
    operations: AtomicU64,
    syncs: AtomicU64,
    dropped_requests: AtomicU64,
    lost_replies: AtomicU64,
    duplicated: AtomicU64,
    delayed: AtomicU64,
    server_kills: AtomicU64,
    client_crashes: AtomicU64,
    /// Requests that reached the server after requests sent later.
    held_back: AtomicU64,
    /// Old pushes that reached the server again after newer requests.
    replayed_late: AtomicU64,
}

/// A TCP proxy in front of the server that misbehaves on purpose while `faults` is on.
struct Proxy {
    url: String,
    target: Arc<Mutex<String>>,
    faults: Arc<AtomicBool>,
    order: Arc<Reorder>,
    counters: Arc<Counters>,
}

/// What the proxy needs to deliver requests out of order.
#[derive(Default)]
struct Reorder {
    /// How many requests have reached the server so far (the proxy's clock for "later").
    forwarded: AtomicU64,
    /// Copies of pushes that reach the server again later, after newer requests: each with the
    /// value of `forwarded` when it was copied.
    stale: Mutex<Vec<(u64, Vec<u8>)>>,
}

/// A stale copy goes out only after this many newer requests have reached the server.
const STALE_AFTER: u64 = 2;

impl Proxy {
    fn start(target: &str, seed: u64, counters: Arc<Counters>) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let target = Arc::new(Mutex::new(target.to_owned()));
        let faults = Arc::new(AtomicBool::new(true));
        let order = Arc::new(Reorder::default());
        let (t, f, o, c) = (
            target.clone(),
            faults.clone(),
            order.clone(),
            counters.clone(),
        );
        std::thread::spawn(move || {
            let rng = Arc::new(Mutex::new(StdRng::seed_from_u64(seed)));
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let (t, f, o, rng, c) = (t.clone(), f.clone(), o.clone(), rng.clone(), c.clone());
                std::thread::spawn(move || {
                    let _ = relay(stream, &t, &f, &o, &rng, &c);
                });
            }
        });
        Proxy {
            url,
            target,
            faults,
            order,
            counters,
        }
    }

    /// Ends a run's faults: every stale push still held back reaches the server now, after
    /// everything newer, before the fault-free rounds.
    fn settle(&self) {
        self.faults.store(false, Ordering::Relaxed);
        let target = self.target.lock().map(|t| t.clone()).unwrap_or_default();
        deliver_stale(&target, &self.order, &self.counters, true);
    }
}

/// Sends the stale copies of pushes that newer requests have overtaken (all of them when
/// `all`); their answers go nowhere.
fn deliver_stale(target: &str, order: &Reorder, counters: &Counters, all: bool) {
    let now = order.forwarded.load(Ordering::SeqCst);
    let due: Vec<Vec<u8>> = match order.stale.lock() {
        Ok(mut stale) => {
            let (due, keep) = std::mem::take(&mut *stale)
                .into_iter()
                .partition(|(at, _)| all || now >= at + STALE_AFTER);
            *stale = keep;
            due.into_iter().map(|(_, request)| request).collect()
        }
        Err(_) => Vec::new(),
    };
    for request in due {
        if forward(target, &request).is_ok() {
            counters.replayed_late.fetch_add(1, Ordering::Relaxed);
        }
    }
}

fn relay(
    mut client: TcpStream,
    target: &Mutex<String>,
    faults: &AtomicBool,
    order: &Reorder,
    rng: &Mutex<StdRng>,
    counters: &Counters,
) -> std::io::Result<()> {
    let request = read_request(&mut client)?;
    if request.is_empty() {
        return Ok(());
    }
    let target = target.lock().map(|t| t.clone()).unwrap_or_default();
    let (roll, overtakers): (f64, u64) = if faults.load(Ordering::Relaxed) {
        rng.lock()
            .map(|mut r| (r.random(), r.random_range(1..=2)))
            .unwrap_or((1.0, 0))
    } else {
        (1.0, 0)
    };
    if roll < 0.08 {
        counters.dropped_requests.fetch_add(1, Ordering::Relaxed);
        return Ok(()); // the request never arrives
    }
    if roll < 0.30 {
        counters.delayed.fetch_add(1, Ordering::Relaxed);
        std::thread::sleep(Duration::from_millis((roll * 100.0) as u64));
    }
    if (0.44..0.47).contains(&roll) {
        // Held back until one or two requests that came later (another laptop's) have reached
        // the server first, or at most 100 ms when nobody else is talking.
        let mark = order.forwarded.load(Ordering::SeqCst);
        let deadline = Instant::now() + Duration::from_millis(100);
        while order.forwarded.load(Ordering::SeqCst) < mark + overtakers
            && Instant::now() < deadline
        {
            std::thread::sleep(Duration::from_millis(2));
        }
        if order.forwarded.load(Ordering::SeqCst) > mark {
            counters.held_back.fetch_add(1, Ordering::Relaxed);
        }
    }
    let mut answer = forward(&target, &request)?;
    let forwarded = order.forwarded.fetch_add(1, Ordering::SeqCst) + 1;
    if (0.47..0.54).contains(&roll) && request_line(&request).starts_with("POST /v1/push ") {
        // A copy of this push arrives again later, after newer pushes and pulls.
        if let Ok(mut stale) = order.stale.lock() {
            stale.push((forwarded, request.clone()));
        }
    }
    deliver_stale(&target, order, counters, false);
    if (0.30..0.36).contains(&roll) {
        counters.duplicated.fetch_add(1, Ordering::Relaxed);
        answer = forward(&target, &request)?; // the same request arrives twice
    }
    if (0.36..0.44).contains(&roll) {
        counters.lost_replies.fetch_add(1, Ordering::Relaxed);
        return Ok(()); // the server did the work; the answer is lost
    }
    client.write_all(&answer)
}

/// A transport that "crashes" the laptop now and then: the answer arrives, but the laptop dies
/// before recording it (the store only changes after an answer, so this is a crash at that step).
struct Crashing<'a> {
    inner: HttpTransport,
    rng: &'a mut StdRng,
    counters: &'a Counters,
    rate: f64,
}

impl Crashing<'_> {
    fn crash<T>(&mut self, answer: Result<T, SyncError>) -> Result<T, SyncError> {
        if answer.is_ok() && self.rng.random::<f64>() < self.rate {
            self.counters.client_crashes.fetch_add(1, Ordering::Relaxed);
            return Err(SyncError::Offline("laptop crashed".into()));
        }
        answer
    }
}

impl Transport for Crashing<'_> {
    fn hello(&mut self) -> Result<Hello, SyncError> {
        let answer = self.inner.hello();
        self.crash(answer)
    }
    fn push(&mut self, request: &PushRequest) -> Result<PushResponse, SyncError> {
        let answer = self.inner.push(request);
        self.crash(answer)
    }
    fn pull(&mut self, cursor: Cursor, limit: usize) -> Result<PullResponse, SyncError> {
        let answer = self.inner.pull(cursor, limit);
        self.crash(answer)
    }
}

/// Every field write made anywhere: (entity, id, field) -> (clock, value).
type Oracle = Mutex<BTreeMap<(String, Uuid, String), Vec<(Hlc, Value)>>>;

fn record(oracle: &Oracle, entity: Entity, id: Uuid, fields: &Fields, hlc: Option<Hlc>) {
    let Some(hlc) = hlc else { return };
    if let Ok(mut map) = oracle.lock() {
        for (name, value) in fields {
            map.entry((entity.name().to_owned(), id, name.clone()))
                .or_default()
                .push((hlc, value.clone()));
        }
    }
}

fn obj(value: Value) -> Fields {
    match value {
        Value::Object(map) => map,
        _ => Fields::new(),
    }
}

/// One random operation on a laptop's store.
fn operate(laptop: &mut Laptop, rng: &mut StdRng, oracle: &Oracle) {
    let word = |rng: &mut StdRng| {
        ["Dorpsstraat", "Duinweg", "Kerkplein", "Zeeweg", "Molenlaan"][rng.random_range(0..5)]
    };
    let pick = |laptop: &Laptop, entity: Entity, rng: &mut StdRng| -> Option<Uuid> {
        let items = laptop.store.list(entity, None, 50).ok()?.items;
        if items.is_empty() {
            return None;
        }
        let item = &items[rng.random_range(0..items.len())];
        item["id"].as_str().and_then(|s| Uuid::parse_str(s).ok())
    };
    let (entity, id, fields, write) = match rng.random_range(0..10) {
        0 | 1 => {
            let fields = obj(
                json!({"name": format!("Bewoner {}", rng.random_range(0..1000)), "phone": format!("06-{}", rng.random_range(0..100))}),
            );
            let w = StoreWrite::create(Entity::Contact, fields.clone());
            (Entity::Contact, w.id, fields, w)
        }
        2 => {
            let fields = obj(
                json!({"kind": "ledenvergadering", "title": format!("ALV {}", word(rng)),
                "starts_at": "2026-03-12T18:30:00Z", "ends_at": "2026-03-12T20:30:00Z"}),
            );
            let w = StoreWrite::create(Entity::Meeting, fields.clone());
            (Entity::Meeting, w.id, fields, w)
        }
        3 => {
            let Some(meeting) = pick(laptop, Entity::Meeting, rng) else {
                return;
            };
            let fields = obj(
                json!({"meeting_id": meeting.to_string(), "title": word(rng), "position": rng.random_range(0..10)}),
            );
            let w = StoreWrite::create(Entity::AgendaItem, fields.clone());
            (Entity::AgendaItem, w.id, fields, w)
        }
        4..=7 => {
            let Some(id) = pick(laptop, Entity::Contact, rng) else {
                return;
            };
            let fields = match rng.random_range(0..3) {
                0 => obj(json!({"phone": format!("072-{}", rng.random_range(0..1000))})),
                1 => obj(json!({"notes": format!("Woont aan de {}", word(rng))})),
                _ => obj(
                    json!({"name": format!("Naam {}", rng.random_range(0..50)), "email": format!("b{}@example.nl", rng.random_range(0..50))}),
                ),
            };
            (
                Entity::Contact,
                id,
                fields.clone(),
                StoreWrite::update(Entity::Contact, id, fields),
            )
        }
        8 => {
            let Some(id) = pick(laptop, Entity::AgendaItem, rng) else {
                return;
            };
            let fields = obj(json!({"minutes": format!("Besproken: {}", word(rng))}));
            (
                Entity::AgendaItem,
                id,
                fields.clone(),
                StoreWrite::update(Entity::AgendaItem, id, fields),
            )
        }
        _ => {
            let entity = if rng.random_bool(0.5) {
                Entity::Contact
            } else {
                Entity::Meeting
            };
            let Some(id) = pick(laptop, entity, rng) else {
                return;
            };
            let fields = obj(json!({"deleted": true}));
            (entity, id, fields, StoreWrite::delete(entity, id))
        }
    };
    // The write path stamps only fields whose value changes (setting a field to the value it
    // has is no write), so the oracle records only those.
    let before = laptop.store.get(entity, id).ok();
    let changed: Fields = fields
        .into_iter()
        .filter(|(name, value)| {
            let current = before.as_ref().map(|r| {
                if name == "deleted" {
                    json!(r.get("deleted") == Some(&json!(true)))
                } else {
                    r.get(name).cloned().unwrap_or(Value::Null)
                }
            });
            current.as_ref() != Some(value)
        })
        .collect();
    if let Ok(committed) = laptop.store.write(vec![write]) {
        record(oracle, entity, id, &changed, committed.hlc);
    }
}

struct RunResult {
    lost: usize,
    divergent: usize,
    /// Server transactions beyond one per local transaction.
    applied_twice: usize,
    /// Local transactions the server never applied, or still waiting in an outbox.
    not_applied: usize,
}

#[allow(clippy::too_many_arguments)]
fn run_once(
    seed: u64,
    db: &str,
    server: &Arc<Mutex<Server>>,
    proxy: &Proxy,
    root: &std::path::Path,
    counters: &Arc<Counters>,
) -> RunResult {
    let tenant = format!("chaos-{seed}-{}", Uuid::now_v7().simple());
    admin(db, &["tenant", "add", &tenant]);
    let token = user(db, &tenant, "coordinator", "coordinator");
    let oracle: Arc<Oracle> = Arc::new(Mutex::new(BTreeMap::new()));
    let mut rng = StdRng::seed_from_u64(seed);
    let laptops = rng.random_range(2..=4);
    proxy.faults.store(true, Ordering::Relaxed);
    // Now and then the server dies in the middle of the run and comes back.
    let killer = rng.random_bool(0.3).then(|| {
        let server = server.clone();
        let counters = counters.clone();
        let delay = rng.random_range(5..60);
        let db = db.to_owned();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(delay));
            if let Ok(mut s) = server.lock() {
                let address = s.address();
                s.kill();
                counters.server_kills.fetch_add(1, Ordering::Relaxed);
                *s = Server::start_on(&db, &address, &[]);
            }
        })
    });
    let handles: Vec<_> = (0..laptops)
        .map(|n| {
            let dir = root.join(format!("run-{seed}-laptop-{n}"));
            let (token, url, oracle, counters) = (
                token.clone(),
                proxy.url.clone(),
                oracle.clone(),
                counters.clone(),
            );
            let client_seed = seed.wrapping_mul(31).wrapping_add(n as u64);
            std::thread::spawn(move || {
                let mut rng = StdRng::seed_from_u64(client_seed);
                let mut laptop = Laptop::new(&dir, "store", &token);
                for _ in 0..rng.random_range(5..25) {
                    if rng.random_bool(0.3) {
                        counters.syncs.fetch_add(1, Ordering::Relaxed);
                        let Ok(inner) = HttpTransport::new(&url, &token, Duration::from_secs(5))
                        else {
                            continue;
                        };
                        let mut transport = Crashing {
                            inner,
                            rng: &mut rng,
                            counters: &counters,
                            rate: 0.1,
                        };
                        let _ = laptop.store.sync_round(&url, &mut transport);
                    } else {
                        counters.operations.fetch_add(1, Ordering::Relaxed);
                        operate(&mut laptop, &mut rng, &oracle);
                    }
                }
                laptop
            })
        })
        .collect();
    // A laptop thread that panicked fails the run (its writes would otherwise go unchecked).
    let mut laptops: Vec<Laptop> = handles
        .into_iter()
        .map(|h| h.join().expect("a laptop thread panicked"))
        .collect();
    if let Some(killer) = killer {
        let _ = killer.join();
    }
    // Faults off (the stale pushes still held back arrive now, after everything newer);
    // everyone syncs until nothing moves.
    if let (Ok(s), Ok(mut t)) = (server.lock(), proxy.target.lock()) {
        *t = s.address();
    }
    proxy.settle();
    for _ in 0..3 {
        for laptop in laptops.iter_mut() {
            let url = proxy.url.clone();
            if let Err(e) = laptop.sync(&url) {
                panic!("seed {seed}: a fault-free sync failed: {e}");
            }
        }
    }
    let exports: Vec<String> = laptops.iter().map(|l| l.export()).collect();
    let divergent = exports.iter().filter(|e| **e != exports[0]).count();
    let mut lost = 0;
    let oracle = oracle.lock().map(|o| o.clone()).unwrap_or_default();
    for ((entity, id, field), writes) in oracle {
        let Some((_, expected)) = writes.iter().max_by_key(|(hlc, _)| *hlc) else {
            continue;
        };
        let entity: Entity = entity.parse().unwrap();
        for laptop in &laptops {
            let actual = laptop.store.get(entity, id).ok().map(|r| {
                if field == "deleted" {
                    json!(r.get("deleted") == Some(&json!(true)))
                } else {
                    r.get(&field).cloned().unwrap_or(Value::Null)
                }
            });
            if actual.as_ref() != Some(expected) {
                lost += 1;
                eprintln!(
                    "seed {seed}: {entity} {id}.{field}: expected {expected}, found {actual:?}"
                );
            }
        }
    }
    // Nothing applied twice, nothing acknowledged and missing: the server applied exactly one
    // transaction per local transaction made anywhere, and every outbox is empty.
    let made: i64 = laptops
        .iter()
        .map(|l| outbox_transactions_ever(l.store.path()))
        .sum();
    let applied = server_head(&proxy.url, &token);
    if applied != made {
        eprintln!("seed {seed}: the server applied {applied} transactions for {made} made");
    }
    let waiting: i64 = laptops
        .iter()
        .map(|l| l.store.sync_status().map(|s| s.waiting).unwrap_or(-1))
        .sum();
    if waiting != 0 {
        eprintln!("seed {seed}: {waiting} transactions still wait in an outbox");
    }
    for laptop in &laptops {
        let _ = std::fs::remove_dir_all(&laptop.dir);
    }
    RunResult {
        lost,
        divergent,
        applied_twice: (applied - made).max(0) as usize,
        not_applied: (made - applied).max(0) as usize + waiting.unsigned_abs() as usize,
    }
}

#[test]
fn chaos() {
    let runs: u64 = std::env::var("WIJKWERK_CHAOS_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let first_seed: u64 = std::env::var("WIJKWERK_CHAOS_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    let dir = tempfile::tempdir().unwrap();
    let db = database(dir.path());
    let server = Arc::new(Mutex::new(Server::start(&db)));
    let counters = Arc::new(Counters::default());
    let address = server.lock().map(|s| s.address()).unwrap();
    let proxy = Proxy::start(&address, first_seed, counters.clone());
    let (mut lost, mut divergent, mut twice, mut missing) = (0, 0, 0, 0);
    let started = Instant::now();
    for seed in first_seed..first_seed + runs {
        if let (Ok(s), Ok(mut t)) = (server.lock(), proxy.target.lock()) {
            *t = s.address();
        }
        let result = run_once(seed, &db, &server, &proxy, dir.path(), &counters);
        lost += result.lost;
        divergent += result.divergent;
        twice += result.applied_twice;
        missing += result.not_applied;
    }
    let n = |c: &AtomicU64| c.load(Ordering::Relaxed);
    let c = &counters;
    let faults = [
        &c.dropped_requests,
        &c.lost_replies,
        &c.duplicated,
        &c.delayed,
        &c.held_back,
        &c.replayed_late,
        &c.server_kills,
        &c.client_crashes,
    ]
    .into_iter()
    .map(n)
    .sum::<u64>();
    println!(
        "chaos ({}): runs {runs}, operations {}, syncs {}, faults {faults} (dropped requests {}, lost replies {}, duplicated {}, delayed {}, reordered {} (held back behind later requests {}, old pushes replayed after newer ones {}), server kills {}, laptop crashes {}), lost writes {lost}, divergent stores {divergent}, transactions applied twice {twice}, acknowledged or waiting but not applied {missing}, {:.1} s",
        if std::env::var("WIJKWERK_TEST_POSTGRES").is_ok() { "postgres" } else { "sqlite" },
        n(&c.operations),
        n(&c.syncs),
        n(&c.dropped_requests),
        n(&c.lost_replies),
        n(&c.duplicated),
        n(&c.delayed),
        n(&c.held_back) + n(&c.replayed_late),
        n(&c.held_back),
        n(&c.replayed_late),
        n(&c.server_kills),
        n(&c.client_crashes),
        started.elapsed().as_secs_f64(),
    );
    assert_eq!(
        (lost, divergent, twice, missing),
        (0, 0, 0, 0),
        "lost writes, divergent stores, or transactions applied twice or not at all"
    );
}
