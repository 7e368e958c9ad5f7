//! Which data folder the app opens, and opening it.
//!
//! The folder is, in order: the `--data DIR` argument, the `WIJKWERK_DATA` environment variable,
//! or `wijkwerk` in the OS's per-user local data folder (`~/.local/share/wijkwerk` on Linux,
//! `%LOCALAPPDATA%\wijkwerk` on Windows: not the roaming `%APPDATA%`, which managed laptops often
//! redirect to a network share or copy at sign-out, where SQLite's WAL cannot work safely). The
//! argument comes first for the same reason as in the `wijkwerk` CLI (whose `--data` reads the
//! same variable): what is typed on the command line is the most specific wish.
//!
//! A folder without a store gets a new one: filled with the demo municipality when no sync server
//! is set, so that a first start shows a working app; empty when one is set, so that the
//! municipality's data comes in from the server (a demo store never syncs: its fictional records
//! must not reach a municipality's server).

use crate::error::IpcError;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use wijkwerk_core::store::DATA_FILE;
use wijkwerk_core::store_key::Unlock;
use wijkwerk_core::Store;

/// The environment variable that names the data folder.
pub const ENV_VAR: &str = "WIJKWERK_DATA";

/// The data folder from the command line arguments (without the program name), the value of
/// [`ENV_VAR`], and the default folder (the core's [`default_data_folder`]).
///
/// [`default_data_folder`]: wijkwerk_core::data_folder::default_data_folder
pub fn resolve(
    args: impl IntoIterator<Item = OsString>,
    env: Option<OsString>,
    default_folder: Option<PathBuf>,
) -> Result<PathBuf, IpcError> {
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        if arg == "--data" {
            return match args.next() {
                Some(dir) if !dir.is_empty() => Ok(PathBuf::from(dir)),
                _ => Err(IpcError::new(
                    "bad_arguments",
                    "Na --data hoort de map met de gegevens, bijvoorbeeld: --data ~/wijkwerk",
                )),
            };
        }
        if let Some(dir) = arg.to_str().and_then(|a| a.strip_prefix("--data=")) {
            if !dir.is_empty() {
                return Ok(PathBuf::from(dir));
            }
        }
    }
    if let Some(dir) = env.filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    default_folder.ok_or_else(|| {
        IpcError::new(
            "no_data_folder",
            format!(
                "Er is geen map voor de gegevens gevonden. Geef er een op met --data MAP of met \
                 de omgevingsvariabele {ENV_VAR}."
            ),
        )
    })
}

/// The data folder of this process; `chosen` is the one last opened from the app's settings,
/// which comes after the argument and the variable and before the OS's data folder.
pub fn from_environment(chosen: Option<PathBuf>) -> Result<PathBuf, IpcError> {
    let env = std::env::var_os(ENV_VAR).or_else(|| chosen.map(PathBuf::into_os_string));
    resolve(
        std::env::args_os().skip(1),
        env,
        wijkwerk_core::data_folder::default_data_folder(),
    )
}

/// What a new store starts with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NewStore {
    /// The demo municipality (no sync server set).
    Demo,
    /// Nothing: the server fills it.
    Empty,
}

impl NewStore {
    /// The demo without a sync server, empty with one.
    pub fn for_server(server: Option<&str>) -> NewStore {
        match server {
            Some(_) => NewStore::Empty,
            None => NewStore::Demo,
        }
    }
}

/// Opens the store in `dir`; where there is none yet, creates it as `new` says. Its key comes
/// from the OS keyring (or `WIJKWERK_PASSPHRASE`): [`Unlock::from_environment`].
pub fn open_or_create(dir: &Path, new: NewStore) -> wijkwerk_core::Result<Store> {
    open_or_create_with(dir, new, &Unlock::from_environment())
}

/// [`open_or_create`] with this key source (a passphrase the user typed).
pub fn open_or_create_with(
    dir: &Path,
    new: NewStore,
    unlock: &Unlock,
) -> wijkwerk_core::Result<Store> {
    let file = dir.join(DATA_FILE);
    if Store::exists_in(dir) {
        // An instance closed a moment ago may still hold the store; a second one running keeps
        // it, and then the message says the data file is in use.
        return Store::open_when_free_with(dir, std::time::Duration::from_secs(5), unlock);
    }
    let mut store = Store::init_with(dir, unlock)?;
    if new == NewStore::Empty {
        return Ok(store);
    }
    // The demo is one transaction: on failure the new store is empty. It was made a moment ago
    // and holds nothing, so remove it, and the next start tries again.
    if let Err(error) = wijkwerk_core::demo::load_demo(&mut store, wijkwerk_core::today()) {
        drop(store);
        for suffix in ["", "-wal", "-shm"] {
            let mut name = file.clone().into_os_string();
            name.push(suffix);
            let _ = std::fs::remove_file(name);
        }
        return Err(error);
    }
    Ok(store)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<OsString> {
        list.iter().map(OsString::from).collect()
    }

    #[test]
    fn the_argument_wins_then_the_variable_then_the_os_folder() {
        let os = Some(PathBuf::from("/home/an/.local/share/wijkwerk"));
        let env = Some(OsString::from("/env"));
        assert_eq!(
            resolve(args(&["--data", "/arg"]), env.clone(), os.clone()),
            Ok(PathBuf::from("/arg"))
        );
        assert_eq!(
            resolve(args(&["--data=/arg2"]), env.clone(), os.clone()),
            Ok(PathBuf::from("/arg2"))
        );
        assert_eq!(
            resolve(args(&[]), env, os.clone()),
            Ok(PathBuf::from("/env"))
        );
        assert_eq!(
            resolve(args(&[]), Some(OsString::new()), os.clone()),
            Ok(PathBuf::from("/home/an/.local/share/wijkwerk"))
        );
        assert_eq!(
            resolve(args(&["--data"]), None, os).map_err(|e| e.code),
            Err("bad_arguments".to_string())
        );
        assert_eq!(
            resolve(args(&[]), None, None).map_err(|e| e.code),
            Err("no_data_folder".to_string())
        );
    }

    #[test]
    fn a_new_folder_gets_the_demo_and_an_existing_one_is_opened_as_it_is() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("nieuw");
        let today = wijkwerk_core::today();
        let store = open_or_create(&folder, NewStore::Demo).unwrap();
        assert_eq!(store.path(), folder.join(DATA_FILE));
        assert!(store.is_demo().unwrap(), "a demo store never syncs");
        let overdue = store.overdue_count(today).unwrap();
        assert!(overdue > 0, "the demo has overdue action points");
        drop(store);
        let again = open_or_create(&folder, NewStore::Empty).unwrap();
        assert_eq!(again.overdue_count(today).unwrap(), overdue);
    }

    #[test]
    fn with_a_sync_server_set_a_new_folder_starts_empty_for_the_server_to_fill() {
        let dir = tempfile::tempdir().unwrap();
        let new = NewStore::for_server(Some("https://wijkwerk.bergen.nl"));
        let store = open_or_create(&dir.path().join("nieuw"), new).unwrap();
        assert_eq!(store.count(wijkwerk_core::Entity::Area).unwrap(), 0);
        assert!(!store.is_demo().unwrap());
        assert_eq!(NewStore::for_server(None), NewStore::Demo);
    }

    #[test]
    fn a_file_that_is_no_store_is_refused_in_dutch_and_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join(DATA_FILE);
        std::fs::write(&file, "dit is geen database, maar een boodschappenlijst\n").unwrap();
        let error = IpcError::from(open_or_create(dir.path(), NewStore::Demo).unwrap_err());
        assert_eq!(error.code, "not_a_database");
        assert!(
            error.message.contains("geen gegevensbestand"),
            "{}",
            error.message
        );
        assert_eq!(
            std::fs::read_to_string(&file).unwrap(),
            "dit is geen database, maar een boodschappenlijst\n"
        );
    }
}
