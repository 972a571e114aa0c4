//! Foreign calls through a client: bind a library's functions, then send each call as a
//! frame the server copies and calls (see `crate::foreign`).

use std::sync::MutexGuard;
use std::time::Instant;

use smallvec::SmallVec;
use zerocopy::{FromBytes, IntoBytes};

use super::{Client64, Inner};
use crate::channel::Wait;
use crate::error::{Error, Result};
use crate::foreign::encode::{Back, BulkArea, Encoder};
use crate::foreign::frame::FramePlan;
use crate::foreign::wire::{ForeignReply, FunctionSpec, BIND_METHOD};
use crate::foreign::{Abi, Returned};
use crate::value_ref::ValueRef;
use crate::wire::{KIND_ERROR, KIND_FOREIGN, KIND_FOREIGN_REPLY, RECORD_HEADER_SIZE};

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

    /// Calls bound function `id` (`name` for messages), laid out by `plan`: `encode`
    /// writes the arguments (it runs twice, to measure and to write). The result holds
    /// the client until dropped, so what the library wrote can be read back.
    pub(crate) fn foreign_call<'c>(
        &'c self,
        id: u32,
        name: &str,
        plan: &FramePlan,
        encode: &mut dyn FnMut(&mut Encoder<'_>) -> Result<()>,
    ) -> Result<Returned<'c>> {
        let abi = self.abi();
        let inline_limit = self.inline_limit;
        let mut m = Encoder::measure(abi, plan, inline_limit);
        encode(&mut m)?;
        let measured = m.measured();
        if abi.is_32_bit() && measured.bulk_len as u64 > super::MAX_PAYLOAD_32 {
            return Err(Error::InvalidArgument(format!(
                "{} bytes of arguments exceed what a 32-bit server can map",
                measured.bulk_len
            )));
        }
        let freed = self.take_freed();
        let mut lock = CallLock(self.lock_for_call());
        if lock.0.closed {
            return Err(Error::Closed);
        }
        if !lock.0.chan.in_place() {
            return Err(Error::InvalidArgument(
                "foreign calls need the shared-memory transport".into(),
            ));
        }
        let deadline = Instant::now() + self.request_timeout;
        let timed_out = || Error::ResponseTimeout {
            method: name.to_owned(),
            timeout: self.request_timeout,
        };
        let mut backs = SmallVec::<[Back; 4]>::new();
        let mut ret_back = None;
        let inner = &mut *lock.0;
        let result = (|| {
            inner.send_freed(&freed)?;
            let bulk = match measured.bulk_len {
                0 => None,
                n => {
                    let t = inner.bulk.target(n)?;
                    Some(BulkArea {
                        ptr: t.ptr,
                        len: t.len,
                        generation: t.generation,
                    })
                }
            };
            let seq = inner.seq + 1;
            let server_ring = self.server_request_ring;
            let sent = {
                let Inner { chan, process, .. } = &mut *inner;
                let mut alive = Inner::alive(process);
                chan.send_block(
                    KIND_FOREIGN,
                    seq,
                    id,
                    measured.block_len,
                    bulk.is_some(),
                    Wait::Until(deadline),
                    &mut alive,
                    |block, offset| {
                        let server_block = server_ring + (offset + RECORD_HEADER_SIZE) as u64;
                        let mut e =
                            Encoder::write_into(abi, plan, block, server_block, inline_limit, bulk);
                        encode(&mut e)?;
                        backs = e.backs.clone();
                        ret_back = e.ret_back;
                        e.finish();
                        Ok(())
                    },
                )?
            };
            let Some(offset) = sent else {
                return Err(timed_out());
            };
            inner.seq = seq;
            let reply = inner
                .recv_for(seq, deadline, |view, cache| match view.header.kind {
                    KIND_FOREIGN_REPLY => {
                        let (reply, rest) = ForeignReply::read_from_prefix(view.block)
                            .map_err(|_| Error::Protocol("a short foreign reply".into()))?;
                        let data = rest.get(..reply.data_len as usize).ok_or_else(|| {
                            Error::Protocol("returned data past the reply".into())
                        })?;
                        Ok(Ok((reply, data.to_vec())))
                    }
                    KIND_ERROR => super::server_error(view, cache).map(Err),
                    other => Err(Error::Protocol(format!("unexpected reply kind {other}"))),
                })?
                .ok_or_else(timed_out)??;
            Ok((reply, offset))
        })();
        let ((reply, data), offset) = match result {
            Ok(r) => r,
            Err(e) => {
                if matches!(e, Error::ResponseTimeout { .. } | Error::Protocol(_))
                    && measured.passes_memory
                {
                    inner.end_server_holding_shared_arrays();
                }
                return self.note_fatal(inner, Err(e));
            }
        };
        let block = inner
            .chan
            .request_ring()
            .wrapping_add(offset + RECORD_HEADER_SIZE);
        let bulk = inner.bulk.mapped().map(|(p, l)| (p as *const u8, l));
        Ok(Returned {
            _lock: lock,
            abi,
            reply,
            data,
            block,
            block_len: measured.block_len,
            bulk,
            backs,
            ret_back,
        })
    }
}

/// The client, held for one foreign call until its result has been read.
pub(crate) struct CallLock<'c>(MutexGuard<'c, Inner>);

impl Drop for CallLock<'_> {
    fn drop(&mut self) {
        self.0.leave();
    }
}
