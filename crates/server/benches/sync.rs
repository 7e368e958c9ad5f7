//! Sync benchmark over loopback (prints figures; not a test). Runs against a real server process
//! on SQLite, and on PostgreSQL when `WIJKWERK_BENCH_POSTGRES` names a database URL.
//!
//! Figures: initial pull of 100,000 records; push of 10,000 changes (10,000 local transactions);
//! one change from one laptop to another (p50, p99); 200 laptops syncing at once (p50/p99 of the
//! answers as the laptops saw them, and as the server measured them: the difference of its
//! `/metrics` histograms before and after); bytes per field change on the wire.
//!
//! Run: `cargo bench -p wijkwerk-server --bench sync`. Scale with WIJKWERK_BENCH_SCALE=0.1; the
//! 200 laptops run at the lowest priority unless WIJKWERK_BENCH_NICE=0, and not at all with
//! WIJKWERK_BENCH_MANY=0.

use flate2::write::GzEncoder;
use flate2::Compression;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Write as _};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use wijkwerk_core::sync::http::HttpTransport;
use wijkwerk_core::sync::{SyncError, Transport};
use wijkwerk_core::{Entity, Fields, Store, Write};
use wijkwerk_protocol::wire::{
    Cursor, Hello, PullResponse, PushChangeSet, PushRequest, PushResponse,
};

const SERVER: &str = env!("CARGO_BIN_EXE_wijkwerk-server");

fn obj(value: Value) -> Fields {
    match value {
        Value::Object(map) => map,
        _ => Fields::new(),
    }
}

/// A contact of about 400 bytes of JSON, made from its number alone (the PouchDB peer's
/// `contacts.js` makes its documents the same way: names, a street, a city, Dutch notes).
fn contact(i: usize) -> Fields {
    const FIRST: &[&str] = &[
        "Jan", "Anna", "Pieter", "Sanne", "Kees", "Fleur", "Willem", "Lotte", "Bram", "Eva",
        "Joost", "Maartje", "Hendrik", "Noor", "Ruud", "Ingrid", "Daan", "Femke", "Gerrit",
        "Marloes",
    ];
    const LAST: &[&str] = &[
        "de Vries",
        "Jansen",
        "van den Berg",
        "Bakker",
        "Visser",
        "Smit",
        "Meijer",
        "de Boer",
        "Mulder",
        "de Groot",
        "Bos",
        "Vos",
        "Peters",
        "Hendriks",
        "van Leeuwen",
        "Dekker",
    ];
    const STREET: &[&str] = &[
        "Dorpsstraat",
        "Kerkweg",
        "Molenlaan",
        "Zeeweg",
        "Stationsplein",
        "Breelaan",
        "Julianalaan",
        "Herenweg",
        "Voorstraat",
        "Slotweg",
        "Duinweg",
        "Prinsengracht",
    ];
    const CITY: &[&str] = &[
        "Egmond aan Zee",
        "Egmond-Binnen",
        "Bergen",
        "Schoorl",
        "Groet",
        "Alphen aan den Rijn",
        "Maarssen",
        "Breukelen",
        "Kockengen",
        "Loenen aan de Vecht",
    ];
    const WORDS: &[&str] = &[
        "bewonersavond",
        "kernoverleg",
        "speeltuin",
        "verkeersveiligheid",
        "groenonderhoud",
        "afspraak",
        "wethouder",
        "subsidie",
        "dorpshuis",
        "parkeren",
        "zwerfvuil",
        "jongerenwerk",
        "buurtpreventie",
        "vergadering",
        "agenda",
        "notulen",
        "terugkoppeling",
        "gemeente",
        "en",
        "de",
        "het",
        "over",
        "met",
        "bij",
        "voor",
        "woningcorporatie",
        "welzijn",
        "werkkapitaal",
        "bestuur",
    ];
    // splitmix64: the same numbers on every run and machine.
    let mut state = (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0x5151;
    let mut next = move |n: usize| {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) % n as u64) as usize
    };
    let (first, last) = (FIRST[next(FIRST.len())], LAST[next(LAST.len())]);
    let notes: Vec<&str> = (0..22).map(|_| WORDS[next(WORDS.len())]).collect();
    obj(json!({
        "name": format!("{first} {last}"),
        "email": format!("{}{i}@example.nl", format!("{first}.{last}").to_lowercase().replace(' ', "")),
        "phone": format!("06-{:08}", next(100_000_000)),
        "mobile": format!("06-{:08}", next(100_000_000)),
        "address": format!("{} {}", STREET[next(STREET.len())], 1 + next(200)),
        "postcode": format!("{} {}", 1000 + next(8999), ["AB", "CD", "KL", "XZ"][next(4)]),
        "city": CITY[next(CITY.len())],
        "notes": format!("{}.", notes.join(" ")),
    }))
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

fn start(db: &str) -> (Server, String) {
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
    let tenant = format!("bench-{}", uuid::Uuid::now_v7().simple());
    admin(db, &["tenant", "add", &tenant]);
    let token = admin(db, &["user", "add", "--tenant", &tenant, "--name", "bench"])
        .lines()
        .last()
        .unwrap_or_default()
        .to_owned();
    (Server(child, url), token)
}

/// A transport that times every request.
struct Timed {
    inner: HttpTransport,
    times: Arc<Mutex<Vec<Duration>>>,
}

impl Timed {
    fn time<T>(
        &mut self,
        f: impl FnOnce(&mut HttpTransport) -> Result<T, SyncError>,
    ) -> Result<T, SyncError> {
        let t = Instant::now();
        let out = f(&mut self.inner);
        if let Ok(mut times) = self.times.lock() {
            times.push(t.elapsed());
        }
        out
    }
}

impl Transport for Timed {
    fn hello(&mut self) -> Result<Hello, SyncError> {
        self.time(|t| t.hello())
    }
    fn push(&mut self, r: &PushRequest) -> Result<PushResponse, SyncError> {
        self.time(|t| t.push(r))
    }
    fn pull(&mut self, c: Cursor, l: usize) -> Result<PullResponse, SyncError> {
        self.time(|t| t.pull(c, l))
    }
}

fn sync(store: &mut Store, url: &str, token: &str) -> wijkwerk_core::sync::SyncReport {
    let mut transport =
        HttpTransport::new(url, token, Duration::from_secs(600)).expect("transport");
    store.sync_round(url, &mut transport).expect("sync")
}

fn pct(mut v: Vec<Duration>, q: f64) -> f64 {
    v.sort();
    if v.is_empty() {
        return 0.0;
    }
    v[((v.len() as f64 - 1.0) * q).round() as usize].as_secs_f64() * 1000.0
}

fn bench(kind: &str, db: &str, dir: &Path, scale: f64) {
    let (server, token) = start(db);
    let url = server.1.clone();
    let n_records = (100_000.0 * scale) as usize;
    let n_changes = (10_000.0 * scale) as usize;
    println!("--- {kind} ---");

    // A laptop with 100,000 contacts pushes them (1,000 per local transaction): about 400 bytes
    // each as JSON, like the PouchDB peer's documents (`../shared/bench/pouchdb-peer`).
    let mut a = Store::init(&dir.join(format!("{kind}-a"))).expect("store");
    let mut ids = Vec::with_capacity(n_records);
    let mut bytes = 0usize;
    for chunk in 0..n_records.div_ceil(1000) {
        let batch: Vec<Write> = (0..1000.min(n_records - chunk * 1000))
            .map(|i| {
                let fields = contact(chunk * 1000 + i);
                bytes += Value::Object(fields.clone()).to_string().len();
                let w = Write::create(Entity::Contact, fields);
                ids.push(w.id);
                w
            })
            .collect();
        a.write(batch).expect("write");
    }
    println!(
        "records: {n_records} contacts of {:.0} bytes of JSON on average",
        bytes as f64 / n_records.max(1) as f64
    );
    let t = Instant::now();
    let report = sync(&mut a, &url, &token);
    let secs = t.elapsed().as_secs_f64();
    println!(
        "push of {n_records} new records ({} fields, {} transactions): {secs:.2} s = {:.0} records/s",
        report.pushed_fields, report.pushed_transactions, n_records as f64 / secs
    );

    // WIJKWERK_BENCH_ONLY=pull: only the initial pull, three times (for trying a change to it).
    if std::env::var("WIJKWERK_BENCH_ONLY").as_deref() == Ok("pull") {
        for round in 0..3 {
            let out = run_self(
                PULL_ENV,
                &url,
                &token,
                &dir.join(format!("{kind}-p{round}")),
            );
            println!("initial pull (records, fields, seconds, peak MiB): {out}");
        }
        return;
    }

    // The transfer alone (server, network, JSON), without merging into a store; the pages are
    // kept to time the applying alone next.
    let mut transport =
        HttpTransport::new(&url, &token, Duration::from_secs(600)).expect("transport");
    let t = Instant::now();
    let mut cursor = Cursor::default();
    let mut pages = Vec::new();
    loop {
        let page = transport
            .pull(cursor, wijkwerk_core::sync::PULL_PAGE)
            .expect("pull");
        cursor = page.cursor;
        let more = page.more;
        pages.push(page);
        if !more {
            break;
        }
    }
    println!(
        "  of which the transfer alone (server, wire, decoding): {:.2} s in {} pages",
        t.elapsed().as_secs_f64(),
        pages.len()
    );
    let mut c = Store::init(&dir.join(format!("{kind}-c"))).expect("store");
    let t = Instant::now();
    for page in &pages {
        c.merge(&page.records, |_| Ok(())).expect("merge");
    }
    println!(
        "  and the applying alone (into an empty store): {:.2} s",
        t.elapsed().as_secs_f64()
    );
    drop((pages, c));

    // Initial pull on a fresh laptop, in a process of its own so that its peak memory is its own.
    let pulled = run_self(PULL_ENV, &url, &token, &dir.join(format!("{kind}-b")));
    let pulled: Vec<f64> = pulled
        .split_whitespace()
        .filter_map(|n| n.parse().ok())
        .collect();
    let [records, fields, secs, peak] = pulled[..] else {
        panic!("the pulling process said {pulled:?}");
    };
    println!(
        "initial pull of {records} records ({fields} fields), a fresh laptop's process: {secs:.2} s, peak memory {peak:.0} MiB (goal ≤ 1 s)"
    );
    figure(kind, "pull_seconds", secs);
    figure(kind, "pull_peak_mib", peak);
    let mut b = Store::open(&dir.join(format!("{kind}-b"))).expect("store");
    // 10,000 changes, each its own local transaction.
    for i in 0..n_changes {
        a.update(
            Entity::Contact,
            ids[i % ids.len()],
            obj(json!({"phone": format!("072-{i:06}")})),
        )
        .expect("update");
    }
    let pending = a.outbox(n_changes).expect("outbox");
    let request = PushRequest {
        client_id: uuid::Uuid::nil(),
        changesets: pending
            .iter()
            .map(|(seq, set)| PushChangeSet {
                client_seq: *seq,
                tx_id: set.tx_id,
                changes: set.changes.clone(),
            })
            .collect(),
        after: None,
        extra: Default::default(),
    };
    let json = serde_json::to_vec(&request).expect("json");
    let mut gz = GzEncoder::new(Vec::new(), Compression::fast());
    gz.write_all(&json).expect("gzip");
    let wire = gz.finish().expect("gzip").len();
    let t = Instant::now();
    let push_times = Arc::new(Mutex::new(Vec::new()));
    let report = {
        let inner = HttpTransport::new(&url, &token, Duration::from_secs(600)).expect("transport");
        let mut timed = Timed {
            inner,
            times: push_times.clone(),
        };
        a.sync_round(&url, &mut timed).expect("sync")
    };
    let secs = t.elapsed().as_secs_f64();
    println!(
        "push of {} changes ({} local transactions): {secs:.2} s = {:.0} changes/s (goal ≥ 5,000/s)",
        report.pushed_fields, report.pushed_transactions, report.pushed_fields as f64 / secs
    );
    figure(kind, "push_per_second", report.pushed_fields as f64 / secs);
    let requests = push_times.lock().map(|t| t.clone()).unwrap_or_default();
    println!(
        "  of which waiting for the server's answers: {:.2} s ({} requests)",
        requests.iter().map(Duration::as_secs_f64).sum::<f64>(),
        requests.len()
    );
    println!(
        "bytes per field change on the wire: {:.1} gzip ({:.1} as JSON)",
        wire as f64 / n_changes as f64,
        json.len() as f64 / n_changes as f64
    );
    sync(&mut b, &url, &token);

    // One change from a to b.
    let mut latencies = Vec::new();
    let (mut writes, mut a_rounds, mut requests) = (Vec::new(), Vec::new(), Vec::new());
    let times = Arc::new(Mutex::new(Vec::new()));
    for (i, id) in ids.iter().take(200).enumerate() {
        let t = Instant::now();
        a.update(
            Entity::Contact,
            *id,
            obj(json!({"notes": format!("Wijziging {i}")})),
        )
        .expect("update");
        writes.push(t.elapsed());
        let round = Instant::now();
        for store in [&mut a, &mut b] {
            let inner =
                HttpTransport::new(&url, &token, Duration::from_secs(600)).expect("transport");
            let mut timed = Timed {
                inner,
                times: times.clone(),
            };
            store.sync_round(&url, &mut timed).expect("sync");
            if a_rounds.len() < latencies.len() + 1 {
                a_rounds.push(round.elapsed());
            }
        }
        latencies.push(t.elapsed());
    }
    requests.extend(times.lock().map(|t| t.clone()).unwrap_or_default());
    println!(
        "  of which the local write p50 {:.2} ms, laptop a's round p50 {:.2} ms; a request p50 {:.2} ms ({} requests)",
        pct(writes, 0.5),
        pct(a_rounds, 0.5),
        pct(requests.clone(), 0.5),
        requests.len()
    );
    println!(
        "one change from laptop a to laptop b: p50 {:.1} ms, p99 {:.1} ms (goal ≤ 10 / 50 ms)",
        pct(latencies.clone(), 0.5),
        pct(latencies.clone(), 0.99)
    );
    figure(kind, "change_p50_ms", pct(latencies.clone(), 0.5));
    figure(kind, "change_p99_ms", pct(latencies, 0.99));

    // 200 laptops at once (a municipality of their own, so that each starts small and in step
    // with the server), each making an edit and syncing together. The laptops run in a process
    // of their own (this binary again), and the server's own histograms are read before and
    // after, so the server's answer times are measured apart from the laptops' threads.
    if std::env::var("WIJKWERK_BENCH_MANY").as_deref() == Ok("0") {
        return;
    }
    let laptops = 200;
    let tenant = format!("bench-many-{}", uuid::Uuid::now_v7().simple());
    admin(db, &["tenant", "add", &tenant]);
    let token = admin(db, &["user", "add", "--tenant", &tenant, "--name", "bench"])
        .lines()
        .last()
        .unwrap_or_default()
        .to_owned();
    // At the lowest priority (`nice`): on this one machine the laptops' 200 threads would
    // otherwise take most of the CPU from the server and its database, which in the field run
    // on machines of their own. WIJKWERK_BENCH_NICE=0 runs them at the server's priority.
    let exe = std::env::current_exe().expect("exe");
    let nice = std::env::var("WIJKWERK_BENCH_NICE").as_deref() != Ok("0")
        && Command::new("nice")
            .arg("--version")
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
    let mut clients = if nice {
        let mut c = Command::new("nice");
        c.args(["-n", "19"]).arg(&exe);
        c
    } else {
        Command::new(&exe)
    };
    let mut clients = clients
        .env(CLIENTS_ENV, "1")
        .env("WIJKWERK_BENCH_URL", &url)
        .env("WIJKWERK_BENCH_TOKEN", &token)
        .env("WIJKWERK_BENCH_DIR", dir.join(format!("{kind}-many")))
        .env("WIJKWERK_BENCH_LAPTOPS", laptops.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("client process");
    let mut lines = BufReader::new(clients.stdout.take().expect("stdout")).lines();
    let ready = lines.next().expect("ready").expect("ready");
    assert_eq!(ready, "ready");
    let before = server_histograms(&url);
    let mut go = clients.stdin.take().expect("stdin");
    writeln!(go, "go").expect("go");
    drop(go);
    let result = lines.next().expect("result").expect("result");
    let after = server_histograms(&url);
    let _ = clients.wait();
    let mut server_side = Vec::new();
    for name in ["wijkwerk_push_seconds", "wijkwerk_pull_seconds", ""] {
        let diff = |m: &Histograms| -> Vec<(f64, f64)> {
            let mut sum: Vec<(f64, f64)> = Vec::new();
            for (metric, buckets) in m {
                if name.is_empty() || metric == name {
                    for (i, (le, n)) in buckets.iter().enumerate() {
                        match sum.get_mut(i) {
                            Some(s) => s.1 += n,
                            None => sum.push((*le, *n)),
                        }
                    }
                }
            }
            sum
        };
        let (b, a) = (diff(&before), diff(&after));
        let buckets: Vec<(f64, f64)> = a
            .iter()
            .map(|(le, n)| {
                let was = b.iter().find(|(l, _)| l == le).map_or(0.0, |x| x.1);
                (*le, n - was)
            })
            .collect();
        let label = match name {
            "wijkwerk_push_seconds" => "push",
            "wijkwerk_pull_seconds" => "pull",
            _ => "all",
        };
        let count = buckets.last().map_or(0.0, |x| x.1);
        server_side.push(format!(
            "{label} {count:.0}: p50 {:.1} ms, p99 {:.1} ms",
            bucket_quantile(&buckets, 0.5) * 1000.0,
            bucket_quantile(&buckets, 0.99) * 1000.0
        ));
    }
    println!("{laptops} laptops syncing at once, as the laptops saw it: {result}");
    println!(
        "  the server's own answer times (goal p99 ≤ 100 ms): {}",
        server_side.join("; ")
    );
    drop(server);
}

/// A figure in a line of its own for `scripts/bench-sync`, which sets it beside the PouchDB
/// peer's: `FIGURE <database> <name> <value>`.
fn figure(kind: &str, name: &str, value: f64) {
    println!("FIGURE {kind} {name} {value:.3}");
}

/// Set in the environment of the pulling laptop's process (the bench runs itself again).
const PULL_ENV: &str = "WIJKWERK_BENCH_PULL";

/// Runs this bench again as the process `role` names, against the server, and returns the
/// last line it printed.
fn run_self(role: &str, url: &str, token: &str, dir: &Path) -> String {
    let out = Command::new(std::env::current_exe().expect("exe"))
        .env(role, "1")
        .env("WIJKWERK_BENCH_URL", url)
        .env("WIJKWERK_BENCH_TOKEN", token)
        .env("WIJKWERK_BENCH_DIR", dir)
        .stderr(Stdio::inherit())
        .output()
        .expect("process");
    assert!(out.status.success(), "{role} failed");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .last()
        .unwrap_or_default()
        .to_owned()
}

/// The peak resident memory of this process in MiB (Linux), or 0 where unknown.
fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        })
        .map_or(0.0, |kib| kib / 1024.0)
}

/// The pulling laptop's process: a fresh store downloads everything, then says how long it
/// took and its peak memory.
fn pull_process() {
    let var = |name: &str| std::env::var(name).expect(name);
    let (url, token) = (var("WIJKWERK_BENCH_URL"), var("WIJKWERK_BENCH_TOKEN"));
    let mut store = Store::init(Path::new(&var("WIJKWERK_BENCH_DIR"))).expect("store");
    let t = Instant::now();
    let report = sync(&mut store, &url, &token);
    let written = std::fs::read_to_string("/proc/self/io")
        .ok()
        .and_then(|io| {
            io.lines()
                .find_map(|l| l.strip_prefix("write_bytes: "))
                .and_then(|n| n.trim().parse::<f64>().ok())
        })
        .unwrap_or(0.0);
    let stored: u64 = std::fs::read_dir(var("WIJKWERK_BENCH_DIR"))
        .map(|d| {
            d.flatten()
                .filter_map(|e| e.metadata().ok())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0);
    eprintln!(
        "  the pulling laptop wrote {:.0} MiB to its disk; its data folder holds {:.0} MiB",
        written / 1048576.0,
        stored as f64 / 1048576.0
    );
    // Read by the bench's main process: records, fields, seconds, peak MiB.
    println!(
        "{} {} {} {}",
        report.pulled_records,
        report.pulled_fields,
        t.elapsed().as_secs_f64(),
        peak_rss_mib()
    );
}

/// Set in the environment of the laptops' process (the bench runs itself again).
const CLIENTS_ENV: &str = "WIJKWERK_BENCH_CLIENTS";

/// Per histogram of the server, its cumulative buckets (upper bound in seconds, count).
type Histograms = Vec<(String, Vec<(f64, f64)>)>;

/// Reads the server's request duration histograms from `/metrics`.
fn server_histograms(url: &str) -> Histograms {
    let text = ureq::get(format!("{url}/metrics"))
        .call()
        .expect("metrics")
        .body_mut()
        .read_to_string()
        .expect("metrics");
    let mut out: Histograms = Vec::new();
    for line in text.lines() {
        let Some((name, rest)) = line.split_once("_bucket{") else {
            continue;
        };
        let Some(le) = rest
            .split_once("le=\"")
            .and_then(|(_, r)| r.split_once('"'))
            .map(|(le, _)| le)
        else {
            continue;
        };
        let le = if le == "+Inf" {
            f64::INFINITY
        } else {
            le.parse().expect("le")
        };
        let n: f64 = line
            .rsplit(' ')
            .next()
            .and_then(|n| n.parse().ok())
            .expect("count");
        match out.iter_mut().find(|(m, _)| m == name) {
            Some((_, buckets)) => buckets.push((le, n)),
            None => out.push((name.to_owned(), vec![(le, n)])),
        }
    }
    out
}

/// The q-quantile (seconds) of cumulative buckets, interpolated linearly inside its bucket.
fn bucket_quantile(buckets: &[(f64, f64)], q: f64) -> f64 {
    let total = buckets.last().map_or(0.0, |b| b.1);
    if total <= 0.0 {
        return 0.0;
    }
    let rank = q * total;
    let (mut lower, mut below) = (0.0, 0.0);
    for &(le, n) in buckets {
        if n >= rank {
            if le.is_infinite() {
                return lower;
            }
            let inside = n - below;
            let frac = if inside > 0.0 {
                (rank - below) / inside
            } else {
                1.0
            };
            return lower + (le - lower) * frac;
        }
        lower = le;
        below = n;
    }
    lower
}

/// The laptops' process: makes the stores and brings each up to date, says `ready`, waits for
/// `go`, then lets every laptop make an edit and sync at the same time, and prints the laptops'
/// own answer times.
fn laptops_process() {
    let var = |name: &str| std::env::var(name).expect(name);
    let (url, token) = (var("WIJKWERK_BENCH_URL"), var("WIJKWERK_BENCH_TOKEN"));
    let dir = std::path::PathBuf::from(var("WIJKWERK_BENCH_DIR"));
    let laptops: usize = var("WIJKWERK_BENCH_LAPTOPS").parse().expect("laptops");
    let times = Arc::new(Mutex::new(Vec::new()));
    let mut stores = Vec::new();
    for n in 0..laptops {
        let mut s = Store::init(&dir.join(n.to_string())).expect("store");
        s.create(Entity::Contact, obj(json!({"name": format!("Laptop {n}")})))
            .expect("create");
        stores.push(s);
    }
    // Bring each up to date first (a whole download each) so the measured round is the usual one.
    for s in stores.iter_mut() {
        let mut transport =
            HttpTransport::new(&url, &token, Duration::from_secs(600)).expect("transport");
        s.sync_round(&url, &mut transport).expect("sync");
    }
    println!("ready");
    std::io::stdout().flush().expect("flush");
    let mut go = String::new();
    std::io::stdin().read_line(&mut go).expect("go");
    let start = Instant::now();
    let handles: Vec<_> = stores
        .into_iter()
        .enumerate()
        .map(|(n, mut s)| {
            let (url, token, times) = (url.clone(), token.clone(), times.clone());
            std::thread::spawn(move || {
                s.create(
                    Entity::Contact,
                    obj(json!({"name": format!("Nog een {n}")})),
                )
                .expect("create");
                let inner =
                    HttpTransport::new(&url, &token, Duration::from_secs(600)).expect("transport");
                let mut transport = Timed { inner, times };
                s.sync_round(&url, &mut transport).expect("sync");
            })
        })
        .collect();
    for h in handles {
        let _ = h.join();
    }
    let all = times.lock().map(|t| t.clone()).unwrap_or_default();
    println!(
        "{} requests in {:.2} s, answer p50 {:.1} ms, p99 {:.1} ms",
        all.len(),
        start.elapsed().as_secs_f64(),
        pct(all.clone(), 0.5),
        pct(all, 0.99)
    );
}

fn main() {
    if std::env::var_os(CLIENTS_ENV).is_some() {
        laptops_process();
        return;
    }
    if std::env::var_os(PULL_ENV).is_some() {
        pull_process();
        return;
    }
    let scale: f64 = std::env::var("WIJKWERK_BENCH_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1.0);
    let dir = tempfile::tempdir().expect("tempdir");
    let sqlite = dir.path().join("server.db").display().to_string();
    // WIJKWERK_BENCH_SQLITE=0: PostgreSQL only.
    if std::env::var("WIJKWERK_BENCH_SQLITE").as_deref() != Ok("0") {
        bench("sqlite", &sqlite, dir.path(), scale);
    }
    if let Ok(url) = std::env::var("WIJKWERK_BENCH_POSTGRES") {
        bench("postgres", &url, dir.path(), scale);
    }
}
