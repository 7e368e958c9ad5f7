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

// The tests' real server process, admin commands and colleague's browser.
#[path = "../tests/common/mod.rs"]
mod common;

use common::department::{address, department_user, Browser, PASSWORD};
use common::{admin, Server};
use serde_json::json;
use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};
use uuid::Uuid;
use wijkwerk_core::sync::http::HttpTransport;
use wijkwerk_core::{Entity, Store};
use wijkwerk_protocol::wire::PushChangeSet;
use wijkwerk_protocol::{Hlc, NodeId, RecordChange, StampedValue};
use wijkwerk_server::storage::PushLimits;
use wijkwerk_server::Storage;

const DEPARTMENTS: usize = 20;

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

fn time_pages(browser: &mut Browser, path: &str, n: usize) -> Vec<f64> {
    browser.get(path);
    (0..n)
        .map(|_| {
            let started = Instant::now();
            let status = browser.get(path).status;
            assert_eq!(status, 200, "{path}");
            started.elapsed().as_secs_f64() * 1000.0
        })
        .collect()
}

fn run(db: &str, label: &str, dir: &Path) {
    let points = (200_000.0 * scale()) as usize;
    println!("\n== {label}: {points} action points, {DEPARTMENTS} departments ==");
    let tenant = format!("bench-{}", Uuid::now_v7().simple());
    admin(db, &["tenant", "add", &tenant]);
    let token = common::user(db, &tenant, "anna", "coordinator");
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
        department_user(
            db,
            &tenant,
            name,
            department,
            &address(&format!("collega{i}"), &tenant),
        );
    }
    let server = Server::start(db);
    let url = server.url.clone();
    // Signing in ends on the list: the first of the process (the server builds the tenant's
    // index when it starts, so this may wait for it).
    let started = Instant::now();
    let mut large = Browser::new(&url);
    let first = large.sign_in(&address("collega0", &tenant), PASSWORD);
    assert_eq!(first.status, 200);
    println!(
        "signing in and the first list page of the process: {:.0} ms",
        started.elapsed().as_secs_f64() * 1000.0
    );
    let mut typical = Browser::new(&url);
    typical.sign_in(&address("collega1", &tenant), PASSWORD);
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
    let list = large.get("/").body;
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
        let csrf = large.get(&point_path).csrf();
        let started = Instant::now();
        let answered = large.post(
            &format!("{point_path}/status"),
            &[("csrf", &csrf), ("status", to), ("comment", "Gepland.")],
        );
        assert_eq!(answered.status, 303, "{}", answered.body);
        web.push(started.elapsed().as_secs_f64() * 1000.0);
        store.sync_round(&url, &mut transport).expect("the pull");
        total.push(started.elapsed().as_secs_f64() * 1000.0);
        let status = store.get(Entity::ActionPoint, point).expect("the point")["status"].clone();
        assert_eq!(status, json!(to), "the laptop has the answer");
        let started = Instant::now();
        assert_eq!(large.get("/").status, 200);
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
    drop(server);
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
