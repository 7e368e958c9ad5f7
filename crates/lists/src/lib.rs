//! Contact lists as other programs write them, without a store.
//!
//! [`read`] finds what a file is from its bytes (a workbook is a zip or an OLE file, vCards begin
//! with `BEGIN:VCARD`, anything else that is text is delimited text) and turns it into one
//! [`Table`]: the header's cells and the rows, each with the line or sheet row it came from, so
//! that every problem can be named where the user will look for it. What the columns mean, and
//! what becomes of the rows, is the core's business (`wijkwerk_core::import`).
//! [`write`] writes lists back out: CSV as Dutch Excel opens it, XLSX, and vCard
//! ([`vcard::write`]).

pub mod delimited;
mod ole;
pub mod text;
pub mod vcard;
pub mod workbook;
pub mod write;
mod xls;

pub use text::TextEncoding;

/// The largest file read: a list of a few hundred thousand contacts. Larger is refused before
/// it is read.
pub const MAX_BYTES: usize = 64 * 1024 * 1024;

/// A list: the header's cells and the rows under it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Table {
    pub headers: Vec<String>,
    pub rows: Vec<Row>,
}

/// One row: its cells and where it starts (the file's line, or the sheet's row number).
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub line: usize,
    pub cells: Vec<String>,
}

/// What a file turned out to be.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Format {
    /// Delimited text, with its separator (`;`, `,` or a tab) and its encoding.
    Delimited {
        separator: char,
        encoding: TextEncoding,
    },
    /// A workbook (XLSX, XLS or ODS), its sheets and the one read.
    Workbook { sheets: Vec<String>, sheet: String },
    /// vCards, in the encoding the file had.
    Vcard { encoding: TextEncoding },
}

/// Why a file cannot be read as a list. Nothing was read from it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ListError {
    #[error("the file is empty")]
    Empty,
    #[error("the file is {bytes} bytes, more than the {max} a list may be")]
    TooLarge { bytes: usize, max: usize },
    #[error("{0}")]
    Text(#[from] text::TextError),
    #[error("line {line}: {reason}")]
    Malformed { line: usize, reason: String },
    #[error("the workbook cannot be read: {0}")]
    Workbook(String),
    #[error("the workbook has no sheet {sheet:?} (it has {sheets:?})")]
    NoSuchSheet { sheet: String, sheets: Vec<String> },
    #[error("the file is a zip archive but not a workbook (XLSX or ODS)")]
    NotAWorkbook,
    #[error("the sheet {sheet:?} holds more than {max} cells")]
    TooManyCells { sheet: String, max: usize },
}

impl ListError {
    /// A stable code the shells translate.
    pub fn code(&self) -> &'static str {
        match self {
            ListError::Empty => "list_empty",
            ListError::TooLarge { .. } | ListError::TooManyCells { .. } => "list_too_large",
            ListError::Text(text::TextError::Binary { .. }) => "list_binary",
            ListError::Text(text::TextError::UnknownEncoding { .. }) => "list_unknown_encoding",
            ListError::Malformed { .. } => "list_malformed",
            ListError::Workbook(_) | ListError::NotAWorkbook => "list_workbook",
            ListError::NoSuchSheet { .. } => "list_no_such_sheet",
        }
    }

    /// The line the problem is on, where there is one.
    pub fn line(&self) -> Option<usize> {
        match self {
            ListError::Text(text::TextError::Binary { line })
            | ListError::Text(text::TextError::UnknownEncoding { line, .. })
            | ListError::Malformed { line, .. } => Some(*line),
            _ => None,
        }
    }
}

/// A file read as a list.
#[derive(Debug, Clone, PartialEq)]
pub struct List {
    pub format: Format,
    pub table: Table,
}

/// Reads a file's bytes as a list (a workbook's `sheet` if given, else its first sheet with data).
pub fn read(bytes: &[u8], sheet: Option<&str>) -> Result<List, ListError> {
    if bytes.len() > MAX_BYTES {
        return Err(ListError::TooLarge {
            bytes: bytes.len(),
            max: MAX_BYTES,
        });
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ListError::Empty);
    }
    const ZIP: &[u8] = b"PK\x03\x04";
    const OLE: &[u8] = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1";
    if bytes.starts_with(ZIP) || bytes.starts_with(OLE) {
        let book = workbook::read(bytes, sheet)?;
        return Ok(List {
            format: Format::Workbook {
                sheets: book.sheets,
                sheet: book.sheet,
            },
            table: book.table,
        });
    }
    let (text, encoding) = text::decode(bytes)?;
    if vcard::looks_like(&text) {
        return Ok(List {
            format: Format::Vcard { encoding },
            table: vcard::read(&text)?,
        });
    }
    let (table, separator) = delimited::read(&text)?;
    Ok(List {
        format: Format::Delimited {
            separator: char::from(separator),
            encoding,
        },
        table,
    })
}
