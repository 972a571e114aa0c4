//! The serve loop: one request at a time on the main thread, each answered with a reply
//! or an error record, until the client says stop or is gone.

use std::mem::ManuallyDrop;
use std::path::Path;
use std::process::ExitCode;
use std::sync::atomic::Ordering;

use super::dispatch::{call_block, call_packed, call_scalar, ScalarReply};
use super::exit_code;
use super::foreign::{ForeignHost, Outcome};
use super::watchdog::{client_gone, fail};
use super::{with_result_arena, Args, Dispatch, Method, Reply, ServerError};
use crate::error::Error;
use crate::foreign::wire::BIND_METHOD;
use crate::sys;
use crate::transport::bulk::{BulkWriter, SegmentCache};
use crate::transport::channel::{Channel, Outgoing, RawRecord, RecordView, Wait};
use crate::transport::codec::{pack, pack_value, PackedArgs};
use crate::transport::layout::state;
use crate::transport::wire::{
    location, RecordHeader, KIND_ERROR, KIND_FOREIGN, KIND_FOREIGN_REPLY, KIND_FREE, KIND_REPLY,
    KIND_REQUEST, KIND_SHUTDOWN, KIND_SPILL, RECORD_ALIGN, RECORD_HEADER_SIZE,
};
use crate::values::value_ref::ValueRef;
use zerocopy::IntoBytes;

/// Serves `wrapper` over `chan` until shutdown or until the client is gone.
pub(super) fn serve(
    wrapper: &mut dyn Dispatch,
    mut chan: Channel,
    base: &str,
    client: &sys::Parent,
    file_dir: Option<&Path>,
) -> ExitCode {
    let mut bulk = BulkWriter::new(base, location::SERVER_BULK);
    let mut cache = SegmentCache::new(base);
    let mut foreign = ForeignHost::default();
    // A foreign call's returned data travels in its reply (through the bulk segment when
    // too long for the ring): at most 2 MiB, or a quarter of a ring larger than 8 MiB.
    let max_copy = chan.max_record().max(8 << 20) / 4;
    let mut alive = || {
        if client.is_alive() {
            Ok(())
        } else {
            Err(Error::Closed)
        }
    };
    // Pipelined requests are answered in bursts: replies published and requests handed
    // back together, before the server waits for more.
    chan.set_bursts(true);
    let mut client_alive = || client.is_alive();
    loop {
        if !chan.wait_request(&mut client_alive) {
            return client_gone(base, file_dir);
        }
        // A small call or a foreign call is answered on its own path (see `serve_small`).
        if chan.in_place() {
            let host = (&mut foreign, &mut cache, max_copy);
            match serve_small(wrapper, &chan, host, &mut bulk, &mut alive) {
                SmallCall::Answered => continue,
                SmallCall::Failed(e) if matches!(*e, Error::Closed) => {
                    return client_gone(base, file_dir)
                }
                SmallCall::Failed(e) => return fail(exit_code::PROTOCOL, *e),
                SmallCall::Other => {}
            }
        }
        let inc = match chan.recv(None, &mut alive, &mut || {}) {
            Ok(Some(inc)) => inc,
            Ok(None) => continue,
            Err(Error::Closed) => return client_gone(base, file_dir),
            Err(e) => return fail(exit_code::PROTOCOL, e),
        };
        let bytes = chan.bytes(&inc);
        let Some(mut header) = bytes.get(..RECORD_HEADER_SIZE).map(RecordHeader::read) else {
            let e = Error::Protocol(format!("record of {} bytes", bytes.len()));
            return fail(exit_code::PROTOCOL, e);
        };
        // A record is no longer than its bytes, whatever its header says (a call on the
        // request line is read where the client wrote it, header included).
        header.len = header.len.min(bytes.len() as u32);
        // One look at the header decides: a foreign call, or a small call (a request of
        // packed scalars), is answered from it, with no `RecordView`.
        let lean = match header.kind {
            KIND_FOREIGN => {
                let rec = chan.record_ptr(&inc);
                let host = (&mut foreign, &mut cache, max_copy);
                Some(serve_foreign(
                    &chan, rec, &header, host, &mut bulk, &mut alive,
                ))
            }
            KIND_REQUEST => lean_request(wrapper, &header, bytes)
                .map(|result| answer(&chan, header.seq, result, &mut bulk, &mut alive)),
            _ => None,
        };
        if let Some(sent) = lean {
            chan.release(inc);
            match sent {
                Ok(()) => continue,
                Err(Error::Closed) => return client_gone(base, file_dir),
                Err(e) => return fail(exit_code::PROTOCOL, e),
            }
        }
        let view = match RecordView::parse(bytes) {
            Ok(v) => v,
            Err(e) => return fail(exit_code::PROTOCOL, e),
        };
        let seq = view.header.seq;
        let sent = match view.header.kind {
            KIND_REQUEST => {
                let lend = (&chan, &mut bulk);
                let result = call(wrapper, &mut foreign, &view, &mut cache, lend);
                answer(&chan, seq, result, &mut bulk, &mut alive)
            }
            KIND_FREE => {
                cache.release_shared(seq as u32);
                Ok(())
            }
            // A request too long for the ring whose bulk segment could not be mapped.
            KIND_SPILL => {
                let e = ServerError::new("SharedMemoryError", chan.spill_error().to_string());
                send_error(&chan, seq, &e, &mut bulk, &mut alive)
            }
            KIND_SHUTDOWN => {
                chan.release(inc);
                chan.set_bursts(false);
                chan.header()
                    .server_state
                    .store(state::STOPPED, Ordering::Release);
                return ExitCode::SUCCESS;
            }
            other => {
                let e =
                    ServerError::new("ProtocolError", format!("unexpected record kind {other}"));
                send_error(&chan, seq, &e, &mut bulk, &mut alive)
            }
        };
        chan.release(inc);
        match sent {
            Ok(()) => {}
            Err(Error::Closed) => return client_gone(base, file_dir),
            Err(e) => return fail(exit_code::PROTOCOL, e),
        }
    }
}

/// What [`serve_small`] did (small enough to come back in registers: an error, which
/// ends the server, is boxed).
enum SmallCall {
    /// The next record is not a small call: nothing was read or called.
    Other,
    /// The small call was answered and its record released.
    Answered,
    /// Its answer could not be sent.
    Failed(Box<Error>),
}

/// Answers the next record on the small call's own path when it is a foreign call, or a
/// request (by index or by name) whose arguments are packed scalars its method takes as
/// they are: no `recv`, `RecordView` or encoder, and a packed reply written as its one
/// line. Anything else is left, with nothing read or called, for the general way (which
/// reports what is wrong).
#[inline(always)]
fn serve_small(
    wrapper: &mut dyn Dispatch,
    chan: &Channel,
    host: (&mut ForeignHost, &mut SegmentCache, usize),
    bulk: &mut BulkWriter,
    alive: &mut dyn FnMut() -> Result<(), Error>,
) -> SmallCall {
    let Some((inc, h)) = chan.peek_call() else {
        return SmallCall::Other;
    };
    if h.kind == KIND_FOREIGN {
        let sent = serve_foreign(chan, chan.record_ptr(&inc), &h, host, bulk, alive);
        chan.release(inc);
        return outcome(sent);
    }
    let bytes = chan.bytes(&inc);
    let Some((args, index)) = packed_args(&h, bytes).zip(method_index(wrapper, &h, bytes)) else {
        return SmallCall::Other;
    };
    // A method whose result is always a packed scalar: no `Reply` made.
    let sent = match call_scalar(wrapper, index, args) {
        ScalarReply::NotCalled => None,
        ScalarReply::Packed(ty, bits) => Some(outcome(reply_packed(chan, h.seq, ty, bits, alive))),
        ScalarReply::Failed(e) => Some(outcome(answer(chan, h.seq, Err(*e), bulk, alive))),
    };
    if let Some(sent) = sent {
        chan.release(inc);
        return sent;
    }
    let Some(result) = call_packed(wrapper, index, args) else {
        return SmallCall::Other;
    };
    let sent = answer(chan, h.seq, result, bulk, alive);
    chan.release(inc);
    outcome(sent)
}

/// A small call's outcome once its answer was sent, or could not be.
#[inline(always)]
fn outcome(sent: Result<(), Error>) -> SmallCall {
    match sent {
        Ok(()) => SmallCall::Answered,
        Err(e) => SmallCall::Failed(Box::new(e)),
    }
}

/// Answers request `seq` with the wrapper's `result`: its reply, or its error (also when
/// the reply cannot be encoded: too large, a bad rank).
#[inline]
fn answer(
    chan: &Channel,
    seq: u64,
    result: Result<Reply<'_>, ServerError>,
    bulk: &mut BulkWriter,
    alive: &mut dyn FnMut() -> Result<(), Error>,
) -> Result<(), Error> {
    let sent = match result {
        Ok(reply) => send_reply(chan, seq, reply, bulk, alive),
        Err(e) => send_error(chan, seq, &e, bulk, alive),
    };
    match sent {
        Err(Error::InvalidArgument(m) | Error::SharedMemory(m)) => {
            let e = ServerError::new("ReplyError", m);
            send_error(chan, seq, &e, bulk, alive)
        }
        other => other,
    }
}

/// Sends a wrapper's reply: a scalar packed, with no encoder (the lean path of a small
/// call), anything else encoded.
#[inline]
fn send_reply(
    chan: &Channel,
    seq: u64,
    reply: Reply<'_>,
    bulk: &mut BulkWriter,
    alive: &mut dyn FnMut() -> Result<(), Error>,
) -> Result<(), Error> {
    // A packed value owns nothing, so it is not dropped: that skips the drop glue of
    // `Value` (a call out of line) on the small call's path; anything else is dropped
    // once sent.
    let reply = ManuallyDrop::new(reply);
    if chan.in_place() {
        // One value packed straight into the record (no `Packed` made).
        let packed = match &*reply {
            Reply::Value(v) => pack_value(v),
            Reply::Ref(r) => pack(r),
            Reply::Out(_) => None,
        };
        if let Some((ty, bits)) = packed {
            return reply_packed(chan, seq, ty, bits, alive);
        }
    }
    let reply = ManuallyDrop::into_inner(reply);
    // An array written in place at the start of the bulk segment, which nothing else
    // holds, is sent where it is: the writer may reuse the segment it holds, and the
    // encoder finds the payload already at its place. (Only an array too large to go
    // inline is ever lent, so its record is small; a record spilled whole never takes
    // the lent segment anyway: `BulkWriter::target_for_spill`.)
    let in_place = matches!(&reply, Reply::Out(a)
        if a.segment().is_some_and(|s| bulk.is_sole_lender_of(s)));
    let v = reply.as_value_ref();
    let msg = Outgoing::new(KIND_REPLY, seq, b"", std::slice::from_ref(&v));
    bulk.sending(in_place, |bulk| chan.send(&msg, bulk, Wait::Forever, alive))
        .map(drop)
}

/// Makes the foreign call whose record starts at `rec` (`None`: read from a file, where
/// foreign calls cannot go) and answers it.
#[inline]
fn serve_foreign(
    chan: &Channel,
    rec: Option<*mut u8>,
    header: &RecordHeader,
    (foreign, cache, max_copy): (&mut ForeignHost, &mut SegmentCache, usize),
    bulk: &mut BulkWriter,
    alive: &mut dyn FnMut() -> Result<(), Error>,
) -> Result<(), Error> {
    let seq = header.seq;
    let Some(rec) = rec else {
        let e = ServerError::new(
            "ProtocolError",
            "foreign calls need the shared-memory transport",
        );
        return send_error(chan, seq, &e, bulk, alive);
    };
    // SAFETY: the record is published and ours until the caller releases it; no
    // reference to it is used past this point (the library may write its buffers in it);
    // the client vouched for the function.
    match unsafe { foreign.call(rec, header, cache, max_copy) } {
        Ok(out) => send_foreign_reply(chan, seq, &out, bulk, alive),
        Err(e) => send_error(chan, seq, &e, bulk, alive),
    }
}

/// Sends a foreign call's result, with the bytes it asked to copy from the returned
/// pointer (through the bulk segment when they make the record too long for the ring).
fn send_foreign_reply(
    chan: &Channel,
    seq: u64,
    out: &Outcome,
    bulk: &mut BulkWriter,
    alive: &mut dyn FnMut() -> Result<(), Error>,
) -> Result<(), Error> {
    let reply = out.reply.as_bytes();
    let data_len = out.reply.data_len as usize;
    let record = RawRecord {
        kind: KIND_FOREIGN_REPLY,
        seq,
        method: 0,
        block_len: reply.len() + data_len,
        names_bulk: false,
    };
    let fill = |dst: &mut [u8], _| {
        dst[..reply.len()].copy_from_slice(reply);
        if data_len > 0 {
            // SAFETY: the library returned a pointer to `data_len` bytes (as the
            // client declared), which `ForeignHost::call` measured.
            let data = unsafe { std::slice::from_raw_parts(out.data, data_len) };
            dst[reply.len()..].copy_from_slice(data);
        }
        Ok(())
    };
    // A result with no data answers a call on the request line in the reply line.
    if data_len == 0 && chan.try_answer_line(record, reply) {
        return Ok(());
    }
    let len = (RECORD_HEADER_SIZE + record.block_len).next_multiple_of(RECORD_ALIGN);
    if chan.spills(len) {
        return chan
            .send_raw_spilled(record, bulk, Wait::Forever, alive, fill)
            .map(drop);
    }
    chan.send_raw(record, Wait::Forever, alive, fill).map(drop)
}

fn send_error(
    chan: &Channel,
    seq: u64,
    e: &ServerError,
    bulk: &mut BulkWriter,
    alive: &mut dyn FnMut() -> Result<(), Error>,
) -> Result<(), Error> {
    let msg = [ValueRef::Str(&e.message)];
    chan.send(
        &Outgoing::new(KIND_ERROR, seq, e.name.as_bytes(), &msg),
        bulk,
        Wait::Forever,
        alive,
    )
    .map(drop)
}

/// Calls the wrapper the lean way when request `h` (whose record is `bytes`) has
/// arguments that are packed scalars its method takes as they are (see
/// [`Dispatch::dispatch_packed`]): no decoder, no [`Args`], no `RecordView`. `None`, with
/// nothing called, when the request must go the general way ([`call`]), which also
/// reports whatever is wrong with it.
#[inline]
fn lean_request<'a>(
    wrapper: &mut dyn Dispatch,
    h: &RecordHeader,
    bytes: &[u8],
) -> Option<Result<Reply<'a>, ServerError>> {
    let args = packed_args(h, bytes)?;
    let index = method_index(wrapper, h, bytes)?;
    call_packed(wrapper, index, args)
}

/// The index of the method request `h` (whose record is `bytes`) names: by index, or by
/// name, compared as bytes (a name equal to a method's is valid UTF-8); `None` for a
/// name the wrapper does not have (the general way reports it).
#[inline(always)]
fn method_index(wrapper: &dyn Dispatch, h: &RecordHeader, bytes: &[u8]) -> Option<usize> {
    match h.method {
        0 => {
            let name_end = RECORD_HEADER_SIZE + h.name_len as usize;
            let name = bytes.get(RECORD_HEADER_SIZE..name_end)?;
            wrapper
                .method_names()
                .iter()
                .position(|m| m.as_bytes() == name)
        }
        i => Some(i as usize - 1),
    }
}

/// The packed arguments of request `h` (whose record is `bytes`), when its block, after
/// its name, is a packed block.
#[inline(always)]
fn packed_args<'b>(h: &RecordHeader, bytes: &'b [u8]) -> Option<PackedArgs<'b>> {
    let name_end = RECORD_HEADER_SIZE.checked_add(h.name_len as usize)?;
    let at = h.block_offset as usize;
    if at < name_end {
        return None;
    }
    PackedArgs::parse(bytes.get(at..at.checked_add(h.block_len as usize)?)?)
}

/// Sends the reply to request `seq` holding one packed value: its one line, written at
/// once when the ring has room, else by the way that waits for it.
#[inline(always)]
fn reply_packed(
    chan: &Channel,
    seq: u64,
    ty: u8,
    bits: u64,
    alive: &mut dyn FnMut() -> Result<(), Error>,
) -> Result<(), Error> {
    if chan.try_send_packed_reply(seq, ty, bits) {
        return Ok(());
    }
    send_packed_reply(chan, seq, ty, bits, alive)
}

/// Sends the packed reply to request `seq`, waiting for ring space (the ring had none
/// for its one line at once: see `reply_packed`).
#[cold]
#[inline(never)]
fn send_packed_reply(
    chan: &Channel,
    seq: u64,
    ty: u8,
    bits: u64,
    alive: &mut dyn FnMut() -> Result<(), Error>,
) -> Result<(), Error> {
    chan.send_packed_values(
        KIND_REPLY,
        seq,
        0,
        b"",
        &[ty],
        &[bits],
        Wait::Forever,
        alive,
    )
    .map(drop)
}

/// Decodes a request and calls the wrapper, turning every failure (including a panic)
/// into a `ServerError`. A typed client's request names its method by index, which
/// goes to the wrapper as it is; a request by name is looked up in the wrapper's table
/// (or is the foreign calls' `bind`). A method whose result may be written in place
/// runs with `bulk` lent to it, if the client is done with what `chan` sent before.
fn call<'a>(
    wrapper: &mut dyn Dispatch,
    foreign: &mut ForeignHost,
    view: &RecordView<'a>,
    cache: &'a mut SegmentCache,
    (chan, bulk): (&Channel, &mut BulkWriter),
) -> Result<Reply<'a>, ServerError> {
    let block =
        Channel::block(view).map_err(|e| ServerError::new("ProtocolError", e.to_string()))?;
    let method = match view.header.method {
        0 => {
            let name = std::str::from_utf8(view.name)
                .map_err(|_| ServerError::new("ProtocolError", "method name is not valid UTF-8"))?;
            if name == BIND_METHOD {
                cache
                    .prepare(&block)
                    .map_err(|e| ServerError::new("SharedMemoryError", e.to_string()))?;
                // SAFETY: the arguments live only for `bind`, which nothing else of this
                // block outlives; `cache` maps the client's segments (`SegmentMap`).
                let first = foreign.bind(&unsafe { Args::new(block, cache) }?)?;
                return Ok(Reply::Value(crate::Value::U32(first)));
            }
            Method::named(wrapper.method_names(), name)
        }
        i => {
            let names = wrapper.method_names();
            Method::at(names, i as usize - 1).ok_or_else(|| {
                ServerError::new(
                    "ProtocolError",
                    format!("method {} of a table of {}", i - 1, names.len()),
                )
            })?
        }
    };
    if !wrapper.may_write_in_place(method) {
        return call_block(wrapper, method, block, cache);
    }
    let lend = chan
        .drain_probe()
        .map(|drained| (drained, chan.inline_limit()));
    // SAFETY: `chan` is borrowed for the whole call, and nothing is sent on it meanwhile.
    unsafe { with_result_arena(bulk, lend, || call_block(wrapper, method, block, cache)) }
}
