//! Running the `wijkwerk` binary as a user does, shared by the CLI tests.
#![allow(dead_code)]

use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

pub fn wijkwerk(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wijkwerk"))
        .arg("--data")
        .arg(data)
        .args(args)
        .env_remove("WIJKWERK_DATA")
        .output()
        .expect("the wijkwerk binary runs")
}

/// Runs a command that must succeed and returns its JSON output.
pub fn ok(data: &Path, args: &[&str]) -> Value {
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
