//! The in-process backend: a wrapper called in this process, through the same encoding,
//! checks and copy-back as a server (the original tool's `host=None`).

use std::sync::Mutex;

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

use super::{Backend, Exchange, Method, Request};
use crate::client::shared_array::{SharedArray, SharedArrays};
use crate::error::{Error, Result};
use crate::server::{self, Dispatch, ServerError};
use crate::transport::bulk::{BulkWriter, SegmentCache};
use crate::transport::codec::{Block, Encoder};
use crate::transport::shm;
use crate::transport::wire::location;
use crate::values::value::Value;
use crate::values::value_ref::ValueRef;
use crate::InterfaceId;

/// A wrapper called in this process.
pub(in crate::client) struct InProcess {
    local: Mutex<Local>,
    arrays: SharedArrays,
}

/// What a call in process uses, one call at a time.
struct Local {
    wrapper: Box<dyn Dispatch + Send>,
    /// Where writable arrays go, as in a request to a server.
    bulk: BulkWriter,
    /// The prefix of this connection's segment names.
    base: String,
}

/// One 64-byte line of an argument block: the block is 64-aligned, as in a ring.
#[derive(Clone, Copy, FromBytes, IntoBytes, Immutable, KnownLayout)]
#[repr(C, align(64))]
struct Line([u8; 64]);

impl InProcess {
    /// Runs `wrapper` in this process.
    pub(in crate::client) fn new(wrapper: impl Dispatch + Send + 'static) -> Result<InProcess> {
        let base = shm::new_base_name()?;
        Ok(InProcess {
            arrays: SharedArrays::new(&base, None),
            local: Mutex::new(Local {
                wrapper: Box::new(wrapper),
                bulk: BulkWriter::new(&base, location::CLIENT_BULK),
                base,
            }),
        })
    }

    /// Calls `method` of the wrapper.
    pub(in crate::client) fn call(&self, method: &str, args: &[ValueRef<'_>]) -> Result<Value> {
        self.arrays.check_args(args)?;
        // Arrays dropped by the caller need no notice here: each call maps afresh.
        drop(self.arrays.take_freed());
        let mut local = self.local.lock().unwrap_or_else(|p| p.into_inner());
        super::call(
            &mut *local,
            Request {
                method: Method::named(method),
                args,
                freed: &[],
            },
        )
    }

    /// Calls method `index` of the wrapper's table (`name` for messages).
    pub(in crate::client) fn call_index(
        &self,
        name: &str,
        index: u32,
        args: &[ValueRef<'_>],
    ) -> Result<Value> {
        self.arrays.check_args(args)?;
        drop(self.arrays.take_freed());
        let mut local = self.local.lock().unwrap_or_else(|p| p.into_inner());
        super::call(
            &mut *local,
            Request {
                method: Method::indexed(name, index)?,
                args,
                freed: &[],
            },
        )
    }

    /// The interface the wrapper implements, if any.
    pub(in crate::client) fn interface(&self) -> Option<InterfaceId> {
        let local = self.local.lock().unwrap_or_else(|p| p.into_inner());
        local.wrapper.interface()
    }

    /// A zeroed array in shared memory.
    pub(in crate::client) fn alloc_array<T: crate::Element>(
        &self,
        shape: &[usize],
    ) -> Result<SharedArray<T>> {
        self.arrays.alloc(shape)
    }
}

impl Backend for Local {
    fn exchange(&mut self, request: Request<'_, '_>) -> Result<Exchange> {
        let encoder =
            Encoder::new(request.args, usize::MAX, 0).map_err(|e| Error::InvalidArgument(e.0))?;
        let plan = encoder.plan();
        let mut lines = vec![Line([0; 64]); plan.block_len.div_ceil(64)];
        let bytes = &mut lines.as_mut_bytes()[..plan.block_len];
        // Writable arrays go to a bulk segment and come back from it, as with a server.
        let target = match plan.bulk_len {
            0 => None,
            n => Some(self.bulk.target(n)?),
        };
        let placements = encoder
            .write(bytes, target.as_ref())
            .map_err(|e| Error::InvalidArgument(e.0))?;
        let block = Block::parse(bytes).map_err(|e| Error::Protocol(e.0))?;
        let mut cache = SegmentCache::new(&self.base);
        // The method as a server finds it: by index in the wrapper's table (an index past
        // it is the error a server gives), or by name.
        let table = self.wrapper.method_names();
        let method = match request.method.index {
            0 => Some(server::Method::named(table, request.method.name)),
            i => server::Method::at(table, i as usize - 1),
        };
        let reply = match method {
            Some(m) => server::call_block(&mut *self.wrapper, m, block, &mut cache),
            None => Err(ServerError::new(
                "ProtocolError",
                format!(
                    "method {} of a table of {}",
                    request.method.index - 1,
                    table.len()
                ),
            )),
        };
        let reply = match reply {
            Ok(reply) => Ok(reply.as_value_ref().to_value()),
            Err(e) => Err(Error::Server32 {
                kind: e.kind(),
                name: e.name,
                message: e.message,
            }),
        };
        Ok(Exchange { reply, placements })
    }

    fn bulk(&self) -> &BulkWriter {
        &self.bulk
    }
}
