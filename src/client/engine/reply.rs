//! Receiving: waiting for the record that answers a request, and reading a reply's value
//! or the server's error out of it (each block parsed once).

use std::time::{Duration, Instant};

use zerocopy::FromBytes;

use super::Answer;
use super::ServerLink;
use crate::client::core_lease::CoreLease;
use crate::client::from_value::packed_value;
use crate::error::{Error, Result};
use crate::foreign::wire::ForeignReply;
use crate::transport::bulk::SegmentCache;
use crate::transport::channel::RecordView;
use crate::transport::codec::read_packed_raw;
use crate::transport::wake::Deadline;
use crate::transport::wire::{KIND_ERROR, KIND_FOREIGN_REPLY, KIND_REPLY, KIND_SPILL};
use crate::values::value::Value;

impl ServerLink {
    /// Waits for the record answering request `want`, skipping late replies to requests
    /// that timed out, and hands it to `read` before releasing it. `Ok(None)`: the
    /// deadline passed first. A wait that lasts gives `lease` up (it is of no use while
    /// this thread sleeps).
    pub(in crate::client) fn recv_for<T>(
        &mut self,
        want: u64,
        deadline: Instant,
        lease: Option<&CoreLease>,
        read: impl FnOnce(&RecordView<'_>, &mut SegmentCache) -> Result<T>,
    ) -> Result<Option<T>> {
        let ServerLink {
            chan,
            process,
            cache,
            ..
        } = self;
        let mut alive = Self::alive(process);
        let mut on_long_wait = Self::on_long_wait(lease);
        loop {
            let Some(inc) = chan.recv(Some(deadline), &mut alive, &mut on_long_wait)? else {
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
            if h.kind == KIND_SPILL {
                // A reply too long for the ring whose bulk segment could not be mapped.
                let e = chan.spill_error();
                chan.release(inc);
                return Err(e);
            }
            let out = read(&view, cache);
            chan.release(inc);
            return out.map(Some);
        }
    }

    /// Waits until a record is in (see `Channel::wait_data`): `Ok(false)` when `deadline`
    /// passed first. A wait that lasts gives `lease` up.
    #[inline(always)]
    pub(in crate::client) fn wait_data(
        &mut self,
        deadline: Deadline,
        lease: Option<&CoreLease>,
    ) -> Result<bool> {
        let ServerLink { chan, process, .. } = self;
        let mut on_long_wait = Self::on_long_wait(lease);
        chan.wait_data(deadline, &mut Self::alive(process), &mut on_long_wait)
    }

    /// Waits for the reply to request `want` for at most `timeout` from when the wait
    /// begins (see [`recv_answer`](Self::recv_answer)). The outer error is fatal or a
    /// time-out; the inner one is the server's.
    pub(in crate::client) fn recv_reply(
        &mut self,
        want: u64,
        timeout: Duration,
        lease: Option<&CoreLease>,
    ) -> Result<Option<Result<Value>>> {
        let answer = self.recv_answer(want, timeout, lease)?;
        answer_value(answer)
    }

    /// Waits for the reply to request `want`, a packed scalar left packed, for at most
    /// `timeout` from when the wait begins: a reply that comes while this side spins
    /// costs no clock read beyond the spin's own.
    #[inline(always)]
    pub(in crate::client) fn recv_answer(
        &mut self,
        want: u64,
        timeout: Duration,
        lease: Option<&CoreLease>,
    ) -> Result<Option<Result<Answer>>> {
        if !self.wait_data(Deadline::After(timeout), lease)? {
            return Ok(None);
        }
        // The common case: the next record is this call's packed reply, taken straight
        // from the ring after the wait.
        if let Some((ty, bits)) = self.chan.take_packed_reply(want) {
            return Ok(Some(Ok(Answer::Packed(ty, bits))));
        }
        // Anything else (an error, a value that is not packed, padding): the general
        // path, for as long again.
        let deadline = Instant::now() + timeout;
        self.recv_for(want, deadline, lease, |view, cache| {
            match (view.header.kind, read_packed_raw(view.block)) {
                (KIND_REPLY, Some((ty, bits))) => Ok(Ok(Answer::Packed(ty, bits))),
                (KIND_REPLY, None) => reply_value(view, cache).map(|v| Ok(Answer::Value(v))),
                (KIND_ERROR, _) => server_error(view, cache).map(Err),
                (other, _) => Err(Error::Protocol(format!("unexpected reply kind {other}"))),
            }
        })
    }
}

/// A reply (or its absence) with a packed scalar made a [`Value`].
fn answer_value(answer: Option<Result<Answer>>) -> Result<Option<Result<Value>>> {
    Ok(match answer {
        Some(Ok(Answer::Packed(ty, bits))) => Some(Ok(packed_value(ty, bits)?)),
        Some(Ok(Answer::Value(v))) => Some(Ok(v)),
        Some(Err(e)) => Some(Err(e)),
        None => None,
    })
}

/// The one value of a reply (or error) record, copied out of shared memory.
fn reply_value(view: &RecordView<'_>, cache: &mut SegmentCache) -> Result<Value> {
    let block = view.parse_block()?;
    cache.prepare(&block)?;
    block.one_value(cache).map_err(|e| Error::Protocol(e.0))
}

/// What the record answering a foreign call holds: the reply's head and the bytes after
/// it, or the error an error record carries (the inner `Err`).
pub(in crate::client) fn foreign_answer<'a>(
    view: &RecordView<'a>,
    cache: &mut SegmentCache,
) -> Result<Result<(ForeignReply, &'a [u8])>> {
    match view.header.kind {
        KIND_FOREIGN_REPLY => Ok(split_foreign_reply(view.block)),
        KIND_ERROR => server_error(view, cache).map(Err),
        other => Err(Error::Protocol(format!("unexpected reply kind {other}"))),
    }
}

/// A foreign reply's block as its head and the bytes after it.
pub(in crate::client) fn split_foreign_reply(block: &[u8]) -> Result<(ForeignReply, &[u8])> {
    ForeignReply::read_from_prefix(block)
        .map_err(|_| Error::Protocol("a short foreign reply".into()))
}

/// The `Server32` error an error record carries.
pub(in crate::client) fn server_error(
    view: &RecordView<'_>,
    cache: &mut SegmentCache,
) -> Result<Error> {
    let value = reply_value(view, cache)?;
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
