//! Model checking (loom) of the real lock-free core: builds the library with
//! `--cfg loadlib_loom`, under which `src/transport/primitive.rs` gives the ring (`src/transport/ring.rs`) and
//! the wake-up handshake (`src/transport/wake.rs`) loom's atomics and a model bell, and runs the
//! models in `src/transport/model_check.rs` over every interleaving of a producer and a consumer (up
//! to a preemption bound). Nothing is copied: the code checked is the code shipped.
//!
//! The build goes to its own folder (`target/loom`, release: loom runs faster optimised)
//! and skips the bundled servers, which the models do not use. It takes minutes, so it
//! is not part of the default run: CI runs it in a step of its own
//! (`cargo test --test builds model_check -- --ignored`), as tokio and crossbeam run
//! loom in a job of its own.
#![cfg(not(windows))] // Windows: see `model_check_loom` in main.rs

use std::path::Path;
use std::process::Command;

#[test]
#[ignore = "loom: minutes of model checking; CI runs it in its own step (--ignored)"]
fn the_ring_and_the_handshake_hold_in_every_interleaving() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| root.join("target"))
        .join("loom");
    // The caller's flags, if any, and the cfg (as crossbeam's CI sets `crossbeam_loom`).
    let rustflags = match std::env::var("RUSTFLAGS") {
        Ok(f) if !f.trim().is_empty() => format!("{f} --cfg loadlib_loom"),
        _ => "--cfg loadlib_loom".to_owned(),
    };
    let mut cmd = Command::new(env!("CARGO"));
    cmd.current_dir(root)
        .args(["test", "--release", "--lib", "-p", "loadlib", "model_check"])
        .env("CARGO_TARGET_DIR", &target)
        .env("LOADLIB_SKIP_SERVER_BUILD", "1")
        .env("RUSTFLAGS", rustflags)
        .env_remove("CARGO_ENCODED_RUSTFLAGS");
    let out = cmd.output().expect("run cargo");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}");
    assert!(
        out.status.success(),
        "the model check failed:\n{stdout}\n{stderr}"
    );
    // Every model ran (a filter that matched nothing would pass too).
    assert!(
        stdout.contains("test result: ok. 5 passed"),
        "expected the five models to run:\n{stdout}"
    );
}
