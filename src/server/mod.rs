//! The server side: a wrapper declares the library's functions with
//! [`library!`](crate::library), implements an [`interface!`](crate::interface) trait
//! with them, and implements [`Server32`] (its name and constructor); [`serve`] or
//! [`host`] runs it in the 32-bit process.
//!
//! ```no_run
//! use loadlib::server::{Kwargs, Result, Server32};
//!
//! loadlib::interface! {
//!     /// What my library can do (declared once; the client is generated).
//!     pub trait MyLib => MyLibClient {
//!         /// Adds two integers in the 32-bit library.
//!         fn add(a: i32, b: i32) -> i32;
//!     }
//! }
//!
//! loadlib::library! {
//!     struct MyLibC: extern "C" {
//!         fn add(a: i32, b: i32) -> i32;
//!     }
//! }
//!
//! struct MyServer {
//!     c: MyLibC,
//! }
//!
//! impl Server32 for MyServer {
//!     const NAME: &'static str = "my_server";
//!     fn new(kwargs: &Kwargs) -> Result<Self> {
//!         let path = kwargs.get("lib").unwrap_or("libmy_lib.so");
//!         // SAFETY: loading runs the library's initialisers (the library this server is
//!         // for); `add` has the declared signature.
//!         Ok(MyServer { c: unsafe { MyLibC::load(path) }? })
//!     }
//! }
//!
//! impl MyLib for MyServer {
//!     fn add(&mut self, a: i32, b: i32) -> Result<i32> {
//!         // SAFETY: plain integer arguments.
//!         Ok(unsafe { self.c.add(a, b) })
//!     }
//! }
//!
//! fn main() -> std::process::ExitCode {
//!     loadlib::server::serve(loadlib::server::Entry::of::<MyLibClient, MyServer>())
//! }
//! ```

mod args;
mod command_line;
mod dispatch;
mod error_kind;
mod foreign;
mod handshake;
mod host;
#[cfg(test)]
mod lean_tests;
mod library;
mod library_macro;
mod out_vec;
mod reply;
mod serve_loop;
mod served;
mod std_args;
mod struct_args;
mod watchdog;

pub use args::{Args, FromArg, Rest};
pub(crate) use dispatch::call_block;
pub use dispatch::{unknown_method, Dispatch, Method};
#[doc(hidden)]
pub use dispatch::{AsReply, AsScalar, LeanFinish, ScalarReply};
pub use error_kind::ErrorKind;
pub use host::{entry, exit_code, host, serve, Entry, MakeWrapper};
pub use library::{Library, Symbol};
pub(crate) use out_vec::with_result_arena;
pub use out_vec::{OutArray, OutVec};
pub use reply::{IntoReply, Reply};
pub use served::{MethodTable, Served};
#[doc(hidden)]
pub use struct_args::StructRef;

use std::collections::BTreeMap;
use std::fmt;

/// An error a wrapper returns; the client receives it as
/// [`Error::Server32`](crate::Error::Server32) with the same name and message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerError {
    /// A short name, e.g. `TypeError`, `LibraryError`.
    pub name: String,
    /// What went wrong.
    pub message: String,
}

impl ServerError {
    /// An error with a name and a message.
    pub fn new(name: impl Into<String>, message: impl Into<String>) -> Self {
        ServerError {
            name: name.into(),
            message: message.into(),
        }
    }

    /// A `TypeError`: an argument of the wrong type, count or shape.
    pub fn type_error(message: impl Into<String>) -> Self {
        Self::new("TypeError", message)
    }

    /// A `ValueError`: an argument of the right type but an unusable value.
    pub fn value_error(message: impl Into<String>) -> Self {
        Self::new("ValueError", message)
    }

    /// A `MemoryError`: the 32-bit server could not allocate `bytes`.
    pub fn memory_error(bytes: usize) -> Self {
        Self::new(
            "MemoryError",
            format!("cannot allocate {bytes} bytes in the server's address space"),
        )
    }

    /// An `OverflowError`: a number that does not fit the parameter's type.
    pub fn overflow(message: impl Into<String>) -> Self {
        Self::new("OverflowError", message)
    }

    /// A `LibraryError`: the library could not be loaded, lacks a symbol, or failed.
    pub fn library_error(message: impl Into<String>) -> Self {
        Self::new("LibraryError", message)
    }

    /// What kind of error this is, from its name.
    ///
    /// ```
    /// # use loadlib::server::{ErrorKind, ServerError};
    /// assert_eq!(ServerError::value_error("n < 0").kind(), ErrorKind::ValueError);
    /// ```
    pub fn kind(&self) -> ErrorKind {
        ErrorKind::from_name(&self.name)
    }

    /// The same error with a context prefix on its message.
    pub fn context(self, ctx: impl fmt::Display) -> Self {
        ServerError {
            name: self.name,
            message: format!("{ctx}: {}", self.message),
        }
    }
}

impl fmt::Display for ServerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.name, self.message)
    }
}

impl std::error::Error for ServerError {}

/// A vector of `len` zeroed elements, or a `MemoryError` naming the size when the server's
/// address space cannot hold it. A wrapper that allocates its result with this stays up
/// where `vec![0.0; len]` would abort the server (Rust aborts on a failed allocation).
/// A large result is better an [`OutVec`], written in place in the reply.
///
/// ```
/// # use loadlib::server::{zeroed_vec, ServerError};
/// let out: Vec<f64> = zeroed_vec(1000)?;
/// assert_eq!(out.len(), 1000);
/// # Ok::<(), ServerError>(())
/// ```
pub fn zeroed_vec<T: crate::Element + Default>(len: usize) -> Result<Vec<T>, ServerError> {
    let mut v = Vec::new();
    v.try_reserve_exact(len)
        .map_err(|_| ServerError::memory_error(len.saturating_mul(size_of::<T>())))?;
    v.resize(len, T::default());
    Ok(v)
}

/// A vector of `len` elements that `fill` writes through the pointer it is given, with no
/// zeroing first, or a `MemoryError` naming the size (as [`zeroed_vec`]). For a result the
/// library writes in full: zeroing it first is a pass over the whole result, 10–15 % of
/// a call returning 10^7 doubles (`scalar_multiply` in `benches/limits`). As a function's
/// result, [`OutVec::filled`] saves the server's copy of it into the reply too.
///
/// ```
/// # use loadlib::server::{filled_vec, ServerError};
/// # unsafe extern "C" fn iota(n: i32, out: *mut f64) {
/// #     for i in 0..n as usize { unsafe { out.add(i).write(i as f64) } }
/// # }
/// // SAFETY: `iota(n, out)` writes `n` doubles at `out`.
/// let out: Vec<f64> = unsafe {
///     filled_vec(1000, |out| {
///         iota(1000, out);
///         Ok(())
///     })
/// }?;
/// assert_eq!(out[999], 999.0);
/// # Ok::<(), ServerError>(())
/// ```
///
/// # Safety
///
/// When `fill` returns `Ok`, it has written all `len` elements at the pointer it was given
/// (valid for writes of `len` elements and aligned for `T`). When it returns an error or
/// panics, the memory is freed with none of its elements read.
pub unsafe fn filled_vec<T: crate::Element>(
    len: usize,
    fill: impl FnOnce(*mut T) -> Result<(), ServerError>,
) -> Result<Vec<T>, ServerError> {
    let mut v = Vec::new();
    v.try_reserve_exact(len)
        .map_err(|_| ServerError::memory_error(len.saturating_mul(size_of::<T>())))?;
    fill(v.as_mut_ptr())?;
    // SAFETY: the capacity is at least `len` (reserved above) and the caller's `fill`
    // initialised all `len` elements (this function's contract).
    unsafe { v.set_len(len) };
    Ok(v)
}

impl From<String> for ServerError {
    fn from(message: String) -> Self {
        ServerError::new("Error", message)
    }
}

impl From<&str> for ServerError {
    fn from(message: &str) -> Self {
        ServerError::new("Error", message)
    }
}

impl From<libloading::Error> for ServerError {
    fn from(e: libloading::Error) -> Self {
        ServerError::new("LibraryError", e.to_string())
    }
}

/// The keyword arguments the client passed to the server's constructor, as strings.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Kwargs(pub BTreeMap<String, String>);

impl Kwargs {
    /// The value of `key`, if given.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }

    /// All keyword arguments.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

/// The result of a wrapper method: a value, or a [`ServerError`] the client receives.
pub type Result<T, E = ServerError> = std::result::Result<T, E>;

/// A wrapper around a 32-bit library, hosted in the server process: its name and how it
/// is built.
///
/// Its methods come from an [`interface!`](crate::interface) trait it implements (the
/// usual way: host it with [`Entry::of`]), or from a hand-written [`Dispatch`] (host it
/// with [`entry`]).
pub trait Server32: Sized + 'static {
    /// The name a client gives as `module32` to start this wrapper.
    const NAME: &'static str;

    /// Loads the library. `kwargs` are the client's keyword arguments, as strings.
    fn new(kwargs: &Kwargs) -> Result<Self, ServerError>;
}
