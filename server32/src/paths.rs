//! Paths of the libraries this build of the crate was made with, for the root package's
//! tests and benchmarks (the server finds its servers at run time; see
//! `loadlib::ServerExe`).

/// The test library (`csrc/loadlib_test.c`) built for this crate's target: the 64-bit
/// one when the tests and benchmarks use this crate.
pub const TEST_LIB: &str = env!("LOADLIB_TEST_LIB");

/// A bundled example library (`"cpp"`, `"fortran"`, `"labview"`, `"test"`, and
/// `"abi"`, the foreign-call conformance library `csrc/foreign_abi.c`) as a server
/// of `bits` bits loads it: the 32-bit build, or this crate's own (64-bit when the tests
/// use it). For tests that name the library to the server (foreign calls).
///
/// # Panics
/// For another name, or 32 bits in a crate not built for a 64-bit host.
pub fn library(name: &str, bits: u32) -> &'static str {
    match (name, bits) {
        ("test", 64) => env!("LOADLIB_TEST_LIB"),
        ("cpp", 64) => env!("LOADLIB_CPP_LIB"),
        ("fortran", 64) => env!("LOADLIB_FORTRAN_LIB"),
        ("labview", 64) => env!("LOADLIB_LABVIEW_LIB"),
        ("abi", 64) => env!("LOADLIB_ABI_LIB"),
        ("test", 32) => built(option_env!("LOADLIB_TEST_LIB_32")),
        ("cpp", 32) => built(option_env!("LOADLIB_CPP_LIB_32")),
        ("fortran", 32) => built(option_env!("LOADLIB_FORTRAN_LIB_32")),
        ("labview", 32) => built(option_env!("LOADLIB_LABVIEW_LIB_32")),
        ("abi", 32) => built(option_env!("LOADLIB_ABI_LIB_32")),
        other => panic!("no bundled library {other:?}"),
    }
}

/// A 32-bit DLL whose initialisation fails, as a LabVIEW-built DLL's does without the
/// LabVIEW Run-Time Engine (`csrc/init_fails.c`): built for Windows targets only.
pub const INIT_FAILS_LIB_32: Option<&str> = option_env!("LOADLIB_INIT_FAILS_LIB_32");

/// A 32-bit library's path, which only a build for a 64-bit host has.
fn built(path: Option<&'static str>) -> &'static str {
    path.unwrap_or_else(|| panic!("the 32-bit libraries are built for a 64-bit host only"))
}
