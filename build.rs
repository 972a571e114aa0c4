//! Builds the bundled `server32` host (32-bit, and a 64-bit twin for tests) so that
//! `cargo run --example …` and `cargo test` find a real server without a manual step.
//!
//! It runs a nested `cargo build -p server32` into `target/server32` (a separate target
//! directory, so it never waits on the outer build's lock) and bakes the resulting paths
//! into the library as `LOADLIB_BUNDLED_SERVER32` / `LOADLIB_BUNDLED_SERVER64`. Set
//! `LOADLIB_SKIP_SERVER_BUILD=1` to skip it (then pass a server path to the builder).

use std::env;
use std::path::PathBuf;
use std::process::Command;

const TARGETS: [(&str, &str); 2] = [
    ("i686-unknown-linux-gnu", "LOADLIB_BUNDLED_SERVER32"),
    ("x86_64-unknown-linux-gnu", "LOADLIB_BUNDLED_SERVER64"),
];

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
        || !target.starts_with("x86_64-unknown-linux")
        || !manifest.join("server32/Cargo.toml").exists()
    {
        return;
    }
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
    for (triple, var) in TARGETS {
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
                "building server32 for {triple} failed (a missing target or gcc-multilib is installed by \
                 `bash .ci/install`):\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let dir = target_root.join(triple).join(profile);
        println!("cargo:rustc-env={var}={}", dir.join("server32").display());
        if triple.starts_with("i686") {
            let pingpong = dir.join("pingpong32");
            println!(
                "cargo:rustc-env=LOADLIB_BUNDLED_PINGPONG32={}",
                pingpong.display()
            );
        } else if let Some(lib) = newest_test_lib(&dir) {
            // The 64-bit build of the test library: the in-process limit in benchmarks.
            println!("cargo:rustc-env=LOADLIB_TEST_LIB64={}", lib.display());
        }
    }
}

/// The most recently built `libloadlib_test.so` under a profile directory's build outputs.
fn newest_test_lib(profile_dir: &std::path::Path) -> Option<PathBuf> {
    std::fs::read_dir(profile_dir.join("build"))
        .ok()?
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with("server32-"))
        .map(|e| e.path().join("out/libloadlib_test.so"))
        .filter(|p| p.exists())
        .max_by_key(|p| p.metadata().and_then(|m| m.modified()).ok())
}
