//! Workbooks (XLSX, XLS, ODS) read by calamine into a table (`workbook::read`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use wijkwerk_lists::workbook;

fuzz_target!(init: wijkwerk_fuzz::report_panics(), |data: &[u8]| {
    if let Ok(book) = workbook::read(data, None) {
        assert!(book.sheets.contains(&book.sheet));
        let mut previous = 0;
        for row in &book.table.rows {
            assert!(row.line > previous, "rows out of order: {} after {previous}", row.line);
            previous = row.line;
        }
    }
});
