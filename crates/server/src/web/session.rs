//! Signing in on the web pages: passwords (Argon2id, salted, slow on purpose), one-time
//! sign-in links, sessions in `HttpOnly; Secure; SameSite=Strict` cookies of which only the
//! hash is stored, and the CSRF token every form carries.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use axum::http::HeaderMap;
use base64::Engine;

/// The session cookie.
pub const SESSION_COOKIE: &str = "__Host-wijkwerk_sessie";
/// The cookie of a signed-out browser whose value the sign-in forms repeat (a double-submit
/// CSRF token: another site can neither read nor set it).
pub const SIGN_IN_COOKIE: &str = "__Host-wijkwerk_aanmelden";
/// How long a session lasts (a working day and an evening).
pub const SESSION_HOURS: i64 = 12;
/// How long a sign-in link is valid.
pub const LINK_MINUTES: i64 = 30;
/// At most this many sign-in links per colleague in [`LINK_WINDOW_MINUTES`].
pub const LINKS_PER_WINDOW: i64 = 3;
pub const LINK_WINDOW_MINUTES: i64 = 15;
/// The shortest password an admin may set.
pub const PASSWORD_MIN: usize = 12;

/// A random secret for a cookie, a link or a CSRF token: 32 bytes, URL-safe base64.
pub fn secret() -> String {
    let bytes: [u8; 32] = rand::random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The value of a cookie of the request.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.trim().to_owned())
        .filter(|v| !v.is_empty() && v.len() < 200)
}

/// A `Set-Cookie` value: only for this server's pages (`__Host-`: no other host may set it),
/// never to scripts, only over HTTPS (or `localhost`), never sent along with another site's
/// requests but for following a link to here (`Lax`: a link in a mail opens the page signed
/// in; every form still checks its CSRF token).
pub fn set_cookie(name: &str, value: &str, max_age_s: i64) -> String {
    format!("{name}={value}; Path=/; Max-Age={max_age_s}; HttpOnly; Secure; SameSite=Lax")
}

/// Removes a cookie.
pub fn clear_cookie(name: &str) -> String {
    set_cookie(name, "", 0)
}

/// Compares two secrets in time independent of where they differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("a password has at least {PASSWORD_MIN} characters")]
    TooShort,
    #[error("the password could not be hashed: {0}")]
    Hash(String),
}

/// The stored form of a password: Argon2id with a random salt (PHC string).
pub fn hash_password(password: &str) -> Result<String, PasswordError> {
    if password.chars().count() < PASSWORD_MIN {
        return Err(PasswordError::TooShort);
    }
    let salt_bytes: [u8; 16] = rand::random();
    let salt =
        SaltString::encode_b64(&salt_bytes).map_err(|e| PasswordError::Hash(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| PasswordError::Hash(e.to_string()))
}

/// Whether `password` is the one stored as `hash`. Without a stored hash the same work is
/// done against a made-up one, so the answer takes as long for an unknown address.
pub fn verify_password(password: &str, hash: Option<&str>) -> bool {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let decoy =
        DECOY.get_or_init(|| hash_password("decoy password that nobody has").unwrap_or_default());
    let (stored, real) = match hash {
        Some(h) => (h, true),
        None => (decoy.as_str(), false),
    };
    let Ok(parsed) = PasswordHash::new(stored) else {
        return false;
    };
    Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok()
        && real
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_salted_slow_hashes_that_verify() {
        let a = hash_password("correct horse battery").unwrap();
        let b = hash_password("correct horse battery").unwrap();
        assert!(a.starts_with("$argon2id$"));
        assert_ne!(a, b, "a salt of its own each time");
        assert!(verify_password("correct horse battery", Some(&a)));
        assert!(!verify_password("correct horse batterY", Some(&a)));
        assert!(!verify_password("decoy password that nobody has", None));
        assert!(matches!(
            hash_password("kort"),
            Err(PasswordError::TooShort)
        ));
    }

    #[test]
    fn cookies_are_read_from_any_cookie_header() {
        let mut headers = HeaderMap::new();
        headers.append("cookie", "a=1; __Host-wijkwerk_sessie=abc".parse().unwrap());
        headers.append("cookie", "b=2".parse().unwrap());
        assert_eq!(cookie(&headers, SESSION_COOKIE).as_deref(), Some("abc"));
        assert_eq!(cookie(&headers, "b").as_deref(), Some("2"));
        assert_eq!(cookie(&headers, "c"), None);
        assert!(set_cookie(SESSION_COOKIE, "x", 60).contains("HttpOnly; Secure; SameSite=Lax"));
        assert!(same_secret("abc", "abc") && !same_secret("abc", "abd") && !same_secret("a", "ab"));
    }
}
