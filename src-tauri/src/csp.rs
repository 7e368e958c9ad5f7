//! A watch on the Content Security Policy (`app.security.csp` in `tauri.conf.json`): a script
//! that runs before the page (Tauri's initialization scripts are not subject to the policy) and
//! keeps every `securitypolicyviolation` of the window in `window.__WIJKWERK_CSP_VIOLATIONS__`
//! (at most 50), and says it on the console. The end-to-end tests read the list when they close
//! the app and fail on any entry (`tests/e2e/webdriver.rs`, `Session::quit`), so a screen that
//! needs something the policy refuses is found before a user meets a blank part of it.

use tauri::plugin::{Builder, TauriPlugin};
use tauri::Runtime;

/// Runs at document start, before any of the page's own scripts.
const WATCH: &str = r#"(() => {
  const seen = [];
  Object.defineProperty(window, '__WIJKWERK_CSP_VIOLATIONS__', { value: seen });
  document.addEventListener('securitypolicyviolation', (event) => {
    if (seen.length < 50) {
      seen.push({
        directive: event.effectiveDirective,
        blocked: event.blockedURI,
        source: event.sourceFile,
        line: event.lineNumber,
        sample: event.sample,
      });
    }
    console.error(`Wijkwerk: refused by the Content Security Policy (${event.effectiveDirective}): ${event.blockedURI || 'inline'}`);
  }, true);
})();"#;

/// The watch as a plugin without commands (so it needs no permission).
pub fn watch<R: Runtime>() -> TauriPlugin<R> {
    Builder::new("csp-watch").js_init_script(WATCH).build()
}
