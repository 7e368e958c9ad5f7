//! Benchmark of contact lists in (prints figures; not a test).
//!
//! A store of 100,000 contacts (with their organisations and roles, made through the one write
//! path) and a list of 10,000 rows as Dutch Excel saves it (`;`, Windows-1252): one in ten is
//! someone in the store (the same e-mail address, or the same mobile number written another
//! way), one in twenty someone earlier in the list, a fifth hold a function in an association.
//! Measured:
//! - the preview of the first 100 rows (read, map, build, duplicate check against the store;
//!   goal at most 100 ms): the dialog's first, which reads the store's people, and the next ones
//!   (a column or a duplicate's choice changed), which use them as kept; then the check of every
//!   row, which the dialog runs after showing the first rows;
//! - the import of the 10,000 rows with the duplicate check, as one batch (goal at most 2 s),
//!   and its undo;
//! - the preview of a 50 MB list (about 250,000 rows), the largest a coordinator could hand it.
//!
//! Run: `cargo bench -p wijkwerk-core --bench import`. Scale with WIJKWERK_BENCH_SCALE=0.1.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::time::Instant;
use wijkwerk_core::import::{ListImportRequest, Resolution};
use wijkwerk_core::Store;

mod support;

use support::{generate, pick, report, scale, FIRST, LAST};

const ROWS: usize = 10_000;

/// A list of `rows` rows, in Windows-1252 (as Dutch Excel's "CSV (gescheiden door
/// lijstscheidingsteken)").
fn list(rows: usize, known: &[(String, String)], seed: u64) -> Vec<u8> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut text = String::from(
        "Voornaam;Tussenvoegsel;Achternaam;E-mailadres;Mobiel;Straat;Postcode;Woonplaats;Organisatie;Functie;Lid sinds\r\n",
    );
    let places = ["Bergen", "Schoorl", "Groet", "Egmond aan Zee", "Camperduin"];
    let functions = [
        "Voorzitter",
        "Secretaris",
        "Penningmeester",
        "Bestuurslid",
        "Lid",
    ];
    let mut earlier: Vec<String> = Vec::new();
    for i in 0..rows {
        let roll = rng.random_range(0..100);
        let line = if roll < 10 && !known.is_empty() {
            // Someone in the store: the same address, or the same number written otherwise.
            let (email, phone) = &known[rng.random_range(0..known.len())];
            if roll < 5 {
                format!("Iemand;;Bekend;{email};;;;;;;\r\n")
            } else {
                let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
                format!("Iemand;;Bekend;;+31 {};;;;;;\r\n", &digits[1..])
            }
        } else if roll < 15 && !earlier.is_empty() {
            earlier[rng.random_range(0..earlier.len())].clone()
        } else {
            let first = pick(&mut rng, FIRST);
            let last = pick(&mut rng, LAST);
            let (infix, family) = match last.rsplit_once(' ') {
                Some((infix, family)) => (infix, family),
                None => ("", last),
            };
            let org = if roll < 35 {
                format!(
                    "Dorpsraad {};{};{:02}-{:02}-20{:02}",
                    places[rng.random_range(0..places.len())],
                    functions[rng.random_range(0..functions.len())],
                    rng.random_range(1..29),
                    rng.random_range(1..13),
                    rng.random_range(10..26)
                )
            } else {
                ";;".to_owned()
            };
            let line = format!(
                "{first};{infix};{family};{}.{}{i}@lijst.example.nl;06 {:04} {:04};Dorpsstraat {};{} {}{};{};{org}\r\n",
                first.to_lowercase(),
                family.to_lowercase(),
                rng.random_range(0..10_000),
                rng.random_range(0..10_000),
                rng.random_range(1..200),
                rng.random_range(1000..10_000),
                (b'A' + rng.random_range(0..26)) as char,
                (b'A' + rng.random_range(0..26)) as char,
                places[rng.random_range(0..places.len())],
            );
            earlier.push(line.clone());
            line
        };
        text.push_str(&line);
    }
    let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode(&text);
    bytes.into_owned()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let scale = scale();
    let n_contacts = (100_000.0 * scale) as usize;
    let rows = ((ROWS as f64) * scale).max(100.0) as usize;
    let dir = tempfile::tempdir()?;
    let today: jiff::civil::Date = "2026-12-07".parse()?;
    generate(
        dir.path(),
        n_contacts,
        0,
        0,
        (2_000.0 * scale).max(10.0) as usize,
        today,
    )?;
    let mut store = Store::open(dir.path())?;

    // The e-mail addresses and numbers of some stored contacts, for the list's duplicates.
    let mut known = Vec::new();
    let page = store.list(wijkwerk_core::Entity::Contact, None, 2_000)?;
    for contact in page.items {
        if let (Some(email), Some(phone)) = (contact["email"].as_str(), contact["phone"].as_str()) {
            known.push((email.to_owned(), phone.to_owned()));
        }
    }
    let bytes = list(rows, &known, 7);
    println!(
        "list: {rows} rows, {:.1} MB; store: {n_contacts} contacts",
        bytes.len() as f64 / 1e6
    );

    let request = ListImportRequest {
        file_name: Some("leden.csv".into()),
        duplicates: Resolution::Merge,
        today: Some(today),
        preview_rows: Some(100),
        ..ListImportRequest::default()
    };
    // The dialog first shows the first 100 rows checked, then the whole list checked. The first
    // preview of a list reads the store's people; every preview after it (a column or a
    // duplicate's choice changed) uses them as kept, while the store does not change.
    let first_rows = ListImportRequest {
        check_rows: Some(100),
        ..request.clone()
    };
    let mut first_cold = Vec::new();
    let mut first_warm = Vec::new();
    let mut whole = Vec::new();
    let mut counts = None;
    for _ in 0..20 {
        store.forget_import_index();
        let started = Instant::now();
        store.import_preview(&bytes, &first_rows)?;
        first_cold.push(started.elapsed());
        let started = Instant::now();
        store.import_preview(&bytes, &first_rows)?;
        first_warm.push(started.elapsed());
        let started = Instant::now();
        let preview = store.import_preview(&bytes, &request)?;
        whole.push(started.elapsed());
        counts = Some(preview.counts);
    }
    report(
        "preview of the first 100 rows, the store's people read",
        first_cold,
    );
    report("preview of the first 100 rows, people kept", first_warm);
    report("preview of all 10,000 rows checked, people kept", whole);
    if let Some(c) = counts {
        println!(
            "  the list: {} new, {} merged, {} duplicates, {} refused, {} new organisations, {} roles",
            c.new, c.merged, c.duplicates, c.refused, c.organisations_new, c.roles_new
        );
    }
    let mut imports = Vec::new();
    let mut undos = Vec::new();
    for _ in 0..5 {
        let started = Instant::now();
        let report = store.import_list(&bytes, &request)?;
        imports.push(started.elapsed());
        let started = Instant::now();
        if let Some(batch) = report.batch_id {
            store.import_undo(&batch)?;
        }
        undos.push(started.elapsed());
    }
    report("import of the list, duplicates checked", imports);
    report("undo of that import", undos);

    // The largest list a coordinator could hand it: about 50 MB.
    let big_rows = ((250_000.0 * scale) as usize).max(1_000);
    let big = list(big_rows, &known, 11);
    let started = Instant::now();
    let preview = store.import_preview(&big, &request)?;
    println!(
        "preview of a {:.0} MB list ({big_rows} rows)              {:.2} s ({} rows checked)",
        big.len() as f64 / 1e6,
        started.elapsed().as_secs_f64(),
        preview.counts.rows
    );
    Ok(())
}
