//! Where the CLI keeps its data when no folder is given, and what it needs from the system.

use std::process::Command;

fn wijkwerk() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_wijkwerk"));
    command.env_remove("WIJKWERK_DATA");
    command
}

/// Without `--data` the CLI opens the app's folder: `wijkwerk` in the per-user local data folder
/// (here pointed into a temporary home, so the test touches nothing of the user's).
#[cfg(target_os = "linux")]
#[test]
fn without_data_the_cli_uses_the_apps_local_data_folder() {
    let home = tempfile::tempdir().unwrap();
    let out = wijkwerk()
        .args(["init", "--demo", "--demo-date", "2026-11-24"])
        .env("HOME", home.path())
        .env("XDG_DATA_HOME", home.path().join("data"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(home.path().join("data/wijkwerk/wijkwerk.sqlite3").is_file());
}

/// The time-zone database is inside the program: a system without one (a clean Linux install
/// without tzdata; `TZDIR` names an empty folder here, so the system's is not found) still puts
/// the demo's meetings in Amsterdam time. Before, `init --demo` failed there with "unknown time
/// zone Europe/Amsterdam" (found by installing the .deb into a clean root).
#[test]
fn the_demo_needs_no_time_zone_database_from_the_system() {
    let data = tempfile::tempdir().unwrap();
    let empty_zoneinfo = tempfile::tempdir().unwrap();
    let out = wijkwerk()
        .arg("--data")
        .arg(data.path())
        .args(["init", "--demo", "--demo-date", "2026-11-24"])
        .env("TZDIR", empty_zoneinfo.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
