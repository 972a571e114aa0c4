//! The server's lean path (packed scalar arguments, no decoder) against the general
//! path: for every packed argument list, either the lean path declines and calls
//! nothing, or it gives what the general path gives.

// The interface below expands to a client with public items, unused here.
#![allow(unreachable_pub, dead_code)]
use std::panic::{catch_unwind, AssertUnwindSafe};

use super::dispatch::{call_block, call_packed, call_scalar, ScalarReply};
use super::{Dispatch, Method, OutVec, Reply, Result, Served, ServerError};
use crate::transport::bulk::SegmentCache;
use crate::transport::codec::{unpacked_value, Block, Packed, PackedArgs};
use crate::values::value::Value;
use crate::values::value_ref::ValueRef;

crate::interface! {
    /// One method per kind of scalar parameter.
    trait Kinds => KindsClient {
        fn small(a: i8) -> i8;
        fn mixed(a: i64, b: f64) -> f64;
        fn optional(a: Option<i32>) -> i32;
        fn flag(b: bool) -> bool;
        fn size(n: usize) -> usize;
        fn letter(c: char) -> u32;
        fn any(v: Value) -> Value;
        fn borrowed<'a>(v: ValueRef<'a>) -> ValueRef<'a>;
        fn text(s: String) -> String;
        fn boom(a: i32) -> i32;
        fn nothing() -> i32;
        fn samples(n: i32) -> OutVec<f64>;
    }
}

/// Counts its calls, so that a declined lean call is seen to have called nothing.
#[derive(Default)]
struct Counting {
    calls: usize,
}

impl Kinds for Counting {
    fn small(&mut self, a: i8) -> Result<i8> {
        self.calls += 1;
        Ok(a.wrapping_mul(3))
    }
    fn mixed(&mut self, a: i64, b: f64) -> Result<f64> {
        self.calls += 1;
        Ok(a as f64 * b)
    }
    fn optional(&mut self, a: Option<i32>) -> Result<i32> {
        self.calls += 1;
        Ok(a.unwrap_or(-1))
    }
    fn flag(&mut self, b: bool) -> Result<bool> {
        self.calls += 1;
        Ok(!b)
    }
    fn size(&mut self, n: usize) -> Result<usize> {
        self.calls += 1;
        Ok(n + 1)
    }
    fn letter(&mut self, c: char) -> Result<u32> {
        self.calls += 1;
        Ok(c as u32)
    }
    fn any(&mut self, v: Value) -> Result<Value> {
        self.calls += 1;
        Ok(v)
    }
    fn borrowed<'a>(&mut self, v: ValueRef<'a>) -> Result<ValueRef<'a>> {
        self.calls += 1;
        Ok(v)
    }
    fn text(&mut self, s: String) -> Result<String> {
        self.calls += 1;
        Ok(s)
    }
    fn boom(&mut self, a: i32) -> Result<i32> {
        self.calls += 1;
        panic!("boom {a}")
    }
    fn nothing(&mut self) -> Result<i32> {
        self.calls += 1;
        Ok(7)
    }
    fn samples(&mut self, n: i32) -> Result<OutVec<f64>> {
        self.calls += 1;
        let mut out = OutVec::zeroed(n.max(0) as usize)?;
        out.iter_mut().enumerate().for_each(|(i, v)| *v = i as f64);
        Ok(out)
    }
}

/// What a call gave, comparable: the reply's value, or the error.
fn outcome(
    r: std::result::Result<Reply<'_>, ServerError>,
) -> std::result::Result<Value, ServerError> {
    r.map(|reply| reply.as_value_ref().to_value())
}

/// Every argument list of `scalars`: none, each one, each pair.
fn argument_lists<'v>(scalars: &'v [ValueRef<'v>]) -> Vec<Vec<ValueRef<'v>>> {
    let mut lists: Vec<Vec<ValueRef<'_>>> = vec![vec![]];
    lists.extend(scalars.iter().map(|a| vec![a.reborrow()]));
    for a in scalars {
        for b in scalars {
            lists.push(vec![a.reborrow(), b.reborrow()]);
        }
    }
    lists
}

/// Calls each method of `Kinds` with each of `lists`, packed, on a fresh wrapper the
/// fast way (`fast`) and on another the general way, panics silenced, and hands
/// `check` the method's name, the arguments, the fast way's result, the calls it made,
/// and the general way's outcome.
fn against_the_general_path<T>(
    lists: &[Vec<ValueRef<'_>>],
    fast: impl Fn(&mut Served<KindsClient, Counting>, usize, PackedArgs<'_>) -> T,
    mut check: impl FnMut(&str, &[ValueRef<'_>], T, usize, std::result::Result<Value, ServerError>),
) {
    let mut cache = SegmentCache::new("/loadlib-lean-test-never-mapped");
    for (index, name) in KindsClient::METHODS.iter().enumerate() {
        for args in lists {
            let packed = Packed::from_values(args).expect("scalars pack");
            let mut bytes = vec![0u8; packed.block_len()];
            packed.write(&mut bytes);
            let mut served = Served::<KindsClient, _>::new(Counting::default());
            let prior = std::panic::take_hook();
            std::panic::set_hook(Box::new(|_| {}));
            let got = fast(
                &mut served,
                index,
                PackedArgs::parse(&bytes).expect("packed"),
            );
            let calls = served.get_mut().calls;
            let general = catch_unwind(AssertUnwindSafe(|| {
                let block = Block::parse(&bytes).expect("a packed block");
                let method = Method::at(served.method_names(), index).expect("in the table");
                outcome(call_block(&mut served, method, block, &mut cache))
            }))
            .expect("call_block catches panics");
            std::panic::set_hook(prior);
            check(name, args, got, calls, general);
        }
    }
}

#[test]
fn the_lean_path_gives_what_the_general_path_gives_or_declines() {
    let scalars = [
        ValueRef::I8(-5),
        ValueRef::I32(300),
        ValueRef::I32(-1),
        ValueRef::U32(0x41),
        ValueRef::U32(0xD800),
        ValueRef::I64(1 << 40),
        ValueRef::U64(u64::MAX),
        ValueRef::F32(1.5),
        ValueRef::F64(2.5),
        ValueRef::Bool(true),
        ValueRef::None,
    ];
    let mut lists = argument_lists(&scalars);
    lists.push(vec![ValueRef::I32(1), ValueRef::I32(1), ValueRef::I32(1)]);
    let (mut lean_taken, mut checked) = (0, 0);
    let lean = |served: &mut Served<_, _>, index, args: PackedArgs<'_>| {
        call_packed(served, index, args).map(outcome)
    };
    against_the_general_path(&lists, lean, |name, args, lean, calls, general| {
        match lean {
            Some(lean) => {
                lean_taken += 1;
                assert_eq!(calls, 1, "`{name}`{args:?}: the lean path calls once");
                assert_eq!(lean, general, "`{name}` with {args:?}");
            }
            None => assert_eq!(calls, 0, "`{name}`{args:?}: declined, nothing called"),
        }
        checked += 1;
    });
    // Every method but `text` takes some list the lean way (`any` and `borrowed` each of
    // the 11 scalars, `nothing` the empty list, `mixed` its numeric pairs...); most lists
    // are declined by most methods (wrong count or type).
    assert_eq!(checked, KindsClient::METHODS.len() * lists.len());
    assert!(
        lean_taken >= 50,
        "only {lean_taken} calls took the lean path"
    );
}

#[test]
fn the_scalar_path_gives_what_the_general_path_gives_or_declines() {
    let scalars = [
        ValueRef::I8(-5),
        ValueRef::I32(300),
        ValueRef::U32(0x41),
        ValueRef::I64(1 << 40),
        ValueRef::U64(u64::MAX),
        ValueRef::F32(1.5),
        ValueRef::F64(-2.5),
        ValueRef::Bool(true),
        ValueRef::None,
    ];
    let lists = argument_lists(&scalars);
    let mut taken = std::collections::BTreeSet::new();
    let scalar =
        |served: &mut Served<_, _>, index, args: PackedArgs<'_>| call_scalar(served, index, args);
    against_the_general_path(&lists, scalar, |name, args, scalar, calls, general| {
        let got = match scalar {
            ScalarReply::NotCalled => {
                assert_eq!(calls, 0, "`{name}`{args:?}: declined, nothing called");
                return;
            }
            ScalarReply::Packed(ty, bits) => {
                Ok(unpacked_value(ty, bits).expect("a type byte a packed block holds"))
            }
            ScalarReply::Failed(e) => Err(*e),
        };
        assert_eq!(calls, 1, "`{name}`{args:?}: the scalar path calls once");
        assert_eq!(got, general, "`{name}` with {args:?}");
        taken.insert(name.to_owned());
    });
    // Each method whose result is always a packed scalar takes some list (`boom` as its
    // panic); the others (`any`, `borrowed`, `text`, `samples`, and `size`, whose `usize`
    // goes as a `u64` value) never do.
    let want = [
        "small", "mixed", "optional", "flag", "letter", "boom", "nothing",
    ];
    assert_eq!(taken, want.into_iter().map(str::to_owned).collect());
}

#[test]
fn a_result_written_in_place_goes_the_general_way_which_lends_memory() {
    let packed = Packed::from_values(&[ValueRef::I32(3)]).expect("scalars");
    let mut bytes = vec![0u8; packed.block_len()];
    packed.write(&mut bytes);
    let index = KindsClient::METHODS.iter().position(|m| *m == "samples");
    let index = index.expect("declared");
    let mut served = Served::<KindsClient, _>::new(Counting::default());
    let args = PackedArgs::parse(&bytes).expect("packed");
    assert!(call_packed(&mut served, index, args).is_none());
    assert_eq!(served.get_mut().calls, 0);
    // The general way, with no memory lent (not in a server): on the heap.
    let mut cache = SegmentCache::new("/loadlib-lean-test-never-mapped");
    let block = Block::parse(&bytes).expect("a packed block");
    let method = Method::at(served.method_names(), index).expect("in the table");
    let got = outcome(call_block(&mut served, method, block, &mut cache)).expect("called");
    let Value::Array(a) = got else {
        panic!("not an array: {got:?}")
    };
    assert_eq!(a.as_slice::<f64>(), Some(&[0.0, 1.0, 2.0][..]));
}

#[test]
fn a_block_that_is_not_packed_or_does_not_fit_is_declined() {
    let packed = Packed::from_values(&[ValueRef::I32(1), ValueRef::I32(2)]).expect("scalars");
    let mut bytes = vec![0u8; packed.block_len()];
    packed.write(&mut bytes);
    let args = PackedArgs::parse(&bytes).expect("fits");
    assert_eq!(
        (args.len(), args.get(1).map(|v| v.1), args.get(2)),
        (2, Some(2), None)
    );
    assert!(PackedArgs::parse(&bytes[..bytes.len() - 1]).is_none());
    assert!(PackedArgs::parse(&bytes[..4]).is_none());
    bytes[4] = 0; // flags: a descriptor block
    assert!(PackedArgs::parse(&bytes).is_none());
    bytes[4] = 1;
    bytes[0] = 17; // more values than a packed block holds
    assert!(PackedArgs::parse(&bytes).is_none());
}

#[test]
fn a_scalar_result_packs_as_its_value_does() {
    use super::IntoReply;
    use crate::transport::codec::pack_value;
    fn check<T: IntoReply<'static> + Into<Value> + Copy + std::fmt::Debug>(v: T) {
        assert!(T::PACKED, "{v:?}");
        assert_eq!(Some(v.into_packed()), pack_value(&v.into()), "{v:?}");
    }
    check(-3i8);
    check(-300i16);
    check(-70_000i32);
    check(i64::MIN);
    check(250u8);
    check(65_000u16);
    check(u32::MAX);
    check(u64::MAX);
    check(-1.25f32);
    check(f64::MAX);
    check(true);
    const { assert!(<() as IntoReply>::PACKED) };
    assert_eq!(Some(().into_packed()), pack_value(&Value::None));
    const { assert!(!<String as IntoReply>::PACKED && !<Value as IntoReply>::PACKED) };
}
