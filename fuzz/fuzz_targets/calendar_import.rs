//! The calendar importer: `Store::calendar_import` on an `.ics` file (Outlook, Google, Apple
//! invitations), through the line scanner (`wijkwerk_calendar::scan`), the `ical` crate, time
//! zones and recurrence expansion, into one store made once per fuzz process (what earlier inputs
//! imported stays, as in the app).
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::cell::RefCell;
use wijkwerk_core::calendar::import::ImportOptions;
use wijkwerk_core::Store;

thread_local! {
    static STORE: RefCell<Store> = RefCell::new(Store::in_memory().expect("an in-memory store"));
}

fuzz_target!(|data: &[u8]| {
    let options = ImportOptions {
        now: "2027-01-15T12:00:00Z".parse().expect("a timestamp"),
    };
    STORE.with(|store| {
        let mut store = store.borrow_mut();
        if let Err(e) = store.calendar_import(data, &options) {
            assert!(!e.to_string().is_empty());
        }
    });
});
