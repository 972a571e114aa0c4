//! Where an encoded block's payloads go: the bulk segment a writer fills, and where each
//! array argument ended up.

use smallvec::SmallVec;

/// A place for payloads too large to go inline.
pub struct BulkTarget {
    /// Start of the mapped bulk segment (64-aligned).
    pub(crate) ptr: *mut u8,
    /// Its length.
    pub(crate) len: usize,
    /// [`location::CLIENT_BULK`](crate::transport::wire::location::CLIENT_BULK) or
    /// [`location::SERVER_BULK`](crate::transport::wire::location::SERVER_BULK).
    pub(crate) location: u8,
    /// The segment's generation.
    pub(crate) generation: u32,
}

impl BulkTarget {
    /// A target at `ptr` of `len` bytes, which a peer knows as segment `generation` at
    /// `location`.
    ///
    /// # Safety
    /// `ptr..ptr + len` must be writable and not reached by anything else while
    /// [`Encoder::write`](super::Encoder::write) fills it (in particular not by the
    /// arguments written), except by an array payload that is exactly where the encoder
    /// places it (a result written in place at the start of the segment), which it then
    /// does not copy. (A peer reads arrays from it aligned to 64 from its start: a real
    /// segment's start is page-aligned.)
    pub unsafe fn new(ptr: *mut u8, len: usize, location: u8, generation: u32) -> BulkTarget {
        BulkTarget {
            ptr,
            len,
            location,
            generation,
        }
    }

    /// Its length.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether it has no room.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// Where one array argument went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placement {
    /// Into the block, this many bytes from its start.
    Inline(usize),
    /// Into the bulk segment, this many bytes from its start. A writable array always
    /// goes there: the peer writes it in place, and the writer copies it back.
    Bulk(usize),
    /// Nowhere: a shared array, read in place in its own segment (this id).
    Shared(u32),
}

/// Where each array argument of an encoded block went, by the argument's index (in
/// order; arguments that are not arrays have no entry).
///
/// ```
/// use loadlib::ValueRef;
/// use loadlib::__private::codec::{Encoder, Placement};
/// let x = [1.0f64, 2.0];
/// let args = [ValueRef::I32(7), ValueRef::from(&x[..])];
/// let encoder = Encoder::new(&args, usize::MAX, 0).unwrap();
/// let mut block = vec![0u8; encoder.plan().block_len];
/// let placements = encoder.write(&mut block, None).unwrap();
/// assert!(matches!(placements.iter().next(), Some((1, Placement::Inline(_)))));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Placements(SmallVec<[Entry; 2]>);

/// One placement, packed in 16 bytes: a call's result carries them, and the small-call
/// path moves the list a few times.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Entry {
    /// The offset, or a shared array's id.
    at: u64,
    /// The argument's index.
    arg: u32,
    /// Which [`Placement`].
    kind: u32,
}

const INLINE: u32 = 0;
const BULK: u32 = 1;
const SHARED: u32 = 2;

impl Placements {
    pub(super) fn push(&mut self, arg: usize, placement: Placement) {
        let (kind, at) = match placement {
            Placement::Inline(at) => (INLINE, at as u64),
            Placement::Bulk(at) => (BULK, at as u64),
            Placement::Shared(id) => (SHARED, id as u64),
        };
        self.0.push(Entry {
            at,
            arg: arg as u32, // at most MAX_ARGS
            kind,
        });
    }

    /// Each array argument's index and where it went.
    pub fn iter(&self) -> impl Iterator<Item = (usize, Placement)> + '_ {
        self.0.iter().map(|e| {
            let placement = match e.kind {
                INLINE => Placement::Inline(e.at as usize),
                BULK => Placement::Bulk(e.at as usize),
                _ => Placement::Shared(e.at as u32),
            };
            (e.arg as usize, placement)
        })
    }

    /// The arguments that went to the bulk segment, and their offsets there.
    pub fn in_bulk(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        self.0
            .iter()
            .filter(|e| e.kind == BULK)
            .map(|e| (e.arg as usize, e.at as usize))
    }

    /// Whether no argument is an array.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}
