//! Opening a file Wijkwerk wrote (a calendar, a report) with the program the user chose for its
//! kind, each platform's own way: `ShellExecuteW` on Windows (so an `.ics` opens in Outlook when
//! Outlook is the calendar program), `open` on macOS, `xdg-open` on Linux and the other Unixes;
//! and a `mailto:` link the same way, in the user's mail program ("Bestuur mailen").

use crate::error::{Error, Result};
use std::ffi::OsStr;
use std::path::Path;

/// Opens `path` with the default program for its kind. The file must exist; when the platform has
/// no program for it, the error says so and names the file.
pub fn open_with_default_program(path: &Path) -> Result<()> {
    if !path.is_file() {
        return Err(Error::Io {
            path: path.to_path_buf(),
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "there is no such file"),
        });
    }
    platform_open(path.as_os_str())
}

/// Opens a `mailto:` link in the user's mail program. Only a `mailto:` link of printable ASCII
/// without quotes or angle brackets (addresses percent-encoded as RFC 6068 has them) is handed
/// over; anything else is refused and nothing is started.
pub fn open_mail_link(uri: &str) -> Result<()> {
    let plain = uri.bytes().all(|b| {
        b.is_ascii_graphic()
            && !matches!(
                b,
                b'"' | b'<' | b'>' | b'\\' | b'`' | b'{' | b'}' | b'|' | b'^'
            )
    });
    if !uri.starts_with("mailto:") || uri.len() <= "mailto:".len() || !plain {
        return Err(Error::BadRequest(format!(
            "{:?} is not a mailto: link Wijkwerk opens",
            uri.chars().take(80).collect::<String>()
        )));
    }
    platform_open(OsStr::new(uri))
}

#[cfg(windows)]
fn platform_open(path: &OsStr) -> Result<()> {
    use std::os::windows::ffi::OsStrExt;
    use windows_sys::Win32::UI::Shell::ShellExecuteW;
    use windows_sys::Win32::UI::WindowsAndMessaging::SW_SHOWNORMAL;
    let wide = |text: &std::ffi::OsStr| -> Vec<u16> {
        text.encode_wide().chain(std::iter::once(0)).collect()
    };
    let verb = wide(std::ffi::OsStr::new("open"));
    let file = wide(path);
    // SAFETY: both strings are NUL-terminated UTF-16 that live across the call; no window owner.
    let result = unsafe {
        ShellExecuteW(
            std::ptr::null_mut(),
            verb.as_ptr(),
            file.as_ptr(),
            std::ptr::null(),
            std::ptr::null(),
            SW_SHOWNORMAL,
        )
    } as isize;
    // ShellExecuteW succeeds with a value above 32; 31 is "no program for this kind of file".
    if result > 32 {
        Ok(())
    } else {
        Err(Error::Io {
            path: std::path::PathBuf::from(path),
            source: std::io::Error::other(if result == 31 {
                "Windows has no program set to open this kind of file".to_owned()
            } else {
                format!("Windows could not open it (ShellExecute {result})")
            }),
        })
    }
}

#[cfg(target_os = "macos")]
fn platform_open(path: &OsStr) -> Result<()> {
    run_opener(OsStr::new("open"), path)
}

#[cfg(all(unix, not(target_os = "macos")))]
fn platform_open(path: &OsStr) -> Result<()> {
    run_opener(OsStr::new("xdg-open"), path)
}

#[cfg(not(any(windows, unix)))]
fn platform_open(path: &OsStr) -> Result<()> {
    Err(Error::Io {
        path: std::path::PathBuf::from(path),
        source: std::io::Error::other("this platform cannot open files"),
    })
}

/// Runs `opener FILE` and waits for it (xdg-open and open hand the file over and return).
#[cfg(unix)]
fn run_opener(opener: &OsStr, path: &OsStr) -> Result<()> {
    let failed = |detail: String| Error::Io {
        path: std::path::PathBuf::from(path),
        source: std::io::Error::other(detail),
    };
    let status = std::process::Command::new(opener)
        .arg(path)
        .stdin(std::process::Stdio::null())
        .status()
        .map_err(|e| {
            failed(format!(
                "{} could not be started: {e}",
                opener.to_string_lossy()
            ))
        })?;
    if status.success() {
        Ok(())
    } else {
        Err(failed(format!(
            "{} found no program to open it ({status})",
            opener.to_string_lossy()
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_file_is_named_and_nothing_is_started() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("kernbezoeken.ics");
        let error = open_with_default_program(&missing).unwrap_err();
        assert!(error.to_string().contains("kernbezoeken.ics"), "{error}");
    }

    /// The opener gets the file's path as its one argument (a stand-in xdg-open writes it down).
    #[cfg(unix)]
    #[test]
    fn the_platforms_opener_gets_the_file() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("Kernbezoeken 2027.ics");
        std::fs::write(&file, "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n").unwrap();
        let seen = dir.path().join("seen.txt");
        let opener = dir.path().join("opener");
        std::fs::write(
            &opener,
            format!("#!/bin/sh\nprintf '%s' \"$1\" > '{}'\n", seen.display()),
        )
        .unwrap();
        std::fs::set_permissions(&opener, std::fs::Permissions::from_mode(0o755)).unwrap();
        run_opener(opener.as_os_str(), file.as_os_str()).unwrap();
        assert_eq!(
            std::fs::read_to_string(&seen).unwrap(),
            file.display().to_string()
        );

        let refusing = dir.path().join("refusing");
        std::fs::write(&refusing, "#!/bin/sh\nexit 3\n").unwrap();
        std::fs::set_permissions(&refusing, std::fs::Permissions::from_mode(0o755)).unwrap();
        let error = run_opener(refusing.as_os_str(), file.as_os_str()).unwrap_err();
        assert!(error.to_string().contains("no program"), "{error}");

        // A mail link is handed over as it is.
        let link = "mailto:anna@example.nl,piet%26co@example.nl";
        run_opener(opener.as_os_str(), OsStr::new(link)).unwrap();
        assert_eq!(std::fs::read_to_string(&seen).unwrap(), link);
    }

    #[test]
    fn only_a_plain_mailto_link_is_opened() {
        for refused in [
            "https://example.nl",
            "mailto:",
            "mailto:a@example.nl --help",
            "mailto:a@example.nl\"",
            "file:///etc/passwd",
            "mailto:a@example.nl\n",
        ] {
            let error = open_mail_link(refused).unwrap_err();
            assert_eq!(error.code(), "bad_request", "{refused}");
        }
    }
}
