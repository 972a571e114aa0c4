//! loadlib: call a 32-bit shared library from a 64-bit program through shared memory.
//!
//! Declare the library's C functions with [`foreign!`] and call them: a [`Client64`]
//! starts a 32-bit server process (the server embedded in loadlib, or the bundled one)
//! that loads the library and calls each function as the declaration lays it out, with no
//! 32-bit code of yours ([`foreign`](mod@foreign)).
//!
//! ```no_run
//! loadlib::foreign! {
//!     struct Cpp: extern "C" {
//!         fn add(a: i32, b: i32) -> i32;
//!         fn scalar_multiply(a: f64, #[len(n)] x: *const f64, n: i32, #[out] #[len(n)] y: *mut f64);
//!     }
//! }
//! // SAFETY: loading runs the library's initialisers in the server; the declarations are
//! // the library's own signatures.
//! let cpp = unsafe { Cpp::load("cpp_lib32.so") }?;
//! assert_eq!(cpp.add(3, 14)?, 17);
//! let mut y = [0.0; 3];
//! cpp.scalar_multiply(2.0, &[1.0, 2.0, 3.0], 3, &mut y)?;
//! assert_eq!(y, [2.0, 4.0, 6.0]);
//! # Ok::<(), loadlib::Error>(())
//! ```
//!
//! For logic that must run next to the library, write a server of your own
//! ([`interface!`], [`library!`], [`server::serve`]) and call its wrapper methods through
//! the typed client generated from one declaration, or by name. Requests and replies are
//! fixed-layout records in two rings in one shared segment; numeric arrays are read in
//! place; each side spins briefly and then sleeps (on a shared futex on Linux, a named
//! event on Windows).
//!
//! ```no_run
//! use loadlib::Client64;
//! let client = Client64::new("testlib")?;          // a bundled wrapper over a C library
//! let sum: i32 = client.request32("add", (3, 14))?;
//! assert_eq!(sum, 17);
//! let x = vec![1.0f64, 2.0, 3.0];
//! let y: Vec<f64> = client.request32("scalar_multiply", (2.0, &x))?;
//! assert_eq!(y, [2.0, 4.0, 6.0]);
//! # Ok::<(), loadlib::Error>(())
//! ```
#![deny(missing_docs, unreachable_pub)]

// The derive and `foreign!` name `::loadlib`, which this crate's own tests use too.
extern crate self as loadlib;

// Layers, from the bottom up: the platform seam (`sys`), the transport (`transport`), the
// value model (`values`), then the client, the server and foreign calls on top.
pub mod build;
mod client;
mod error;
pub mod foreign;
mod interface;
pub mod server;
mod sys;
mod transport;
mod values;

pub use client::{Arg, Batch, Builder, Client64, FromValue, Returns, ServerExe, ServerOutput};
pub use client::{Connection, SharedArray};
pub use error::{Error, Result};
#[doc(hidden)]
pub use loadlib_macros::{__interface_method_index, __interface_signatures, __static_lifetimes};
pub use loadlib_macros::{foreign, CStruct};
pub use transport::channel::Transport;
pub use transport::handshake::InterfaceId;
pub use values::array_view::{ArrayMut, ArrayRef, Out, Shape, SharedRef};
pub use values::dtype::{DType, Element};
pub use values::value::{Array, ArrayData, Value};
pub use values::value_ref::{IntoArgs, ValueRef};
pub use values::wire_struct::WireStruct;

/// The README's examples, compiled (and run, where they need no server) by
/// `cargo test --doc`.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

/// Internals for this crate's own fuzz tests, benchmarks and bundled programs. Not API: no
/// stability. Sound as the rest is: what needs a promise from its caller is `unsafe`
/// (`codec::SegmentMap`, `codec::BulkTarget::new`, `server::Args::new`).
#[doc(hidden)]
pub mod __private {
    pub use crate::transport::channel::RecordView;
    pub use crate::values::dtype::int_value;
    /// What the code `interface!` generates calls on the client side.
    pub mod client {
        pub use crate::client::ArgList;
    }
    /// Encoding and decoding of argument blocks.
    pub mod codec {
        pub use crate::transport::codec::*;
    }
    /// Asks for huge pages behind a buffer about to be filled for the first time, as a
    /// large result's new `Vec` gets them (for the benchmarks' floors).
    pub fn prefer_huge_pages<T>(buf: &mut [std::mem::MaybeUninit<T>]) {
        crate::sys::prefer_huge_pages(buf)
    }
    /// The result size from which a new array asks for huge pages.
    pub use crate::values::value::HUGE_COPY;
    /// Shared-memory segments.
    pub mod shm {
        pub use crate::transport::shm::*;
    }
    /// The record format.
    pub mod wire {
        pub use crate::transport::wire::*;
    }
}
