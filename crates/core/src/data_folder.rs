//! Where the data folder is by default, and whether a folder can hold a store at all.
//!
//! The default is `wijkwerk` in the OS's per-user **local** data folder: `~/.local/share/wijkwerk`
//! on Linux, `%LOCALAPPDATA%\wijkwerk` on Windows, `~/Library/Application Support/wijkwerk` on
//! macOS. Not Windows' roaming `%APPDATA%`: managed laptops often redirect that to a network share
//! or copy it at sign-out, and SQLite's write-ahead log needs a local disk (it shares memory
//! between the processes that open the file, which network file systems do not provide).
//!
//! For the same reason a store is refused on a network drive ([`check_local`]): a mapped drive or
//! UNC path on Windows, NFS or SMB on Linux. The message says why and what to do; nothing is
//! written there.

use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

/// `wijkwerk` in the OS's per-user local data folder, when the OS names one.
pub fn default_data_folder() -> Option<PathBuf> {
    dirs::data_local_dir().map(|dir| dir.join("wijkwerk"))
}

/// Refuses a folder on a network drive (see the module's documentation). A folder that does not
/// exist yet is judged by its nearest existing parent (on Windows, by its drive).
pub fn check_local(folder: &Path) -> Result<()> {
    if is_network(folder) {
        return Err(Error::NetworkFolder {
            path: folder.to_path_buf(),
        });
    }
    Ok(())
}

/// The folder itself or, when it does not exist yet, its nearest existing parent.
#[cfg(target_os = "linux")]
fn existing(folder: &Path) -> Option<&Path> {
    folder.ancestors().find(|dir| dir.exists())
}

#[cfg(windows)]
fn is_network(folder: &Path) -> bool {
    use std::os::windows::ffi::OsStrExt;
    use std::path::{Component, Prefix};
    use windows_sys::Win32::Storage::FileSystem::GetDriveTypeW;
    // DRIVE_REMOTE in WinBase.h.
    const DRIVE_REMOTE: u32 = 4;
    let absolute = std::path::absolute(folder).unwrap_or_else(|_| folder.to_path_buf());
    let root = match absolute.components().next() {
        Some(Component::Prefix(prefix)) => match prefix.kind() {
            Prefix::UNC(..) | Prefix::VerbatimUNC(..) => return true,
            Prefix::Disk(letter) | Prefix::VerbatimDisk(letter) => {
                format!("{}:\\", char::from(letter))
            }
            Prefix::DeviceNS(_) | Prefix::Verbatim(_) => return false,
        },
        _ => return false,
    };
    let wide: Vec<u16> = std::ffi::OsStr::new(&root)
        .encode_wide()
        .chain(std::iter::once(0))
        .collect();
    // SAFETY: `wide` is a NUL-terminated UTF-16 string that lives across the call.
    let kind = unsafe { GetDriveTypeW(wide.as_ptr()) };
    kind == DRIVE_REMOTE
}

#[cfg(target_os = "linux")]
fn is_network(folder: &Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    // The file system magic numbers of linux/magic.h (and CIFS's and SMB2's own).
    const NETWORK: &[i64] = &[
        0x6969,               // NFS
        0x517B,               // SMB
        0xFF53_4D42_u32 as _, // CIFS
        0xFE53_4D42_u32 as _, // SMB2
        0x564C,               // NCP
        0x0102_1997,          // 9P (v9fs)
        0x7366_7362,          // AFS ("sfsb")
        0x6B41_4653,          // kAFS
    ];
    let Some(dir) = existing(folder) else {
        return false;
    };
    let Ok(path) = std::ffi::CString::new(dir.as_os_str().as_bytes()) else {
        return false;
    };
    // SAFETY: statfs fills the zeroed struct; `path` is NUL-terminated and outlives the call.
    let mut stat: libc::statfs = unsafe { std::mem::zeroed() };
    if unsafe { libc::statfs(path.as_ptr(), &mut stat) } != 0 {
        return false;
    }
    #[allow(clippy::unnecessary_cast)]
    let kind = stat.f_type as i64;
    NETWORK.contains(&kind)
}

#[cfg(not(any(windows, target_os = "linux")))]
fn is_network(_folder: &Path) -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_local_temporary_folder_is_accepted() {
        let dir = std::env::temp_dir()
            .join("wijkwerk-not-yet-made")
            .join("deeper");
        assert!(check_local(&dir).is_ok());
    }

    #[test]
    fn the_default_folder_is_called_wijkwerk() {
        if let Some(dir) = default_data_folder() {
            assert_eq!(dir.file_name().and_then(|n| n.to_str()), Some("wijkwerk"));
        }
    }

    #[cfg(windows)]
    #[test]
    fn a_unc_path_is_a_network_folder() {
        let error = check_local(Path::new(r"\\fileserver\gemeente\wijkwerk")).unwrap_err();
        assert!(matches!(error, Error::NetworkFolder { .. }), "{error}");
        assert!(error.to_string().contains("network"));
    }
}
