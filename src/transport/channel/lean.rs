//! The lean path of a small call: a record of packed scalars written straight into the
//! ring, with no encoder, descriptor or name.

use zerocopy::IntoBytes;

use super::{Channel, Incoming, Wait};
use crate::error::{Error, Result};
use crate::transport::codec::{read_packed_raw, write_packed_block, Packed};
use crate::transport::wire::{
    align_up, packed_block_len, RecordHeader, KIND_REPLY, MAX_NAME_LEN, MAX_PACKED, RECORD_ALIGN,
    RECORD_HEADER_SIZE,
};

impl Channel {
    /// Sends a record of `kind` whose block is `values`, packed, after `name` (a method
    /// called by name; empty when `method` says which), waiting for ring space as `wait`
    /// says: `Ok(false)` when it ran out first. In place only: the caller checked
    /// [`in_place`](Self::in_place) (a file transport sends its records through files).
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    pub(crate) fn send_packed(
        &self,
        kind: u16,
        seq: u64,
        method: u32,
        name: &[u8],
        values: &Packed,
        wait: Wait,
        alive: &mut dyn FnMut() -> Result<()>,
    ) -> Result<bool> {
        let (types, bits) = (values.types(), values.bits());
        self.send_packed_values(kind, seq, method, name, types, bits, wait, alive)
    }

    /// [`send_packed`](Self::send_packed) with the values given as their type bytes and
    /// bits (one of each per value, at most [`MAX_PACKED`]): a reply of one value needs
    /// no [`Packed`] (152 bytes, zeroed) made first.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    pub(crate) fn send_packed_values(
        &self,
        kind: u16,
        seq: u64,
        method: u32,
        name: &[u8],
        types: &[u8],
        bits: &[u64],
        wait: Wait,
        alive: &mut dyn FnMut() -> Result<()>,
    ) -> Result<bool> {
        debug_assert!(self.in_place());
        if types.len() != bits.len() || types.len() > MAX_PACKED {
            return Err(Error::InvalidArgument(format!(
                "{} type bytes and {} values to pack",
                types.len(),
                bits.len()
            )));
        }
        if name.len() > MAX_NAME_LEN {
            return Err(Error::InvalidArgument(format!(
                "name of {} bytes is longer than {MAX_NAME_LEN}",
                name.len()
            )));
        }
        let block_offset = align_up(RECORD_HEADER_SIZE + name.len(), 8);
        let block_len = packed_block_len(types.len());
        // At most 32 + 1024 + 8 + 16 + 128 bytes: far below a quarter of any ring.
        let len = align_up(block_offset + block_len, RECORD_ALIGN);
        let tx = &self.tx;
        if !tx.has_space(len) && !self.wait_until(|| tx.has_space(len), wait, alive)? {
            return Ok(false);
        }
        let mut header = RecordHeader::new(kind, len as u32, seq);
        header.method = method;
        header.name_len = name.len() as u32;
        header.block_offset = block_offset as u32;
        header.block_len = block_len as u32;
        // SAFETY: we are this ring's only producer and `has_space(len)` held; the record
        // is published below, before the next reservation.
        let dst = unsafe { tx.reserve(len) };
        dst[..RECORD_HEADER_SIZE].copy_from_slice(header.as_bytes());
        if !name.is_empty() {
            dst[RECORD_HEADER_SIZE..RECORD_HEADER_SIZE + name.len()].copy_from_slice(name);
        }
        write_packed_block(types, bits, &mut dst[block_offset..]);
        self.commit(len);
        Ok(true)
    }

    /// The next record, if it is the reply to request `want` holding one packed value:
    /// that value's type byte (checked) and bits, the record released. Anything else
    /// (another record, none yet, a file transport's) is left where it is for the
    /// general path.
    #[inline]
    pub(crate) fn take_packed_reply(&self, want: u64) -> Option<(u8, u64)> {
        self.take_reply(want, KIND_REPLY, read_packed_raw)
    }

    /// The next record, if it is a record of `kind` answering request `want` with no
    /// name, handed to `read` (its block) while it is held, and released if `read` gives
    /// `Some`. Anything else (another record, none yet, a file transport's) is left where
    /// it is for the general path ([`recv`](Self::recv)).
    #[inline]
    pub(crate) fn take_reply<T>(
        &self,
        want: u64,
        kind: u16,
        read: impl FnOnce(&[u8]) -> Option<T>,
    ) -> Option<T> {
        if !self.in_place() {
            return None;
        }
        let p = self.rx.peek().ok()??;
        let bytes = self.rx.record(&p);
        let h = RecordHeader::read(bytes);
        if h.kind != kind || h.seq != want || h.name_len != 0 {
            return None;
        }
        let at = h.block_offset as usize;
        let block = bytes.get(at..at.checked_add(h.block_len as usize)?)?;
        let value = read(block)?;
        self.release(Incoming::Ring(p));
        Some(value)
    }
}
