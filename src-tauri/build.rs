//! Tauri's build step: reads `tauri.conf.json` (at the repository root, beside Cargo.toml) and
//! the window capabilities, which live in `src-tauri/capabilities/` rather than beside the
//! manifest, so their place is given here.

fn main() {
    println!("cargo:rerun-if-changed=src-tauri/capabilities");
    let attributes =
        tauri_build::Attributes::new().capabilities_path_pattern("src-tauri/capabilities/**/*");
    if let Err(error) = tauri_build::try_build(attributes) {
        // A build script reports failure by exiting non-zero; the message says what to fix.
        eprintln!("tauri build step failed: {error:#}");
        std::process::exit(1);
    }
}
