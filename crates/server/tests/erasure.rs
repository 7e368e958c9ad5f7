//! Erasure that reaches every replica (AVG art. 17), with real processes: a server and three
//! laptops, one of them offline while the person is erased. Afterwards every file of every
//! replica is searched for every value the person ever had: the server's database and WAL as
//! they are on disk, and each laptop's encrypted store and WAL decrypted page by page, free
//! pages included. Before the erasure the same search finds them (so it can fail).
//!
//! The server runs on its embedded SQLite, or on PostgreSQL when `WIJKWERK_TEST_POSTGRES` is
//! set; PostgreSQL's files are not searched (docs/avg.md says what remains there), its state is.

mod common;

use aho_corasick::AhoCorasick;
use common::{database, decrypted_store_bytes, tenant_with_user, Laptop, Server};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::time::Duration;
use wijkwerk_core::sync::http::HttpTransport;
use wijkwerk_core::sync::Transport;
use wijkwerk_core::{Entity, Fields};
use wijkwerk_protocol::wire::Cursor;

fn fields(value: Value) -> Fields {
    match value {
        Value::Object(map) => map,
        _ => Fields::new(),
    }
}

/// Every value the person has had somewhere, as it would sit in a file (the search ignores
/// case: the search index keeps words in lower case).
const PERSON: &[&str] = &[
    "Vrijdagmarkt",
    "zwaantje.vrijdagmarkt@voorbeeldpost.nl",
    "voorbeeldpost",
    "48213579",
    "97531864",
    "86420975",
    "Klaproosstraat",
    "Speeltuinplan",
    "Kwartiermaker",
    "Dinsdagochtend",
    "Donderdagavond",
    "Zondagmiddag",
    "Zuiderhoutstad",
];

/// The needles found in some bytes.
fn found_in(bytes: &[u8]) -> Vec<&'static str> {
    let finder = AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .build(PERSON)
        .expect("the needles");
    let mut found: Vec<&str> = finder
        .find_overlapping_iter(bytes)
        .map(|m| PERSON[m.pattern().as_usize()])
        .collect();
    found.sort();
    found.dedup();
    found
}

/// The person's values found in the files of a folder (a laptop's data folder: its store and
/// WAL decrypted, anything else as it is), per file.
fn found_in_laptop(dir: &Path) -> Vec<(PathBuf, Vec<&'static str>)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("the data folder") {
        let path = entry.expect("an entry").path();
        if !path.is_file() {
            continue;
        }
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        let bytes = if name == "wijkwerk.sqlite3" || name == "wijkwerk.sqlite3-wal" {
            decrypted_store_bytes(&path)
        } else {
            std::fs::read(&path).expect("the file reads")
        };
        let found = found_in(&bytes);
        if !found.is_empty() {
            out.push((path, found));
        }
    }
    out
}

/// The same for the server's SQLite files (plain on disk).
fn found_in_server(db: &str) -> Vec<(PathBuf, Vec<&'static str>)> {
    let mut out = Vec::new();
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let path = PathBuf::from(format!("{db}{suffix}"));
        if let Ok(bytes) = std::fs::read(&path) {
            let found = found_in(&bytes);
            if !found.is_empty() {
                out.push((path, found));
            }
        }
    }
    out
}

fn on_sqlite() -> bool {
    std::env::var("WIJKWERK_TEST_POSTGRES").is_err()
}

#[test]
fn an_erased_person_is_gone_from_every_file_of_the_server_and_three_laptops() {
    let dir = tempfile::tempdir().unwrap();
    let db = database(dir.path());
    let server = Server::start(&db);
    let (tenant, token) = tenant_with_user(&db, "coordinator");
    let mut a = Laptop::new(dir.path(), "a", &token);
    let mut b = Laptop::new(dir.path(), "b", &token);
    let mut c = Laptop::new(dir.path(), "c", &token);
    let sync = |laptop: &mut Laptop| laptop.sync(&server.url).expect("sync");

    // The person, with a history: made on A, edited on B, edited on A and B at once (a conflict
    // in every log), and a neighbour who stays.
    let person = a
        .store
        .create(
            Entity::Contact,
            fields(json!({
                "name": "Zwaantje Vrijdagmarkt",
                "email": "zwaantje.vrijdagmarkt@voorbeeldpost.nl",
                "phone": "06-48213579",
                "address": "Klaproosstraat 77",
                "notes": "Speeltuinplan",
            })),
        )
        .unwrap();
    let neighbour = a
        .store
        .create(
            Entity::Contact,
            fields(json!({"name": "Gerrit Blijft", "phone": "06-11112222"})),
        )
        .unwrap();
    sync(&mut a);
    sync(&mut b);
    sync(&mut c);
    b.store
        .update(
            Entity::Contact,
            person,
            fields(json!({"notes": "Kwartiermaker"})),
        )
        .unwrap();
    sync(&mut b);
    sync(&mut a);
    sync(&mut c);
    a.store
        .update(
            Entity::Contact,
            person,
            fields(json!({"notes": "Dinsdagochtend"})),
        )
        .unwrap();
    b.store
        .update(
            Entity::Contact,
            person,
            fields(json!({"notes": "Donderdagavond"})),
        )
        .unwrap();
    sync(&mut a);
    sync(&mut b);
    sync(&mut a);
    assert!(
        !b.store.conflicts(true, 100).unwrap().is_empty()
            || !a.store.conflicts(true, 100).unwrap().is_empty(),
        "the concurrent edit left a lost value in a conflict log"
    );

    // B fills in a field A never sees before erasing: only the server's purge can empty it.
    b.store
        .update(
            Entity::Contact,
            person,
            fields(json!({"city": "Zuiderhoutstad"})),
        )
        .unwrap();
    sync(&mut b);

    // C goes offline with an edit made before the erasure.
    c.store
        .update(
            Entity::Contact,
            person,
            fields(json!({"phone": "06-97531864"})),
        )
        .unwrap();

    // The search can fail: before the erasure it finds the person on the server and on A.
    if on_sqlite() {
        assert!(
            !found_in_server(&db).is_empty(),
            "the person is in the server's files before the erasure"
        );
    }
    assert!(
        !found_in_laptop(&a.dir).is_empty(),
        "the person is in A's decrypted store before the erasure"
    );

    // A erases the person; B syncs.
    let erased = a.store.erase_contact(person).unwrap();
    assert!(erased.changed);
    sync(&mut a);
    sync(&mut b);

    // C, still offline, edits the person again: a clock newer than the erasure.
    std::thread::sleep(Duration::from_millis(5));
    c.store
        .update(
            Entity::Contact,
            person,
            fields(json!({"notes": "Zondagmiddag", "mobile": "06-86420975"})),
        )
        .unwrap();
    // C comes back: it pushes both old edits, then pulls the erasure.
    let report = sync(&mut c);
    assert!(report.pulled_fields > 0);
    for laptop in [&mut a, &mut b, &mut c] {
        sync(laptop);
    }

    // Every replica holds the erased form, and C's edits did not bring the person back.
    for (name, laptop) in [("A", &a), ("B", &b), ("C", &c)] {
        let record = laptop.store.get(Entity::Contact, person).unwrap();
        assert_eq!(record["name"], "Gewist", "{name}: {record}");
        assert_eq!(record["deleted"], true, "{name}: {record}");
        assert!(record["erased_on"].is_string(), "{name}: {record}");
        for field in ["email", "phone", "mobile", "address", "notes", "city"] {
            assert!(record[field].is_null(), "{name}: {field} in {record}");
        }
        assert!(
            laptop.store.search("Vrijdagmarkt", 10).unwrap().is_empty(),
            "{name} still finds the person"
        );
        assert!(
            laptop
                .store
                .conflicts(true, 1000)
                .unwrap()
                .iter()
                .all(|c| c.record_id != person.to_string()),
            "{name}'s conflict log keeps the person"
        );
        assert_eq!(laptop.store.outbox_len().unwrap(), 0, "{name}'s outbox");
        let stays = laptop.store.get(Entity::Contact, neighbour).unwrap();
        assert_eq!(stays["phone"], "06-11112222", "{name}: the neighbour stays");
    }

    // The server's state: a download from nothing gets the erased form only.
    let mut transport =
        HttpTransport::new(&server.url, &token, Duration::from_secs(20)).expect("a transport");
    let all = transport.pull(Cursor::default(), 10_000).expect("a pull");
    let record = all
        .records
        .iter()
        .filter(|r| r.id == person)
        .flat_map(|r| r.fields.iter())
        .map(|(k, v)| (k.clone(), v.value.clone()))
        .collect::<std::collections::BTreeMap<_, _>>();
    for (field, value) in &record {
        let allowed = match field.as_str() {
            "name" => value == "Gewist",
            "erased_on" => value.is_string(),
            "deleted" => value == &json!(true),
            _ => value.is_null(),
        };
        assert!(allowed, "the server keeps {field} = {value}");
    }
    assert!(
        all.conflicts.iter().all(|c| c.id != person),
        "the server's conflict log keeps the person"
    );
    let audit = common::admin(&db, &["audit", "list", "--tenant", &tenant]);
    assert!(
        audit.contains("erasure") && audit.contains(&person.to_string()),
        "the erasure is in the audit log: {audit}"
    );

    // And no file of any replica holds any value the person had, with the stores open …
    if on_sqlite() {
        assert_eq!(found_in_server(&db), vec![], "the server's files");
    }
    for (name, laptop) in [("A", &a), ("B", &b), ("C", &c)] {
        assert_eq!(
            found_in_laptop(&laptop.dir),
            vec![],
            "{name}'s files (open)"
        );
    }
    // … and closed.
    let dirs = [a.dir.clone(), b.dir.clone(), c.dir.clone()];
    drop((a, b, c));
    drop(server);
    for dir in &dirs {
        assert_eq!(found_in_laptop(dir), vec![], "{} (closed)", dir.display());
    }
    if on_sqlite() {
        assert_eq!(found_in_server(&db), vec![], "the server's files (stopped)");
        // The one-off rewrite an operator runs after upgrading keeps it so.
        let out = common::admin(&db, &["compact"]);
        assert!(out.contains("compacted"), "{out}");
        assert_eq!(
            found_in_server(&db),
            vec![],
            "the server's files (compacted)"
        );
    }
}

#[test]
fn an_erasure_cut_off_before_its_checkpoint_is_finished_at_the_next_start() {
    let dir = tempfile::tempdir().unwrap();
    let live = dir.path().join("live");
    let mut store = wijkwerk_core::Store::init(&live).unwrap();
    let person = store
        .create(
            Entity::Contact,
            fields(
                json!({"name": "Zwaantje Vrijdagmarkt", "phone": "06-48213579",
                          "address": "Klaproosstraat 77", "notes": "Speeltuinplan"}),
            ),
        )
        .unwrap();
    store
        .update(
            Entity::Contact,
            person,
            fields(json!({"notes": "Kwartiermaker"})),
        )
        .unwrap();
    // Another program reading the store holds an older snapshot, so the checkpoint after the
    // erasure cannot copy the new pages over the old ones yet.
    let file = live.join("wijkwerk.sqlite3");
    let reader = common::open_store_file(&file, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY);
    reader.execute_batch("BEGIN").unwrap();
    let _: i64 = reader
        .query_row("SELECT count(*) FROM contact", [], |r| r.get(0))
        .unwrap();
    store.erase_contact(person).unwrap();

    // The power goes: the files as they are on disk now.
    let crashed = dir.path().join("crashed");
    std::fs::create_dir(&crashed).unwrap();
    for name in ["wijkwerk.sqlite3", "wijkwerk.sqlite3-wal"] {
        std::fs::copy(live.join(name), crashed.join(name)).unwrap();
    }
    assert!(
        !found_in_laptop(&crashed).is_empty(),
        "before the next start the old pages are still on disk (the test can fail)"
    );
    drop(reader);
    drop(store);

    // The next start finishes the checkpoint before anything else.
    let store = wijkwerk_core::Store::open(&crashed).unwrap();
    let record = store.get(Entity::Contact, person).unwrap();
    assert_eq!(record["name"], "Gewist");
    assert_eq!(found_in_laptop(&crashed), vec![], "with the store open");
    drop(store);
    assert_eq!(found_in_laptop(&crashed), vec![], "closed");
}
