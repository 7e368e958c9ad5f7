//! Data files that cannot be used are refused with a message and left exactly as they were.

mod common;

use common::keyed;
use std::path::Path;
use wijkwerk_core::store::{DATA_FILE, STORE_VERSION};
use wijkwerk_core::{Entity, Error, Store};

fn store_with_data(dir: &Path) {
    let mut store = Store::init(dir).unwrap();
    common::village(&mut store);
    drop(store);
}

fn bytes(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap()
}

#[test]
fn a_store_survives_closing_and_opening() {
    let dir = tempfile::tempdir().unwrap();
    store_with_data(dir.path());
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(store.count(Entity::Area).unwrap(), 2);
    assert_eq!(store.version().unwrap(), STORE_VERSION);
}

#[test]
fn a_missing_store_and_a_second_init_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    assert!(matches!(
        Store::open(dir.path()),
        Err(Error::NoStore { .. })
    ));
    store_with_data(dir.path());
    assert!(matches!(
        Store::init(dir.path()),
        Err(Error::StoreExists { .. })
    ));
}

#[test]
fn a_store_from_a_newer_version_is_refused_and_untouched() {
    let dir = tempfile::tempdir().unwrap();
    store_with_data(dir.path());
    let file = dir.path().join(DATA_FILE);
    {
        let conn = keyed(&file);
        conn.pragma_update(None, "user_version", STORE_VERSION + 1)
            .unwrap();
        conn.pragma_update(None, "journal_mode", "DELETE").unwrap();
    }
    let before = bytes(&file);
    let err = Store::open(dir.path()).unwrap_err();
    assert!(
        matches!(err, Error::NewerStore { found, .. } if found == STORE_VERSION + 1),
        "{err}"
    );
    assert!(err.to_string().contains("newer version"), "{err}");
    assert_eq!(bytes(&file), before);
    assert!(!dir.path().join(format!("{DATA_FILE}-wal")).exists());
}

#[test]
fn a_file_that_is_not_a_database_is_refused_and_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join(DATA_FILE);
    let junk = b"BEGIN:VCALENDAR\r\nthis is not a database\r\n".repeat(100);
    std::fs::write(&file, &junk).unwrap();
    let err = Store::open(dir.path()).unwrap_err();
    assert!(matches!(err, Error::NotADatabase { .. }), "{err}");
    assert_eq!(bytes(&file), junk);
}

#[test]
fn a_damaged_store_is_refused_and_untouched() {
    let dir = tempfile::tempdir().unwrap();
    store_with_data(dir.path());
    let file = dir.path().join(DATA_FILE);
    {
        // Fold the WAL into the main file so the damage below hits real data.
        let conn = keyed(&file);
        conn.pragma_update(None, "journal_mode", "DELETE").unwrap();
    }
    let mut damaged = bytes(&file);
    let page = 4096;
    assert!(damaged.len() > 4 * page);
    for byte in &mut damaged[2 * page + 8..3 * page] {
        *byte = 0xA5;
    }
    std::fs::write(&file, &damaged).unwrap();
    let err = Store::open(dir.path()).unwrap_err();
    assert!(
        matches!(err, Error::Corrupt { .. } | Error::NotADatabase { .. }),
        "expected a refusal, got {err:?}"
    );
    assert_eq!(bytes(&file), damaged);
}

#[test]
fn a_clipped_store_is_refused_and_untouched() {
    let dir = tempfile::tempdir().unwrap();
    store_with_data(dir.path());
    let file = dir.path().join(DATA_FILE);
    {
        let conn = keyed(&file);
        conn.pragma_update(None, "journal_mode", "DELETE").unwrap();
    }
    let whole = bytes(&file);
    let clipped = &whole[..whole.len() / 3];
    std::fs::write(&file, clipped).unwrap();
    let err = Store::open(dir.path()).unwrap_err();
    assert!(
        matches!(err, Error::Corrupt { .. } | Error::NotADatabase { .. }),
        "{err:?}"
    );
    assert_eq!(bytes(&file), clipped);
}

/// One process per store: while one has it open, a second opening (the app started twice, or
/// the CLI beside the app) is refused as locked before anything is read, and the data stays as it
/// was; once the first closes, the store opens again. The lock is the OS's (flock, LockFileEx),
/// so this runs the same as a Windows program under Wine.
#[test]
fn a_store_open_elsewhere_is_refused_as_locked_and_untouched() {
    let dir = tempfile::tempdir().unwrap();
    store_with_data(dir.path());
    let first = Store::open(dir.path()).unwrap();
    let before = bytes(&dir.path().join(DATA_FILE));

    let second = Store::open(dir.path()).unwrap_err();
    assert!(matches!(second, Error::Locked { .. }), "{second}");
    assert_eq!(second.code(), "locked_store");
    assert!(second.to_string().contains(DATA_FILE), "{second}");
    assert!(matches!(
        Store::open_file(&dir.path().join(DATA_FILE)),
        Err(Error::Locked { .. })
    ));
    assert_eq!(bytes(&dir.path().join(DATA_FILE)), before);

    drop(first);
    let again = Store::open(dir.path()).unwrap();
    assert_eq!(again.count(Entity::Area).unwrap(), 2);
}
