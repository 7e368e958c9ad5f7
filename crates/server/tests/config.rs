//! The configuration file with the real binary: `serve --config` (flags win over the file), the
//! admin commands finding the database through it, and a bad file refused before anything
//! starts, naming the file, the line and the key.

mod common;

use common::{Laptop, SERVER};
use serde_json::json;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use wijkwerk_core::Entity;

/// Starts `serve` with these arguments; returns the process and its address.
fn serve(args: &[&str]) -> (Child, String) {
    let mut child = Command::new(SERVER)
        .arg("serve")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the server starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("the server says where it listens");
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();
    (child, url)
}

/// The server's `/v1/hello`.
fn hello(url: &str) -> serde_json::Value {
    let mut response = ureq::get(format!("{url}/v1/hello")).call().unwrap();
    serde_json::from_str(&response.body_mut().read_to_string().unwrap()).unwrap()
}

fn admin(args: &[&str]) -> String {
    let out = Command::new(SERVER).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn write(path: &Path, text: &str) -> String {
    std::fs::write(path, text).unwrap();
    path.display().to_string()
}

#[test]
fn a_server_runs_from_its_configuration_file_and_the_admin_commands_find_its_database() {
    let dir = tempfile::tempdir().unwrap();
    let config = write(
        &dir.path().join("server.toml"),
        "# relative to this file\ndb = \"state/server.db\"\nlisten = \"127.0.0.1:0\"\nmax_clock_skew = 60\n",
    );
    std::fs::create_dir(dir.path().join("state")).unwrap();
    let (mut server, url) = serve(&["--config", &config]);
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    assert!(dir.path().join("state/server.db").is_file());

    admin(&["tenant", "add", "gemeente-bergen", "--config", &config]);
    let out = admin(&[
        "user",
        "add",
        "--tenant",
        "gemeente-bergen",
        "--name",
        "anna",
        "--config",
        &config,
    ]);
    let token = out.lines().last().unwrap().trim().to_owned();
    let mut laptop = Laptop::new(dir.path(), "a", &token);
    laptop
        .store
        .create(
            Entity::Contact,
            json!({"name": "Via het configuratiebestand"})
                .as_object()
                .unwrap()
                .clone(),
        )
        .unwrap();
    assert_eq!(laptop.sync(&url).unwrap().pushed_transactions, 1);
    // The file's max_clock_skew is what the server says.
    let said = hello(&url);
    assert_eq!(said["max_clock_skew_ms"], 60_000);
    let _ = server.kill();
    let _ = server.wait();

    // A flag wins over the file.
    let (mut server, url) = serve(&["--config", &config, "--max-clock-skew", "7"]);
    let said = hello(&url);
    assert_eq!(said["max_clock_skew_ms"], 7_000);
    let _ = server.kill();
    let _ = server.wait();

    // The backup command finds the database through the file too.
    let backup = dir.path().join("backup.db");
    let out = admin(&[
        "backup",
        "--config",
        &config,
        "--out",
        backup.to_str().unwrap(),
    ]);
    assert!(
        out.contains("1 tenant(s), 1 user(s), 1 server transaction(s)"),
        "{out}"
    );
}

#[test]
fn https_from_the_configuration_file() {
    let dir = tempfile::tempdir().unwrap();
    let certified =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".into(), "localhost".into()]).unwrap();
    std::fs::write(dir.path().join("cert.pem"), certified.cert.pem()).unwrap();
    std::fs::write(
        dir.path().join("key.pem"),
        certified.signing_key.serialize_pem(),
    )
    .unwrap();
    let config = write(
        &dir.path().join("server.toml"),
        "db = \"server.db\"\nlisten = \"127.0.0.1:0\"\ntls_cert = \"cert.pem\"\ntls_key = \"key.pem\"\n",
    );
    let (mut server, url) = serve(&["--config", &config]);
    assert!(url.starts_with("https://"), "{url}");
    let _ = server.kill();
    let _ = server.wait();
}

#[test]
fn a_bad_configuration_file_is_refused_naming_file_line_and_key() {
    let dir = tempfile::tempdir().unwrap();
    for (text, expected) in [
        (
            "db = \"server.db\"\nlisten = \"127.0.0.1:0\"\ntls_certificate = \"c.pem\"\n",
            "line 3, key `tls_certificate`: unknown key",
        ),
        (
            "db = \"server.db\"\n\nlisten = \"localhost\"\n",
            "line 3, key `listen`: invalid socket address syntax",
        ),
        (
            "db = \"server.db\"\nmax_clock_skew = \"5 minutes\"\n",
            "line 2, key `max_clock_skew`: invalid type: string \"5 minutes\", expected a whole number of seconds",
        ),
        (
            "db = \"server.db\"\ntls_cert = \"cert.pem\"\n",
            "HTTPS needs both a certificate and its key",
        ),
    ] {
        let config = write(&dir.path().join("server.toml"), text);
        for args in [
            vec!["serve", "--config", &config],
            vec!["tenant", "add", "x", "--config", &config],
        ] {
            if args[0] == "tenant" && expected.starts_with("HTTPS") {
                continue; // the admin commands read only db
            }
            let out = Command::new(SERVER).args(&args).output().unwrap();
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(!out.status.success(), "{args:?} with {text:?} was not refused");
            if !expected.starts_with("HTTPS") {
                assert!(
                    err.contains(&format!("configuration file {config}, {expected}")),
                    "{args:?}: {err}"
                );
            } else {
                assert!(err.contains(expected), "{err}");
            }
        }
        assert!(
            !dir.path().join("server.db").exists(),
            "nothing was opened for {text:?}"
        );
    }
}
