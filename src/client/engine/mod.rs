//! The request engine: how a call reaches what answers it and how its answer comes back.
//!
//! Every call goes the same way: the arguments are encoded into a block (writable arrays
//! into the bulk segment), a [`Backend`] delivers it and returns the reply, and the
//! writable arrays are copied back to the caller ([`call`]). The backends are a server
//! process over the shared rings ([`ServerLink`], with its time-outs and dead-peer
//! handling) and a wrapper in this process ([`InProcess`]).

mod held;
mod in_process;
mod reply;
mod server;
mod small;

pub(super) use held::Held;
pub(super) use in_process::InProcess;
pub(super) use reply::{foreign_answer, split_foreign_reply};
pub(super) use server::ServerLink;

use crate::client::FromValue;
use crate::error::{Error, Result};
use crate::transport::bulk::BulkWriter;
use crate::transport::codec::Placements;
use crate::values::value::Value;
use crate::values::value_ref::ValueRef;

/// Which method a request calls: by name, or by 1 + its index in the server's table.
#[derive(Clone, Copy)]
pub(super) struct Method<'a> {
    /// The name (also for messages).
    pub name: &'a str,
    /// 1 + the index in the server's table, or 0 to call by name.
    pub index: u32,
}

impl<'a> Method<'a> {
    /// The method called `name`.
    pub(super) fn named(name: &'a str) -> Self {
        Method { name, index: 0 }
    }

    /// Method `index` of the server's table (`name` for messages); an index with no
    /// room for the 1 added on the wire is refused.
    #[inline]
    pub(super) fn indexed(name: &'a str, index: u32) -> Result<Self> {
        let index = index.checked_add(1).ok_or_else(|| {
            Error::InvalidArgument(format!("method index {index} is past any table"))
        })?;
        Ok(Method { name, index })
    }

    /// The name a request record carries: none when the index says which method.
    #[inline]
    pub(super) fn wire_name(&self) -> &'a [u8] {
        match self.index {
            0 => self.name.as_bytes(),
            _ => b"",
        }
    }
}

/// One call: the method, its arguments, and the shared arrays the caller dropped since
/// the last call (which the server may unmap).
#[derive(Clone, Copy)]
pub(super) struct Request<'r, 'v> {
    pub method: Method<'r>,
    pub args: &'r [ValueRef<'v>],
    pub freed: &'r [u32],
}

/// What a backend's exchange gives back.
pub(super) struct Exchange {
    /// The wrapper's answer: its value, or its error ([`Error::Server32`]).
    pub reply: Result<Value>,
    /// Where each array argument went (the writable ones into [`Backend::bulk`]).
    pub placements: Placements,
}

/// What answers requests: the seam between the engine and a server or a wrapper in
/// process.
pub(super) trait Backend {
    /// Delivers `request` and waits for its reply. An outer error is the exchange's own
    /// (the server is gone, the deadline passed, the arguments cannot be sent).
    fn exchange(&mut self, request: Request<'_, '_>) -> Result<Exchange>;

    /// The bulk segment the request's writable arrays went to.
    fn bulk(&self) -> &BulkWriter;
}

/// A reply as it arrived: one scalar, packed (read with no decoder), or any value.
pub(crate) enum Answer {
    /// The type byte (checked) and bits of a packed scalar.
    Packed(u8, u64),
    /// Any other value.
    Value(Value),
}

impl Answer {
    /// The reply as `R`.
    #[inline]
    pub(crate) fn to<R: FromValue>(self) -> Result<R> {
        match self {
            Answer::Packed(ty, bits) => R::from_packed(ty, bits),
            Answer::Value(v) => R::from_value(v),
        }
    }
}

/// Makes one call through `backend` and copies its writable arrays back.
#[inline]
pub(super) fn call(backend: &mut impl Backend, request: Request<'_, '_>) -> Result<Value> {
    let Exchange { reply, placements } = backend.exchange(request)?;
    // The wrapper is done with the call: what it wrote goes back to the caller, as from
    // a library call in process that failed after writing.
    if matches!(reply, Ok(_) | Err(Error::Server32 { .. })) {
        copy_back(request.args, &placements, backend.bulk())?;
    }
    reply
}

/// Copies the writable arrays of `args` back from the bulk segment, where `placements`
/// says they went.
fn copy_back(args: &[ValueRef<'_>], placements: &Placements, bulk: &BulkWriter) -> Result<()> {
    for (i, offset) in placements.in_bulk() {
        let Some(ValueRef::ArrayMut(a)) = args.get(i) else {
            continue; // a large read-only array
        };
        let (base, len) = bulk
            .mapped()
            .ok_or_else(|| Error::Protocol("writable arrays without a bulk segment".into()))?;
        if offset + a.byte_len() > len {
            return Err(Error::Protocol(
                "writable array outside the bulk segment".into(),
            ));
        }
        // SAFETY: in bounds of our own bulk mapping (checked), which is not the caller's
        // slice; the call's argument list is the only holder of the slice.
        unsafe { a.copy_back(base.add(offset)) };
    }
    Ok(())
}

/// Whether any argument is a shared array (which the server reads or writes in place) or
/// a writable array (which it writes in the request's bulk segment).
pub(super) fn passes_shared(args: &[ValueRef<'_>]) -> bool {
    args.iter()
        .any(|v| matches!(v, ValueRef::Shared(_) | ValueRef::ArrayMut(_)))
}
