//! Paths of the libraries this build of the crate was made with, for the root package's
//! tests and benchmarks (the server finds its servers at run time; see
//! `loadlib::ServerExe`).

/// The test library (`csrc/loadlib_test.c`) built for this crate's target: the 64-bit
/// one when the tests and benchmarks use this crate.
pub const TEST_LIB: &str = env!("LOADLIB_TEST_LIB");
