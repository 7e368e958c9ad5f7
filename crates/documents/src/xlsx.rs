//! The report as an XLSX workbook: a sheet "Over dit rapport", then one sheet per table, numbers
//! as numbers, amounts in euros, shares as percentages and dates as Excel dates.

use crate::dutch::{display_cell, period_label, DEFINITIONS};
use crate::{report_title, DocumentError};
use jiff::civil::Date;
use rust_xlsxwriter::{
    DocProperties, ExcelDateTime, Format, FormatAlign, Workbook, Worksheet, XlsxError,
};
use std::collections::HashSet;
use wijkwerk_core::report::{Cell, YearReport};

const ABOUT_SHEET: &str = "Over dit rapport";

impl From<XlsxError> for DocumentError {
    fn from(e: XlsxError) -> Self {
        DocumentError::Xlsx(e.to_string())
    }
}

/// The report as XLSX, dated today (Amsterdam time).
pub fn report_xlsx(report: &YearReport) -> Result<Vec<u8>, DocumentError> {
    report_xlsx_on(report, wijkwerk_core::today())
}

/// The report as XLSX with `generated` as the date it was made.
pub fn report_xlsx_on(report: &YearReport, generated: Date) -> Result<Vec<u8>, DocumentError> {
    let tables = report.tables();
    let mut workbook = Workbook::new();
    workbook.set_properties(
        &DocProperties::new()
            .set_title(report_title(report))
            .set_company(&report.municipality)
            .set_author("Wijkwerk"),
    );
    let bold = Format::new().set_bold();
    let heading = Format::new().set_bold().set_font_size(14);
    let wrap = Format::new().set_text_wrap().set_align(FormatAlign::Top);
    let date = Format::new()
        .set_num_format("dd-mm-yyyy")
        .set_align(FormatAlign::Left);
    let euro = Format::new().set_num_format("€ #,##0.00");
    let share = Format::new().set_num_format("0.0%");
    let whole = Format::new().set_num_format("0");

    // The first sheet: what this is, and the definitions.
    {
        let sheet = workbook.add_worksheet();
        sheet.set_name(ABOUT_SHEET)?;
        sheet.set_column_width(0, 24)?;
        sheet.set_column_width(1, 100)?;
        sheet.write_string_with_format(0, 0, report_title(report), &heading)?;
        let mut row = 2;
        let facts: [(&str, String); 4] = [
            ("Gebied", report.area_name.clone()),
            ("Gemeente", report.municipality.clone()),
            (
                "Periode",
                format!(
                    "{}{}",
                    period_label(&report.period_start, &report.period_end),
                    if report.running {
                        " (lopend jaar, tot vandaag)"
                    } else {
                        ""
                    }
                ),
            ),
            ("Jaar", report.year.to_string()),
        ];
        for (label, value) in facts {
            sheet.write_string_with_format(row, 0, label, &bold)?;
            sheet.write_string(row, 1, value)?;
            row += 1;
        }
        sheet.write_string_with_format(row, 0, "Gemaakt op", &bold)?;
        write_date(sheet, row, 1, &generated.to_string(), &date)?;
        row += 1;
        sheet.write_string_with_format(row, 0, "Stilstaand na", &bold)?;
        sheet.write_string(row, 1, format!("{} weken", report.stale_weeks))?;
        row += 2;
        if !report.has_data {
            sheet.write_string(
                row,
                0,
                format!("Voor {} zijn er geen gegevens in Wijkwerk.", report.year),
            )?;
            row += 2;
        }
        sheet.write_string_with_format(row, 0, "Tabellen", &heading)?;
        row += 1;
        for t in &tables {
            sheet.write_string_with_format(row, 0, &t.title, &bold)?;
            sheet.write_string_with_format(row, 1, &t.caption, &wrap)?;
            row += 1;
        }
        row += 1;
        sheet.write_string_with_format(row, 0, "Toelichting", &heading)?;
        row += 1;
        for (i, definition) in DEFINITIONS.iter().enumerate() {
            sheet.write_string_with_format(row, 0, format!("{}.", i + 1), &wrap)?;
            sheet.write_string_with_format(row, 1, *definition, &wrap)?;
            row += 1;
        }
    }

    let mut names: HashSet<String> = HashSet::from([ABOUT_SHEET.to_lowercase()]);
    for t in &tables {
        let sheet = workbook.add_worksheet();
        sheet.set_name(unique_sheet_name(&t.title, &mut names))?;
        let mut widths: Vec<usize> = t.columns.iter().map(|c| c.chars().count()).collect();
        for (col, name) in t.columns.iter().enumerate() {
            sheet.write_string_with_format(0, col_num(col)?, name, &bold)?;
        }
        for (r, cells) in t.rows.iter().enumerate() {
            let row =
                u32::try_from(r + 1).map_err(|_| DocumentError::Xlsx("too many rows".into()))?;
            for (c, cell) in cells.iter().enumerate() {
                let col = col_num(c)?;
                match cell {
                    Cell::Text(text) => {
                        sheet.write_string(row, col, text)?;
                    }
                    Cell::Count(n) => {
                        sheet.write_number_with_format(row, col, *n as f64, &whole)?;
                    }
                    Cell::Cents(cents) => {
                        sheet.write_number_with_format(row, col, *cents as f64 / 100.0, &euro)?;
                    }
                    Cell::Share(Some(s)) => {
                        sheet.write_number_with_format(row, col, *s, &share)?;
                    }
                    Cell::Days(Some(d)) => {
                        sheet.write_number_with_format(row, col, *d as f64, &whole)?;
                    }
                    Cell::Share(None) | Cell::Days(None) | Cell::Date(None) => {}
                    Cell::Date(Some(d)) => write_date(sheet, row, col, d, &date)?,
                    Cell::Flag(f) => {
                        sheet.write_string(row, col, crate::dutch::yes_no(*f))?;
                    }
                }
                let shown = match cell {
                    Cell::Date(Some(_)) => 10,
                    other => display_cell(other).chars().count(),
                };
                if let Some(w) = widths.get_mut(c) {
                    *w = (*w).max(shown);
                } else {
                    widths.push(shown);
                }
            }
        }
        for (c, w) in widths.iter().enumerate() {
            sheet.set_column_width(col_num(c)?, (*w as f64 + 2.0).clamp(8.0, 60.0))?;
        }
        sheet.set_freeze_panes(1, 0)?;
    }
    Ok(workbook.save_to_buffer()?)
}

/// A date cell; text that is not a date (it should not happen) is written as text.
fn write_date(
    sheet: &mut Worksheet,
    row: u32,
    col: u16,
    text: &str,
    format: &Format,
) -> Result<(), DocumentError> {
    let parsed = text
        .get(..10)
        .unwrap_or(text)
        .parse::<Date>()
        .ok()
        .and_then(|d| {
            ExcelDateTime::from_ymd(
                u16::try_from(d.year()).ok()?,
                u8::try_from(d.month()).ok()?,
                u8::try_from(d.day()).ok()?,
            )
            .ok()
        });
    match parsed {
        Some(date) => sheet.write_datetime_with_format(row, col, date, format)?,
        None => sheet.write_string(row, col, text)?,
    };
    Ok(())
}

fn col_num(col: usize) -> Result<u16, DocumentError> {
    u16::try_from(col).map_err(|_| DocumentError::Xlsx("too many columns".into()))
}

/// A sheet name Excel accepts: no `[]:*?/\`, not starting or ending with `'`, at most 31
/// characters, and unique (case-insensitively) in the workbook.
pub(crate) fn unique_sheet_name(title: &str, taken: &mut HashSet<String>) -> String {
    let cleaned: String = title
        .chars()
        .filter(|c| !matches!(c, '[' | ']' | ':' | '*' | '?' | '/' | '\\') && !c.is_control())
        .collect();
    let cleaned = cleaned.trim().trim_matches('\'').trim();
    let base: String = if cleaned.is_empty() || cleaned.eq_ignore_ascii_case("history") {
        "Tabel".to_owned()
    } else {
        shortened(cleaned, 31)
    };
    let mut name = base.clone();
    let mut n = 2;
    while taken.contains(&name.to_lowercase()) {
        let suffix = format!(" ({n})");
        let keep = 31 - suffix.chars().count();
        name = format!(
            "{}{suffix}",
            base.chars().take(keep).collect::<String>().trim_end()
        );
        n += 1;
    }
    taken.insert(name.to_lowercase());
    name
}

/// At most `max` characters, cut after a whole word when the text is longer ("Vergaderingen en
/// bezoeken per kern" becomes "Vergaderingen en bezoeken per", not "... per k").
fn shortened(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let cut: String = text.chars().take(max + 1).collect();
    match cut.rfind(' ') {
        Some(space) if space > 0 => cut[..space].trim_end().to_owned(),
        _ => text.chars().take(max).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sheet_names() {
        let mut taken = HashSet::new();
        assert_eq!(
            unique_sheet_name("Actiepunten per kern", &mut taken),
            "Actiepunten per kern"
        );
        assert_eq!(
            unique_sheet_name("Actiepunten per kern", &mut taken),
            "Actiepunten per kern (2)"
        );
        let long = unique_sheet_name(
            "Een [heel] lange naam: met * en ? en / erin, zeker",
            &mut taken,
        );
        assert!(long.chars().count() <= 31, "{long}");
        assert_eq!(
            unique_sheet_name("Vergaderingen en bezoeken per kern", &mut taken),
            "Vergaderingen en bezoeken per"
        );
        assert!(!long.contains(['[', ']', ':', '*', '?', '/', '\\']));
        assert_eq!(unique_sheet_name("''", &mut taken), "Tabel");
    }
}
