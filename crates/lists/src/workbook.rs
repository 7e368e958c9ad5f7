//! Workbooks: XLSX (Excel), XLS (Excel 97–2003) and ODS (LibreOffice), read with `calamine`.
//!
//! One sheet becomes the table: the chosen one, else the first that holds anything. Its first
//! non-empty row is the header; a row's line is its row number in the sheet (as Excel shows
//! it). Dates become `JJJJ-MM-DD`; whole numbers lose Excel's `.0` (a phone number typed as a
//! number stays its digits: the missing leading zero is the normal form's business).

use crate::{ListError, Row, Table};
use calamine::{Data, Reader};
use std::io::Cursor;

/// The sheets of a workbook and the table of one of them.
pub struct Workbook {
    pub sheets: Vec<String>,
    pub sheet: String,
    pub table: Table,
}

pub fn read(bytes: &[u8], sheet: Option<&str>) -> Result<Workbook, ListError> {
    let mut book = calamine::open_workbook_auto_from_rs(Cursor::new(bytes))
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
        let range = book
            .worksheet_range(name)
            .map_err(|e| ListError::Workbook(format!("{name}: {e}")))?;
        let first_row = range.start().map_or(0, |(row, _)| row as usize);
        let mut headers: Option<Vec<String>> = None;
        let mut rows = Vec::new();
        for (i, cells) in range.rows().enumerate() {
            let cells: Vec<String> = cells.iter().map(cell_text).collect();
            if cells.iter().all(String::is_empty) {
                continue;
            }
            let line = first_row + i + 1;
            match headers {
                None => headers = Some(cells),
                Some(_) => rows.push(Row { line, cells }),
            }
        }
        if let Some(headers) = headers {
            return Ok(Workbook {
                sheets,
                sheet: name.clone(),
                table: Table { headers, rows },
            });
        }
    }
    Err(ListError::Empty)
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
