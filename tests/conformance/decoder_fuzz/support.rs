//! Inputs and checks for `decoder_fuzz`: aligned buffers, fake bulk and shared-array
//! segments, value and record generators, mutations, and the decoder walk itself.
#![allow(dead_code)]

pub use super::inputs::{descriptor_block, record_for, record_input, Mutation};

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use loadlib::__private::codec::{decode_value, Block, SegmentMap};
use loadlib::__private::wire::location;
use loadlib::__private::RecordView;
use loadlib::server::{Args, Rest};
use loadlib::{Array, ArrayMut, ArrayRef, Value, ValueRef};
use zerocopy::IntoBytes;

/// Generation of the one bulk segment the fake map knows.
pub const BULK_GEN: u32 = 7;
/// Id of the one shared array the fake map knows.
pub const SHARED_ID: u32 = 3;

/// Bytes in an 8-aligned buffer, as records are in the ring.
#[derive(Clone)]
pub struct Aligned {
    words: Vec<u64>,
    pub len: usize,
}

impl Aligned {
    pub fn zeroed(len: usize) -> Aligned {
        Aligned {
            words: vec![0; len.div_ceil(8)],
            len,
        }
    }
}

pub fn aligned(bytes: &[u8]) -> Aligned {
    let mut a = Aligned::zeroed(bytes.len());
    a.copy_from_slice(bytes);
    a
}

impl fmt::Debug for Aligned {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02x?}", &**self)
    }
}

impl Deref for Aligned {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.words.as_bytes()[..self.len]
    }
}

impl DerefMut for Aligned {
    fn deref_mut(&mut self) -> &mut [u8] {
        &mut self.words.as_mut_bytes()[..self.len]
    }
}

/// The segments outside a record: one bulk segment and one shared array.
pub struct Segs {
    pub bulk: Aligned,
    pub shared: Aligned,
    /// Where the two start, taken once from `&mut` (writable; the buffers never move).
    starts: [*mut u8; 2],
}

impl Segs {
    /// A bulk segment of `bulk_len` bytes and a 256-byte shared array, filled with text.
    pub fn new(bulk_len: usize) -> Segs {
        let mut bulk = Aligned::zeroed(bulk_len);
        let mut shared = Aligned::zeroed(256);
        bulk.fill(b'x');
        shared.fill(b'y');
        let starts = [
            bulk.words.as_mut_ptr().cast::<u8>(),
            shared.words.as_mut_ptr().cast::<u8>(),
        ];
        Segs {
            bulk,
            shared,
            starts,
        }
    }

    fn areas(&self) -> [&[u8]; 2] {
        [&self.bulk, &self.shared]
    }
}

// SAFETY: each pointer is the start of a `Vec`'s buffer, taken from `&mut` (writable)
// and valid for the area's length while `Segs` lives (the vectors are never resized).
// Here the views decoded from them are only read (an `ArrayMut` is made, never written).
unsafe impl SegmentMap for Segs {
    fn segment(&self, loc: u8, segment: u32) -> Option<(*mut u8, usize)> {
        match (loc, segment) {
            (location::CLIENT_BULK, BULK_GEN) => Some((self.starts[0], self.bulk.len)),
            (location::SHARED, SHARED_ID) => Some((self.starts[1], self.shared.len)),
            _ => None,
        }
    }
}

/// What the inputs of one property reached.
#[derive(Default)]
pub struct Counts {
    cases: AtomicU64,
    rejected: AtomicU64,
    blocks: AtomicU64,
    values_ok: AtomicU64,
    values_err: AtomicU64,
    overlaps: AtomicU64,
    conversions_ok: AtomicU64,
}

impl Counts {
    pub fn cases(&self) -> u64 {
        self.cases.load(Relaxed)
    }
    pub fn rejected(&self) -> u64 {
        self.rejected.load(Relaxed)
    }
    pub fn values_ok(&self) -> u64 {
        self.values_ok.load(Relaxed)
    }
    fn bump(c: &AtomicU64) {
        c.fetch_add(1, Relaxed);
    }
}

impl fmt::Display for Counts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let g = |c: &AtomicU64| c.load(Relaxed);
        write!(
            f,
            "{} inputs: {} rejected at record/block level, {} blocks parsed, {} values \
             decoded, {} values refused, {} overlaps refused, {} argument conversions ok",
            g(&self.cases),
            g(&self.rejected),
            g(&self.blocks),
            g(&self.values_ok),
            g(&self.values_err),
            g(&self.overlaps),
            g(&self.conversions_ok),
        )
    }
}

/// Whether `part` lies in one of `areas` (an empty slice reads nothing: always true).
fn inside(part: &[u8], areas: &[&[u8]]) -> bool {
    if part.is_empty() {
        return true;
    }
    let (p0, p1) = (part.as_ptr() as usize, part.as_ptr() as usize + part.len());
    areas.iter().any(|a| {
        let (a0, a1) = (a.as_ptr() as usize, a.as_ptr() as usize + a.len());
        a0 <= p0 && p1 <= a1
    })
}

/// Asserts a borrowed value lies inside the block or a segment, and is self-consistent.
fn check_view(v: &ValueRef<'_>, block: &[u8], segs: &Segs) {
    let [bulk, shared] = segs.areas();
    let areas = [block, bulk, shared];
    let check_array = |a: ArrayRef<'_>| {
        assert!(inside(a.as_bytes(), &areas), "array outside every area");
        let n = a.shape().elements().expect("checked shape");
        assert_eq!(n * a.dtype().size(), a.as_bytes().len());
        assert_eq!(a.as_bytes().as_ptr() as usize % a.dtype().size(), 0);
    };
    match v {
        ValueRef::Str(s) => assert!(inside(s.as_bytes(), &areas), "str outside every area"),
        ValueRef::Bytes(b) => assert!(inside(b, &areas), "bytes outside every area"),
        ValueRef::Array(a) => check_array(a.clone()),
        ValueRef::ArrayMut(a) => check_array(a.as_ref()),
        _ => {}
    }
}

/// Parses `record` as the server and client do; `Some(values)` if every value decoded.
pub fn exercise(record: &[u8], segs: &Segs, counts: &Counts) -> Option<Vec<Value>> {
    Counts::bump(&counts.cases);
    let Ok(view) = RecordView::parse(record) else {
        Counts::bump(&counts.rejected);
        return None;
    };
    assert!(inside(view.name, &[record]), "name outside the record");
    assert!(inside(view.block, &[record]), "block outside the record");
    walk_block(view.block, segs, counts)
}

/// Parses `block` as an argument block (no record around it).
pub fn exercise_block(block: &[u8], segs: &Segs, counts: &Counts) -> Option<Vec<Value>> {
    Counts::bump(&counts.cases);
    walk_block(block, segs, counts)
}

fn walk_block(bytes: &[u8], segs: &Segs, counts: &Counts) -> Option<Vec<Value>> {
    let Ok(block) = Block::parse(bytes) else {
        Counts::bump(&counts.rejected);
        return None;
    };
    Counts::bump(&counts.blocks);
    let overlaps_ok = block.check_overlaps().is_ok();
    if !overlaps_ok {
        Counts::bump(&counts.overlaps);
    }
    let mut out = Some(Vec::new());
    for i in 0..=block.len() {
        match block.get(i, segs) {
            Ok(v) => {
                assert!(i < block.len(), "value {i} of a block of {}", block.len());
                check_view(&v, bytes, segs);
                let owned = v.to_value();
                if let Some(o) = out.as_mut() {
                    o.push(owned);
                }
                Counts::bump(&counts.values_ok);
            }
            Err(_) if i == block.len() => {}
            Err(_) => {
                Counts::bump(&counts.values_err);
                out = None;
            }
        }
    }
    if let Ok(v) = decode_value(bytes, segs) {
        assert_eq!(
            block.len(),
            1,
            "decode_value accepted {} values",
            block.len()
        );
        if let Some(o) = &out {
            // Compared as text: a NaN scalar is not equal to itself.
            assert_eq!(
                format!("{:?}", o[0]),
                format!("{v:?}"),
                "decode_value and get(0)"
            );
        }
    }
    if overlaps_ok {
        convert_all(block, segs, counts);
    }
    out
}

/// The conversions a wrapper method applies to its arguments.
fn convert_all(block: Block<'_>, segs: &Segs, counts: &Counts) {
    // SAFETY: (each `Args::new` here) the views each one hands out are dropped at once,
    // before another is made, and no writable one is written.
    let args = unsafe { Args::new(block, segs) };
    let Ok(args) = args else {
        return;
    };
    let ok = |r: bool| {
        if r {
            Counts::bump(&counts.conversions_ok);
        }
    };
    for i in 0..=block.len() {
        ok(args.arg::<String>(i).is_ok());
        ok(args.arg::<&str>(i).is_ok());
        ok(args.arg::<i64>(i).is_ok());
        ok(args.arg::<u8>(i).is_ok());
        ok(args.arg::<f32>(i).is_ok());
        ok(args.arg::<bool>(i).is_ok());
        ok(args.arg::<Option<f64>>(i).is_ok());
        ok(args.arg::<&[f64]>(i).is_ok());
        ok(args.arg::<&[u8]>(i).is_ok());
        ok(args.arg::<Vec<i16>>(i).is_ok());
        ok(args.arg::<Array>(i).is_ok());
        ok(args.arg::<Value>(i).is_ok());
        ok(args.arg::<ArrayRef<'_>>(i).is_ok());
    }
    // A writable view may be taken once per argument: a fresh `Args` for that.
    // SAFETY: see above.
    let args = unsafe { Args::new(block, segs) }.expect("checked above");
    for i in 0..block.len() {
        ok(args.arg::<ArrayMut<'_>>(i).is_ok());
    }
    // SAFETY: see above.
    let args = unsafe { Args::new(block, segs) }.expect("checked above");
    ok(args.arg::<Rest<'_>>(0).is_ok());
}
