//! Calendar feed benchmark over loopback (prints figures; not a test). A real server process on
//! SQLite, and on PostgreSQL when `WIJKWERK_BENCH_POSTGRES` (or `WIJKWERK_TEST_POSTGRES`) names a
//! database URL.
//!
//! A tenant with 10,000 meetings and visits: 8,000 kernbezoeken (three stops and two invitees
//! each) and 2,000 meetings (three attendances, one a coordinator's) over two years in 8 kernen,
//! pushed by a laptop. Figures: the first answer of `GET /calendar/<token>.ics` (the server reads
//! the records and builds the calendar), then 50 answers from the kept calendar (p50, p95) as
//! plain text, gzip and `304` for its ETag; the answer after one change was pushed (a rebuild);
//! and, for comparison, the core's `Store::kernbezoek_feed` on the laptop's store.
//!
//! Run: `cargo bench -p wijkwerk-server --bench feed`. Scale with WIJKWERK_BENCH_SCALE=0.1.

use jiff::{Span, Timestamp};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use uuid::Uuid;
use wijkwerk_core::calendar::feed::FeedOptions;
use wijkwerk_core::sync::http::HttpTransport;
use wijkwerk_core::{Entity, Fields, Store, Write};

const SERVER: &str = env!("CARGO_BIN_EXE_wijkwerk-server");
const CACHED_RUNS: usize = 50;

fn obj(value: Value) -> Fields {
    match value {
        Value::Object(map) => map,
        _ => Fields::new(),
    }
}

struct Server(Child, String);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn admin(db: &str, args: &[&str]) -> String {
    let out = Command::new(SERVER)
        .args(args)
        .args(["--db", db])
        .output()
        .expect("admin");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn start(db: &str) -> Server {
    let mut child = Command::new(SERVER)
        .args(["serve", "--db", db, "--listen", "127.0.0.1:0"])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("server");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("line");
    let url = line.trim().trim_start_matches("listening on ").to_owned();
    Server(child, url)
}

/// The laptop's store: 10,000 meetings and visits (times the scale).
fn fill(store: &mut Store, scale: f64) -> (usize, Uuid) {
    let events = ((10_000.0 * scale) as usize).max(10);
    let mut batch = Vec::new();
    let add = |batch: &mut Vec<Write>, entity: Entity, value: Value| -> Uuid {
        let write = Write::create(entity, obj(value));
        let id = write.id;
        batch.push(write);
        id
    };
    let gemeente = add(
        &mut batch,
        Entity::Area,
        json!({"name": "Gemeente Bergen", "kind": "municipality"}),
    );
    let kernen: Vec<Uuid> = (0..8)
        .map(|i| {
            add(
                &mut batch,
                Entity::Area,
                json!({"name": format!("Kern {i}"), "kind": "core", "parent_id": gemeente}),
            )
        })
        .collect();
    let department = add(
        &mut batch,
        Entity::Organisation,
        json!({"name": "Wijkgericht werken", "kind": "department"}),
    );
    let coordinators: Vec<Uuid> = (0..3)
        .map(|i| {
            let contact = add(
                &mut batch,
                Entity::Contact,
                json!({"name": format!("Coördinator {i}"), "email": format!("coordinator{i}@bergen.nl")}),
            );
            add(
                &mut batch,
                Entity::Role,
                json!({"contact_id": contact, "organisation_id": department,
                       "kind": "coordinator", "start_date": "2020-01-01"}),
            );
            contact
        })
        .collect();
    let contacts: Vec<Uuid> = (0..300)
        .map(|i| {
            add(
                &mut batch,
                Entity::Contact,
                json!({"name": format!("Bewoner {i} van Dijk"), "email": format!("bewoner{i}@example.nl")}),
            )
        })
        .collect();
    store.write(std::mem::take(&mut batch)).expect("people");
    let start: Timestamp = "2025-01-06T08:00:00Z".parse().expect("instant");
    let mut first_visit = None;
    for i in 0..events {
        // Two years of events, one every 100 minutes (10,000 of them).
        let at = start
            .checked_add(Span::new().minutes((i as f64 * 100.0 / scale) as i64))
            .expect("in range");
        let end = at.checked_add(Span::new().hours(2)).expect("in range");
        let kern = kernen[i % kernen.len()];
        if i % 5 != 4 {
            let visit = add(
                &mut batch,
                Entity::Visit,
                json!({"kind": "kernbezoek", "title": format!("Kernbezoek Kern {} ({i})", i % 8),
                       "area_id": kern, "starts_at": at.to_string(), "ends_at": end.to_string(),
                       "location": "Start: Dorpshuis De Blinkerd, Groet",
                       "notes": "Georganiseerd met Bureau Communicatie; na afloop napraten."}),
            );
            first_visit.get_or_insert(visit);
            for s in 0..3 {
                add(
                    &mut batch,
                    Entity::Stop,
                    json!({"visit_id": visit, "position": s, "place": format!("Plek {s}, Dorpsstraat"),
                           "arrives_at": format!("{:02}:30", 13 + s), "topic": "Verkeersveiligheid en groen"}),
                );
            }
            for c in 0..2 {
                add(
                    &mut batch,
                    Entity::Invitee,
                    json!({"visit_id": visit, "contact_id": contacts[(i * 7 + c * 13) % contacts.len()]}),
                );
            }
        } else {
            let meeting = add(
                &mut batch,
                Entity::Meeting,
                json!({"kind": "kernoverleg", "title": format!("Kernoverleg {i}"),
                       "area_id": kern, "starts_at": at.to_string(), "ends_at": end.to_string(),
                       "location": "Dorpshuis De Blinkerd, Groet"}),
            );
            let people = [
                coordinators[i % coordinators.len()],
                contacts[i % contacts.len()],
                contacts[(i * 3 + 1) % contacts.len()],
            ];
            for contact in people {
                add(
                    &mut batch,
                    Entity::Attendance,
                    json!({"meeting_id": meeting, "contact_id": contact, "status": "present"}),
                );
            }
        }
        if batch.len() >= 5_000 {
            store.write(std::mem::take(&mut batch)).expect("events");
        }
    }
    store.write(batch).expect("events");
    (events, first_visit.expect("a visit"))
}

fn percentile(times: &mut [Duration], p: f64) -> Duration {
    times.sort();
    let i = ((times.len() as f64 - 1.0) * p).round() as usize;
    times[i.min(times.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

/// One GET; returns the time, the status, the body length and the ETag.
fn get(agent: &ureq::Agent, url: &str, headers: &[(&str, &str)]) -> (Duration, u16, usize, String) {
    let mut request = agent.get(url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let t = Instant::now();
    let mut response = request.call().expect("an answer");
    let body = response.body_mut().read_to_vec().expect("a body");
    let elapsed = t.elapsed();
    let etag = response
        .headers()
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (elapsed, response.status().as_u16(), body.len(), etag)
}

fn run(kind: &str, db: &str, scale: f64) {
    let server = start(db);
    let tenant = format!("bench-{}", Uuid::now_v7().simple());
    admin(db, &["tenant", "add", &tenant]);
    let token = admin(db, &["user", "add", "--tenant", &tenant, "--name", "bench"])
        .lines()
        .last()
        .unwrap_or_default()
        .to_owned();
    let dir = tempfile::tempdir().expect("dir");
    let mut store = Store::init(&dir.path().join("laptop")).expect("store");
    let t = Instant::now();
    let (events, visit) = fill(&mut store, scale);
    let filled = t.elapsed();
    let t = Instant::now();
    let mut transport =
        HttpTransport::new(&server.1, &token, Duration::from_secs(600)).expect("transport");
    store.sync_round(&server.1, &mut transport).expect("push");
    let pushed = t.elapsed();
    let path = admin(db, &["feed", "add", "--tenant", &tenant, "--name", "bench"])
        .lines()
        .last()
        .unwrap_or_default()
        .trim()
        .to_owned();
    let url = format!("{}{path}", server.1);
    println!(
        "feed ({kind}): {events} meetings and visits written in {} and pushed in {}",
        ms(filled),
        ms(pushed)
    );

    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(600)))
        .build()
        .into();
    let plain = [("accept-encoding", "identity")];
    let (first, status, bytes, etag) = get(&agent, &url, &plain);
    assert_eq!(status, 200);
    println!(
        "feed ({kind}): first answer (reads the records, builds): {} for {:.1} MB",
        ms(first),
        bytes as f64 / 1e6
    );
    let mut cached: Vec<Duration> = (0..CACHED_RUNS)
        .map(|_| {
            let (d, status, n, _) = get(&agent, &url, &plain);
            assert_eq!((status, n), (200, bytes));
            d
        })
        .collect();
    println!(
        "feed ({kind}): kept calendar, {CACHED_RUNS} answers: p50 {}, p95 {}",
        ms(percentile(&mut cached, 0.5)),
        ms(percentile(&mut cached, 0.95))
    );
    let mut gzip: Vec<Duration> = Vec::new();
    let mut gzip_bytes = 0;
    for _ in 0..CACHED_RUNS {
        let (d, status, _, _) = get(&agent, &url, &[]);
        assert_eq!(status, 200);
        gzip.push(d);
    }
    {
        // The size on the wire, read without decompressing.
        let raw: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        let mut response = raw
            .get(&url)
            .header("accept-encoding", "gzip")
            .call()
            .expect("an answer");
        if let Some(n) = response
            .headers()
            .get("content-length")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok())
        {
            gzip_bytes = n;
        }
        let _ = response.body_mut().read_to_vec();
    }
    println!(
        "feed ({kind}): kept calendar with gzip, {CACHED_RUNS} answers: p50 {}, p95 {}{}",
        ms(percentile(&mut gzip, 0.5)),
        ms(percentile(&mut gzip, 0.95)),
        if gzip_bytes > 0 {
            format!(" ({:.1} MB on the wire)", gzip_bytes as f64 / 1e6)
        } else {
            String::new()
        }
    );
    let mut unchanged: Vec<Duration> = (0..CACHED_RUNS)
        .map(|_| {
            let (d, status, _, _) = get(&agent, &url, &[("if-none-match", etag.as_str())]);
            assert_eq!(status, 304);
            d
        })
        .collect();
    println!(
        "feed ({kind}): 304 for the ETag, {CACHED_RUNS} answers: p50 {}, p95 {}",
        ms(percentile(&mut unchanged, 0.5)),
        ms(percentile(&mut unchanged, 0.95))
    );

    store
        .update(
            Entity::Visit,
            visit,
            obj(json!({"location": "Dorpshuis 't Hoekje, Bergen"})),
        )
        .expect("a change");
    store.sync_round(&server.1, &mut transport).expect("push");
    let (rebuilt, status, _, new_etag) = get(&agent, &url, &plain);
    assert_eq!(status, 200);
    assert_ne!(new_etag, etag, "the change is in the calendar");
    println!(
        "feed ({kind}): first answer after one change was pushed (rebuilds): {}",
        ms(rebuilt)
    );
    let mut core: Vec<Duration> = (0..5)
        .map(|_| {
            let t = Instant::now();
            let feed = store
                .kernbezoek_feed(&FeedOptions::at(
                    format!("Kernbezoeken {tenant}"),
                    Timestamp::now(),
                ))
                .expect("the core's feed");
            assert!(feed.events > 0);
            t.elapsed()
        })
        .collect();
    println!(
        "feed ({kind}): the core's Store::kernbezoek_feed on the laptop (same function, store read), 5 runs: p50 {}",
        ms(percentile(&mut core, 0.5))
    );
}

fn main() {
    let scale: f64 = std::env::var("WIJKWERK_BENCH_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1.0);
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("server.db").display().to_string();
    run("sqlite", &db, scale);
    if let Some(url) = std::env::var("WIJKWERK_BENCH_POSTGRES")
        .ok()
        .or_else(|| std::env::var("WIJKWERK_TEST_POSTGRES").ok())
    {
        run("postgresql", &url, scale);
    }
}
