//! A client held for one call or batch: its server link locked, with this thread's core
//! lease.

use std::ops::{Deref, DerefMut};
use std::time::{Duration, Instant};

use parking_lot::MutexGuard;

use super::{Answer, Backend, Exchange, Method, Request, ServerLink};
use crate::client::core_lease::CoreLease;
use crate::error::Result;
use crate::transport::bulk::{BulkWriter, SegmentCache};
use crate::transport::channel::RecordView;
use crate::transport::codec::Packed;
use crate::transport::wake::Deadline;
use crate::values::value::Value;

/// The server link of a client, locked for one call or batch, with this thread's core
/// lease (when the client shares cores). Dropping it ends the call: the lease is let go
/// of first, then the link.
pub(in crate::client) struct Held<'c> {
    link: MutexGuard<'c, ServerLink>,
    lease: Option<CoreLease>,
}

impl<'c> Held<'c> {
    /// Holds `link` with `lease`, which this thread took before it locked the link (so a
    /// thread waiting for a lease holds no client).
    pub(in crate::client) fn new(
        link: MutexGuard<'c, ServerLink>,
        lease: Option<CoreLease>,
    ) -> Self {
        // This side calls now: the server may spin for it again (also after a lease was
        // handed over and none is needed any more: see `CoreLease::take`).
        link.chan.set_away(false);
        Held { link, lease }
    }

    /// A sign of life inside a batch, which may hold the lease for long.
    pub(in crate::client) fn progress(&self) {
        if let Some(lease) = &self.lease {
            lease.progress();
        }
    }

    /// [`ServerLink::wait_data`] with this call's lease.
    #[inline]
    pub(in crate::client) fn wait_data(&mut self, deadline: Deadline) -> Result<bool> {
        self.link.wait_data(deadline, self.lease.as_ref())
    }

    /// Waits for the answer to the call `name` just sent, until the request time-out: the
    /// small call's lean wait when this call holds no lease (it has none to give up),
    /// else [`wait_data`](Self::wait_data). An error when the time-out passed or the
    /// server is gone.
    #[inline]
    pub(in crate::client) fn await_answer(&mut self, name: &str) -> Result<()> {
        if self.link.chan.has_data() {
            return Ok(());
        }
        if self.lease.is_none() && !self.link.chan.bursting() {
            return self.link.await_small(name, None);
        }
        let timeout = self.link.request_timeout();
        match self.wait_data(Deadline::After(timeout))? {
            true => Ok(()),
            false => Err(crate::error::Error::ResponseTimeout {
                method: name.to_owned(),
                timeout,
            }),
        }
    }

    /// [`ServerLink::recv_for`] with this call's lease.
    pub(in crate::client) fn recv_for<T>(
        &mut self,
        want: u64,
        deadline: Instant,
        read: impl FnOnce(&RecordView<'_>, &mut SegmentCache) -> Result<T>,
    ) -> Result<Option<T>> {
        self.link
            .recv_for(want, deadline, self.lease.as_ref(), read)
    }

    /// [`ServerLink::call_packed`] with this call's lease.
    #[inline]
    pub(in crate::client) fn call_packed(
        &mut self,
        method: Method<'_>,
        args: &Packed,
        freed: &[u32],
    ) -> Result<Result<Answer>> {
        self.link
            .call_packed(method, args, freed, self.lease.as_ref())
    }

    /// [`ServerLink::recv_reply`] with this call's lease.
    pub(in crate::client) fn recv_reply(
        &mut self,
        want: u64,
        timeout: Duration,
    ) -> Result<Option<Result<Value>>> {
        self.link.recv_reply(want, timeout, self.lease.as_ref())
    }
}

impl Deref for Held<'_> {
    type Target = ServerLink;

    fn deref(&self) -> &ServerLink {
        &self.link
    }
}

impl DerefMut for Held<'_> {
    fn deref_mut(&mut self) -> &mut ServerLink {
        &mut self.link
    }
}

impl Backend for Held<'_> {
    #[inline]
    fn exchange(&mut self, request: Request<'_, '_>) -> Result<Exchange> {
        self.link.exchange(request, self.lease.as_ref())
    }

    fn bulk(&self) -> &BulkWriter {
        &self.link.bulk
    }
}

impl Drop for Held<'_> {
    #[inline]
    fn drop(&mut self) {
        // Handed over: the server need not spin for a next call that will wait its turn.
        if self.lease.take().is_some_and(CoreLease::end) {
            self.link.chan.set_away(true);
        }
    }
}
