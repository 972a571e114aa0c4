//! What a typed client talks to: a 32-bit server through a [`Client64`], or the same
//! wrapper in the calling process.

use super::engine::InProcess;
use super::{Client64, FromValue, SharedArray};
use crate::error::{Error, Result};
use crate::server::{Dispatch, ErrorKind};
use crate::values::value::Value;
use crate::values::value_ref::{IntoArgs, ValueRef};

/// The reserved method through which a client asks a server for its interface.
#[doc(hidden)]
pub const INTERFACE_METHOD: &str = "__loadlib_interface__";

/// Which interface a typed client speaks: its name and a hash of its signatures.
///
/// [`interface!`](crate::interface) makes one per interface; the client checks at start-up
/// that the server answers with the same.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InterfaceId {
    /// The trait's name.
    pub name: &'static str,
    /// FNV-1a hash of the canonical form of the trait's method signatures.
    pub hash: u64,
}

impl InterfaceId {
    /// The id of interface `name` whose signatures' canonical form is `signatures`.
    pub const fn new(name: &'static str, signatures: &str) -> InterfaceId {
        let bytes = signatures.as_bytes();
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        let mut i = 0;
        while i < bytes.len() {
            hash ^= bytes[i] as u64;
            hash = hash.wrapping_mul(0x0100_0000_01b3);
            i += 1;
        }
        InterfaceId { name, hash }
    }

    /// How a server describes it: `Name#0123456789abcdef`.
    pub fn describe(&self) -> String {
        format!("{}#{:016x}", self.name, self.hash)
    }
}

/// A connection a typed client calls through: a 32-bit server, or a wrapper running in
/// this process (the original tool's `host=None`), with the same results and errors.
///
/// ```
/// use loadlib::Connection;
/// use loadlib::server::{Args, Dispatch, IntoReply, Reply, ServerError};
///
/// struct Doubler;
/// impl Dispatch for Doubler {
///     fn dispatch<'a>(&mut self, method: &str, args: &Args<'a>) -> Result<Reply<'a>, ServerError> {
///         match method {
///             "double" => (2 * args.arg::<i32>(0)?).into_reply(),
///             other => Err(loadlib::server::unknown_method(other, self.method_names())),
///         }
///     }
///     fn method_names(&self) -> &'static [&'static str] {
///         &["double"]
///     }
/// }
///
/// let conn = Connection::in_process(Doubler)?;
/// assert_eq!(conn.request::<i32>("double", (21,))?, 42);
/// # Ok::<(), loadlib::Error>(())
/// ```
pub struct Connection {
    backend: Backend,
}

/// What a connection calls through (each behind the request engine's `Backend` seam).
enum Backend {
    Server(Box<Client64>),
    InProcess(Box<InProcess>),
}

impl From<Client64> for Connection {
    fn from(client: Client64) -> Self {
        Connection {
            backend: Backend::Server(Box::new(client)),
        }
    }
}

impl Connection {
    /// Runs `wrapper` in this process. Calls go through the same argument encoding and
    /// checks as through a server, so results and errors are the same.
    pub fn in_process(wrapper: impl Dispatch + Send + 'static) -> Result<Connection> {
        Ok(Connection {
            backend: Backend::InProcess(Box::new(InProcess::new(wrapper)?)),
        })
    }

    /// Calls `method` by name and returns the reply as a [`Value`] (see
    /// [`Client64::call`]).
    pub fn call<'a>(&self, method: &str, args: impl IntoArgs<'a>) -> Result<Value> {
        match &self.backend {
            Backend::Server(c) => c.call(method, args),
            Backend::InProcess(p) => p.call(method, args.into_args().as_ref()),
        }
    }

    /// Calls method `index` of the interface's table (`name` is its name): what a typed
    /// client calls, with the method resolved when the macro expanded, not by its name
    /// on every call.
    #[doc(hidden)]
    pub fn request_index<R: FromValue>(
        &self,
        name: &str,
        index: u32,
        args: &[ValueRef<'_>],
    ) -> Result<R> {
        R::from_value(match &self.backend {
            Backend::Server(c) => c.call_index(name, index, args)?,
            Backend::InProcess(p) => p.call(name, args)?,
        })
    }

    /// Calls `method` by name and converts the reply to `R` (see [`Client64::request32`]).
    pub fn request<'a, R: FromValue>(&self, method: &str, args: impl IntoArgs<'a>) -> Result<R> {
        R::from_value(self.call(method, args)?)
    }

    /// Allocates a zeroed array in shared memory (see [`Client64::alloc_array`]).
    pub fn alloc_array<T: crate::Element>(&self, shape: &[usize]) -> Result<SharedArray<T>> {
        match &self.backend {
            Backend::Server(c) => c.alloc_array(shape),
            Backend::InProcess(p) => p.alloc_array(shape),
        }
    }

    /// Whether the wrapper runs in this process.
    pub fn is_in_process(&self) -> bool {
        matches!(self.backend, Backend::InProcess(_))
    }

    /// The server's client, or `None` in process.
    pub fn client64(&self) -> Option<&Client64> {
        match &self.backend {
            Backend::Server(c) => Some(c),
            Backend::InProcess(_) => None,
        }
    }

    /// The server's client (to shut it down and read its output), or `None` in process.
    pub fn into_client64(self) -> Option<Client64> {
        match self.backend {
            Backend::Server(c) => Some(*c),
            Backend::InProcess(_) => None,
        }
    }

    /// Checks that the wrapper implements interface `id`; a mismatch is
    /// [`Error::InterfaceMismatch`] naming both.
    pub fn check_interface(&self, id: &InterfaceId) -> Result<()> {
        let client = id.describe();
        let server = match self.request::<String>(INTERFACE_METHOD, ()) {
            Ok(s) => s,
            Err(Error::Server32 {
                kind: ErrorKind::UnknownMethod,
                ..
            }) => "a wrapper without an interface".to_owned(),
            Err(e) => return Err(e),
        };
        if server == client {
            Ok(())
        } else {
            Err(Error::InterfaceMismatch { client, server })
        }
    }
}

/// The index of `name` in `names`, at compile time (a typed client's methods).
#[doc(hidden)]
pub const fn method_index(names: &[&str], name: &str) -> u32 {
    let mut i = 0;
    while i < names.len() {
        let (a, b) = (names[i].as_bytes(), name.as_bytes());
        if a.len() == b.len() {
            let mut j = 0;
            while j < a.len() && a[j] == b[j] {
                j += 1;
            }
            if j == a.len() {
                return i as u32;
            }
        }
        i += 1;
    }
    panic!("a typed client's method is not in its own table")
}
