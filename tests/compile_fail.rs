//! What the API must refuse at compile time (trybuild): reading or dropping a shared array
//! while a batched call holds it, loading a library outside `unsafe`, foreign calls with
//! the wrong arguments, declarations `foreign!` and `CStruct` cannot honour, a struct in an
//! interface without zerocopy's traits, and interface methods named as the generated
//! client's own items.
//! The expected compiler messages are in `tests/compile_fail/*.stderr`
//! (`TRYBUILD=overwrite cargo test --test compile_fail -- --ignored` rewrites them).
//!
//! trybuild compiles every case and loadlib's dependencies (about two minutes from
//! nothing), so it is not part of the default run: CI runs it in a step of its own
//! (`cargo test --test compile_fail -- --ignored`). Its own binary: it sets an
//! environment variable for the builds it starts, which no other test may see.

#[test]
#[cfg(target_os = "linux")]
#[ignore = "trybuild: minutes of compiling; CI runs it in its own step (--ignored)"]
fn what_the_api_refuses() {
    // trybuild builds the dev-dependencies, server32 among them, in its own target
    // directory: the bundled servers its build script would build there are not needed
    // to see compile errors (the only test in this binary, so no other thread reads the
    // environment).
    std::env::set_var("LOADLIB_SKIP_SERVER_BUILD", "1");
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/compile_fail/*.rs");
}

#[test]
#[cfg(windows)]
#[ignore = "compile_fail.rs runs cargo through trybuild, which a Windows test under Wine has \
            not; what it checks (borrows and `unsafe`) is the same on every platform"]
fn compile_fail_trybuild() {}
