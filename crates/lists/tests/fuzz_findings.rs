//! What the fuzz targets (`fuzz/`, run by `scripts/test-fuzz`) found, kept as tests: each input is
//! in `tests/fuzz/` and in the targets' corpus.

use wijkwerk_lists::{read, ListError};

fn finding(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fuzz/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn a_damaged_xls_whose_sector_lies_beyond_the_file_is_refused_not_a_panic() {
    // An OLE container (XLS) whose sector chain points past the end of its 512 bytes: calamine's
    // reader slices beyond its buffer and panics.
    let err = read(&finding("xls-sector-beyond-the-file"), None).unwrap_err();
    assert!(matches!(err, ListError::Workbook(_)), "{err:?}");
    assert_eq!(err.code(), "list_workbook");
}

#[test]
fn an_xlsx_with_two_cells_far_apart_is_read_without_their_rectangle() {
    // A1..C1, then A1048576, B1048576 and XFD1048576 in a 3 kB file: calamine's range would be
    // 1,048,576 × 16,384 cells (512 GB, the app aborted); read cell by cell, it is two rows.
    let list = read(&finding("xlsx-two-cells-far-apart"), None).unwrap();
    let table = list.table;
    assert_eq!(table.headers.len(), 16_384);
    assert_eq!(table.headers[..3], ["Naam", "Telefoon", "Lid sinds"]);
    assert_eq!(table.rows.len(), 1);
    let row = &table.rows[0];
    assert_eq!(row.line, 1_048_576);
    assert_eq!(row.cells[0], "Joëlle de Vries");
    assert_eq!(row.cells[16_383], "2019-03-01");
}

#[test]
fn a_sheet_whose_table_would_hold_more_than_the_most_cells_is_refused() {
    // 700 names in column A and one cell in column XFD: 700 × 16,384 cells.
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for row in 0..700 {
        sheet.write_string(row, 0, format!("naam {row}")).unwrap();
    }
    sheet.write_string(0, 16_383, "ver weg").unwrap();
    let bytes = book.save_to_buffer().unwrap();
    let err = read(&bytes, None).unwrap_err();
    assert!(matches!(err, ListError::TooManyCells { .. }), "{err:?}");
    assert_eq!(err.code(), "list_too_large");
}

#[test]
fn an_xls_whose_sector_chain_loops_is_refused_not_read_until_memory_runs_out() {
    // 512 bytes, an OLE header alone, whose DIFAT names sector 0 as a FAT sector 54 times: sector
    // 0 lies beyond the end, so calamine reads it short the first time and as zeros after that, and
    // in zeros sector 0 links to itself; calamine read the directory's chain round and round until
    // memory ran out.
    let err = read(&finding("xls-header-alone-whose-fat-loops"), None).unwrap_err();
    assert!(matches!(err, ListError::Workbook(_)), "{err:?}");
    assert!(err.to_string().contains("damaged"), "{err}");
}

#[test]
fn an_xls_with_cells_far_apart_is_refused_before_calamine_reserves_their_rectangle() {
    // LibreOffice's XLS with a cell's position changed: calamine read the sheet into the rectangle
    // from the first cell to the last when the file was opened (1.7 GB) and again for the table.
    let err = read(&finding("xls-cells-far-apart"), None).unwrap_err();
    assert!(matches!(err, ListError::Workbook(_)), "{err:?}");
    assert!(err.to_string().contains("cells"), "{err}");
}

#[test]
fn workbooks_as_libreoffice_saves_them_are_read_after_the_checks() {
    // The checks before calamine refuse nothing a real program writes: the same list as XLS
    // (through the container and record checks), XLSX (cell by cell) and ODS.
    for file in ["xls", "xlsx", "ods"] {
        let path = format!(
            "{}/tests/files/contacten-libreoffice.{file}",
            env!("CARGO_MANIFEST_DIR")
        );
        let list = read(&std::fs::read(&path).unwrap(), None).unwrap();
        let table = list.table;
        assert_eq!(table.headers[0], "Naam", "{file}");
        assert_eq!(table.headers.len(), 12, "{file}");
        let names: Vec<&str> = table.rows.iter().map(|r| r.cells[0].as_str()).collect();
        assert_eq!(
            names,
            ["Joëlle de Vries", "Bakker, P.", "René Özdemir"],
            "{file}"
        );
        assert_eq!(table.rows[2].line, 5, "{file}: the empty row 4 is skipped");
    }
}

#[test]
fn a_zip_whose_entries_unpack_to_more_than_the_most_is_refused_before_it_is_unpacked() {
    // Not found by the fuzzer (its inputs are kilobytes): a stored entry that says it is 600 MB.
    // The zip crate stops an entry at its declared size, so the declared sizes bound what calamine
    // unpacks; the central directory is rewritten here rather than 600 MB written.
    let mut bytes = Vec::new();
    {
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(&mut bytes));
        let stored = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        zip.start_file("xl/sharedStrings.xml", stored).unwrap();
        std::io::Write::write_all(&mut zip, b"<sst/>").unwrap();
        zip.finish().unwrap();
    }
    // The central directory's record: signature PK\x01\x02, its uncompressed size at 24.
    let central = bytes.windows(4).rposition(|w| w == b"PK\x01\x02").unwrap();
    bytes[central + 24..central + 28].copy_from_slice(&600_000_000u32.to_le_bytes());
    let err = read(&bytes, None).unwrap_err();
    assert!(
        err.to_string().contains("unpacks to 600000000 bytes"),
        "{err}"
    );
}
