//! What the API must refuse at compile time (trybuild): reading or dropping a shared array
//! while a batched call holds it, loading a library outside `unsafe`, foreign calls with
//! the wrong arguments, declarations `foreign!` and `CStruct` cannot honour, and a struct
//! in an interface without zerocopy's traits.
//! The expected compiler messages are in `tests/compile_fail/*.stderr`
//! (`TRYBUILD=overwrite cargo test --test compile_fail` rewrites them).
#![cfg(target_os = "linux")] // trybuild runs cargo, which a Windows test under Wine has not

#[test]
fn what_the_api_refuses() {
    // trybuild builds the dev-dependencies, server32 among them, in its own target
    // directory: the bundled servers its build script would build there are not needed
    // to see compile errors (the only test in this binary, so no other thread reads the
    // environment).
    std::env::set_var("LOADLIB_SKIP_SERVER_BUILD", "1");
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/compile_fail/*.rs");
}
