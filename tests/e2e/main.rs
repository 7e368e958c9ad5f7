//! End-to-end smoke test: the real, release-built desktop app under Xvfb, driven over WebDriver
//! (tauri-driver in front of WebKitWebDriver).
//!
//! It needs what `scripts/test` provides: the app built with `tauri build` (so that its web
//! assets are inside the binary), named by `WIJKWERK_APP`; `tauri-driver` on PATH; xvfb-run and
//! WebKitWebDriver. It is `#[ignore]`d so that a plain `cargo test` skips it; run it with
//!
//! ```sh
//! WIJKWERK_APP=$CARGO_TARGET_DIR/release/wijkwerk-desktop \
//!     cargo test --workspace --test e2e -- --ignored --nocapture
//! ```

mod webdriver;

use std::path::{Path, PathBuf};
use std::time::Duration;
use webdriver::Driver;
use wijkwerk_core::Store;

fn app_binary() -> PathBuf {
    let app = std::env::var_os("WIJKWERK_APP")
        .map(PathBuf::from)
        .expect("set WIJKWERK_APP to the release binary built by `tauri build`");
    assert!(app.is_file(), "WIJKWERK_APP: no file at {}", app.display());
    app
}

fn screenshot_file() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/screenshots/vandaag.png")
}

#[test]
#[ignore = "needs the release app (WIJKWERK_APP), tauri-driver and xvfb-run: run by scripts/test"]
fn a_first_start_opens_vandaag_on_the_demo_municipality() {
    let app = app_binary();
    // A new, empty data folder: the app creates the store and loads the demo into it.
    let data = tempfile::tempdir().expect("a temporary data folder");

    let driver = Driver::start(data.path());
    let window = driver.session(&app);
    window.wait_for_text("h1", "Vandaag", Duration::from_secs(60));
    let shown = window.text("[data-testid=overdue-count]");
    let folder = window.text("[data-testid=data-folder]");
    window.screenshot(&screenshot_file());
    window.quit();
    driver.stop();

    // What the window showed is what the core counts in the store the app created.
    let store = Store::open(data.path()).expect("the app created a store");
    let expected = store
        .overdue_count(wijkwerk_core::today())
        .expect("overdue count");
    assert!(expected > 0, "the demo always has overdue action points");
    assert_eq!(shown, expected.to_string(), "overdue count in the window");
    assert_eq!(folder, data.path().display().to_string(), "data folder");
    println!(
        "e2e: \"Vandaag\" shown with {shown} overdue action points; screenshot in {}",
        screenshot_file().display()
    );
}
