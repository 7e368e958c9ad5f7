//! The report as CSV the way Dutch Excel opens it: UTF-8 with a byte order mark, `;` between
//! fields, CRLF, decimal commas, amounts as plain numbers.

use crate::dutch::csv_cell;
use crate::{report_title, DocumentError};
use wijkwerk_core::report::{ReportTable, YearReport};

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// The report's tables as CSV: all of them (`table: None`), each after a row with its title and
/// followed by an empty line, or only the table with that key. The first line is the report's
/// title ("Rapportage gebiedsgericht werken Bergen 2026").
pub fn report_csv(report: &YearReport, table: Option<&str>) -> Result<Vec<u8>, DocumentError> {
    let tables = report.tables();
    let chosen: Vec<&ReportTable> = match table {
        None => tables.iter().collect(),
        Some(key) => match tables.iter().find(|t| t.key == key) {
            Some(t) => vec![t],
            None => {
                return Err(DocumentError::UnknownTable {
                    key: key.to_owned(),
                    known: tables.iter().map(|t| t.key.clone()).collect(),
                })
            }
        },
    };
    let mut out = BOM.to_vec();
    out.extend(records(&[vec![report_title(report)]])?);
    for t in chosen {
        let mut rows: Vec<Vec<String>> = vec![vec![t.title.clone()], t.columns.clone()];
        rows.extend(t.rows.iter().map(|r| r.iter().map(csv_cell).collect()));
        out.extend(records(&rows)?);
        out.extend_from_slice(b"\r\n");
    }
    Ok(out)
}

fn records(rows: &[Vec<String>]) -> Result<Vec<u8>, DocumentError> {
    let mut writer = csv::WriterBuilder::new()
        .delimiter(b';')
        .terminator(csv::Terminator::CRLF)
        .quote_style(csv::QuoteStyle::Necessary)
        .flexible(true)
        .from_writer(Vec::new());
    for row in rows {
        writer
            .write_record(row)
            .map_err(|e| DocumentError::Csv(e.to_string()))?;
    }
    writer
        .into_inner()
        .map_err(|e| DocumentError::Csv(e.to_string()))
}
