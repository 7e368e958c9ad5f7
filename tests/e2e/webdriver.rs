//! Just enough WebDriver to drive the app: start `tauri-driver` under Xvfb, open a session on
//! the app's binary, find elements, read their text, take a screenshot, and clean up.
//!
//! Clean-up order matters: the session is deleted before the driver stops, or the app outlives
//! it. Both happen in `Drop` too, so a failing assertion leaves no process behind.

use base64::Engine;
use serde_json::{json, Value};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

/// WebDriver's code for the Enter key (in `type_into` text).
pub const ENTER: &str = "\u{E007}";
/// WebDriver's code for the Control key (for `chord`).
pub const CONTROL: &str = "\u{E009}";
/// WebDriver's code for Escape.
pub const ESCAPE: &str = "\u{E00C}";

/// The key under which WebDriver returns an element's id.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// `tauri-driver` (and the WebKitWebDriver it starts) inside `xvfb-run`, in a process group of
/// its own so that stopping it stops Xvfb and the driver as well.
pub struct Driver {
    child: Option<Child>,
    url: String,
    agent: ureq::Agent,
}

/// A free TCP port on localhost (the system picks one; free again once the listener is gone).
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("no free port on localhost");
    listener.local_addr().expect("a bound port").port()
}

impl Driver {
    /// Starts the driver with `WIJKWERK_DATA` set to `data_folder` and `WIJKWERK_SETTINGS` to a
    /// settings file beside it (the app inherits both), and waits until it answers.
    pub fn start(data_folder: &Path) -> Driver {
        Driver::start_with(data_folder, &[])
    }

    /// Like [`Driver::start`], with more environment for the app (`WIJKWERK_EXPORT_DIR`).
    pub fn start_with(data_folder: &Path, env: &[(&str, &Path)]) -> Driver {
        Driver::launch(data_folder, env, true)
    }

    /// Like [`Driver::start`] on a laptop where no keyring answers: without the test suite's
    /// store key (`WIJKWERK_PASSPHRASE`) and with no D-Bus session to find a Secret Service on,
    /// so that the app asks for a passphrase as it would there.
    pub fn start_without_keyring(data_folder: &Path) -> Driver {
        Driver::launch(data_folder, &[], false)
    }

    fn launch(data_folder: &Path, env: &[(&str, &Path)], test_key: bool) -> Driver {
        let settings = data_folder.with_extension("settings.json");
        use std::os::unix::process::CommandExt;
        let (port, native_port) = (free_port(), free_port());
        let mut command = Command::new("xvfb-run");
        if !test_key {
            command.env_remove("WIJKWERK_PASSPHRASE").env(
                "DBUS_SESSION_BUS_ADDRESS",
                "unix:path=/nonexistent/wijkwerk-no-bus",
            );
        }
        let child = command
            .args(["--auto-servernum", "--server-args=-screen 0 1280x1024x24"])
            .arg("tauri-driver")
            .args(["--port", &port.to_string()])
            .args(["--native-port", &native_port.to_string()])
            .env("WIJKWERK_DATA", data_folder)
            .env("WIJKWERK_SETTINGS", &settings)
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .process_group(0)
            .spawn()
            .expect("xvfb-run tauri-driver could not be started (is xvfb installed, is tauri-driver on PATH?)");
        // Ready when WebKitWebDriver accepts connections and tauri-driver, in front of it,
        // answers. (Only a real request goes to tauri-driver: it logs bare connections.)
        Driver::when_ready(child, port, "xvfb-run tauri-driver", move || {
            TcpStream::connect(("127.0.0.1", native_port)).is_ok()
        })
    }

    /// The driver process `child` listening on `port`, once it answers `/status` (and `also`
    /// holds); panics when it stops or takes longer than 30 s.
    fn when_ready(child: Child, port: u16, name: &str, also: impl Fn() -> bool) -> Driver {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(120)))
            .build()
            .into();
        let mut driver = Driver {
            child: Some(child),
            url: format!("http://127.0.0.1:{port}"),
            agent,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        let status = format!("{}/status", driver.url);
        while !also() || driver.agent.get(&status).call().is_err() {
            if let Some(child) = driver.child.as_mut() {
                if let Ok(Some(exit)) = child.try_wait() {
                    driver.child = None;
                    panic!("{name} stopped at once ({exit})");
                }
            }
            assert!(
                Instant::now() < deadline,
                "{name} did not start within 30 s"
            );
            sleep(Duration::from_millis(100));
        }
        driver
    }

    /// Debian's chromedriver in front of headless Chromium (the department colleagues' web
    /// pages on the server are tested in a real browser; no Xvfb needed).
    pub fn chromium() -> Driver {
        use std::os::unix::process::CommandExt;
        let port = free_port();
        let child = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .expect("chromedriver could not be started (apt install chromium-driver)");
        Driver::when_ready(child, port, "chromedriver", || true)
    }

    /// A headless Chromium window (Dutch, trusting the test server's own certificate
    /// authority's certificate as a browser told to accept it would).
    pub fn browser(&self) -> Session<'_> {
        let binary = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
            .into_iter()
            .find(|b| Path::new(b).exists())
            .unwrap_or("/usr/bin/chromium");
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "acceptInsecureCerts": true,
            "goog:chromeOptions": {
                "binary": binary,
                "args": ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                         "--disable-gpu", "--lang=nl-NL", "--window-size=1280,1024"],
            },
            "goog:loggingPrefs": {"browser": "ALL"},
        }}});
        self.new_session(capabilities)
    }

    /// Starts the app at `application` and opens a session on its window.
    pub fn session(&self, application: &Path) -> Session<'_> {
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "tauri:options": {"application": application}
        }}});
        self.new_session(capabilities)
    }

    /// A new WebDriver session with these capabilities.
    fn new_session(&self, capabilities: Value) -> Session<'_> {
        let answer = self.request("POST", "/session", Some(capabilities));
        let id = answer["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {answer}"))
            .to_owned();
        Session {
            driver: self,
            id: Some(id),
        }
    }

    /// One WebDriver request; returns the answer's `value`, or panics with the driver's error.
    fn request(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}{path}", self.url);
        let response = match (method, body) {
            ("GET", _) => self.agent.get(&url).call(),
            ("DELETE", _) => self.agent.delete(&url).call(),
            (_, body) => self
                .agent
                .post(&url)
                .send_json(body.unwrap_or_else(|| json!({}))),
        };
        let mut response =
            response.unwrap_or_else(|e| panic!("{method} {path}: no answer from the driver: {e}"));
        let status = response.status();
        let answer: Value = response
            .body_mut()
            .read_json()
            .unwrap_or_else(|e| panic!("{method} {path}: answer is not JSON: {e}"));
        let value = answer.get("value").cloned().unwrap_or(Value::Null);
        if !status.is_success() {
            panic!("{method} {path}: {status}: {value}");
        }
        value
    }

    /// Stops Xvfb, tauri-driver and WebKitWebDriver (the whole process group).
    pub fn stop(mut self) {
        self.kill();
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let group = format!("-{}", child.id());
            let _ = Command::new("kill").args(["-TERM", "--", &group]).status();
            let _ = child.wait();
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A WebDriver session: the app's window.
pub struct Session<'d> {
    driver: &'d Driver,
    id: Option<String>,
}

impl Session<'_> {
    fn path(&self, rest: &str) -> String {
        format!("/session/{}{rest}", self.id.as_deref().unwrap_or_default())
    }

    /// The first element matching a CSS selector, if there is one now.
    fn find(&self, css: &str) -> Option<String> {
        let url = format!("{}{}", self.driver.url, self.path("/element"));
        let mut response = self
            .driver
            .agent
            .post(&url)
            .send_json(json!({"using": "css selector", "value": css}))
            .ok()?;
        if !response.status().is_success() {
            return None;
        }
        let answer: Value = response.body_mut().read_json().ok()?;
        answer["value"][ELEMENT].as_str().map(str::to_owned)
    }

    /// The text of the first element matching `css`; panics when there is none.
    pub fn text(&self, css: &str) -> String {
        let element = self
            .find(css)
            .unwrap_or_else(|| panic!("no element {css:?} in: {}", self.page_text()));
        let value =
            self.driver
                .request("GET", &self.path(&format!("/element/{element}/text")), None);
        value.as_str().unwrap_or_default().to_owned()
    }

    /// The text of the first element matching `css`, if there is one (and it stays long enough
    /// to be read: a screen being redrawn replaces its elements).
    fn try_text(&self, css: &str) -> Option<String> {
        let element = self.find(css)?;
        let url = format!(
            "{}{}",
            self.driver.url,
            self.path(&format!("/element/{element}/text"))
        );
        let mut response = self.driver.agent.get(&url).call().ok()?;
        if !response.status().is_success() {
            return None;
        }
        let answer: Value = response.body_mut().read_json().ok()?;
        answer["value"].as_str().map(str::to_owned)
    }

    /// Waits until the first element matching `css` has the text `expected`.
    pub fn wait_for_text(&self, css: &str, expected: &str, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        loop {
            if self.try_text(css).as_deref() == Some(expected) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "no {css:?} with {expected:?} after {timeout:?}; the window shows: {}",
                self.page_text()
            );
            sleep(Duration::from_millis(250));
        }
    }

    /// Waits until an element matches `css`; its WebDriver id.
    pub fn wait_for(&self, css: &str, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(element) = self.find(css) {
                return element;
            }
            assert!(
                Instant::now() < deadline,
                "no {css:?} after {timeout:?}; the window shows: {}",
                self.page_text()
            );
            sleep(Duration::from_millis(100));
        }
    }

    /// Waits until the text of the first element matching `css` contains `part`.
    pub fn wait_for_text_containing(&self, css: &str, part: &str, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        loop {
            if self.try_text(css).is_some_and(|text| text.contains(part)) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "no {css:?} containing {part:?} after {timeout:?}; the window shows: {}",
                self.page_text()
            );
            sleep(Duration::from_millis(150));
        }
    }

    /// Whether an element matches `css` now.
    pub fn exists(&self, css: &str) -> bool {
        self.find(css).is_some()
    }

    /// Clicks the first element matching `css` (waiting up to 10 s for it).
    pub fn click(&self, css: &str) {
        let element = self.wait_for(css, Duration::from_secs(10));
        let url = format!(
            "{}{}",
            self.driver.url,
            self.path(&format!("/element/{element}/click"))
        );
        let clicked = self
            .driver
            .agent
            .post(&url)
            .send_json(json!({}))
            .map(|r| r.status().is_success())
            .unwrap_or(false);
        if !clicked {
            // WebKitWebDriver refuses a click when another element's box overlaps the point it
            // aims at (a sticky header, a toast); click the element itself instead.
            let done = self.script(
                "const el = document.querySelector(arguments[0]);
                 if (!el) return false;
                 el.scrollIntoView({block: 'center'});
                 el.focus();
                 el.click();
                 return true;",
                json!([css]),
            );
            assert_eq!(done, json!(true), "could not click {css:?}");
        }
    }

    /// Types `text` into the first element matching `css` (after clearing it). WebDriver keys
    /// such as [`ENTER`] may be part of `text`.
    pub fn type_into(&self, css: &str, text: &str) {
        // A dialog that has just opened may not take keys for a moment: try again briefly.
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let element = self.wait_for(css, Duration::from_secs(10));
            let cleared = self.try_request(&format!("/element/{element}/clear"), json!({}));
            if cleared
                && self.try_request(&format!("/element/{element}/value"), json!({"text": text}))
            {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "could not type into {css:?}; the window shows: {}",
                self.page_text()
            );
            sleep(Duration::from_millis(200));
        }
    }

    /// A POST that may fail; whether it succeeded.
    fn try_request(&self, rest: &str, body: Value) -> bool {
        let url = format!("{}{}", self.driver.url, self.path(rest));
        self.driver
            .agent
            .post(&url)
            .send_json(body)
            .map(|r| r.status().is_success())
            .unwrap_or(false)
    }

    /// Types `text` into the element without clearing it first.
    pub fn append(&self, css: &str, text: &str) {
        let element = self.wait_for(css, Duration::from_secs(10));
        self.send_keys_to(&element, text);
    }

    fn send_keys_to(&self, element: &str, text: &str) {
        self.driver.request(
            "POST",
            &self.path(&format!("/element/{element}/value")),
            Some(json!({"text": text})),
        );
    }

    /// Presses a key combination on the focused element through the Actions API: `modifier` is
    /// held (e.g. [`CONTROL`]) while `key` is pressed.
    pub fn chord(&self, modifier: &str, key: &str) {
        let actions = json!({"actions": [{"type": "key", "id": "keyboard", "actions": [
            {"type": "keyDown", "value": modifier},
            {"type": "keyDown", "value": key},
            {"type": "keyUp", "value": key},
            {"type": "keyUp", "value": modifier}
        ]}]});
        self.driver
            .request("POST", &self.path("/actions"), Some(actions));
        let _ = self
            .driver
            .agent
            .delete(&format!("{}{}", self.driver.url, self.path("/actions")));
    }

    /// Selects the option with `value` in the `<select>` matching `css` (and tells Svelte).
    pub fn select(&self, css: &str, value: &str) {
        self.wait_for(css, Duration::from_secs(10));
        let ok = self.script(
            "const el = document.querySelector(arguments[0]);
             if (!el) return false;
             el.value = arguments[1];
             el.dispatchEvent(new Event('input', {bubbles: true}));
             el.dispatchEvent(new Event('change', {bubbles: true}));
             return el.value === arguments[1];",
            json!([css, value]),
        );
        assert_eq!(ok, json!(true), "no option {value:?} in {css:?}");
    }

    /// Sets the value of an input (date, time, number fields, which WebKit's driver does not type
    /// into reliably) and tells Svelte as a user's typing would.
    pub fn set_value(&self, css: &str, value: &str) {
        self.wait_for(css, Duration::from_secs(10));
        let ok = self.script(
            "const el = document.querySelector(arguments[0]);
             if (!el) return false;
             el.focus();
             el.value = arguments[1];
             el.dispatchEvent(new Event('input', {bubbles: true}));
             el.dispatchEvent(new Event('change', {bubbles: true}));
             return true;",
            json!([css, value]),
        );
        assert_eq!(ok, json!(true), "no {css:?} to set to {value:?}");
    }

    /// Chooses `file` in the file input matching `css`, as the file dialog would (which WebDriver
    /// cannot drive): the file's bytes are handed to the input as a File through a DataTransfer,
    /// and the page gets the `change` a chosen file gives.
    pub fn choose_file(&self, css: &str, file: &Path) {
        self.wait_for(css, Duration::from_secs(10));
        let path = file.display().to_string();
        let bytes = std::fs::read(file).expect("the file to choose");
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        // The bytes as they are (a list in Windows-1252, a workbook), as a real file input has.
        let ok = self.script(
            "const [css, name, bytes] = arguments;
             const el = document.querySelector(css);
             if (!el) return false;
             const transfer = new DataTransfer();
             transfer.items.add(new File([new Uint8Array(bytes)], name));
             el.files = transfer.files;
             el.dispatchEvent(new Event('change', {bubbles: true}));
             return true;",
            json!([css, name, bytes]),
        );
        assert_eq!(ok, json!(true), "could not choose {path} in {css:?}");
    }

    /// Calls a command of the app's Rust side, as the front end does; its answer.
    pub fn invoke(&self, command: &str, args: Value) -> Value {
        self.script_async(
            "const [command, args, done] = arguments;
             window.__TAURI_INTERNALS__.invoke(command, args)
               .then((answer) => done({answer}), (error) => done({error}));",
            json!([command, args]),
        )
    }

    /// Runs a script in the window; its return value.
    pub fn script(&self, script: &str, args: Value) -> Value {
        self.driver.request(
            "POST",
            &self.path("/execute/sync"),
            Some(json!({"script": script, "args": args})),
        )
    }

    /// Runs an asynchronous script (it calls `arguments[arguments.length - 1]` with its result).
    pub fn script_async(&self, script: &str, args: Value) -> Value {
        self.driver.request(
            "POST",
            &self.path("/execute/async"),
            Some(json!({"script": script, "args": args})),
        )
    }

    /// Opens a page (a browser session).
    pub fn open(&self, url: &str) {
        self.driver
            .request("POST", &self.path("/url"), Some(json!({"url": url})));
    }

    /// The browser's console messages since the last call (a browser session): the refusals of
    /// the Content Security Policy among them.
    pub fn console(&self) -> Vec<String> {
        let logs = self.driver.request(
            "POST",
            &self.path("/se/log"),
            Some(json!({"type": "browser"})),
        );
        logs.as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .map(|entry| entry["message"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    /// Goes to a route of the app (`#/vergaderingen`).
    pub fn go(&self, hash: &str) {
        self.script("location.hash = arguments[0]; return true;", json!([hash]));
    }

    /// Everything the window shows as text (for failure messages).
    pub fn page_text(&self) -> String {
        let body = json!({"script": "return document.body.innerText", "args": []});
        let value = self
            .driver
            .request("POST", &self.path("/execute/sync"), Some(body));
        value.as_str().unwrap_or_default().to_owned()
    }

    /// A PNG of the window, written to `file`.
    pub fn screenshot(&self, file: &Path) {
        // The DOM can be ahead of what is painted: let two frames pass first.
        let frames = json!({
            "script": "const done = arguments[arguments.length - 1];
                       requestAnimationFrame(() => requestAnimationFrame(() => done(true)));",
            "args": []
        });
        self.driver
            .request("POST", &self.path("/execute/async"), Some(frames));
        let value = self.driver.request("GET", &self.path("/screenshot"), None);
        let png = base64::engine::general_purpose::STANDARD
            .decode(value.as_str().unwrap_or_default())
            .expect("the screenshot is not base64");
        if let Some(folder) = file.parent() {
            std::fs::create_dir_all(folder).expect("screenshot folder");
        }
        std::fs::write(file, png).expect("screenshot file");
    }

    /// What the Content Security Policy refused in this window so far, one line each (kept by
    /// the app's watch, `src-tauri/src/csp.rs`; panics when the watch is not there).
    pub fn csp_violations(&self) -> Vec<String> {
        let seen = self.script(
            "const seen = window.__WIJKWERK_CSP_VIOLATIONS__;
             return Array.isArray(seen) ? seen : null;",
            json!([]),
        );
        let seen = seen.as_array().unwrap_or_else(|| {
            panic!("the app's CSP watch is missing (window.__WIJKWERK_CSP_VIOLATIONS__)")
        });
        seen.iter()
            .map(|v| {
                format!(
                    "{} refused {} ({}:{}) {}",
                    v["directive"].as_str().unwrap_or_default(),
                    v["blocked"]
                        .as_str()
                        .filter(|b| !b.is_empty())
                        .unwrap_or("inline"),
                    v["source"].as_str().unwrap_or_default(),
                    v["line"],
                    v["sample"].as_str().unwrap_or_default(),
                )
            })
            .collect()
    }

    /// Ends the session, which closes the app; first fails when the Content Security Policy
    /// refused anything while the test used the app.
    pub fn quit(mut self) {
        let violations = self.csp_violations();
        self.delete();
        assert!(
            violations.is_empty(),
            "the Content Security Policy refused what the app needed:\n{}",
            violations.join("\n")
        );
    }

    fn delete(&mut self) {
        if self.id.is_some() {
            let url = format!("{}{}", self.driver.url, self.path(""));
            let _ = self.driver.agent.delete(&url).call();
            self.id = None;
        }
    }
}

impl Drop for Session<'_> {
    fn drop(&mut self) {
        self.delete();
    }
}
