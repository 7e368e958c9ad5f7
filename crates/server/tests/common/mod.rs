//! A real `wijkwerk-server` process for tests, and clients (stores with the HTTP transport).
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use wijkwerk_core::sync::http::HttpTransport;
use wijkwerk_core::sync::{SyncError, SyncReport};
use wijkwerk_core::Store;

pub const SERVER: &str = env!("CARGO_BIN_EXE_wijkwerk-server");

/// The database a test server uses: an SQLite file in the test's folder, or, when
/// `WIJKWERK_TEST_POSTGRES` is set, that PostgreSQL (each test uses its own tenant).
pub fn database(dir: &Path) -> String {
    std::env::var("WIJKWERK_TEST_POSTGRES")
        .unwrap_or_else(|_| dir.join("server.db").display().to_string())
}

pub struct Server {
    pub db: String,
    pub url: String,
    child: Child,
}

impl Server {
    pub fn start(db: &str) -> Server {
        Server::start_on(db, "127.0.0.1:0", &[])
    }

    pub fn start_on(db: &str, listen: &str, extra: &[&str]) -> Server {
        let mut child = Command::new(SERVER)
            .args(["serve", "--db", db, "--listen", listen])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the server starts");
        let stdout = child.stdout.take().expect("server stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("the server says where it listens");
        let url = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_owned();
        Server {
            db: db.to_owned(),
            url,
            child,
        }
    }

    /// Kills the process at once (no graceful shutdown).
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// The address as `127.0.0.1:PORT`.
    pub fn address(&self) -> String {
        self.url.trim_start_matches("http://").to_owned()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

pub fn admin(db: &str, args: &[&str]) -> String {
    let out = Command::new(SERVER)
        .args(args)
        .args(["--db", db])
        .output()
        .expect("admin command runs");
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A new tenant with a coordinator; returns the tenant's name and the token.
pub fn tenant_with_user(db: &str, role: &str) -> (String, String) {
    let tenant = format!("gemeente-{}", uuid::Uuid::now_v7().simple());
    admin(db, &["tenant", "add", &tenant]);
    let token = user(db, &tenant, "anna", role);
    (tenant, token)
}

pub fn user(db: &str, tenant: &str, name: &str, role: &str) -> String {
    let out = admin(
        db,
        &[
            "user", "add", "--tenant", tenant, "--name", name, "--role", role,
        ],
    );
    out.lines().last().expect("a token").trim().to_owned()
}

/// A laptop: a store in its own folder that syncs with one server.
pub struct Laptop {
    pub dir: PathBuf,
    pub store: Store,
    pub token: String,
}

impl Laptop {
    pub fn new(root: &Path, name: &str, token: &str) -> Laptop {
        let dir = root.join(name);
        let store = Store::init(&dir).expect("a new store");
        Laptop {
            dir,
            store,
            token: token.to_owned(),
        }
    }

    pub fn sync(&mut self, server: &str) -> Result<SyncReport, SyncError> {
        let mut transport = HttpTransport::new(server, &self.token, Duration::from_secs(20))?;
        self.store.sync_round(server, &mut transport)
    }

    pub fn export(&self) -> String {
        self.store.export_json().expect("export")
    }
}
