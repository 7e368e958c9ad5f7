//! The municipality's sync server for the end-to-end run: the real `wijkwerk-server` process on
//! its embedded SQLite, over HTTPS with a certificate signed by the municipality's own
//! certificate authority (made here), and a second laptop that syncs through the core.

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

/// A municipality's own certificate authority (PEM) and a server certificate for 127.0.0.1
/// signed by it, with its key (PEM): what a municipality with its own PKI has.
fn municipal_certificates() -> (String, String, String) {
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose,
    };
    let ca_key = KeyPair::generate().expect("a key for the authority");
    let mut ca = CertificateParams::new(Vec::<String>::new()).expect("the authority's fields");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "Gemeente Bergen CA");
    ca.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca_certificate = ca
        .self_signed(&ca_key)
        .expect("the authority's certificate");
    let server_key = KeyPair::generate().expect("a key for the server");
    let server = CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
        .expect("the server's fields");
    let server_certificate = server
        .signed_by(&server_key, &Issuer::from_params(&ca, &ca_key))
        .expect("the server's certificate, signed by the authority");
    (
        ca_certificate.pem(),
        server_certificate.pem(),
        server_key.serialize_pem(),
    )
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
    /// Makes the municipality's certificate authority and the server's certificate signed by
    /// it, the server's database and a tenant, and starts it.
    pub fn start(dir: &Path) -> SyncServer {
        std::fs::create_dir_all(dir).expect("server folder");
        let (authority, certificate, key) = municipal_certificates();
        let (ca_file, cert, key_file) = (
            dir.join("gemeente-ca.pem"),
            dir.join("server.pem"),
            dir.join("server.key"),
        );
        std::fs::write(&ca_file, authority).expect("write the authority's certificate");
        std::fs::write(&cert, certificate).expect("write the certificate");
        std::fs::write(&key_file, key).expect("write the key");
        let key = key_file;
        let mut server = SyncServer {
            child: None,
            db: dir.join("server.db").display().to_string(),
            ca_file,
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

    /// An admin command of the server, with `input` on its standard input (a password).
    pub fn admin_with_input(&self, args: &[&str], input: &str) -> String {
        use std::io::Write;
        let mut child = Command::new(server_binary())
            .args(args)
            .args(["--db", &self.db])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("wijkwerk-server runs");
        if let Some(mut stdin) = child.stdin.take() {
            stdin
                .write_all(input.as_bytes())
                .expect("the input is written");
        }
        let out = child.wait_with_output().expect("wijkwerk-server ends");
        assert!(
            out.status.success(),
            "wijkwerk-server {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn admin(&self, args: &[&str]) -> String {
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
