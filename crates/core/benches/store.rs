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

use serde_json::json;
use std::time::Instant;
use uuid::Uuid;
use wijkwerk_core::action_points::OverdueCursor;
use wijkwerk_core::{Entity, Store};

mod support;

use support::{encryption, generate, obj, raw_connection, report, scale, unlock};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let scale = scale();
    let n_contacts = (100_000.0 * scale) as usize;
    let n_meetings = (20_000.0 * scale) as usize;
    let n_actions = (200_000.0 * scale) as usize;
    let n_orgs = (2_000.0 * scale).max(10.0) as usize;
    let today: jiff::civil::Date = "2026-11-24".parse()?;
    println!("Wijkwerk store benchmark (scale {scale}), {}", encryption());
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
    let mut store = Store::open_with(dir, &unlock())?;
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
    let plain_conn = raw_connection(&file)?;
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

    // The retention review (AVG): one scan of everyone's involvement; and one inzage.
    let mut samples = Vec::new();
    let mut proposed = 0;
    for _ in 0..5 {
        let t = Instant::now();
        let review = store.retention_review(today)?;
        samples.push(t.elapsed());
        proposed = review.candidates.len();
    }
    println!("retention review: {proposed} contacts proposed");
    report("retention review (whole store)", samples);
    let mut samples = Vec::new();
    for id in with_role.iter().take(100) {
        let t = Instant::now();
        let access = store.subject_access(*id, today)?;
        samples.push(t.elapsed());
        std::hint::black_box(access);
    }
    report("inzage of a contact with a role (no document)", samples);

    // Erasure (AVG art. 17): one write, the purge of the person's history (the outbox and the
    // import log are searched for the id), and a WAL checkpoint. Contacts with a role, not
    // erased by an earlier run on a kept store.
    let mut samples = Vec::new();
    for id in with_role.iter().skip(100) {
        if samples.len() == 20 {
            break;
        }
        if !store.get(Entity::Contact, *id)?["erased_on"].is_null() {
            continue;
        }
        let t = Instant::now();
        let erased = store.erase_contact(*id)?;
        samples.push(t.elapsed());
        std::hint::black_box(erased);
    }
    report(
        "erase a contact with a role (write, purge, checkpoint)",
        samples,
    );
    Ok(())
}

fn existing_contacts(dir: &std::path::Path) -> Result<Vec<Uuid>, Box<dyn std::error::Error>> {
    let store = Store::open_with(dir, &unlock())?;
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
