use crate::DocumentError;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Writes `bytes` to `path` so that nothing is ever half-written: into a temporary file in the
/// same folder, synced to disk, then renamed over `path` (and the folder synced). On any failure
/// the temporary file is removed and `path` is as it was; the error names the path.
pub fn write_file(path: &Path, bytes: &[u8]) -> Result<(), DocumentError> {
    let folder = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| {
            DocumentError::write(
                path,
                std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a file name"),
            )
        })?
        .to_string_lossy()
        .into_owned();
    let (temp, mut file) =
        create_temp(&folder, &name).map_err(|e| DocumentError::write(path, e))?;
    let written = file
        .write_all(bytes)
        .and_then(|()| file.sync_all())
        .and_then(|()| {
            drop(file);
            fs::rename(&temp, path)
        });
    if let Err(e) = written {
        let _ = fs::remove_file(&temp);
        return Err(DocumentError::write(path, e));
    }
    // The rename is durable once the folder is synced (not possible everywhere: best effort).
    if let Ok(dir) = File::open(&folder) {
        let _ = dir.sync_all();
    }
    Ok(())
}

/// A new file `.{name}.{pid}.{n}.tmp` beside the target (never one that exists).
fn create_temp(folder: &Path, name: &str) -> std::io::Result<(PathBuf, File)> {
    let mut attempt = 0u32;
    loop {
        let temp = folder.join(format!(".{name}.{}.{attempt}.tmp", std::process::id()));
        match OpenOptions::new().write(true).create_new(true).open(&temp) {
            Ok(file) => return Ok((temp, file)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && attempt < 1000 => {
                attempt += 1;
            }
            Err(e) => return Err(e),
        }
    }
}
