//! The whole of `wijkwerk_lists::read`: a contact list as the user drops it on the import screen,
//! its kind found from the bytes (workbook, vCard or delimited text).
#![no_main]

use libfuzzer_sys::fuzz_target;
use wijkwerk_lists::{read, Format, ListError};

fuzz_target!(init: wijkwerk_fuzz::report_panics(), |data: &[u8]| {
    match read(data, None) {
        Ok(list) => {
            if let Format::Workbook { sheets, sheet } = &list.format {
                assert!(sheets.contains(sheet), "{sheet:?} is not among {sheets:?}");
            }
            for row in &list.table.rows {
                assert!(row.line >= 1, "a row on line 0");
            }
        }
        Err(e) => check_error(&e),
    }
});

/// Every refusal can be shown: its code, its line (1 or more where there is one), its text.
fn check_error(e: &ListError) {
    assert!(!e.code().is_empty());
    assert!(e.line() != Some(0), "{e:?} is on line 0");
    assert!(!e.to_string().is_empty());
}
