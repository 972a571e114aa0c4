//! Builds the bundled `server32` host (32-bit, and a 64-bit twin for tests) so that
//! `cargo run --example …` and `cargo test` find a real server without a manual step.
//!
//! It runs a nested `cargo build -p server32` into `target/server32` (a separate target
//! directory, so it never waits on the outer build's lock) and bakes the resulting paths
//! into the library as `LOADLIB_BUNDLED_SERVER32` / `LOADLIB_BUNDLED_SERVER64`. Set
//! `LOADLIB_SKIP_SERVER_BUILD=1` to skip it (then pass a server path to the builder).
//!
//! For `x86_64-pc-windows-gnu` it builds the Windows twins (`i686-pc-windows-gnu` and
//! `x86_64-pc-windows-gnu`, with the mingw-w64 cross compilers). A Windows program built
//! on a Linux host runs under Wine, where the host's root is drive `Z:`: the baked paths
//! say so. MSVC targets get no bundled server (their C libraries would need MSVC): pass
//! a server path to the builder.

use std::env;
use std::path::PathBuf;
use std::process::Command;

/// The server builds for a 64-bit target: the 32-bit one, then the 64-bit twin.
fn server_targets(target: &str) -> Option<[&'static str; 2]> {
    if target.starts_with("x86_64-unknown-linux") {
        Some(["i686-unknown-linux-gnu", "x86_64-unknown-linux-gnu"])
    } else if target == "x86_64-pc-windows-gnu" {
        Some(["i686-pc-windows-gnu", "x86_64-pc-windows-gnu"])
    } else {
        None
    }
}

/// A path as the built program will see it (see the module comment on Wine).
fn runtime_path(p: &std::path::Path, windows: bool) -> String {
    let s = p.display().to_string();
    if windows && cfg!(unix) {
        format!("Z:{}", s.replace('/', "\\"))
    } else {
        s
    }
}

fn main() {
    println!("cargo:rerun-if-changed=server32/src");
    println!("cargo:rerun-if-changed=server32/csrc");
    println!("cargo:rerun-if-changed=server32/build.rs");
    println!("cargo:rerun-if-changed=server32/Cargo.toml");
    println!("cargo:rerun-if-changed=src");
    println!("cargo:rerun-if-env-changed=LOADLIB_SKIP_SERVER_BUILD");
    let target = env::var("TARGET").unwrap_or_default();
    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    if env::var_os("LOADLIB_NESTED_BUILD").is_some()
        || env::var_os("LOADLIB_SKIP_SERVER_BUILD").is_some()
        || !manifest.join("server32/Cargo.toml").exists()
    {
        return;
    }
    let Some(triples) = server_targets(&target) else {
        return;
    };
    let windows = target.contains("windows");
    let exe = if windows { ".exe" } else { "" };
    let profile = if env::var("PROFILE").as_deref() == Ok("release") {
        "release"
    } else {
        "debug"
    };
    let target_root = env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest.join("target"))
        .join("server32");
    let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let vars = ["LOADLIB_BUNDLED_SERVER32", "LOADLIB_BUNDLED_SERVER64"];
    for (triple, var) in triples.into_iter().zip(vars) {
        let mut cmd = Command::new(&cargo);
        cmd.current_dir(&manifest)
            .args([
                "build",
                "-p",
                "server32",
                "--target",
                triple,
                "--target-dir",
            ])
            .arg(&target_root)
            .env("LOADLIB_NESTED_BUILD", "1");
        if profile == "release" {
            cmd.arg("--release");
        }
        // The outer cargo's settings for this build script must not leak into the nested
        // build (wrappers such as clippy-driver, flags meant for another target, jobserver).
        for (k, _) in env::vars_os() {
            let k = k.to_string_lossy().into_owned();
            if (k.starts_with("CARGO_") && k != "CARGO_HOME")
                || k == "RUSTC_WRAPPER"
                || k == "RUSTC_WORKSPACE_WRAPPER"
            {
                cmd.env_remove(&k);
            }
        }
        let out = cmd
            .output()
            .expect("run cargo for the nested server32 build");
        if !out.status.success() {
            panic!(
                "building server32 for {triple} failed (the targets, gcc-multilib and the mingw-w64 \
                 compilers are installed by `bash .ci/install`):\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let dir = target_root.join(triple).join(profile);
        let server = dir.join(format!("server32{exe}"));
        println!("cargo:rustc-env={var}={}", runtime_path(&server, windows));
        if triple.starts_with("i686") {
            let pingpong = dir.join(format!("pingpong32{exe}"));
            println!(
                "cargo:rustc-env=LOADLIB_BUNDLED_PINGPONG32={}",
                runtime_path(&pingpong, windows)
            );
        } else if let Some(lib) = newest_test_lib(&dir, windows) {
            // The 64-bit build of the test library: the in-process limit in benchmarks.
            println!(
                "cargo:rustc-env=LOADLIB_TEST_LIB64={}",
                runtime_path(&lib, windows)
            );
        }
    }
}

/// The most recently built test library under a profile directory's build outputs.
fn newest_test_lib(profile_dir: &std::path::Path, windows: bool) -> Option<PathBuf> {
    let file = if windows {
        "out/loadlib_test.dll"
    } else {
        "out/libloadlib_test.so"
    };
    std::fs::read_dir(profile_dir.join("build"))
        .ok()?
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with("server32-"))
        .map(|e| e.path().join(file))
        .filter(|p| p.exists())
        .max_by_key(|p| p.metadata().and_then(|m| m.modified()).ok())
}
