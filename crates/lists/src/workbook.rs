//! Workbooks: XLSX (Excel), XLS (Excel 97–2003) and ODS (LibreOffice), read with `calamine`.
//!
//! One sheet becomes the table: the chosen one, else the first that holds anything. Its first
//! non-empty row is the header; a row's line is its row number in the sheet (as Excel shows
//! it). Dates become `JJJJ-MM-DD`; whole numbers lose Excel's `.0` (a phone number typed as a
//! number stays its digits: the missing leading zero is the normal form's business).
//!
//! A damaged or hostile file is refused, never a crash (all but the zip archive's size found by
//! `fuzz/`; a test for each in `tests/fuzz_findings.rs`):
//! - calamine panics on some damaged files (a slice index beyond its buffer in the XLS
//!   container's reader): every call into calamine goes through [`guarded`], which refuses the file
//!   as an unreadable workbook when it panics. This needs `panic = "unwind"` (Rust's default, which
//!   every profile of the workspace keeps).
//! - calamine's `worksheet_range` allocates the rectangle from the first cell to the last: two
//!   cells, A1 and XFD1048576, in a 3 kB XLSX ask for 512 GB. XLSX and XLSB sheets are read cell by
//!   cell here instead (its streaming reader), and a sheet whose table would hold more than
//!   [`MAX_CELLS`] cells is refused. (ODS has calamine's own limit.)
//! - A zip archive (XLSX, XLSB, ODS) that unpacks to more than [`MAX_UNPACKED`] is refused before
//!   calamine unpacks it (it keeps every shared string in memory; a few megabytes of repeated
//!   text unpack to gigabytes). The zip crate stops every entry at the size the archive declares
//!   for it, so the declared sizes are what counts.
//! - An XLS is read whole when it is opened, each sheet into that rectangle: its container
//!   ([`crate::ole`]: sector chains that loop were read until memory ran out) and its records
//!   ([`crate::xls`]: cells far apart, DIMENSIONS that wrap around) are checked first.

use crate::{ListError, Row, Table};
use calamine::{Data, Reader, Sheets};
use std::collections::BTreeMap;
use std::io::Cursor;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// The most cells (rows × columns, empty ones included) a sheet's table may hold: a list of a few
/// hundred thousand contacts with a dozen columns, and room to spare.
pub const MAX_CELLS: usize = 10_000_000;

/// The most a workbook in a zip archive may unpack to: eight times [`crate::MAX_BYTES`], about
/// what the largest list allowed unpacks to.
pub const MAX_UNPACKED: u64 = 8 * crate::MAX_BYTES as u64;

const OLE: &[u8] = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1";

/// The sheets of a workbook and the table of one of them.
pub struct Workbook {
    pub sheets: Vec<String>,
    pub sheet: String,
    pub table: Table,
}

pub fn read(bytes: &[u8], sheet: Option<&str>) -> Result<Workbook, ListError> {
    if bytes.starts_with(OLE) {
        let container = crate::ole::read(bytes)
            .map_err(|why| ListError::Workbook(format!("the file is damaged: {why}")))?;
        if let crate::ole::Container::Workbook(stream) = container {
            crate::xls::check(&stream).map_err(|why| {
                ListError::Workbook(format!("{why}, more than the {MAX_CELLS} a list may hold"))
            })?;
        }
    }
    if let Some(unpacked) = guarded(|| unpacked_size(bytes))?.filter(|n| *n > MAX_UNPACKED) {
        return Err(ListError::Workbook(format!(
            "the file unpacks to {unpacked} bytes, more than a list may ({MAX_UNPACKED})"
        )));
    }
    let mut book = guarded(|| calamine::open_workbook_auto_from_rs(Cursor::new(bytes)))?
        .map_err(|e| ListError::Workbook(e.to_string()))?;
    let sheets = book.sheet_names();
    if sheets.is_empty() {
        return Err(ListError::Empty);
    }
    let chosen: Vec<String> = match sheet {
        Some(name) => {
            if !sheets.iter().any(|s| s == name) {
                return Err(ListError::NoSuchSheet {
                    sheet: name.to_owned(),
                    sheets: sheets.clone(),
                });
            }
            vec![name.to_owned()]
        }
        None => sheets.clone(),
    };
    for name in &chosen {
        let cells = guarded(|| sheet_cells(&mut book, name))??;
        if let Some(table) = table(name, cells)? {
            return Ok(Workbook {
                sheets,
                sheet: name.clone(),
                table,
            });
        }
    }
    Err(ListError::Empty)
}

/// What the entries of a zip archive say they unpack to, together; None when it is no zip archive
/// (or one the zip crate cannot read, which calamine then refuses).
fn unpacked_size(bytes: &[u8]) -> Option<u64> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).ok()?;
    let mut total = 0u64;
    for i in 0..archive.len() {
        let size = archive.by_index_raw(i).map_or(0, |entry| entry.size());
        total = total.saturating_add(size);
    }
    Some(total)
}

/// A sheet's cells that hold something, by row and column (from 0).
type Cells = BTreeMap<u32, BTreeMap<u32, String>>;

fn sheet_cells(book: &mut Sheets<Cursor<&[u8]>>, name: &str) -> Result<Cells, ListError> {
    let mut cells = Cells::new();
    let mut count = 0usize;
    let mut add = |(row, col): (u32, u32), data: &Data| -> Result<(), ListError> {
        let text = cell_text(data);
        if text.is_empty() {
            return Ok(());
        }
        count += 1;
        if count > MAX_CELLS {
            return Err(too_many_cells(name));
        }
        cells.entry(row).or_default().insert(col, text);
        Ok(())
    };
    let unreadable = |e: &dyn std::fmt::Display| ListError::Workbook(format!("{name}: {e}"));
    match book {
        Sheets::Xlsx(xlsx) => {
            let mut reader = xlsx
                .worksheet_cells_reader(name)
                .map_err(|e| unreadable(&e))?;
            while let Some(cell) = reader.next_cell().map_err(|e| unreadable(&e))? {
                add(cell.get_position(), &Data::from(cell.get_value().clone()))?;
            }
        }
        Sheets::Xlsb(xlsb) => {
            let mut reader = xlsb
                .worksheet_cells_reader(name)
                .map_err(|e| unreadable(&e))?;
            while let Some(cell) = reader.next_cell().map_err(|e| unreadable(&e))? {
                add(cell.get_position(), &Data::from(cell.get_value().clone()))?;
            }
        }
        other => {
            let range = other.worksheet_range(name).map_err(|e| unreadable(&e))?;
            let (row0, col0) = range.start().unwrap_or((0, 0));
            for (row, col, data) in range.used_cells() {
                let at = (
                    row0.saturating_add(row as u32),
                    col0.saturating_add(col as u32),
                );
                add(at, data)?;
            }
        }
    }
    Ok(cells)
}

/// The table of a sheet's cells: its first row the header, each row as wide as the sheet's used
/// columns. None when the sheet holds nothing.
fn table(name: &str, cells: Cells) -> Result<Option<Table>, ListError> {
    let (Some(first), Some(last)) = (
        cells.values().filter_map(|row| row.keys().next()).min(),
        cells
            .values()
            .filter_map(|row| row.keys().next_back())
            .max(),
    ) else {
        return Ok(None);
    };
    let (first, width) = (*first, (*last - *first) as usize + 1);
    if cells.len().saturating_mul(width) > MAX_CELLS {
        return Err(too_many_cells(name));
    }
    let mut rows = cells.into_iter().map(|(row, values)| {
        let mut line = vec![String::new(); width];
        for (col, text) in values {
            line[(col - first) as usize] = text;
        }
        Row {
            line: row as usize + 1,
            cells: line,
        }
    });
    let Some(header) = rows.next() else {
        return Ok(None);
    };
    Ok(Some(Table {
        headers: header.cells,
        rows: rows.collect(),
    }))
}

fn too_many_cells(sheet: &str) -> ListError {
    ListError::TooManyCells {
        sheet: sheet.to_owned(),
        max: MAX_CELLS,
    }
}

/// A call into calamine, its panic (a damaged file) turned into a refusal.
fn guarded<T>(call: impl FnOnce() -> T) -> Result<T, ListError> {
    catch_unwind(AssertUnwindSafe(call)).map_err(|panic| {
        let why = panic
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        ListError::Workbook(format!("the file is damaged ({why})"))
    })
}

fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty | Data::Error(_) => String::new(),
        Data::String(s) => s.trim().to_owned(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => if *b { "ja" } else { "nee" }.to_owned(),
        Data::DateTime(dt) if dt.is_datetime() => {
            let (y, m, d, ..) = dt.to_ymd_hms_milli();
            format!("{y:04}-{m:02}-{d:02}")
        }
        Data::DateTime(dt) => dt.as_f64().to_string(),
        Data::DateTimeIso(s) => s.get(..10).unwrap_or(s).to_owned(),
        Data::DurationIso(s) => s.clone(),
    }
}
