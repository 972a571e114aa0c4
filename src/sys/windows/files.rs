//! Windows: private files and folders: the file transport's folder, and this user's
//! folder for a copy of the embedded server, and the copy.

use std::io;
use std::path::{Path, PathBuf};

use windows_sys::Win32::Security::Authorization::{GetNamedSecurityInfoW, SE_FILE_OBJECT};
use windows_sys::Win32::Security::{DACL_SECURITY_INFORMATION, OWNER_SECURITY_INFORMATION};

use windows_sys::Win32::Storage::FileSystem::CreateDirectoryW;

use super::security::{access_problem, PrivateDescriptor};
use super::wide;

/// Accounts besides this user that may own or use the folder: LocalSystem, the
/// Administrators group and CREATOR OWNER (in an inherited entry: whoever creates a file
/// in it). They can take any file of this user's anyway; Windows grants them access to
/// folders under `%LOCALAPPDATA%` by default, and Wine reports SYSTEM on every folder.
const TRUSTED: &[&str] = &["S-1-5-18", "S-1-5-32-544", "S-1-3-0"];

/// Where this user's copy of the embedded server may be kept, best first:
/// `%LOCALAPPDATA%\loadlib`, then `loadlib` in the temporary folder.
pub(crate) fn server_cache_roots() -> Vec<PathBuf> {
    let mut roots = Vec::new();
    if let Some(p) = std::env::var_os("LOCALAPPDATA")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
    {
        roots.push(p.join("loadlib"));
    }
    roots.push(std::env::temp_dir().join("loadlib"));
    roots.dedup();
    roots
}

/// Makes `path` a folder that only this user can use: created with an owner-only access
/// list (inherited by what is made in it) if it is missing, its parents as needed; if
/// it exists, checked: a folder, not a link, owned by this user, and no one else allowed
/// in.
pub(crate) fn ensure_private_dir(path: &Path) -> io::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    match create_private_dir(path) {
        Ok(()) => return Ok(()),
        Err(e) if e.kind() != io::ErrorKind::AlreadyExists => return Err(e),
        Err(_) => {}
    }
    let meta = std::fs::symlink_metadata(path)?;
    let problem = if !meta.is_dir() || meta.file_type().is_symlink() {
        Some("not a folder".to_owned())
    } else {
        let name = wide(path.as_os_str());
        access_problem(TRUSTED, |owner, dacl, sd| {
            // SAFETY: `name` is NUL-terminated; the out-pointers point into `sd`, which
            // `access_problem` frees.
            unsafe {
                GetNamedSecurityInfoW(
                    name.as_ptr(),
                    SE_FILE_OBJECT,
                    OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION,
                    owner,
                    std::ptr::null_mut(),
                    dacl,
                    std::ptr::null_mut(),
                    sd,
                )
            }
        })?
    };
    super::super::refuse_shared_dir(path, problem)
}

/// Writes `bytes` to a new file at `path` (which must not exist); it inherits its
/// folder's owner-only access list.
pub(crate) fn write_private_executable(path: &Path, bytes: &[u8]) -> io::Result<()> {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)?;
    f.write_all(bytes)
}

/// Whether `path` is a regular file (not a link): a copy to reuse if its bytes are right.
pub(crate) fn is_runnable_file(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.is_file())
}

/// Creates a folder that everyone may use (for tests of the refusal).
#[cfg(test)]
pub(crate) fn create_dir_others_can_use(path: &Path) -> io::Result<()> {
    let sid = super::security::user_sid()?;
    let sd =
        PrivateDescriptor::from_sddl(&format!("O:{sid}D:P(A;OICI;GA;;;{sid})(A;OICI;GA;;;WD)"))?;
    create_dir_with(path, &sd)
}

/// Creates a directory that only this user can enter (and the files made in it).
pub(crate) fn create_private_dir(path: &Path) -> io::Result<()> {
    create_dir_with(path, &PrivateDescriptor::new(true)?)
}

/// Creates a directory with the security descriptor `sd`.
fn create_dir_with(path: &Path, sd: &PrivateDescriptor) -> io::Result<()> {
    let sa = sd.attributes();
    let wpath = wide(path.as_os_str());
    // SAFETY: NUL-terminated path and valid attributes.
    if unsafe { CreateDirectoryW(wpath.as_ptr(), &sa) } == 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Writes `bytes` to a new file at `path`, which inherits its directory's owner-only
/// access list.
pub(crate) fn write_private_file(path: &Path, bytes: &[u8]) -> io::Result<()> {
    std::fs::write(path, bytes)
}
