//! Compiles the example and test libraries in `csrc/` as real shared libraries of the
//! target's width (`-m32` for i686, `-m64` for x86_64) and tells the wrappers where.

use std::env;
use std::path::PathBuf;
use std::process::Command;

/// (source, output library, env var with its path, compiler)
const LIBS: &[(&str, &str, &str, &str)] = &[(
    "loadlib_test.c",
    "libloadlib_test.so",
    "LOADLIB_TEST_LIB",
    "cc",
)];

fn main() {
    let out = PathBuf::from(env::var("OUT_DIR").expect("set by cargo"));
    let target = env::var("TARGET").expect("set by cargo");
    let width = if target.starts_with("i686") {
        "-m32"
    } else {
        "-m64"
    };
    for (src, lib, var, compiler) in LIBS {
        let src_path = PathBuf::from("csrc").join(src);
        println!("cargo:rerun-if-changed={}", src_path.display());
        let dst = out.join(lib);
        let status = Command::new(compiler)
            .args([width, "-shared", "-fPIC", "-O2", "-Wall", "-o"])
            .arg(&dst)
            .arg(&src_path)
            .status()
            .unwrap_or_else(|e| panic!("run {compiler}: {e}"));
        assert!(
            status.success(),
            "compiling {src} with {compiler} {width} failed (install gcc-multilib)"
        );
        println!("cargo:rustc-env={var}={}", dst.display());
    }
}
