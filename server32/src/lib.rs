//! The bundled wrappers of loadlib, one per example library, and their interfaces.
//!
//! The `server32` binary hosts them in a 32-bit process. The same crate compiles for
//! 64 bits, where the tests and examples use each wrapper's typed client, and run the
//! wrapper in-process over the 64-bit build of its library.

pub mod declared;
pub mod paths;
#[cfg(feature = "testkit")]
pub mod testkit;
pub mod wrappers;
