//! A crate outside this repository uses loadlib as a user would: its build script
//! builds its own 32-bit server with `loadlib::build`, and its program finds the server
//! next to itself. Once with loadlib by path, once with the crate `cargo package` makes.
//!
//! The fixtures are in `tests/outside_crate/` (`Cargo.toml.in` with `@LOADLIB@` for
//! loadlib's path). Linux only: it runs cargo, which a Windows program under Wine does
//! not have (see `platform_skips.rs`).
#![cfg(unix)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/outside_crate");

/// cargo, without the settings cargo gave this test (they are for this package).
fn cargo(dir: &Path, target_dir: &Path) -> Command {
    let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    for (k, _) in std::env::vars_os() {
        let k = k.to_string_lossy();
        if k.starts_with("CARGO_") && k != "CARGO_HOME" || k.starts_with("RUSTC_") {
            cmd.env_remove(&*k);
        }
    }
    // The registry's crates are already in cargo's cache: no network.
    cmd.current_dir(dir)
        .env("CARGO_NET_OFFLINE", "true")
        .env("CARGO_TARGET_DIR", target_dir);
    cmd
}

fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Copies a fixture package to `to`, with loadlib's path filled in and this
/// repository's lock file (the same crate versions, all cached).
fn copy_package(name: &str, to: &Path, loadlib: &Path) {
    let from = Path::new(FIXTURES).join(name);
    for file in ["build.rs", "src/main.rs"] {
        if from.join(file).exists() {
            let dst = to.join(file);
            std::fs::create_dir_all(dst.parent().unwrap()).unwrap();
            std::fs::copy(from.join(file), dst).unwrap();
        }
    }
    let manifest = std::fs::read_to_string(from.join("Cargo.toml.in")).unwrap();
    // loadlib's macros sit beside it: in the repository, and in the unpacked packages.
    let macros = match loadlib.join("macros").exists() {
        true => loadlib.join("macros"),
        false => loadlib.with_file_name(format!("loadlib-macros-{}", env!("CARGO_PKG_VERSION"))),
    };
    let manifest = manifest
        .replace("@LOADLIB@", &loadlib.display().to_string())
        .replace("@LOADLIB_MACROS@", &macros.display().to_string());
    std::fs::write(to.join("Cargo.toml"), manifest).unwrap();
    let lock = Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.lock");
    std::fs::copy(lock, to.join("Cargo.lock")).unwrap();
}

/// Builds and runs the app against `loadlib` and returns what it printed.
fn build_and_run_app(root: &Path, variant: &str, loadlib: &Path) -> String {
    let dir = root.join(variant);
    let _ = std::fs::remove_dir_all(&dir);
    copy_package("app", &dir.join("app"), loadlib);
    copy_package("server", &dir.join("server"), loadlib);
    let out = run(cargo(&dir.join("app"), &root.join("target")).args(["run", "-q"]));
    String::from_utf8(out.stdout).unwrap()
}

fn root() -> PathBuf {
    let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("outside_crate");
    std::fs::create_dir_all(&root).unwrap();
    root
}

const EXPECTED: &str = "add=17 server_bits=32 client_bits=64\n";

/// One test, the two variants in turn: they share a target directory (the
/// registry's crates build once) and the server's place next to the program.
#[test]
fn a_crate_builds_its_own_server_with_loadlib_build_by_path_and_packaged() {
    let root = root();
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    assert_eq!(build_and_run_app(&root, "by_path", manifest_dir), EXPECTED);
    // The server sits next to the program, where a deployed program finds it too.
    let server = root.join("target/debug/outside_server");
    let head = std::fs::read(&server).unwrap();
    assert_eq!(
        &head[..5],
        b"\x7fELF\x01",
        "{} is a 32-bit ELF",
        server.display()
    );

    let loadlib = package_loadlib(&root);
    // The packaged crate has no build script: depending on it builds loadlib alone.
    assert!(!loadlib.join("build.rs").exists());
    assert!(loadlib.join("src/build/mod.rs").exists());
    assert_eq!(build_and_run_app(&root, "packaged", &loadlib), EXPECTED);
}

/// `cargo package` of loadlib, unpacked: the directory of the crate users download.
fn package_loadlib(root: &Path) -> PathBuf {
    let pkg_target = root.join("package-target");
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    run(cargo(manifest_dir, &pkg_target).args([
        "package",
        "-p",
        "loadlib-macros",
        "-p",
        "loadlib",
        "--no-verify",
        "--allow-dirty",
    ]));
    let version = env!("CARGO_PKG_VERSION");
    let unpacked = root.join("unpacked");
    let _ = std::fs::remove_dir_all(&unpacked);
    std::fs::create_dir_all(&unpacked).unwrap();
    for name in ["loadlib-macros", "loadlib"] {
        let krate = pkg_target.join(format!("package/{name}-{version}.crate"));
        run(Command::new("tar")
            .arg("xzf")
            .arg(&krate)
            .arg("-C")
            .arg(&unpacked));
    }
    unpacked.join(format!("loadlib-{version}"))
}
