//! Writing argument blocks: an [`Encoder`] sizes the block when it is made, then writes
//! it once, making the same inline-or-bulk decision for every payload, and says where
//! each array went.

use zerocopy::IntoBytes;

use super::packed::Packed;
use super::placement::{BulkTarget, Placement, Placements};
use super::{Item, PayloadKind};
use crate::transport::wire::{
    align_up, location, tag, ArgDesc, ARG_DESC_SIZE, BLOCK_PREFIX, FLAG_WRITABLE, MAX_ARGS,
    MAX_RANK, PAYLOAD_ALIGN,
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

/// Encodes one argument list into a block: sized when it is made, written once.
///
/// ```
/// use loadlib::ValueRef;
/// use loadlib::__private::codec::{Block, Encoder};
/// let args = [ValueRef::I32(3), ValueRef::Str("x")];
/// let encoder = Encoder::new(&args, usize::MAX, 0).unwrap();
/// let mut block = vec![0u8; encoder.plan().block_len];
/// encoder.write(&mut block, None).unwrap();
/// assert_eq!(Block::parse(&block).unwrap().len(), 2);
/// ```
pub struct Encoder<'e, 'v> {
    args: &'e [ValueRef<'v>],
    inline_limit: usize,
    base: usize,
    /// Scalars only, packed as they will be written.
    packed: Option<Packed>,
    plan: Plan,
}

impl<'e, 'v> Encoder<'e, 'v> {
    /// Sizes the block for `args`; payloads longer than `inline_limit` go to bulk. `base`
    /// is the block's offset from a 64-byte boundary: arrays are aligned relative to that.
    pub fn new(
        args: &'e [ValueRef<'v>],
        inline_limit: usize,
        base: usize,
    ) -> Result<Self, EncodeError> {
        let packed = Packed::from_values(args);
        let plan = match &packed {
            Some(p) => Plan {
                block_len: p.block_len(),
                bulk_len: 0,
            },
            None => layout(items(args), inline_limit, base)?,
        };
        Ok(Encoder {
            args,
            inline_limit,
            base,
            packed,
            plan,
        })
    }

    /// The block's size, and what it needs in the bulk segment.
    pub fn plan(&self) -> Plan {
        self.plan
    }

    /// Writes the block into `dst` (exactly [`plan`](Self::plan)`.block_len` bytes) and
    /// the payloads that do not go inline into `bulk` (of at least `plan.bulk_len` bytes);
    /// returns where each array argument went.
    pub fn write(
        self,
        dst: &mut [u8],
        bulk: Option<&BulkTarget>,
    ) -> Result<Placements, EncodeError> {
        if let Some(p) = self.packed {
            p.write(dst);
            return Ok(Placements::default());
        }
        let mut writer = Writer {
            inline_limit: self.inline_limit,
            base: self.base,
            bulk,
            bulk_cursor: 0,
            placements: Placements::default(),
        };
        writer.write_list(items(self.args), dst)?;
        Ok(writer.placements)
    }
}

/// Writes a list's items into a block, and its large payloads into the bulk segment.
struct Writer<'t> {
    inline_limit: usize,
    /// The block's offset from a 64-byte boundary.
    base: usize,
    bulk: Option<&'t BulkTarget>,
    /// Where the next bulk payload goes.
    bulk_cursor: usize,
    /// Where each top-level array went.
    placements: Placements,
}

impl<'t> Writer<'t> {
    /// Places `len` bytes in the bulk segment, aligned for an array: the segment and the
    /// offset in it (`missing` says why there must be one).
    fn bulk_place(
        &mut self,
        len: usize,
        missing: &str,
    ) -> Result<(&'t BulkTarget, usize), EncodeError> {
        let target = self.bulk.ok_or_else(|| EncodeError(missing.into()))?;
        let at = align_up(self.bulk_cursor, PAYLOAD_ALIGN);
        if at + len > target.len {
            return Err(EncodeError("bulk segment smaller than planned".into()));
        }
        self.bulk_cursor = at + len;
        Ok((target, at))
    }

    fn write_list<'v>(
        &mut self,
        list: impl Iterator<Item = Item<'v>> + Clone,
        dst: &mut [u8],
    ) -> Result<(), EncodeError> {
        let n = list.clone().count();
        let ranks: usize = list.clone().map(|it| it.rank()).sum();
        dst[..4].copy_from_slice(&(n as u32).to_le_bytes());
        dst[4..8].fill(0);
        let mut shape_cursor = BLOCK_PREFIX + n * ARG_DESC_SIZE;
        let mut cursor = Cursor {
            pos: shape_cursor + ranks * 8,
            base: self.base,
        };
        for (i, it) in list.enumerate() {
            let mut d = it.descriptor();
            if let Some(shape) = it.shape() {
                d.shape_offset = shape_cursor as u32;
                for &dim in shape.dims() {
                    dst[shape_cursor..shape_cursor + 8]
                        .copy_from_slice(&(dim as u64).to_le_bytes());
                    shape_cursor += 8;
                }
            }
            let placed = match it.payload() {
                PayloadKind::None => None,
                PayloadKind::Shared => Some(Placement::Shared(d.segment)),
                PayloadKind::Bytes(b, align) => {
                    d.len = b.len() as u64;
                    if b.len() > self.inline_limit {
                        let (target, at) =
                            self.bulk_place(b.len(), "no bulk segment for a large payload")?;
                        // SAFETY: in bounds of the mapped bulk segment (`bulk_place`).
                        let dst = unsafe { target.ptr.add(at) };
                        // A payload already where it goes (a result array a server wrote
                        // in place, at the start of its segment) is not copied.
                        if !std::ptr::eq(b.as_ptr(), dst) {
                            // SAFETY: `dst` holds `b.len()` bytes (`bulk_place`), which
                            // nothing else reaches (`BulkTarget::new`), so `b` is not in
                            // them unless it starts there; the peer reads them only after
                            // the record that names them is published.
                            unsafe { std::ptr::copy_nonoverlapping(b.as_ptr(), dst, b.len()) };
                        }
                        d.location = target.location;
                        d.segment = target.generation;
                        d.value = at as u64;
                        Some(Placement::Bulk(at))
                    } else {
                        let at = cursor.place(b.len(), align);
                        dst[at..at + b.len()].copy_from_slice(b);
                        d.value = at as u64;
                        Some(Placement::Inline(at))
                    }
                }
                PayloadKind::Writable(b, copy_in) => {
                    let (target, at) = self.bulk_place(
                        b.len(),
                        "a writable array needs the shared-memory transport (or pass a SharedArray)",
                    )?;
                    if copy_in {
                        // SAFETY: in bounds of the mapped bulk segment (`bulk_place`); the
                        // peer reads it only after the record that names it is published.
                        unsafe {
                            std::ptr::copy_nonoverlapping(b.as_ptr(), target.ptr.add(at), b.len())
                        };
                    }
                    d.len = b.len() as u64;
                    d.location = target.location;
                    d.segment = target.generation;
                    d.value = at as u64;
                    d.flags = FLAG_WRITABLE;
                    Some(Placement::Bulk(at))
                }
                PayloadKind::Nested(children) => {
                    let p = layout(children.iter(), usize::MAX, 0)?;
                    let at = cursor.place(p.block_len, PAYLOAD_ALIGN);
                    let mut nested = Writer {
                        inline_limit: usize::MAX,
                        base: 0,
                        bulk: None,
                        bulk_cursor: 0,
                        placements: Placements::default(),
                    };
                    nested.write_list(children.iter(), &mut dst[at..at + p.block_len])?;
                    d.value = at as u64;
                    d.len = p.block_len as u64;
                    None
                }
            };
            if let Some(p) = placed.filter(|_| it.is_array_argument()) {
                self.placements.push(i, p);
            }
            let at = BLOCK_PREFIX + i * ARG_DESC_SIZE;
            dst[at..at + ARG_DESC_SIZE].copy_from_slice(d.as_bytes());
        }
        Ok(())
    }
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
