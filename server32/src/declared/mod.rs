//! Libraries declared with `loadlib::foreign!` alone, for the examples, tests and
//! benchmarks: the system's own 32-bit libraries, called with no server code.

pub mod cpp;
pub mod fortran;
pub mod kernel32;
pub mod lapack;
/// The test library, declared: test instrumentation (feature `testkit`).
#[cfg(feature = "testkit")]
pub mod testlib;
