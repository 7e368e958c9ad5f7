//! Benchmark of the local store (prints figures; not a test).
//!
//! Builds a store of 100,000 contacts, 20,000 meetings with agenda items and attendance, and
//! 200,000 action points through the one write path, then measures:
//! - a write through the one door vs a plain insert of the same row;
//! - search (common words, rare words, short prefixes, two words);
//! - one page of the overdue list (first page and deep pages);
//! - a contact's page with roles, meetings and action points.
//!
//! Run: `cargo bench -p wijkwerk-core --bench store`. Scale with WIJKWERK_BENCH_SCALE=0.1.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Map, Value};
use std::time::{Duration, Instant};
use uuid::Uuid;
use wijkwerk_core::action_points::OverdueCursor;
use wijkwerk_core::{Entity, Store, Write};

const FIRST: &[&str] = &[
    "Anna", "Bram", "Carla", "Daan", "Els", "Fenna", "Gert", "Hanneke", "Ilse", "Joost", "Karin",
    "Lars", "Marloes", "Niels", "Olga", "Pieter", "Renée", "Sanne", "Tijmen", "Ursula", "Vera",
    "Willem", "Yara", "Zoë", "Chloë", "André",
];
const LAST: &[&str] = &[
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
const TOPICS: &[&str] = &[
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

fn scale() -> f64 {
    std::env::var("WIJKWERK_BENCH_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1.0)
}

fn obj(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

fn pick<'a>(rng: &mut StdRng, items: &[&'a str]) -> &'a str {
    items[rng.random_range(0..items.len())]
}

struct Percentiles {
    p50: Duration,
    p95: Duration,
    p99: Duration,
}

fn percentiles(mut samples: Vec<Duration>) -> Percentiles {
    samples.sort();
    let at = |q: f64| samples[((samples.len() as f64 - 1.0) * q).round() as usize];
    Percentiles {
        p50: at(0.50),
        p95: at(0.95),
        p99: at(0.99),
    }
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1000.0)
}

fn report(name: &str, samples: Vec<Duration>) -> Percentiles {
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

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let scale = scale();
    let n_contacts = (100_000.0 * scale) as usize;
    let n_meetings = (20_000.0 * scale) as usize;
    let n_actions = (200_000.0 * scale) as usize;
    let n_orgs = (2_000.0 * scale).max(10.0) as usize;
    let today: jiff::civil::Date = "2026-11-24".parse()?;
    println!("Wijkwerk store benchmark (scale {scale})");
    let temp = tempfile::tempdir()?;
    // WIJKWERK_BENCH_DIR keeps the generated store for a look afterwards.
    let dir_path = std::env::var_os("WIJKWERK_BENCH_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| temp.path().to_path_buf());
    let dir = dir_path.as_path();
    // An existing store in WIJKWERK_BENCH_DIR is measured again without generating it anew.
    let reuse = dir.join(wijkwerk_core::store::DATA_FILE).exists();
    let file = dir.join(wijkwerk_core::store::DATA_FILE);
    let contacts = if reuse {
        println!("measuring the existing store in {}", dir.display());
        existing_contacts(dir)?
    } else {
        generate(dir, n_contacts, n_meetings, n_actions, n_orgs, today)?
    };
    let mut store = Store::open(dir)?;
    println!("(outbox holds {} transactions)", store.outbox_len()?);

    // A write through the one door vs a plain insert of the same row.
    let rounds = 2000;
    let mut door = Vec::with_capacity(rounds);
    for i in 0..rounds {
        let fields = obj(
            json!({"name": format!("Nieuwe Bewoner {i}"), "email": format!("nieuw{i}@example.nl"), "phone": "06-12345678", "notes": "Aangemeld bij de ledenvergadering"}),
        );
        let t = Instant::now();
        store.create(Entity::Contact, fields)?;
        door.push(t.elapsed());
    }
    let door = report("write: one door (contact, own transaction)", door);
    let plain_conn = rusqlite::Connection::open(&file)?;
    plain_conn.pragma_update(None, "synchronous", "NORMAL")?;
    let mut plain = Vec::with_capacity(rounds);
    for i in 0..rounds {
        let t = Instant::now();
        let tx = plain_conn.unchecked_transaction()?;
        tx.prepare_cached(
            "INSERT INTO contact (id, name, email, phone, notes) VALUES (?1, ?2, ?3, ?4, ?5)",
        )?
        .execute((
            Uuid::now_v7().to_string(),
            format!("Gewone Bewoner {i}"),
            format!("gewoon{i}@example.nl"),
            "06-12345678",
            "Aangemeld bij de ledenvergadering",
        ))?;
        tx.commit()?;
        plain.push(t.elapsed());
    }
    let plain = report("write: plain INSERT of the same row", plain);
    println!(
        "write: one door / plain insert                   p50 {:.2}x  p95 {:.2}x",
        door.p50.as_secs_f64() / plain.p50.as_secs_f64(),
        door.p95.as_secs_f64() / plain.p95.as_secs_f64()
    );
    drop(plain_conn);

    // Search.
    let queries = [
        "de",
        "bakker",
        "zee",
        "parkeren",
        "cafe",
        "coordinatie",
        "anna bakker",
        "vereniging speeltuin",
        "ko",
        "zwerfafval dekker",
        "xyzzy",
    ];
    let mut all = Vec::new();
    for q in queries {
        let mut samples = Vec::new();
        for _ in 0..30 {
            let t = Instant::now();
            let hits = store.search(q, 20)?;
            samples.push(t.elapsed());
            std::hint::black_box(hits);
        }
        all.extend(samples.iter().copied());
        report(&format!("search {q:?}"), samples);
    }
    report("search: all queries", all);

    // The overdue list.
    let mut first = Vec::new();
    let mut deep = Vec::new();
    let mut cursor: Option<OverdueCursor> = None;
    for i in 0..300 {
        let t = Instant::now();
        let page = store.overdue(today, cursor.as_ref(), 50)?;
        let took = t.elapsed();
        if i % 30 == 0 {
            first.push(took)
        } else {
            deep.push(took)
        }
        cursor = page.last().map(|a| OverdueCursor {
            due_date: a.due_date.clone().unwrap_or_default(),
            id: a.id.clone(),
        });
        if i % 30 == 29 {
            cursor = None;
        }
    }
    println!("overdue action points: {}", store.overdue_count(today)?);
    report("overdue list: first page of 50", first);
    report("overdue list: next pages of 50 (keyset)", deep);

    // A contact's page.
    let mut samples = Vec::new();
    for i in 0..500 {
        let id = contacts[(i * 997) % contacts.len()];
        let t = Instant::now();
        let page = store.contact_page(id, today)?;
        samples.push(t.elapsed());
        std::hint::black_box(page);
    }
    report("contact page (roles, meetings, action points)", samples);
    let with_role: Vec<Uuid> = store
        .list(Entity::Role, None, 500)?
        .items
        .iter()
        .filter_map(|r| {
            r["contact_id"]
                .as_str()
                .and_then(|s| Uuid::parse_str(s).ok())
        })
        .collect();
    let mut samples = Vec::new();
    for id in &with_role {
        let t = Instant::now();
        let page = store.contact_page(*id, today)?;
        samples.push(t.elapsed());
        std::hint::black_box(page);
    }
    report("contact page, contacts with a role", samples);
    Ok(())
}

fn existing_contacts(dir: &std::path::Path) -> Result<Vec<Uuid>, Box<dyn std::error::Error>> {
    let store = Store::open(dir)?;
    let mut ids = Vec::new();
    let mut after = None;
    loop {
        let page = store.list(Entity::Contact, after, 10_000)?;
        ids.extend(
            page.items
                .iter()
                .filter_map(|c| c["id"].as_str())
                .filter_map(|s| Uuid::parse_str(s).ok()),
        );
        match page.next {
            Some(next) => after = Some(Uuid::parse_str(&next)?),
            None => break,
        }
    }
    Ok(ids)
}

fn generate(
    dir: &std::path::Path,
    n_contacts: usize,
    n_meetings: usize,
    n_actions: usize,
    n_orgs: usize,
    today: jiff::civil::Date,
) -> Result<Vec<Uuid>, Box<dyn std::error::Error>> {
    println!("generating: {n_contacts} contacts, {n_meetings} meetings, {n_actions} action points");
    let mut store = Store::init(dir)?;
    let started = Instant::now();
    let mut rng = StdRng::seed_from_u64(373);

    // Areas: a municipality, 8 kernen, 4 wijken each.
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
            batch.push(Write::create(Entity::ActionPoint, obj(json!({
                "title": format!("{} {}", pick(&mut rng, TOPICS), pick(&mut rng, LAST)),
                "description": format!("Vraag over {}", pick(&mut rng, TOPICS)),
                "area_id": wijken[rng.random_range(0..wijken.len())],
                "source_agenda_item_id": agenda_items[rng.random_range(0..agenda_items.len())],
                "requester_organisation_id": orgs[rng.random_range(0..orgs.len())],
                "owner_organisation_id": orgs[rng.random_range(0..orgs.len())],
                "requester_contact_id": contacts[rng.random_range(0..contacts.len())],
                "due_date": due.to_string(), "opened_on": opened.to_string(),
                "status": pick(&mut rng, &["open", "in_progress", "waiting", "done", "done", "done", "cancelled"]),
            }))));
        }
        store.write(batch)?;
    }
    let generated = started.elapsed();
    drop(store);
    let file = dir.join(wijkwerk_core::store::DATA_FILE);
    {
        let conn = rusqlite::Connection::open(&file)?;
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
