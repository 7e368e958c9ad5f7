//! The store's key: the data file is encrypted at rest with SQLCipher (AES-256 on every page of
//! the database, its WAL and its journal), so that a lost laptop gives away nothing of the
//! residents and volunteers in it.
//!
//! Where the key comes from ([`Unlock`]):
//! - **The OS keyring** (Windows Credential Manager, macOS Keychain, Secret Service on Linux):
//!   a random 256-bit key and a random 128-bit salt are made for a new store; the key is kept in
//!   the keyring under the salt ([`key_account`]) *before* the file is made, and SQLCipher writes
//!   the salt as the file's first 16 bytes. A store copied to another laptop therefore finds no
//!   key there ([`Error::KeyMissing`]), and one data folder moved on the same laptop still finds
//!   its own. The raw key goes to SQLCipher as `x'<key><salt>'`, without a key derivation: it is
//!   random already.
//! - **A passphrase** where no keyring answers ([`Error::NoKeyring`]): the app and the CLI ask
//!   for it, and SQLCipher derives the key from it (PBKDF2-HMAC-SHA512, 256,000 rounds). The
//!   passphrase is never written anywhere; the environment variable [`PASSPHRASE_ENV`] gives it
//!   to the CLI in scripts (and to the test suite, as a raw key, so that tests stay fast).
//!
//! Never a key in a plain file: there is no third way.

use crate::sync::credentials::SecretAnswer;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use zeroize::Zeroizing;

/// The keyring service the store keys are kept under (the sync token's service too).
pub const KEYRING_SERVICE: &str = "wijkwerk";

/// The environment variable with the passphrase, for the CLI in scripts.
pub const PASSPHRASE_ENV: &str = "WIJKWERK_PASSPHRASE";

/// The length of SQLCipher's salt: the file's first 16 bytes.
pub const SALT_LEN: usize = 16;

/// A keyring that keeps secrets under account names (one service).
pub trait KeyVault: Send + Sync {
    fn get(&self, account: &str) -> SecretAnswer;
    /// Keeps `secret`; false when the keyring did not take it.
    fn set(&self, account: &str, secret: &str) -> bool;
    /// Removes the secret (nothing happens when there is none).
    fn delete(&self, account: &str);
}

/// The OS keyring through the `keyring` crate, under [`KEYRING_SERVICE`].
#[derive(Debug, Clone, Copy, Default)]
pub struct OsKeyVault;

impl KeyVault for OsKeyVault {
    fn get(&self, account: &str) -> SecretAnswer {
        crate::sync::credentials::SecretStore::get(&crate::sync::credentials::OsKeyring::new(
            KEYRING_SERVICE,
            account,
        ))
    }

    fn set(&self, account: &str, secret: &str) -> bool {
        crate::sync::credentials::SecretStore::set(
            &crate::sync::credentials::OsKeyring::new(KEYRING_SERVICE, account),
            secret,
        )
    }

    fn delete(&self, account: &str) {
        crate::sync::credentials::SecretStore::delete(&crate::sync::credentials::OsKeyring::new(
            KEYRING_SERVICE,
            account,
        ))
    }
}

/// A keyring in this process's memory, for tests: one that answers, or (`unavailable`) one that
/// is not there, as on a laptop without Secret Service.
#[derive(Debug, Default)]
pub struct MemoryKeyVault {
    secrets: Mutex<HashMap<String, String>>,
    unavailable: bool,
}

impl MemoryKeyVault {
    pub fn new() -> Arc<MemoryKeyVault> {
        Arc::new(MemoryKeyVault::default())
    }

    /// A keyring that never answers.
    pub fn unavailable() -> Arc<MemoryKeyVault> {
        Arc::new(MemoryKeyVault {
            unavailable: true,
            ..MemoryKeyVault::default()
        })
    }

    /// The accounts that hold a secret.
    pub fn accounts(&self) -> Vec<String> {
        let mut accounts: Vec<String> = self
            .secrets
            .lock()
            .map(|s| s.keys().cloned().collect())
            .unwrap_or_default();
        accounts.sort();
        accounts
    }
}

impl KeyVault for MemoryKeyVault {
    fn get(&self, account: &str) -> SecretAnswer {
        if self.unavailable {
            return SecretAnswer::Unavailable;
        }
        match self.secrets.lock() {
            Ok(secrets) => match secrets.get(account) {
                Some(secret) => SecretAnswer::Found(secret.clone()),
                None => SecretAnswer::Empty,
            },
            Err(_) => SecretAnswer::Unavailable,
        }
    }

    fn set(&self, account: &str, secret: &str) -> bool {
        if self.unavailable {
            return false;
        }
        self.secrets
            .lock()
            .map(|mut s| s.insert(account.to_owned(), secret.to_owned()))
            .is_ok()
    }

    fn delete(&self, account: &str) {
        if let Ok(mut secrets) = self.secrets.lock() {
            secrets.remove(account);
        }
    }
}

/// How a store is unlocked.
#[derive(Clone)]
pub enum Unlock {
    /// With the key kept for this store in a keyring (made with the store).
    Keyring(Arc<dyn KeyVault>),
    /// With a passphrase the user typed (or `x'<64 hex digits>'`, a raw key, as SQLCipher reads
    /// it: the test suite's way). Never empty: SQLCipher reads an empty key as "no encryption".
    Passphrase(Zeroizing<String>),
    /// Not encrypted at all: only in builds with the feature `unencrypted-for-benchmarks`, for
    /// the store benchmark's figures without encryption. The app and the CLI never have it.
    #[cfg(feature = "unencrypted-for-benchmarks")]
    Unencrypted,
}

impl std::fmt::Debug for Unlock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unlock::Keyring(_) => f.write_str("Unlock::Keyring"),
            Unlock::Passphrase(_) => f.write_str("Unlock::Passphrase(…)"),
            #[cfg(feature = "unencrypted-for-benchmarks")]
            Unlock::Unencrypted => f.write_str("Unlock::Unencrypted"),
        }
    }
}

impl Unlock {
    /// The OS keyring.
    pub fn os_keyring() -> Unlock {
        Unlock::Keyring(Arc::new(OsKeyVault))
    }

    pub fn passphrase(passphrase: impl Into<String>) -> Unlock {
        Unlock::Passphrase(Zeroizing::new(passphrase.into()))
    }

    /// The default of the app and the CLI: the passphrase in [`PASSPHRASE_ENV`] when it is set
    /// (and not empty), otherwise the OS keyring.
    pub fn from_environment() -> Unlock {
        match std::env::var(PASSPHRASE_ENV) {
            Ok(passphrase) if !passphrase.is_empty() => Unlock::passphrase(passphrase),
            _ => Unlock::os_keyring(),
        }
    }
}

/// The keyring account of the store whose file begins with `salt`.
pub fn key_account(salt: &[u8]) -> String {
    format!("store-key-{}", hex(salt))
}

/// A new store's key material: a random key and salt, as SQLCipher's raw key with salt.
pub(crate) struct NewKey {
    pub salt: [u8; SALT_LEN],
    /// The key's 64 hex digits (what the keyring keeps).
    pub key_hex: Zeroizing<String>,
}

impl NewKey {
    pub fn random() -> NewKey {
        let key: Zeroizing<[u8; 32]> = Zeroizing::new(rand::random());
        NewKey {
            salt: rand::random(),
            key_hex: Zeroizing::new(hex(key.as_slice())),
        }
    }

    /// What `PRAGMA key` gets: `x'<key><salt>'`.
    pub fn pragma_value(&self) -> Zeroizing<String> {
        raw_key_value(&self.key_hex, &self.salt)
    }
}

/// SQLCipher's raw key with an explicit salt: `x'<64 hex key><32 hex salt>'`.
pub(crate) fn raw_key_value(key_hex: &str, salt: &[u8]) -> Zeroizing<String> {
    Zeroizing::new(format!("x'{}{}'", key_hex, hex(salt)))
}

/// Whether a keyring secret is a key this module made (64 hex digits).
pub(crate) fn is_key_hex(secret: &str) -> bool {
    secret.len() == 64 && secret.bytes().all(|b| b.is_ascii_hexdigit())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_key_is_random_and_given_to_sqlcipher_as_a_raw_key_with_its_salt() {
        let one = NewKey::random();
        let two = NewKey::random();
        assert_ne!(one.salt, two.salt);
        assert_ne!(*one.key_hex, *two.key_hex);
        assert!(is_key_hex(&one.key_hex));
        let value = one.pragma_value();
        assert!(value.starts_with("x'") && value.ends_with('\''));
        assert_eq!(value.len(), 2 + 64 + 32 + 1);
        assert_eq!(key_account(&one.salt).len(), "store-key-".len() + 32);
    }

    #[test]
    fn the_passphrase_is_not_shown_in_debug_output() {
        let unlock = Unlock::passphrase("geheim wachtwoord");
        assert!(!format!("{unlock:?}").contains("geheim"));
    }
}
