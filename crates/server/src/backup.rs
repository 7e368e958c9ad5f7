//! Backup and restore of the embedded SQLite database (`wijkwerk-server backup` and `restore`).
//!
//! A backup is taken with SQLite's online backup API while the server keeps serving: every page
//! is copied in one step, under one read transaction, so the copy is one consistent moment
//! (a step cut into pieces would start again each time the server writes). The copy is made
//! in a temporary file beside the target, checked (`PRAGMA quick_check`, the server's tables),
//! turned into a single file (no write-ahead log) and only then renamed over the target: a
//! backup is written whole or not at all.
//!
//! A restore refuses a file that is not a Wijkwerk server database, and refuses while anything
//! (a running server) still has the database open; it then copies the backup into the database
//! with the same API, in one transaction of the target. PostgreSQL is backed up with its own
//! tools (`pg_dump -Fc`, `pg_restore --clean --if-exists`; see docs/operating.md).

use rusqlite::backup::{Backup, StepResult};
use rusqlite::{Connection, OpenFlags};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The tables every Wijkwerk server database has.
const SERVER_TABLES: [&str; 5] = ["tenant", "app_user", "token", "server_tx", "field"];

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{0}: no such file")]
    NotFound(PathBuf),
    #[error("{0} is not a Wijkwerk server database: {1}")]
    NotServerDatabase(PathBuf, String),
    #[error("{0} is damaged: {1}")]
    Damaged(PathBuf, String),
    #[error("the backup would overwrite the database itself ({0}); choose another --out")]
    SameFile(PathBuf),
    #[error(
        "{0} is in use (is the server still running? stop it first, for example `systemctl stop wijkwerk-server`)"
    )]
    InUse(PathBuf),
    #[error("the database stayed busy for {0} seconds; try again")]
    Busy(u64),
    #[error("a PostgreSQL database is backed up with pg_dump and restored with pg_restore (see docs/operating.md); this command is for the SQLite file")]
    Postgres,
    #[error("{path}: {source}")]
    Sqlite {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// What a checked database holds, to print for the operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub tenants: i64,
    pub users: i64,
    /// Server transactions over all tenants.
    pub transactions: i64,
    pub fields: i64,
    pub bytes: u64,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} tenant(s), {} user(s), {} server transaction(s), {} field(s), {} bytes",
            self.tenants, self.users, self.transactions, self.fields, self.bytes
        )
    }
}

fn sqlite_at(path: &Path) -> impl Fn(rusqlite::Error) -> BackupError + '_ {
    move |source| BackupError::Sqlite {
        path: path.to_path_buf(),
        source,
    }
}

fn io_at(path: &Path) -> impl Fn(std::io::Error) -> BackupError + '_ {
    move |source| BackupError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Opens an existing database without ever creating one.
fn open_existing(path: &Path, flags: OpenFlags) -> Result<Connection, BackupError> {
    if !path.is_file() {
        return Err(BackupError::NotFound(path.to_path_buf()));
    }
    let conn = Connection::open_with_flags(path, flags | OpenFlags::SQLITE_OPEN_NO_MUTEX)
        .map_err(sqlite_at(path))?;
    conn.busy_timeout(Duration::from_secs(10))
        .map_err(sqlite_at(path))?;
    Ok(conn)
}

/// Checks that `conn` (the file `path`) is a whole Wijkwerk server database.
fn check(conn: &Connection, path: &Path) -> Result<Summary, BackupError> {
    let not_ours = |e: rusqlite::Error| match e {
        rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::NotADatabase => {
            BackupError::NotServerDatabase(path.to_path_buf(), "not an SQLite file".into())
        }
        e => BackupError::Sqlite {
            path: path.to_path_buf(),
            source: e,
        },
    };
    let quick: String = conn
        .query_row("PRAGMA quick_check", [], |r| r.get(0))
        .map_err(not_ours)?;
    if quick != "ok" {
        return Err(BackupError::Damaged(path.to_path_buf(), quick));
    }
    for table in SERVER_TABLES {
        let present: bool = conn
            .query_row(
                "SELECT EXISTS(SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?1)",
                [table],
                |r| r.get(0),
            )
            .map_err(not_ours)?;
        if !present {
            return Err(BackupError::NotServerDatabase(
                path.to_path_buf(),
                format!("it has no table {table:?}"),
            ));
        }
    }
    let count = |table: &str| -> Result<i64, BackupError> {
        conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
            .map_err(sqlite_at(path))
    };
    let page_count: i64 = conn
        .query_row("PRAGMA page_count", [], |r| r.get(0))
        .map_err(sqlite_at(path))?;
    let page_size: i64 = conn
        .query_row("PRAGMA page_size", [], |r| r.get(0))
        .map_err(sqlite_at(path))?;
    Ok(Summary {
        tenants: count("tenant")?,
        users: count("app_user")?,
        transactions: count("server_tx")?,
        fields: count("field")?,
        bytes: (page_count * page_size).max(0) as u64,
    })
}

/// Copies every page of `from` into `to` in one step (one consistent moment of `from`).
fn copy_all(from: &Connection, to: &mut Connection, target: &Path) -> Result<(), BackupError> {
    const TRIES: u64 = 300;
    const PAUSE: Duration = Duration::from_millis(100);
    let backup = Backup::new(from, to).map_err(sqlite_at(target))?;
    for _ in 0..TRIES {
        match backup.step(-1).map_err(sqlite_at(target))? {
            StepResult::Done => return Ok(()),
            _ => std::thread::sleep(PAUSE),
        }
    }
    Err(BackupError::Busy(TRIES * PAUSE.as_millis() as u64 / 1000))
}

/// Makes sure a file's contents (or a folder's entries) are on disk.
fn sync_path(path: &Path) -> Result<(), BackupError> {
    std::fs::File::open(path)
        .and_then(|f| f.sync_all())
        .map_err(io_at(path))
}

fn folder_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Takes an online backup of the database `db` into the file `out` (replacing it only once the
/// new backup is whole and checked).
pub fn backup(db: &Path, out: &Path) -> Result<Summary, BackupError> {
    let source = open_existing(db, OpenFlags::SQLITE_OPEN_READ_WRITE)?;
    check(&source, db)?;
    let folder = folder_of(out);
    let name = out
        .file_name()
        .ok_or_else(|| BackupError::Io {
            path: out.to_path_buf(),
            source: std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a file name"),
        })?
        .to_string_lossy()
        .into_owned();
    if let (Ok(a), Ok(b)) = (db.canonicalize(), out.canonicalize()) {
        if a == b {
            return Err(BackupError::SameFile(a));
        }
    }
    let folder_real = folder.canonicalize().map_err(io_at(&folder))?;
    let temp = folder_real.join(format!(".{name}.partial-{}", std::process::id()));
    let result = (|| {
        let _ = std::fs::remove_file(&temp);
        let mut target = Connection::open(&temp).map_err(sqlite_at(&temp))?;
        copy_all(&source, &mut target, &temp)?;
        // One self-contained file: no write-ahead log beside it.
        let _: String = target
            .query_row("PRAGMA journal_mode = DELETE", [], |r| r.get(0))
            .map_err(sqlite_at(&temp))?;
        let summary = check(&target, &temp)?;
        target.close().map_err(|(_, source)| BackupError::Sqlite {
            path: temp.clone(),
            source,
        })?;
        sync_path(&temp)?;
        std::fs::rename(&temp, out).map_err(io_at(out))?;
        sync_path(&folder_real)?;
        Ok(summary)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

/// Checks the backup file `from` without changing anything.
pub fn verify(from: &Path) -> Result<Summary, BackupError> {
    let conn = open_existing(from, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    check(&conn, from)
}

/// Puts the backup `from` in place of the database `db` (which may be missing), refusing while
/// the database is open elsewhere (a running server).
pub fn restore(from: &Path, db: &Path) -> Result<Summary, BackupError> {
    let source = open_existing(from, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    check(&source, from)?;
    if let (Ok(a), Ok(b)) = (db.canonicalize(), from.canonicalize()) {
        if a == b {
            return Err(BackupError::SameFile(a));
        }
    }
    let mut target = Connection::open(db).map_err(sqlite_at(db))?;
    // No waiting: a database open elsewhere is refused at once. In exclusive locking mode the
    // lock taken here is held until this connection closes, so no server starts meanwhile.
    target.busy_timeout(Duration::ZERO).map_err(sqlite_at(db))?;
    let in_use = |e: rusqlite::Error| match e {
        rusqlite::Error::SqliteFailure(f, _)
            if matches!(
                f.code,
                rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
            ) =>
        {
            BackupError::InUse(db.to_path_buf())
        }
        e => BackupError::Sqlite {
            path: db.to_path_buf(),
            source: e,
        },
    };
    let _: String = target
        .query_row("PRAGMA locking_mode = EXCLUSIVE", [], |r| r.get(0))
        .map_err(in_use)?;
    target
        .execute_batch("BEGIN EXCLUSIVE; COMMIT;")
        .map_err(in_use)?;
    copy_all(&source, &mut target, db)?;
    // Fold the write-ahead log into the file, so that the restored file stands alone.
    target
        .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
        .map_err(sqlite_at(db))?;
    let restored = check(&target, db)?;
    target.close().map_err(|(_, source)| BackupError::Sqlite {
        path: db.to_path_buf(),
        source,
    })?;
    Ok(restored)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server_db(path: &Path) -> Connection {
        let conn = Connection::open(path).unwrap();
        conn.pragma_update(None, "journal_mode", "WAL").unwrap();
        for table in SERVER_TABLES {
            conn.execute_batch(&format!("CREATE TABLE {table}(x)"))
                .unwrap();
        }
        conn.execute_batch("INSERT INTO field VALUES (1), (2)")
            .unwrap();
        conn
    }

    #[test]
    fn a_backup_is_one_checked_file_and_a_failed_one_leaves_the_old() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("server.db");
        let live = server_db(&db);
        let out = dir.path().join("backup.db");
        let summary = backup(&db, &out).unwrap();
        assert_eq!(summary.fields, 2);
        assert!(!dir.path().join("backup.db-wal").exists());
        // Not a server database: refused, the old backup untouched, no temporary file left.
        let other = dir.path().join("other.db");
        Connection::open(&other)
            .unwrap()
            .execute_batch("CREATE TABLE t(x)")
            .unwrap();
        let err = backup(&other, &out).unwrap_err();
        assert!(matches!(err, BackupError::NotServerDatabase(..)), "{err}");
        assert_eq!(verify(&out).unwrap().fields, 2);
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(!names.iter().any(|n| n.contains("partial")), "{names:?}");
        assert!(matches!(
            backup(&db, &db).unwrap_err(),
            BackupError::SameFile(_)
        ));
        assert!(matches!(
            backup(&dir.path().join("missing.db"), &out).unwrap_err(),
            BackupError::NotFound(_)
        ));
        drop(live);
    }

    #[test]
    fn a_restore_refuses_a_database_in_use_and_a_file_not_ours() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("server.db");
        let live = server_db(&db);
        let out = dir.path().join("backup.db");
        backup(&db, &out).unwrap();
        live.execute_batch("INSERT INTO field VALUES (3)").unwrap();
        let err = restore(&out, &db).unwrap_err();
        assert!(matches!(err, BackupError::InUse(_)), "{err}");
        assert!(err.to_string().contains("still running"), "{err}");
        drop(live);
        let text = dir.path().join("notes.txt");
        std::fs::write(&text, "geen database").unwrap();
        let err = restore(&text, &db).unwrap_err();
        assert!(matches!(err, BackupError::NotServerDatabase(..)), "{err}");
        assert_eq!(restore(&out, &db).unwrap().fields, 2);
        // Into a missing file (the disk was replaced).
        let fresh = dir.path().join("new").join("server.db");
        std::fs::create_dir(dir.path().join("new")).unwrap();
        assert_eq!(restore(&out, &fresh).unwrap().fields, 2);
    }
}
