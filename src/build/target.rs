//! Which 32-bit target a 64-bit target's server is built for, and whether Rust's
//! standard library for it is installed.

use std::path::PathBuf;
use std::process::Command;

use super::BuildError;

/// The 32-bit twin of a 64-bit target: the target a server for a program built for
/// `target` is built for. `None` for a target without a known twin.
///
/// ```
/// use loadlib::build::twin_target;
/// assert_eq!(twin_target("x86_64-unknown-linux-gnu"), Some("i686-unknown-linux-gnu"));
/// assert_eq!(twin_target("x86_64-pc-windows-gnu"), Some("i686-pc-windows-gnu"));
/// assert_eq!(twin_target("x86_64-pc-windows-msvc"), Some("i686-pc-windows-msvc"));
/// assert_eq!(twin_target("aarch64-apple-darwin"), None);
/// ```
pub fn twin_target(target: &str) -> Option<&'static str> {
    match target {
        "x86_64-unknown-linux-gnu" | "i686-unknown-linux-gnu" => Some("i686-unknown-linux-gnu"),
        "x86_64-pc-windows-gnu" | "i686-pc-windows-gnu" => Some("i686-pc-windows-gnu"),
        "x86_64-pc-windows-msvc" | "i686-pc-windows-msvc" => Some("i686-pc-windows-msvc"),
        _ => None,
    }
}

/// Fails with [`BuildError::MissingRustTarget`] when `rustc` has no standard library for
/// `target` (the target was not added with rustup).
pub(super) fn check_installed(rustc: &PathBuf, target: &str) -> Result<(), BuildError> {
    let out = Command::new(rustc)
        .args(["--print", "target-libdir", "--target", target])
        .output()
        .map_err(|source| BuildError::Io {
            what: format!("run `{} --print target-libdir`", rustc.display()),
            source,
        })?;
    let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    let has_std = out.status.success()
        && std::fs::read_dir(&dir)
            .map(|entries| {
                entries
                    .flatten()
                    .any(|e| e.file_name().to_string_lossy().starts_with("libstd-"))
            })
            .unwrap_or(false);
    if has_std {
        Ok(())
    } else {
        Err(BuildError::MissingRustTarget {
            target: target.to_owned(),
        })
    }
}
