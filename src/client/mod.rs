//! The 64-bit side: [`Client64`] starts a server, sends requests and returns replies.

mod batch;
mod builder;
mod connection;
mod embedded;
mod foreign;
mod from_value;
mod gang;
mod locate;
mod process;
mod shared_array;
mod startup;
mod std_args;
mod struct_args;
mod typed;

pub use batch::Batch;
pub use builder::{Builder, ServerExe};
#[doc(hidden)]
pub use connection::{method_index, INTERFACE_METHOD};
pub use connection::{Connection, InterfaceId};
pub use from_value::FromValue;
pub use process::ServerOutput;
use shared_array::FreedIds;
pub use shared_array::SharedArray;
pub use typed::{Arg, ArgList, Returns};

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::error::{Error, Result};
use crate::transport::bulk::{BulkWriter, SegmentCache};
use crate::transport::channel::{Channel, Outgoing, RecordView, Wait};
use crate::transport::codec::decode_value;
use crate::transport::shm;
use crate::transport::wire::{
    location, KIND_ERROR, KIND_FREE, KIND_REPLY, KIND_REQUEST, KIND_SHUTDOWN,
};
use crate::values::value::Value;
use crate::values::value_ref::{IntoArgs, ValueRef};
use process::ServerProcess;

/// Largest payload total sent to a 32-bit server, whose address space is 4 GiB at most.
const MAX_PAYLOAD_32: u64 = 1 << 31;

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
    inner: Mutex<Inner>,
    /// Where the server maps the request ring (for pointers in foreign calls).
    server_request_ring: u64,
    /// Data longer than this goes to the bulk segment rather than into a record.
    inline_limit: usize,
    /// Whether calls take a core lease (see `gang`).
    share_cores: bool,
    base: String,
    server_pid: u32,
    pointer_width: u32,
    request_timeout: Duration,
    next_array_id: AtomicU32,
    freed: Arc<FreedIds>,
    /// The thread (by [`thread_token`]) inside a batch of this client, or 0: a call it
    /// makes on the client inside the batch is refused rather than deadlocking.
    batch_thread: AtomicU64,
}

/// A number for the calling thread, unique in the process and never 0.
fn thread_token() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    thread_local! {
        // Relaxed: only uniqueness is needed, which the read-modify-write gives.
        static TOKEN: u64 = NEXT.fetch_add(1, Ordering::Relaxed);
    }
    TOKEN.with(|t| *t)
}

struct Inner {
    chan: Channel,
    process: ServerProcess,
    bulk: BulkWriter,
    cache: SegmentCache,
    seq: u64,
    closed: bool,
    file_dir: Option<PathBuf>,
    shutdown_timeout: Duration,
    output: Option<ServerOutput>,
    /// Whether calls take a core lease (see `gang`).
    share_cores: bool,
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
        Ok(Client64 {
            server_request_ring,
            inline_limit,
            base: started.base.clone(),
            server_pid: started.process.pid(),
            pointer_width: started.pointer_width,
            share_cores: b.share_cores,
            request_timeout: b.request_timeout,
            next_array_id: AtomicU32::new(1),
            freed: Arc::new(FreedIds::new()),
            batch_thread: AtomicU64::new(0),
            inner: Mutex::new(Inner {
                bulk: BulkWriter::new(&started.base, location::CLIENT_BULK),
                cache: SegmentCache::new(&started.base),
                chan: started.chan,
                process: started.process,
                seq: 0,
                closed: false,
                file_dir: started.file_dir,
                shutdown_timeout: b.shutdown_timeout,
                output: None,
                share_cores: b.share_cores,
            }),
        })
    }

    /// The server's pointer width: 32 for a real 32-bit server.
    pub fn server_pointer_width(&self) -> u32 {
        self.pointer_width
    }

    /// The server's process id.
    pub fn server_pid(&self) -> u32 {
        self.server_pid
    }

    /// The prefix of every shared-memory name this client uses (`/dev/shm/<name>…`).
    pub fn segment_name(&self) -> &str {
        &self.base
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
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
        self.call_method(Method::named(method), args.into_args().as_ref())
    }

    /// Calls method `index` of the server's table (a typed client's, resolved when it was
    /// built; `name` for messages).
    pub(crate) fn call_index(
        &self,
        name: &str,
        index: u32,
        args: &[ValueRef<'_>],
    ) -> Result<Value> {
        self.call_method(
            Method {
                name,
                index: index + 1,
            },
            args,
        )
    }

    fn call_method(&self, method: Method<'_>, args: &[ValueRef<'_>]) -> Result<Value> {
        self.check_args(args)?;
        let freed = self.take_freed();
        let mut inner = self.lock_for_call()?;
        if inner.closed {
            inner.leave();
            return Err(Error::Closed);
        }
        let result = inner.round_trip(method, args, &freed, self.request_timeout);
        inner.leave();
        if matches!(
            result,
            Err(Error::ResponseTimeout { .. } | Error::Protocol(_))
        ) && passes_shared(args)
        {
            inner.end_server_holding_shared_arrays();
        }
        self.note_fatal(&mut inner, result)
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

    /// The connection for a call or batch, with a core lease for this thread first (so
    /// threads sharing one client take turns by the slice, and a thread waiting for a
    /// lease does not hold the client; see `gang`). A call from inside this thread's own
    /// batch of this client is refused: it would wait for itself.
    fn lock_for_call(&self) -> Result<std::sync::MutexGuard<'_, Inner>> {
        // Relaxed: see `batch_started`.
        let in_batch = self.batch_thread.load(Ordering::Relaxed);
        if in_batch != 0 && in_batch == thread_token() {
            return Err(Error::InvalidArgument(
                "a call on a client inside its own batch would wait for itself: submit it to the batch".into(),
            ));
        }
        if self.share_cores {
            gang::with_member(|m| m.enter());
        }
        let inner = self.lock();
        if self.share_cores {
            inner.chan.set_away(false);
        }
        Ok(inner)
    }

    /// Refuses shared arrays of another client, and arguments a 32-bit server could not
    /// map.
    fn check_args(&self, args: &[ValueRef<'_>]) -> Result<()> {
        for a in args {
            if let ValueRef::Shared(s) = a {
                self.freed.check_owner(s)?;
            }
        }
        if self.pointer_width == 32 {
            let total: u64 = args.iter().map(payload_bytes).sum();
            if total > MAX_PAYLOAD_32 {
                return Err(Error::InvalidArgument(format!(
                    "{total} bytes of arguments exceed what a 32-bit server can map ({MAX_PAYLOAD_32} bytes)"
                )));
            }
        }
        Ok(())
    }

    /// Ids of shared arrays dropped since the last call.
    fn take_freed(&self) -> Vec<u32> {
        self.freed.take()
    }

    /// The number that this client's shared arrays carry (see `FreedIds::owner`).
    pub(crate) fn array_owner(&self) -> u64 {
        self.freed.owner
    }

    /// Closes the connection after an error that leaves it unusable.
    fn note_fatal<T>(&self, inner: &mut Inner, r: Result<T>) -> Result<T> {
        if matches!(r, Err(Error::ServerCrashed { .. } | Error::Protocol(_))) {
            inner.closed = true;
        }
        r
    }

    /// Allocates a zeroed array of `T` with `shape` in shared memory. Fill it in place and
    /// pass `&array` (read-only) or `&mut array` (the server writes into it) with no copy.
    pub fn alloc_array<T: crate::Element>(&self, shape: &[usize]) -> Result<SharedArray<T>> {
        let id = self.next_array_id.fetch_add(1, Ordering::Relaxed);
        let limit = (self.pointer_width == 32).then_some(MAX_PAYLOAD_32);
        SharedArray::create(&self.base, id, shape, limit, Arc::clone(&self.freed))
    }

    /// Stops the server gracefully (killing it after the shutdown timeout) and returns
    /// what it printed. Every process and segment of this client is gone afterwards.
    pub fn shutdown_server32(self) -> Result<ServerOutput> {
        let out = self.lock().shutdown(&self.base);
        Ok(out)
    }
}

/// Which method a request calls: by name, or by 1 + its index in the server's table.
#[derive(Clone, Copy)]
struct Method<'a> {
    name: &'a str,
    index: u32,
}

impl<'a> Method<'a> {
    fn named(name: &'a str) -> Self {
        Method { name, index: 0 }
    }
}

/// Where each writable argument (by index) went in the bulk segment.
type Placed = smallvec::SmallVec<[(usize, usize); 4]>;

/// The `Server32` error an error record carries.
fn server_error(view: &RecordView<'_>, cache: &mut SegmentCache) -> Result<Error> {
    let block = Channel::block(view)?;
    cache.prepare(&block)?;
    let value = decode_value(view.block, cache).map_err(|e| Error::Protocol(e.0))?;
    // Copied before it is checked: the server could still write the ring.
    let name = String::from_utf8(view.name.to_vec())
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
    let message = match value {
        Value::Str(s) => s,
        other => other.to_string(),
    };
    Ok(Error::Server32 {
        kind: crate::server::ErrorKind::from_name(&name),
        name,
        message,
    })
}

/// Whether any argument is a shared array (which the server reads or writes in place) or
/// a writable array (which it writes in the request's bulk segment).
fn passes_shared(args: &[ValueRef<'_>]) -> bool {
    args.iter()
        .any(|v| matches!(v, ValueRef::Shared(_) | ValueRef::ArrayMut(_)))
}

/// Bytes a value puts into shared memory.
fn payload_bytes(v: &ValueRef<'_>) -> u64 {
    match v {
        ValueRef::Str(s) => s.len() as u64,
        ValueRef::Bytes(b) => b.len() as u64,
        ValueRef::Array(a) => a.as_bytes().len() as u64,
        ValueRef::Shared(s) => s.len,
        ValueRef::ArrayMut(a) => a.byte_len() as u64,
        _ => 0,
    }
}

impl Inner {
    /// A sign of life inside a batch, which may hold the lease for long.
    fn progress(&self) {
        if self.share_cores {
            gang::with_member(|m| m.progress());
        }
    }

    /// At the end of a call (or batch).
    fn leave(&mut self) {
        // Handed over: the server need not spin for a next call that will wait its turn.
        if self.share_cores && gang::with_member(|m| m.leave()) == Some(true) {
            self.chan.set_away(true);
        }
    }

    fn alive(process: &mut ServerProcess) -> impl FnMut() -> Result<()> + '_ {
        move || match process.try_status() {
            Some(st) => Err(process.crash_error(st)),
            None => Ok(()),
        }
    }

    /// Tells the server which shared arrays the client dropped.
    fn send_freed(&mut self, freed: &[u32]) -> Result<()> {
        let Inner {
            chan,
            process,
            bulk,
            ..
        } = self;
        let mut alive = Self::alive(process);
        for &id in freed {
            // A FREE record is tiny and always fits once the server drains the ring.
            chan.send(
                &Outgoing::new(KIND_FREE, id as u64, b"", &[]),
                bulk,
                Wait::Forever,
                &mut alive,
                &mut |_, _| {},
            )?;
        }
        Ok(())
    }

    /// Sends the pending FREE notices and a request; `Ok(None)` when `wait` ran out.
    /// `placed` gets where each writable array went in the bulk segment.
    fn send_request(
        &mut self,
        method: Method<'_>,
        args: &[ValueRef<'_>],
        freed: &[u32],
        wait: Wait,
        placed: &mut Placed,
    ) -> Result<Option<u64>> {
        self.send_freed(freed)?;
        let Inner {
            chan,
            process,
            bulk,
            seq,
            ..
        } = self;
        let mut alive = Self::alive(process);
        let next = *seq + 1;
        let msg = Outgoing {
            kind: KIND_REQUEST,
            seq: next,
            name: if method.index > 0 {
                b""
            } else {
                method.name.as_bytes()
            },
            method: method.index,
            args,
        };
        if !chan.send(&msg, bulk, wait, &mut alive, &mut |i, offset| {
            placed.push((i, offset))
        })? {
            return Ok(None);
        }
        *seq = next;
        Ok(Some(next))
    }

    /// Waits for the record answering request `want`, skipping late replies to requests
    /// that timed out, and hands it to `read` before releasing it. `Ok(None)`: the
    /// deadline passed first.
    fn recv_for<T>(
        &mut self,
        want: u64,
        deadline: Instant,
        read: impl FnOnce(&RecordView<'_>, &mut SegmentCache) -> Result<T>,
    ) -> Result<Option<T>> {
        let Inner {
            chan,
            process,
            cache,
            share_cores,
            ..
        } = self;
        let mut alive = Self::alive(process);
        // A long call: the lease is of no use while this thread sleeps.
        let mut on_park = || {
            if *share_cores {
                gang::with_member(|m| m.release());
            }
        };
        loop {
            let Some(inc) = chan.recv(Some(deadline), &mut alive, &mut on_park)? else {
                if Instant::now() >= deadline {
                    return Ok(None);
                }
                continue;
            };
            let view = RecordView::parse(chan.bytes(&inc))?;
            let h = view.header;
            if h.seq < want {
                // The late reply to a request that timed out: never returned for this one.
                chan.release(inc);
                continue;
            }
            if h.seq != want {
                return Err(Error::Protocol(format!(
                    "reply {} arrived for request {want}",
                    h.seq
                )));
            }
            let out = read(&view, cache);
            chan.release(inc);
            return out.map(Some);
        }
    }

    /// Waits for the reply to request `want`. The outer error is fatal or a time-out;
    /// the inner one is the server's.
    fn recv_reply(&mut self, want: u64, deadline: Instant) -> Result<Option<Result<Value>>> {
        self.recv_for(want, deadline, |view, cache| {
            if view.header.kind == KIND_ERROR {
                return server_error(view, cache).map(Err);
            }
            if view.header.kind != KIND_REPLY {
                return Err(Error::Protocol(format!(
                    "unexpected reply kind {}",
                    view.header.kind
                )));
            }
            let block = Channel::block(view)?;
            cache.prepare(&block)?;
            decode_value(view.block, cache)
                .map_err(|e| Error::Protocol(e.0))
                .map(Ok)
        })
    }

    fn round_trip(
        &mut self,
        method: Method<'_>,
        args: &[ValueRef<'_>],
        freed: &[u32],
        timeout: Duration,
    ) -> Result<Value> {
        let deadline = Instant::now() + timeout;
        let timed_out = || Error::ResponseTimeout {
            method: method.name.to_owned(),
            timeout,
        };
        let mut placed = Placed::new();
        let want = self
            .send_request(method, args, freed, Wait::Until(deadline), &mut placed)?
            .ok_or_else(timed_out)?;
        let reply = self.recv_reply(want, deadline)?.ok_or_else(timed_out)?;
        // The server is done with the call: what it wrote goes back to the caller, as
        // from a library call in process that failed after writing.
        if matches!(reply, Ok(_) | Err(Error::Server32 { .. })) {
            self.copy_back(args, &placed)?;
        }
        reply
    }

    /// Copies the writable arrays of `args` back from the bulk segment.
    fn copy_back(&self, args: &[ValueRef<'_>], placed: &Placed) -> Result<()> {
        if placed.is_empty() {
            return Ok(());
        }
        let (base, len) = self
            .bulk
            .mapped()
            .ok_or_else(|| Error::Protocol("writable arrays without a bulk segment".into()))?;
        for &(i, offset) in placed {
            let ValueRef::ArrayMut(a) = &args[i] else {
                continue;
            };
            if offset + a.byte_len() > len {
                return Err(Error::Protocol(
                    "writable array outside the bulk segment".into(),
                ));
            }
            // SAFETY: in bounds of our own bulk mapping (checked), which is not the
            // caller's slice; the call's argument list is the only holder of the slice.
            unsafe { a.copy_back(base.add(offset)) };
        }
        Ok(())
    }

    /// Kills the server and closes the connection: a call that passed shared arrays went
    /// unanswered, and once the caller's borrow ends nothing may still write them.
    fn end_server_holding_shared_arrays(&mut self) {
        self.process.kill();
        self.closed = true;
    }

    fn shutdown(&mut self, base: &str) -> ServerOutput {
        if let Some(out) = &self.output {
            return out.clone();
        }
        if self.process.try_status().is_none() {
            let Inner {
                chan,
                process,
                bulk,
                ..
            } = self;
            let mut alive = || match process.try_status() {
                Some(_) => Err(Error::Closed),
                None => Ok(()),
            };
            let deadline = Instant::now() + Duration::from_secs(1);
            let _ = chan.send(
                &Outgoing::new(KIND_SHUTDOWN, 0, b"", &[]),
                bulk,
                Wait::Until(deadline),
                &mut alive,
                &mut |_, _| {},
            );
            if self.process.wait_for(self.shutdown_timeout).is_none() {
                self.process.kill();
            }
        }
        self.closed = true;
        let out = self.process.output();
        shm::unlink_all(base);
        if let Some(d) = &self.file_dir {
            let _ = std::fs::remove_dir_all(d);
        }
        self.output = Some(out.clone());
        out
    }
}

impl Drop for Client64 {
    fn drop(&mut self) {
        let base = self.base.clone();
        self.lock().shutdown(&base);
    }
}
