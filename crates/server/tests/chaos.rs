//! The seeded chaos runner: laptops make random edits and sync at random moments, through a
//! proxy that drops, delays and duplicates traffic, while the server is killed now and then and
//! laptops "crash" between receiving an answer and recording it. At the end, with the faults
//! off, every laptop syncs again and:
//! - no write is lost: every field holds the value of its newest write (by clock) made anywhere;
//! - no store diverges: every laptop's export is byte for byte the same.
//!
//! `WIJKWERK_CHAOS_RUNS` (default 200) and `WIJKWERK_CHAOS_SEED` choose how many runs and from
//! which seed. It prints runs, operations, faults, lost writes and divergent stores.

mod common;

use common::{admin, database, user, Laptop, Server};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
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
}

/// A TCP proxy in front of the server that misbehaves on purpose while `faults` is on.
struct Proxy {
    url: String,
    target: Arc<Mutex<String>>,
    faults: Arc<AtomicBool>,
}

impl Proxy {
    fn start(target: &str, seed: u64, counters: Arc<Counters>) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let target = Arc::new(Mutex::new(target.to_owned()));
        let faults = Arc::new(AtomicBool::new(true));
        let (t, f) = (target.clone(), faults.clone());
        std::thread::spawn(move || {
            let rng = Arc::new(Mutex::new(StdRng::seed_from_u64(seed)));
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let (t, f, rng, counters) = (t.clone(), f.clone(), rng.clone(), counters.clone());
                std::thread::spawn(move || {
                    let _ = relay(stream, &t, &f, &rng, &counters);
                });
            }
        });
        Proxy {
            url,
            target,
            faults,
        }
    }
}

fn read_request(stream: &mut TcpStream) -> std::io::Result<Vec<u8>> {
    let mut data = Vec::new();
    let mut buf = [0u8; 65536];
    loop {
        let n = stream.read(&mut buf)?;
        if n == 0 {
            return Ok(data);
        }
        data.extend_from_slice(&buf[..n]);
        if let Some(end) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            let headers = String::from_utf8_lossy(&data[..end]).to_ascii_lowercase();
            let length = headers
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok())
                .unwrap_or(0);
            while data.len() < end + 4 + length {
                let n = stream.read(&mut buf)?;
                if n == 0 {
                    break;
                }
                data.extend_from_slice(&buf[..n]);
            }
            return Ok(data);
        }
    }
}

/// Forwards one request on a fresh connection that closes after the answer.
fn forward(target: &str, request: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut upstream = TcpStream::connect(target)?;
    upstream.set_read_timeout(Some(Duration::from_secs(20)))?;
    let text = String::from_utf8_lossy(request);
    let end = text.find("\r\n\r\n").unwrap_or(0);
    let head: String = text[..end]
        .lines()
        .filter(|l| !l.to_ascii_lowercase().starts_with("connection:"))
        .collect::<Vec<_>>()
        .join("\r\n");
    upstream.write_all(head.as_bytes())?;
    upstream.write_all(b"\r\nconnection: close\r\n\r\n")?;
    upstream.write_all(&request[end + 4..])?;
    let mut answer = Vec::new();
    upstream.read_to_end(&mut answer)?;
    Ok(answer)
}

fn relay(
    mut client: TcpStream,
    target: &Mutex<String>,
    faults: &AtomicBool,
    rng: &Mutex<StdRng>,
    counters: &Counters,
) -> std::io::Result<()> {
    let request = read_request(&mut client)?;
    if request.is_empty() {
        return Ok(());
    }
    let target = target.lock().map(|t| t.clone()).unwrap_or_default();
    let roll: f64 = if faults.load(Ordering::Relaxed) {
        rng.lock().map(|mut r| r.random()).unwrap_or(1.0)
    } else {
        1.0
    };
    if roll < 0.08 {
        counters.dropped_requests.fetch_add(1, Ordering::Relaxed);
        return Ok(()); // the request never arrives
    }
    if roll < 0.30 {
        counters.delayed.fetch_add(1, Ordering::Relaxed);
        std::thread::sleep(Duration::from_millis((roll * 100.0) as u64));
    }
    let mut answer = forward(&target, &request)?;
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
    let mut laptops: Vec<Laptop> = handles.into_iter().filter_map(|h| h.join().ok()).collect();
    if let Some(killer) = killer {
        let _ = killer.join();
    }
    // Faults off; everyone syncs until nothing moves.
    proxy.faults.store(false, Ordering::Relaxed);
    if let (Ok(s), Ok(mut t)) = (server.lock(), proxy.target.lock()) {
        *t = s.address();
    }
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
    for laptop in &laptops {
        let _ = std::fs::remove_dir_all(&laptop.dir);
    }
    RunResult { lost, divergent }
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
    let (mut lost, mut divergent) = (0, 0);
    for seed in first_seed..first_seed + runs {
        if let (Ok(s), Ok(mut t)) = (server.lock(), proxy.target.lock()) {
            *t = s.address();
        }
        let result = run_once(seed, &db, &server, &proxy, dir.path(), &counters);
        lost += result.lost;
        divergent += result.divergent;
    }
    let c = &counters;
    println!(
        "chaos ({}): runs {runs}, operations {}, syncs {}, faults {} (dropped requests {}, lost replies {}, duplicated {}, delayed {}, server kills {}, laptop crashes {}), lost writes {lost}, divergent stores {divergent}",
        if std::env::var("WIJKWERK_TEST_POSTGRES").is_ok() { "postgres" } else { "sqlite" },
        c.operations.load(Ordering::Relaxed),
        c.syncs.load(Ordering::Relaxed),
        c.dropped_requests.load(Ordering::Relaxed) + c.lost_replies.load(Ordering::Relaxed) + c.duplicated.load(Ordering::Relaxed)
            + c.delayed.load(Ordering::Relaxed) + c.server_kills.load(Ordering::Relaxed) + c.client_crashes.load(Ordering::Relaxed),
        c.dropped_requests.load(Ordering::Relaxed),
        c.lost_replies.load(Ordering::Relaxed),
        c.duplicated.load(Ordering::Relaxed),
        c.delayed.load(Ordering::Relaxed),
        c.server_kills.load(Ordering::Relaxed),
        c.client_crashes.load(Ordering::Relaxed),
    );
    assert_eq!((lost, divergent), (0, 0), "lost writes or divergent stores");
}
