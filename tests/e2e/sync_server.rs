//! The municipality's sync server for the end-to-end run: the real `wijkwerk-server` process on
//! its embedded SQLite, over HTTPS with a certificate of the test's own certificate authority
//! (the "own CA" a municipality may use), and a second laptop that syncs through the core.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use wijkwerk_core::sync::http::HttpTransport;
use wijkwerk_core::sync::SyncReport;
use wijkwerk_core::Store;

/// The server binary: `WIJKWERK_SERVER_BIN`, else beside this test's own folder
/// (`target/<profile>/wijkwerk-server`, built by the workspace's tests before this one).
fn server_binary() -> PathBuf {
    if let Some(bin) = std::env::var_os("WIJKWERK_SERVER_BIN") {
        return PathBuf::from(bin);
    }
    let exe = std::env::current_exe().expect("the test's own path");
    let profile = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>/deps/<test>");
    let bin = profile.join("wijkwerk-server");
    assert!(
        bin.is_file(),
        "no {}: build it first (`cargo build -p wijkwerk-server`) or set WIJKWERK_SERVER_BIN",
        bin.display()
    );
    bin
}

pub struct SyncServer {
    child: Option<Child>,
    db: String,
    cert: PathBuf,
    key: PathBuf,
    /// The certificate authority's certificate (PEM): what the app is told to trust.
    pub ca_file: PathBuf,
    /// `https://127.0.0.1:PORT`
    pub url: String,
}

impl SyncServer {
    /// Makes the server's certificate, its database, a tenant and starts it.
    pub fn start(dir: &Path) -> SyncServer {
        std::fs::create_dir_all(dir).expect("server folder");
        let certified =
            rcgen::generate_simple_self_signed(vec!["127.0.0.1".into(), "localhost".into()])
                .expect("a certificate");
        let (cert, key) = (dir.join("server.pem"), dir.join("server.key"));
        std::fs::write(&cert, certified.cert.pem()).expect("write the certificate");
        std::fs::write(&key, certified.signing_key.serialize_pem()).expect("write the key");
        let mut server = SyncServer {
            child: None,
            db: dir.join("server.db").display().to_string(),
            ca_file: cert.clone(),
            cert,
            key,
            url: String::new(),
        };
        server.admin(&["tenant", "add", "Bergen"]);
        server.serve("127.0.0.1:0");
        server
    }

    /// A coordinator of the tenant; their token.
    pub fn user(&self, name: &str) -> String {
        self.admin(&["user", "add", "--tenant", "Bergen", "--name", name])
            .lines()
            .last()
            .expect("the token is the last line")
            .trim()
            .to_owned()
    }

    fn admin(&self, args: &[&str]) -> String {
        let out = Command::new(server_binary())
            .args(args)
            .args(["--db", &self.db])
            .output()
            .expect("wijkwerk-server runs");
        assert!(
            out.status.success(),
            "wijkwerk-server {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn serve(&mut self, listen: &str) {
        let mut child = Command::new(server_binary())
            .args(["serve", "--db", &self.db, "--listen", listen])
            .arg("--tls-cert")
            .arg(&self.cert)
            .arg("--tls-key")
            .arg(&self.key)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the server starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("the server says where it listens");
        self.url = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_owned();
        self.child = Some(child);
    }

    /// Kills the process at once: the laptops find no server (offline).
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again at the same address.
    pub fn restart(&mut self) {
        self.kill();
        let address = self.url.trim_start_matches("https://").to_owned();
        self.serve(&address);
    }

    /// A second laptop: a store of its own that syncs through the core.
    pub fn laptop(&self, dir: &Path, user: &str) -> Laptop {
        Laptop {
            store: Store::init(dir).expect("a new store"),
            token: self.user(user),
            url: self.url.clone(),
            ca: std::fs::read(&self.ca_file).expect("the CA certificate"),
        }
    }
}

impl Drop for SyncServer {
    fn drop(&mut self) {
        self.kill();
    }
}

pub struct Laptop {
    pub store: Store,
    token: String,
    url: String,
    ca: Vec<u8>,
}

impl Laptop {
    /// One sync round.
    pub fn sync(&mut self) -> SyncReport {
        let mut transport = HttpTransport::with_authority(
            &self.url,
            &self.token,
            Duration::from_secs(30),
            Some(&self.ca),
        )
        .expect("a transport");
        self.store
            .sync_round(&self.url, &mut transport)
            .expect("the second laptop syncs")
    }
}
