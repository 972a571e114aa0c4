//! Putting a built server next to the program.

use std::path::Path;

use super::BuildError;

/// What `to` was, if it is a program of another kind than `from` (a 64-bit build of the
/// server where the 32-bit one goes).
pub(super) fn replaced_program(from: &Path, to: &Path) -> Option<String> {
    let kind = |p: &Path| crate::sys::program::program_kind(p).ok().flatten();
    let (new, old) = (kind(from)?, kind(to)?);
    (new != old).then(|| old.to_string())
}

/// Copies `from` to `to` through a temporary file and a rename, so a server that is
/// running from `to` keeps its file (overwriting a running executable fails on Linux).
pub(super) fn install(from: &Path, to: &Path) -> Result<(), BuildError> {
    let io = |what: String| move |source| BuildError::Io { what, source };
    if let Some(dir) = to.parent() {
        std::fs::create_dir_all(dir).map_err(io(format!("create {}", dir.display())))?;
    }
    let tmp = to.with_extension(format!("tmp{}", std::process::id()));
    std::fs::copy(from, &tmp).map_err(io(format!(
        "copy {} to {}",
        from.display(),
        tmp.display()
    )))?;
    std::fs::rename(&tmp, to).map_err(io(format!("rename {} to {}", tmp.display(), to.display())))
}
