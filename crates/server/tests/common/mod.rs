//! A real `wijkwerk-server` process for tests, clients (stores with the HTTP transport), and a
//! mail server that keeps what it is sent ([`smtp_sink`]).
#![allow(dead_code)]

pub mod department;
pub mod smtp_sink;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use wijkwerk_core::sync::http::HttpTransport;
use wijkwerk_core::sync::{SyncError, SyncReport, Transport};
use wijkwerk_core::Store;
use wijkwerk_protocol::wire::Cursor;

pub const SERVER: &str = env!("CARGO_BIN_EXE_wijkwerk-server");

/// The database a test server uses: an SQLite file in the test's folder, or, when
/// `WIJKWERK_TEST_POSTGRES` is set, that PostgreSQL (each test uses its own tenant).
pub fn database(dir: &Path) -> String {
    std::env::var("WIJKWERK_TEST_POSTGRES")
        .unwrap_or_else(|_| dir.join("server.db").display().to_string())
}

/// A database of the test's own, for a test of what every tenant shares (the audit log's purge,
/// which every test server also runs when it starts): an SQLite file, or a new database in the
/// PostgreSQL of `WIJKWERK_TEST_POSTGRES`.
pub async fn own_database(dir: &Path) -> String {
    let Ok(shared) = std::env::var("WIJKWERK_TEST_POSTGRES") else {
        return dir.join("server.db").display().to_string();
    };
    let name = format!("own_{}", uuid::Uuid::now_v7().simple());
    let (client, connection) = tokio_postgres::connect(&shared, tokio_postgres::NoTls)
        .await
        .expect("the test PostgreSQL");
    tokio::spawn(connection);
    client
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .await
        .expect("a database of the test's own");
    let (server, _) = shared.rsplit_once('/').expect("a database URL");
    format!("{server}/{name}")
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
        Server::spawn(db, listen, extra, Stdio::null(), &[])
    }

    /// [`Server::start_on`] with the server's log (JSON lines on stderr) written to `log`.
    pub fn start_logged(db: &str, extra: &[&str], log: &Path) -> Server {
        Server::start_logged_with(db, extra, log, &[])
    }

    /// [`Server::start_logged`] with more environment for the server.
    pub fn start_logged_with(db: &str, extra: &[&str], log: &Path, env: &[(&str, &str)]) -> Server {
        let file = std::fs::File::create(log).expect("the log file");
        Server::spawn(db, "127.0.0.1:0", extra, Stdio::from(file), env)
    }

    fn spawn(
        db: &str,
        listen: &str,
        extra: &[&str],
        stderr: Stdio,
        env: &[(&str, &str)],
    ) -> Server {
        let mut child = Command::new(SERVER)
            .args(["serve", "--db", db, "--listen", listen])
            .args(extra)
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(stderr)
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

/// The newest server transaction of the tenant behind `token`: how many changesets the server
/// has applied for it (each applied changeset is one transaction; a duplicate is none).
pub fn server_head(url: &str, token: &str) -> i64 {
    let mut transport =
        HttpTransport::new(url, token, Duration::from_secs(20)).expect("a transport");
    transport
        .pull(Cursor::default(), 1)
        .expect("the server answers a pull")
        .head
}

/// How many local transactions a store has ever put in its outbox (the outbox sequence is
/// AUTOINCREMENT, so this counts entries already acknowledged and removed too).
/// A laptop's store file opened with SQLite itself, beside the store, with the test suite's key
/// (the store is encrypted: `.cargo/config.toml` gives every test `WIJKWERK_PASSPHRASE`).
pub fn open_store_file(store_file: &Path, flags: rusqlite::OpenFlags) -> rusqlite::Connection {
    let conn = rusqlite::Connection::open_with_flags(store_file, flags).expect("the store opens");
    let key = std::env::var("WIJKWERK_PASSPHRASE").expect("the test suite's store key");
    conn.pragma_update(None, "key", key)
        .expect("the store takes its key");
    conn
}

pub fn outbox_transactions_ever(store_file: &Path) -> i64 {
    let conn = open_store_file(store_file, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY);
    conn.query_row(
        "SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'outbox'), 0)",
        [],
        |r| r.get(0),
    )
    .expect("the outbox sequence")
}

// Plumbing for the test proxies (one request per connection).

/// Reads one HTTP request (head and `content-length` body) from a client.
pub fn read_request(stream: &mut TcpStream) -> std::io::Result<Vec<u8>> {
    let mut data = Vec::new();
    let mut buf = [0u8; 65536];
    loop {
        let n = stream.read(&mut buf)?;
        if n == 0 {
            return Ok(data);
        }
        data.extend_from_slice(&buf[..n]);
        if let Some(end) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            let headers = String::from_utf8_lossy(&data[..end]).to_ascii_lowercase();
            let length = headers
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok())
                .unwrap_or(0);
            while data.len() < end + 4 + length {
                let n = stream.read(&mut buf)?;
                if n == 0 {
                    break;
                }
                data.extend_from_slice(&buf[..n]);
            }
            return Ok(data);
        }
    }
}

/// The first line of a request, such as `POST /v1/push HTTP/1.1`.
pub fn request_line(request: &[u8]) -> String {
    let text = String::from_utf8_lossy(request);
    text.lines().next().unwrap_or_default().to_owned()
}

/// Forwards one request on a fresh connection that closes after the answer.
pub fn forward(target: &str, request: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut upstream = TcpStream::connect(target)?;
    upstream.set_read_timeout(Some(Duration::from_secs(20)))?;
    let text = String::from_utf8_lossy(request);
    let end = text.find("\r\n\r\n").unwrap_or(0);
    let head: String = text[..end]
        .lines()
        .filter(|l| !l.to_ascii_lowercase().starts_with("connection:"))
        .collect::<Vec<_>>()
        .join("\r\n");
    upstream.write_all(head.as_bytes())?;
    upstream.write_all(b"\r\nconnection: close\r\n\r\n")?;
    upstream.write_all(&request[end + 4..])?;
    let mut answer = Vec::new();
    upstream.read_to_end(&mut answer)?;
    Ok(answer)
}

/// An HTTP client for the tests' own requests: answers of every status are returned, not errors.
pub fn http_agent(timeout: std::time::Duration) -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(timeout))
        .build()
        .into()
}

/// Every page of a laptop's encrypted store file (or its WAL) decrypted with the test suite's
/// key, free pages and free space in pages included: what someone holding the key could read
/// from the bytes on disk, not only what SQL shows. SQLCipher 4's layout: 4096-byte pages, each
/// AES-256-CBC over all but its 80-byte reserve (IV, then HMAC); page 1 keeps the salt in its
/// first 16 bytes. A WAL is a 32-byte header, then frames of a 24-byte header and one page.
pub fn decrypted_store_bytes(file: &Path) -> Vec<u8> {
    use aes::cipher::{block_padding::NoPadding, BlockDecryptMut, KeyIvInit};
    const PAGE: usize = 4096;
    const RESERVE: usize = 80;
    const IV: usize = 16;
    let key_text = std::env::var("WIJKWERK_PASSPHRASE").expect("the test suite's store key");
    let hex = key_text
        .trim_start_matches("x'")
        .trim_end_matches('\'')
        .to_owned();
    let key: Vec<u8> = (0..64)
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("a hex key"))
        .collect();
    let bytes = std::fs::read(file).expect("the file reads");
    let decrypt_page = |page: &[u8], number: u32| -> Vec<u8> {
        let start = if number == 1 { 16 } else { 0 };
        let end = PAGE - RESERVE;
        let iv = &page[end..end + IV];
        let mut data = page[start..end].to_vec();
        cbc::Decryptor::<aes::Aes256>::new(key.as_slice().into(), iv.into())
            .decrypt_padded_mut::<NoPadding>(&mut data)
            .expect("a whole number of blocks");
        data
    };
    let mut plain = Vec::with_capacity(bytes.len());
    let is_wal = file.to_string_lossy().ends_with("-wal");
    if is_wal {
        let mut at = 32;
        while at + 24 + PAGE <= bytes.len() {
            let number = u32::from_be_bytes(bytes[at..at + 4].try_into().expect("4 bytes"));
            plain.extend(decrypt_page(&bytes[at + 24..at + 24 + PAGE], number));
            at += 24 + PAGE;
        }
    } else {
        for (i, page) in bytes.chunks_exact(PAGE).enumerate() {
            plain.extend(decrypt_page(page, i as u32 + 1));
        }
    }
    plain
}
