//! The lean path of a small call: a record of packed scalars written straight into the
//! ring, with no encoder, descriptor or name.

use zerocopy::IntoBytes;

use super::{Channel, Wait};
use crate::error::Result;
use crate::transport::codec::Packed;
use crate::transport::wire::{align_up, RecordHeader, RECORD_ALIGN, RECORD_HEADER_SIZE};

impl Channel {
    /// Sends a record of `kind` whose block is `values`, packed, waiting for ring space as
    /// `wait` says: `Ok(false)` when it ran out first. In place only: the caller checked
    /// [`in_place`](Self::in_place) (a file transport sends its records through files).
    #[inline]
    pub(crate) fn send_packed(
        &self,
        kind: u16,
        seq: u64,
        method: u32,
        values: &Packed,
        wait: Wait,
        alive: &mut dyn FnMut() -> Result<()>,
    ) -> Result<bool> {
        debug_assert!(self.in_place());
        let block_len = values.block_len();
        // At most 32 + 8 + 16 + 128 bytes: far below any ring's capacity.
        let len = align_up(RECORD_HEADER_SIZE + block_len, RECORD_ALIGN);
        let tx = &self.tx;
        if !tx.has_space(len) && !self.wait_until(|| tx.has_space(len), wait, alive)? {
            return Ok(false);
        }
        let mut header = RecordHeader::new(kind, len as u32, seq);
        header.method = method;
        header.block_offset = RECORD_HEADER_SIZE as u32;
        header.block_len = block_len as u32;
        // SAFETY: we are this ring's only producer and `has_space(len)` held; the record
        // is published below, before the next reservation.
        let dst = unsafe { tx.reserve(len) };
        dst[..RECORD_HEADER_SIZE].copy_from_slice(header.as_bytes());
        values.write(&mut dst[RECORD_HEADER_SIZE..]);
        self.commit(len);
        Ok(true)
    }
}
