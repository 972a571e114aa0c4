//! Segments outside the rings: bulk segments for payloads too large for a ring (reused
//! and grown, never created per call), and the reader's cache of mapped segments.

use std::collections::HashMap;
use std::sync::atomic::{fence, Ordering};
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::transport::codec::{Block, BulkTarget, SegmentMap};
use crate::transport::shm::Segment;
use crate::transport::wire::{location, tag};

/// Bulk segments grow in steps of this.
const BULK_STEP: usize = 1 << 20;
/// A bulk segment larger than this is replaced by a smaller one when a payload needs less
/// than a quarter of it.
const SHRINK_ABOVE: usize = 64 << 20;

/// Name of a segment of `kind` (`q` client bulk, `p` server bulk, `a` shared array).
pub(crate) fn segment_name(base: &str, location: u8, id: u32) -> String {
    let kind = match location {
        location::CLIENT_BULK => 'q',
        location::SERVER_BULK => 'p',
        _ => 'a',
    };
    format!("{base}-{kind}{id}")
}

/// The writer's bulk segment: one at a time, replaced by a larger one when too small.
///
/// A server also lends the start of its segment to a wrapper's result array
/// ([`OutVec`](crate::server::OutVec)), which holds a clone of the `Arc`: while anything
/// but the writer holds the segment, the writer never writes in it again, and takes a
/// new generation instead; the only exception is the lent array itself being sent in
/// place ([`sending`](Self::sending)), and never for a record spilled whole.
#[derive(Default)]
pub(crate) struct BulkWriter {
    base: String,
    location: u8,
    generation: u32,
    segment: Option<Arc<Segment>>,
    /// Holders of the segment, besides the writer, that it may write over: 1 while the
    /// array lent from it is being sent in place, else 0.
    in_place: usize,
}

impl BulkWriter {
    /// A writer that has not created a segment yet.
    pub(crate) fn new(base: &str, location: u8) -> Self {
        BulkWriter {
            base: base.to_owned(),
            location,
            generation: 0,
            segment: None,
            in_place: 0,
        }
    }

    /// A target of at least `need` bytes: a new generation when the current segment is
    /// too small, or far too large. A 32-bit peer maps the segment whole, so one huge
    /// payload must not keep its address space taken for every later call.
    pub(crate) fn target(&mut self, need: usize) -> Result<BulkTarget> {
        let held = self.segment.as_ref().map_or(0, |s| s.len());
        let grow = held < need;
        let shrink = held > SHRINK_ABOVE && need < held / 4;
        // A segment something else still holds (a result array a wrapper kept) is never
        // written again: it may be read through that holder.
        let taken = self
            .segment
            .as_ref()
            .is_some_and(|s| Arc::strong_count(s) > 1 + self.in_place);
        if self.segment.is_none() || grow || shrink || taken {
            let size = need
                .div_ceil(BULK_STEP)
                .max(1)
                .checked_mul(BULK_STEP)
                .ok_or_else(|| {
                    Error::InvalidArgument(format!("{need} bytes are more than memory holds"))
                })?;
            // Growing steps up by half again, so a slowly rising size does not make a
            // new segment each call.
            let size = if grow {
                size.max(held + held / 2)
            } else {
                size
            };
            // Drop (and unlink) the old one first, so both never hold memory at once.
            self.segment = None;
            self.generation += 1;
            let name = segment_name(&self.base, self.location, self.generation);
            self.segment = Some(Arc::new(Segment::create(&name, size)?));
        } else {
            // Acquire: pairs with the Release decrement of the count by the last other
            // holder's drop (an `OutVec`, perhaps on another thread), so its writes to the
            // segment happen before the writer's.
            fence(Ordering::Acquire);
        }
        let s = self.segment.as_ref().expect("just ensured");
        if s.len() < need {
            return Err(Error::InvalidArgument(format!(
                "{need} bytes do not fit a segment of {}",
                s.len()
            )));
        }
        // SAFETY: the segment is mapped writable for its length, is this writer's own (no
        // other holder, or only the array being sent in place, which is not written
        // through while it is sent), and outlives the target's use (a send, within this
        // borrow of the writer's owner).
        Ok(unsafe { BulkTarget::new(s.as_ptr(), s.len(), self.location, self.generation) })
    }

    /// A target for a whole record spilled to the segment: never the segment of an
    /// array being sent in place, even then (the record would be written over it).
    pub(crate) fn target_for_spill(&mut self, need: usize) -> Result<BulkTarget> {
        let in_place = std::mem::take(&mut self.in_place);
        let t = self.target(need);
        self.in_place = in_place;
        t
    }

    /// The segment, with at least `need` bytes that nothing else holds, lent out: the
    /// caller may write its first `need` bytes through the returned `Arc` (and its
    /// generation), and the writer writes in it again only once that `Arc` is dropped
    /// or sent in place. Call only when the peer has released every record that named
    /// this writer's segment.
    pub(crate) fn lend(&mut self, need: usize) -> Result<(Arc<Segment>, u32)> {
        self.target(need)?;
        let s = self.segment.as_ref().expect("made by target");
        Ok((Arc::clone(s), self.generation))
    }

    /// Whether `segment` is this writer's current one and nothing else holds it: an
    /// array at its start can be sent in place.
    pub(crate) fn is_sole_lender_of(&self, segment: &Arc<Segment>) -> bool {
        self.segment
            .as_ref()
            .is_some_and(|s| Arc::ptr_eq(s, segment) && Arc::strong_count(s) == 2)
    }

    /// Runs `send` with [`target`](Self::target) allowed to reuse the segment while
    /// `in_place` (the one array lent from it, which [`is_sole_lender_of`] said, is being
    /// sent where it is), and not after, even if `send` unwinds.
    ///
    /// [`is_sole_lender_of`]: Self::is_sole_lender_of
    pub(crate) fn sending<R>(&mut self, in_place: bool, send: impl FnOnce(&mut Self) -> R) -> R {
        /// Ends the allowance.
        struct Reset<'w>(&'w mut BulkWriter);
        impl Drop for Reset<'_> {
            fn drop(&mut self) {
                self.0.in_place = 0;
            }
        }
        self.in_place = usize::from(in_place);
        let w = Reset(self);
        send(&mut *w.0)
    }
}

impl BulkWriter {
    /// Start and length of the current segment, if one was made.
    pub(crate) fn mapped(&self) -> Option<(*mut u8, usize)> {
        self.segment.as_ref().map(|s| (s.as_ptr(), s.len()))
    }
}

/// The reader's mapped segments: the peer's latest bulk generation, and shared arrays.
pub(crate) struct SegmentCache {
    base: String,
    /// The latest mapped generation of the client's and of the server's bulk segment, in
    /// slots (not a hash map: every array of every call looks its segment up).
    bulk: [Option<(u32, Segment)>; 2],
    shared: HashMap<u32, Segment>,
}

/// The slot of a bulk location in [`SegmentCache::bulk`].
fn bulk_slot(location: u8) -> Option<usize> {
    match location {
        location::CLIENT_BULK => Some(0),
        location::SERVER_BULK => Some(1),
        _ => None,
    }
}

impl SegmentCache {
    /// An empty cache for segments named after `base`.
    pub(crate) fn new(base: &str) -> Self {
        SegmentCache {
            base: base.to_owned(),
            bulk: [None, None],
            shared: HashMap::new(),
        }
    }

    /// Maps every segment that `block`'s top-level descriptors name.
    pub(crate) fn prepare(&mut self, block: &Block<'_>) -> Result<()> {
        if block.is_packed() {
            return Ok(()); // Scalars only: no payloads.
        }
        for i in 0..block.len() {
            let d = block.desc(i);
            if !matches!(d.tag, tag::STR | tag::BYTES | tag::ARRAY) {
                continue;
            }
            if matches!(
                d.location,
                location::CLIENT_BULK | location::SERVER_BULK | location::SHARED
            ) {
                self.map(d.location, d.segment)?;
            }
        }
        Ok(())
    }

    /// The segment a relocation names, mapped now if it is not yet: the current bulk
    /// generation of `location`, or shared array `segment`.
    pub(crate) fn map(&mut self, location: u8, segment: u32) -> Result<(*mut u8, usize)> {
        if location == location::SHARED {
            if !self.shared.contains_key(&segment) {
                let seg = self.open(location, segment)?;
                self.shared.insert(segment, seg);
            }
        } else {
            let Some(slot) = bulk_slot(location) else {
                return Err(Error::Protocol(format!(
                    "no segment at location {location}"
                )));
            };
            if self.bulk[slot].as_ref().is_none_or(|(g, _)| *g != segment) {
                // Unmap the old generation first: the peer has replaced it.
                self.bulk[slot] = None;
                let seg = self.open(location, segment)?;
                self.bulk[slot] = Some((segment, seg));
            }
        }
        Ok(self.segment(location, segment).expect("mapped just above"))
    }

    fn open(&self, location: u8, id: u32) -> Result<Segment> {
        // `open` refuses a segment another user could have planted or could read.
        Segment::open(&segment_name(&self.base, location, id))
    }

    /// Forgets a shared array the client released.
    pub(crate) fn release_shared(&mut self, id: u32) {
        self.shared.remove(&id);
    }
}

// SAFETY: every segment it returns is mapped read-write for its length (`Segment::open`)
// and stays mapped while the cache is borrowed (it unmaps only through `&mut self`); this
// process reaches the peer's segments only through the decoded values.
unsafe impl SegmentMap for SegmentCache {
    fn segment(&self, location: u8, segment: u32) -> Option<(*mut u8, usize)> {
        let s = match location {
            location::SHARED => self.shared.get(&segment)?,
            _ => {
                let (g, s) = self.bulk[bulk_slot(location)?].as_ref()?;
                if *g != segment {
                    return None;
                }
                s
            }
        };
        Some((s.as_ptr(), s.len()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::shm;

    #[test]
    fn a_cache_maps_the_latest_bulk_generation_of_each_side_and_refuses_other_locations() {
        let base = shm::new_base_name().expect("a name");
        let mut client = BulkWriter::new(&base, location::CLIENT_BULK);
        client.target(100).expect("generation 1");
        let (p, _) = client.mapped().expect("mapped");
        // SAFETY: the writer's segment is mapped writable and at least 100 bytes long.
        unsafe { p.write(41) };
        let mut cache = SegmentCache::new(&base);
        let (q, len) = cache.map(location::CLIENT_BULK, 1).expect("mapped");
        assert!(len >= 100);
        // SAFETY: the cache's mapping of the same segment, at least 100 bytes long.
        assert_eq!(unsafe { q.read() }, 41);
        assert_eq!(cache.segment(location::CLIENT_BULK, 1), Some((q, len)));
        assert_eq!(cache.segment(location::CLIENT_BULK, 2), None);
        assert_eq!(cache.segment(location::SERVER_BULK, 1), None);
        assert!(cache.map(location::INLINE, 1).is_err());
        assert!(
            cache.map(location::SERVER_BULK, 1).is_err(),
            "never created"
        );

        // A larger payload: a new generation, which replaces the old one in the cache.
        client.target(3 << 20).expect("generation 2");
        let (p, _) = client.mapped().expect("mapped");
        // SAFETY: as above, 3 MiB long.
        unsafe { p.add((3 << 20) - 1).write(42) };
        let (q, len) = cache.map(location::CLIENT_BULK, 2).expect("mapped");
        assert!(len >= 3 << 20);
        // SAFETY: as above.
        assert_eq!(unsafe { q.add((3 << 20) - 1).read() }, 42);
        assert_eq!(cache.segment(location::CLIENT_BULK, 1), None);
        shm::unlink_all(&base);
    }

    #[test]
    fn a_lent_segment_is_never_written_again_while_anything_else_holds_it() {
        let base = shm::new_base_name().expect("a name");
        let mut server = BulkWriter::new(&base, location::SERVER_BULK);
        let (lent, generation) = server.lend(1000).expect("lent");
        assert_eq!(generation, 1);
        assert!(server.is_sole_lender_of(&lent));
        // While the lent array is held, a target is a new generation...
        assert_eq!(server.target(1000).expect("target").generation, 2);
        assert!(
            !server.is_sole_lender_of(&lent),
            "no longer the current one"
        );
        // ...and so is the next loan, while the earlier one is still held.
        let (again, generation) = server.lend(1000).expect("lent");
        assert_eq!(generation, 2);
        // Sending the lent array in place: the writer may target its own segment, but
        // never for a whole spilled record.
        let (t, spill) = server.sending(true, |w| {
            let t = w.target(1000).expect("target");
            (t, w.target_for_spill(1000).expect("target").generation)
        });
        assert_eq!((t.generation, t.ptr), (2, again.as_ptr()));
        assert_eq!(spill, 3);
        // A size no segment can have is an error, not a wrapped-around size.
        assert!(server.target(usize::MAX).is_err());
        assert!(server.lend(usize::MAX - 5).is_err());
        assert_eq!(server.target(1000).expect("target").generation, 3);
        // Once nothing else holds it, the current segment is reused.
        drop(again);
        let current = server.target(1000).expect("target").generation;
        let (third, generation) = server.lend(500).expect("lent");
        assert_eq!(generation, current);
        drop(third);
        assert_eq!(server.target(1000).expect("target").generation, current);
        // The first loan is still mapped, whatever the writer did since.
        // SAFETY: the lent segment is mapped (the `Arc`) and at least 1000 bytes long.
        unsafe { lent.as_ptr().add(999).write(7) };
        shm::unlink_all(&base);
    }
}
