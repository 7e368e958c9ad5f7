//! Backup and restore with the real tools, while laptops keep working: the server's own online
//! backup of its SQLite file (`wijkwerk-server backup` / `restore`), and PostgreSQL's `pg_dump -Fc`
//! and `pg_restore --clean --if-exists` (when `WIJKWERK_TEST_POSTGRES` is set, in a database of
//! the test's own, with the binaries of the server's version). In both, a server restored from
//! a backup older than writes it acknowledged gets every one of them back from the laptops, and
//! every replica ends the same.

mod common;

use common::{server_head, tenant_with_user, Laptop, Server, SERVER};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use uuid::Uuid;
use wijkwerk_core::{Entity, Fields};

fn fields(value: Value) -> Fields {
    match value {
        Value::Object(map) => map,
        _ => Fields::new(),
    }
}

/// Runs a command and returns its standard output; fails the test with its error output.
fn run(command: &mut Command) -> String {
    let out = command
        .output()
        .unwrap_or_else(|e| panic!("{command:?} does not start: {e}"));
    assert!(
        out.status.success(),
        "{command:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn converge(server: &Server, laptops: &mut [&mut Laptop]) {
    for _ in 0..2 {
        for laptop in laptops.iter_mut() {
            laptop.sync(&server.url).expect("sync");
        }
    }
    let first = laptops[0].export();
    for laptop in laptops.iter().skip(1) {
        assert_eq!(laptop.export(), first, "stores diverged");
    }
}

/// How a database is backed up and restored.
trait Tool {
    /// Takes the backup while the server runs.
    fn backup(&self, db: &str, file: &Path);
    /// Puts the backup in place, with the server stopped.
    fn restore(&self, db: &str, file: &Path);
}

/// The scenario: laptops sync; a backup is taken while a laptop keeps writing; more writes are
/// acknowledged after it; the server is stopped and restored from the backup; after the
/// laptops sync again nothing acknowledged is lost and every replica is the same.
fn restored_server_loses_no_acknowledged_write(db: &str, dir: &Path, tool: &dyn Tool) {
    let server = Server::start(db);
    let address = server.address();
    let (_, token) = tenant_with_user(db, "coordinator");
    let mut a = Laptop::new(dir, "a", &token);
    let mut b = Laptop::new(dir, "b", &token);
    let before = a
        .store
        .create(
            Entity::Contact,
            fields(json!({"name": "Voor de back-up", "phone": "072-1"})),
        )
        .unwrap();
    converge(&server, &mut [&mut a, &mut b]);

    // The backup is taken while another laptop keeps writing and syncing.
    let busy = Arc::new(AtomicBool::new(true));
    let writer = {
        let (busy, url, token, dir) = (
            busy.clone(),
            server.url.clone(),
            token.clone(),
            dir.to_path_buf(),
        );
        std::thread::spawn(move || {
            let mut c = Laptop::new(&dir, "c", &token);
            let mut written = Vec::new();
            let mut i = 0;
            while busy.load(Ordering::SeqCst) || i < 3 {
                i += 1;
                let id = c
                    .store
                    .create(
                        Entity::Contact,
                        fields(json!({"name": format!("Tijdens de back-up {i}")})),
                    )
                    .unwrap();
                written.push(id);
                c.sync(&url).expect("sync during the backup");
            }
            (c, written)
        })
    };
    let backup = dir.join("backup");
    tool.backup(db, &backup);
    busy.store(false, Ordering::SeqCst);
    let (mut c, during) = writer.join().expect("the writing laptop");
    assert_eq!(
        c.store.sync_status().unwrap().waiting,
        0,
        "every write made during the backup was acknowledged"
    );

    // After the backup: a new record and an edit, both acknowledged.
    let after = a
        .store
        .create(Entity::Contact, fields(json!({"name": "Na de back-up"})))
        .unwrap();
    assert_eq!(a.sync(&server.url).unwrap().pushed_transactions, 1);
    b.sync(&server.url).unwrap();
    b.store
        .update(Entity::Contact, before, fields(json!({"phone": "072-2"})))
        .unwrap();
    assert_eq!(b.sync(&server.url).unwrap().pushed_transactions, 1);
    let head_before = server_head(&server.url, &token);

    // The server is stopped and restored from the older backup.
    drop(server);
    tool.restore(db, &backup);
    let server = Server::start_on(db, &address, &[]);
    let head_restored = server_head(&server.url, &token);
    assert!(
        head_restored < head_before,
        "the backup is older than the last writes ({head_restored} < {head_before})"
    );

    // The laptops notice, download again and send back what the server lost.
    let report = a.sync(&server.url).unwrap();
    assert!(report.downloaded_again && report.repaired, "{report:?}");
    let mut fresh = Laptop::new(dir, "fresh", &token);
    converge(&server, &mut [&mut a, &mut b, &mut c, &mut fresh]);
    let name = |id: Uuid| fresh.store.get(Entity::Contact, id).unwrap()["name"].clone();
    assert_eq!(name(after), "Na de back-up");
    for (i, id) in during.iter().enumerate() {
        assert_eq!(name(*id), format!("Tijdens de back-up {}", i + 1));
    }
    assert_eq!(
        fresh.store.get(Entity::Contact, before).unwrap()["phone"],
        "072-2",
        "the edit acknowledged after the backup"
    );
    assert_eq!(
        fresh.store.count(Entity::Contact).unwrap(),
        2 + during.len() as i64
    );
}

/// `wijkwerk-server backup` and `restore`.
struct ServerBackup;

impl Tool for ServerBackup {
    fn backup(&self, db: &str, file: &Path) {
        let out = run(Command::new(SERVER)
            .args(["backup", "--db", db, "--out"])
            .arg(file));
        assert!(out.starts_with("backup written to "), "{out}");
        assert!(!Path::new(&format!("{}-wal", file.display())).exists());
    }

    fn restore(&self, db: &str, file: &Path) {
        run(Command::new(SERVER)
            .args(["restore", "--db", db, "--from"])
            .arg(file));
    }
}

#[test]
fn sqlite_restored_from_an_online_backup_loses_no_acknowledged_write() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.db").display().to_string();
    restored_server_loses_no_acknowledged_write(&db, dir.path(), &ServerBackup);
}

#[test]
fn sqlite_restore_refuses_a_running_server_and_a_file_not_a_server_database() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.db").display().to_string();
    let server = Server::start(&db);
    let (_, token) = tenant_with_user(&db, "coordinator");
    let backup = dir.path().join("backup.db");
    ServerBackup.backup(&db, &backup);
    let head = server_head(&server.url, &token);

    let refused = |args: &[&str]| {
        let out = Command::new(SERVER).args(args).output().unwrap();
        assert!(!out.status.success(), "{args:?} was not refused");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let backup_path = backup.to_str().unwrap();
    let err = refused(&["restore", "--db", &db, "--from", backup_path]);
    assert!(err.contains("still running"), "{err}");
    let notes = dir.path().join("notes.txt");
    std::fs::write(&notes, "geen database").unwrap();
    let err = refused(&["restore", "--db", &db, "--from", notes.to_str().unwrap()]);
    assert!(err.contains("is not a Wijkwerk server database"), "{err}");
    let err = refused(&["backup", "--db", &db, "--out", &db]);
    assert!(err.contains("would overwrite the database itself"), "{err}");
    let missing = dir.path().join("missing.db");
    let err = refused(&[
        "backup",
        "--db",
        missing.to_str().unwrap(),
        "--out",
        backup_path,
    ]);
    assert!(err.contains("no such file"), "{err}");
    assert!(!missing.exists(), "a backup creates no database");
    // Nothing of this touched the running server.
    assert_eq!(server_head(&server.url, &token), head);
}

/// `psql` of the newest PostgreSQL installed (any version talks to the server).
fn psql() -> Command {
    let newest = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path().join("bin/psql"))
        .filter(|p| p.is_file())
        .max_by_key(|p| {
            p.components()
                .nth(4)
                .and_then(|c| c.as_os_str().to_str()?.parse::<u32>().ok())
        });
    Command::new(newest.unwrap_or_else(|| PathBuf::from("psql")))
}

/// PostgreSQL's own tools, of the server's major version.
struct PgTools {
    bin: PathBuf,
}

impl PgTools {
    fn of_server(url: &str) -> PgTools {
        let version = run(psql()
            .args(["-X", "-qAt", "-c", "SHOW server_version_num", "-d"])
            .arg(url));
        let major = version.trim().parse::<u32>().expect("a version number") / 10_000;
        let bin = PathBuf::from(format!("/usr/lib/postgresql/{major}/bin"));
        assert!(
            bin.join("pg_dump").is_file() && bin.join("pg_restore").is_file(),
            "pg_dump and pg_restore of PostgreSQL {major} are not in {}",
            bin.display()
        );
        PgTools { bin }
    }
}

impl Tool for PgTools {
    fn backup(&self, db: &str, file: &Path) {
        run(Command::new(self.bin.join("pg_dump"))
            .args(["-Fc", "-f"])
            .arg(file)
            .args(["-d", db]));
    }

    fn restore(&self, db: &str, file: &Path) {
        run(Command::new(self.bin.join("pg_restore"))
            .args(["--clean", "--if-exists", "--single-transaction", "-d", db])
            .arg(file));
    }
}

/// A database of this test's own in the test cluster (a restore replaces a whole database, so
/// the one other tests share is not used); dropped at the end.
struct OwnDatabase {
    admin_url: String,
    name: String,
    url: String,
}

impl OwnDatabase {
    fn create(shared: &str) -> OwnDatabase {
        let name = format!("wijkwerk_restore_{}", Uuid::now_v7().simple());
        let (base, _) = shared
            .rsplit_once('/')
            .expect("a PostgreSQL URL with a database name");
        let url = format!("{base}/{name}");
        run(psql()
            .args(["-X", "-q", "-c", &format!("CREATE DATABASE {name}"), "-d"])
            .arg(shared));
        OwnDatabase {
            admin_url: shared.to_owned(),
            name,
            url,
        }
    }
}

impl Drop for OwnDatabase {
    fn drop(&mut self) {
        let _ = psql()
            .args([
                "-X",
                "-q",
                "-c",
                &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
                "-d",
                &self.admin_url,
            ])
            .output();
    }
}

#[test]
fn postgres_restored_from_pg_dump_loses_no_acknowledged_write() {
    let Ok(shared) = std::env::var("WIJKWERK_TEST_POSTGRES") else {
        eprintln!("WIJKWERK_TEST_POSTGRES is not set: the PostgreSQL backup test is skipped");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let db = OwnDatabase::create(&shared);
    let tools = PgTools::of_server(&db.url);
    restored_server_loses_no_acknowledged_write(&db.url, dir.path(), &tools);
}
