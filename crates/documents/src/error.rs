use std::io;
use std::path::PathBuf;

/// Why a document could not be made or written.
#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    /// A CSV of one table was asked for with a key the report does not have.
    #[error("the report has no table \"{key}\"; its tables are: {}", known.join(", "))]
    UnknownTable { key: String, known: Vec<String> },
    #[error("writing the CSV failed: {0}")]
    Csv(String),
    #[error("writing the XLSX failed: {0}")]
    Xlsx(String),
    #[error("drawing the chart \"{chart}\" failed: {message}")]
    Chart { chart: String, message: String },
    /// Typst refused the document (a bug in a template, never the data: data goes in as JSON).
    #[error("typesetting the PDF failed: {0}")]
    Pdf(String),
    #[error("could not write {}: {reason}", path.display())]
    Write {
        path: PathBuf,
        reason: String,
        #[source]
        source: io::Error,
    },
}

impl DocumentError {
    pub(crate) fn write(path: impl Into<PathBuf>, source: io::Error) -> Self {
        let reason = match source.kind() {
            io::ErrorKind::PermissionDenied => {
                "permission denied (is the folder read-only?)".to_owned()
            }
            io::ErrorKind::ReadOnlyFilesystem => "the file system is read-only".to_owned(),
            io::ErrorKind::StorageFull => "the disk is full".to_owned(),
            io::ErrorKind::QuotaExceeded => "the disk quota is exceeded".to_owned(),
            io::ErrorKind::NotFound => "the folder does not exist".to_owned(),
            _ => source.to_string(),
        };
        DocumentError::Write {
            path: path.into(),
            reason,
            source,
        }
    }
}
