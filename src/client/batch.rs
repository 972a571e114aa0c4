//! Pipelined calls: submit many requests before waiting for any reply.

use std::collections::VecDeque;
use std::marker::PhantomData;

use super::engine::{passes_shared, Held, Method};
use super::Client64;
use crate::error::{Error, Result};
use crate::transport::channel::Wait;
use crate::transport::codec::{read_packed_raw, unpacked_value, Packed};
use crate::transport::wire::KIND_REPLY;
use crate::values::value::Value;
use crate::values::value_ref::{IntoArgs, ValueRef};

/// A batch of pipelined calls on one client, open for the closure given to
/// [`Client64::batch`]; replies are matched to requests by sequence number and returned
/// in submission order when the batch ends.
///
/// The batch is scoped, as [`std::thread::scope`] is: what a call submits is borrowed
/// for `'env`, which outlasts the whole `batch(…)` call, and `batch` waits for every reply
/// before it returns — also when the closure returns early or panics. The closure only
/// ever gets `&mut Batch`, so no guard can be leaked with [`std::mem::forget`]: a shared
/// array passed `&mut` to a batched call cannot be read or dropped until the server is
/// done with it (`tests/compile_fail/`). If a reply does not come in time and shared
/// arrays were passed, the server is ended before `batch` returns, so no late write can
/// reach an array the caller holds again.
///
/// While a batch is open it holds the client: calls from other threads wait, and a call
/// on the same client from inside the closure is refused ([`Error::InvalidArgument`])
/// rather than deadlocking — submit it to the batch instead.
///
/// ```no_run
/// let client = loadlib::Client64::new("echo")?;
/// let replies = client.batch(|b| {
///     for i in 0..1000i32 {
///         b.submit("echo", (i,))?;
///     }
///     Ok(())
/// })?; // one Result per call, in order
/// assert_eq!(replies[999].as_ref().unwrap(), &loadlib::Value::I32(999));
/// # Ok::<(), loadlib::Error>(())
/// ```
pub struct Batch<'c, 'env> {
    client: &'c Client64,
    held: Held<'c>,
    /// The sequence numbers of the calls in flight, oldest first.
    pending: VecDeque<u64>,
    results: Vec<Result<Value>>,
    /// Calls sent and replies collected, counted for `note_progress`.
    steps: u32,
    /// Whether a submitted call passed a shared array.
    shared: bool,
    /// The arguments' borrows last for `'env`, which outlives the `batch` call. Invariant,
    /// as `std::thread::Scope`'s is, so that it cannot be shortened inside the closure.
    _env: PhantomData<&'env mut &'env ()>,
}

/// How many calls sent or collected a batch makes between two signs of life to the core
/// leases.
const PROGRESS_EVERY: u32 = 32;

/// How many replies a batch collects when the ring is full before it sends again.
const COLLECT_BURST: usize = 32;

impl<'c, 'env> Batch<'c, 'env> {
    /// A batch over `client`, held with this thread's core lease.
    pub(super) fn new(client: &'c Client64, held: Held<'c>) -> Self {
        // Requests are published, and replies handed back, in bursts.
        held.chan.set_bursts(true);
        Batch {
            client,
            held,
            pending: VecDeque::new(),
            results: Vec::new(),
            steps: 0,
            shared: false,
            _env: PhantomData,
        }
    }

    /// Sends a call without waiting for its reply (replies of earlier calls are collected
    /// when the rings are full). Errors here are fatal or a time-out; the server's errors
    /// for this call come back, with its result, when the batch ends.
    pub fn submit(&mut self, method: &str, args: impl IntoArgs<'env>) -> Result<()> {
        let list = args.into_args();
        let args = list.as_ref();
        self.held.check_open()?;
        let freed = self.client.arrays.take_freed();
        let sent = self.held.send_freed(&freed);
        self.held.note_fatal(sent)?;
        self.note_progress();
        let method = Method::named(method);
        // Scalars only: packed straight into the ring (no arrays, so nothing to check).
        let mut packed = Packed::default();
        if self.held.chan.in_place() && packed.push_all(args) {
            return self.send(|held, wait| held.send_packed_request(method, &packed, wait));
        }
        if args.iter().any(|a| matches!(a, ValueRef::ArrayMut(_))) {
            return Err(Error::InvalidArgument(
                "a writable array cannot be batched: its copy back needs the reply at once (pass a SharedArray instead)".into(),
            ));
        }
        self.client.arrays.check_args(args)?;
        self.shared |= passes_shared(args);
        self.send(|held, wait| {
            // Not all scalars, or not in place (a file transport): through the encoder.
            let sent = held.send_encoded(method, args, wait)?;
            Ok(sent.map(|(seq, _)| seq))
        })
    }

    /// Sends a request with `send`, collecting replies while the rings are full. A wait
    /// for ring space with nothing in flight lasts at most the request time-out.
    fn send(
        &mut self,
        mut send: impl FnMut(&mut Held<'c>, Wait) -> Result<Option<u64>>,
    ) -> Result<()> {
        loop {
            let wait = if self.pending.is_empty() {
                Wait::For(self.held.request_timeout())
            } else {
                Wait::No
            };
            let sent = send(&mut self.held, wait);
            match self.held.note_fatal(sent)? {
                Some(seq) => {
                    self.pending.push_back(seq);
                    return Ok(());
                }
                None if self.pending.is_empty() => return Err(self.timed_out()),
                // The ring is full: the server has this many calls and more to answer, so
                // the client collects a burst of replies before it tries again (one
                // failed send per burst, not per call).
                None => {
                    for _ in 0..self.pending.len().min(COLLECT_BURST) {
                        self.collect_one()?;
                    }
                }
            }
        }
    }

    /// A sign of life for the core leases every [`PROGRESS_EVERY`] calls sent or
    /// collected (a batch may hold its lease for long; see `Held::progress`).
    fn note_progress(&mut self) {
        self.steps = self.steps.wrapping_add(1);
        if self.steps.is_multiple_of(PROGRESS_EVERY) {
            self.held.progress();
        }
    }

    fn timed_out(&self) -> Error {
        Error::ResponseTimeout {
            method: "(batched call)".into(),
            timeout: self.held.request_timeout(),
        }
    }

    /// Collects the oldest reply, waiting at most the request time-out from when the wait
    /// begins: a batch fails when the server makes no progress for that long, not when
    /// a long queue takes longer than that to go through.
    fn collect_one(&mut self) -> Result<()> {
        let Some(seq) = self.pending.pop_front() else {
            return Ok(());
        };
        self.note_progress();
        // The common case: the reply is in, one packed value, taken with no wait.
        let packed = |block: &[u8]| read_packed_raw(block).and_then(|(t, b)| unpacked_value(t, b));
        if let Some(v) = self.held.chan.take_reply(seq, KIND_REPLY, packed) {
            self.results.push(Ok(v));
            return Ok(());
        }
        let timeout = self.held.request_timeout();
        let got = self.held.recv_reply(seq, timeout);
        match self.held.note_fatal(got)? {
            Some(r) => {
                self.results.push(r);
                Ok(())
            }
            None => {
                if self.shared {
                    self.held.end_server_holding_shared_arrays();
                }
                Err(self.timed_out())
            }
        }
    }

    /// Calls submitted whose replies have not been collected yet.
    pub fn in_flight(&self) -> usize {
        self.pending.len()
    }

    /// Calls submitted so far.
    pub fn submitted(&self) -> usize {
        self.pending.len() + self.results.len()
    }

    /// Waits for every reply; one result per submitted call, in order.
    fn finish(&mut self) -> Result<Vec<Result<Value>>> {
        while !self.pending.is_empty() {
            self.collect_one()?;
        }
        Ok(std::mem::take(&mut self.results))
    }

    /// Waits for what is still in flight, however the batch ends: the borrows of `'env`
    /// may end once `batch` returns, so the server must be done with every call first.
    fn drain(&mut self) {
        while !self.pending.is_empty() {
            if self.collect_one().is_err() {
                // Unanswered calls may still use the arrays: the server must not outlive
                // the borrows.
                if self.shared {
                    self.held.end_server_holding_shared_arrays();
                }
                self.pending.clear();
                break;
            }
        }
    }
}

impl Drop for Batch<'_, '_> {
    fn drop(&mut self) {
        // Also on a panic in the closure: the batch lives on `batch`'s stack, so it is
        // dropped before the unwinding leaves `batch`, and nothing can forget it.
        self.drain();
        self.held.chan.set_bursts(false);
        self.client.batch_ended();
        // `held` drops next: the lease is let go of, then the client.
    }
}

impl Client64 {
    /// Runs `f` with a [`Batch`] of pipelined calls on this client, then waits for every
    /// reply and returns one result per submitted call, in order.
    ///
    /// The outer error is the first of: the closure's own error, a fatal error or a
    /// time-out while the calls were in flight. Each call's own error (the server's) is
    /// in its place in the list. However `f` ends (returning, returning early with an
    /// error, or panicking), `batch` waits for the server to finish every submitted call
    /// before it returns or the panic goes on, so arrays passed to the batch are written
    /// by then and not after.
    ///
    /// Arguments are borrowed for `'env`, beyond the whole call: data a batched call reads
    /// or writes is made before the batch and read after it.
    ///
    /// ```no_run
    /// let client = loadlib::Client64::new("testlib")?;
    /// let x = client.alloc_array::<f64>(&[1 << 20])?;
    /// let mut outs = [client.alloc_array::<f64>(&[1 << 20])?, client.alloc_array::<f64>(&[1 << 20])?];
    /// client.batch(|b| {
    ///     for (k, out) in outs.iter_mut().enumerate() {
    ///         b.submit("scalar_multiply_into", (k as f64, &x, out))?;
    ///     }
    ///     Ok(())
    /// })?;
    /// assert_eq!(outs[1][0], x[0]); // read once the batch is over
    /// # Ok::<(), loadlib::Error>(())
    /// ```
    pub fn batch<'env, F>(&self, f: F) -> Result<Vec<Result<Value>>>
    where
        F: FnOnce(&mut Batch<'_, 'env>) -> Result<()>,
    {
        let held = self.hold()?;
        self.batch_started();
        let mut batch = Batch::new(self, held);
        let outcome = f(&mut batch);
        let replies = batch.finish();
        drop(batch);
        outcome?;
        replies
    }
}
