//! Shared by the benchmarks: a large store made through the one write path (100,000 contacts,
//! 20,000 meetings with agenda items and attendance, 200,000 action points with their dated
//! histories), and printing figures as percentiles. Included with `mod support;` (and by path
//! from `crates/documents/benches`).
#![allow(dead_code)]

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Map, Value};
use std::time::{Duration, Instant};
use uuid::Uuid;
use wijkwerk_core::{Entity, Store, Write};

pub const FIRST: &[&str] = &[
    "Anna", "Bram", "Carla", "Daan", "Els", "Fenna", "Gert", "Hanneke", "Ilse", "Joost", "Karin",
    "Lars", "Marloes", "Niels", "Olga", "Pieter", "Renée", "Sanne", "Tijmen", "Ursula", "Vera",
    "Willem", "Yara", "Zoë", "Chloë", "André",
];
pub const LAST: &[&str] = &[
    "de Vries",
    "Jansen",
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
    "Brouwer",
    "de Wit",
    "Dijkstra",
    "Kok",
    "Zeeman",
    "Schouten",
    "van Dijk",
    "Kuiper",
    "Coöper",
];
pub const TOPICS: &[&str] = &[
    "Parkeren",
    "Verkeersveiligheid",
    "Groenonderhoud",
    "Speeltuin",
    "Straatverlichting",
    "Zwerfafval",
    "Hondenpoep",
    "Duinovergang",
    "Fietspad",
    "Bushalte",
    "Woningbouw",
    "Dorpshuis",
    "Jongerenontmoetingsplek",
    "Kermis",
    "Evenementenvergunning",
    "Riolering",
    "Bomenkap",
    "Snelheid",
    "Glasbak",
    "Bankje",
    "Café",
    "Coördinatie",
];

pub fn scale() -> f64 {
    std::env::var("WIJKWERK_BENCH_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1.0)
}

pub fn obj(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

pub fn pick<'a>(rng: &mut StdRng, items: &[&'a str]) -> &'a str {
    items[rng.random_range(0..items.len())]
}

pub struct Percentiles {
    pub p50: Duration,
    pub p95: Duration,
    pub p99: Duration,
}

pub fn percentiles(mut samples: Vec<Duration>) -> Percentiles {
    samples.sort();
    let at = |q: f64| samples[((samples.len() as f64 - 1.0) * q).round() as usize];
    Percentiles {
        p50: at(0.50),
        p95: at(0.95),
        p99: at(0.99),
    }
}

pub fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1000.0)
}

pub fn report(name: &str, samples: Vec<Duration>) -> Percentiles {
    let n = samples.len();
    let p = percentiles(samples);
    println!(
        "{name:<48} p50 {:>10}  p95 {:>10}  p99 {:>10}  (n={n})",
        ms(p.p50),
        ms(p.p95),
        ms(p.p99)
    );
    p
}

/// A municipality with 8 kernen of 4 wijken each, written in one batch; the wijken's ids.
pub fn areas(store: &mut Store) -> Result<Vec<Uuid>, Box<dyn std::error::Error>> {
    let mut batch = Vec::new();
    let municipality = Write::create(
        Entity::Area,
        obj(json!({"name": "Gemeente Bergen", "kind": "municipality"})),
    );
    let municipality_id = municipality.id;
    batch.push(municipality);
    let mut wijken = Vec::new();
    for k in 0..8 {
        let kern = Write::create(
            Entity::Area,
            obj(json!({"name": format!("Kern {k}"), "kind": "core", "parent_id": municipality_id})),
        );
        let kern_id = kern.id;
        batch.push(kern);
        for w in 0..4 {
            let wijk = Write::create(
                Entity::Area,
                obj(
                    json!({"name": format!("Wijk {k}.{w}"), "kind": "district", "parent_id": kern_id, "inhabitants": 500 + 100 * w}),
                ),
            );
            wijken.push(wijk.id);
            batch.push(wijk);
        }
    }
    store.write(batch)?;
    Ok(wijken)
}

/// How the benchmarks open their stores: encrypted (SQLCipher, with the raw key cargo gives
/// through `WIJKWERK_PASSPHRASE`: a random key from the keyring is the same, no derivation), or,
/// built with `--features unencrypted-for-benchmarks`, plain, for the figures without encryption.
pub fn unlock() -> wijkwerk_core::store_key::Unlock {
    #[cfg(feature = "unencrypted-for-benchmarks")]
    return wijkwerk_core::store_key::Unlock::Unencrypted;
    #[cfg(not(feature = "unencrypted-for-benchmarks"))]
    wijkwerk_core::store_key::Unlock::from_environment()
}

/// What the figures were measured on.
pub fn encryption() -> &'static str {
    if cfg!(feature = "unencrypted-for-benchmarks") {
        "plain SQLite (unencrypted-for-benchmarks)"
    } else {
        "encrypted (SQLCipher, AES-256, raw key)"
    }
}

/// The store file opened with SQLite itself (and its key, when encrypted).
#[allow(dead_code)]
pub fn raw_connection(file: &std::path::Path) -> rusqlite::Result<rusqlite::Connection> {
    let conn = rusqlite::Connection::open(file)?;
    if !cfg!(feature = "unencrypted-for-benchmarks") {
        if let Ok(key) = std::env::var(wijkwerk_core::store_key::PASSPHRASE_ENV) {
            conn.pragma_update(None, "key", key)?;
        }
    }
    Ok(conn)
}

pub fn generate(
    dir: &std::path::Path,
    n_contacts: usize,
    n_meetings: usize,
    n_actions: usize,
    n_orgs: usize,
    today: jiff::civil::Date,
) -> Result<Vec<Uuid>, Box<dyn std::error::Error>> {
    println!("generating: {n_contacts} contacts, {n_meetings} meetings, {n_actions} action points");
    let mut store = Store::init_with(dir, &unlock())?;
    let started = Instant::now();
    let mut rng = StdRng::seed_from_u64(373);

    let wijken = areas(&mut store)?;

    let mut orgs = Vec::with_capacity(n_orgs);
    for chunk in (0..n_orgs).collect::<Vec<_>>().chunks(1000) {
        let mut batch = Vec::new();
        for i in chunk {
            let kind = if i % 10 == 0 {
                "department"
            } else {
                "wijkvereniging"
            };
            let area = wijken[rng.random_range(0..wijken.len())];
            let w = Write::create(
                Entity::Organisation,
                obj(
                    json!({"name": format!("Vereniging {} {i}", pick(&mut rng, TOPICS)), "kind": kind, "area_ids": [area], "board_size": 5}),
                ),
            );
            orgs.push(w.id);
            batch.push(w);
        }
        store.write(batch)?;
    }

    let mut contacts = Vec::with_capacity(n_contacts);
    for chunk in (0..n_contacts).collect::<Vec<_>>().chunks(1000) {
        let mut batch = Vec::new();
        for i in chunk {
            let first = pick(&mut rng, FIRST);
            let last = pick(&mut rng, LAST);
            let w = Write::create(
                Entity::Contact,
                obj(json!({
                    "name": format!("{first} {last}"),
                    "email": format!("{}.{}{i}@example.nl", first.to_lowercase(), last.replace(' ', "").to_lowercase()),
                    "phone": format!("06-{:08}", rng.random_range(0..100_000_000)),
                    "notes": format!("Betrokken bij {}", pick(&mut rng, TOPICS)),
                })),
            );
            contacts.push(w.id);
            batch.push(w);
            // One in five has a role in an organisation.
            if i % 5 == 0 {
                batch.push(Write::create(Entity::Role, obj(json!({
                    "contact_id": contacts[contacts.len() - 1], "organisation_id": orgs[rng.random_range(0..orgs.len())],
                    "kind": pick(&mut rng, &["chair", "secretary", "treasurer", "board_member", "member"]),
                    "start_date": format!("20{:02}-0{}-01", rng.random_range(10..26), rng.random_range(1..10)),
                }))));
            }
        }
        store.write(batch)?;
    }
    let t_contacts = started.elapsed();

    let mut agenda_items = Vec::new();
    for chunk in (0..n_meetings).collect::<Vec<_>>().chunks(500) {
        let mut batch = Vec::new();
        for i in chunk {
            let day = today.checked_sub(jiff::Span::new().days(rng.random_range(-90..640)))?;
            let org = orgs[rng.random_range(0..orgs.len())];
            let m = Write::create(
                Entity::Meeting,
                obj(json!({
                    "kind": pick(&mut rng, &["ledenvergadering", "kernoverleg", "bestuursoverleg"]),
                    "title": format!("Ledenvergadering {i}"), "organisation_id": org,
                    "starts_at": format!("{day}T19:30"), "ends_at": format!("{day}T21:30"),
                    "location": "Dorpshuis",
                    "status": if day < today { "held" } else { "planned" },
                })),
            );
            let meeting_id = m.id;
            batch.push(m);
            for p in 0..5 {
                let item = Write::create(
                    Entity::AgendaItem,
                    obj(json!({
                        "meeting_id": meeting_id, "position": p, "title": pick(&mut rng, TOPICS),
                        "minutes": format!("Besproken: {} en {}.", pick(&mut rng, TOPICS), pick(&mut rng, TOPICS)),
                    })),
                );
                agenda_items.push(item.id);
                batch.push(item);
            }
            for _ in 0..5 {
                batch.push(Write::create(Entity::Attendance, obj(json!({
                    "meeting_id": meeting_id, "contact_id": contacts[rng.random_range(0..contacts.len())],
                    "status": pick(&mut rng, &["present", "absent", "excused"]),
                }))));
            }
        }
        store.write(batch)?;
    }
    let t_meetings = started.elapsed();

    for chunk in (0..n_actions).collect::<Vec<_>>().chunks(1000) {
        let mut batch = Vec::new();
        for _ in chunk {
            let opened = today.checked_sub(jiff::Span::new().days(rng.random_range(0..700)))?;
            let due = opened.checked_add(jiff::Span::new().days(rng.random_range(7..120)))?;
            let status = pick(
                &mut rng,
                &[
                    "open",
                    "in_progress",
                    "waiting",
                    "done",
                    "done",
                    "done",
                    "cancelled",
                ],
            );
            let point = Write::create(
                Entity::ActionPoint,
                obj(json!({
                    "title": format!("{} {}", pick(&mut rng, TOPICS), pick(&mut rng, LAST)),
                    "description": format!("Vraag over {}", pick(&mut rng, TOPICS)),
                    "area_id": wijken[rng.random_range(0..wijken.len())],
                    "source_agenda_item_id": agenda_items[rng.random_range(0..agenda_items.len())],
                    "requester_organisation_id": orgs[rng.random_range(0..orgs.len())],
                    "owner_organisation_id": orgs[rng.random_range(0..orgs.len())],
                    "requester_contact_id": contacts[rng.random_range(0..contacts.len())],
                    "due_date": due.to_string(), "opened_on": opened.to_string(),
                    "status": status,
                })),
            );
            // Its history, dated: opened, and (unless still open) changed some days later.
            let id = point.id;
            batch.push(point);
            batch.push(Write::create(
                Entity::ActionPointEvent,
                obj(json!({
                    "action_point_id": id, "kind": "status_change", "to_status": "open",
                    "at": format!("{opened}T09:00:00Z"),
                })),
            ));
            if status != "open" {
                let changed = opened
                    .checked_add(jiff::Span::new().days(rng.random_range(1..150)))?
                    .min(today);
                let comment = (rng.random_range(0..4) > 0)
                    .then(|| format!("Opgepakt: {}", pick(&mut rng, TOPICS)));
                batch.push(Write::create(Entity::ActionPointEvent, obj(json!({
                    "action_point_id": id, "kind": "status_change", "from_status": "open",
                    "to_status": status, "at": format!("{changed}T15:00:00Z"), "comment": comment,
                }))));
            }
        }
        store.write(batch)?;
    }
    let generated = started.elapsed();
    drop(store);
    let file = dir.join(wijkwerk_core::store::DATA_FILE);
    {
        let conn = raw_connection(&file)?;
        conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")?;
    }
    let size = std::fs::metadata(&file)?.len();
    println!(
        "generate store                                   {:.1} s (contacts {:.1} s, meetings {:.1} s, action points {:.1} s)",
        generated.as_secs_f64(),
        t_contacts.as_secs_f64(),
        (t_meetings - t_contacts).as_secs_f64(),
        (generated - t_meetings).as_secs_f64()
    );
    println!(
        "store file size                                  {:.1} MB",
        size as f64 / 1e6
    );

    Ok(contacts)
}
