//! Lists written out: CSV as Dutch Excel opens it (UTF-8 with a byte order mark, so that
//! diacritics survive a double click; `;` between fields; CRLF) and XLSX.
//!
//! Both are written a row at a time ([`CsvForExcel`], [`XlsxList`]), so that a list of 100,000
//! contacts read from a store never has to sit in memory as a table of its own;
//! [`csv_for_excel`] and [`xlsx`] write a table that is already there.

use rust_xlsxwriter::{Format, Workbook};
use std::borrow::Cow;

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Why a list could not be written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("the CSV could not be written: {0}")]
    Csv(#[from] csv::Error),
    #[error("the workbook could not be written: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    #[error("a sheet holds at most {max} rows; this list has more")]
    TooManyRows { max: u32 },
}

/// CSV for Dutch Excel, written a row at a time; a cell Excel would run as a formula is guarded
/// ([`formula_safe`]).
pub struct CsvForExcel {
    writer: csv::Writer<Vec<u8>>,
}

impl CsvForExcel {
    /// A new file with its byte order mark and header.
    pub fn new<S: AsRef<str>>(headers: &[S]) -> Result<CsvForExcel, WriteError> {
        let mut writer = csv::WriterBuilder::new()
            .delimiter(b';')
            .terminator(csv::Terminator::CRLF)
            .from_writer(BOM.to_vec());
        writer.write_record(headers.iter().map(|h| h.as_ref()))?;
        Ok(CsvForExcel { writer })
    }

    pub fn row<S: AsRef<str>>(&mut self, cells: &[S]) -> Result<(), WriteError> {
        self.writer
            .write_record(cells.iter().map(|c| match formula_safe(c.as_ref()) {
                Cow::Borrowed(text) => Cow::Borrowed(text.as_bytes()),
                Cow::Owned(text) => Cow::Owned(text.into_bytes()),
            }))?;
        Ok(())
    }

    /// The file's bytes.
    pub fn finish(self) -> Result<Vec<u8>, WriteError> {
        self.writer
            .into_inner()
            .map_err(|e| WriteError::Csv(csv::Error::from(e.into_error())))
    }
}

/// The header and rows as CSV for Dutch Excel.
pub fn csv_for_excel(headers: &[String], rows: &[Vec<String>]) -> Result<Vec<u8>, WriteError> {
    let mut csv = CsvForExcel::new(headers)?;
    for row in rows {
        csv.row(row)?;
    }
    csv.finish()
}

/// A cell that would start a formula in Excel (CSV injection) gets an apostrophe in front,
/// which Excel shows as text. Phone numbers in international form (`+31…`) are left alone:
/// Excel reads them as numbers, not formulas, and coordinators need them as they are.
fn formula_safe(cell: &str) -> Cow<'_, str> {
    let risky = match cell.chars().next() {
        Some('=' | '@') => true,
        Some('+' | '-') => !cell[1..].chars().all(|c| c.is_ascii_digit() || c == ' '),
        _ => false,
    };
    if risky {
        format!("'{cell}").into()
    } else {
        cell.into()
    }
}

/// An XLSX workbook with one sheet, written a row at a time: the header bold and frozen, every
/// cell text (a phone number keeps its leading zero), columns wide enough to read. The sheet is
/// rust_xlsxwriter's "constant memory" kind: each finished row goes to a temporary file (in the
/// system's temporary folder) and strings are stored in their cells, so memory stays flat
/// whatever the length of the list.
pub struct XlsxList {
    book: Workbook,
    rows: u32,
    widths: Vec<usize>,
}

/// The most rows a sheet holds below its header (Excel's limit).
pub const XLSX_MAX_ROWS: u32 = 1_048_575;

impl XlsxList {
    pub fn new<S: AsRef<str>>(sheet: &str, headers: &[S]) -> Result<XlsxList, WriteError> {
        let mut book = Workbook::new();
        let bold = Format::new().set_bold();
        let ws = book.add_worksheet_with_constant_memory()?;
        ws.set_name(sheet)?;
        for (c, h) in headers.iter().enumerate() {
            ws.write_string_with_format(0, column(c)?, h.as_ref(), &bold)?;
        }
        Ok(XlsxList {
            book,
            rows: 0,
            widths: headers.iter().map(|h| h.as_ref().chars().count()).collect(),
        })
    }

    pub fn row<S: AsRef<str>>(&mut self, cells: &[S]) -> Result<(), WriteError> {
        if self.rows >= XLSX_MAX_ROWS {
            return Err(WriteError::TooManyRows { max: XLSX_MAX_ROWS });
        }
        self.rows += 1;
        let ws = self.book.worksheet_from_index(0)?;
        for (c, cell) in cells.iter().enumerate() {
            let cell = cell.as_ref();
            if !cell.is_empty() {
                ws.write_string(self.rows, column(c)?, cell)?;
            }
            if let Some(w) = self.widths.get_mut(c) {
                *w = (*w).max(cell.chars().count().min(60));
            }
        }
        Ok(())
    }

    /// The workbook's bytes.
    pub fn finish(mut self) -> Result<Vec<u8>, WriteError> {
        let ws = self.book.worksheet_from_index(0)?;
        for (c, w) in self.widths.iter().enumerate() {
            ws.set_column_width(column(c)?, (*w as f64 + 2.0).min(62.0))?;
        }
        ws.set_freeze_panes(1, 0)?;
        Ok(self.book.save_to_buffer()?)
    }
}

fn column(index: usize) -> Result<u16, WriteError> {
    u16::try_from(index)
        .map_err(|_| WriteError::Xlsx(rust_xlsxwriter::XlsxError::RowColumnLimitError))
}

/// The header and rows as an XLSX workbook with one sheet ([`XlsxList`]).
pub fn xlsx(sheet: &str, headers: &[String], rows: &[Vec<String>]) -> Result<Vec<u8>, WriteError> {
    let mut book = XlsxList::new(sheet, headers)?;
    for row in rows {
        book.row(row)?;
    }
    book.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_for_dutch_excel_and_back() {
        let headers = vec!["Naam".to_owned(), "Plaats".to_owned()];
        let rows = vec![
            vec!["Joëlle; de Vries".to_owned(), "Ĳsselstein".to_owned()],
            vec!["=HYPERLINK(\"x\")".to_owned(), "+31 6 12345678".to_owned()],
        ];
        let bytes = csv_for_excel(&headers, &rows).unwrap();
        assert!(bytes.starts_with(BOM));
        let list = crate::read(&bytes, None).unwrap();
        assert_eq!(list.table.headers, headers);
        assert_eq!(list.table.rows[0].cells, rows[0]);
        assert_eq!(list.table.rows[1].cells[0], "'=HYPERLINK(\"x\")");
        assert_eq!(list.table.rows[1].cells[1], "+31 6 12345678");
    }

    #[test]
    fn xlsx_reads_back_through_the_workbook_reader() {
        let headers = vec!["Naam".to_owned(), "Telefoon".to_owned()];
        let rows = vec![vec!["Piet".to_owned(), "0612345678".to_owned()]];
        let bytes = xlsx("Contacten", &headers, &rows).unwrap();
        let list = crate::read(&bytes, None).unwrap();
        assert_eq!(list.table.rows[0].cells, rows[0]);
        assert_eq!(list.table.rows[0].line, 2);
    }
}
