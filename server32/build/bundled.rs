//! The bundled servers for the root package's tests, examples and benchmarks.
//!
//! When server32 is built for a 64-bit host target (as the root package's
//! dev-dependency), this builds its binaries with `loadlib::build`: `server32`,
//! `pingpong32`, `my_server`, `solve32` and `loadlib-server` (the generic server a
//! release ships prebuilt; tests use this build in its place) for the 32-bit twin
//! target, and `server32` for the
//! 64-bit target itself, copied as `server64`. They land next to the test and example
//! executables (`target/<profile>/`), where `ServerExe::Bundled32`, `Bundled64` and
//! `Named` find them at run time: no path is baked into any program.
//!
//! The nested builds set `LOADLIB_NESTED_BUILD`, which stops the 64-bit one from
//! recursing. Set `LOADLIB_SKIP_SERVER_BUILD=1` to skip them (then set
//! `LOADLIB_SERVER32`/`LOADLIB_SERVER64` to servers built otherwise).
//!
//! The binaries need the `bins` feature, which only these builds enable: a 64-bit
//! `cargo build --workspace` then puts no 64-bit program under a 32-bit server's name.
//! These builds are for loadlib's own tests, so they turn on `testkit` too (the `testlib`
//! wrapper, the counting allocator, `pingpong32` and `solve32`); a release's server
//! (`.ci/build-prebuilt`) is built without it.

use loadlib::build::ServerBuild;

/// Builds the bundled servers when `target` is a 64-bit host target.
pub(crate) fn build(target: &str) {
    println!("cargo:rerun-if-env-changed=LOADLIB_NESTED_BUILD");
    println!("cargo:rerun-if-env-changed=LOADLIB_SKIP_SERVER_BUILD");
    // The C libraries' sources are inputs of the nested builds too (and the dep-info
    // lines printed below replace cargo's default of watching the whole package).
    println!("cargo:rerun-if-changed=csrc");
    println!("cargo:rerun-if-changed=build");
    if std::env::var_os("LOADLIB_NESTED_BUILD").is_some()
        || std::env::var_os("LOADLIB_SKIP_SERVER_BUILD").is_some()
    {
        return;
    }
    if target != "x86_64-unknown-linux-gnu" && target != "x86_64-pc-windows-gnu" {
        return;
    }
    let base = |bin: &str| {
        ServerBuild::new(bin)
            .package("server32")
            .feature("bins")
            .feature("testkit")
            .env("LOADLIB_NESTED_BUILD", "1")
    };
    base("server32")
        .bin("pingpong32")
        .bin("my_server")
        .bin("solve32")
        .bin("loadlib-server")
        .build_or_panic();
    base("server32")
        .bin_as("server32", "server64")
        .target(target)
        .build_or_panic();
}
