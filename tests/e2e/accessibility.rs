//! The accessibility check of a screen: axe-core (from the front end's npm packages) run in the
//! app's window; serious and critical violations fail the test, with what and where.

use crate::webdriver::Session;
use serde_json::{json, Value};
use std::path::Path;

fn axe_source() -> String {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("ui/node_modules/axe-core/axe.min.js");
    std::fs::read_to_string(&file).unwrap_or_else(|e| {
        panic!(
            "axe-core is missing ({}: {e}); `npm ci --prefix ui` installs it",
            file.display()
        )
    })
}

/// Runs axe-core on what the window shows now; returns the serious and critical violations as
/// readable lines (empty when there are none).
pub fn violations(window: &Session<'_>, screen: &str) -> Vec<String> {
    let loaded = window.script("return typeof window.axe !== 'undefined';", json!([]));
    if loaded != json!(true) {
        let source = axe_source();
        window.script(&format!("{source}\n;return true;"), json!([]));
    }
    let found = window.script_async(
        "const done = arguments[arguments.length - 1];
         window.axe.run(document, {resultTypes: ['violations']}).then((result) => done(
             result.violations
               .filter((v) => v.impact === 'serious' || v.impact === 'critical')
               .map((v) => ({id: v.id, impact: v.impact, help: v.help,
                             nodes: v.nodes.slice(0, 4).map((n) => n.target.join(' ') + ' ' + (n.failureSummary || '').replace(/\\s+/g, ' ').slice(0, 160))}))),
           (error) => done([{id: 'axe-error', impact: 'critical', help: String(error), nodes: []}]));",
        json!([]),
    );
    found
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|v: &Value| {
            format!(
                "{screen}: {} ({}): {} at {}",
                v["id"].as_str().unwrap_or_default(),
                v["impact"].as_str().unwrap_or_default(),
                v["help"].as_str().unwrap_or_default(),
                v["nodes"]
            )
        })
        .collect()
}
