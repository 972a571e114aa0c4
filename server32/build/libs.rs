//! The example and test libraries in `csrc/`, compiled as real shared libraries of the
//! target's width; the wrappers are told where (an environment variable per library,
//! read with `env!`). Linux targets use the system compilers with `-m32`/`-m64`;
//! Windows targets build DLLs with the mingw-w64 cross compilers
//! (`i686-w64-mingw32-gcc`, …), linked statically against their runtimes so a DLL needs
//! nothing but the system's own DLLs.

use std::path::Path;
use std::process::Command;

/// One library: its source in `csrc/`, its name (`libNAME.so` or `NAME.dll`), the
/// variable that carries its path to the wrappers, and how to build it.
struct Lib {
    src: &'static str,
    name: &'static str,
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
        name: "loadlib_test",
        var: "LOADLIB_TEST_LIB",
        // SSE2 arithmetic in the 32-bit build too (gcc -m32 defaults to x87), so the
        // benchmarks compare the bridge, not two instruction sets.
        how: How::Native("cc", &["-msse2", "-mfpmath=sse"]),
    },
    Lib {
        src: "cpp_lib32.cpp",
        name: "cpp_lib32",
        var: "LOADLIB_CPP_LIB",
        how: How::Native("g++", &[]),
    },
    Lib {
        src: "fortran_lib32.f90",
        name: "fortran_lib32",
        var: "LOADLIB_FORTRAN_LIB",
        how: How::Native("gfortran", &[]),
    },
    Lib {
        src: "labview_lib32.c",
        name: "labview_lib32",
        var: "LOADLIB_LABVIEW_LIB",
        how: How::Native("cc", &["-Wl,--no-as-needed", "-lm"]),
    },
    Lib {
        src: "foreign_abi.c",
        name: "foreign_abi",
        var: "LOADLIB_ABI_LIB",
        // The compiler's defaults (x87 floats on i386): the conventions under test are
        // those of a library built plainly.
        how: How::Native("cc", &[]),
    },
    Lib {
        src: "dotnet_lib32.cs",
        name: "dotnet_lib32",
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

/// The target's compilers and file names.
struct Toolchain {
    windows: bool,
    arch: &'static str,
}

impl Toolchain {
    fn compiler(&self, generic: &str) -> String {
        if self.windows {
            format!(
                "{}-w64-mingw32-{}",
                self.arch,
                if generic == "cc" { "gcc" } else { generic }
            )
        } else {
            generic.to_owned()
        }
    }

    /// Flags every native library gets.
    fn flags(&self) -> Vec<&'static str> {
        let mut f = vec!["-shared", "-O2", "-Wall"];
        if self.windows {
            f.push("-static");
        } else {
            f.push("-fPIC");
            f.push(if self.arch == "i686" { "-m32" } else { "-m64" });
        }
        f
    }

    fn file(&self, name: &str) -> String {
        if self.windows {
            format!("{name}.dll")
        } else {
            format!("lib{name}.so")
        }
    }

    /// A path as the built program will see it. A Windows program built on a Unix host
    /// runs under Wine, where the host's root is drive `Z:`.
    fn runtime_path(&self, p: &Path) -> String {
        let s = p.display().to_string();
        if self.windows && cfg!(unix) {
            format!("Z:{}", s.replace('/', "\\"))
        } else {
            s
        }
    }
}

/// Two libraries in two folders, the first needing the second: the test that a library
/// loads once the folder of its dependency is given as a library path.
fn build_dependency_pair(tc: &Toolchain, out: &Path) {
    let base_dir = out.join("dep_base");
    let user_dir = out.join("dep_user");
    for d in [&base_dir, &user_dir] {
        std::fs::create_dir_all(d).expect("create a library folder");
    }
    let base = base_dir.join(tc.file("loadlib_dep_base"));
    let user = user_dir.join(tc.file("loadlib_dep_user"));
    for src in ["dep_base.c", "dep_user.c"] {
        println!("cargo:rerun-if-changed=csrc/{src}");
    }
    let mut cmd = Command::new(tc.compiler("cc"));
    cmd.args(tc.flags())
        .arg("-o")
        .arg(&base)
        .arg("csrc/dep_base.c");
    if !tc.windows {
        // The name the dependent library records (not the path it was linked with).
        cmd.arg(format!("-Wl,-soname,{}", tc.file("loadlib_dep_base")));
    }
    run(&mut cmd, "dep_base.c");
    run(
        Command::new(tc.compiler("cc"))
            .args(tc.flags())
            .arg("-o")
            .arg(&user)
            .arg("csrc/dep_user.c")
            .arg(&base),
        "dep_user.c",
    );
    println!(
        "cargo:rustc-env=LOADLIB_DEP_BASE_DIR={}",
        tc.runtime_path(&base_dir)
    );
    println!(
        "cargo:rustc-env=LOADLIB_DEP_USER_LIB={}",
        tc.runtime_path(&user)
    );
}

/// A DLL whose initialisation fails (Windows only): what a LabVIEW-built DLL does
/// without its run-time. Its path goes in `LOADLIB_INIT_FAILS_LIB` with `suffix`.
fn build_init_fails(tc: &Toolchain, out: &Path, suffix: &str) {
    println!("cargo:rerun-if-changed=csrc/init_fails.c");
    let dll = out.join(tc.file("init_fails"));
    run(
        Command::new(tc.compiler("cc"))
            .args(tc.flags())
            .arg("-o")
            .arg(&dll)
            .arg("csrc/init_fails.c"),
        "init_fails.c",
    );
    println!(
        "cargo:rustc-env=LOADLIB_INIT_FAILS_LIB{suffix}={}",
        tc.runtime_path(&dll)
    );
}

/// Builds every library for `target` into `out`; each path goes to the crate in its
/// variable with `suffix` appended (and the dependency pair is built with no suffix only).
pub(crate) fn build_all(target: &str, out: &Path, suffix: &str) {
    let tc = Toolchain {
        windows: target.contains("windows"),
        arch: if target.starts_with("i686") {
            "i686"
        } else {
            "x86_64"
        },
    };
    for lib in LIBS {
        let src = Path::new("csrc").join(lib.src);
        println!("cargo:rerun-if-changed={}", src.display());
        let dst = out.join(tc.file(lib.name));
        match lib.how {
            How::Native(compiler, flags) => run(
                Command::new(tc.compiler(compiler))
                    .args(tc.flags())
                    .args(flags)
                    .arg("-o")
                    .arg(&dst)
                    .arg(&src),
                lib.src,
            ),
            // A .NET assembly is the same file on every platform.
            How::CSharp => {
                let dst = out.join(format!("{}.dll", lib.name));
                run(
                    Command::new("mcs")
                        .arg("-target:library")
                        .arg("-nologo")
                        .arg(format!("-out:{}", dst.display()))
                        .arg(&src),
                    lib.src,
                );
                println!(
                    "cargo:rustc-env={}{suffix}={}",
                    lib.var,
                    tc.runtime_path(&dst)
                );
                continue;
            }
        }
        println!(
            "cargo:rustc-env={}{suffix}={}",
            lib.var,
            tc.runtime_path(&dst)
        );
    }
    if suffix.is_empty() {
        build_dependency_pair(&tc, out);
    }
    if tc.windows {
        build_init_fails(&tc, out, suffix);
    }
}
