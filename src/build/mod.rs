//! Building your own 32-bit server from your 64-bit crate's `build.rs`.
//!
//! A program that calls a 32-bit library through a server of its own needs a 32-bit
//! server binary (a package with a `fn main` that calls
//! [`serve`](crate::server::serve)). [`ServerBuild`] builds it with a nested
//! `cargo build --target <32-bit target>` and copies it next to your program's
//! executables (`target/<profile>/`), where the client finds it by the same name:
//!
//! ```no_run
//! // In the `main` of the 64-bit crate's build.rs, with
//! // `[build-dependencies] loadlib = "…"`:
//! loadlib::build::ServerBuild::new("my_server") // the server's [[bin]] name
//!     .manifest_path("../my-server/Cargo.toml") // or .package("my-server")
//!     .build_or_panic();
//! ```
//!
//! ```no_run
//! // the 64-bit program: the same name
//! let client = loadlib::Client64::own_server("my_server").start()?;
//! # Ok::<(), loadlib::Error>(())
//! ```
//!
//! The target defaults to the 32-bit twin of the program's target ([`twin_target`]):
//! `i686-unknown-linux-gnu` for `x86_64-unknown-linux-gnu`, `i686-pc-windows-gnu` and
//! `i686-pc-windows-msvc` for the Windows ones. A missing Rust target or 32-bit C
//! toolchain is a [`BuildError`] that says what to install.
//!
//! **The server's package must not be built for 64 bits by your workspace.** A
//! workspace-wide `cargo build` builds every member's binaries for the host and puts
//! them in `target/<profile>/`, where a 64-bit `my_server` would take the 32-bit
//! server's place. Keep the server's package out of the workspace's members (its own
//! `[workspace]`, or the workspace's `exclude`), or give its binary
//! `required-features` that only this build enables ([`feature`](ServerBuild::feature)).
//! [`ServerBuild::build`] checks this with `cargo metadata` and refuses such a build
//! ([`BuildError::BuiltFor64Bits`]), and the client refuses a 64-bit program where a
//! 32-bit server belongs before starting it
//! ([`Error::WrongServerBinary`](crate::Error::WrongServerBinary)).
//!
//! The nested build uses its own target directory (`target/<profile>/loadlib-server32`
//! by default): cargo holds the outer build's directory locked while build scripts run,
//! so a nested build there would wait for ever, and so it compiles the host crates
//! (proc-macros, build scripts) a second time. It runs without incremental compilation
//! (the server is rebuilt only when its sources change; incremental state would about
//! double the folder), and without the outer cargo's `CARGO_*` settings and compiler
//! wrappers (clippy's, for example), which are meant for the outer build. Its output
//! is passed on as it comes, each line marked `[server]`: `cargo build -vv` shows it
//! live, and a failed build shows it in full; when it compiled anything, a
//! `cargo:warning` line says what was built, how long it took and where it went. It
//! prints `cargo:rerun-if-changed` lines for the server's sources (from cargo's
//! dep-info file) and manifests: the build script then re-runs when those change, and
//! no longer on any change in its own package (add lines for your own inputs if it has
//! others).

mod depinfo;
mod error;
mod install;
mod json;
mod run;
mod target;
mod workspace;

use std::ffi::OsString;
use std::path::{Path, PathBuf};

pub use error::BuildError;
pub use target::twin_target;

/// A nested build of a 32-bit server binary. See the [module documentation](self).
#[derive(Clone, Debug)]
pub struct ServerBuild {
    bins: Vec<(String, String)>,
    package: Option<String>,
    manifest_path: Option<PathBuf>,
    target: Option<String>,
    target_dir: Option<PathBuf>,
    dest_dir: Option<PathBuf>,
    release: Option<bool>,
    features: Vec<String>,
    env: Vec<(OsString, OsString)>,
}

/// The former name of [`ServerBuild`].
#[deprecated(note = "renamed `ServerBuild` (`loadlib::server::Server32` is the wrapper trait)")]
#[doc(hidden)]
pub type Server32 = ServerBuild;

/// What [`ServerBuild::build`] made.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Built {
    /// The target the binaries were built for.
    pub target: String,
    /// Where each binary was copied, in the order the binaries were named.
    pub binaries: Vec<PathBuf>,
}

impl ServerBuild {
    /// A build of the binary `bin` (a `[[bin]]` name, or the package name of a package
    /// whose `src/main.rs` is the server). Name its package with [`package`](Self::package)
    /// or [`manifest_path`](Self::manifest_path).
    pub fn new(bin: &str) -> Self {
        ServerBuild {
            bins: vec![(bin.to_owned(), bin.to_owned())],
            package: None,
            manifest_path: None,
            target: None,
            target_dir: None,
            dest_dir: None,
            release: None,
            features: Vec::new(),
            env: Vec::new(),
        }
    }

    /// Another binary of the same package to build and copy.
    pub fn bin(mut self, bin: &str) -> Self {
        self.bins.push((bin.to_owned(), bin.to_owned()));
        self
    }

    /// Copies the binary `bin` under another name (without the `.exe`), e.g. to keep a
    /// 64-bit build of a server apart from the 32-bit one. `bin` is added if it is not
    /// named yet.
    pub fn bin_as(mut self, bin: &str, name: &str) -> Self {
        match self.bins.iter_mut().find(|(b, _)| b == bin) {
            Some(entry) => entry.1 = name.to_owned(),
            None => self.bins.push((bin.to_owned(), name.to_owned())),
        }
        self
    }

    /// The server's package in the current workspace (`cargo build -p NAME`).
    pub fn package(mut self, name: &str) -> Self {
        self.package = Some(name.to_owned());
        self
    }

    /// The server's `Cargo.toml` (`cargo build --manifest-path PATH`); relative to the
    /// build script's package directory.
    pub fn manifest_path(mut self, path: impl Into<PathBuf>) -> Self {
        self.manifest_path = Some(path.into());
        self
    }

    /// The target to build for (default: [`twin_target`] of the program's target).
    pub fn target(mut self, triple: &str) -> Self {
        self.target = Some(triple.to_owned());
        self
    }

    /// The nested build's target directory (default: `loadlib-server32` in the profile
    /// directory, `target/<profile>/loadlib-server32`).
    pub fn target_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.target_dir = Some(dir.into());
        self
    }

    /// Where the binaries are copied (default: the profile directory the program's
    /// executables go to, `target/<profile>/` or `target/<triple>/<profile>/`, found
    /// from `OUT_DIR`).
    pub fn dest_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.dest_dir = Some(dir.into());
        self
    }

    /// A release build, or not (default: as the outer build, from `PROFILE`).
    pub fn release(mut self, release: bool) -> Self {
        self.release = Some(release);
        self
    }

    /// A feature of the server's package to enable.
    pub fn feature(mut self, feature: &str) -> Self {
        self.features.push(feature.to_owned());
        self
    }

    /// An environment variable for the nested cargo (and so for the server's build
    /// script).
    pub fn env(mut self, key: impl Into<OsString>, value: impl Into<OsString>) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }

    /// Builds the binaries, copies them, and prints the `cargo:rerun-if-changed` lines.
    pub fn build(&self) -> Result<Built, BuildError> {
        let target = match &self.target {
            Some(t) => t.clone(),
            None => {
                let outer = build_var("TARGET")?;
                twin_target(&outer)
                    .ok_or(BuildError::NoTwinTarget { target: outer })?
                    .to_owned()
            }
        };
        if self.package.is_none() && self.manifest_path.is_none() {
            return Err(BuildError::Config(
                "name the server's package with `ServerBuild::package(..)` or \
                 `ServerBuild::manifest_path(..)` (without one, cargo would build the \
                 build script's own package)"
                    .to_owned(),
            ));
        }
        let (dest, next_to_program) = match &self.dest_dir {
            Some(d) => (d.clone(), false),
            None => (profile_dir()?, true),
        };
        let target_dir = match &self.target_dir {
            Some(d) => d.clone(),
            None => dest.join("loadlib-server32"),
        };
        let release = self
            .release
            .unwrap_or_else(|| std::env::var("PROFILE").as_deref() == Ok("release"));
        let rustc = PathBuf::from(std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into()));
        target::check_installed(&rustc, &target)?;
        if next_to_program {
            self.check_workspace(&target)?;
        }

        let mut cmd = run::cargo(&target);
        cmd.args(["build", "--target", &target, "--target-dir"])
            .arg(&target_dir);
        if release {
            cmd.arg("--release");
        }
        if let Some(m) = &self.manifest_path {
            cmd.arg("--manifest-path").arg(m);
        }
        if let Some(p) = &self.package {
            cmd.args(["-p", p]);
        }
        for (bin, _) in &self.bins {
            cmd.args(["--bin", bin]);
        }
        if !self.features.is_empty() {
            cmd.arg("--features").arg(self.features.join(","));
        }
        // The server is rebuilt only when its sources change: incremental state would
        // about double the nested target directory for little gain.
        cmd.env("CARGO_INCREMENTAL", "0");
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        // The command as one would type it (Command's Debug lists the removed variables).
        let command = std::iter::once(cmd.get_program())
            .chain(cmd.get_args())
            .map(|a| a.to_string_lossy())
            .collect::<Vec<_>>()
            .join(" ");
        eprintln!("[server] loadlib::build: {command}");
        let run = run::run_streamed(cmd, &command)?;
        if !run.success {
            return Err(error::diagnose(&target, &run.stderr).unwrap_or_else(|| {
                BuildError::Cargo {
                    command,
                    status: run.status,
                    stderr: error::tail(&run.stderr),
                }
            }));
        }

        let built_dir = target_dir
            .join(&target)
            .join(if release { "release" } else { "debug" });
        let exe = if target.contains("windows") {
            ".exe"
        } else {
            ""
        };
        let cargo_home = std::env::var_os("CARGO_HOME").map(PathBuf::from);
        let mut skip: Vec<&Path> = vec![&target_dir];
        if let Some(h) = &cargo_home {
            skip.push(h);
        }
        let mut binaries = Vec::new();
        let mut watched = std::collections::BTreeSet::new();
        for (bin, name) in &self.bins {
            let from = built_dir.join(format!("{bin}{exe}"));
            if !from.is_file() {
                return Err(BuildError::MissingBinary {
                    name: bin.clone(),
                    path: from,
                });
            }
            let to = dest.join(format!("{name}{exe}"));
            if let Some(other) = install::replaced_program(&from, &to) {
                println!(
                    "cargo:warning=loadlib::build: {} was {other}, which another build put \
                     where the server goes (a workspace build of the server's package?); \
                     replaced it with the server built for {target}",
                    to.display()
                );
            }
            install::install(&from, &to)?;
            binaries.push(to);
            if let Ok(d) = std::fs::read_to_string(built_dir.join(format!("{bin}.d"))) {
                watched.extend(depinfo::watched(&depinfo::parse(&d), &skip));
            }
        }
        if run.compiled > 0 {
            let names: Vec<String> = binaries.iter().map(|b| b.display().to_string()).collect();
            println!(
                "cargo:warning=loadlib::build: built the server for {target} in a nested cargo \
                 ({} crates compiled in {:.1} s, in {}); copied to {}",
                run.compiled,
                run.elapsed.as_secs_f64(),
                target_dir.display(),
                names.join(", ")
            );
        }
        for f in &watched {
            println!("cargo:rerun-if-changed={}", f.display());
        }
        if let Some(m) = &self.manifest_path {
            println!("cargo:rerun-if-changed={}", m.display());
        }
        Ok(Built { target, binaries })
    }

    /// Next to the program's executables, a binary of the program's own workspace under
    /// a server's name would replace the server on every workspace build: refused.
    fn check_workspace(&self, target: &str) -> Result<(), BuildError> {
        let Some(manifest_dir) = std::env::var_os("CARGO_MANIFEST_DIR") else {
            return Ok(());
        };
        let names: Vec<&str> = self.bins.iter().map(|(_, name)| name.as_str()).collect();
        let found = workspace::host_binaries(run::cargo(target), Path::new(&manifest_dir), &names);
        match found.into_iter().next() {
            Some(b) => Err(BuildError::BuiltFor64Bits {
                bin: b.bin,
                package: b.package,
                manifest: b.manifest,
            }),
            None => Ok(()),
        }
    }

    /// [`build`](Self::build), panicking with the error's message: for a `build.rs`,
    /// where a panic fails the build and shows the message.
    pub fn build_or_panic(&self) -> Built {
        self.build()
            .unwrap_or_else(|e| panic!("loadlib::build: {e}"))
    }
}

/// A variable cargo sets for build scripts.
fn build_var(name: &str) -> Result<String, BuildError> {
    std::env::var(name).map_err(|_| {
        BuildError::Config(format!(
            "{name} is not set: loadlib::build runs in a build script (or give the \
             target, target directory and destination explicitly)"
        ))
    })
}

/// The profile directory the program's executables go to: `OUT_DIR` is
/// `<profile dir>/build/<package>-<hash>/out`.
fn profile_dir() -> Result<PathBuf, BuildError> {
    let out = PathBuf::from(build_var("OUT_DIR")?);
    out.ancestors()
        .nth(3)
        .map(Path::to_path_buf)
        .ok_or_else(|| BuildError::Config(format!("unexpected OUT_DIR {}", out.display())))
}
