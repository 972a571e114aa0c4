//! Writing argument blocks: a sizing pass, then a writing pass that makes the same
//! inline-or-bulk decision for every payload.

use zerocopy::IntoBytes;

use super::{Item, PayloadKind};
use crate::transport::wire::{
    align_up, location, packed_block_len, tag, ArgDesc, ARG_DESC_SIZE, BLOCK_PACKED, BLOCK_PREFIX,
    FLAG_WRITABLE, MAX_ARGS, MAX_PACKED, MAX_RANK, PAYLOAD_ALIGN,
};
use crate::values::value_ref::ValueRef;

/// Sizes of an encoded block.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    /// Bytes of the block itself (a multiple of 64).
    pub block_len: usize,
    /// Bytes needed in the bulk segment (0 when everything is inline).
    pub bulk_len: usize,
}

/// A place for payloads too large to go inline.
pub struct BulkTarget {
    /// Start of the mapped bulk segment (64-aligned).
    pub(crate) ptr: *mut u8,
    /// Its length.
    pub(crate) len: usize,
    /// [`location::CLIENT_BULK`] or [`location::SERVER_BULK`].
    pub(crate) location: u8,
    /// The segment's generation.
    pub(crate) generation: u32,
}

impl BulkTarget {
    /// A target at `ptr` of `len` bytes, which a peer knows as segment `generation` at
    /// `location`.
    ///
    /// # Safety
    /// `ptr..ptr + len` must be writable and not reached by anything else while [`write()`]
    /// fills it (in particular not by the arguments written). (A peer reads arrays from it
    /// aligned to 64 from its start: a real segment's start is page-aligned.)
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

/// An argument list that cannot be encoded.
#[derive(Debug)]
pub struct EncodeError(pub String);

/// Items of the block, in order.
fn items<'v>(args: &'v [ValueRef<'v>]) -> impl Iterator<Item = Item<'v>> + Clone {
    args.iter().map(Item::Ref)
}

/// Where the next inline payload goes: `pos` from the block start, aligned as the
/// payload needs relative to the 64-aligned record the block sits in at offset `base`.
struct Cursor {
    pos: usize,
    base: usize,
}

impl Cursor {
    fn place(&mut self, len: usize, align: usize) -> usize {
        let at = align_up(self.pos + self.base, align) - self.base;
        self.pos = at + len;
        at
    }
}

fn layout<'v>(
    list: impl Iterator<Item = Item<'v>> + Clone,
    inline_limit: usize,
    base: usize,
) -> Result<Plan, EncodeError> {
    let (mut n, mut ranks) = (0usize, 0usize);
    for it in list.clone() {
        n += 1;
        ranks += it.rank();
        if it.rank() > MAX_RANK {
            return Err(EncodeError(format!(
                "array rank {} exceeds {MAX_RANK}",
                it.rank()
            )));
        }
    }
    if n > MAX_ARGS {
        return Err(EncodeError(format!(
            "{n} values in one list exceed {MAX_ARGS}"
        )));
    }
    let mut cursor = Cursor {
        pos: BLOCK_PREFIX + n * ARG_DESC_SIZE + ranks * 8,
        base,
    };
    let mut bulk = 0usize;
    for it in list {
        match it.payload() {
            PayloadKind::None | PayloadKind::Shared => {}
            PayloadKind::Bytes(b, align) => {
                if b.len() > inline_limit {
                    bulk = align_up(bulk, PAYLOAD_ALIGN) + b.len();
                } else {
                    cursor.place(b.len(), align);
                }
            }
            PayloadKind::Writable(b, _) => bulk = align_up(bulk, PAYLOAD_ALIGN) + b.len(),
            PayloadKind::Nested(children) => {
                let p = layout(children.iter(), usize::MAX, 0)?;
                cursor.place(p.block_len, PAYLOAD_ALIGN);
            }
        }
    }
    Ok(Plan {
        block_len: cursor.pos,
        bulk_len: align_up(bulk, PAYLOAD_ALIGN),
    })
}

/// Sizes the block for `args`; payloads longer than `inline_limit` go to bulk. `base` is
/// the block's offset from a 64-byte boundary: arrays are aligned relative to that.
pub fn plan(args: &[ValueRef<'_>], inline_limit: usize, base: usize) -> Result<Plan, EncodeError> {
    if packable(args) {
        return Ok(Plan {
            block_len: packed_block_len(args.len()),
            bulk_len: 0,
        });
    }
    layout(items(args), inline_limit, base)
}

/// Whether `args` go in a packed block: a few scalars, `bool`s and `None`s.
fn packable(args: &[ValueRef<'_>]) -> bool {
    args.len() <= MAX_PACKED
        && args
            .iter()
            .all(|a| matches!(a, ValueRef::None | ValueRef::Bool(_)) || a.scalar_bits().is_some())
}

/// Writes a packed block (see [`BLOCK_PACKED`]).
fn write_packed(args: &[ValueRef<'_>], dst: &mut [u8]) {
    let n = args.len();
    dst[..4].copy_from_slice(&(n as u32).to_le_bytes());
    dst[4..8].copy_from_slice(&BLOCK_PACKED.to_le_bytes());
    let values = BLOCK_PREFIX + align_up(n, 8);
    dst[BLOCK_PREFIX..values].fill(0);
    for (i, a) in args.iter().enumerate() {
        let (ty, bits) = match a {
            ValueRef::None => (tag::NONE << 4, 0),
            ValueRef::Bool(b) => (tag::BOOL << 4, *b as u64),
            scalar => {
                let (dt, bits) = scalar.scalar_bits().expect("packable");
                (tag::SCALAR << 4 | dt.code(), bits)
            }
        };
        dst[BLOCK_PREFIX + i] = ty;
        dst[values + 8 * i..values + 8 * i + 8].copy_from_slice(&bits.to_le_bytes());
    }
}

/// Writes the block for `args` into `dst` (exactly `plan.block_len` bytes), and bulk
/// payloads into `bulk`. Must be called with the `inline_limit` and `base` given to
/// [`plan`]. `placed(i, offset)` learns where in the bulk segment the writable array of
/// argument `i` went.
pub fn write(
    args: &[ValueRef<'_>],
    dst: &mut [u8],
    inline_limit: usize,
    base: usize,
    bulk: Option<&BulkTarget>,
    placed: &mut dyn FnMut(usize, usize),
) -> Result<(), EncodeError> {
    if packable(args) {
        write_packed(args, dst);
        return Ok(());
    }
    write_list(items(args), dst, inline_limit, base, bulk, placed)
}

fn write_list<'v>(
    list: impl Iterator<Item = Item<'v>> + Clone,
    dst: &mut [u8],
    inline_limit: usize,
    base: usize,
    bulk: Option<&BulkTarget>,
    placed: &mut dyn FnMut(usize, usize),
) -> Result<(), EncodeError> {
    let n = list.clone().count();
    let ranks: usize = list.clone().map(|it| it.rank()).sum();
    dst[..4].copy_from_slice(&(n as u32).to_le_bytes());
    dst[4..8].fill(0);
    let mut shape_cursor = BLOCK_PREFIX + n * ARG_DESC_SIZE;
    let mut cursor = Cursor {
        pos: shape_cursor + ranks * 8,
        base,
    };
    let mut bulk_cursor = 0usize;
    for (i, it) in list.enumerate() {
        let mut d = it.descriptor();
        if let Some(shape) = it.shape() {
            d.shape_offset = shape_cursor as u32;
            for &dim in shape.dims() {
                dst[shape_cursor..shape_cursor + 8].copy_from_slice(&(dim as u64).to_le_bytes());
                shape_cursor += 8;
            }
        }
        match it.payload() {
            PayloadKind::None | PayloadKind::Shared => {}
            PayloadKind::Bytes(b, align) => {
                d.len = b.len() as u64;
                if b.len() > inline_limit {
                    let target = bulk
                        .ok_or_else(|| EncodeError("no bulk segment for a large payload".into()))?;
                    bulk_cursor = align_up(bulk_cursor, PAYLOAD_ALIGN);
                    if bulk_cursor + b.len() > target.len {
                        return Err(EncodeError("bulk segment smaller than planned".into()));
                    }
                    // SAFETY: in bounds of the mapped bulk segment (checked above); the
                    // peer reads it only after the record that names it is published.
                    unsafe {
                        std::ptr::copy_nonoverlapping(
                            b.as_ptr(),
                            target.ptr.add(bulk_cursor),
                            b.len(),
                        )
                    };
                    d.location = target.location;
                    d.segment = target.generation;
                    d.value = bulk_cursor as u64;
                    bulk_cursor += b.len();
                } else {
                    let at = cursor.place(b.len(), align);
                    dst[at..at + b.len()].copy_from_slice(b);
                    d.value = at as u64;
                }
            }
            PayloadKind::Writable(b, copy_in) => {
                let target = bulk.ok_or_else(|| {
                    EncodeError(
                        "a writable array needs the shared-memory transport (or pass a SharedArray)"
                            .into(),
                    )
                })?;
                bulk_cursor = align_up(bulk_cursor, PAYLOAD_ALIGN);
                if bulk_cursor + b.len() > target.len {
                    return Err(EncodeError("bulk segment smaller than planned".into()));
                }
                if copy_in {
                    // SAFETY: in bounds of the mapped bulk segment (checked above); the
                    // peer reads it only after the record that names it is published.
                    unsafe {
                        std::ptr::copy_nonoverlapping(
                            b.as_ptr(),
                            target.ptr.add(bulk_cursor),
                            b.len(),
                        )
                    };
                }
                d.len = b.len() as u64;
                d.location = target.location;
                d.segment = target.generation;
                d.value = bulk_cursor as u64;
                d.flags = FLAG_WRITABLE;
                placed(i, bulk_cursor);
                bulk_cursor += b.len();
            }
            PayloadKind::Nested(children) => {
                let p = layout(children.iter(), usize::MAX, 0)?;
                let at = cursor.place(p.block_len, PAYLOAD_ALIGN);
                write_list(
                    children.iter(),
                    &mut dst[at..at + p.block_len],
                    usize::MAX,
                    0,
                    None,
                    &mut |_, _| {},
                )?;
                d.value = at as u64;
                d.len = p.block_len as u64;
            }
        }
        let at = BLOCK_PREFIX + i * ARG_DESC_SIZE;
        dst[at..at + ARG_DESC_SIZE].copy_from_slice(d.as_bytes());
    }
    Ok(())
}

impl Item<'_> {
    fn descriptor(&self) -> ArgDesc {
        match self {
            Item::Key(_) => ArgDesc {
                tag: tag::STR,
                ..ArgDesc::default()
            },
            Item::Ref(v) => descriptor_of(v),
            Item::Val(v) => descriptor_of(&ValueRef::from(*v)),
        }
    }
}

fn descriptor_of(v: &ValueRef<'_>) -> ArgDesc {
    let mut d = ArgDesc::default();
    {
        match v {
            ValueRef::None => d.tag = tag::NONE,
            ValueRef::Bool(b) => {
                d.tag = tag::BOOL;
                d.value = *b as u64;
            }
            ValueRef::Str(_) => d.tag = tag::STR,
            ValueRef::Bytes(_) => d.tag = tag::BYTES,
            ValueRef::Array(a) => {
                d.tag = tag::ARRAY;
                d.dtype = a.dtype().code();
                d.rank = a.shape().rank() as u8;
            }
            ValueRef::ArrayMut(a) => {
                d.tag = tag::ARRAY;
                d.dtype = a.dtype().code();
                d.rank = a.shape().rank() as u8;
            }
            ValueRef::Shared(s) => {
                d.tag = tag::ARRAY;
                d.dtype = s.dtype.code();
                d.rank = s.shape.rank() as u8;
                d.location = location::SHARED;
                d.segment = s.id;
                d.value = 0;
                d.len = s.len;
                d.flags = if s.writable { FLAG_WRITABLE } else { 0 };
            }
            ValueRef::List(_) => d.tag = tag::LIST,
            ValueRef::Map(_) => d.tag = tag::MAP,
            scalar => {
                let (dt, bits) = scalar
                    .scalar_bits()
                    .expect("remaining variants are scalars");
                d.tag = tag::SCALAR;
                d.dtype = dt.code();
                d.value = bits;
            }
        }
    }
    d
}
