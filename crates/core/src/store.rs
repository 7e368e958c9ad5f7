//! Opening, creating and migrating the local store: one SQLite file per data folder.
//!
//! Invariants:
//! - A file that is not an SQLite database, is damaged, or was written by a newer version is
//!   refused before anything is written to it: it is first inspected read-only.
//! - Migrations run in one transaction each and set `user_version`; the store's version is never
//!   above [`STORE_VERSION`] for this build.

use crate::clock::Clock;
use crate::error::{Error, Result};
use rusqlite::{Connection, OpenFlags};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The migrations, in order; the store's version is the number applied.
const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/001_domain.sql"),
    include_str!("../migrations/002_calendar.sql"),
    include_str!("../migrations/003_sync.sql"),
    include_str!("../migrations/004_lists.sql"),
    include_str!("../migrations/005_agreements.sql"),
    include_str!("../migrations/006_import.sql"),
    include_str!("../migrations/007_privacy.sql"),
];

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
    /// Opens the store in `data_dir`; it must exist.
    pub fn open(data_dir: &Path) -> Result<Store> {
        crate::data_folder::check_local(data_dir)?;
        let path = data_dir.join(DATA_FILE);
        if !path.exists() {
            return Err(Error::NoStore {
                path: data_dir.to_path_buf(),
            });
        }
        Store::open_file(&path)
    }

    /// Opens the store in `data_dir` like [`Store::open`], waiting up to `patience` while another
    /// process still has it open ([`Error::Locked`]): an app closed a moment ago may still be
    /// writing its last transaction when it is started again.
    pub fn open_when_free(data_dir: &Path, patience: Duration) -> Result<Store> {
        let deadline = std::time::Instant::now() + patience;
        loop {
            match Store::open(data_dir) {
                Err(Error::Locked { .. }) if std::time::Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(100));
                }
                other => return other,
            }
        }
    }

    /// Creates a new, empty store in `data_dir` (creating the folder if needed).
    pub fn init(data_dir: &Path) -> Result<Store> {
        crate::data_folder::check_local(data_dir)?;
        std::fs::create_dir_all(data_dir).map_err(|source| Error::Io {
            path: data_dir.to_path_buf(),
            source,
        })?;
        let path = data_dir.join(DATA_FILE);
        if path.exists() {
            return Err(Error::StoreExists { path });
        }
        Store::open_file(&path)
    }

    /// Opens (or creates) the store at exactly this file path.
    pub fn open_file(path: &Path) -> Result<Store> {
        let process_lock = ProcessLock::take(path)?;
        if path.exists() {
            inspect_read_only(path)?;
        }
        let conn = Connection::open(path).map_err(|e| classify(path, e))?;
        configure(&conn).map_err(|e| classify(path, e))?;
        let mut store = Store {
            conn,
            clock: Clock::placeholder(),
            path: path.to_path_buf(),
            applied_in_round: 0,
            _process_lock: Some(process_lock),
            import_index: std::sync::Mutex::new(None),
        };
        store.migrate().map_err(|e| match e {
            Error::Database(e) => classify(path, e),
            other => other,
        })?;
        store.clock = Clock::load(&store.conn)?;
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
    conn.set_prepared_statement_cache_capacity(128);
    Ok(())
}

/// Looks at an existing file without changing it: is it SQLite, is its schema readable, and is
/// its version one this build knows?
fn inspect_read_only(path: &Path) -> Result<()> {
    let len = std::fs::metadata(path)
        .map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?
        .len();
    if len == 0 {
        return Ok(());
    }
    let mut header = [0u8; 16];
    {
        use std::io::Read;
        let mut file = std::fs::File::open(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        if file.read_exact(&mut header).is_err() || &header != b"SQLite format 3\0" {
            return Err(Error::NotADatabase {
                path: path.to_path_buf(),
            });
        }
    }
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| classify(path, e))?;
    conn.busy_timeout(Duration::from_secs(5))
        .map_err(|e| classify(path, e))?;
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(|e| classify(path, e))?;
    if version > STORE_VERSION {
        return Err(Error::NewerStore {
            path: path.to_path_buf(),
            found: version,
            supported: STORE_VERSION,
        });
    }
    // Reading the whole schema touches the first pages; a damaged file fails here.
    let _: i64 = conn
        .query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))
        .map_err(|e| classify(path, e))?;
    if version > 0 {
        if len > FULL_CHECK_MAX_BYTES {
            return Ok(());
        }
        let check: String = conn
            .query_row("PRAGMA quick_check(1)", [], |r| r.get(0))
            .map_err(|e| classify(path, e))?;
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
            .map_err(|e| classify(path, e))?;
        if tables > 0 {
            return Err(Error::NotADatabase {
                path: path.to_path_buf(),
            });
        }
    }
    Ok(())
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
