//! A department colleague for the server's tests and benchmarks: a browser without scripts
//! (plain HTTP with a cookie jar; the pages have none), and the admin commands that make the
//! colleague.
#![allow(dead_code)]

use super::{admin, SERVER};
use std::collections::HashMap;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;
use uuid::Uuid;

/// A colleague's browser: cookies kept, redirects not followed (the tests look at them).
pub struct Browser {
    agent: ureq::Agent,
    base: String,
    pub cookies: HashMap<String, String>,
}

/// An answer: status, where it redirects, body.
pub struct Page {
    pub status: u16,
    pub location: Option<String>,
    pub body: String,
}

impl Page {
    /// The CSRF token of the page's (first) form.
    pub fn csrf(&self) -> String {
        let at = self
            .body
            .find("name=\"csrf\" value=\"")
            .unwrap_or_else(|| panic!("a form with a CSRF token in {}", self.body));
        let rest = &self.body[at + "name=\"csrf\" value=\"".len()..];
        rest[..rest.find('"').expect("the token ends")].to_owned()
    }

    pub fn shows(&self, text: &str) -> bool {
        self.body.contains(text)
    }
}

impl Browser {
    pub fn new(base: &str) -> Browser {
        Browser {
            agent: ureq::Agent::config_builder()
                .http_status_as_error(false)
                .max_redirects(0)
                .timeout_global(Some(Duration::from_secs(30)))
                .build()
                .into(),
            base: base.trim_end_matches('/').to_owned(),
            cookies: HashMap::new(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn keep_cookies(&mut self, response: &ureq::http::Response<ureq::Body>) {
        for value in response.headers().get_all("set-cookie") {
            let text = value.to_str().unwrap_or_default();
            let pair = text.split(';').next().unwrap_or_default();
            if let Some((name, value)) = pair.split_once('=') {
                assert!(
                    name.starts_with("__Host-")
                        && text.contains("HttpOnly")
                        && text.contains("Secure")
                        && text.contains("SameSite=Lax")
                        && text.contains("Path=/"),
                    "every cookie __Host-, HttpOnly, Secure, SameSite, the whole site: {text}"
                );
                if value.is_empty() || text.contains("Max-Age=0") {
                    self.cookies.remove(name);
                } else {
                    self.cookies.insert(name.to_owned(), value.to_owned());
                }
            }
        }
    }

    fn page(&mut self, mut response: ureq::http::Response<ureq::Body>) -> Page {
        self.keep_cookies(&response);
        let location = response
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        if let Some(csp) = response.headers().get("content-security-policy") {
            assert!(csp
                .to_str()
                .unwrap_or_default()
                .contains("default-src 'none'"));
        }
        Page {
            status: response.status().as_u16(),
            location,
            body: response.body_mut().read_to_string().unwrap_or_default(),
        }
    }

    pub fn get(&mut self, path: &str) -> Page {
        let response = self
            .agent
            .get(&format!("{}{path}", self.base))
            .header("cookie", &self.cookie_header())
            .call()
            .expect("the server answers");
        self.page(response)
    }

    pub fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        let response = self
            .agent
            .post(&format!("{}{path}", self.base))
            .header("cookie", &self.cookie_header())
            .send_form(form.iter().copied())
            .expect("the server answers");
        self.page(response)
    }

    /// Signs in with a password; returns the page after the redirect.
    pub fn sign_in(&mut self, email: &str, password: &str) -> Page {
        let csrf = self.get("/aanmelden").csrf();
        let signed_in = self.post(
            "/aanmelden",
            &[("csrf", &csrf), ("email", email), ("password", password)],
        );
        assert_eq!(signed_in.status, 303, "{}", signed_in.body);
        self.get(signed_in.location.as_deref().unwrap_or("/"))
    }
}

pub const PASSWORD: &str = "lange zin als wachtwoord";

/// A colleague's address in a test's own tenant (addresses are unique over the whole server,
/// and the tests share one PostgreSQL).
pub fn address(local: &str, tenant: &str) -> String {
    format!("{local}@{tenant}.example")
}

pub fn department_user(db: &str, tenant: &str, name: &str, department: Uuid, email: &str) {
    admin(
        db,
        &[
            "user",
            "add",
            "--tenant",
            tenant,
            "--name",
            name,
            "--department",
            &department.to_string(),
            "--email",
            email,
        ],
    );
    let mut child = Command::new(SERVER)
        .args([
            "user", "password", "--tenant", tenant, "--name", name, "--db", db,
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the admin command runs");
    writeln!(child.stdin.take().expect("stdin"), "{PASSWORD}").expect("the password is written");
    let out = child.wait_with_output().expect("it ends");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
