//! Reading argument blocks. Nothing read from shared memory is trusted: every count,
//! offset, length, rank, dtype and string is checked before use.

use std::borrow::Cow;

use zerocopy::FromBytes;

use crate::transport::wire::{
    align_up, location, packed_block_len, tag, ArgDesc, ARG_DESC_SIZE, BLOCK_PACKED, BLOCK_PREFIX,
    FLAG_WRITABLE, MAX_ARGS, MAX_PACKED, MAX_RANK,
};
use crate::values::dtype::DType;
use crate::values::value::Value;
use crate::values::value_ref::{ArrayMut, ArrayRef, Shape, ValueRef};

/// Deepest nesting of lists and maps accepted.
const MAX_DEPTH: usize = 64;

/// A block or value that breaks the format.
#[derive(Debug, Clone)]
pub struct DecodeError(pub String);

fn err<T>(msg: impl Into<String>) -> Result<T, DecodeError> {
    Err(DecodeError(msg.into()))
}

/// Resolves payloads that live outside the record.
///
/// # Safety
/// When [`segment`](Self::segment) returns `Some((ptr, len))`, `ptr..ptr + len` must be
/// mapped, readable and writable, and stay so while the map is borrowed; and this process
/// must reach those bytes, while a block's values borrow them, only through those values
/// (the decoder hands out `&[u8]`, `&str` and, through [`Args`](crate::server::Args),
/// `&mut [T]` views of them).
pub unsafe trait SegmentMap {
    /// Start and length of the mapped segment at `location` with id `segment`.
    fn segment(&self, location: u8, segment: u32) -> Option<(*mut u8, usize)>;
}

/// A map with no segments: every out-of-record payload is an error.
pub(super) struct NoSegments;
// SAFETY: it names no memory.
unsafe impl SegmentMap for NoSegments {
    fn segment(&self, _: u8, _: u32) -> Option<(*mut u8, usize)> {
        None
    }
}

/// A parsed argument block, borrowing its bytes.
#[derive(Clone, Copy)]
pub struct Block<'a> {
    bytes: &'a [u8],
    count: usize,
    /// Scalars only, packed (see [`BLOCK_PACKED`]).
    packed: bool,
}

impl<'a> Block<'a> {
    /// Checks the block's prefix and descriptor table.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, DecodeError> {
        if bytes.len() < BLOCK_PREFIX {
            return err(format!(
                "block of {} bytes is shorter than its prefix",
                bytes.len()
            ));
        }
        let count = u32::from_le_bytes(bytes[..4].try_into().expect("4 bytes")) as usize;
        let flags = u32::from_le_bytes(bytes[4..8].try_into().expect("4 bytes"));
        if flags == BLOCK_PACKED {
            if count > MAX_PACKED || packed_block_len(count) > bytes.len() {
                return err(format!(
                    "a packed block of {count} values does not fit in {} bytes",
                    bytes.len()
                ));
            }
            for &ty in &bytes[BLOCK_PREFIX..BLOCK_PREFIX + count] {
                if !super::packed::packable(ty) {
                    return err(format!("packed value of type byte {ty:#04x}"));
                }
            }
            return Ok(Block {
                bytes,
                count,
                packed: true,
            });
        }
        if flags != 0 {
            return err(format!("block flags {flags:#x}"));
        }
        if count > MAX_ARGS {
            return err(format!("block claims {count} values, more than {MAX_ARGS}"));
        }
        if BLOCK_PREFIX + count * ARG_DESC_SIZE > bytes.len() {
            return err(format!(
                "{count} descriptors do not fit in a block of {} bytes",
                bytes.len()
            ));
        }
        Ok(Block {
            bytes,
            count,
            packed: false,
        })
    }

    /// Number of values.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether the block holds no values.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Whether the block holds scalars only, packed: no payloads, nothing writable.
    pub fn is_packed(&self) -> bool {
        self.packed
    }

    /// Value `i` if it is a numeric scalar: its type and bits, read straight from the
    /// block with no [`ValueRef`] made (`None` for any other value, or `i` out of range).
    #[inline]
    pub fn scalar(&self, i: usize) -> Option<(DType, u64)> {
        if i >= self.count {
            return None;
        }
        if self.packed {
            let (ty, bits) = self.packed_at(i);
            return match ty >> 4 {
                tag::SCALAR => DType::from_code(ty & 15).map(|dt| (dt, bits)),
                _ => None,
            };
        }
        let d = self.desc(i);
        if d.tag != tag::SCALAR || d.flags & FLAG_WRITABLE != 0 {
            return None;
        }
        DType::from_code(d.dtype).map(|dt| (dt, d.value))
    }

    /// The bits of value `i` if the block is packed and the value's type byte is `ty`
    /// exactly (a scalar of the parameter's own type: the common case, read with no
    /// conversion).
    #[inline]
    pub fn packed_bits(&self, i: usize, ty: u8) -> Option<u64> {
        if !self.packed || i >= self.count {
            return None;
        }
        let (got, bits) = self.packed_at(i);
        (got == ty).then_some(bits)
    }

    /// The type byte and bits of value `i` of a packed block (`i < len()`; the sizes were
    /// checked in `parse`).
    #[inline]
    fn packed_at(&self, i: usize) -> (u8, u64) {
        let at = BLOCK_PREFIX + align_up(self.count, 8) + 8 * i;
        let bits = u64::from_le_bytes(self.bytes[at..at + 8].try_into().expect("8 bytes"));
        (self.bytes[BLOCK_PREFIX + i], bits)
    }

    /// The descriptor of value `i` (`i < len()`).
    pub fn desc(&self, i: usize) -> ArgDesc {
        if self.packed {
            let (ty, value) = self.packed_at(i);
            return ArgDesc {
                tag: ty >> 4,
                dtype: ty & 15,
                value,
                ..ArgDesc::default()
            };
        }
        let at = BLOCK_PREFIX + i * ARG_DESC_SIZE;
        ArgDesc::read_from_bytes(&self.bytes[at..at + ARG_DESC_SIZE]).expect("checked in parse")
    }

    fn shape(&self, d: &ArgDesc) -> Result<Shape, DecodeError> {
        let rank = d.rank as usize;
        if rank > MAX_RANK {
            return err(format!("array rank {rank} exceeds {MAX_RANK}"));
        }
        let at = d.shape_offset as usize;
        let end = at.checked_add(rank * 8).filter(|&e| e <= self.bytes.len());
        let Some(end) = end else {
            return err(format!("shape at {at} (rank {rank}) is outside the block"));
        };
        let dims = self.bytes[at..end]
            .chunks_exact(8)
            .map(|c| u64::from_le_bytes(c.try_into().expect("8 bytes")));
        Shape::from_u64(dims).map_or_else(
            || {
                err(format!(
                    "an extent of shape at {at} exceeds this process's usize"
                ))
            },
            Ok,
        )
    }

    /// Start and length of a payload, bounds-checked.
    fn payload(
        &self,
        d: &ArgDesc,
        segs: &'a dyn SegmentMap,
    ) -> Result<(*mut u8, usize), DecodeError> {
        let (base, size) = match d.location {
            location::INLINE => (self.bytes.as_ptr() as *mut u8, self.bytes.len()),
            location::CLIENT_BULK | location::SERVER_BULK | location::SHARED => {
                match segs.segment(d.location, d.segment) {
                    Some(s) => s,
                    None => {
                        return err(format!(
                            "payload names segment {} at location {} which is not mapped",
                            d.segment, d.location
                        ))
                    }
                }
            }
            other => return err(format!("unknown payload location {other}")),
        };
        let (off, len) = (d.value, d.len);
        if off > size as u64 || len > size as u64 - off {
            return err(format!(
                "payload {off}+{len} is outside its {size}-byte area"
            ));
        }
        // SAFETY: `off + len <= size` and `base..base+size` is mapped for 'a.
        Ok((unsafe { base.add(off as usize) }, len as usize))
    }

    fn bytes_of(&self, d: &ArgDesc, segs: &'a dyn SegmentMap) -> Result<&'a [u8], DecodeError> {
        let (p, len) = self.payload(d, segs)?;
        // SAFETY: bounds checked by `payload`; the memory stays mapped and unchanged by the
        // peer while this record is being handled (protocol: the sender does not touch a
        // published record or its payloads until the reply arrives).
        Ok(unsafe { std::slice::from_raw_parts(p, len) })
    }

    /// Value `i`, borrowing the block and segments, read-only: an array the client
    /// passed writable comes as a [`ValueRef::Array`] too (a server method gets it
    /// writable through [`Args`](crate::server::Args)).
    pub fn get(&self, i: usize, segs: &'a dyn SegmentMap) -> Result<ValueRef<'a>, DecodeError> {
        // SAFETY: `writable = false`: no writable view is made.
        unsafe { self.get_at(i, segs, 0, false) }
    }

    /// Value `i`, with a writable array as [`ValueRef::ArrayMut`].
    ///
    /// # Safety
    /// While the result lives, nothing else may reach a writable array it views:
    /// [`check_overlaps`](Self::check_overlaps) has passed, no other value is taken for
    /// index `i` of this block, and no other view of the block's writable arrays lives
    /// (what [`Args`](crate::server::Args) keeps to).
    pub(crate) unsafe fn get_writable(
        &self,
        i: usize,
        segs: &'a dyn SegmentMap,
    ) -> Result<ValueRef<'a>, DecodeError> {
        // SAFETY: the caller's guarantees.
        unsafe { self.get_at(i, segs, 0, true) }
    }

    /// The one value of a block that holds exactly one (a reply's), as an owned [`Value`]
    /// (see [`get_owned`](Self::get_owned)).
    pub fn one_value(&self, segs: &'a dyn SegmentMap) -> Result<Value, DecodeError> {
        if self.count != 1 {
            return err(format!(
                "a reply block must hold one value, it holds {}",
                self.count
            ));
        }
        self.get_owned(0, segs)
    }

    /// Value `i` as an owned [`Value`], every byte copied out of shared memory before it
    /// is checked (a string is validated in the copy), so a peer that writes the block
    /// meanwhile cannot break what was checked.
    pub fn get_owned(&self, i: usize, segs: &'a dyn SegmentMap) -> Result<Value, DecodeError> {
        self.owned_at(i, segs, 0)
    }

    fn owned_at(
        &self,
        i: usize,
        segs: &'a dyn SegmentMap,
        depth: usize,
    ) -> Result<Value, DecodeError> {
        if i >= self.count {
            return err(format!(
                "value {i} requested from a block of {}",
                self.count
            ));
        }
        let d = self.desc(i);
        match d.tag {
            tag::STR => {
                let copy = self.bytes_of(&d, segs)?.to_vec();
                String::from_utf8(copy).map(Value::Str).map_err(|e| {
                    DecodeError(format!("string argument {i} is not valid UTF-8: {e}"))
                })
            }
            tag::LIST | tag::MAP => self.nested(&d, segs, depth),
            // SAFETY: read-only; every other kind of value is copied by `to_value`, and
            // what was checked of it (a length, a shape) was read once, into `d`.
            _ => Ok(unsafe { self.get_at(i, segs, depth, false) }?.to_value()),
        }
    }

    /// The list or map that descriptor `d` (at nesting `depth`) describes, copied: it must
    /// be inline and not nested deeper than [`MAX_DEPTH`].
    fn nested(
        &self,
        d: &ArgDesc,
        segs: &'a dyn SegmentMap,
        depth: usize,
    ) -> Result<Value, DecodeError> {
        if depth >= MAX_DEPTH {
            return err(format!("lists nested deeper than {MAX_DEPTH}"));
        }
        if d.location != location::INLINE {
            return err("lists and maps must be inline");
        }
        let nested = Block::parse(self.bytes_of(d, segs)?)?;
        let mut values = Vec::with_capacity(nested.count);
        for j in 0..nested.count {
            values.push(nested.owned_at(j, &NoSegments, depth + 1)?);
        }
        Self::list_or_map(d.tag, values)
    }

    /// A list, or a map from its key, value pairs.
    fn list_or_map(tag: u8, values: Vec<Value>) -> Result<Value, DecodeError> {
        if tag == tag::LIST {
            return Ok(Value::List(values));
        }
        if !values.len().is_multiple_of(2) {
            return err("a map block must hold key, value pairs");
        }
        let mut pairs = Vec::with_capacity(values.len() / 2);
        let mut it = values.into_iter();
        while let (Some(k), Some(v)) = (it.next(), it.next()) {
            let Value::Str(k) = k else {
                return err(format!("map key of type {}", k.type_name()));
            };
            pairs.push((k, v));
        }
        Ok(Value::Map(pairs))
    }

    /// # Safety
    /// With `writable`, as for [`get_writable`](Self::get_writable).
    unsafe fn get_at(
        &self,
        i: usize,
        segs: &'a dyn SegmentMap,
        depth: usize,
        writable: bool,
    ) -> Result<ValueRef<'a>, DecodeError> {
        if i >= self.count {
            return err(format!(
                "value {i} requested from a block of {}",
                self.count
            ));
        }
        let d = self.desc(i);
        // Writable: a shared array, or a client's array in its bulk segment (copied back
        // from there when the reply arrives). Never inside the record, which is borrowed
        // whole while the arguments are in use.
        if d.flags & FLAG_WRITABLE != 0
            && (d.tag != tag::ARRAY
                || !matches!(d.location, location::SHARED | location::CLIENT_BULK))
        {
            return err("only arrays outside the record may be writable");
        }
        Ok(match d.tag {
            tag::NONE => ValueRef::None,
            tag::BOOL => match d.value {
                0 => ValueRef::Bool(false),
                1 => ValueRef::Bool(true),
                v => return err(format!("bool with value {v}")),
            },
            tag::SCALAR => {
                let dt = dtype(d.dtype)?;
                ValueRef::from_scalar_bits(dt, d.value)
            }
            tag::STR => match std::str::from_utf8(self.bytes_of(&d, segs)?) {
                Ok(s) => ValueRef::Str(s),
                Err(e) => return err(format!("string argument {i} is not valid UTF-8: {e}")),
            },
            tag::BYTES => ValueRef::Bytes(self.bytes_of(&d, segs)?),
            tag::ARRAY => {
                let dt = dtype(d.dtype)?;
                let shape = self.shape(&d)?;
                let want = shape
                    .elements()
                    .and_then(|n| n.checked_mul(dt.size()))
                    .filter(|&n| n <= isize::MAX as usize);
                if want.map(|n| n as u64) != Some(d.len) {
                    return err(format!(
                        "array of shape {shape:?} and dtype {dt} needs {want:?} bytes, descriptor says {}",
                        d.len
                    ));
                }
                let (p, len) = self.payload(&d, segs)?;
                if !(p as usize).is_multiple_of(dt.size()) {
                    return err(format!("array payload at {p:p} is not aligned for {dt}"));
                }
                if writable && d.flags & FLAG_WRITABLE != 0 {
                    // SAFETY: bounds and alignment checked; the memory is mapped writable
                    // for 'a (`SegmentMap`); exclusivity is the caller's (see
                    // `get_writable`); the client does not touch the array until the reply
                    // arrives.
                    ValueRef::ArrayMut(unsafe { ArrayMut::from_raw(dt, shape, p, len) })
                } else {
                    // SAFETY: as in `bytes_of`.
                    let bytes = unsafe { std::slice::from_raw_parts(p, len) };
                    ValueRef::Array(ArrayRef::from_raw(dt, shape, bytes))
                }
            }
            tag::LIST | tag::MAP => match self.nested(&d, segs, depth)? {
                Value::List(l) => ValueRef::List(Cow::Owned(l)),
                Value::Map(m) => ValueRef::Map(Cow::Owned(m)),
                _ => unreachable!("a list or a map"),
            },
            other => return err(format!("unknown value tag {other}")),
        })
    }

    /// Rejects a block in which a writable array overlaps another payload of the block
    /// (an array, a string or bytes) in the same segment.
    pub fn check_overlaps(&self) -> Result<(), DecodeError> {
        if self.packed {
            return Ok(()); // Scalars only: nothing is writable.
        }
        for i in 0..self.count {
            let a = self.desc(i);
            if a.flags & FLAG_WRITABLE == 0 {
                continue;
            }
            for j in 0..self.count {
                let b = self.desc(j);
                if i == j
                    || !matches!(b.tag, tag::ARRAY | tag::STR | tag::BYTES)
                    || (b.location, b.segment) != (a.location, a.segment)
                {
                    continue;
                }
                let (a0, a1) = (a.value, a.value.saturating_add(a.len));
                let (b0, b1) = (b.value, b.value.saturating_add(b.len));
                if a0 < b1 && b0 < a1 {
                    return err(format!("writable argument {i} overlaps argument {j}"));
                }
            }
        }
        Ok(())
    }
}

fn dtype(code: u8) -> Result<DType, DecodeError> {
    DType::from_code(code).ok_or_else(|| DecodeError(format!("unknown dtype code {code}")))
}

/// Decodes a block that holds exactly one value into an owned [`Value`] (parses it, then
/// [`Block::one_value`]).
pub fn decode_value(bytes: &[u8], segs: &dyn SegmentMap) -> Result<Value, DecodeError> {
    Block::parse(bytes)?.one_value(segs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::codec::Encoder;

    fn packed(args: &[ValueRef<'_>]) -> Vec<u8> {
        let e = Encoder::new(args, usize::MAX, 0).unwrap();
        assert_eq!(e.plan().block_len, packed_block_len(args.len()));
        let mut v = vec![0u8; e.plan().block_len];
        let placements = e.write(&mut v, None).unwrap();
        assert!(placements.is_empty());
        v
    }

    #[test]
    fn scalars_travel_packed_and_come_back_with_their_types() {
        let args = [
            ValueRef::I8(-3),
            ValueRef::Bool(true),
            ValueRef::None,
            ValueRef::F64(2.5),
            ValueRef::U64(u64::MAX),
        ];
        let bytes = packed(&args);
        assert_eq!(bytes.len(), 8 + 8 + 5 * 8);
        let b = Block::parse(&bytes).unwrap();
        let got: Vec<_> = (0..b.len())
            .map(|i| b.get(i, &NoSegments).unwrap().to_value())
            .collect();
        let want: Vec<_> = args.iter().map(ValueRef::to_value).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn a_packed_block_with_a_bad_type_or_count_is_refused() {
        let mut bytes = packed(&[ValueRef::I32(1), ValueRef::I32(2)]);
        let good = bytes.clone();
        bytes[BLOCK_PREFIX] = tag::STR << 4; // a string cannot be packed
        assert!(Block::parse(&bytes).is_err());
        bytes = good.clone();
        bytes[BLOCK_PREFIX + 1] = (tag::SCALAR << 4) | 15; // no such dtype
        assert!(Block::parse(&bytes).is_err());
        bytes = good.clone();
        bytes[..4].copy_from_slice(&3u32.to_le_bytes()); // more values than bytes
        assert!(Block::parse(&bytes).is_err());
        bytes = good;
        bytes[4..8].copy_from_slice(&2u32.to_le_bytes()); // unknown flags
        assert!(Block::parse(&bytes).is_err());
    }

    #[test]
    fn an_extent_beyond_this_process_usize_is_refused() {
        // An empty array of shape [0, 7], its 7 then rewritten to 2^33: no element, so a
        // 64-bit process holds it, and a 32-bit one cannot (its usize stops at 2^32 - 1).
        let data: [f64; 0] = [];
        let args = [ValueRef::Array(ArrayRef::new(&data, &[0, 7]).unwrap())];
        let e = Encoder::new(&args, usize::MAX, 0).unwrap();
        let mut v = vec![0u8; e.plan().block_len];
        e.write(&mut v, None).unwrap();
        let at = v.windows(8).position(|w| w == 7u64.to_le_bytes()).unwrap();
        v[at..at + 8].copy_from_slice(&(1u64 << 33).to_le_bytes());
        let b = Block::parse(&v).unwrap();
        match (usize::try_from(1u64 << 33), b.get(0, &NoSegments)) {
            (Ok(big), Ok(ValueRef::Array(a))) => assert_eq!(a.shape().dims(), [0, big]),
            (Err(_), Err(e)) => assert!(e.0.contains("exceeds this process's usize"), "{}", e.0),
            (_, other) => panic!("unexpected {other:?}"),
        }
    }
}
