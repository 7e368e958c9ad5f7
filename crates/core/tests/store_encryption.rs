//! The store is encrypted at rest (SQLCipher): its key in the keyring under the file's salt, or a
//! passphrase where no keyring answers; a plain store from an earlier version encrypted in place;
//! and whatever goes wrong, a clear error and the data as it was.
//!
//! The keyring here is `MemoryKeyVault` (one that answers, or one that is not there); the OS
//! keyring's own adapter is the `keyring` crate, and the Windows build's tests run this file
//! under Wine, whose Credential Manager it also uses where a test takes `Unlock::os_keyring`.

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use wijkwerk_core::store::DATA_FILE;
use wijkwerk_core::store_key::{key_account, MemoryKeyVault, Unlock};
use wijkwerk_core::{Entity, Error, Store};

const SQLITE_HEADER: &[u8] = b"SQLite format 3\0";

fn keyring(vault: &Arc<MemoryKeyVault>) -> Unlock {
    Unlock::Keyring(vault.clone())
}

fn store_file(dir: &Path) -> PathBuf {
    dir.join(DATA_FILE)
}

/// Every file in the folder (the store, its WAL and shared memory, its lock, leftovers).
fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    files.sort();
    files
}

fn names_in(dir: &Path) -> Vec<String> {
    files_in(dir)
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// A store of the current version as earlier versions wrote it: plain SQLite, with the village
/// of `common` in it (made encrypted, then exported to a plain file with SQLCipher's own
/// `sqlcipher_export`).
fn plain_store_with_village(dir: &Path) {
    let made = tempfile::tempdir().unwrap();
    let mut store = Store::init_with(made.path(), &Unlock::passphrase("tijdelijk")).unwrap();
    common::village(&mut store);
    drop(store);
    let conn = rusqlite::Connection::open(store_file(made.path())).unwrap();
    conn.pragma_update(None, "key", "tijdelijk").unwrap();
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    conn.execute(
        "ATTACH DATABASE ?1 AS plain KEY ''",
        [store_file(dir).to_string_lossy()],
    )
    .unwrap();
    conn.query_row("SELECT sqlcipher_export('plain')", [], |_| Ok(()))
        .unwrap();
    conn.execute_batch(&format!(
        "PRAGMA plain.user_version = {version}; DETACH DATABASE plain"
    ))
    .unwrap();
    drop(conn);
    assert!(std::fs::read(store_file(dir))
        .unwrap()
        .starts_with(SQLITE_HEADER));
}

#[test]
fn a_new_store_is_encrypted_with_a_random_key_kept_in_the_keyring_under_its_salt() {
    let dir = tempfile::tempdir().unwrap();
    let vault = MemoryKeyVault::new();
    let mut store = Store::init_with(dir.path(), &keyring(&vault)).unwrap();
    common::village(&mut store);
    drop(store);

    let bytes = std::fs::read(store_file(dir.path())).unwrap();
    assert!(
        !bytes.starts_with(SQLITE_HEADER),
        "the file is not plain SQLite"
    );
    assert_eq!(vault.accounts(), vec![key_account(&bytes[..16])]);

    let again = Store::open_with(dir.path(), &keyring(&vault)).unwrap();
    assert_eq!(again.count(Entity::Area).unwrap(), 2);
}

#[test]
fn a_store_copied_to_another_computer_finds_no_key_there_and_is_left_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let ours = MemoryKeyVault::new();
    let mut store = Store::init_with(dir.path(), &keyring(&ours)).unwrap();
    common::village(&mut store);
    drop(store);
    let before = std::fs::read(store_file(dir.path())).unwrap();

    let other_laptop = MemoryKeyVault::new();
    let error = Store::open_with(dir.path(), &keyring(&other_laptop)).unwrap_err();
    assert!(matches!(error, Error::KeyMissing { .. }), "{error}");
    assert_eq!(error.code(), "key_missing");
    assert!(error.to_string().contains("passphrase"), "{error}");
    assert_eq!(std::fs::read(store_file(dir.path())).unwrap(), before);
    assert!(other_laptop.accounts().is_empty(), "no key was made for it");
}

#[test]
fn without_a_keyring_a_new_store_asks_for_a_passphrase_and_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("wijkwerk");
    let error = Store::init_with(&folder, &keyring(&MemoryKeyVault::unavailable())).unwrap_err();
    assert!(matches!(error, Error::NoKeyring { .. }), "{error}");
    assert_eq!(error.code(), "no_keyring");
    assert!(
        !store_file(&folder).exists(),
        "no store without a key: {:?}",
        names_in(&folder)
    );

    let passphrase = Unlock::passphrase("Dorpshuis-de-Schulp-1927");
    let mut store = Store::init_with(&folder, &passphrase).unwrap();
    common::village(&mut store);
    drop(store);
    let store = Store::open_with(&folder, &passphrase).unwrap();
    assert_eq!(store.count(Entity::Area).unwrap(), 2);
}

#[test]
fn a_wrong_passphrase_is_refused_and_the_store_stays_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let right = Unlock::passphrase("Dorpshuis-de-Schulp-1927");
    let mut store = Store::init_with(dir.path(), &right).unwrap();
    common::village(&mut store);
    drop(store);
    let before = std::fs::read(store_file(dir.path())).unwrap();

    let error = Store::open_with(dir.path(), &Unlock::passphrase("dorpshuis")).unwrap_err();
    assert!(matches!(error, Error::WrongPassphrase { .. }), "{error}");
    assert_eq!(error.code(), "wrong_passphrase");
    assert_eq!(std::fs::read(store_file(dir.path())).unwrap(), before);
    // Nor does the keyring open a store made with a passphrase: it has no key for it.
    let error = Store::open_with(dir.path(), &keyring(&MemoryKeyVault::new())).unwrap_err();
    assert!(matches!(error, Error::KeyMissing { .. }), "{error}");

    let store = Store::open_with(dir.path(), &right).unwrap();
    assert_eq!(store.count(Entity::Area).unwrap(), 2);
}

#[test]
fn a_plain_store_from_an_earlier_version_is_encrypted_in_place_with_nothing_plain_left() {
    let dir = tempfile::tempdir().unwrap();
    plain_store_with_village(dir.path());
    let plain = std::fs::read(store_file(dir.path())).unwrap();
    assert!(
        contains(&plain, "Joke de Coöperatie".as_bytes()),
        "the name is readable before"
    );

    let vault = MemoryKeyVault::new();
    let store = Store::open_with(dir.path(), &keyring(&vault)).unwrap();
    assert_eq!(store.count(Entity::Area).unwrap(), 2);
    drop(store);

    assert_eq!(names_in(dir.path()), [DATA_FILE, "wijkwerk.sqlite3.lock"]);
    let encrypted = std::fs::read(store_file(dir.path())).unwrap();
    assert!(!encrypted.starts_with(SQLITE_HEADER));
    assert!(!contains(&encrypted, "Joke de Coöperatie".as_bytes()));
    assert_eq!(vault.accounts(), vec![key_account(&encrypted[..16])]);
    let again = Store::open_with(dir.path(), &keyring(&vault)).unwrap();
    assert_eq!(again.count(Entity::Area).unwrap(), 2);
}

#[test]
fn a_conversion_that_fails_leaves_the_plain_store_as_it_was_and_forgets_its_new_key() {
    let dir = tempfile::tempdir().unwrap();
    plain_store_with_village(dir.path());
    let before = std::fs::read(store_file(dir.path())).unwrap();
    // Where the encrypted copy would go stands a folder that cannot be removed as a file.
    let blocked = dir.path().join(format!("{DATA_FILE}.encrypting"));
    std::fs::create_dir(&blocked).unwrap();
    std::fs::write(blocked.join("iets"), b"x").unwrap();

    let vault = MemoryKeyVault::new();
    let error = Store::open_with(dir.path(), &keyring(&vault)).unwrap_err();
    assert!(
        matches!(error, Error::Io { .. } | Error::EncryptionFailed { .. }),
        "{error:?}"
    );
    assert_eq!(std::fs::read(store_file(dir.path())).unwrap(), before);
    assert!(vault.accounts().is_empty(), "{:?}", vault.accounts());

    std::fs::remove_dir_all(&blocked).unwrap();
    let store = Store::open_with(dir.path(), &keyring(&vault)).unwrap();
    assert_eq!(store.count(Entity::Area).unwrap(), 2);
}

#[test]
fn a_conversion_cut_off_between_its_two_renames_is_undone_and_done_again_at_the_next_start() {
    let dir = tempfile::tempdir().unwrap();
    plain_store_with_village(dir.path());
    // The state after the first rename: the plain store moved aside, the copy not yet in place.
    let aside = dir.path().join(format!("{DATA_FILE}.plain"));
    std::fs::rename(store_file(dir.path()), &aside).unwrap();
    std::fs::write(
        dir.path().join(format!("{DATA_FILE}.encrypting")),
        [7u8; 4096],
    )
    .unwrap();

    let vault = MemoryKeyVault::new();
    let store = Store::open_with(dir.path(), &keyring(&vault)).unwrap();
    assert_eq!(store.count(Entity::Area).unwrap(), 2);
    drop(store);
    assert_eq!(names_in(dir.path()), [DATA_FILE, "wijkwerk.sqlite3.lock"]);
}

#[test]
fn a_plain_store_left_beside_its_encrypted_copy_after_a_crash_is_wiped_at_the_next_start() {
    let dir = tempfile::tempdir().unwrap();
    plain_store_with_village(dir.path());
    let plain = std::fs::read(store_file(dir.path())).unwrap();
    let vault = MemoryKeyVault::new();
    drop(Store::open_with(dir.path(), &keyring(&vault)).unwrap());
    // The state after both renames, before the plain file was removed.
    let aside = dir.path().join(format!("{DATA_FILE}.plain"));
    std::fs::write(&aside, &plain).unwrap();

    let store = Store::open_with(dir.path(), &keyring(&vault)).unwrap();
    assert_eq!(store.count(Entity::Area).unwrap(), 2);
    assert!(!aside.exists());
}

/// The proof: after a session with the demo municipality (loaded, edited, a meeting's
/// minutes written), no name, e-mail address or minutes text of the demo is in any file of the
/// data folder, searched byte by byte while the store is still open (its WAL full of the
/// session's pages) and after it is closed.
#[test]
fn after_a_session_with_the_demo_no_name_address_or_minutes_text_is_in_any_file() {
    let dir = tempfile::tempdir().unwrap();
    let vault = MemoryKeyVault::new();
    let mut store = Store::init_with(dir.path(), &keyring(&vault)).unwrap();
    wijkwerk_core::demo::load_demo(&mut store, wijkwerk_core::today()).unwrap();
    let secrets = demo_secrets();
    assert!(secrets.len() > 100, "{} values", secrets.len());
    // A session's work after the demo: a contact added and searched for.
    common::add(
        &mut store,
        Entity::Contact,
        serde_json::json!({ "name": "Geertruida Zonneveld-Bakker", "email": "g.zonneveld@thuis.example" }),
    );
    assert!(
        !store.search("Zonneveld", 10).unwrap().is_empty(),
        "the new contact is found by search"
    );
    let mut secrets = secrets;
    secrets.push("Geertruida Zonneveld-Bakker".to_owned());
    secrets.push("g.zonneveld@thuis.example".to_owned());

    let finder = aho_corasick::AhoCorasick::new(&secrets).unwrap();
    let search_all = |when: &str| {
        let files = files_in(dir.path());
        assert!(
            files
                .iter()
                .any(|f| f.ends_with(format!("{DATA_FILE}-wal")))
                || when == "closed"
        );
        for file in files {
            let bytes = std::fs::read(&file).unwrap();
            if let Some(found) = finder.find(&bytes) {
                panic!(
                    "{when}: {:?} is readable in {}",
                    secrets[found.pattern().as_usize()],
                    file.display()
                );
            }
        }
    };
    search_all("open");
    drop(store);
    search_all("closed");
}

/// Names, e-mail addresses and minutes of the demo (every such value of 8 bytes or more).
fn demo_secrets() -> Vec<String> {
    let demo: serde_json::Value =
        serde_json::from_str(include_str!("../../../assets/demo/bergen.json")).unwrap();
    let mut found = Vec::new();
    collect(&demo, None, &mut found);
    found.push("thuis.example".to_owned());
    found.sort();
    found.dedup();
    found
}

fn collect(value: &serde_json::Value, key: Option<&str>, found: &mut Vec<String>) {
    const PERSONAL: &[&str] = &[
        "person",
        "people",
        "minutes",
        "email",
        "notes",
        "decision",
        "comment",
        "requester",
    ];
    match value {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                collect(v, Some(k), found);
            }
        }
        serde_json::Value::Array(items) => {
            for v in items {
                collect(v, key, found);
            }
        }
        serde_json::Value::String(text)
            if text.len() >= 8 && key.is_some_and(|k| PERSONAL.contains(&k)) =>
        {
            found.push(text.clone());
        }
        _ => {}
    }
}
