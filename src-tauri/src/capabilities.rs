//! Tests of the window's security settings, read from the files as the build reads them:
//!
//! - the capabilities (`src-tauri/capabilities/*.json`) grant **exactly** the permissions the
//!   front end needs: every `@tauri-apps` function imported in `ui/src` (tests and their mocks
//!   aside) is looked up in [`API`], and every `plugin:NAME|COMMAND` the UI names itself is
//!   the permission `allow-COMMAND` of that plugin. A permission granted that nothing needs fails,
//!   and so does one needed that is not granted (the call would be refused at run time);
//! - the Content Security Policy (`app.security.csp` in `tauri.conf.json`) stays strict: no
//!   remote host, nothing inline or evaluated, no plugins, no `<base>`, no form posts, no frames.
//!
//! The app's own commands (`generate_handler!` in `lib.rs`) need no permission as long as the
//! build defines no app manifest (`tauri_build::AppManifest`); the first test checks that too.

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The `@tauri-apps` functions the front end may import, with the permissions each needs. An
/// import missing here fails the test: add it with its permissions (Tauri's permission
/// identifiers are listed in `gen/schemas/desktop-schema.json` after a build).
const API: &[(&str, &str, &[&str])] = &[
    // The app's own commands: no permission without an app manifest.
    ("@tauri-apps/api/core", "invoke", &[]),
    // `listen` resolves to a function that stops listening: `plugin:event|unlisten`.
    (
        "@tauri-apps/api/event",
        "listen",
        &["core:event:allow-listen", "core:event:allow-unlisten"],
    ),
    (
        "@tauri-apps/api/event",
        "once",
        &["core:event:allow-listen", "core:event:allow-unlisten"],
    ),
    ("@tauri-apps/api/event", "emit", &["core:event:allow-emit"]),
    (
        "@tauri-apps/api/event",
        "emitTo",
        &["core:event:allow-emit-to"],
    ),
];

/// Tauri's own plugins, whose permissions carry the `core:` prefix.
const CORE_PLUGINS: &[&str] = &[
    "app",
    "event",
    "image",
    "menu",
    "path",
    "resources",
    "tray",
    "webview",
    "window",
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The files below `folder` with one of `extensions`, in a stable order.
fn files(folder: &Path, extensions: &[&str]) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut folders = vec![folder.to_path_buf()];
    while let Some(folder) = folders.pop() {
        let entries =
            std::fs::read_dir(&folder).unwrap_or_else(|e| panic!("{}: {e}", folder.display()));
        for entry in entries {
            let path = entry.expect("a folder entry").path();
            if path.is_dir() {
                folders.push(path);
            } else if path
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| extensions.contains(&e))
            {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

/// The permissions the capability files grant, each with the file that grants it.
fn granted(capabilities: &[(PathBuf, Value)]) -> BTreeMap<String, String> {
    let mut granted = BTreeMap::new();
    for (path, capability) in capabilities {
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        let permissions = capability["permissions"]
            .as_array()
            .unwrap_or_else(|| panic!("{name}: no permissions list"));
        for permission in permissions {
            // A permission is its identifier, or an object with one (and a scope).
            let id = permission
                .as_str()
                .or_else(|| permission["identifier"].as_str())
                .unwrap_or_else(|| panic!("{name}: a permission without identifier: {permission}"));
            granted.insert(id.to_owned(), name.to_string());
        }
    }
    granted
}

/// Where the front end's code imports `@tauri-apps`: (file, module, imported name).
/// `import type` brings no call and is left out. A namespace import or a dynamic `import()`
/// cannot be checked name by name and is reported as the name `*`.
fn tauri_imports(file: &Path, text: &str) -> Vec<(String, String, String)> {
    let shown = file
        .strip_prefix(root())
        .unwrap_or(file)
        .display()
        .to_string();
    let mut found = Vec::new();
    for (at, _) in text.match_indices("@tauri-apps/") {
        let module_end = text[at..]
            .find(['\'', '"', '`'])
            .map_or(text.len(), |end| at + end);
        let module = text[at..module_end].to_owned();
        let before = text[..at].trim_end_matches(['\'', '"', '`']).trim_end();
        if before.ends_with("import(") {
            found.push((shown.clone(), module, "*".to_owned()));
            continue;
        }
        let Some(clause) = before
            .strip_suffix("from")
            .and_then(|rest| rest.rfind("import").map(|start| &rest[start + 6..]))
        else {
            // A comment or a string naming the package, not an import.
            continue;
        };
        let clause = clause.trim();
        if clause.starts_with("type ") || clause.starts_with("type{") {
            continue;
        }
        match (clause.find('{'), clause.find('}')) {
            (Some(open), Some(close)) if open < close => {
                for name in clause[open + 1..close].split(',') {
                    let name = name.trim();
                    if name.is_empty() || name.starts_with("type ") {
                        continue;
                    }
                    let imported = name.split_whitespace().next().unwrap_or(name);
                    found.push((shown.clone(), module.clone(), imported.to_owned()));
                }
            }
            _ => found.push((shown.clone(), module.clone(), "*".to_owned())),
        }
    }
    found
}

/// `plugin:NAME|COMMAND` named in the front end's code, as the permission it needs.
fn plugin_commands(text: &str) -> Vec<String> {
    let mut needed = Vec::new();
    for (at, _) in text.match_indices("plugin:") {
        let rest = &text[at + "plugin:".len()..];
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '|'))
            .unwrap_or(rest.len());
        if let Some((plugin, command)) = rest[..end].split_once('|') {
            let command = command.replace('_', "-");
            needed.push(if CORE_PLUGINS.contains(&plugin) {
                format!("core:{plugin}:allow-{command}")
            } else {
                format!("{plugin}:allow-{command}")
            });
        }
    }
    needed
}

/// The front end's own sources: tests and their helpers (`src/test/`) mock Tauri and call
/// nothing in the app.
fn ui_sources() -> Vec<PathBuf> {
    let ui = root().join("ui/src");
    files(&ui, &["ts", "js", "svelte"])
        .into_iter()
        .filter(|path| {
            let name = path.to_string_lossy();
            !name.ends_with(".test.ts") && !path.starts_with(ui.join("test"))
        })
        .collect()
}

/// Compares what is granted with what is needed; the problems, each on one line.
fn problems(
    granted: &BTreeMap<String, String>,
    needed: &BTreeMap<String, BTreeSet<String>>,
    unknown: &[String],
) -> Vec<String> {
    let mut problems: Vec<String> = unknown.to_vec();
    for (permission, file) in granted {
        if permission == "core:default" || permission.ends_with(":default") {
            problems.push(format!(
                "{file} grants the set {permission}: name the permissions the UI needs one by one"
            ));
        } else if !needed.contains_key(permission) {
            problems.push(format!(
                "{file} grants {permission}, which nothing in ui/src needs: remove it"
            ));
        }
    }
    for (permission, users) in needed {
        if !granted.contains_key(permission) {
            let users: Vec<&str> = users.iter().map(String::as_str).collect();
            problems.push(format!(
                "{permission} is needed by {} but not granted: the call would be refused",
                users.join(", ")
            ));
        }
    }
    problems
}

#[test]
fn the_capabilities_grant_exactly_what_the_ui_uses() {
    let build_script = read(&root().join("src-tauri/build.rs"));
    assert!(
        !build_script.contains("app_manifest") && !build_script.contains("AppManifest"),
        "the build defines an app manifest: the app's commands now need permissions, which this \
         test does not map yet"
    );

    let capabilities: Vec<(PathBuf, Value)> =
        files(&root().join("src-tauri/capabilities"), &["json"])
            .into_iter()
            .map(|path| {
                let value: Value = serde_json::from_str(&read(&path))
                    .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                (path, value)
            })
            .collect();
    assert!(!capabilities.is_empty(), "no capability files");
    for (path, capability) in &capabilities {
        assert!(
            capability.get("remote").is_none(),
            "{}: a remote address may never call the app",
            path.display()
        );
        assert_eq!(
            capability["windows"],
            serde_json::json!(["main"]),
            "{}: the capability is for the main window only",
            path.display()
        );
    }

    let mut needed: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut unknown = Vec::new();
    for path in ui_sources() {
        let text = read(&path);
        let shown = path
            .strip_prefix(root())
            .unwrap_or(&path)
            .display()
            .to_string();
        if text.contains("__TAURI_INTERNALS__") || text.contains("__TAURI__") {
            unknown.push(format!(
                "{shown} reaches Tauri's internals directly: go through @tauri-apps/api in \
                 ui/src/lib/ipc.ts so the call can be checked here"
            ));
        }
        for (file, module, name) in tauri_imports(&path, &text) {
            match API.iter().find(|(m, n, _)| *m == module && *n == name) {
                Some((_, _, permissions)) => {
                    for permission in *permissions {
                        needed
                            .entry((*permission).to_owned())
                            .or_default()
                            .insert(format!("{name} ({file})"));
                    }
                }
                None => unknown.push(format!(
                    "{file} imports {name} from {module}, which this test does not know: add it \
                     to API in src-tauri/src/capabilities.rs with the permissions it needs"
                )),
            }
        }
        for permission in plugin_commands(&text) {
            needed.entry(permission).or_default().insert(shown.clone());
        }
    }

    let problems = problems(&granted(&capabilities), &needed, &unknown);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The policy as directive → sources.
fn directives(csp: &str) -> BTreeMap<String, Vec<String>> {
    csp.split(';')
        .filter_map(|directive| {
            let mut words = directive.split_whitespace();
            let name = words.next()?.to_owned();
            Some((name, words.map(str::to_owned).collect()))
        })
        .collect()
}

#[test]
fn the_content_security_policy_is_strict() {
    let config: Value =
        serde_json::from_str(&read(&root().join("tauri.conf.json"))).expect("tauri.conf.json");
    let security = &config["app"]["security"];
    assert!(
        matches!(
            security.get("dangerousDisableAssetCspModification"),
            None | Some(Value::Bool(false))
        ),
        "Tauri must add its nonces and hashes to the policy"
    );
    assert!(
        security.get("devCsp").is_none(),
        "one policy for development and release"
    );
    for window in config["app"]["windows"].as_array().expect("windows") {
        assert!(
            window.get("url").is_none(),
            "a window shows the app's own page, never an address: {window}"
        );
    }
    let csp = security["csp"]
        .as_str()
        .expect("app.security.csp is a text");
    let policy = directives(csp);
    for (directive, sources) in [
        ("default-src", "'none'"),
        ("object-src", "'none'"),
        ("base-uri", "'none'"),
        ("form-action", "'none'"),
        ("frame-ancestors", "'none'"),
        ("script-src", "'self'"),
        ("style-src", "'self'"),
    ] {
        assert_eq!(
            policy.get(directive).map(|s| s.join(" ")).as_deref(),
            Some(sources),
            "{directive} in {csp}"
        );
    }
    // The IPC's addresses (Linux and macOS: ipc:, Windows: http://ipc.localhost) and the charts
    // (SVG as data: images) are the only sources beyond the app itself.
    let allowed = ["'self'", "'none'", "ipc:", "http://ipc.localhost", "data:"];
    for (directive, sources) in &policy {
        for source in sources {
            assert!(
                allowed.contains(&source.as_str()),
                "{directive} allows {source}: no remote content, nothing inline or evaluated"
            );
        }
    }
    assert_eq!(
        policy.get("img-src").map(|s| s.join(" ")).as_deref(),
        Some("'self' data:")
    );
}

#[test]
fn imports_are_read_name_by_name() {
    let file = root().join("ui/src/lib/example.ts");
    let text = "// The one door: every `@tauri-apps/*` import is here.\n\
                import { invoke } from '@tauri-apps/api/core';\n\
                import { listen, emit as send } from \"@tauri-apps/api/event\";\n\
                import type { Event } from '@tauri-apps/api/event';\n\
                import * as window from '@tauri-apps/api/window';\n\
                const later = await import('@tauri-apps/plugin-shell');\n";
    let found: Vec<String> = tauri_imports(&file, text)
        .into_iter()
        .map(|(_, module, name)| format!("{module} {name}"))
        .collect();
    assert_eq!(
        found,
        [
            "@tauri-apps/api/core invoke",
            "@tauri-apps/api/event listen",
            "@tauri-apps/api/event emit",
            "@tauri-apps/api/window *",
            "@tauri-apps/plugin-shell *",
        ]
    );
    assert_eq!(
        plugin_commands("invoke('plugin:window|set_title', {}); invoke('plugin:shell|open')"),
        ["core:window:allow-set-title", "shell:allow-open"]
    );
}
