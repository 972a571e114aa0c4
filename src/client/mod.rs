//! The 64-bit side: [`Client64`] starts a server, sends requests and returns replies.
//!
//! The request engine (`engine`) does the sending, waiting, receiving and copying back,
//! for a server process or a wrapper in this process; a call holds the client with this
//! thread's core lease (`core_lease`).

mod batch;
mod builder;
mod connection;
mod core_lease;
mod embedded;
mod engine;
mod foreign;
mod from_value;
mod locate;
mod process;
mod shared_array;
mod startup;
mod std_args;
mod struct_args;
mod typed;

pub use batch::Batch;
pub use builder::{Builder, ServerExe};
pub use connection::Connection;
pub use from_value::FromValue;
pub use process::ServerOutput;
pub use shared_array::SharedArray;
pub use typed::{Arg, ArgList, Returns};

use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::{Mutex, MutexGuard};

use crate::error::{Error, Result};
use crate::transport::codec::Packed;
use crate::values::value::Value;
use crate::values::value_ref::{IntoArgs, ValueRef};
use core_lease::CoreLease;
use engine::{Answer, Held, Method, Request, ServerLink};
use shared_array::{SharedArrays, MAX_PAYLOAD_32};

/// A connection to a 32-bit server hosting a library wrapper.
///
/// Thread-safe: calls from several threads are serialised. Several clients, each with
/// its own server, can run at once.
///
/// ```no_run
/// use loadlib::Client64;
/// let client = Client64::builder("echo").start()?;
/// let sum: i32 = client.request32("add", (3i32, 14i32))?;
/// assert_eq!(sum, 17);
/// let back = client.call("echo", ("héllo",))?; // a generic call by name
/// println!("{back}");
/// let output = client.shutdown_server32()?; // what the server printed
/// # Ok::<(), loadlib::Error>(())
/// ```
pub struct Client64 {
    link: Mutex<ServerLink>,
    arrays: SharedArrays,
    /// Where the server maps the request ring (for pointers in foreign calls).
    server_request_ring: u64,
    /// Data longer than this goes to the bulk segment rather than into a record.
    inline_limit: usize,
    /// Whether calls take a core lease (see `core_lease`).
    share_cores: bool,
    base: String,
    server_pid: u32,
    pointer_width: u32,
    /// The thread (by [`thread_token`]) inside a batch of this client, or 0: a call it
    /// makes on the client inside the batch is refused rather than deadlocking.
    batch_thread: AtomicU64,
}

// Unwind-safe, as it was with std's lock (which declares itself so; parking_lot's
// declares nothing): a panic in the middle of a call leaves the link in a state the next
// call checks, which is why a lock poisoned by a panic was taken all the same.
impl std::panic::UnwindSafe for Client64 {}
impl std::panic::RefUnwindSafe for Client64 {}

/// What a caller may do with a client, checked when the library compiles: share it
/// between threads, and hold it across `catch_unwind`.
const _: () = {
    const fn shareable<T: Send + Sync + std::panic::UnwindSafe + std::panic::RefUnwindSafe>() {}
    shareable::<Client64>();
    shareable::<Connection>();
    shareable::<crate::foreign::ForeignLibrary>();
};

/// A number for the calling thread, unique in the process and never 0.
fn thread_token() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    thread_local! {
        // Relaxed: only uniqueness is needed, which the read-modify-write gives.
        static TOKEN: u64 = NEXT.fetch_add(1, Ordering::Relaxed);
    }
    TOKEN.with(|t| *t)
}

impl Client64 {
    /// A builder for a client that runs wrapper `module32` on the server.
    pub fn builder(module32: &str) -> Builder {
        Builder::new(module32)
    }

    /// Starts the bundled 32-bit server with wrapper `module32` and default settings.
    pub fn new(module32: &str) -> Result<Client64> {
        Builder::new(module32).start()
    }

    fn start(b: Builder) -> Result<Client64> {
        let started = startup::start(&b)?;
        // Relaxed: published before READY, whose Acquire load `start` made.
        let server_request_ring = started
            .chan
            .header()
            .server_request_ring
            .load(Ordering::Relaxed);
        let inline_limit = started.chan.max_record() / 4;
        let limit = (started.pointer_width == 32).then_some(MAX_PAYLOAD_32);
        Ok(Client64 {
            server_request_ring,
            inline_limit,
            arrays: SharedArrays::new(&started.base, limit),
            base: started.base.clone(),
            server_pid: started.process.pid(),
            pointer_width: started.pointer_width,
            share_cores: b.share_cores,
            batch_thread: AtomicU64::new(0),
            link: Mutex::new(ServerLink::new(
                started,
                b.request_timeout,
                b.shutdown_timeout,
            )),
        })
    }

    /// The server's pointer width: 32 for a real 32-bit server.
    pub fn server_pointer_width(&self) -> u32 {
        self.pointer_width
    }

    /// How many calls went by the small call's own path so far (for the tests).
    #[doc(hidden)]
    pub fn small_calls(&self) -> u64 {
        self.lock().small_calls
    }

    /// Whether the last call went on the request line, the small call's own line (for
    /// the tests).
    #[doc(hidden)]
    pub fn last_call_on_line(&self) -> bool {
        self.lock().last_call_on_line()
    }

    /// The server's process id.
    pub fn server_pid(&self) -> u32 {
        self.server_pid
    }

    /// The prefix of every shared-memory name this client uses (`/dev/shm/<name>…`).
    pub fn segment_name(&self) -> &str {
        &self.base
    }

    #[inline]
    fn lock(&self) -> MutexGuard<'_, ServerLink> {
        self.link.lock()
    }

    /// Calls `method` on the server and converts the reply to `R`.
    ///
    /// `args` is a tuple of anything that converts into [`ValueRef`] (numbers, `bool`,
    /// `&str`, slices and `Vec`s of numbers as 1-D arrays, [`ArrayRef`](crate::ArrayRef)
    /// for n-D, `&SharedArray` / `&mut SharedArray` for zero-copy arrays), or a slice of
    /// `ValueRef`.
    pub fn request32<'a, R: FromValue>(&self, method: &str, args: impl IntoArgs<'a>) -> Result<R> {
        R::from_value(self.call(method, args)?)
    }

    /// Calls `method` by name and returns the reply as a [`Value`].
    pub fn call<'a>(&self, method: &str, args: impl IntoArgs<'a>) -> Result<Value> {
        let args = args.into_args();
        let args = args.as_ref();
        // Scalars only: the small call's own path, by name.
        if let Some(packed) = Packed::from_values(args) {
            if let Some(mut link) = self.lean_link() {
                if let Some(seq) = link.send_small(0, method.as_bytes(), &packed) {
                    return link.answer_small(method, seq);
                }
            }
        }
        self.call_method(Method::named(method), args)
    }

    /// Calls method `index` of the server's table (a typed client's, resolved when it was
    /// built; `name` for messages).
    pub(crate) fn call_index(
        &self,
        name: &str,
        index: u32,
        args: &[ValueRef<'_>],
    ) -> Result<Value> {
        self.call_method(Method::indexed(name, index)?, args)
    }

    /// Calls method `index` with packed scalar arguments: a typed client's small call.
    #[inline]
    pub(crate) fn call_packed<R: FromValue>(
        &self,
        name: &str,
        index: u32,
        args: &Packed,
    ) -> Result<R> {
        if let Some(method) = index.checked_add(1) {
            if let Some(mut link) = self.lean_link() {
                if let Some(seq) = link.send_small(method, b"", args) {
                    return link.answer_small(name, seq);
                }
            }
        }
        self.call_packed_held(name, index, args)?.to()
    }

    /// The client for the small call's own path: when no lease is taken, no freed array
    /// is to be reported and no other thread (nor this thread's own batch) holds it.
    #[inline(always)]
    fn lean_link(&self) -> Option<MutexGuard<'_, ServerLink>> {
        if (self.share_cores && CoreLease::needed()) || self.arrays.any_freed() {
            return None;
        }
        self.try_lock()
    }

    /// The client's server link if no other thread (nor this thread's batch) holds it.
    #[inline(always)]
    fn try_lock(&self) -> Option<MutexGuard<'_, ServerLink>> {
        self.link.try_lock()
    }

    /// [`call_packed`](Self::call_packed) with the client held the general way.
    #[inline(never)]
    fn call_packed_held(&self, name: &str, index: u32, args: &Packed) -> Result<Answer> {
        let method = Method::indexed(name, index)?;
        let freed = self.arrays.take_freed();
        let mut held = self.hold()?;
        let result = held.call_packed(method, args, &freed);
        held.note_fatal(result)?
    }

    fn call_method(&self, method: Method<'_>, args: &[ValueRef<'_>]) -> Result<Value> {
        self.arrays.check_args(args)?;
        let freed = self.arrays.take_freed();
        let mut held = self.hold()?;
        let request = Request {
            method,
            args,
            freed: &freed,
        };
        let result = engine::call(&mut held, request);
        held.after_call(result, engine::passes_shared(args))
    }

    /// Marks this thread as inside a batch of this client (it holds the client).
    fn batch_started(&self) {
        // Relaxed: only this thread compares it with its own token (program order); other
        // threads see some other thread's token or 0, and wait for the lock either way.
        self.batch_thread.store(thread_token(), Ordering::Relaxed);
    }

    /// The batch of this thread ended.
    fn batch_ended(&self) {
        // Relaxed: see `batch_started`.
        self.batch_thread.store(0, Ordering::Relaxed);
    }

    /// The client held for a call or batch, with a core lease for this thread taken
    /// first (so threads sharing one client take turns by the slice, and a thread waiting
    /// for a lease does not hold the client; see `core_lease`). A call from inside this
    /// thread's own batch of this client is refused: it would wait for itself.
    #[inline]
    fn hold(&self) -> Result<Held<'_>> {
        // The common case first: no lease needed and the client free. (A thread inside
        // its own batch finds the client held, by the batch, and is refused below.)
        if !self.share_cores || !CoreLease::needed() {
            if let Some(link) = self.try_lock() {
                return Ok(Held::new(link, None));
            }
        }
        // Relaxed: see `batch_started`.
        let in_batch = self.batch_thread.load(Ordering::Relaxed);
        if in_batch != 0 && in_batch == thread_token() {
            return Err(Error::InvalidArgument(
                "a call on a client inside its own batch would wait for itself: submit it to the batch".into(),
            ));
        }
        let lease = if self.share_cores {
            CoreLease::take()
        } else {
            None
        };
        Ok(Held::new(self.lock(), lease))
    }

    /// The number that this client's shared arrays carry (see `FreedIds::owner`).
    pub(crate) fn array_owner(&self) -> u64 {
        self.arrays.owner()
    }

    /// Allocates a zeroed array of `T` with `shape` in shared memory. Fill it in place and
    /// pass `&array` (read-only) or `&mut array` (the server writes into it) with no copy.
    pub fn alloc_array<T: crate::Element>(&self, shape: &[usize]) -> Result<SharedArray<T>> {
        self.arrays.alloc(shape)
    }

    /// Stops the server gracefully (killing it after the shutdown timeout) and returns
    /// what it printed. Every process and segment of this client is gone afterwards.
    pub fn shutdown_server32(self) -> Result<ServerOutput> {
        let out = self.lock().shutdown(&self.base);
        Ok(out)
    }
}

impl Drop for Client64 {
    fn drop(&mut self) {
        let base = self.base.clone();
        self.lock().shutdown(&base);
    }
}
