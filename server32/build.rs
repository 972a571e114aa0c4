//! Compiles the example and test libraries in `csrc/` as real shared libraries of the
//! target's width (`-m32` for i686, `-m64` for x86_64) and tells the wrappers where
//! (an environment variable per library, read with `env!`).

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

/// One library: its source in `csrc/`, the file to produce, the variable that carries
/// its path to the wrappers, and how to build it.
struct Lib {
    src: &'static str,
    out: &'static str,
    var: &'static str,
    how: How,
}

enum How {
    /// A C, C++ or Fortran shared library: compiler and extra flags.
    Native(&'static str, &'static [&'static str]),
    /// A .NET class library compiled by Mono's `mcs` (the same file for both widths).
    CSharp,
}

const LIBS: &[Lib] = &[
    Lib {
        src: "loadlib_test.c",
        out: "libloadlib_test.so",
        var: "LOADLIB_TEST_LIB",
        // SSE2 arithmetic in the 32-bit build too (gcc -m32 defaults to x87), so the
        // benchmarks compare the bridge, not two instruction sets.
        how: How::Native("cc", &["-msse2", "-mfpmath=sse"]),
    },
    Lib {
        src: "cpp_lib32.cpp",
        out: "libcpp_lib32.so",
        var: "LOADLIB_CPP_LIB",
        how: How::Native("g++", &[]),
    },
    Lib {
        src: "fortran_lib32.f90",
        out: "libfortran_lib32.so",
        var: "LOADLIB_FORTRAN_LIB",
        how: How::Native("gfortran", &[]),
    },
    Lib {
        src: "labview_lib32.c",
        out: "liblabview_lib32.so",
        var: "LOADLIB_LABVIEW_LIB",
        how: How::Native("cc", &["-Wl,--no-as-needed", "-lm"]),
    },
    Lib {
        src: "dotnet_lib32.cs",
        out: "dotnet_lib32.dll",
        var: "LOADLIB_DOTNET_LIB",
        how: How::CSharp,
    },
];

fn run(cmd: &mut Command, what: &str) {
    let status = cmd
        .status()
        .unwrap_or_else(|e| panic!("{what}: cannot run {cmd:?}: {e}"));
    assert!(
        status.success(),
        "{what} failed: {cmd:?} (run `bash .ci/install` for the compilers)"
    );
}

fn main() {
    let out = PathBuf::from(env::var("OUT_DIR").expect("set by cargo"));
    let target = env::var("TARGET").expect("set by cargo");
    let width = if target.starts_with("i686") {
        "-m32"
    } else {
        "-m64"
    };
    for lib in LIBS {
        let src = Path::new("csrc").join(lib.src);
        println!("cargo:rerun-if-changed={}", src.display());
        let dst = out.join(lib.out);
        match lib.how {
            How::Native(compiler, flags) => run(
                Command::new(compiler)
                    .args([width, "-shared", "-fPIC", "-O2", "-Wall"])
                    .args(flags)
                    .arg("-o")
                    .arg(&dst)
                    .arg(&src),
                lib.src,
            ),
            How::CSharp => run(
                Command::new("mcs")
                    .arg("-target:library")
                    .arg("-nologo")
                    .arg(format!("-out:{}", dst.display()))
                    .arg(&src),
                lib.src,
            ),
        }
        println!("cargo:rustc-env={}={}", lib.var, dst.display());
    }
}
