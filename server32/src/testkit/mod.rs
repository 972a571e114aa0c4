//! Test instrumentation (feature `testkit`, which only loadlib's own tests and benchmarks
//! turn on): what the shipped server must not carry.
//!
//! - [`alloc_count`]: a counting global allocator, installed in `server32` built with the
//!   feature, whose count the `testlib` wrapper reports (`tests/no_alloc.rs`);
//! - the `testlib` wrapper (`crate::wrappers::testlib`) and its foreign declarations
//!   (`crate::declared::testlib`): the test library, with ways to crash, hang and exit;
//! - the benchmarks' floors, `bin/pingpong32.rs` (a bare cross-process round trip, and
//!   the same with the library's `scalar_multiply` on arrays in the segment, driven
//!   through [`floor`]) and `bin/solve32.rs` (the LAPACK solve with no bridge).

pub mod alloc_count;

pub mod floor;
