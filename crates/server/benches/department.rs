//! The department colleagues' web pages under load (prints figures; not a test): a tenant with
//! 200,000 action points owned by 20 departments (one large, owning a fifth), served by a real
//! server process on SQLite, or on PostgreSQL when `WIJKWERK_BENCH_POSTGRES` names a database.
//!
//! Figures: the list page's time as a browser on this machine sees it (loopback; p50, p95,
//! max) for the large department and a typical one, and a point's page; and a status change
//! from the web to a coordinator's laptop store after its next pull (p50, p95).
//!
//! Run: `cargo bench -p wijkwerk-server --bench department`. Scale with
//! `WIJKWERK_BENCH_SCALE=0.1`.

use serde_json::json;
use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader, Write as _};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use uuid::Uuid;
use wijkwerk_core::sync::http::HttpTransport;
use wijkwerk_core::{Entity, Store};
use wijkwerk_protocol::wire::PushChangeSet;
use wijkwerk_protocol::{Hlc, NodeId, RecordChange, StampedValue};
use wijkwerk_server::storage::PushLimits;
use wijkwerk_server::Storage;

const SERVER: &str = env!("CARGO_BIN_EXE_wijkwerk-server");
const DEPARTMENTS: usize = 20;
const PASSWORD: &str = "een lange zin als wachtwoord";

fn scale() -> f64 {
    std::env::var("WIJKWERK_BENCH_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1.0)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn summary(mut ms: Vec<f64>) -> String {
    ms.sort_by(|a, b| a.total_cmp(b));
    format!(
        "p50 {:.1} ms, p95 {:.1} ms, max {:.1} ms (n = {})",
        percentile(&ms, 0.5),
        percentile(&ms, 0.95),
        ms.last().copied().unwrap_or(f64::NAN),
        ms.len()
    )
}

fn record(entity: &str, id: Uuid, hlc: Hlc, fields: serde_json::Value) -> RecordChange {
    let fields: BTreeMap<String, StampedValue> = fields
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| (k.clone(), StampedValue::new(v.clone(), hlc)))
        .collect();
    RecordChange {
        entity: entity.into(),
        id,
        fields,
    }
}

/// The departments (the first owns a fifth of the points), areas, associations, and the
/// points, pushed straight into the storage as a laptop's transactions of 1,000 records.
async fn fill(storage: &Storage, tenant_id: i64, points: usize) -> Vec<Uuid> {
    let node = NodeId(42);
    let client = Uuid::now_v7();
    let mut clock = 1_700_000_000_000u64;
    let mut next_hlc = || {
        clock += 1;
        Hlc::new(clock, 0, node)
    };
    let departments: Vec<Uuid> = (0..DEPARTMENTS).map(|_| Uuid::now_v7()).collect();
    let areas: Vec<Uuid> = (0..40).map(|_| Uuid::now_v7()).collect();
    let associations: Vec<Uuid> = (0..60).map(|_| Uuid::now_v7()).collect();
    let mut seed = Vec::new();
    let hlc = next_hlc();
    for (i, d) in departments.iter().enumerate() {
        seed.push(record(
            "organisation",
            *d,
            hlc,
            json!({"name": format!("Afdeling {i}"), "kind": "department"}),
        ));
    }
    for (i, a) in areas.iter().enumerate() {
        seed.push(record(
            "area",
            *a,
            hlc,
            json!({"name": format!("Kern {i}"), "kind": "core"}),
        ));
    }
    for (i, a) in associations.iter().enumerate() {
        seed.push(record(
            "organisation",
            *a,
            hlc,
            json!({"name": format!("Dorpsraad {i}"), "kind": "dorpsraad"}),
        ));
    }
    let limits = PushLimits {
        now_ms: 4_000_000_000_000,
        max_skew_ms: 300_000,
    };
    let mut seq = 1i64;
    let mut push = |changes: Vec<RecordChange>| {
        let set = PushChangeSet {
            client_seq: seq,
            tx_id: Uuid::now_v7(),
            changes,
        };
        seq += 1;
        set
    };
    storage
        .push(tenant_id, client, vec![push(seed)], limits)
        .await
        .expect("the seed is pushed");
    const STATUSES: [&str; 5] = ["open", "in_progress", "waiting", "done", "cancelled"];
    let mut batch = Vec::new();
    for i in 0..points {
        // A fifth to the first department, the rest spread over the others.
        let owner = if i % 5 == 0 {
            departments[0]
        } else {
            departments[1 + i % (DEPARTMENTS - 1)]
        };
        let status = STATUSES[(i / 7) % 5];
        let due = jiff::civil::date(2024, 1, 1)
            .checked_add(jiff::Span::new().days((i % 1500) as i64))
            .expect("a date");
        batch.push(record(
            "action_point",
            Uuid::now_v7(),
            next_hlc(),
            json!({
                "title": format!("Actiepunt {i}: stoeptegels en lantaarnpalen nakijken"),
                "description": "Gevraagd op de ledenvergadering; de dorpsraad wil graag voor de zomer uitsluitsel.",
                "area_id": areas[i % areas.len()].to_string(),
                "requester_organisation_id": associations[i % associations.len()].to_string(),
                "owner_organisation_id": owner.to_string(),
                "due_date": due.to_string(),
                "status": status,
                "opened_on": "2023-12-01",
            }),
        ));
        if batch.len() == 1000 {
            storage
                .push(
                    tenant_id,
                    client,
                    vec![push(std::mem::take(&mut batch))],
                    limits,
                )
                .await
                .expect("points pushed");
        }
    }
    if !batch.is_empty() {
        storage
            .push(tenant_id, client, vec![push(batch)], limits)
            .await
            .expect("points pushed");
    }
    departments
}

fn admin(db: &str, args: &[&str], input: Option<&str>) -> String {
    let mut child = Command::new(SERVER)
        .args(args)
        .args(["--db", db])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the admin command runs");
    if let (Some(input), Some(mut stdin)) = (input, child.stdin.take()) {
        stdin.write_all(input.as_bytes()).expect("input written");
    }
    let out = child.wait_with_output().expect("it ends");
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn serve(db: &str) -> (Child, String) {
    let mut child = Command::new(SERVER)
        .args(["serve", "--db", db, "--listen", "127.0.0.1:0"])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the server starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("where it listens");
    let url = line.trim().trim_start_matches("listening on ").to_owned();
    (child, url)
}

/// A colleague's browser: a cookie jar of one session.
struct Browser {
    agent: ureq::Agent,
    url: String,
    cookies: HashMap<String, String>,
}

impl Browser {
    fn new(url: &str) -> Browser {
        Browser {
            agent: ureq::Agent::config_builder()
                .http_status_as_error(false)
                .max_redirects(0)
                .build()
                .into(),
            url: url.to_owned(),
            cookies: HashMap::new(),
        }
    }

    fn request(&mut self, path: &str, form: Option<&[(&str, &str)]>) -> (u16, String) {
        let cookie = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        let url = format!("{}{path}", self.url);
        let mut response = match form {
            Some(form) => self
                .agent
                .post(&url)
                .header("cookie", &cookie)
                .send_form(form.iter().copied()),
            None => self.agent.get(&url).header("cookie", &cookie).call(),
        }
        .expect("an answer");
        for value in response.headers().get_all("set-cookie") {
            let pair = value
                .to_str()
                .unwrap_or_default()
                .split(';')
                .next()
                .unwrap_or_default();
            if let Some((k, v)) = pair.split_once('=') {
                self.cookies.insert(k.to_owned(), v.to_owned());
            }
        }
        let status = response.status().as_u16();
        (
            status,
            response.body_mut().read_to_string().unwrap_or_default(),
        )
    }

    fn csrf(body: &str) -> String {
        let at = body.find("name=\"csrf\" value=\"").expect("a form");
        let rest = &body[at + 19..];
        rest[..rest.find('"').expect("end")].to_owned()
    }

    fn sign_in(&mut self, email: &str) {
        let (_, page) = self.request("/aanmelden", None);
        let csrf = Browser::csrf(&page);
        let (status, _) = self.request(
            "/aanmelden",
            Some(&[("csrf", &csrf), ("email", email), ("password", PASSWORD)]),
        );
        assert_eq!(status, 303, "signed in");
    }
}

fn time_pages(browser: &mut Browser, path: &str, n: usize) -> Vec<f64> {
    browser.request(path, None);
    (0..n)
        .map(|_| {
            let started = Instant::now();
            let (status, _) = browser.request(path, None);
            assert_eq!(status, 200, "{path}");
            started.elapsed().as_secs_f64() * 1000.0
        })
        .collect()
}

fn run(db: &str, label: &str, dir: &Path) {
    let points = (200_000.0 * scale()) as usize;
    println!("\n== {label}: {points} action points, {DEPARTMENTS} departments ==");
    let tenant = format!("bench-{}", Uuid::now_v7().simple());
    admin(db, &["tenant", "add", &tenant], None);
    let token = admin(
        db,
        &["user", "add", "--tenant", &tenant, "--name", "anna"],
        None,
    )
    .lines()
    .last()
    .expect("a token")
    .trim()
    .to_owned();
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let started = Instant::now();
    let departments = runtime.block_on(async {
        let storage = Storage::open(db).await.expect("the storage");
        let tenant_id = storage.tenant_id(&tenant).await.expect("the tenant");
        fill(&storage, tenant_id, points).await
    });
    println!("filled in {:.1} s", started.elapsed().as_secs_f64());
    for (i, (name, department)) in [("groot", departments[0]), ("gewoon", departments[1])]
        .into_iter()
        .enumerate()
    {
        let email = format!("collega{i}@{tenant}.example");
        admin(
            db,
            &[
                "user",
                "add",
                "--tenant",
                &tenant,
                "--name",
                name,
                "--department",
                &department.to_string(),
                "--email",
                &email,
            ],
            None,
        );
        admin(
            db,
            &["user", "password", "--tenant", &tenant, "--name", name],
            Some(&format!("{PASSWORD}\n")),
        );
    }
    let (mut server, url) = serve(db);
    let mut large = Browser::new(&url);
    large.sign_in(&format!("collega0@{tenant}.example"));
    let mut typical = Browser::new(&url);
    typical.sign_in(&format!("collega1@{tenant}.example"));
    // The first list of a process reads every action point's four indexed fields once.
    let started = Instant::now();
    let (status, _) = large.request("/", None);
    assert_eq!(status, 200);
    println!(
        "first list page of the process (the tenant's index built): {:.0} ms",
        started.elapsed().as_secs_f64() * 1000.0
    );
    let owned_large = points / 5;
    let owned_typical = (points - owned_large) / (DEPARTMENTS - 1);
    println!(
        "list page, large department ({owned_large} points, {} open): {}",
        owned_large * 3 / 5,
        summary(time_pages(&mut large, "/", 200))
    );
    println!(
        "list page, typical department ({owned_typical} points): {}",
        summary(time_pages(&mut typical, "/", 200))
    );
    println!(
        "list page 40, large department: {}",
        summary(time_pages(&mut large, "/?pagina=40", 100))
    );
    // A point of the large department, from its list.
    let (_, list) = large.request("/", None);
    let at = list.find("/punten/").expect("a point on the list");
    let id = list[at + 8..at + 44].to_owned();
    let point_path = format!("/punten/{id}");
    println!(
        "a point's page: {}",
        summary(time_pages(&mut large, &point_path, 200))
    );

    // A laptop downloads everything, then each web answer reaches it with its next pull.
    let laptop_dir = dir.join(format!("laptop-{label}"));
    let mut store = Store::init(&laptop_dir).expect("a store");
    let mut transport =
        HttpTransport::new(&url, &token, Duration::from_secs(120)).expect("transport");
    let started = Instant::now();
    while store
        .sync_round(&url, &mut transport)
        .expect("the download")
        .pulled_records
        > 0
    {}
    println!(
        "laptop's first download: {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let point = Uuid::parse_str(&id).expect("a point id");
    let (mut web, mut total, mut list_after) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..30 {
        let to = ["in_progress", "waiting"][round % 2];
        let (_, page) = large.request(&point_path, None);
        let csrf = Browser::csrf(&page);
        let started = Instant::now();
        let (status, body) = large.request(
            &format!("{point_path}/status"),
            Some(&[("csrf", &csrf), ("status", to), ("comment", "Gepland.")]),
        );
        assert_eq!(status, 303, "{body}");
        web.push(started.elapsed().as_secs_f64() * 1000.0);
        store.sync_round(&url, &mut transport).expect("the pull");
        total.push(started.elapsed().as_secs_f64() * 1000.0);
        let status = store.get(Entity::ActionPoint, point).expect("the point")["status"].clone();
        assert_eq!(status, json!(to), "the laptop has the answer");
        let started = Instant::now();
        let (status, _) = large.request("/", None);
        assert_eq!(status, 200);
        list_after.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    println!(
        "status change on the web (the form's post): {}",
        summary(web)
    );
    println!(
        "status change from the web into the laptop's store after its next pull: {}",
        summary(total)
    );
    println!(
        "list page, large department, right after each change: {}",
        summary(list_after)
    );
    let _ = server.kill();
    let _ = server.wait();
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let dir = tempfile::tempdir().expect("a folder");
    let db = dir.path().join("server.db").display().to_string();
    run(&db, "SQLite", dir.path());
    if let Ok(url) = std::env::var("WIJKWERK_BENCH_POSTGRES") {
        run(&url, "PostgreSQL", dir.path());
    }
}
