//! Opening, creating and migrating the local store: one SQLite file per data folder.
//!
//! Invariants:
//! - A file that is not an SQLite database, is damaged, or was written by a newer version is
//!   refused before anything is written to it: it is first inspected read-only.
//! - Migrations run in one transaction each and set `user_version`; the store's version is never
//!   above [`STORE_VERSION`] for this build.

use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::store_key::{self, NewKey, Unlock, SALT_LEN};
use crate::sync::credentials::SecretAnswer;
use rusqlite::{Connection, OpenFlags};
use std::path::{Path, PathBuf};
use std::time::Duration;
use zeroize::Zeroizing;

/// The migrations, in order; the store's version is the number applied.
const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/001_domain.sql"),
    include_str!("../migrations/002_calendar.sql"),
    include_str!("../migrations/003_sync.sql"),
    include_str!("../migrations/004_lists.sql"),
    include_str!("../migrations/005_agreements.sql"),
    include_str!("../migrations/006_import.sql"),
    include_str!("../migrations/007_privacy.sql"),
    include_str!("../migrations/008_erasure.sql"),
    include_str!("../migrations/009_web_answers.sql"),
];

/// The version that brought erasure (migration 008): stores older than it are rewritten once.
const ERASURE_VERSION: i64 = 8;

/// The store version this build writes and understands.
pub const STORE_VERSION: i64 = MIGRATIONS.len() as i64;

/// Files up to this size get a full `quick_check` when opened; larger ones would make start-up
/// slow, and damage in them is reported when the damaged part is read.
const FULL_CHECK_MAX_BYTES: u64 = 64 * 1024 * 1024;

/// The name of the data file inside a data folder.
pub const DATA_FILE: &str = "wijkwerk.sqlite3";

/// The local store: the coordinator's whole work in one SQLite file.
pub struct Store {
    pub(crate) conn: Connection,
    pub(crate) clock: Clock,
    path: PathBuf,
    /// Fields the last sync round changed here, also when it failed after some pages.
    pub(crate) applied_in_round: usize,
    /// Held while the store is open: one process per store (`None` in memory).
    _process_lock: Option<ProcessLock>,
    /// The people (or organisations) an import's duplicates are found among, kept between the
    /// previews of one list while the store does not change (`import::duplicates`).
    pub(crate) import_index: std::sync::Mutex<Option<crate::import::duplicates::CachedIndex>>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

impl Store {
    /// Opens the store in `data_dir`; it must exist. Unlocked as [`Unlock::from_environment`]
    /// says: the OS keyring, or the passphrase in `WIJKWERK_PASSPHRASE`.
    pub fn open(data_dir: &Path) -> Result<Store> {
        Store::open_with(data_dir, &Unlock::from_environment())
    }

    /// Whether `data_dir` holds a store (also one halfway through its encryption, whose plain
    /// file is moved aside for a moment).
    pub fn exists_in(data_dir: &Path) -> bool {
        let path = data_dir.join(DATA_FILE);
        path.exists() || sibling(&path, PLAIN_SUFFIX).exists()
    }

    /// Opens the store in `data_dir` (it must exist) with this key source.
    pub fn open_with(data_dir: &Path, unlock: &Unlock) -> Result<Store> {
        crate::data_folder::check_local(data_dir)?;
        let path = data_dir.join(DATA_FILE);
        if !Store::exists_in(data_dir) {
            return Err(Error::NoStore {
                path: data_dir.to_path_buf(),
            });
        }
        Store::open_file_with(&path, unlock)
    }

    /// Opens the store in `data_dir` like [`Store::open`], waiting up to `patience` while another
    /// process still has it open ([`Error::Locked`]): an app closed a moment ago may still be
    /// writing its last transaction when it is started again.
    pub fn open_when_free(data_dir: &Path, patience: Duration) -> Result<Store> {
        Store::open_when_free_with(data_dir, patience, &Unlock::from_environment())
    }

    /// [`Store::open_when_free`] with this key source.
    pub fn open_when_free_with(
        data_dir: &Path,
        patience: Duration,
        unlock: &Unlock,
    ) -> Result<Store> {
        let deadline = std::time::Instant::now() + patience;
        loop {
            match Store::open_with(data_dir, unlock) {
                Err(Error::Locked { .. }) if std::time::Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(100));
                }
                other => return other,
            }
        }
    }

    /// Creates a new, empty store in `data_dir` (creating the folder if needed), with its key in
    /// the OS keyring or from `WIJKWERK_PASSPHRASE` ([`Unlock::from_environment`]).
    pub fn init(data_dir: &Path) -> Result<Store> {
        Store::init_with(data_dir, &Unlock::from_environment())
    }

    /// [`Store::init`] with this key source.
    pub fn init_with(data_dir: &Path, unlock: &Unlock) -> Result<Store> {
        crate::data_folder::check_local(data_dir)?;
        std::fs::create_dir_all(data_dir).map_err(|source| Error::Io {
            path: data_dir.to_path_buf(),
            source,
        })?;
        let path = data_dir.join(DATA_FILE);
        if Store::exists_in(data_dir) {
            return Err(Error::StoreExists { path });
        }
        Store::open_file_with(&path, unlock)
    }

    /// Opens (or creates) the store at exactly this file path, unlocked as
    /// [`Unlock::from_environment`] says.
    pub fn open_file(path: &Path) -> Result<Store> {
        Store::open_file_with(path, &Unlock::from_environment())
    }

    /// Opens (or creates) the store at exactly this file path with this key source. A plain
    /// (unencrypted) store from an earlier version is encrypted first, in place and safely
    /// ([`store_key`](crate::store_key) and `encrypt_plain_store`).
    pub fn open_file_with(path: &Path, unlock: &Unlock) -> Result<Store> {
        let process_lock = ProcessLock::take(path)?;
        if let Unlock::Passphrase(passphrase) = unlock {
            if passphrase.is_empty() {
                // SQLCipher would take an empty key as "no encryption".
                return Err(Error::BadRequest("the passphrase is empty".into()));
            }
        }
        finish_interrupted_encryption(path)?;
        let key = match file_kind(path)? {
            #[cfg(feature = "unencrypted-for-benchmarks")]
            FileKind::New | FileKind::Plain if matches!(unlock, Unlock::Unencrypted) => StoreKey {
                value: Zeroizing::new(String::new()),
                account: None,
                is_new: false,
            },
            FileKind::New => new_store_key(path, unlock)?,
            FileKind::Plain => {
                inspect_read_only(path, None, unlock)?;
                let key = new_store_key(path, unlock)?;
                if let Err(error) = encrypt_plain_store(path, &key) {
                    key.forget(unlock);
                    return Err(error);
                }
                key
            }
            FileKind::Encrypted { salt } => {
                let key = existing_store_key(path, &salt, unlock)?;
                inspect_read_only(path, Some(&key), unlock)?;
                key
            }
        };
        let conn = match open_keyed(path, &key) {
            Ok(conn) => conn,
            Err(error) => {
                if key.is_new {
                    // A new store that could not be made: nothing in it, so neither it nor its key
                    // may stay behind (the next start would find a file without a key).
                    key.forget(unlock);
                    remove_store_files(path);
                }
                return Err(classify_locked(path, error, unlock));
            }
        };
        let mut store = Store {
            conn,
            clock: Clock::placeholder(),
            path: path.to_path_buf(),
            applied_in_round: 0,
            _process_lock: Some(process_lock),
            import_index: std::sync::Mutex::new(None),
        };
        let before = store.version()?;
        if before >= 1 {
            // A first download cut off by a crash left its indexes dropped (merge.rs).
            store.restore_deferred_indexes()?;
        }
        store.migrate().map_err(|e| match e {
            Error::Database(e) => classify(path, e),
            other => other,
        })?;
        if (1..ERASURE_VERSION).contains(&before) {
            // A store from before erasure: what it freed earlier was not overwritten, so the
            // file is rewritten once (its free pages go). Takes a while on a large store, once.
            store.conn.execute_batch("VACUUM")?;
        }
        store.clock = Clock::load(&store.conn)?;
        // An erasure whose checkpoint a crash held back is finished before anything else.
        store.checkpoint();
        if let Some(offset) = std::env::var("WIJKWERK_CLOCK_OFFSET_MS")
            .ok()
            .and_then(|v| v.trim().parse::<i64>().ok())
        {
            store.clock.set_offset(offset);
        }
        Ok(store)
    }

    /// An in-memory store, for tests and benchmarks.
    pub fn in_memory() -> Result<Store> {
        let conn = Connection::open_in_memory()?;
        configure(&conn)?;
        let mut store = Store {
            conn,
            clock: Clock::placeholder(),
            path: PathBuf::from(":memory:"),
            applied_in_round: 0,
            _process_lock: None,
            import_index: std::sync::Mutex::new(None),
        };
        store.migrate()?;
        store.clock = Clock::load(&store.conn)?;
        Ok(store)
    }

    /// Copies the WAL into the database file and empties the WAL, so the pages as they were
    /// before an erasure are overwritten everywhere. Best effort: a reader in another program
    /// holding an older snapshot leaves the rest to the next checkpoint (at the latest at the
    /// next open).
    pub(crate) fn checkpoint(&self) {
        let _ = self
            .conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
    }

    /// The data file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The store's schema version.
    pub fn version(&self) -> Result<i64> {
        Ok(self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))?)
    }

    /// Makes this store's clock run `offset_ms` ahead (or behind, when negative) of the
    /// computer's: for tests of laptops with a wrong clock. Also set by the environment variable
    /// `WIJKWERK_CLOCK_OFFSET_MS` when a store is opened.
    pub fn set_clock_offset(&mut self, offset_ms: i64) {
        self.clock.set_offset(offset_ms);
    }

    /// The id of this store in clocks (one per data file, made at creation).
    pub fn node_id(&self) -> wijkwerk_protocol::NodeId {
        self.clock.node()
    }

    fn migrate(&mut self) -> Result<()> {
        let found = self.version()?;
        if found > STORE_VERSION {
            return Err(Error::NewerStore {
                path: self.path.clone(),
                found,
                supported: STORE_VERSION,
            });
        }
        for (index, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
            let tx = self.conn.transaction()?;
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", index as i64 + 1)?;
            tx.commit()?;
        }
        Ok(())
    }
}

fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(Duration::from_secs(5))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", true)?;
    // 32 MB of page cache: index-heavy writes on large tables stay in memory.
    conn.pragma_update(None, "cache_size", -32_000)?;
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    // Deleted and overwritten content is overwritten with zeros, so an erased person's values
    // do not linger in the file's free space (privacy.rs).
    conn.pragma_update(None, "secure_delete", true)?;
    conn.set_prepared_statement_cache_capacity(128);
    Ok(())
}

/// Opens the store file with its key and the store's settings.
fn open_keyed(path: &Path, key: &StoreKey) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    key.apply(&conn)?;
    configure(&conn)?;
    Ok(conn)
}

/// What kind of file is at the store's place.
enum FileKind {
    /// None, or an empty one: a new store.
    New,
    /// A plain SQLite database: a store from before encryption (or not a store at all; the
    /// read-only inspection tells).
    Plain,
    /// Whole pages that are not plain SQLite: SQLCipher's, beginning with their salt.
    Encrypted { salt: [u8; SALT_LEN] },
}

/// The smallest page SQLite (and so SQLCipher) writes; an encrypted file is whole pages.
const MIN_PAGE: u64 = 512;

fn file_kind(path: &Path) -> Result<FileKind> {
    let io = |source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    let len = match std::fs::metadata(path) {
        Ok(metadata) => metadata.len(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(FileKind::New),
        Err(e) => return Err(io(e)),
    };
    if len == 0 {
        return Ok(FileKind::New);
    }
    let mut header = [0u8; SALT_LEN];
    {
        use std::io::Read;
        let mut file = std::fs::File::open(path).map_err(io)?;
        if file.read_exact(&mut header).is_err() {
            return Err(Error::NotADatabase {
                path: path.to_path_buf(),
            });
        }
    }
    if &header == b"SQLite format 3\0" {
        return Ok(FileKind::Plain);
    }
    if len < MIN_PAGE || len % MIN_PAGE != 0 {
        return Err(Error::NotADatabase {
            path: path.to_path_buf(),
        });
    }
    Ok(FileKind::Encrypted { salt: header })
}

/// The key a store is opened with, and where it is kept.
struct StoreKey {
    /// What `PRAGMA key` gets.
    value: Zeroizing<String>,
    /// The keyring account it is kept under (`None`: a passphrase).
    account: Option<String>,
    /// Made just now (for a new store or a conversion), so forgotten when that fails.
    is_new: bool,
}

impl StoreKey {
    fn apply(&self, conn: &Connection) -> rusqlite::Result<()> {
        if self.value.is_empty() {
            // Only `Unlock::Unencrypted` (benchmarks); passphrases are never empty.
            return Ok(());
        }
        conn.pragma_update(None, "key", &*self.value)?;
        // A key that does not fit is the store's error to report (wrong_passphrase, wrong_key),
        // not a line of SQLCipher's own on standard error.
        conn.execute_batch("PRAGMA cipher_log_level = NONE")
    }

    /// Removes a key made just now from the keyring again.
    fn forget(&self, unlock: &Unlock) {
        if let (Unlock::Keyring(vault), Some(account), true) = (unlock, &self.account, self.is_new)
        {
            vault.delete(account);
        }
    }
}

/// A key for a store about to be made (or converted): random and kept in the keyring first, or
/// the passphrase.
fn new_store_key(path: &Path, unlock: &Unlock) -> Result<StoreKey> {
    match unlock {
        #[cfg(feature = "unencrypted-for-benchmarks")]
        Unlock::Unencrypted => Err(Error::BadRequest(
            "an unencrypted store is only for the store benchmark".into(),
        )),
        Unlock::Passphrase(passphrase) => Ok(StoreKey {
            value: passphrase.clone(),
            account: None,
            is_new: true,
        }),
        Unlock::Keyring(vault) => {
            let key = NewKey::random();
            let account = store_key::key_account(&key.salt);
            if !vault.set(&account, &key.key_hex) {
                return Err(Error::NoKeyring {
                    path: path.to_path_buf(),
                });
            }
            // Read back: a keyring that says yes and keeps nothing would lose the store at the
            // next start.
            match vault.get(&account) {
                SecretAnswer::Found(kept) if kept == *key.key_hex => {}
                _ => {
                    vault.delete(&account);
                    return Err(Error::NoKeyring {
                        path: path.to_path_buf(),
                    });
                }
            }
            Ok(StoreKey {
                value: key.pragma_value(),
                account: Some(account),
                is_new: true,
            })
        }
    }
}

/// The key of an existing encrypted store: from the keyring under its salt, or the passphrase.
fn existing_store_key(path: &Path, salt: &[u8], unlock: &Unlock) -> Result<StoreKey> {
    match unlock {
        #[cfg(feature = "unencrypted-for-benchmarks")]
        Unlock::Unencrypted => Err(Error::KeyMissing {
            path: path.to_path_buf(),
        }),
        Unlock::Passphrase(passphrase) => Ok(StoreKey {
            value: passphrase.clone(),
            account: None,
            is_new: false,
        }),
        Unlock::Keyring(vault) => {
            let account = store_key::key_account(salt);
            match vault.get(&account) {
                SecretAnswer::Found(key_hex) if store_key::is_key_hex(&key_hex) => Ok(StoreKey {
                    value: store_key::raw_key_value(&key_hex, salt),
                    account: Some(account),
                    is_new: false,
                }),
                SecretAnswer::Found(_) => Err(Error::WrongKey {
                    path: path.to_path_buf(),
                }),
                SecretAnswer::Empty => Err(Error::KeyMissing {
                    path: path.to_path_buf(),
                }),
                SecretAnswer::Unavailable => Err(Error::NoKeyring {
                    path: path.to_path_buf(),
                }),
            }
        }
    }
}

/// [`classify`], where "not a database" on a file that was recognised as encrypted means the key
/// does not fit it.
fn classify_locked(path: &Path, error: rusqlite::Error, unlock: &Unlock) -> Error {
    match classify(path, error) {
        Error::NotADatabase { path } => match unlock {
            Unlock::Passphrase(_) => Error::WrongPassphrase { path },
            Unlock::Keyring(_) => Error::WrongKey { path },
            #[cfg(feature = "unencrypted-for-benchmarks")]
            Unlock::Unencrypted => Error::NotADatabase { path },
        },
        other => other,
    }
}

/// Looks at an existing file without changing it: is its schema readable (with `key` when it
/// is encrypted; a plain file must be SQLite), and is its version one this build knows?
fn inspect_read_only(path: &Path, key: Option<&StoreKey>, unlock: &Unlock) -> Result<()> {
    let len = std::fs::metadata(path)
        .map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?
        .len();
    let classify = |e| match key {
        Some(_) => classify_locked(path, e, unlock),
        None => classify(path, e),
    };
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(classify)?;
    if let Some(key) = key {
        key.apply(&conn).map_err(classify)?;
    }
    conn.busy_timeout(Duration::from_secs(5))
        .map_err(classify)?;
    // Reading the whole schema touches the first pages; a damaged file, or a key that does not
    // fit, fails here.
    let _: i64 = conn
        .query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))
        .map_err(classify)?;
    // The key fitted page 1; a page that fails SQLCipher's check further on is damage.
    let classify = |e: rusqlite::Error| match classify(e) {
        Error::WrongKey { path } | Error::WrongPassphrase { path } => Error::Corrupt {
            path,
            detail: "a page does not pass its integrity check".to_owned(),
        },
        other => other,
    };
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(classify)?;
    if version > STORE_VERSION {
        return Err(Error::NewerStore {
            path: path.to_path_buf(),
            found: version,
            supported: STORE_VERSION,
        });
    }
    if version > 0 {
        if len > FULL_CHECK_MAX_BYTES {
            return Ok(());
        }
        let check: String = conn
            .query_row("PRAGMA quick_check(1)", [], |r| r.get(0))
            .map_err(classify)?;
        if check != "ok" {
            return Err(Error::Corrupt {
                path: path.to_path_buf(),
                detail: check,
            });
        }
    } else {
        let tables: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_schema WHERE type = 'table'",
                [],
                |r| r.get(0),
            )
            .map_err(classify)?;
        if tables > 0 {
            return Err(Error::NotADatabase {
                path: path.to_path_buf(),
            });
        }
    }
    Ok(())
}

/// The suffix of the encrypted copy while a plain store is converted.
const ENCRYPTING_SUFFIX: &str = ".encrypting";
/// The suffix the plain store has between the swap and its removal.
const PLAIN_SUFFIX: &str = ".plain";

/// `path` with `suffix` added to its file name.
fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Encrypts a plain store in place: an encrypted copy beside it (SQLCipher's
/// `sqlcipher_export`), verified (integrity, version, the rows of every table), then swapped in
/// by two renames, and the plain file overwritten and removed. When anything fails before the
/// swap, the original is as it was and the copy is removed; a crash at any point is finished or
/// undone by [`finish_interrupted_encryption`] at the next start.
fn encrypt_plain_store(path: &Path, key: &StoreKey) -> Result<()> {
    let encrypting = sibling(path, ENCRYPTING_SUFFIX);
    let failed = |detail: String| Error::EncryptionFailed {
        path: path.to_path_buf(),
        detail,
    };
    let result = (|| -> Result<()> {
        remove_file_if_there(&encrypting)?;
        let (version, counts) = export_encrypted(path, &encrypting, key)
            .map_err(|e| failed(format!("the encrypted copy could not be made: {e}")))?;
        verify_encrypted(&encrypting, key, version, &counts)?;
        // Everything of the plain store must be in its main file now: a WAL left behind would
        // hold rows the copy lacks.
        for suffix in ["-wal", "-journal"] {
            let leftover = sibling(path, suffix);
            if std::fs::metadata(&leftover).is_ok_and(|m| m.len() > 0) {
                return Err(failed(format!(
                    "{} still holds changes; close every other program using the store",
                    leftover.display()
                )));
            }
        }
        sync_file(&encrypting)?;
        Ok(())
    })();
    if let Err(error) = result {
        let _ = std::fs::remove_file(&encrypting);
        return Err(error);
    }
    let plain = sibling(path, PLAIN_SUFFIX);
    let io = |p: &Path| {
        let p = p.to_path_buf();
        move |source| Error::Io { path: p, source }
    };
    std::fs::rename(path, &plain).map_err(io(path))?;
    if let Err(source) = std::fs::rename(&encrypting, path) {
        // Put the original back; the next start tries again.
        let _ = std::fs::rename(&plain, path);
        let _ = std::fs::remove_file(&encrypting);
        return Err(Error::Io {
            path: path.to_path_buf(),
            source,
        });
    }
    sync_folder(path);
    for suffix in ["-wal", "-shm", "-journal"] {
        let _ = std::fs::remove_file(sibling(path, suffix));
    }
    wipe_and_remove(&plain)
}

/// Copies the plain store at `path` into a new encrypted file; returns its version and the rows
/// per table.
fn export_encrypted(
    path: &Path,
    encrypted: &Path,
    key: &StoreKey,
) -> rusqlite::Result<(i64, Vec<(String, i64)>)> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(Duration::from_secs(5))?;
    // Moves whatever the WAL holds into the main file and empties the WAL.
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let counts = table_counts(&conn)?;
    conn.execute(
        "ATTACH DATABASE ?1 AS encrypted KEY ?2",
        rusqlite::params![encrypted.to_string_lossy(), &*key.value],
    )?;
    conn.query_row("SELECT sqlcipher_export('encrypted')", [], |_| Ok(()))?;
    conn.execute_batch(&format!("PRAGMA encrypted.user_version = {version}"))?;
    conn.execute_batch("DETACH DATABASE encrypted")?;
    Ok((version, counts))
}

/// Opens the encrypted copy with its key and compares it with what was exported.
fn verify_encrypted(
    encrypted: &Path,
    key: &StoreKey,
    version: i64,
    counts: &[(String, i64)],
) -> Result<()> {
    let failed = |detail: String| Error::EncryptionFailed {
        path: encrypted.to_path_buf(),
        detail,
    };
    let conn = Connection::open_with_flags(encrypted, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .and_then(|conn| key.apply(&conn).map(|_| conn))
        .map_err(|e| failed(format!("the encrypted copy does not open: {e}")))?;
    let check: String = conn
        .query_row("PRAGMA quick_check(1)", [], |r| r.get(0))
        .map_err(|e| failed(format!("the encrypted copy cannot be checked: {e}")))?;
    if check != "ok" {
        return Err(failed(format!("the encrypted copy is damaged: {check}")));
    }
    let copied_version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(|e| failed(e.to_string()))?;
    let copied = table_counts(&conn).map_err(|e| failed(e.to_string()))?;
    if copied_version != version || copied != counts {
        return Err(failed(
            "the encrypted copy does not hold the same rows as the original".to_owned(),
        ));
    }
    Ok(())
}

/// Every ordinary table and its number of rows, by name.
fn table_counts(conn: &Connection) -> rusqlite::Result<Vec<(String, i64)>> {
    let names: Vec<String> = conn
        .prepare(
            "SELECT name FROM sqlite_schema WHERE type = 'table' AND sql NOT LIKE 'CREATE VIRTUAL%' \
             ORDER BY name",
        )?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    names
        .into_iter()
        .map(|name| {
            let count: i64 = conn.query_row(
                &format!("SELECT count(*) FROM \"{}\"", name.replace('"', "\"\"")),
                [],
                |r| r.get(0),
            )?;
            Ok((name, count))
        })
        .collect()
}

/// After a crash in a conversion: a plain store beside an encrypted one is the swap's leftover
/// (removed); a plain store alone was moved aside just before the swap (put back, converted
/// again); an encrypted copy that was never swapped in is removed.
fn finish_interrupted_encryption(path: &Path) -> Result<()> {
    let plain = sibling(path, PLAIN_SUFFIX);
    if plain.exists() {
        if path.exists() {
            wipe_and_remove(&plain)?;
        } else {
            std::fs::rename(&plain, path).map_err(|source| Error::Io {
                path: plain.clone(),
                source,
            })?;
        }
    }
    remove_file_if_there(&sibling(path, ENCRYPTING_SUFFIX))
}

fn remove_file_if_there(path: &Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(Error::Io {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// The files of a store that could not be made.
fn remove_store_files(path: &Path) {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let _ = std::fs::remove_file(sibling(path, suffix));
    }
}

/// Overwrites a file with zeros, flushes that to the disk and removes it: the plain store's
/// bytes do not stay in the data folder's free space for anyone who reads the disk's blocks
/// (on an SSD the drive may still keep old blocks: docs/security.md).
fn wipe_and_remove(path: &Path) -> Result<()> {
    use std::io::Write;
    let io = |source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    let len = std::fs::metadata(path).map_err(io)?.len();
    {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .open(path)
            .map_err(io)?;
        let zeros = vec![0u8; 1 << 20];
        let mut left = len;
        while left > 0 {
            let n = left.min(zeros.len() as u64) as usize;
            file.write_all(&zeros[..n]).map_err(io)?;
            left -= n as u64;
        }
        file.sync_all().map_err(io)?;
    }
    std::fs::remove_file(path).map_err(io)
}

fn sync_file(path: &Path) -> Result<()> {
    // Opened for writing: Windows flushes only a handle with write access (FlushFileBuffers).
    std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .and_then(|file| file.sync_all())
        .map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })
}

/// Makes the renames in the store's folder durable (Unix; Windows has no handle on a folder to
/// flush, and NTFS logs renames).
fn sync_folder(path: &Path) {
    #[cfg(unix)]
    if let Some(folder) = path.parent() {
        let _ = std::fs::File::open(folder).and_then(|f| f.sync_all());
    }
    #[cfg(not(unix))]
    let _ = path;
}

/// One process per store: a second instance of the app, or the CLI while the app has the store
/// open, is refused with [`Error::Locked`] before it reads anything. (SQLite itself would let two
/// processes write, but each keeps its own clock in memory, so two writers of one store could
/// stamp two different values with the same clock reading.) The lock is the OS's own on the file
/// `wijkwerk.sqlite3.lock` beside the store (`flock` on Unix, `LockFileEx` on Windows): it goes
/// with the process, also when it crashes, so there is never a stale lock to remove by hand.
#[derive(Debug)]
struct ProcessLock {
    _file: std::fs::File,
}

impl ProcessLock {
    fn take(store_file: &Path) -> Result<ProcessLock> {
        let mut name = store_file.as_os_str().to_owned();
        name.push(".lock");
        let lock_file = PathBuf::from(name);
        let io = |source| Error::Io {
            path: lock_file.clone(),
            source,
        };
        if let Some(dir) = lock_file.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(&lock_file)
            .map_err(io)?;
        if try_lock(&file).map_err(io)? {
            Ok(ProcessLock { _file: file })
        } else {
            Err(Error::Locked {
                path: store_file.to_path_buf(),
            })
        }
    }
}

/// Takes an exclusive lock on the whole file without waiting: `Ok(false)` when another holds it.
#[cfg(unix)]
fn try_lock(file: &std::fs::File) -> std::io::Result<bool> {
    use std::os::unix::io::AsRawFd;
    // SAFETY: flock on a descriptor this File owns; no memory is shared.
    if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0 {
        return Ok(true);
    }
    let error = std::io::Error::last_os_error();
    if error.raw_os_error() == Some(libc::EWOULDBLOCK) {
        Ok(false)
    } else {
        Err(error)
    }
}

/// Takes an exclusive lock on the file's first byte without waiting: `Ok(false)` when another
/// holds it.
#[cfg(windows)]
fn try_lock(file: &std::fs::File) -> std::io::Result<bool> {
    use std::os::windows::io::AsRawHandle;
    use windows_sys::Win32::Storage::FileSystem::{
        LockFileEx, LOCKFILE_EXCLUSIVE_LOCK, LOCKFILE_FAIL_IMMEDIATELY,
    };
    use windows_sys::Win32::System::IO::OVERLAPPED;
    // ERROR_LOCK_VIOLATION in WinError.h.
    const LOCK_VIOLATION: i32 = 33;
    // SAFETY: a zeroed OVERLAPPED (offset 0) is valid; the handle is this File's and open.
    let mut overlapped: OVERLAPPED = unsafe { std::mem::zeroed() };
    let ok = unsafe {
        LockFileEx(
            file.as_raw_handle() as _,
            LOCKFILE_EXCLUSIVE_LOCK | LOCKFILE_FAIL_IMMEDIATELY,
            0,
            1,
            0,
            &mut overlapped,
        )
    };
    if ok != 0 {
        return Ok(true);
    }
    let error = std::io::Error::last_os_error();
    if error.raw_os_error() == Some(LOCK_VIOLATION) {
        Ok(false)
    } else {
        Err(error)
    }
}

#[cfg(not(any(unix, windows)))]
fn try_lock(_file: &std::fs::File) -> std::io::Result<bool> {
    Ok(true)
}

/// Turns SQLite's errors on opening into the store's own: not a database, damaged, locked.
pub(crate) fn classify(path: &Path, error: rusqlite::Error) -> Error {
    use rusqlite::ErrorCode;
    match error.sqlite_error_code() {
        Some(ErrorCode::NotADatabase) => Error::NotADatabase {
            path: path.to_path_buf(),
        },
        Some(ErrorCode::DatabaseCorrupt) => Error::Corrupt {
            path: path.to_path_buf(),
            detail: error.to_string(),
        },
        Some(ErrorCode::DatabaseBusy) | Some(ErrorCode::DatabaseLocked) => Error::Locked {
            path: path.to_path_buf(),
        },
        Some(ErrorCode::CannotOpen)
        | Some(ErrorCode::ReadOnly)
        | Some(ErrorCode::PermissionDenied) => Error::Io {
            path: path.to_path_buf(),
            source: std::io::Error::other(error.to_string()),
        },
        _ => Error::Database(error),
    }
}
