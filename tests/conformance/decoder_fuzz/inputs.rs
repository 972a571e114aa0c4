//! Generators: values, valid records built with the real encoder, hand-built descriptor
//! tables, and mutations aimed at the fields the decoder trusts least.

use proptest::prelude::*;
use zerocopy::IntoBytes;

use super::support::{Aligned, Segs, BULK_GEN};
use loadlib::__private::codec::{self, BulkTarget};
use loadlib::__private::wire::{
    align_up, location, ArgDesc, RecordHeader, ARG_DESC_SIZE, BLOCK_PREFIX, KIND_REQUEST,
    RECORD_ALIGN, RECORD_HEADER_SIZE,
};
use loadlib::{Array, Value, ValueRef};

fn array_of<T: loadlib::Element + Arbitrary>() -> impl Strategy<Value = Value> {
    prop::collection::vec(0usize..4, 0..4).prop_flat_map(|shape| {
        let n: usize = shape.iter().product();
        prop::collection::vec(any::<T>(), n)
            .prop_map(move |data| Value::Array(Array::new(shape.clone(), data).expect("n")))
    })
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::None),
        any::<bool>().prop_map(Value::Bool),
        any::<i8>().prop_map(Value::I8),
        any::<u16>().prop_map(Value::U16),
        any::<i32>().prop_map(Value::I32),
        any::<u64>().prop_map(Value::U64),
        (-1e6f32..1e6).prop_map(Value::F32),
        (-1e300f64..1e300).prop_map(Value::F64),
        ".{0,24}".prop_map(Value::Str),
        prop::collection::vec(any::<u8>(), 0..40).prop_map(Value::Bytes),
        prop::collection::vec(-1e9f64..1e9, 0..40).prop_map(|v| Value::Array(Array::from_vec(v))),
        array_of::<u8>(),
        array_of::<i16>(),
        array_of::<u32>(),
        array_of::<i64>(),
    ]
}

/// Any value, lists and maps nested up to three deep.
pub fn value() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::List),
            prop::collection::vec(("[a-z]{0,6}", inner), 0..3).prop_map(Value::Map),
        ]
    })
}

/// A request to encode: method name, arguments, and the inline limit (smaller limits
/// send more payloads to the bulk segment).
#[derive(Clone, Debug)]
pub struct RecordInput {
    pub name: String,
    pub values: Vec<Value>,
    pub inline_limit: usize,
}

pub fn record_input() -> impl Strategy<Value = RecordInput> {
    (
        "[a-z_]{0,40}",
        prop::collection::vec(value(), 0..6),
        prop_oneof![Just(usize::MAX), 0usize..200],
    )
        .prop_map(|(name, values, inline_limit)| RecordInput {
            name,
            values,
            inline_limit,
        })
}

/// The record the client would write for `input`, and its bulk segment.
pub fn record_for(input: &RecordInput) -> (Aligned, Segs) {
    let args: Vec<ValueRef<'_>> = input.values.iter().map(ValueRef::from).collect();
    // As the channel lays a record out: the block at the next 8-byte boundary after the
    // name, arrays aligned relative to the (64-aligned) record.
    let block_offset = align_up(RECORD_HEADER_SIZE + input.name.len(), 8);
    let base = block_offset % RECORD_ALIGN;
    let encoder = codec::Encoder::new(&args, input.inline_limit, base).expect("plan");
    let plan = encoder.plan();
    let mut segs = Segs::new(plan.bulk_len);
    // SAFETY: the bulk area is writable for its length (a `Vec` borrowed mutably), and
    // nothing else touches it while `write` runs.
    let target = unsafe {
        BulkTarget::new(
            segs.bulk.as_mut_ptr(),
            segs.bulk.len(),
            location::CLIENT_BULK,
            BULK_GEN,
        )
    };
    let len = align_up(block_offset + plan.block_len, RECORD_ALIGN);
    let mut header = RecordHeader::new(KIND_REQUEST, len as u32, 1);
    header.name_len = input.name.len() as u32;
    header.block_offset = block_offset as u32;
    header.block_len = plan.block_len as u32;
    let mut rec = Aligned::zeroed(len);
    rec[..RECORD_HEADER_SIZE].copy_from_slice(header.as_bytes());
    rec[RECORD_HEADER_SIZE..RECORD_HEADER_SIZE + input.name.len()]
        .copy_from_slice(input.name.as_bytes());
    encoder
        .write(
            &mut rec[block_offset..block_offset + plan.block_len],
            Some(&target),
        )
        .expect("write");
    (rec, segs)
}

/// A number the decoder must treat with suspicion, chosen by `v`, relative to `len`.
fn interesting(v: u64, len: u64) -> u64 {
    match v % 16 {
        0 => 0,
        1 => 1,
        2 => 7,
        3 => 8,
        4 => 63,
        5 => 64,
        6 => len,
        7 => len.saturating_sub(1),
        8 => len + 1,
        9 => u32::MAX as u64,
        10 => u32::MAX as u64 - 7,
        11 => 1 << 31,
        12 => u64::MAX,
        13 => u64::MAX - 7,
        14 => 1 << 32,
        _ => v >> 4,
    }
}

fn small_or_wild_u64() -> impl Strategy<Value = u64> {
    prop_oneof![
        4 => (0u64..80).prop_map(|x| x * 8),
        1 => any::<u64>().prop_map(|v| interesting(v, 512)),
    ]
}

fn arg_desc() -> impl Strategy<Value = ArgDesc> {
    (
        (0u8..9, 0u8..13, prop_oneof![4 => 0u8..1, 1 => 0u8..5]),
        prop_oneof![0u8..4, Just(32), Just(33), any::<u8>()],
        (0u8..3, 0u32..9),
        small_or_wild_u64(),
        small_or_wild_u64(),
        small_or_wild_u64(),
    )
        .prop_map(
            |((tag, dtype, loc), rank, (flags, segment), shape, value, len)| ArgDesc {
                tag,
                dtype,
                location: loc,
                rank,
                flags,
                segment,
                shape_offset: shape as u32,
                value,
                len,
                ..ArgDesc::default()
            },
        )
}

/// A block made of descriptors with chosen fields, then a tail of mostly small bytes
/// (valid text, small extents) for shapes and payloads to land in.
pub fn descriptor_block() -> impl Strategy<Value = Aligned> {
    (
        prop::collection::vec(arg_desc(), 0..6),
        prop::collection::vec(any::<u8>(), 0..512).prop_map(|mut tail| {
            for b in tail.iter_mut() {
                // Mostly zeros, small extents and printable text; some raw bytes.
                *b = match *b % 4 {
                    0 => 0,
                    1 => *b % 4,
                    2 => 0x20 + *b % 0x5f,
                    _ => *b,
                };
            }
            tail
        }),
        prop_oneof![4 => Just(None), 1 => any::<u32>().prop_map(Some)],
    )
        .prop_map(|(descs, tail, count)| {
            let count = count.unwrap_or(descs.len() as u32);
            let mut b = Aligned::zeroed(BLOCK_PREFIX + descs.len() * ARG_DESC_SIZE + tail.len());
            b[..4].copy_from_slice(&count.to_le_bytes());
            for (i, d) in descs.iter().enumerate() {
                let at = BLOCK_PREFIX + i * ARG_DESC_SIZE;
                b[at..at + ARG_DESC_SIZE].copy_from_slice(d.as_bytes());
            }
            let at = BLOCK_PREFIX + descs.len() * ARG_DESC_SIZE;
            b[at..].copy_from_slice(&tail);
            b
        })
}

/// One change to a valid record (or its bulk segment).
#[derive(Clone, Debug)]
pub struct Mutation {
    at: u32,
    kind: u8,
    pick: u8,
    val: u64,
}

impl Arbitrary for Mutation {
    type Parameters = ();
    type Strategy = BoxedStrategy<Mutation>;
    fn arbitrary_with(_: ()) -> Self::Strategy {
        (any::<u32>(), any::<u8>(), any::<u8>(), any::<u64>())
            .prop_map(|(at, kind, pick, val)| Mutation {
                at,
                kind,
                pick,
                val,
            })
            .boxed()
    }
}

fn put(rec: &mut [u8], at: usize, size: usize, v: u64) {
    if at + size <= rec.len() {
        rec[at..at + size].copy_from_slice(&v.to_le_bytes()[..size]);
    }
}

fn read_u32(rec: &[u8], at: usize) -> usize {
    rec.get(at..at + 4)
        .map_or(0, |b| u32::from_le_bytes(b.try_into().expect("4")) as usize)
}

impl Mutation {
    /// Applies the change; the record stays within its buffer (truncation shortens it).
    pub fn apply(&self, rec: &mut Aligned, segs: &mut Segs) {
        let len = rec.len;
        let at = self.at as usize;
        let v = interesting(self.val, len as u64);
        match self.kind % 7 {
            0 if len > 0 => rec[at % len] ^= (self.val as u8) | 1,
            1 if len >= 4 => put(rec, (at % (len / 4)) * 4, 4, v),
            2 if len >= 8 => put(rec, (at % (len / 8)) * 8, 8, v),
            3 => rec.len = at % (len + 1),
            4 => {
                // A field of one argument descriptor.
                let block = read_u32(rec, 24);
                let count = read_u32(rec, block).clamp(1, 64);
                let desc = block + BLOCK_PREFIX + (at % count) * ARG_DESC_SIZE;
                let (off, size) = [
                    (0, 1),
                    (1, 1),
                    (2, 1),
                    (3, 1),
                    (4, 1),
                    (8, 4),
                    (12, 4),
                    (16, 8),
                    (24, 8),
                ][self.pick as usize % 9];
                let v = if size == 1 { self.val % 40 } else { v };
                put(rec, desc + off, size, v);
            }
            5 => {
                // A header field, or the block's value count.
                let block = read_u32(rec, 24);
                let (off, size) =
                    [(0, 4), (4, 2), (16, 4), (24, 4), (28, 4), (block, 4)][self.pick as usize % 6];
                put(rec, off, size, v);
            }
            6 if !segs.bulk.is_empty() => {
                let n = segs.bulk.len();
                segs.bulk[at % n] ^= (self.val as u8) | 0x80;
            }
            _ => {}
        }
    }
}
