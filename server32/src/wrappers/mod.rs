//! The bundled wrappers, one per library.

pub mod cpp;
pub mod dotnet;
pub mod echo;
pub mod fortran;
pub mod kernel32;
pub mod labview;
pub mod linear_algebra;
pub mod my_server;
pub mod structs;
/// The test library's wrapper: test instrumentation (feature `testkit`).
#[cfg(feature = "testkit")]
pub mod testlib;
