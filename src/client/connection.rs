//! What a typed client talks to: a 32-bit server through a [`Client64`], or the same
//! wrapper in the calling process.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

use super::shared_array::FreedIds;
use super::{Client64, FromValue, SharedArray};
use crate::error::{Error, Result};
use crate::server::{Dispatch, Method};
use crate::transport::bulk::{BulkWriter, SegmentCache};
use crate::transport::codec::{self, Block};
use crate::transport::shm;
use crate::transport::wire::location;
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

enum Backend {
    Server(Box<Client64>),
    InProcess(InProcess),
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
            backend: Backend::InProcess(InProcess {
                wrapper: Mutex::new(Box::new(wrapper)),
                bulk: Mutex::new(None),
                base: shm::new_base_name()?,
                next_array_id: AtomicU32::new(1),
                freed: Arc::new(FreedIds::new()),
            }),
        })
    }

    /// Calls `method` by name and returns the reply as a [`Value`] (see
    /// [`Client64::call`]).
    pub fn call<'a>(&self, method: &str, args: impl IntoArgs<'a>) -> Result<Value> {
        match &self.backend {
            Backend::Server(c) => c.call(method, args),
            Backend::InProcess(p) => p.call(Request::Name(method), args.into_args().as_ref()),
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
            Backend::InProcess(p) => p.call(Request::Index(index), args)?,
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
            Backend::InProcess(p) => {
                let id = p.next_array_id.fetch_add(1, Ordering::Relaxed);
                SharedArray::create(&p.base, id, shape, None, Arc::clone(&p.freed))
            }
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
            Backend::InProcess(p) => p.lock_wrapper().interface().map(|i| i.describe()),
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

/// A wrapper called in this process.
struct InProcess {
    wrapper: Mutex<Box<dyn Dispatch + Send>>,
    /// Where writable arrays go, as in a request to a server (made at the first).
    bulk: Mutex<Option<BulkWriter>>,
    base: String,
    next_array_id: AtomicU32,
    freed: Arc<FreedIds>,
}

/// One 64-byte line of an argument block: the block is 64-aligned, as in a ring.
#[derive(Clone, Copy, FromBytes, IntoBytes, Immutable, KnownLayout)]
#[repr(C, align(64))]
struct Line([u8; 64]);

/// How an in-process call names its method.
#[derive(Clone, Copy)]
enum Request<'n> {
    /// By name, looked up in the wrapper's table.
    Name(&'n str),
    /// By index in the wrapper's table (a typed client).
    Index(u32),
}

impl InProcess {
    fn lock_wrapper(&self) -> std::sync::MutexGuard<'_, Box<dyn Dispatch + Send>> {
        self.wrapper.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn call(&self, request: Request<'_>, args: &[ValueRef<'_>]) -> Result<Value> {
        // Arrays dropped by the caller need no notice here: each call maps afresh.
        drop(self.freed.take());
        for a in args {
            if let ValueRef::Shared(s) = a {
                self.freed.check_owner(s)?;
            }
        }
        let plan = codec::plan(args, usize::MAX, 0).map_err(|e| Error::InvalidArgument(e.0))?;
        let mut lines = vec![Line([0; 64]); plan.block_len.div_ceil(64)];
        let bytes = &mut lines.as_mut_bytes()[..plan.block_len];
        let mut wrapper = self.lock_wrapper();
        let table = wrapper.method_names();
        let method = match request {
            Request::Name(name) => Method::named(table, name),
            // As a server answers an index past its table.
            Request::Index(i) => Method::at(table, i as usize).ok_or_else(|| {
                server_error(crate::server::ServerError::new(
                    "ProtocolError",
                    format!("method {i} of a table of {}", table.len()),
                ))
            })?,
        };
        // Writable arrays go to a bulk segment and come back from it, as with a server.
        let mut bulk = self.bulk.lock().unwrap_or_else(|p| p.into_inner());
        let target = if plan.bulk_len > 0 {
            let writer =
                bulk.get_or_insert_with(|| BulkWriter::new(&self.base, location::CLIENT_BULK));
            Some(writer.target(plan.bulk_len)?)
        } else {
            None
        };
        let mut placed = smallvec::SmallVec::<[(usize, usize); 4]>::new();
        codec::write(args, bytes, usize::MAX, 0, target.as_ref(), &mut |i, o| {
            placed.push((i, o))
        })
        .map_err(|e| Error::InvalidArgument(e.0))?;
        let block = Block::parse(bytes).map_err(|e| Error::Protocol(e.0))?;
        let mut cache = SegmentCache::new(&self.base);
        let result = match crate::server::call_block(&mut **wrapper, method, block, &mut cache) {
            Ok(reply) => Ok(reply.as_value_ref().to_value()),
            Err(e) => Err(server_error(e)),
        };
        drop(cache);
        if let Some(t) = &target {
            for &(i, offset) in &placed {
                if let ValueRef::ArrayMut(a) = &args[i] {
                    // SAFETY: `offset + len` lies in the segment (placed by `write`), which
                    // is not the caller's slice; the argument list is its only holder.
                    unsafe { a.copy_back(t.ptr.add(offset)) };
                }
            }
        }
        result
    }
}

/// The client's error for a server error.
fn server_error(e: crate::server::ServerError) -> Error {
    Error::Server32 {
        kind: e.kind(),
        name: e.name,
        message: e.message,
    }
}
