//! What a typed client talks to: a 32-bit server through a [`Client64`], or the same
//! wrapper in the calling process.

use super::engine::InProcess;
use super::{ArgList, Client64, FromValue, SharedArray};
use crate::error::{Error, Result};
use crate::server::Dispatch;
use crate::values::value::Value;
use crate::values::value_ref::{IntoArgs, ValueRef};
use crate::InterfaceId;

/// A connection a typed client calls through: a 32-bit server, or a wrapper running in
/// this process (the original tool's `host=None`), with the same results and errors.
///
/// ```
/// use loadlib::Connection;
/// use loadlib::server::{Args, Dispatch, IntoReply, Method, Reply, ServerError};
///
/// struct Doubler;
/// impl Dispatch for Doubler {
///     fn method_names(&self) -> &'static [&'static str] {
///         &["double"]
///     }
///     fn dispatch<'a>(&mut self, method: Method<'_>, args: &Args<'a>) -> Result<Reply<'a>, ServerError> {
///         match method.index() {
///             Some(0) => (2 * args.arg::<i32>(0)?).into_reply(),
///             _ => Err(method.unknown()),
///         }
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

    /// Calls method `index` of the interface's table (`name` is its name, for messages):
    /// what a typed client calls, its methods numbered when the macro expanded.
    #[doc(hidden)]
    pub fn request_index<R: FromValue>(
        &self,
        name: &str,
        index: u32,
        args: &[ValueRef<'_>],
    ) -> Result<R> {
        R::from_value(match &self.backend {
            Backend::Server(c) => c.call_index(name, index, args)?,
            Backend::InProcess(p) => p.call_index(name, index, args)?,
        })
    }

    /// Calls method `index` with the arguments a typed client gathered: packed scalars
    /// take the lean path of a small call.
    #[doc(hidden)]
    #[inline]
    pub fn request_list<R: FromValue>(
        &self,
        name: &str,
        index: u32,
        args: &mut ArgList<'_>,
    ) -> Result<R> {
        match &self.backend {
            Backend::Server(c) => match args.packed() {
                Some(packed) => c.call_packed(name, index, packed),
                None => R::from_value(c.call_index(name, index, args.as_slice())?),
            },
            Backend::InProcess(p) => R::from_value(p.call_index(name, index, args.as_slice())?),
        }
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

    /// Checks that the wrapper implements interface `id`, as the server said at start-up
    /// (or the wrapper in this process says); a mismatch is [`Error::InterfaceMismatch`]
    /// naming both.
    pub fn check_interface(&self, id: &InterfaceId) -> Result<()> {
        let client = id.describe();
        let server = match &self.backend {
            Backend::Server(c) => c.server_interface(),
            Backend::InProcess(p) => p.interface().map(|i| i.describe()),
        };
        match server {
            Some(server) if server == client => Ok(()),
            Some(server) => Err(Error::InterfaceMismatch { client, server }),
            None => Err(Error::InterfaceMismatch {
                client,
                server: "a wrapper without an interface".to_owned(),
            }),
        }
    }
}
