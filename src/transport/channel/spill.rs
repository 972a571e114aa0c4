//! Records larger than a ring keeps inline: the sender writes the whole record in its
//! bulk segment (after the record's own bulk payloads) and sends a small [`KIND_SPILL`]
//! record naming where; the receiver maps that segment and reads the record there as if
//! it were in the ring. So lists, maps, strings and error messages of any size travel
//! with a small ring, which keeps each bridge's reserved memory small.
//!
//! A spill names the bulk segment, so, like a record with bulk payloads, it waits until
//! the peer has released every earlier record: the segment is never rewritten while the
//! peer may still read it. The peer releases the small ring record once it is done with
//! the spilled one.

use std::mem::size_of;

use zerocopy::{FromBytes, IntoBytes};

use super::record::Framed;
use super::{Channel, Incoming, RawRecord, Side, Wait};
use crate::error::{Error, Result};
use crate::transport::bulk::{BulkWriter, SegmentCache};
use crate::transport::codec::{BulkTarget, Placements, SegmentMap};
use crate::transport::ring::Peeked;
use crate::transport::wire::{
    align_up, location, RecordHeader, SpillRef, KIND_SPILL, RECORD_ALIGN, RECORD_HEADER_SIZE,
};

/// Bytes of a [`KIND_SPILL`] record in the ring.
const SPILL_LEN: usize = RECORD_ALIGN;

/// Where a received spilled record is: in the channel's mapping of the sender's bulk
/// segment.
pub(crate) struct Spilled {
    location: u8,
    segment: u32,
    offset: usize,
    len: usize,
}

/// The receiving side's view of the sender's bulk segment, for spilled records.
#[derive(Default)]
pub(super) struct SpillReader {
    /// The sender's latest bulk generation that named a spilled record, mapped on first
    /// use (its own cache, so the block's payload mappings never unmap a record in use).
    cache: Option<SegmentCache>,
    /// Why the last spilled record could not be read.
    failed: Option<String>,
}

impl Channel {
    /// Sends `record`, too long for the ring, whole through the bulk segment: its
    /// payloads first, then the record, then a [`KIND_SPILL`] record in the ring.
    #[cold]
    #[inline(never)]
    pub(super) fn send_spilled(
        &self,
        record: Framed<'_, '_>,
        bulk: &mut BulkWriter,
        wait: Wait,
        alive: &mut dyn FnMut() -> Result<()>,
    ) -> Result<Option<Placements>> {
        let len = record.len;
        if len > u32::MAX as usize {
            return Err(Error::InvalidArgument(format!(
                "a record of {len} bytes is longer than 4 GiB (lists, maps and strings travel in one record; use arrays for bulk data)"
            )));
        }
        let seq = record.header.seq;
        if !self.wait_spill_room(wait, alive)? {
            return Ok(None);
        }
        let payloads = align_up(record.bulk_len(), RECORD_ALIGN);
        let need = payloads.checked_add(len).ok_or_else(|| {
            Error::InvalidArgument(format!("a record of {len} bytes is too long"))
        })?;
        let t = bulk.target_for_spill(need)?;
        // SAFETY: `[0, payloads)` of the segment, which is this writer's own, mapped
        // writable and not read by the peer (it has released every earlier record); the
        // record's bytes below are disjoint from it.
        let payload_target = (payloads > 0)
            .then(|| unsafe { BulkTarget::new(t.ptr, payloads, t.location, t.generation) });
        // SAFETY: `payloads + len <= t.len` (the target holds `need`), as above; nothing
        // else reaches these bytes until the spill record below is published.
        let dst = unsafe { std::slice::from_raw_parts_mut(t.ptr.add(payloads), len) };
        let placements = record.write(dst, payload_target.as_ref())?;
        self.publish_spill(seq, &t, payloads, len);
        Ok(Some(placements))
    }

    /// [`send_raw`](Self::send_raw) for a record too long for the ring: its block is
    /// written in the bulk segment (`fill` is given offset 0, which is not in the ring).
    /// Only for records whose block holds no address in the ring (a foreign call's reply).
    #[cold]
    #[inline(never)]
    pub(crate) fn send_raw_spilled(
        &self,
        record: RawRecord,
        bulk: &mut BulkWriter,
        wait: Wait,
        alive: &mut dyn FnMut() -> Result<()>,
        fill: impl FnOnce(&mut [u8], usize) -> Result<()>,
    ) -> Result<Option<()>> {
        let len = record.len();
        if len > u32::MAX as usize {
            return Err(Error::InvalidArgument(format!(
                "a record of {len} bytes is longer than 4 GiB"
            )));
        }
        if !self.wait_spill_room(wait, alive)? {
            return Ok(None);
        }
        let t = bulk.target_for_spill(len)?;
        // SAFETY: `len <= t.len`; the segment is this writer's own, mapped writable, and
        // the peer reads none of it (it has released every earlier record).
        let dst = unsafe { std::slice::from_raw_parts_mut(t.ptr, len) };
        record.write(dst, 0, fill)?;
        self.publish_spill(record.seq, &t, 0, len);
        Ok(Some(()))
    }

    /// Whether a record of `len` bytes goes whole to the bulk segment.
    pub(crate) fn spills(&self, len: usize) -> bool {
        len > self.spill_above
    }

    /// Waits until a spill record fits the ring and the peer has released every
    /// earlier record (which may name the bulk segment about to be rewritten).
    fn wait_spill_room(&self, wait: Wait, alive: &mut dyn FnMut() -> Result<()>) -> Result<bool> {
        let tx = &self.tx;
        self.wait_until(|| tx.has_space(SPILL_LEN) && tx.is_drained(), wait, alive)
    }

    /// Publishes the ring record that names `len` bytes at `offset` of bulk target `t`.
    fn publish_spill(&self, seq: u64, t: &BulkTarget, offset: usize, len: usize) {
        let mut header = RecordHeader::new(KIND_SPILL, SPILL_LEN as u32, seq);
        header.block_offset = RECORD_HEADER_SIZE as u32;
        header.block_len = size_of::<SpillRef>() as u32;
        let r = SpillRef {
            offset: offset as u64,
            len: len as u64,
            segment: t.generation,
            location: t.location,
            _reserved: [0; 3],
        };
        // SAFETY: we are this ring's only producer and `has_space(SPILL_LEN)` held (the
        // wait above; only this producer consumes space); published at once.
        let dst = unsafe { self.tx.reserve(SPILL_LEN) };
        dst[..RECORD_HEADER_SIZE].copy_from_slice(header.as_bytes());
        dst[RECORD_HEADER_SIZE..RECORD_HEADER_SIZE + size_of::<SpillRef>()]
            .copy_from_slice(r.as_bytes());
        self.tx.publish(SPILL_LEN);
    }

    /// A [`KIND_SPILL`] record just received: the record it names, mapped. If that
    /// fails, the ring record itself, whose kind tells the receiver to report
    /// [`spill_error`](Self::spill_error).
    #[cold]
    #[inline(never)]
    pub(super) fn unspill(&mut self, p: Peeked) -> Incoming {
        match self.map_spilled(&p) {
            Ok(s) => Incoming::Spilled(p, s),
            Err(e) => {
                self.spill.failed = Some(e.to_string());
                Incoming::Ring(p)
            }
        }
    }

    fn map_spilled(&mut self, p: &Peeked) -> Result<Spilled> {
        let view = super::RecordView::parse(self.rx.record(p))?;
        let r = SpillRef::read_from_prefix(view.block)
            .map_err(|_| Error::Protocol("a spill record without its reference".into()))?
            .0;
        let peer = match self.side {
            Side::Server => location::CLIENT_BULK,
            Side::Client => location::SERVER_BULK,
        };
        if r.location != peer {
            return Err(Error::Protocol(format!(
                "a spilled record in segment location {}",
                r.location
            )));
        }
        let bad = || {
            Error::Protocol(format!(
                "a spilled record of {} bytes at {} is outside its segment",
                r.len, r.offset
            ))
        };
        let offset = usize::try_from(r.offset).map_err(|_| bad())?;
        let len = usize::try_from(r.len).map_err(|_| bad())?;
        let base = self.segment.name();
        let cache = self
            .spill
            .cache
            .get_or_insert_with(|| SegmentCache::new(base));
        let (_, seg_len) = cache.map(r.location, r.segment)?;
        if !offset.is_multiple_of(RECORD_ALIGN)
            || len < RECORD_HEADER_SIZE
            || offset.checked_add(len).is_none_or(|end| end > seg_len)
        {
            return Err(bad());
        }
        Ok(Spilled {
            location: r.location,
            segment: r.segment,
            offset,
            len,
        })
    }

    /// The bytes of a received spilled record (empty if its segment is no longer the
    /// one mapped, which `recv` never does while a record is held).
    pub(super) fn spilled_bytes(&self, s: &Spilled) -> &[u8] {
        let seg = self
            .spill
            .cache
            .as_ref()
            .and_then(|c| c.segment(s.location, s.segment));
        match seg {
            Some((ptr, seg_len)) if s.offset + s.len <= seg_len => {
                // SAFETY: inside the mapping (checked), which stays mapped while `self`
                // is borrowed (only `recv`, through `&mut self`, remaps); the bytes are
                // read as the ring's are: every length and offset in them is checked.
                unsafe { std::slice::from_raw_parts(ptr.add(s.offset), s.len) }
            }
            _ => &[],
        }
    }

    /// Why the last [`KIND_SPILL`] record received could not be read.
    pub(crate) fn spill_error(&self) -> Error {
        Error::SharedMemory(match &self.spill.failed {
            Some(why) => format!("a record too long for the ring could not be read: {why}"),
            None => "a record too long for the ring could not be read".into(),
        })
    }
}
