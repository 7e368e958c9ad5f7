//! `wijkwerk sync --watch` against a real `wijkwerk-server`: it syncs at once, sees what another
//! laptop wrote arrive when asked for a round (a line on standard input), and stops cleanly when
//! standard input closes; a refused sign-in ends it with exit code 1 and the error.
//!
//! The server binary is looked for next to the CLI binary (the same profile folder of the same
//! target folder) and built with `cargo build -p wijkwerk-server` when it is missing. As a Windows
//! program (under Wine) there is no Windows server beside it: the test says so and passes.

mod common;

use common::{ok, wijkwerk};
use serde_json::Value;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

/// How long anything here may take before the test gives up.
const PATIENCE: Duration = Duration::from_secs(60);

fn server_binary() -> Option<PathBuf> {
    let cli = Path::new(env!("CARGO_BIN_EXE_wijkwerk"));
    let server = cli.with_file_name(format!("wijkwerk-server{}", std::env::consts::EXE_SUFFIX));
    if server.exists() {
        return Some(server);
    }
    if cfg!(windows) {
        return None;
    }
    // target/<profile>/wijkwerk: build the server into the same folder.
    let profile_dir = cli.parent()?;
    let target_dir = profile_dir.parent()?;
    let profile = match profile_dir.file_name().and_then(|n| n.to_str()) {
        Some("debug") | None => "dev",
        Some(name) => name,
    };
    eprintln!(
        "{} is missing: building it (cargo build -p wijkwerk-server --profile {profile})",
        server.display()
    );
    let status = Command::new(option_env!("CARGO").unwrap_or("cargo"))
        .args(["build", "-p", "wijkwerk-server", "--bin", "wijkwerk-server"])
        .args(["--profile", profile, "--target-dir"])
        .arg(target_dir)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status()
        .expect("cargo runs");
    assert!(status.success() && server.exists(), "the server was built");
    Some(server)
}

/// A real server on a free port with an SQLite database, and one coordinator's token.
struct Server {
    child: Child,
    url: String,
    token: String,
}

impl Server {
    fn start(binary: &Path, dir: &Path) -> Server {
        let db = dir.join("server.db").display().to_string();
        let admin = |args: &[&str]| {
            let out = Command::new(binary)
                .args(args)
                .args(["--db", &db])
                .output()
                .expect("the server's admin command runs");
            assert!(
                out.status.success(),
                "{args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            String::from_utf8_lossy(&out.stdout).into_owned()
        };
        admin(&["tenant", "add", "bergen"]);
        let out = admin(&[
            "user",
            "add",
            "--tenant",
            "bergen",
            "--name",
            "anna",
            "--role",
            "coordinator",
        ]);
        let token = out.lines().last().expect("a token").trim().to_owned();
        let mut child = Command::new(binary)
            .args(["serve", "--db", &db, "--listen", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the server starts");
        let mut stdout = BufReader::new(child.stdout.take().expect("server stdout"));
        let mut line = String::new();
        stdout
            .read_line(&mut line)
            .expect("the server says where it listens");
        let url = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_owned();
        // Whatever else it prints is read, so that it never blocks on a full pipe.
        std::thread::spawn(move || for _ in stdout.lines() {});
        Server { child, url, token }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A running `sync --watch` and the lines it printed.
struct Watch {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    seen: Vec<String>,
}

impl Watch {
    fn start(data: &Path, args: &[&str]) -> Watch {
        let mut child = Command::new(env!("CARGO_BIN_EXE_wijkwerk"))
            .arg("--data")
            .arg(data)
            .args(["sync", "--watch"])
            .args(args)
            .env_remove("WIJKWERK_DATA")
            .env_remove("WIJKWERK_TOKEN")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("wijkwerk sync --watch starts");
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().expect("its stdout");
        let (send, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        Watch {
            child,
            stdin,
            lines,
            seen: Vec::new(),
        }
    }

    /// Waits for a printed status for which `wanted` holds, and gives it.
    fn until(&mut self, what: &str, wanted: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + PATIENCE;
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            let Ok(line) = self.lines.recv_timeout(left) else {
                break;
            };
            self.seen.push(line.clone());
            let state: Value = serde_json::from_str(&line)
                .unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}"));
            if wanted(&state) {
                return state;
            }
        }
        panic!("no status with {what} in {:#?}", self.seen);
    }

    /// Asks for a round now.
    fn sync_now(&mut self) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        writeln!(stdin).expect("a line to sync --watch");
        stdin.flush().expect("flushed");
    }

    /// Closes standard input and waits for the process to end: its exit code and standard error.
    fn close(mut self) -> (Option<i32>, String) {
        drop(self.stdin.take());
        self.wait()
    }

    /// Waits for the process to end: its exit code and standard error; the lines it printed
    /// since are in `seen`.
    fn wait(&mut self) -> (Option<i32>, String) {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(status) = self.child.try_wait().expect("the process is there") {
                let mut stderr = String::new();
                if let Some(mut err) = self.child.stderr.take() {
                    let _ = std::io::Read::read_to_string(&mut err, &mut stderr);
                }
                // The rest of standard output, to its end.
                while let Ok(line) = self.lines.recv_timeout(PATIENCE) {
                    self.seen.push(line);
                }
                return (status.code(), stderr);
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("sync --watch did not stop: {:#?}", self.seen);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

fn synced(state: &Value) -> bool {
    state["phase"] == "idle" && state["last_synced_at"].is_string()
}

#[test]
fn sync_watch_sees_a_change_arrive_and_stops_when_stdin_closes() {
    let Some(binary) = server_binary() else {
        eprintln!("no wijkwerk-server beside this Windows program: nothing to sync with here");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&binary, dir.path());
    let (anna, bram) = (dir.path().join("anna"), dir.path().join("bram"));
    ok(&anna, &["init"]);
    ok(&bram, &["init"]);
    let login = [
        "--server",
        server.url.as_str(),
        "--token",
        server.token.as_str(),
    ];

    let mut watch = Watch::start(&anna, &[&["--json"][..], &login[..]].concat());
    // A round at once, shown as it runs and when it is done.
    watch.until("a round running", |s| s["phase"] == "syncing");
    let first = watch.until("the first round done", synced);
    assert_eq!(first["server"], server.url.as_str());
    assert_eq!(first["received"], 0);
    assert!(first["next_attempt_at"].is_string(), "{first}");

    // Another laptop writes and syncs; a line on stdin asks Anna's watch for a round now.
    ok(
        &bram,
        &["contact", "add", "--json", r#"{"name": "Bram de Vries"}"#],
    );
    let pushed = ok(&bram, &[&["sync"][..], &login[..]].concat());
    assert_eq!(pushed["report"]["pushed_transactions"], 1, "{pushed}");
    watch.sync_now();
    let arrived = watch.until("what Bram wrote", |s| {
        synced(s) && s["received"].as_u64().unwrap_or(0) > 0
    });
    assert_eq!(arrived["waiting"], 0);

    let (code, stderr) = watch.close();
    assert_eq!(code, Some(0), "stopped cleanly: {stderr}");
    let export = String::from_utf8(wijkwerk(&anna, &["export"]).stdout).unwrap();
    assert!(export.contains("Bram de Vries"), "{export}");
    let status = ok(&anna, &["sync-status"]);
    assert_eq!(status["last_error"], Value::Null, "{status}");
}

#[test]
fn sync_watch_ends_with_the_error_when_the_sign_in_is_refused() {
    let Some(binary) = server_binary() else {
        eprintln!("no wijkwerk-server beside this Windows program: nothing to sync with here");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&binary, dir.path());
    let data = dir.path().join("anna");
    ok(&data, &["init"]);
    // Words for a person (no --json); standard input stays open: it ends by itself.
    let mut watch = Watch::start(
        &data,
        &["--server", &server.url, "--token", "ingetrokken-token"],
    );
    let (code, stderr) = watch.wait();
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        watch.seen.iter().any(|l| l.starts_with("syncing: ")),
        "{:#?}",
        watch.seen
    );
    let last = watch.seen.last().expect("lines");
    assert!(
        last.starts_with("paused_auth: ") && last.contains("unauthorized"),
        "{last}"
    );
    let error: Value = serde_json::from_str(&stderr).expect("the error as JSON");
    assert_eq!(error["error"]["code"], "unauthorized", "{error}");
}

#[test]
fn sync_watch_refuses_a_server_address_that_is_not_one() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("anna");
    ok(&data, &["init"]);
    let out = wijkwerk(
        &data,
        &[
            "sync",
            "--watch",
            "--server",
            "wijkwerk.bergen.nl",
            "--token",
            "t",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let error: Value = serde_json::from_slice(&out.stderr).unwrap();
    assert_eq!(error["error"]["code"], "invalid");
    assert_eq!(error["error"]["field"], "server");
}
