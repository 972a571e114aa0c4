//! What can go wrong building a server, and what a failed build's output says is missing.

use std::path::PathBuf;

/// Why [`ServerBuild::build`](super::ServerBuild::build) failed. Each message says what to
/// install or set.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// No target was given and the program's target has no known 32-bit twin.
    #[error("no 32-bit target is known for `{target}`; give one with `ServerBuild::target(..)`")]
    NoTwinTarget {
        /// The program's target (`TARGET`).
        target: String,
    },
    /// Rust's standard library for the server's target is not installed.
    #[error("the Rust target `{target}` is not installed: run `rustup target add {target}`")]
    MissingRustTarget {
        /// The server's target.
        target: String,
    },
    /// The C toolchain for the server's target is missing: the linker, or its 32-bit
    /// libraries.
    #[error("building the server for `{target}` needs a 32-bit C toolchain: {hint}\n\ncargo's output:\n{stderr}")]
    MissingToolchain {
        /// The server's target.
        target: String,
        /// What to install.
        hint: String,
        /// The end of the nested cargo's stderr.
        stderr: String,
    },
    /// The nested `cargo build` failed for another reason (a compile error, say).
    #[error("`{command}` failed ({status}); cargo's output:\n{stderr}")]
    Cargo {
        /// The command run.
        command: String,
        /// Its exit status.
        status: String,
        /// The end of its stderr.
        stderr: String,
    },
    /// The build succeeded but the binary is not where cargo puts it (the name is not a
    /// binary of the package?).
    #[error("the server binary `{}` was not built; is `{name}` a [[bin]] of the package?", path.display())]
    MissingBinary {
        /// The binary's name.
        name: String,
        /// Where it was expected.
        path: PathBuf,
    },
    /// A binary of the program's own workspace has a server's name: a workspace-wide
    /// `cargo build` would build it for 64 bits and put it where the 32-bit server goes,
    /// next to the program.
    #[error(
        "the binary `{bin}` of package `{package}` ({}) is built for 64 bits by this \
         workspace (the package is a member and the binary has no `required-features`): a \
         workspace build would put a 64-bit `{bin}` where the 32-bit server goes, next to \
         the program. Remove the package from the workspace's members (add it to \
         `[workspace] exclude`, or give it a `[workspace]` of its own), or give the binary \
         `required-features = [\"server\"]` and build it with `.feature(\"server\")`",
        manifest.display()
    )]
    BuiltFor64Bits {
        /// The binary's name.
        bin: String,
        /// Its package.
        package: String,
        /// The package's `Cargo.toml`.
        manifest: PathBuf,
    },
    /// A build-script variable is missing (not running in a build script?) or an
    /// input is not usable.
    #[error("{0}")]
    Config(String),
    /// A file operation or a program start failed.
    #[error("cannot {what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// Why it failed.
        source: std::io::Error,
    },
}

/// At most this many bytes of a failed build's stderr go into an error.
const STDERR_TAIL: usize = 6000;

/// The end of a build's stderr, at a line boundary when there is one nearby.
pub(super) fn tail(stderr: &str) -> String {
    if stderr.len() <= STDERR_TAIL {
        return stderr.to_owned();
    }
    let mut start = stderr.len() - STDERR_TAIL;
    while !stderr.is_char_boundary(start) {
        start += 1;
    }
    let start = stderr[start..].find('\n').map_or(start, |i| start + i + 1);
    format!("…\n{}", &stderr[start..])
}

/// What a failed build's stderr says is missing, as an error, if it says.
pub(super) fn diagnose(target: &str, stderr: &str) -> Option<BuildError> {
    if stderr.contains("can't find crate for `std`")
        || stderr.contains("can't find crate for `core`")
        || stderr.contains("target may not be installed")
    {
        return Some(BuildError::MissingRustTarget {
            target: target.to_owned(),
        });
    }
    let hint = toolchain_hint(target, stderr)?;
    Some(BuildError::MissingToolchain {
        target: target.to_owned(),
        hint,
        stderr: tail(stderr),
    })
}

/// What to install when the stderr shows a missing linker or missing 32-bit libraries.
fn toolchain_hint(target: &str, stderr: &str) -> Option<String> {
    let has = |s: &str| stderr.contains(s);
    if target.ends_with("windows-gnu") {
        let gcc = if target.starts_with("i686") {
            "i686-w64-mingw32-gcc"
        } else {
            "x86_64-w64-mingw32-gcc"
        };
        let package = if target.starts_with("i686") {
            "gcc-mingw-w64-i686"
        } else {
            "gcc-mingw-w64-x86-64"
        };
        if has(gcc) && (has("not found") || has("No such file")) || has("linker `") {
            return Some(format!(
                "the MinGW-w64 linker `{gcc}` is missing (Debian: `apt install {package}`; \
                 MSYS2: the mingw-w64-i686-toolchain)"
            ));
        }
    } else if target.ends_with("windows-msvc") {
        if has("link.exe") || has("linker `") {
            return Some(
                "the MSVC linker for x86 is missing: install the Visual Studio Build Tools \
                 with the x86 C++ tools"
                    .to_owned(),
            );
        }
    } else if has("cannot find crt1.o")
        || has("cannot find crti.o")
        || has("gnu/stubs-32.h")
        || has("skipping incompatible")
        || has("cannot find -lgcc")
        || has("linker `cc` not found")
        || has("unrecognized command-line option '-m32'")
    {
        return Some(
            "the 32-bit C libraries (multilib) or the linker are missing: install \
             gcc-multilib (Debian/Ubuntu: `apt install gcc-multilib`; Fedora: \
             `dnf install glibc-devel.i686 libgcc.i686`)"
                .to_owned(),
        );
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_rust_target_says_which_rustup_command_adds_it() {
        let e = diagnose(
            "i686-unknown-linux-gnu",
            "error[E0463]: can't find crate for `std`\n  = note: the `i686-unknown-linux-gnu` target may not be installed",
        )
        .unwrap();
        assert_eq!(
            e.to_string(),
            "the Rust target `i686-unknown-linux-gnu` is not installed: run `rustup target add i686-unknown-linux-gnu`"
        );
    }

    #[test]
    fn missing_multilib_says_gcc_multilib() {
        let stderr = "error: linking with `cc` failed: exit status: 1\n  = note: /usr/bin/ld: cannot find crt1.o: No such file or directory\n";
        let e = diagnose("i686-unknown-linux-gnu", stderr).unwrap();
        let msg = e.to_string();
        assert!(msg.contains("apt install gcc-multilib"), "{msg}");
        assert!(msg.contains("cannot find crt1.o"), "{msg}");
    }

    #[test]
    fn a_missing_mingw_linker_says_which_package() {
        let stderr = "error: linker `i686-w64-mingw32-gcc` not found\n  |\n  = note: No such file or directory (os error 2)\n";
        let e = diagnose("i686-pc-windows-gnu", stderr).unwrap();
        assert!(
            e.to_string().contains("apt install gcc-mingw-w64-i686"),
            "{e}"
        );
    }

    #[test]
    fn a_compile_error_is_not_diagnosed_as_a_missing_tool() {
        assert!(diagnose(
            "i686-unknown-linux-gnu",
            "error[E0425]: cannot find value `x`"
        )
        .is_none());
    }

    #[test]
    fn the_tail_keeps_the_end_of_a_long_output() {
        let long = format!("{}\nthe last line", "x".repeat(10_000));
        let t = tail(&long);
        assert!(t.len() < 7000);
        assert!(t.ends_with("the last line"));
        assert_eq!(tail("short"), "short");
    }
}
