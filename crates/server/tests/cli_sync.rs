//! The real `wijkwerk` command line syncing with a real server (SQLite, or PostgreSQL when
//! `WIJKWERK_TEST_POSTGRES` is set), and the `sync` process killed (SIGKILL) at each step of the
//! push and the pull. A small proxy, the gate, stands between them: it stops one chosen request
//! before the server, or after the server answered (the server has committed, the laptop has
//! not), or just after the answer reached the laptop, and tells the test, which then kills the
//! process. Each time `sync` runs again to the end, and nothing is lost, nothing is applied
//! twice, and the stores come out byte for byte the same (`wijkwerk export`).
//!
//! The CLI binary is looked for next to the server binary (the same profile folder of the same
//! target folder); when it is missing, the test builds it with `cargo build -p wijkwerk-cli`.

mod common;

use common::{
    database, forward, outbox_transactions_ever, read_request, request_line, server_head,
    tenant_with_user, Server,
};
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use wijkwerk_core::{Entity, Store, Write as StoreWrite};

// ---- the command line --------------------------------------------------------------------

/// The `wijkwerk` binary next to `wijkwerk-server`; built once when it is missing.
fn cli_binary() -> &'static Path {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(|| {
        let server = Path::new(common::SERVER);
        let binary = server.with_file_name(format!("wijkwerk{}", std::env::consts::EXE_SUFFIX));
        if binary.exists() {
            return binary;
        }
        // target/<profile>/wijkwerk-server: build the CLI into the same folder.
        let profile_dir = server.parent().expect("the profile folder");
        let target_dir = profile_dir.parent().expect("the target folder");
        let profile = match profile_dir.file_name().and_then(|n| n.to_str()) {
            Some("debug") => "dev",
            Some(name) => name,
            None => "dev",
        };
        eprintln!(
            "{} is missing: building it (cargo build -p wijkwerk-cli --profile {profile})",
            binary.display()
        );
        let status = Command::new(option_env!("CARGO").unwrap_or("cargo"))
            .args(["build", "-p", "wijkwerk-cli", "--bin", "wijkwerk"])
            .args(["--profile", profile, "--target-dir"])
            .arg(target_dir)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .expect("cargo runs");
        assert!(
            status.success() && binary.exists(),
            "could not build {} (run `cargo build -p wijkwerk-cli` first)",
            binary.display()
        );
        binary
    })
}

fn wijkwerk(data: &Path, args: &[&str]) -> Output {
    Command::new(cli_binary())
        .arg("--data")
        .arg(data)
        .args(args)
        .env_remove("WIJKWERK_DATA")
        .env_remove("WIJKWERK_TOKEN")
        .output()
        .expect("the wijkwerk binary runs")
}

/// Runs a command that must succeed and returns its JSON output.
fn ok(data: &Path, args: &[&str]) -> Value {
    let out = wijkwerk(data, args);
    assert!(
        out.status.success(),
        "wijkwerk {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "wijkwerk {args:?} printed no JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

/// Runs a command that must be refused and returns its error object.
fn refused(data: &Path, args: &[&str]) -> Value {
    let out = wijkwerk(data, args);
    assert_eq!(
        out.status.code(),
        Some(1),
        "wijkwerk {args:?} should be refused"
    );
    let error: Value = serde_json::from_slice(&out.stderr).expect("a JSON error");
    error["error"].clone()
}

fn sync_args<'a>(server: &'a str, token: &'a str) -> [&'a str; 5] {
    ["sync", "--server", server, "--token", token]
}

/// One full round that must succeed; returns the whole output (server, report, status).
fn sync(data: &Path, server: &str, token: &str) -> Value {
    ok(data, &sync_args(server, token))
}

fn export(data: &Path) -> String {
    let out = wijkwerk(data, &["export"]);
    assert!(out.status.success(), "export");
    String::from_utf8(out.stdout).expect("UTF-8")
}

fn status(data: &Path) -> Value {
    ok(data, &["sync-status"])
}

/// Local transactions waiting in the outbox.
fn waiting(data: &Path) -> i64 {
    status(data)["waiting"].as_i64().unwrap()
}

/// The last server transaction the laptop has applied.
fn cursor(data: &Path) -> i64 {
    status(data)["cursor"].as_i64().unwrap()
}

fn contacts(data: &Path) -> i64 {
    Store::open(data).unwrap().count(Entity::Contact).unwrap()
}

fn new_laptop(root: &Path, name: &str) -> PathBuf {
    let data = root.join(name);
    ok(&data, &["init"]);
    data
}

// ---- the gate ----------------------------------------------------------------------------

/// Where the gate stops the request it waits for.
#[derive(Clone, Copy, Debug)]
enum Stop {
    /// The request never reaches the server.
    BeforeServer,
    /// The server answers (and has committed); the answer never reaches the laptop.
    AfterServer,
    /// The answer reaches the laptop (which then applies it).
    AfterAnswer,
}

/// Stop the `nth` request (from 1) whose first line starts with `request`.
struct Trap {
    request: &'static str,
    nth: usize,
    stop: Stop,
}

#[derive(Default)]
struct Traps {
    armed: Vec<(Trap, usize)>,
    /// The first line of every request that came through, in order.
    log: Vec<String>,
}

/// A proxy in front of the server that passes everything, except the requests it is armed for.
struct Gate {
    url: String,
    traps: Arc<Mutex<Traps>>,
    sprung: Receiver<Stop>,
}

impl Gate {
    fn start(target: &str) -> Gate {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let traps = Arc::new(Mutex::new(Traps::default()));
        let (tell, sprung) = channel();
        let (target, shared) = (target.to_owned(), traps.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let (target, traps, tell) = (target.clone(), shared.clone(), tell.clone());
                std::thread::spawn(move || {
                    let _ = pass(stream, &target, &traps, &tell);
                });
            }
        });
        Gate { url, traps, sprung }
    }

    /// Arms the gate for these requests only (earlier traps and signals are forgotten).
    fn arm(&self, traps: Vec<Trap>) {
        while self.sprung.try_recv().is_ok() {}
        let mut t = self.traps.lock().unwrap();
        t.armed = traps.into_iter().map(|trap| (trap, 0)).collect();
    }

    /// Waits until an armed request has been stopped.
    fn wait_sprung(&self) -> Stop {
        self.sprung
            .recv_timeout(Duration::from_secs(60))
            .expect("the armed request came through the gate within a minute")
    }

    /// Forgets the request log; returns what it held.
    fn take_log(&self) -> Vec<String> {
        std::mem::take(&mut self.traps.lock().unwrap().log)
    }
}

fn pass(
    mut client: TcpStream,
    target: &str,
    traps: &Mutex<Traps>,
    tell: &Sender<Stop>,
) -> std::io::Result<()> {
    let request = read_request(&mut client)?;
    if request.is_empty() {
        return Ok(());
    }
    let line = request_line(&request);
    let stop = {
        let mut t = traps.lock().unwrap();
        t.log.push(line.clone());
        let mut stop = None;
        for (trap, seen) in t.armed.iter_mut() {
            if line.starts_with(trap.request) {
                *seen += 1;
                if *seen == trap.nth {
                    stop = Some(trap.stop);
                }
            }
        }
        stop
    };
    match stop {
        None => {
            let answer = forward(target, &request)?;
            client.write_all(&answer)
        }
        Some(Stop::BeforeServer) => {
            let _ = tell.send(Stop::BeforeServer);
            wait_until_gone(client)
        }
        Some(Stop::AfterServer) => {
            forward(target, &request)?;
            let _ = tell.send(Stop::AfterServer);
            wait_until_gone(client)
        }
        Some(Stop::AfterAnswer) => {
            let answer = forward(target, &request)?;
            client.write_all(&answer)?;
            client.flush()?;
            let _ = tell.send(Stop::AfterAnswer);
            Ok(())
        }
    }
}

/// Keeps the laptop's connection open (it waits for an answer) until its process is gone.
fn wait_until_gone(mut client: TcpStream) -> std::io::Result<()> {
    client.set_read_timeout(Some(Duration::from_secs(120)))?;
    let mut byte = [0u8; 1];
    let _ = client.read(&mut byte);
    Ok(())
}

/// Starts `wijkwerk sync` through the gate, as a child process.
fn spawn_sync(gate: &Gate, data: &Path, token: &str) -> Child {
    Command::new(cli_binary())
        .arg("--data")
        .arg(data)
        .args(sync_args(&gate.url, token))
        .env_remove("WIJKWERK_DATA")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("wijkwerk sync starts")
}

/// Runs `wijkwerk sync` through the gate armed with `traps`, and kills the process (SIGKILL)
/// `after` the first trap is sprung. Returns whether the kill found the process still running.
fn sync_killed(gate: &Gate, data: &Path, token: &str, traps: Vec<Trap>, after: Duration) -> bool {
    gate.arm(traps);
    let mut child = spawn_sync(gate, data, token);
    gate.wait_sprung();
    std::thread::sleep(after);
    child.kill().expect("the process can be killed");
    let status = child.wait().unwrap();
    gate.arm(Vec::new());
    status.signal() == Some(9)
}

/// Like [`sync_killed`] with one trap, killed at once: the process must still be running (it
/// waits for the answer the gate holds back).
fn sync_killed_at(
    gate: &Gate,
    data: &Path,
    token: &str,
    request: &'static str,
    nth: usize,
    stop: Stop,
) {
    let killed = sync_killed(
        gate,
        data,
        token,
        vec![Trap { request, nth, stop }],
        Duration::ZERO,
    );
    assert!(
        killed,
        "the sync process was killed while it waited ({request} #{nth}, {stop:?})"
    );
}

const PUSH: &str = "POST /v1/push ";
/// Contacts per transaction in the pull tests: with three fields each, a page holds more than
/// one such transaction and fewer than four.
const PER_TRANSACTION: i64 = wijkwerk_core::sync::PULL_PAGE as i64 * 3 / 10;
const PULL: &str = "GET /v1/pull?";

/// Adds `transactions` local transactions of `per_transaction` contacts each, through the core
/// (the CLI adds one record per process, too slow for thousands).
fn add_many_contacts(data: &Path, transactions: usize, per_transaction: usize) {
    let mut store = Store::open(data).unwrap();
    for t in 0..transactions {
        let batch = (0..per_transaction)
            .map(|i| {
                let fields =
                    json!({"name": format!("Bewoner {t}-{i}"), "phone": format!("06-{t}{i:05}")});
                let Value::Object(fields) = fields else {
                    unreachable!()
                };
                StoreWrite::create(Entity::Contact, fields)
            })
            .collect();
        store.write(batch).unwrap();
    }
}

/// The store's file (opened by nobody but the test's probes and the CLI).
fn store_file(data: &Path) -> PathBuf {
    data.join(wijkwerk_core::store::DATA_FILE)
}

/// The first pull page is let through (the laptop applies it), the second is held.
fn first_page_then_hold() -> Vec<Trap> {
    vec![
        Trap {
            request: PULL,
            nth: 1,
            stop: Stop::AfterAnswer,
        },
        Trap {
            request: PULL,
            nth: 2,
            stop: Stop::BeforeServer,
        },
    ]
}

/// Runs `sync` with the first pull page let through and the second held, and kills the
/// process while it holds the store's write lock after the first page arrived, that is inside
/// the transaction that applies the page. Returns false when the page was applied before a probe
/// saw the lock (the process is killed then too, waiting for the second page).
fn sync_killed_inside_write(gate: &Gate, data: &Path, token: &str) -> bool {
    let probe = common::open_store_file(&store_file(data), rusqlite::OpenFlags::default());
    probe.busy_timeout(Duration::ZERO).unwrap();
    gate.arm(first_page_then_hold());
    let mut child = spawn_sync(gate, data, token);
    assert!(matches!(gate.wait_sprung(), Stop::AfterAnswer));
    let mut caught = false;
    loop {
        // Taking the write lock for a moment fails only while the sync process holds it.
        match probe.execute_batch("BEGIN IMMEDIATE; ROLLBACK;") {
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::DatabaseBusy =>
            {
                caught = true;
                break;
            }
            Err(e) => panic!("probing the store: {e}"),
            Ok(()) => {}
        }
        if stored_cursor(&probe) > 0 {
            break; // the page is applied; the process waits for the second one
        }
        std::thread::sleep(Duration::from_micros(200));
    }
    child.kill().unwrap();
    let status = child.wait().unwrap();
    gate.arm(Vec::new());
    assert_eq!(status.signal(), Some(9), "killed while running");
    caught
}

/// The cursor as committed in the store (read beside a running sync process).
fn stored_cursor(probe: &rusqlite::Connection) -> i64 {
    probe
        .query_row("SELECT cursor_seq FROM sync_state WHERE id = 1", [], |r| {
            r.get(0)
        })
        .unwrap_or(0)
}

/// Runs `sync` with the first pull page let through and the second held; returns the time
/// from the first page's arrival until it is applied (its cursor committed: the second page is
/// asked for while the first is applied), then kills the process.
fn time_to_apply_first_page(gate: &Gate, data: &Path, token: &str) -> Duration {
    let probe = common::open_store_file(&store_file(data), rusqlite::OpenFlags::default());
    gate.arm(first_page_then_hold());
    let mut child = spawn_sync(gate, data, token);
    assert!(matches!(gate.wait_sprung(), Stop::AfterAnswer));
    let arrived = std::time::Instant::now();
    while stored_cursor(&probe) == 0 {
        assert!(
            arrived.elapsed() < Duration::from_secs(60),
            "the first page is applied within a minute"
        );
        std::thread::sleep(Duration::from_micros(200));
    }
    let applying = arrived.elapsed();
    child.kill().unwrap();
    child.wait().unwrap();
    gate.arm(Vec::new());
    applying
}

// ---- the tests ---------------------------------------------------------------------------

#[test]
fn a_sync_process_killed_at_each_step_loses_nothing_and_applies_nothing_twice() {
    let dir = tempfile::tempdir().unwrap();
    let db = database(dir.path());
    let server = Server::start(&db);
    let (_, token) = tenant_with_user(&db, "coordinator");
    let gate = Gate::start(&server.address());
    let a = new_laptop(dir.path(), "a");
    let b = new_laptop(dir.path(), "b");
    ok(
        &a,
        &[
            "contact",
            "add",
            "--json",
            r#"{"name": "Els Bakker", "phone": "072-5"}"#,
        ],
    );

    // Push, killed before the request reaches the server: the server has nothing, the change
    // still waits on the laptop.
    sync_killed_at(&gate, &a, &token, PUSH, 1, Stop::BeforeServer);
    assert_eq!(
        server_head(&server.url, &token),
        0,
        "the server applied nothing"
    );
    assert_eq!(waiting(&a), 1, "the change still waits");

    // Push, killed after the server committed it but before the laptop heard so: the server has
    // applied it once, the laptop still has it in its outbox.
    sync_killed_at(&gate, &a, &token, PUSH, 1, Stop::AfterServer);
    assert_eq!(server_head(&server.url, &token), 1, "the server applied it");
    assert_eq!(waiting(&a), 1, "the laptop never heard the acknowledgement");

    // The next round sends it again: the server answers `duplicate` and applies nothing twice;
    // the outbox empties.
    let round = sync(&a, &gate.url, &token);
    assert_eq!(
        (
            round["report"]["duplicates"].clone(),
            round["report"]["pushed_transactions"].clone()
        ),
        (json!(1), json!(0)),
        "{round}"
    );
    assert_eq!(
        server_head(&server.url, &token),
        1,
        "still one server transaction"
    );
    assert_eq!(waiting(&a), 0);

    // Enough for more than one pull page (a page is at least PULL_PAGE fields and never splits
    // a server transaction): four transactions of PER_TRANSACTION contacts (three fields each),
    // pushed in one round.
    add_many_contacts(&a, 4, PER_TRANSACTION as usize);
    let round = sync(&a, &gate.url, &token);
    assert_eq!(round["report"]["pushed_transactions"], 4, "{round}");
    let head = server_head(&server.url, &token);
    assert_eq!(head, 5);

    // Pull, killed while waiting for the second page: the first page, and the cursor after
    // it, were committed together; nothing of later pages is there. Transaction 1 holds one
    // contact, each later one 1,500, so the contacts show exactly where the cursor stands.
    sync_killed_at(&gate, &b, &token, PULL, 2, Stop::AfterServer);
    let after_first_page = cursor(&b);
    assert!(
        (1..head).contains(&after_first_page),
        "the cursor stands after the first page: {after_first_page}"
    );
    assert_eq!(contacts(&b), 1 + PER_TRANSACTION * (after_first_page - 1));

    // The next round continues from that cursor: nothing is pulled twice.
    gate.take_log();
    let round = sync(&b, &gate.url, &token);
    let pulls: Vec<String> = gate
        .take_log()
        .into_iter()
        .filter(|l| l.starts_with(PULL))
        .collect();
    assert!(
        pulls[0].contains(&format!("after={after_first_page}&")),
        "the round starts where the killed one stopped: {pulls:?}"
    );
    assert_eq!(
        round["report"]["pulled_records"].as_i64().unwrap(),
        1 + 4 * PER_TRANSACTION - (1 + PER_TRANSACTION * (after_first_page - 1)),
        "only what the first page did not hold: {round}"
    );
    assert_eq!(contacts(&b), 1 + 4 * PER_TRANSACTION);
    assert_eq!(export(&b), export(&a));

    // Pull, killed while the laptop applies the first page. First, how long applying it takes:
    // from the page's arrival to the request for the second one (held there, then killed).
    let c = new_laptop(dir.path(), "c");
    let applying = time_to_apply_first_page(&gate, &c, &token);
    assert_eq!(cursor(&c), after_first_page);
    // Then killed at moments through that time, and once for certain inside the transaction
    // that applies the page (while it holds the store's write lock), each on a new laptop: the
    // page and its cursor are there together or not at all, the store opens, and the next
    // round completes it.
    let check_and_complete = |c: &Path, what: String| {
        let at = cursor(c);
        eprintln!("{what}: cursor {at}");
        assert!(at == 0 || at == after_first_page, "{what}: cursor {at}");
        let expected = if at == 0 {
            0
        } else {
            1 + PER_TRANSACTION * (at - 1)
        };
        assert_eq!(contacts(c), expected, "{what}: page and cursor together");
        sync(c, &gate.url, &token);
        assert_eq!(export(c), export(&a), "{what}: converges");
    };
    for (n, share) in [0.0, 0.5, 0.9].into_iter().enumerate() {
        let c = new_laptop(dir.path(), &format!("c{n}"));
        let after = applying.mul_f64(share);
        assert!(sync_killed(
            &gate,
            &c,
            &token,
            first_page_then_hold(),
            after
        ));
        check_and_complete(&c, format!("killed {after:?} into applying ({applying:?})"));
    }
    let mut inside = 0;
    for n in 0..5 {
        let c = new_laptop(dir.path(), &format!("inside{n}"));
        if sync_killed_inside_write(&gate, &c, &token) {
            inside += 1;
            check_and_complete(&c, "killed inside the page's transaction".into());
            assert_eq!(cursor(&c), head, "completed");
            break;
        }
    }
    assert_eq!(inside, 1, "one kill landed inside the page's transaction");

    // A laptop's own change, then killed while waiting for the first pull page: the push was
    // acknowledged and recorded before the pull, so the next round sends nothing again.
    let els = ok(&b, &["contact", "list"])["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "Els Bakker")
        .expect("Els arrived on b")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    ok(
        &b,
        &["contact", "update", &els, "--json", r#"{"phone": "072-6"}"#],
    );
    // (A's change reaches the server first, so B's round has something to pull: a round whose
    // push is all that is new leaves out its pull.)
    ok(
        &a,
        &["contact", "add", "--json", r#"{"name": "Joost Mulder"}"#],
    );
    sync(&a, &gate.url, &token);
    sync_killed_at(&gate, &b, &token, PULL, 1, Stop::AfterServer);
    assert_eq!(
        waiting(&b),
        0,
        "the acknowledgement was recorded before the pull"
    );
    assert_eq!(server_head(&server.url, &token), head + 2);
    let round = sync(&b, &gate.url, &token);
    assert_eq!(
        (
            round["report"]["pushed_transactions"].clone(),
            round["report"]["duplicates"].clone()
        ),
        (json!(0), json!(0)),
        "nothing is sent again: {round}"
    );

    // Everyone syncs: the same store everywhere, every edit once.
    sync(&a, &gate.url, &token);
    let everywhere = export(&a);
    assert_eq!(export(&b), everywhere);
    assert_eq!(everywhere.matches("Els Bakker").count(), 1);
    assert!(everywhere.contains("072-6"));
    let made: i64 = [&a, &b]
        .iter()
        .map(|l| outbox_transactions_ever(&store_file(l)))
        .sum();
    assert_eq!(
        server_head(&server.url, &token),
        made,
        "the server applied exactly one transaction per local transaction"
    );
    assert_eq!((waiting(&a), waiting(&b)), (0, 0));
}

#[test]
fn sync_reports_what_moved_and_conflicts_lists_the_value_that_lost() {
    let dir = tempfile::tempdir().unwrap();
    let db = database(dir.path());
    let server = Server::start(&db);
    let (_, token) = tenant_with_user(&db, "coordinator");
    let url = server.url.clone();
    let a = new_laptop(dir.path(), "a");
    let b = new_laptop(dir.path(), "b");

    // A new contact goes out: one transaction with its fields. Nothing else is on the server,
    // so the push's answer moves the cursor and the round leaves out its pull.
    let piet = ok(
        &a,
        &[
            "contact",
            "add",
            "--json",
            r#"{"name": "Piet Zeeman", "phone": "1"}"#,
        ],
    );
    let id = piet["id"].as_str().unwrap().to_owned();
    let round = sync(&a, &url, &token);
    let report = &round["report"];
    assert_eq!(round["server"], url.as_str());
    assert_eq!(report["pushed_transactions"], 1, "{round}");
    assert!(report["pushed_fields"].as_i64().unwrap() >= 2, "{round}");
    assert_eq!(report["duplicates"], 0);
    assert_eq!(report["refused"], json!([]));
    assert_eq!(report["pulled_records"], 0);
    assert_eq!(report["pull_skipped"], true);
    assert_eq!(report["cursor"], 1);
    assert_eq!(
        (
            round["status"]["waiting"].clone(),
            round["status"]["conflicts"].clone()
        ),
        (json!(0), json!(0))
    );
    assert!(round["status"]["last_synced_at"].is_string());

    // The other laptop receives it and sends nothing.
    let round = sync(&b, &url, &token);
    assert_eq!(round["report"]["pushed_transactions"], 0, "{round}");
    assert_eq!(round["report"]["pulled_records"], 1);
    assert_eq!(round["report"]["pulled_fields"], report["pushed_fields"]);

    // Both change the phone number offline; b's change is the later one and wins.
    ok(
        &a,
        &[
            "contact",
            "update",
            &id,
            "--json",
            r#"{"phone": "072-111"}"#,
        ],
    );
    sync(&a, &url, &token);
    std::thread::sleep(Duration::from_millis(5));
    ok(
        &b,
        &[
            "contact",
            "update",
            &id,
            "--json",
            r#"{"phone": "072-222"}"#,
        ],
    );
    let round = sync(&b, &url, &token);
    assert_eq!(round["report"]["pushed_transactions"], 1, "{round}");
    assert_eq!(round["report"]["pulled_conflicts"], 1, "{round}");
    assert_eq!(round["status"]["conflicts"], 1);
    let round = sync(&a, &url, &token);
    assert_eq!(round["report"]["pulled_conflicts"], 1, "{round}");
    assert_eq!(round["report"]["pulled_records"], 1);

    // `conflicts` lists what lost, against what won.
    let listed = ok(&a, &["conflicts"]);
    let list = listed.as_array().expect("a list");
    assert_eq!(list.len(), 1, "{listed}");
    let conflict = &list[0];
    assert_eq!(
        (
            conflict["entity"].clone(),
            conflict["record_id"].clone(),
            conflict["field"].clone(),
            conflict["lost_value"].clone(),
            conflict["won_value"].clone(),
            conflict["resolved"].clone(),
        ),
        (
            json!("contact"),
            json!(id),
            json!("phone"),
            json!("072-111"),
            json!("072-222"),
            json!(false)
        )
    );

    // Keeping the lost value is a new edit that goes everywhere; the conflict leaves the list
    // (and stays in `--all`).
    let seq = conflict["seq"].as_i64().unwrap().to_string();
    ok(&a, &["conflicts", "keep", &seq]);
    assert_eq!(sync(&a, &url, &token)["report"]["pushed_transactions"], 1);
    sync(&b, &url, &token);
    assert_eq!(ok(&b, &["contact", "get", &id])["phone"], "072-111");
    assert_eq!(ok(&a, &["conflicts"]), json!([]));
    assert_eq!(ok(&a, &["conflicts", "--all"]).as_array().unwrap().len(), 1);
    assert_eq!(export(&a), export(&b));

    // A refused sign-in and an unreachable server are reported, and lose nothing.
    ok(
        &a,
        &["contact", "add", "--json", r#"{"name": "Na de storing"}"#],
    );
    let error = refused(&a, &sync_args(&url, "wk_not-a-token"));
    assert_eq!(error["code"], "unauthorized", "{error}");
    let gone = TcpListener::bind("127.0.0.1:0").unwrap();
    let nobody = format!("http://{}", gone.local_addr().unwrap());
    drop(gone);
    let error = refused(&a, &sync_args(&nobody, &token));
    assert_eq!(error["code"], "offline", "{error}");
    let now = status(&a);
    assert_eq!(now["waiting"], 1, "the change still waits");
    assert!(now["last_error"].is_string(), "{now}");
    let round = sync(&a, &url, &token);
    assert_eq!(round["report"]["pushed_transactions"], 1, "{round}");
    assert!(round["status"]["last_error"].is_null(), "{round}");
}

#[test]
fn the_demo_municipality_syncs_only_with_a_training_server() {
    let dir = tempfile::tempdir().unwrap();
    let db = database(dir.path());
    let server = Server::start(&db);
    let (_, token) = tenant_with_user(&db, "coordinator");
    let demo = dir.path().join("demo");
    ok(&demo, &["init", "--demo"]);

    // Refused before anything goes out, with what to do instead.
    let error = refused(&demo, &sync_args(&server.url, &token));
    assert_eq!(error["code"], "demo", "{error}");
    assert!(
        error["message"].as_str().unwrap().contains("--allow-demo"),
        "{error}"
    );
    assert!(waiting(&demo) > 0, "the demo still waits");

    // Said to be a training server: the demo goes, and another laptop gets it.
    let mut args = sync_args(&server.url, &token).to_vec();
    args.push("--allow-demo");
    let round = ok(&demo, &args);
    assert!(
        round["report"]["pushed_transactions"].as_i64().unwrap() >= 1,
        "{round}"
    );
    let other = new_laptop(dir.path(), "b");
    sync(&other, &server.url, &token);
    assert_eq!(export(&other), export(&demo));
}
