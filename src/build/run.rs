//! Running the nested cargo: its output passed on as it comes, and kept for errors.

use std::ffi::OsStr;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::BuildError;

/// What a nested cargo did.
pub(super) struct CargoRun {
    /// Whether it succeeded, and its exit status in words.
    pub success: bool,
    pub status: String,
    /// Everything it printed on stderr.
    pub stderr: String,
    /// How many crates it compiled (its `Compiling` lines): 0 when all was fresh.
    pub compiled: usize,
    /// How long it took.
    pub elapsed: Duration,
}

/// Runs `cmd` (shown in errors as `command`), passing each line of its stderr on to this
/// build script's stderr as it comes, prefixed with `[server]`: cargo shows that live
/// with `cargo build -vv`, and in full when the build fails. Its stdout, which nothing
/// writes to in a plain `cargo build`, is dropped: this build script's stdout carries
/// `cargo:` directives.
pub(super) fn run_streamed(mut cmd: Command, command: &str) -> Result<CargoRun, BuildError> {
    let start = Instant::now();
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|source| BuildError::Io {
            what: format!("run {command}"),
            source,
        })?;
    let mut stderr = String::new();
    let mut compiled = 0;
    if let Some(pipe) = child.stderr.take() {
        for line in BufReader::new(pipe).lines() {
            let Ok(line) = line else { break };
            if line.trim_start().starts_with("Compiling ") {
                compiled += 1;
            }
            eprintln!("[server] {line}");
            stderr.push_str(&line);
            stderr.push('\n');
        }
    }
    let status = child.wait().map_err(|source| BuildError::Io {
        what: format!("wait for {command}"),
        source,
    })?;
    Ok(CargoRun {
        success: status.success(),
        status: status.to_string(),
        stderr,
        compiled,
        elapsed: start.elapsed(),
    })
}

/// A cargo command for a nested build for `target`, without the outer cargo's settings
/// for this build script: they are meant for the outer build (flags for another target,
/// clippy's compiler wrapper, the jobserver). Kept: `CARGO_HOME`, network and registry
/// settings, and the nested target's own `CARGO_TARGET_<TRIPLE>_*` settings (a linker,
/// say).
pub(super) fn cargo(target: &str) -> Command {
    let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    let own = format!(
        "CARGO_TARGET_{}_",
        target.to_uppercase().replace(['-', '.'], "_")
    );
    for (k, _) in std::env::vars_os() {
        let k = k.to_string_lossy().into_owned();
        let keep = k == "CARGO_HOME"
            || k.starts_with("CARGO_NET_")
            || k.starts_with("CARGO_HTTP_")
            || k.starts_with("CARGO_REGISTRY_")
            || k.starts_with("CARGO_REGISTRIES_")
            || k.starts_with(&own);
        let outer = (k.starts_with("CARGO_") && !keep)
            || k.starts_with("__CARGO")
            || k == "RUSTC_WRAPPER"
            || k == "RUSTC_WORKSPACE_WRAPPER"
            || k == "RUSTC_LINKER";
        if outer {
            cmd.env_remove(OsStr::new(&k));
        }
    }
    cmd
}
