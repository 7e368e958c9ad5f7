//! Delimited text: the bytes decoded (`text::decode`: BOM, UTF-8, UTF-16, Windows-1252) and read
//! as CSV with its separator sniffed (`delimited::read`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use wijkwerk_lists::{delimited, text};

fuzz_target!(|data: &[u8]| {
    let text = match text::decode(data) {
        Ok((text, _encoding)) => text,
        Err(e) => {
            assert!(!e.to_string().is_empty());
            return;
        }
    };
    match delimited::read(&text) {
        Ok((table, _separator)) => {
            let lines = text.matches('\n').count() + 1;
            let mut previous = 0;
            for row in &table.rows {
                assert!(
                    row.line >= 1 && row.line <= lines,
                    "row on line {} of {lines}",
                    row.line
                );
                assert!(
                    row.line >= previous,
                    "rows out of order: {} after {previous}",
                    row.line
                );
                previous = row.line;
            }
        }
        Err(e) => {
            if let Some(line) = e.line() {
                assert!(line >= 1, "{e:?}");
            }
        }
    }
});
