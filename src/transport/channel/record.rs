//! The records a channel carries: a received one's validated parts, and what a sender
//! gives to have one written.

use zerocopy::IntoBytes;

use crate::error::{Error, Result};
use crate::transport::codec::{Block, BulkTarget, Encoder, Placements};
use crate::transport::wire::{
    align_up, RecordHeader, MAX_NAME_LEN, RECORD_ALIGN, RECORD_HEADER_SIZE,
};
use crate::values::value_ref::ValueRef;

/// A record's validated parts.
pub struct RecordView<'a> {
    /// The fixed header.
    pub header: RecordHeader,
    /// The name bytes (method, or error name).
    pub name: &'a [u8],
    /// The argument block (may be empty for control records).
    pub block: &'a [u8],
}

impl<'a> RecordView<'a> {
    /// Checks a record's header, name and block bounds.
    pub fn parse(bytes: &'a [u8]) -> Result<Self> {
        if bytes.len() < RECORD_HEADER_SIZE {
            return Err(Error::Protocol(format!("record of {} bytes", bytes.len())));
        }
        let header = RecordHeader::read(bytes);
        let name_len = header.name_len as usize;
        if name_len > MAX_NAME_LEN || RECORD_HEADER_SIZE + name_len > bytes.len() {
            return Err(Error::Protocol(format!(
                "name of {name_len} bytes does not fit the record"
            )));
        }
        let (b0, bl) = (header.block_offset as usize, header.block_len as usize);
        if bl > 0
            && (b0 < RECORD_HEADER_SIZE + name_len
                || b0 % 8 != 0
                || b0.checked_add(bl).is_none_or(|e| e > bytes.len()))
        {
            return Err(Error::Protocol(format!(
                "block {b0}+{bl} is outside the {}-byte record",
                bytes.len()
            )));
        }
        Ok(RecordView {
            header,
            name: &bytes[RECORD_HEADER_SIZE..RECORD_HEADER_SIZE + name_len],
            // An empty block may name any offset: it is never read.
            block: if bl == 0 { &[] } else { &bytes[b0..b0 + bl] },
        })
    }

    /// Parses the record's block.
    pub(crate) fn parse_block(&self) -> Result<Block<'a>> {
        Block::parse(self.block).map_err(|e| Error::Protocol(e.0))
    }
}

/// A record to send: its values are encoded into its block.
#[derive(Clone, Copy)]
pub(crate) struct Outgoing<'a, 'v> {
    /// One of the `KIND_*` codes.
    pub kind: u16,
    /// The sequence number (a request's, echoed by its reply).
    pub seq: u64,
    /// The method or error name (may be empty when `method` says which).
    pub name: &'a [u8],
    /// 1 + the method's index in the server's table, or 0.
    pub method: u32,
    /// The arguments, or the reply's one value.
    pub args: &'a [ValueRef<'v>],
}

impl<'a, 'v> Outgoing<'a, 'v> {
    /// A record of `kind` with a name and values, no method index.
    pub(crate) fn new(kind: u16, seq: u64, name: &'a [u8], args: &'a [ValueRef<'v>]) -> Self {
        Outgoing {
            kind,
            seq,
            name,
            method: 0,
            args,
        }
    }

    /// The record's header and the encoder of its block, with payloads longer than
    /// `inline_limit` going to the bulk segment.
    #[inline]
    pub(super) fn frame(&self, inline_limit: usize) -> Result<Framed<'a, 'v>> {
        if self.name.len() > MAX_NAME_LEN {
            return Err(Error::InvalidArgument(format!(
                "name of {} bytes is longer than {MAX_NAME_LEN}",
                self.name.len()
            )));
        }
        // The block follows the name at the next 8-byte boundary (a small call fits in two
        // cache lines); arrays inside it are aligned to 64 relative to the record.
        let block_offset = align_up(RECORD_HEADER_SIZE + self.name.len(), 8);
        let encoder = Encoder::new(self.args, inline_limit, block_offset % RECORD_ALIGN)
            .map_err(|e| Error::InvalidArgument(e.0))?;
        let block_len = encoder.plan().block_len;
        let len = align_up(block_offset + block_len, RECORD_ALIGN);
        let mut header = RecordHeader::new(self.kind, len.min(u32::MAX as usize) as u32, self.seq);
        header.name_len = self.name.len() as u32;
        header.method = self.method;
        header.block_offset = block_offset as u32;
        header.block_len = block_len as u32;
        Ok(Framed {
            header,
            len,
            name: self.name,
            encoder,
        })
    }
}

/// A record sized and ready to write: its header, name and block encoder.
pub(super) struct Framed<'a, 'v> {
    pub(super) header: RecordHeader,
    /// The record's length (a multiple of [`RECORD_ALIGN`]; the header's, unless too long
    /// for it).
    pub(super) len: usize,
    name: &'a [u8],
    encoder: Encoder<'a, 'v>,
}

impl Framed<'_, '_> {
    /// Bytes the block needs in the bulk segment.
    pub(super) fn bulk_len(&self) -> usize {
        self.encoder.plan().bulk_len
    }

    /// Writes the record into `dst` (`len` bytes) and its large payloads into `bulk`;
    /// where each array argument went.
    #[inline]
    pub(super) fn write(self, dst: &mut [u8], bulk: Option<&BulkTarget>) -> Result<Placements> {
        let h = &self.header;
        dst[..RECORD_HEADER_SIZE].copy_from_slice(h.as_bytes());
        dst[RECORD_HEADER_SIZE..RECORD_HEADER_SIZE + self.name.len()].copy_from_slice(self.name);
        let (at, block_len) = (h.block_offset as usize, h.block_len as usize);
        self.encoder
            .write(&mut dst[at..at + block_len], bulk)
            .map_err(|e| Error::InvalidArgument(e.0))
    }
}

/// A record whose block the sender writes itself (a foreign call's frame, or its reply):
/// no name, `method` in its header.
#[derive(Clone, Copy)]
pub(crate) struct RawRecord {
    /// One of the `KIND_*` codes.
    pub kind: u16,
    /// The sequence number.
    pub seq: u64,
    /// The function's id, or 0.
    pub method: u32,
    /// Bytes of the block.
    pub block_len: usize,
    /// Whether the block names the bulk segment: then the record waits until the peer
    /// has released every earlier record, which may still be read from it.
    pub names_bulk: bool,
}

impl RawRecord {
    /// The record's length: its header and block, rounded up to [`RECORD_ALIGN`].
    #[inline]
    pub(super) fn len(&self) -> usize {
        align_up(RECORD_HEADER_SIZE + self.block_len, RECORD_ALIGN)
    }

    /// Writes the record into `dst` (`len` bytes): its header, then the block that
    /// `fill` writes, given `offset` (where the record starts in the ring).
    #[inline]
    pub(super) fn write(
        &self,
        dst: &mut [u8],
        offset: usize,
        fill: impl FnOnce(&mut [u8], usize) -> Result<()>,
    ) -> Result<()> {
        fill(self.write_header(dst), offset)
    }

    /// Writes the record's header into `dst` (`len` bytes) and gives its block to fill.
    #[inline(always)]
    pub(super) fn write_header<'a>(&self, dst: &'a mut [u8]) -> &'a mut [u8] {
        let mut header = RecordHeader::new(self.kind, dst.len() as u32, self.seq);
        header.method = self.method;
        header.block_offset = RECORD_HEADER_SIZE as u32;
        header.block_len = self.block_len as u32;
        dst[..RECORD_HEADER_SIZE].copy_from_slice(header.as_bytes());
        &mut dst[RECORD_HEADER_SIZE..RECORD_HEADER_SIZE + self.block_len]
    }
}

/// What writes a record's block for [`Channel::try_send_raw`](super::Channel::try_send_raw):
/// a type whose `write_block` is inlined where the record is reserved (a closure there
/// may be left out of line).
pub(crate) trait WriteBlock {
    /// Writes the whole block (`block.len()` bytes).
    fn write_block(&self, block: &mut [u8]);
}

/// A block given as its bytes.
impl WriteBlock for [u8] {
    #[inline(always)]
    fn write_block(&self, block: &mut [u8]) {
        block.copy_from_slice(self);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::wire::KIND_REQUEST;

    #[test]
    fn an_empty_block_past_the_end_of_the_record_is_not_read() {
        let mut h = RecordHeader::new(KIND_REQUEST, 64, 1);
        h.block_offset = 4096;
        let mut bytes = [0u8; 64];
        bytes[..RECORD_HEADER_SIZE].copy_from_slice(h.as_bytes());
        let view = RecordView::parse(&bytes).expect("a record with no block");
        assert!(view.block.is_empty());
    }
}
