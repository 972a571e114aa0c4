//! Linux: private files and folders: the file transport's folder, and this user's
//! folder for a copy of the embedded server, and the copy.

use std::io;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// Creates a directory that only this user can enter.
pub(crate) fn create_private_dir(path: &Path) -> io::Result<()> {
    std::fs::DirBuilder::new().mode(0o700).create(path)
}

/// Writes `bytes` to a new file at `path` that only this user can read or write.
pub(crate) fn write_private_file(path: &Path, bytes: &[u8]) -> io::Result<()> {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(bytes)
}

/// Where this user's copy of the embedded server may be kept, best first:
/// `$XDG_CACHE_HOME/loadlib` (if that is an absolute path), `~/.cache/loadlib`, then
/// `loadlib-<uid>` in the temporary folder.
pub(crate) fn server_cache_roots() -> Vec<PathBuf> {
    let absolute = |v: std::ffi::OsString| Some(PathBuf::from(v)).filter(|p| p.is_absolute());
    let mut roots = Vec::new();
    if let Some(p) = std::env::var_os("XDG_CACHE_HOME").and_then(absolute) {
        roots.push(p.join("loadlib"));
    }
    if let Some(p) = std::env::var_os("HOME").and_then(absolute) {
        roots.push(p.join(".cache").join("loadlib"));
    }
    let uid = rustix::process::geteuid().as_raw();
    roots.push(std::env::temp_dir().join(format!("loadlib-{uid}")));
    roots.dedup();
    roots
}

/// Makes `path` a folder that only this user can use: created with mode 0700 if it is
/// missing (its parents too, also 0700), and in any case checked: a folder, not a link,
/// owned by this user, with no access for its group or others.
pub(crate) fn ensure_private_dir(path: &Path) -> io::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(parent)?;
    }
    match std::fs::DirBuilder::new().mode(0o700).create(path) {
        Err(e) if e.kind() != io::ErrorKind::AlreadyExists => return Err(e),
        _ => {}
    }
    let meta = std::fs::symlink_metadata(path)?;
    let me = rustix::process::geteuid().as_raw();
    let problem = if !meta.is_dir() {
        Some("not a folder".to_owned())
    } else if meta.uid() != me {
        Some(format!("owned by uid {}, not this user ({me})", meta.uid()))
    } else if meta.mode() & 0o077 != 0 {
        Some(format!(
            "mode {:o}: others have access",
            meta.mode() & 0o777
        ))
    } else {
        None
    };
    super::super::refuse_shared_dir(path, problem)
}

/// Writes `bytes` to a new file at `path` (which must not exist) that only this user can
/// read, write and run.
pub(crate) fn write_private_executable(path: &Path, bytes: &[u8]) -> io::Result<()> {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o700)
        .open(path)?;
    f.write_all(bytes)
}

/// Whether `path` is a regular file (not a link) that this user can run: a copy to reuse
/// if its bytes are right.
pub(crate) fn is_runnable_file(path: &Path) -> bool {
    std::fs::symlink_metadata(path)
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o100 != 0)
}

/// Creates a folder that everyone may enter and read (for tests of the refusal).
#[cfg(test)]
pub(crate) fn create_dir_others_can_use(path: &Path) -> io::Result<()> {
    std::fs::DirBuilder::new().mode(0o755).create(path)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
}
