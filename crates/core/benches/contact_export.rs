//! Benchmark of the contact export (prints figures; not a test): 100,000 contacts with a full
//! address, a mobile number and notes, 2,000 organisations, one contact in five with a role (one
//! in fifty with two), written through the one write path; then every contact exported to CSV,
//! XLSX and vCard 3.0, and an area's role holders and a board, each timed, with the peak of the
//! heap during the export (counted by this benchmark's allocator: what the export itself holds)
//! and, on Linux, the peak resident size of the process (SQLite's page cache included).
//!
//! Run: `cargo bench -p wijkwerk-core --bench contact_export`. Scale with
//! WIJKWERK_BENCH_SCALE=0.1; keep the generated store for the next run with
//! WIJKWERK_BENCH_DIR=DIR.

mod support;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::json;
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;
use support::{obj, pick, report, scale, FIRST, LAST, TOPICS};
use wijkwerk_core::contact_export::{ExportScope, ListFormat};
use wijkwerk_core::{Entity, Store, Write};

/// The system allocator, counting the bytes held now and the most held since the last reset.
struct Counting;

static HELD: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's layout is passed on unchanged.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let now = HELD.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by `alloc` above with this layout.
        unsafe { System.dealloc(ptr, layout) };
        HELD.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: as for `alloc` and `dealloc`.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            if new_size >= layout.size() {
                let grown = new_size - layout.size();
                let now = HELD.fetch_add(grown, Ordering::Relaxed) + grown;
                PEAK.fetch_max(now, Ordering::Relaxed);
            } else {
                HELD.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Starts a measurement: the heap's peak set to what is held now, Linux's peak RSS reset.
fn reset_peaks() -> usize {
    let held = HELD.load(Ordering::Relaxed);
    PEAK.store(held, Ordering::Relaxed);
    // "5" resets the peak resident set size (VmHWM) to the current one (Linux 4.0 and later).
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    held
}

/// Linux's peak resident set size of this process (VmHWM), in bytes.
fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

fn mb(bytes: f64) -> String {
    format!("{:.1} MB", bytes / 1e6)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let scale = scale();
    let today: jiff::civil::Date = "2026-11-24".parse()?;
    println!("Wijkwerk contact export benchmark (scale {scale})");
    let temp = tempfile::tempdir()?;
    let dir = std::env::var_os("WIJKWERK_BENCH_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| temp.path().to_path_buf());
    let store = if dir.join("wijkwerk.sqlite3").is_file() {
        println!("using the store in {}", dir.display());
        Store::open(&dir)?
    } else {
        std::fs::create_dir_all(&dir)?;
        generate(
            &dir,
            (100_000.0 * scale) as usize,
            (2_000.0 * scale).max(10.0) as usize,
        )?
    };
    println!(
        "{} contacts, {} organisations, {} roles",
        store.count(Entity::Contact)?,
        store.count(Entity::Organisation)?,
        store.count(Entity::Role)?
    );
    let areas = store.area_tree()?;
    let kern = areas
        .iter()
        .find(|a| a.kind == "core")
        .map(|a| a.id.clone())
        .unwrap_or_default();
    let organisation = store
        .list(Entity::Organisation, None, 1)?
        .items
        .first()
        .and_then(|o| o.get("id").and_then(|v| v.as_str()).map(str::to_owned))
        .unwrap_or_default();

    let cases: [(&str, ExportScope, ListFormat, usize); 7] = [
        (
            "all contacts, CSV",
            ExportScope::all_contacts(),
            ListFormat::Csv,
            5,
        ),
        (
            "all contacts, XLSX",
            ExportScope::all_contacts(),
            ListFormat::Xlsx,
            3,
        ),
        (
            "all contacts, vCard 3.0",
            ExportScope::all_contacts(),
            ListFormat::Vcard3,
            5,
        ),
        (
            "contacts found by a word (\"jansen\"), CSV",
            ExportScope::Contacts {
                text: Some("jansen".into()),
                organisation_id: None,
            },
            ListFormat::Csv,
            5,
        ),
        (
            "an area's role holders (a kern, 4 wijken), CSV",
            ExportScope::Area { area_id: kern },
            ListFormat::Csv,
            5,
        ),
        (
            "the organisations, XLSX",
            ExportScope::Organisations {
                text: None,
                kind: None,
                area_id: None,
            },
            ListFormat::Xlsx,
            5,
        ),
        (
            "one board, CSV",
            ExportScope::Board {
                organisation_id: organisation,
                all_roles: false,
            },
            ListFormat::Csv,
            20,
        ),
    ];
    for (name, scope, format, rounds) in cases {
        let mut samples = Vec::with_capacity(rounds);
        let mut heap = 0;
        let mut rss = 0;
        let mut last = None;
        for _ in 0..rounds {
            let base = reset_peaks();
            let t = Instant::now();
            let export = store.export_list(&scope, format, today)?;
            samples.push(t.elapsed());
            heap = heap.max(PEAK.load(Ordering::Relaxed) - base);
            rss = rss.max(peak_rss().unwrap_or(0));
            last = Some(export);
        }
        report(name, samples);
        if let Some(export) = last {
            println!(
                "  ({} rows, file {}, heap peak {} above before, process peak RSS {})",
                export.rows,
                mb(export.bytes.len() as f64),
                mb(heap as f64),
                if rss > 0 {
                    mb(rss as f64)
                } else {
                    "not measured".into()
                }
            );
        }
    }
    Ok(())
}

/// A municipality with 8 kernen of 4 wijken, `n_orgs` associations (one in ten a department),
/// `n_contacts` contacts with every field, and roles: one contact in five has one, one in fifty
/// a second, one in ten of the roles ended last year.
fn generate(
    dir: &std::path::Path,
    n_contacts: usize,
    n_orgs: usize,
) -> Result<Store, Box<dyn std::error::Error>> {
    println!("generating: {n_contacts} contacts, {n_orgs} organisations");
    let started = Instant::now();
    let mut store = Store::init(dir)?;
    let mut rng = StdRng::seed_from_u64(14);
    let wijken = support::areas(&mut store)?;
    let mut orgs = Vec::with_capacity(n_orgs);
    for chunk in (0..n_orgs).collect::<Vec<_>>().chunks(1000) {
        let mut batch = Vec::new();
        for i in chunk {
            let kind = if i % 10 == 0 {
                "department"
            } else {
                "wijkvereniging"
            };
            let w = Write::create(
                Entity::Organisation,
                obj(json!({
                    "name": format!("Vereniging {} {i}", pick(&mut rng, TOPICS)), "kind": kind,
                    "area_ids": [wijken[rng.random_range(0..wijken.len())]], "board_size": 5,
                    "email": format!("info{i}@vereniging.example"),
                })),
            );
            orgs.push(w.id);
            batch.push(w);
        }
        store.write(batch)?;
    }
    let kinds = ["chair", "secretary", "treasurer", "board_member", "member"];
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
                    "phone": format!("072-{:07}", rng.random_range(0..10_000_000)),
                    "mobile": format!("06-{:08}", rng.random_range(0..100_000_000)),
                    "address": format!("{}straat {}", pick(&mut rng, TOPICS), 1 + i % 200),
                    "postcode": format!("{} {}{}", 1000 + i % 9000, char::from(b'A' + (i % 26) as u8), char::from(b'A' + (i / 26 % 26) as u8)),
                    "city": "Bergen",
                    "notes": format!("Betrokken bij {}; belt liever 's avonds.", pick(&mut rng, TOPICS)),
                })),
            );
            let contact = w.id;
            batch.push(w);
            let roles = match i % 50 {
                0 => 2,
                _ if i % 5 == 0 => 1,
                _ => 0,
            };
            for r in 0..roles {
                let ended = rng.random_range(0..10) == 0;
                batch.push(Write::create(
                    Entity::Role,
                    obj(json!({
                        "contact_id": contact, "organisation_id": orgs[rng.random_range(0..orgs.len())],
                        "kind": kinds[(i / 5 + r) % kinds.len()],
                        "start_date": format!("20{:02}-0{}-01", rng.random_range(10..26), rng.random_range(1..10)),
                        "end_date": ended.then_some("2025-12-31"),
                    })),
                ));
            }
        }
        store.write(batch)?;
    }
    println!(
        "generate store                                   {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(store)
}
