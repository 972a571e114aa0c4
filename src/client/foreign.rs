//! Foreign calls through a client: bind a library's functions, then send each call as a
//! frame the server copies and calls (see `crate::foreign`).

use std::time::Instant;

use smallvec::SmallVec;
use zerocopy::IntoBytes;

use super::engine::{foreign_answer, split_foreign_reply};
use super::shared_array::MAX_PAYLOAD_32;
use super::Client64;
use crate::error::{Error, Result};
use crate::foreign::encode::{Back, BulkArea, Encoder};
use crate::foreign::frame::FramePlan;
use crate::foreign::scalar_call::ScalarCall;
use crate::foreign::wire::{ForeignReply, FunctionSpec, BIND_METHOD};
use crate::foreign::{Abi, Returned, Step};
use crate::transport::channel::{RawRecord, Wait, BLOCK_WORDS};
use crate::transport::wire::{KIND_FOREIGN, KIND_FOREIGN_REPLY, RECORD_HEADER_SIZE};
use crate::values::value_ref::ValueRef;

impl Client64 {
    /// The server's calling convention: what foreign calls are laid out for.
    pub fn abi(&self) -> Abi {
        Abi::of_server(self.pointer_width)
    }

    /// Loads the library at `path` in the server (by name or path, as
    /// [`Library::cdll`](crate::server::Library::cdll) does, `stdcall` as `windll`) and
    /// binds the functions `names` with their `specs`; returns the first one's id.
    pub(crate) fn bind_foreign(
        &self,
        path: &str,
        stdcall: bool,
        names: &[u8],
        specs: &[FunctionSpec],
    ) -> Result<u32> {
        self.request32(
            BIND_METHOD,
            (
                path,
                stdcall,
                ValueRef::bytes(names),
                ValueRef::bytes(specs.as_bytes()),
            ),
        )
    }

    /// Calls bound function `id` (`name` for messages) with `call`'s scalar arguments on
    /// the small call's own path (see `foreign::scalar_call`), its reply's words in
    /// `reply`: `None`, with nothing sent,
    /// when it does not apply (a lease to take, freed arrays to report, the client held
    /// elsewhere, a full ring), and the caller goes the general way.
    #[inline(always)]
    pub(crate) fn foreign_scalar_call(
        &self,
        id: u32,
        name: &str,
        call: &ScalarCall<'_>,
        reply: &mut [u64; BLOCK_WORDS],
    ) -> Option<Result<(), Box<Error>>> {
        let mut link = self.lean_link()?;
        let seq = link.small_seq()?;
        let record = RawRecord {
            kind: KIND_FOREIGN,
            seq,
            method: id,
            block_len: call.block_len(),
            names_bulk: false,
        };
        if !link.chan.try_send_line(record, call) && !link.chan.try_send_raw(record, call) {
            return None;
        }
        link.small_sent(seq);
        Some(link.answer_foreign_small(name, seq, reply))
    }

    /// Calls bound function `id` (`name` for messages), laid out by `plan`. `call` is
    /// given [`Step::Encode`] twice (to measure, then to write the record) and, once the
    /// reply is in, [`Step::Decode`], all while the client is held, so what the library
    /// wrote is read before the next call can reuse its place.
    pub(crate) fn foreign_call(
        &self,
        id: u32,
        name: &str,
        plan: &FramePlan,
        call: &mut dyn FnMut(Step<'_, '_>) -> Result<()>,
    ) -> Result<()> {
        let abi = self.abi();
        let inline_limit = self.inline_limit;
        let mut m = Encoder::measure(abi, plan, inline_limit);
        if !plan.fixed {
            call(Step::Encode(&mut m))?;
        }
        let measured = m.measured();
        if abi.is_32_bit() && measured.bulk_len as u64 > MAX_PAYLOAD_32 {
            return Err(Error::InvalidArgument(format!(
                "{} bytes of arguments exceed what a 32-bit server can map",
                measured.bulk_len
            )));
        }
        let freed = self.arrays.take_freed();
        let mut held = self.hold()?;
        held.check_open()?;
        if !held.chan.in_place() {
            return Err(Error::InvalidArgument(
                "foreign calls need the shared-memory transport".into(),
            ));
        }
        // The time-out bounds each wait (for ring space, then for the reply), from when
        // it begins: the clock is read only by a wait.
        let timeout = held.request_timeout();
        let timed_out = || Error::ResponseTimeout {
            method: name.to_owned(),
            timeout,
        };
        let mut backs = SmallVec::<[Back; 2]>::new();
        let mut ret_back = None;
        let result = (|| {
            held.send_freed(&freed)?;
            let bulk = match measured.bulk_len {
                0 => None,
                n => {
                    let t = held.bulk.target(n)?;
                    Some(BulkArea {
                        ptr: t.ptr,
                        len: t.len,
                        generation: t.generation,
                    })
                }
            };
            let seq = held.next_seq();
            let server_ring = self.server_request_ring;
            let record = RawRecord {
                kind: KIND_FOREIGN,
                seq,
                method: id,
                block_len: measured.block_len,
                names_bulk: bulk.is_some(),
            };
            let sent = held.send_raw(record, Wait::For(timeout), |block, offset| {
                let server_block = server_ring + (offset + RECORD_HEADER_SIZE) as u64;
                let mut e = Encoder::write_into(
                    abi,
                    plan,
                    block,
                    &measured,
                    server_block,
                    inline_limit,
                    bulk,
                );
                call(Step::Encode(&mut e))?;
                backs = std::mem::take(&mut e.backs);
                ret_back = e.ret_back;
                e.finish()
            })?;
            let Some(offset) = sent else {
                return Err(timed_out());
            };
            // The reply is decoded while the record is held.
            let frame = held
                .chan
                .request_ring()
                .wrapping_add(offset + RECORD_HEADER_SIZE);
            let bulk = held.bulk.mapped().map(|(p, l)| (p as *const u8, l));
            let mut decode = |(reply, rest): (ForeignReply, &[u8])| -> Result<()> {
                let data = rest
                    .get(..reply.data_len as usize)
                    .ok_or_else(|| Error::Protocol("returned data past the reply".into()))?;
                // Copied before it is read (the server could still write the ring), on the
                // stack when small.
                let data = if data.is_empty() {
                    SmallVec::<[u8; 64]>::new()
                } else {
                    SmallVec::from_slice(data)
                };
                let returned = Returned {
                    abi,
                    reply,
                    data: &data,
                    block: frame,
                    block_len: measured.block_len,
                    bulk,
                    backs: &backs,
                    ret_back,
                };
                call(Step::Decode(&returned))
            };
            // The common case: the next record is this call's reply, taken straight from
            // the ring after the wait.
            held.await_answer(name)?;
            let taken = held.chan.take_reply(seq, KIND_FOREIGN_REPLY, |b| {
                Some(split_foreign_reply(b).and_then(&mut decode))
            });
            if let Some(r) = taken {
                return r;
            }
            // Anything else (an error, padding, a spilled reply): for as long again.
            let deadline = Instant::now() + timeout;
            held.recv_for(seq, deadline, |view, cache| {
                Ok(foreign_answer(view, cache)?.and_then(&mut decode))
            })?
            .ok_or_else(timed_out)?
        })();
        held.after_call(result, measured.passes_memory)
    }
}
