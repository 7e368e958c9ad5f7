//! Lists written out: CSV as Dutch Excel opens it (UTF-8 with a byte order mark, so that
//! diacritics survive a double click; `;` between fields; CRLF) and XLSX.

use rust_xlsxwriter::{Format, Workbook};

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Why a list could not be written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("the CSV could not be written: {0}")]
    Csv(#[from] csv::Error),
    #[error("the workbook could not be written: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
}

/// The header and rows as CSV for Dutch Excel; a cell Excel would run as a formula is guarded
/// ([`formula_safe`]).
pub fn csv_for_excel(headers: &[String], rows: &[Vec<String>]) -> Result<Vec<u8>, WriteError> {
    let mut writer = csv::WriterBuilder::new()
        .delimiter(b';')
        .terminator(csv::Terminator::CRLF)
        .from_writer(BOM.to_vec());
    writer.write_record(headers)?;
    for row in rows {
        writer.write_record(row.iter().map(|c| formula_safe(c).into_owned()))?;
    }
    writer
        .into_inner()
        .map_err(|e| WriteError::Csv(csv::Error::from(e.into_error())))
}

/// A cell that would start a formula in Excel (CSV injection) gets an apostrophe in front,
/// which Excel shows as text. Phone numbers in international form (`+31…`) are left alone:
/// Excel reads them as numbers, not formulas, and coordinators need them as they are.
fn formula_safe(cell: &str) -> std::borrow::Cow<'_, str> {
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

/// The header and rows as an XLSX workbook with one sheet: the header bold and frozen, every
/// cell text (a phone number keeps its leading zero), columns wide enough to read.
pub fn xlsx(sheet: &str, headers: &[String], rows: &[Vec<String>]) -> Result<Vec<u8>, WriteError> {
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let ws = book.add_worksheet();
    ws.set_name(sheet)?;
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for (c, h) in headers.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, h, &bold)?;
    }
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            if !cell.is_empty() {
                ws.write_string(r as u32 + 1, c as u16, cell)?;
            }
            if let Some(w) = widths.get_mut(c) {
                *w = (*w).max(cell.chars().count().min(60));
            }
        }
    }
    for (c, w) in widths.iter().enumerate() {
        ws.set_column_width(c as u16, (*w as f64 + 2.0).min(62.0))?;
    }
    ws.set_freeze_panes(1, 0)?;
    Ok(book.save_to_buffer()?)
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
