//! Tokens and sign-in: tokens are random, shown once, and stored only as SHA-256 hashes; each
//! expires ([`DEFAULT_TOKEN_LIFETIME_DAYS`], the setting `token_lifetime_days`) and may be
//! replaced from the app before then (`POST /v1/token/rotate`); repeated failed sign-ins from
//! one address are slowed down.

use base64::Engine;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a token is valid when the configuration does not say (days).
pub const DEFAULT_TOKEN_LIFETIME_DAYS: u32 = 180;
/// The longest lifetime the configuration may give (days): ten years.
pub const MAX_TOKEN_LIFETIME_DAYS: u32 = 3650;

/// When a token made at `now_ms` expires after `days`.
pub fn expiry(now_ms: i64, days: u32) -> i64 {
    now_ms.saturating_add(i64::from(days) * crate::audit::DAY_MS)
}

/// When a token made at `now_ms` expires with the default lifetime.
pub fn default_expiry(now_ms: i64) -> i64 {
    expiry(now_ms, DEFAULT_TOKEN_LIFETIME_DAYS)
}

/// A new token: `wk_` and 32 random bytes in URL-safe base64.
pub fn new_token() -> String {
    let bytes: [u8; 32] = rand::random();
    format!(
        "wk_{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}

/// The hash under which a token is stored and looked up.
pub fn token_hash(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Failed sign-ins per address (or per account: any key): after [`FREE_FAILURES`], each
/// further attempt must wait a doubling delay (capped), reset by a success or after a quiet
/// period.
pub struct FailedSignIns<K = IpAddr> {
    by_address: Mutex<HashMap<K, (u32, Instant)>>,
}

pub const FREE_FAILURES: u32 = 5;
const MAX_DELAY: Duration = Duration::from_secs(60);
const FORGET_AFTER: Duration = Duration::from_secs(15 * 60);

impl<K> Default for FailedSignIns<K> {
    fn default() -> Self {
        FailedSignIns {
            by_address: Mutex::new(HashMap::new()),
        }
    }
}

impl<K: std::hash::Hash + Eq> FailedSignIns<K> {
    /// Seconds this address must still wait before it may try again (0: go ahead).
    pub fn wait_seconds(&self, address: K) -> u64 {
        let Ok(map) = self.by_address.lock() else {
            return 0;
        };
        match map.get(&address) {
            Some((failures, last)) if *failures >= FREE_FAILURES => {
                let delay = delay_for(*failures);
                delay.saturating_sub(last.elapsed()).as_secs()
            }
            _ => 0,
        }
    }

    pub fn failed(&self, address: K) {
        if let Ok(mut map) = self.by_address.lock() {
            map.retain(|_, (_, last)| last.elapsed() < FORGET_AFTER);
            let entry = map.entry(address).or_insert((0, Instant::now()));
            entry.0 = entry.0.saturating_add(1);
            entry.1 = Instant::now();
        }
    }

    pub fn succeeded(&self, address: K) {
        if let Ok(mut map) = self.by_address.lock() {
            map.remove(&address);
        }
    }
}

fn delay_for(failures: u32) -> Duration {
    let over = failures.saturating_sub(FREE_FAILURES).min(10);
    Duration::from_secs(1u64 << over).min(MAX_DELAY)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_random_and_hashed() {
        let a = new_token();
        assert!(a.starts_with("wk_") && a.len() > 40);
        assert_ne!(a, new_token());
        assert_eq!(token_hash(&a).len(), 64);
        assert_eq!(token_hash(&a), token_hash(&a));
    }

    #[test]
    fn repeated_failures_make_an_address_wait() {
        let limiter = FailedSignIns::default();
        let address: IpAddr = "127.0.0.1".parse().unwrap();
        for _ in 0..FREE_FAILURES - 1 {
            limiter.failed(address);
        }
        assert_eq!(limiter.wait_seconds(address), 0);
        limiter.failed(address);
        limiter.failed(address);
        assert!(limiter.wait_seconds(address) >= 1);
        limiter.succeeded(address);
        assert_eq!(limiter.wait_seconds(address), 0);
    }
}
