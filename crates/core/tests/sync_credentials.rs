//! The sign-in token's keeping: the keyring where one answers, otherwise a file only the user
//! may read (0600 on Unix; on Windows the user's profile). With keyrings that answer, are empty
//! or are not there, and once with the real OS keyring under a name of the test's own (on Linux
//! CI no Secret Service runs, so the file is used; under Wine the Credential Manager answers).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use wijkwerk_core::sync::config::{check_token, normalise_server, SettingError};
use wijkwerk_core::sync::credentials::{
    read_token_file, token_file, write_token_file, OsKeyring, SecretAnswer, SecretStore,
    TokenStorage, TokenStore,
};

/// A keyring in memory; `None` inside: no keyring answers.
#[derive(Clone)]
struct FakeKeyring(Arc<Mutex<Option<Option<String>>>>);

impl FakeKeyring {
    fn working(secret: Option<&str>) -> FakeKeyring {
        FakeKeyring(Arc::new(Mutex::new(Some(secret.map(str::to_owned)))))
    }
    fn absent() -> FakeKeyring {
        FakeKeyring(Arc::new(Mutex::new(None)))
    }
    fn secret(&self) -> Option<String> {
        self.0.lock().unwrap().clone().flatten()
    }
}

impl SecretStore for FakeKeyring {
    fn get(&self) -> SecretAnswer {
        match self.0.lock().unwrap().as_ref() {
            None => SecretAnswer::Unavailable,
            Some(None) => SecretAnswer::Empty,
            Some(Some(secret)) => SecretAnswer::Found(secret.clone()),
        }
    }
    fn set(&self, secret: &str) -> bool {
        match self.0.lock().unwrap().as_mut() {
            None => false,
            Some(slot) => {
                *slot = Some(secret.to_owned());
                true
            }
        }
    }
    fn delete(&self) {
        if let Some(slot) = self.0.lock().unwrap().as_mut() {
            *slot = None;
        }
    }
}

fn settings_file(dir: &Path) -> PathBuf {
    // A folder with a space and a non-ASCII letter, as on a coordinator's laptop.
    dir.join("Coördinatie instellingen").join("settings.json")
}

#[cfg(unix)]
fn assert_only_the_user_may_read(file: &Path) {
    use std::os::unix::fs::PermissionsExt as _;
    let mode = std::fs::metadata(file).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
}

#[cfg(not(unix))]
fn assert_only_the_user_may_read(file: &Path) {
    // Windows: no mode bits; the file is in the user's own folder (see the module's doc).
    assert!(file.is_file());
}

#[test]
fn the_token_file_is_beside_the_settings_and_readable_only_by_the_user() {
    let dir = tempfile::tempdir().unwrap();
    let settings = settings_file(dir.path());
    let file = token_file(Some(&settings)).unwrap();
    assert_eq!(
        file,
        dir.path()
            .join("Coördinatie instellingen")
            .join("sync-token")
    );
    assert_eq!(read_token_file(&file), None);
    write_token_file(&file, "geheim-1").unwrap();
    assert_eq!(read_token_file(&file).as_deref(), Some("geheim-1"));
    assert_only_the_user_may_read(&file);
    // Replaced whole, also where a file is there already (Windows' rename over a file).
    write_token_file(&file, "geheim-2\r\n").unwrap();
    assert_eq!(read_token_file(&file).as_deref(), Some("geheim-2"));
    assert_only_the_user_may_read(&file);
    assert!(!file.with_extension("tmp").exists());
    assert_eq!(token_file(None), None);
}

#[test]
fn the_keyring_is_used_where_it_answers_and_an_old_file_goes() {
    let dir = tempfile::tempdir().unwrap();
    let file = token_file(Some(&settings_file(dir.path())));
    let keyring = FakeKeyring::working(None);
    write_token_file(file.as_deref().unwrap(), "uit-bestand").unwrap();
    let tokens = TokenStore::new(Box::new(keyring.clone()), file.clone());
    // An empty keyring: a token kept in the file before still counts.
    assert_eq!(
        tokens.load(),
        (Some("uit-bestand".into()), TokenStorage::File)
    );
    assert_eq!(
        tokens.save("uit-sleutelbos").unwrap(),
        TokenStorage::Keyring
    );
    assert_eq!(keyring.secret().as_deref(), Some("uit-sleutelbos"));
    assert!(!file.as_deref().unwrap().exists(), "the file is removed");
    assert_eq!(
        tokens.load(),
        (Some("uit-sleutelbos".into()), TokenStorage::Keyring)
    );
    tokens.forget();
    assert_eq!(tokens.load(), (None, TokenStorage::Keyring));
    // A keyring holding only spaces holds no token.
    keyring.set("  ");
    assert_eq!(tokens.load(), (None, TokenStorage::Keyring));
}

#[test]
fn without_a_keyring_the_token_is_kept_in_the_file_and_said_so() {
    let dir = tempfile::tempdir().unwrap();
    let file = token_file(Some(&settings_file(dir.path())));
    let tokens = TokenStore::new(Box::new(FakeKeyring::absent()), file.clone());
    assert_eq!(tokens.load(), (None, TokenStorage::File));
    assert_eq!(tokens.save("in-bestand").unwrap(), TokenStorage::File);
    assert_only_the_user_may_read(file.as_deref().unwrap());
    assert_eq!(
        tokens.load(),
        (Some("in-bestand".into()), TokenStorage::File)
    );
    // No keyring and no folder for a file: refused, with a reason and no token in it.
    let nowhere = TokenStore::new(Box::new(FakeKeyring::absent()), None);
    let refused = nowhere.save("geheim").unwrap_err();
    assert!(!refused.to_string().contains("geheim"));
    assert_eq!(nowhere.load(), (None, TokenStorage::File));
}

#[test]
fn a_file_that_cannot_be_written_is_an_error_that_names_it() {
    let dir = tempfile::tempdir().unwrap();
    // The settings "folder" is a file: nothing can be made inside it.
    let blocker = dir.path().join("bezet");
    std::fs::write(&blocker, "x").unwrap();
    let file = blocker.join("sync-token");
    let tokens = TokenStore::new(Box::new(FakeKeyring::absent()), Some(file.clone()));
    let refused = tokens.save("geheim").unwrap_err();
    assert!(refused.to_string().contains("bezet"), "{refused}");
}

#[test]
fn the_os_keyring_or_the_file_keeps_a_token_and_gives_it_back() {
    // A name of this test's own, so that no real token is touched; removed afterwards.
    let service = format!("wijkwerk-test-{}", uuid::Uuid::now_v7().simple());
    let dir = tempfile::tempdir().unwrap();
    let file = token_file(Some(&settings_file(dir.path())));
    let tokens = TokenStore::new(
        Box::new(OsKeyring::new(&service, "sync-token")),
        file.clone(),
    );
    let started = Instant::now();
    assert_eq!(tokens.load().0, None);
    let storage = tokens.save("echt-geheim").unwrap();
    assert_eq!(tokens.load(), (Some("echt-geheim".into()), storage));
    match storage {
        TokenStorage::Keyring => assert!(!file.as_deref().unwrap().exists()),
        TokenStorage::File => assert_only_the_user_may_read(file.as_deref().unwrap()),
    }
    eprintln!("the token was kept in: {storage:?}");
    tokens.forget();
    assert_eq!(tokens.load().0, None);
    // A keyring that is not there fails fast and cleanly.
    assert!(started.elapsed() < Duration::from_secs(30));
}

#[test]
fn settings_as_typed_are_checked() {
    assert_eq!(normalise_server("  "), Ok(None));
    assert_eq!(
        normalise_server(" https://wijkwerk.bergen.nl/ "),
        Ok(Some("https://wijkwerk.bergen.nl".into()))
    );
    assert_eq!(
        normalise_server("http://127.0.0.1:8443"),
        Ok(Some("http://127.0.0.1:8443".into()))
    );
    for bad in [
        "wijkwerk.bergen.nl",
        "ftp://x",
        "https://",
        "https:// spatie.nl",
        "https://:80",
        "https://user@host",
    ] {
        assert_eq!(
            normalise_server(bad),
            Err(SettingError::ServerAddress),
            "{bad}"
        );
    }
    assert_eq!(SettingError::ServerAddress.field(), "server");
    assert_eq!(check_token("  abc  "), Ok(Some("abc".into())));
    assert_eq!(check_token(""), Ok(None));
    assert_eq!(check_token("a b"), Err(SettingError::TokenSpaces));
    assert_eq!(SettingError::TokenSpaces.field(), "token");
}
