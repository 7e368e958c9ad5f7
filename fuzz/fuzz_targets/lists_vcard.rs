//! vCards (2.1, 3.0, 4.0): the bytes decoded as the import decodes them, then `vcard::read`, on
//! any text (not only what starts with `BEGIN:VCARD`, so that the fuzzer need not find that first).
#![no_main]

use libfuzzer_sys::fuzz_target;
use wijkwerk_lists::{text, vcard};

fuzz_target!(|data: &[u8]| {
    let Ok((text, _encoding)) = text::decode(data) else {
        return;
    };
    let lines = text.split('\n').count();
    match vcard::read(&text) {
        Ok(table) => {
            for row in &table.rows {
                assert_eq!(row.cells.len(), table.headers.len());
                assert!(
                    row.line >= 1 && row.line <= lines,
                    "card on line {} of {lines}",
                    row.line
                );
            }
        }
        Err(e) => {
            if let Some(line) = e.line() {
                assert!(line >= 1 && line <= lines, "{e:?} of {lines} lines");
            }
        }
    }
});
