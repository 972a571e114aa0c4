//! Pipelined calls: submit many requests before waiting for any reply.

use std::collections::VecDeque;
use std::marker::PhantomData;
use std::sync::MutexGuard;
use std::time::Instant;

use super::{Client64, Inner};
use crate::channel::Wait;
use crate::error::{Error, Result};
use crate::value::Value;
use crate::value_ref::{IntoArgs, ValueRef};

/// A batch of pipelined calls on one client, replies matched to requests by sequence
/// number and returned in submission order.
///
/// While a batch is open it holds the client, so calls from other threads wait. Arguments
/// stay borrowed until the batch is finished or dropped (`'a`): a shared array passed to
/// a batched call cannot be read or written before the server is done with it. Dropping
/// a batch waits for its outstanding replies; if one does not come in time and shared
/// arrays were passed, the server is ended, as for a single call.
///
/// ```no_run
/// let client = loadlib::Client64::new("echo")?;
/// let mut batch = client.batch();
/// for i in 0..1000i32 {
///     batch.submit("echo", (i,))?;
/// }
/// let replies = batch.finish()?; // one Result per call, in order
/// assert_eq!(replies[999].as_ref().unwrap(), &loadlib::Value::I32(999));
/// # Ok::<(), loadlib::Error>(())
/// ```
pub struct Batch<'c, 'a> {
    client: &'c Client64,
    inner: MutexGuard<'c, Inner>,
    pending: VecDeque<(u64, Instant)>,
    results: Vec<Result<Value>>,
    /// Whether a submitted call passed a shared array.
    shared: bool,
    /// The arguments' borrows last as long as the batch.
    _args: PhantomData<ValueRef<'a>>,
}

impl<'c, 'a> Batch<'c, 'a> {
    /// A batch over `inner`, locked with this thread's core lease taken.
    pub(super) fn new(client: &'c Client64, inner: MutexGuard<'c, Inner>) -> Self {
        Batch {
            client,
            inner,
            pending: VecDeque::new(),
            results: Vec::new(),
            shared: false,
            _args: PhantomData,
        }
    }

    /// Sends a call without waiting for its reply (replies of earlier calls are collected
    /// when the rings are full). Errors here are fatal or a time-out; the server's errors
    /// for this call come back from [`finish`](Self::finish).
    pub fn submit(&mut self, method: &str, args: impl IntoArgs<'a>) -> Result<()> {
        let list = args.into_args();
        let args = list.as_ref();
        if args.iter().any(|a| matches!(a, ValueRef::ArrayMut(_))) {
            return Err(Error::InvalidArgument(
                "a writable array cannot be batched: its copy back needs the reply at once (pass a SharedArray instead)".into(),
            ));
        }
        self.shared |= super::passes_shared(args);
        self.client.check_payload(args)?;
        if self.inner.closed {
            return Err(Error::Closed);
        }
        let mut freed = self.client.take_freed();
        self.inner.progress();
        loop {
            let deadline = Instant::now() + self.client.request_timeout;
            let wait = if self.pending.is_empty() {
                Wait::Until(deadline)
            } else {
                Wait::No
            };
            let sent = self.inner.send_request(
                super::Method::named(method),
                args,
                &freed,
                wait,
                &mut super::Placed::new(),
            );
            freed.clear();
            match self.client.note_fatal(&mut self.inner, sent)? {
                Some(seq) => {
                    self.pending.push_back((seq, deadline));
                    return Ok(());
                }
                None if self.pending.is_empty() => return Err(self.timed_out()),
                None => self.collect_one()?,
            }
        }
    }

    fn timed_out(&self) -> Error {
        Error::ResponseTimeout {
            method: "(batched call)".into(),
            timeout: self.client.request_timeout,
        }
    }

    fn collect_one(&mut self) -> Result<()> {
        let Some((seq, deadline)) = self.pending.pop_front() else {
            return Ok(());
        };
        self.inner.progress();
        let got = self.inner.recv_reply(seq, deadline);
        match self.client.note_fatal(&mut self.inner, got)? {
            Some(r) => {
                self.results.push(r);
                Ok(())
            }
            None => {
                if self.shared {
                    self.inner.end_server_holding_shared_arrays();
                }
                Err(self.timed_out())
            }
        }
    }

    /// Calls submitted whose replies have not been collected yet.
    pub fn in_flight(&self) -> usize {
        self.pending.len()
    }

    /// Waits for every reply and returns one result per submitted call, in order.
    pub fn finish(mut self) -> Result<Vec<Result<Value>>> {
        while !self.pending.is_empty() {
            self.collect_one()?;
        }
        Ok(std::mem::take(&mut self.results))
    }
}

impl Drop for Batch<'_, '_> {
    fn drop(&mut self) {
        self.drain();
        self.inner.leave();
    }
}

impl Batch<'_, '_> {
    fn drain(&mut self) {
        // The borrows end with the batch: the server must be done with every call first.
        while !self.pending.is_empty() {
            if self.collect_one().is_err() {
                // Unanswered calls may still use the arrays: the server must not outlive
                // the borrows.
                if self.shared {
                    self.inner.end_server_holding_shared_arrays();
                }
                break;
            }
        }
    }
}
