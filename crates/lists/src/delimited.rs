//! Delimited text: `;` as Dutch Excel writes it, `,` as Outlook and Google write it, tabs.
//!
//! The separator is found from the text, not from the file name: the one that splits the first
//! lines (outside quotes) into the same number of fields, more than one; a first line `sep=;`
//! (Excel's own hint) decides outright. Fields are read by the `csv` crate: quoted fields may
//! hold separators, quotes and newlines, so a record's line is where it starts.

use crate::{ListError, Row, Table};

/// The separators tried, in order of preference when they tie.
const SEPARATORS: [u8; 3] = [b';', b',', b'\t'];

/// Reads delimited text: the first record is the header.
pub fn read(text: &str) -> Result<(Table, u8), ListError> {
    let (body, first_line, hinted) = strip_separator_hint(text);
    let separator = match hinted {
        Some(s) => s,
        // One column (a list of names) when no separator makes more.
        None => sniff(body).unwrap_or(b';'),
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(separator)
        .has_headers(false)
        .flexible(true)
        .from_reader(body.as_bytes());
    // A record's line, from the byte it starts at (the csv crate's own line count misses
    // newlines inside quoted fields; after a CRLF its position is the LF's byte).
    let newlines: Vec<usize> = body.match_indices('\n').map(|(i, _)| i).collect();
    let line_of = |byte: u64| newlines.partition_point(|n| (*n as u64) <= byte) + first_line;
    let mut headers: Option<Vec<String>> = None;
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| csv_error(&e, &line_of))?;
        let line = record.position().map_or(first_line, |p| line_of(p.byte()));
        let cells: Vec<String> = record.iter().map(|c| c.trim().to_owned()).collect();
        if cells.iter().all(String::is_empty) {
            continue;
        }
        match headers {
            None => headers = Some(cells),
            Some(_) => rows.push(Row { line, cells }),
        }
    }
    let headers = headers.ok_or(ListError::Empty)?;
    Ok((Table { headers, rows }, separator))
}

/// `sep=;` on the first line: Excel's hint, not part of the data.
fn strip_separator_hint(text: &str) -> (&str, usize, Option<u8>) {
    let first = text.lines().next().unwrap_or("");
    let hint = first
        .trim()
        .strip_prefix("sep=")
        .or_else(|| first.trim().strip_prefix("SEP="));
    match hint.map(str::as_bytes) {
        Some([s]) => {
            let rest = text.split_once('\n').map_or("", |(_, rest)| rest);
            (rest, 2, Some(*s))
        }
        _ => (text, 1, None),
    }
}

/// The separator that splits the first lines into equal numbers of fields (most lines agreeing,
/// then most fields); None when no separator makes more than one column.
fn sniff(text: &str) -> Option<u8> {
    let mut best: Option<(usize, usize, u8)> = None;
    for separator in SEPARATORS {
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(separator)
            .has_headers(false)
            .flexible(true)
            .from_reader(text.as_bytes());
        let counts: Vec<usize> = reader
            .records()
            .take(20)
            .map_while(Result::ok)
            .map(|r| r.len())
            .collect();
        let Some(&header) = counts.first() else {
            continue;
        };
        if header < 2 {
            continue;
        }
        let agreeing = counts.iter().filter(|c| **c == header).count();
        let score = (agreeing, header, separator);
        if best.is_none_or(|(a, h, _)| (agreeing, header) > (a, h)) {
            best = Some(score);
        }
    }
    best.map(|(_, _, s)| s)
}

fn csv_error(e: &csv::Error, line_of: &dyn Fn(u64) -> usize) -> ListError {
    let line = line_of(e.position().map_or(0, |p| p.byte()));
    ListError::Malformed {
        line,
        reason: e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dutch_excel_semicolons_with_quoted_newlines() {
        let (table, sep) = read(
            "Naam;Adres;Notitie\r\nJan;\"Dorpsstraat 1;\r\nBergen\";\"zei \"\"ja\"\"\"\r\nPiet;Kerkweg 2;\r\n",
        )
        .unwrap();
        assert_eq!(sep, b';');
        assert_eq!(table.headers, ["Naam", "Adres", "Notitie"]);
        assert_eq!(table.rows[0].cells[1], "Dorpsstraat 1;\r\nBergen");
        assert_eq!(table.rows[0].cells[2], "zei \"ja\"");
        assert_eq!(table.rows[1].line, 4, "Piet starts on line 4");
    }

    #[test]
    fn commas_tabs_and_the_sep_hint() {
        assert_eq!(read("a,b,c\n1,2,3\n").unwrap().1, b',');
        assert_eq!(read("a\tb\n1\t2\n").unwrap().1, b'\t');
        // A comma inside names would fool a count; the hint decides.
        let (table, sep) = read("sep=;\nNaam;Plaats\n\"Vries, J. de\";Bergen\n").unwrap();
        assert_eq!((sep, table.rows[0].line), (b';', 3));
        assert_eq!(table.rows[0].cells[0], "Vries, J. de");
    }

    #[test]
    fn one_column_is_a_list_of_one_column() {
        let (table, _) = read("Naam\nJan de Vries\nPiet\n").unwrap();
        assert_eq!((table.headers.len(), table.rows.len()), (1, 2));
    }
}
