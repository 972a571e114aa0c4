//! Packed scalars: up to [`MAX_PACKED`] numbers, `bool`s and `None`s, each a type byte
//! and 64 bits, written straight into a record's block (see [`BLOCK_PACKED`]) with no
//! descriptor, shape or payload. The lean path of a small call: the typed client packs
//! its arguments as it takes them, and a server answers a scalar with one packed value.

use crate::transport::wire::MAX_PACKED;
use crate::transport::wire::{align_up, packed_block_len, tag, BLOCK_PACKED, BLOCK_PREFIX};
use crate::values::dtype::{DType, Element};
use crate::values::value::Value;
use crate::values::value_ref::ValueRef;

/// Up to [`MAX_PACKED`] scalars, in the form a packed block carries them.
#[derive(Clone, Copy)]
pub struct Packed {
    len: usize,
    types: [u8; MAX_PACKED],
    bits: [u64; MAX_PACKED],
}

impl Default for Packed {
    #[inline(always)]
    fn default() -> Self {
        Packed {
            len: 0,
            types: [0; MAX_PACKED],
            bits: [0; MAX_PACKED],
        }
    }
}

/// The type byte and bits of an owned value (a wrapper's reply) a packed block can hold,
/// read straight from the value with no [`ValueRef`] made; `None` for any other.
#[inline]
pub fn pack_value(v: &Value) -> Option<(u8, u64)> {
    match v {
        Value::None => Some((tag::NONE << 4, 0)),
        Value::Bool(b) => Some((tag::BOOL << 4, *b as u64)),
        scalar => scalar
            .scalar_bits()
            .map(|(dt, bits)| (tag::SCALAR << 4 | dt.code(), bits)),
    }
}

/// Whether a packed block can hold `v` (a number, `bool` or `None`): what [`pack`]
/// takes, told from the variant alone (see [`Packed::push_all`]).
#[inline]
fn packs(v: &ValueRef<'_>) -> bool {
    !matches!(
        v,
        ValueRef::Str(_)
            | ValueRef::Bytes(_)
            | ValueRef::Array(_)
            | ValueRef::ArrayMut(_)
            | ValueRef::Shared(_)
            | ValueRef::List(_)
            | ValueRef::Map(_)
    )
}

/// The type byte and bits of a value a packed block can hold, or `None`.
#[inline]
pub fn pack(v: &ValueRef<'_>) -> Option<(u8, u64)> {
    match v {
        ValueRef::None => Some((tag::NONE << 4, 0)),
        ValueRef::Bool(b) => Some((tag::BOOL << 4, *b as u64)),
        scalar => scalar
            .scalar_bits()
            .map(|(dt, bits)| (tag::SCALAR << 4 | dt.code(), bits)),
    }
}

/// The value of a type byte and its bits, as a packed block's reader checked them
/// (`None` for a type byte no packed block holds).
#[inline]
fn unpack(ty: u8, bits: u64) -> Option<ValueRef<'static>> {
    Some(match class(ty)? {
        Class::None => ValueRef::None,
        Class::Bool => ValueRef::Bool(bits != 0),
        Class::Scalar(dt) => ValueRef::from_scalar_bits(dt, bits),
    })
}

/// What a type byte says a packed value is.
enum Class {
    None,
    Bool,
    Scalar(DType),
}

/// The class of type byte `ty`, or `None` for a type byte no packed block holds: the one
/// place that reads type bytes ([`unpack`], [`unpacked_value`], [`packable`]).
#[inline(always)]
fn class(ty: u8) -> Option<Class> {
    match ty >> 4 {
        tag::NONE if ty & 15 == 0 => Some(Class::None),
        tag::BOOL if ty & 15 == 0 => Some(Class::Bool),
        tag::SCALAR => DType::from_code(ty & 15).map(Class::Scalar),
        _ => None,
    }
}

impl Packed {
    /// `values`, if a packed block can hold them all.
    #[inline]
    pub fn from_values(values: &[ValueRef<'_>]) -> Option<Self> {
        let mut p = Packed::default();
        p.push_all(values).then_some(p)
    }

    /// Appends every one of `values`; `false` when a packed block cannot hold them all
    /// (then what was appended is to be thrown away). A list with an array, a string or
    /// the like in it is told from the variants first ([`packs`]), so none of its scalars
    /// is packed for nothing.
    #[inline]
    pub fn push_all(&mut self, values: &[ValueRef<'_>]) -> bool {
        values.iter().all(packs) && values.iter().all(|v| self.push(v))
    }

    /// Appends `v`; `false` (and nothing appended) when it is not a scalar, `bool` or
    /// `None`, or the block is full.
    #[inline]
    pub fn push(&mut self, v: &ValueRef<'_>) -> bool {
        match pack(v) {
            Some((ty, bits)) => self.push_raw(ty, bits),
            None => false,
        }
    }

    /// Appends a value by its type byte (as [`unpack`] reads it) and bits; `false` when
    /// the block is full.
    #[inline(always)]
    pub(crate) fn push_raw(&mut self, ty: u8, bits: u64) -> bool {
        debug_assert!(unpack(ty, bits).is_some());
        if self.len == MAX_PACKED {
            return false;
        }
        self.types[self.len] = ty;
        self.bits[self.len] = bits;
        self.len += 1;
        true
    }

    /// Number of values.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The values, as borrowed values.
    pub fn values<'v>(&self) -> impl Iterator<Item = ValueRef<'v>> + '_ {
        (0..self.len).map(|i| unpack(self.types[i], self.bits[i]).expect("packed by `push`"))
    }

    /// Bytes of the block.
    #[inline]
    pub fn block_len(&self) -> usize {
        packed_block_len(self.len)
    }

    /// Writes the block into `dst` (at least [`block_len`](Self::block_len) bytes). The
    /// type bytes past `len` are zero, so they go as whole words as they are.
    #[inline(always)]
    pub fn write(&self, dst: &mut [u8]) {
        let n = self.len;
        let values = BLOCK_PREFIX + align_up(n, 8);
        let dst = &mut dst[..values + 8 * n];
        let prefix = n as u64 | (BLOCK_PACKED as u64) << 32;
        dst[..8].copy_from_slice(&prefix.to_le_bytes());
        // At most two words of type bytes, each written alone: a loop over them (and a
        // closure around this) took the typed call 16 instructions more.
        const _: () = assert!(MAX_PACKED == 16);
        if n > 0 {
            dst[BLOCK_PREFIX..][..8].copy_from_slice(&self.types[..8]);
        }
        if n > 8 {
            dst[BLOCK_PREFIX + 8..][..8].copy_from_slice(&self.types[8..]);
        }
        for (i, b) in self.bits().iter().enumerate() {
            dst[values + 8 * i..][..8].copy_from_slice(&b.to_le_bytes());
        }
    }

    /// The values' type bytes.
    #[inline]
    pub fn types(&self) -> &[u8] {
        &self.types[..self.len]
    }

    /// The values' bits, one for each type byte.
    #[inline]
    pub fn bits(&self) -> &[u64] {
        &self.bits[..self.len]
    }
}

/// Writes a packed block of `types.len()` values (`types` and `bits` of one length) into
/// `dst`, at least [`packed_block_len`] of them bytes.
#[inline]
pub fn write_block(types: &[u8], bits: &[u64], dst: &mut [u8]) {
    let n = types.len();
    debug_assert_eq!(n, bits.len());
    let values = BLOCK_PREFIX + align_up(n, 8);
    let dst = &mut dst[..values + 8 * n];
    let prefix = n as u64 | (BLOCK_PACKED as u64) << 32;
    dst[..8].copy_from_slice(&prefix.to_le_bytes());
    // The type bytes, zero-padded to whole words, gathered into words in registers (a
    // `fill` and a `copy_from_slice` of a few bytes were two calls into libc).
    let mut words = [0u64; MAX_PACKED / 8];
    for (i, &t) in types.iter().enumerate() {
        words[i / 8] |= (t as u64) << (8 * (i % 8));
    }
    for (w, word) in words.iter().take(n.div_ceil(8)).enumerate() {
        dst[BLOCK_PREFIX + 8 * w..][..8].copy_from_slice(&word.to_le_bytes());
    }
    for (i, b) in bits.iter().enumerate() {
        dst[values + 8 * i..][..8].copy_from_slice(&b.to_le_bytes());
    }
}

/// The arguments of a request whose block is packed, read in place: the lean path of a
/// server's small call. Only the block's size is checked; a type byte no packed block
/// holds matches no parameter type, and such a request takes the general path (whose
/// decoder reports it).
#[derive(Clone, Copy)]
pub struct PackedArgs<'a> {
    types: &'a [u8],
    /// One word of bits for each type byte.
    values: &'a [[u8; 8]],
}

impl<'a> PackedArgs<'a> {
    /// The values of `block` if it is a packed block that fits its bytes.
    #[inline]
    pub fn parse(block: &'a [u8]) -> Option<Self> {
        let prefix = block.get(..BLOCK_PREFIX)?;
        let count = u32::from_le_bytes(prefix[..4].try_into().expect("4 bytes")) as usize;
        let flags = u32::from_le_bytes(prefix[4..].try_into().expect("4 bytes"));
        if flags != BLOCK_PACKED || count > MAX_PACKED {
            return None;
        }
        let at = BLOCK_PREFIX + align_up(count, 8);
        let (values, _) = block.get(at..at + 8 * count)?.as_chunks();
        Some(PackedArgs {
            types: block.get(BLOCK_PREFIX..BLOCK_PREFIX + count)?,
            values,
        })
    }

    /// Number of values.
    #[inline]
    pub fn len(&self) -> usize {
        self.types.len()
    }

    /// Whether there are none.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.types.is_empty()
    }

    /// Value `i`: its type byte (unchecked) and bits, or `None` past the end.
    #[inline]
    pub fn get(&self, i: usize) -> Option<(u8, u64)> {
        let ty = *self.types.get(i)?;
        let bits = *self.values.get(i)?;
        Some((ty, u64::from_le_bytes(bits)))
    }
}

/// A numeric scalar packed as `(type byte, bits)`, as `T`: of `T`'s own type, or of
/// another that converts without loss ([`Element::from_scalar`]); `None` otherwise.
#[inline(always)]
pub fn packed_element<T: Element>((ty, bits): (u8, u64)) -> Option<T> {
    if ty == scalar_type(T::DTYPE) {
        return Some(T::from_bits(bits));
    }
    converted_element(ty, bits)
}

/// [`packed_element`] of a scalar of another type than `T`'s: out of line, since a
/// typed client sends each argument as its parameter's own type.
#[inline(never)]
fn converted_element<T: Element>(ty: u8, bits: u64) -> Option<T> {
    if ty >> 4 != tag::SCALAR {
        return None;
    }
    T::from_scalar(DType::from_code(ty & 15)?, bits)
}

/// A packed `(type byte, bits)` as a borrowed value, or `None` for a type byte no packed
/// block holds.
#[inline]
pub fn packed_value_ref((ty, bits): (u8, u64)) -> Option<ValueRef<'static>> {
    unpack(ty, bits)
}

/// The type byte of a numeric scalar of `dtype`.
#[inline]
pub const fn scalar_type(dtype: DType) -> u8 {
    tag::SCALAR << 4 | dtype.code()
}

/// The type byte of a `bool`.
pub const BOOL_TYPE: u8 = tag::BOOL << 4;

/// The type byte of `None`.
pub const NONE_TYPE: u8 = tag::NONE << 4;

/// The one value of a packed block holding exactly one, as its type byte (checked) and
/// bits; `None` for any other block (which the general decoder then reads).
#[inline]
pub fn read_one_raw(block: &[u8]) -> Option<(u8, u64)> {
    if block.len() < packed_block_len(1) {
        return None;
    }
    let count = u32::from_le_bytes(block[..4].try_into().expect("4 bytes"));
    let flags = u32::from_le_bytes(block[4..8].try_into().expect("4 bytes"));
    if count != 1 || flags != BLOCK_PACKED {
        return None;
    }
    let ty = block[BLOCK_PREFIX];
    let at = BLOCK_PREFIX + 8;
    let bits = u64::from_le_bytes(block[at..at + 8].try_into().expect("8 bytes"));
    packable(ty).then_some((ty, bits))
}

/// Whether a packed block may hold a value of type byte `ty` (as [`unpack`] reads it).
#[inline]
pub fn packable(ty: u8) -> bool {
    class(ty).is_some()
}

/// The value of a type byte and its bits (as [`read_one_raw`] gives them), or `None` for
/// a type byte no packed block holds.
#[inline]
pub fn unpacked_value(ty: u8, bits: u64) -> Option<Value> {
    Some(match class(ty)? {
        Class::None => Value::None,
        Class::Bool => Value::Bool(bits != 0),
        Class::Scalar(dt) => Value::from_scalar_bits(dt, bits),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::codec::Block;

    /// Every value of `block`, read by the general decoder.
    fn read_back(block: &Block<'_>) -> Vec<Value> {
        (0..block.len())
            .map(|i| {
                block
                    .get(i, &super::super::decode::NoSegments)
                    .unwrap()
                    .to_value()
            })
            .collect()
    }

    #[test]
    fn a_packed_list_is_read_back_by_the_general_decoder() {
        let args = [
            ValueRef::I32(-7),
            ValueRef::F64(2.5),
            ValueRef::Bool(true),
            ValueRef::None,
            ValueRef::U8(200),
        ];
        let mut p = Packed::default();
        for a in &args {
            assert!(p.push(a));
        }
        assert!(!p.push(&ValueRef::Str("no")));
        assert_eq!(p.len(), 5);
        let mut buf = vec![0xAAu8; p.block_len()];
        p.write(&mut buf);
        let block = Block::parse(&buf).expect("a packed block");
        assert!(block.is_packed());
        let want: Vec<Value> = args.iter().map(|a| a.to_value()).collect();
        assert_eq!(read_back(&block), want);
        assert_eq!(p.values().map(|v| v.to_value()).collect::<Vec<_>>(), want);
    }

    #[test]
    fn every_length_of_list_is_written_whole_and_read_back() {
        // 0 to 16 values: the type bytes fill zero, one or two words, whatever the
        // buffer held before.
        for n in 0..=MAX_PACKED {
            let args: Vec<ValueRef<'_>> = (0..n)
                .map(|i| match i % 4 {
                    0 => ValueRef::I8(-(i as i8)),
                    1 => ValueRef::F64(i as f64 + 0.5),
                    2 => ValueRef::Bool(i % 3 == 0),
                    _ => ValueRef::U64(u64::MAX - i as u64),
                })
                .collect();
            let p = Packed::from_values(&args).expect("scalars");
            let mut buf = vec![0xAAu8; p.block_len() + 8];
            p.write(&mut buf);
            assert!(
                buf[p.block_len()..].iter().all(|&b| b == 0xAA),
                "n = {n}: past the block"
            );
            let types_end = BLOCK_PREFIX + align_up(n, 8);
            assert!(
                buf[BLOCK_PREFIX + n..types_end].iter().all(|&b| b == 0),
                "n = {n}: padding"
            );
            let block = Block::parse(&buf[..p.block_len()]).expect("a packed block");
            let want: Vec<Value> = args.iter().map(|a| a.to_value()).collect();
            assert_eq!(read_back(&block), want, "n = {n}");
        }
    }

    #[test]
    fn one_value_is_read_back_and_anything_else_is_left_to_the_decoder() {
        let mut p = Packed::default();
        assert!(p.push(&ValueRef::I64(-1 << 40)), "a scalar");
        let mut buf = vec![0u8; p.block_len()];
        p.write(&mut buf);
        assert_eq!(
            read_one_raw(&buf).and_then(|(ty, bits)| unpacked_value(ty, bits)),
            Some(Value::I64(-1 << 40))
        );
        buf[BLOCK_PREFIX] = 0x7F; // no such type byte
        assert_eq!(read_one_raw(&buf), None);
        assert!(!Packed::default().push(&ValueRef::Str("x")));
        let mut two = Packed::default();
        two.push(&ValueRef::I8(1));
        two.push(&ValueRef::I8(2));
        let mut buf = vec![0u8; two.block_len()];
        two.write(&mut buf);
        assert_eq!(read_one_raw(&buf), None);
        assert_eq!(read_one_raw(&buf[..4]), None);
    }
}
