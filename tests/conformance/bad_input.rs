//! Bad input gives a clear, typed error and leaves the client usable: wrong argument
//! types and ranks (beyond errors.rs), arrays too large for a 32-bit server,
//! invalid UTF-8 in a record, and method names at and past the length limit.

use std::time::{Duration, Instant};

use loadlib::__private::codec::{self, decode_value, Block, SegmentMap};
use loadlib::__private::wire::{
    align_up, RecordHeader, KIND_REQUEST, MAX_NAME_LEN, RECORD_ALIGN, RECORD_HEADER_SIZE,
};
use loadlib::__private::RecordView;
use loadlib::{Array, ArrayRef, Error, Value, ValueRef};
use zerocopy::IntoBytes;

use crate::common::{self, server_error, Config};

common::per_config! {
    wrong_argument_types_are_type_errors_and_integers_never_truncate: widths32;
}

fn wrong_argument_types_are_type_errors_and_integers_never_truncate(cfg: &Config) {
    let c = cfg.start("testlib");
    let l = cfg.label;
    // (method, arguments, the error's name, what its message says)
    let cases: Vec<(&str, Vec<ValueRef<'_>>, &str, &str)> = vec![
        (
            "add",
            vec![(&[1i32, 2][..]).into(), 3i32.into()],
            "TypeError",
            "got array<i32; 1-D>",
        ),
        (
            "add",
            vec![ValueRef::None, 3i32.into()],
            "TypeError",
            "got None",
        ),
        (
            "add",
            vec![1.5f64.into(), 3i32.into()],
            "TypeError",
            "got f64",
        ),
        // Integers that do not fit are overflow errors, never truncated.
        (
            "add",
            vec![(1i64 << 40).into(), 0i32.into()],
            "OverflowError",
            "1099511627776 (i64) does not fit in i32",
        ),
        (
            "add",
            vec![u32::MAX.into(), 0i32.into()],
            "OverflowError",
            "4294967295 (u32) does not fit in i32",
        ),
        ("sum", vec![3.0f64.into()], "TypeError", "an array of f64"),
        ("sum", vec!["1,2,3".into()], "TypeError", "an array of f64"),
        (
            "sum",
            vec![(&[1.0f32, 2.0][..]).into()],
            "TypeError",
            "an array of f64",
        ),
        (
            "scalar_multiply",
            vec![true.into(), (&[1.0f64][..]).into()],
            "TypeError",
            "got bool",
        ),
        (
            "scalar_multiply",
            vec![2i32.into(), (&[1.0f64][..]).into()],
            "TypeError",
            "got i32",
        ),
    ];
    for (method, args, kind, needle) in cases {
        let (name, msg) = server_error(c.call(method, args.as_slice()));
        assert_eq!(name, kind, "[{l}] {method}: {msg}");
        assert!(
            msg.contains(needle),
            "[{l}] {method}: `{msg}` lacks `{needle}`"
        );
    }
    // Integers that fit are converted exactly; f32 widens to f64.
    assert_eq!(
        c.request32::<i32>("add", (40i64, 2u8)).unwrap(),
        42,
        "[{l}]"
    );
    assert_eq!(
        c.request32::<i32>("add", (-1i16, i32::MAX)).unwrap(),
        i32::MAX - 1
    );
    let y: Vec<f64> = c
        .request32("scalar_multiply", (0.5f32, &[4.0f64][..]))
        .unwrap();
    assert_eq!(y, [2.0]);
    assert_eq!(
        c.request32::<i32>("add", (20i32, 22i32)).unwrap(),
        42,
        "[{l}]"
    );
}

#[test]
fn arrays_of_any_rank_reach_a_1_d_parameter_flattened_in_row_major_order() {
    // No testlib method checks shape (the Fortran wrapper's matrix_multiply does; see
    // tests/wrappers/fortran.rs): a method taking &[f64] sees the elements of any rank.
    let c = Config::shm_server32().start("testlib");
    let data: Vec<f64> = (1..=12).map(f64::from).collect();
    let m = ArrayRef::new(&data, &[3, 4]).unwrap();
    assert_eq!(c.request32::<f64>("sum", (m,)).unwrap(), 78.0);
    let cube = ArrayRef::new(&data, &[2, 3, 2]).unwrap();
    let y: Array = c.request32("scalar_multiply", (2.0f64, cube)).unwrap();
    assert_eq!(y.shape(), &[12], "the reply is the method's own 1-D vector");
    assert_eq!(y.as_slice::<f64>().unwrap()[11], 24.0);
    let scalar = Array::scalar(5.0f64);
    assert_eq!(c.request32::<f64>("sum", (&scalar,)).unwrap(), 5.0);
    let empty = ArrayRef::new::<f64>(&[], &[0, 7]).unwrap();
    assert_eq!(c.request32::<f64>("sum", (empty,)).unwrap(), 0.0);
    // Shapes that do not match the data, or ranks above 32, cannot even be built.
    assert!(ArrayRef::new(&data, &[5, 5]).is_none());
    assert!(ArrayRef::new(&data[..1], &[1; 33]).is_none());
}

#[test]
fn arrays_too_large_for_a_32_bit_server_are_refused_before_sending() {
    let c = loadlib::Client64::new("echo").unwrap();
    assert_eq!(c.server_pointer_width(), 32);
    // Zeroed allocations are not touched: these cost address space, not memory.
    let over: Vec<u8> = vec![0; (2 << 30) + 1];
    let half: Vec<u8> = vec![0; 3 << 29];
    let t0 = Instant::now();
    for args in [
        vec![ValueRef::from(&over)],
        vec![ValueRef::from(&half), ValueRef::from(&half)],
    ] {
        match c.call("echo", args.as_slice()) {
            Err(Error::InvalidArgument(m)) => assert!(m.contains("32-bit server"), "{m}"),
            other => panic!("expected InvalidArgument, got {other:?}"),
        }
    }
    assert!(t0.elapsed() < Duration::from_secs(5), "the data was copied");
    for shape in [&[(1usize << 28) + 1][..], &[1 << 40, 1 << 40]] {
        match c.alloc_array::<f64>(shape) {
            Err(Error::InvalidArgument(m)) => {
                assert!(m.contains("bytes") || m.contains("overflow"))
            }
            Err(e) => panic!("{shape:?}: {e}"),
            Ok(_) => panic!("{shape:?}: allocated"),
        }
    }
    assert!(
        common::shm_entries(c.segment_name()).len() == 1,
        "nothing was allocated"
    );
    assert_eq!(c.request32::<String>("echo", ("fine",)).unwrap(), "fine");
}

/// A request record for `args`, in an 8-aligned buffer, with the block's offset.
fn record(name: &str, args: &[ValueRef<'_>]) -> (Vec<u64>, usize, usize) {
    let off = align_up(RECORD_HEADER_SIZE + name.len(), 8);
    let encoder = codec::Encoder::new(args, usize::MAX, off % RECORD_ALIGN).unwrap();
    let plan = encoder.plan();
    let len = align_up(off + plan.block_len, RECORD_ALIGN);
    let mut h = RecordHeader::new(KIND_REQUEST, len as u32, 9);
    (h.name_len, h.block_offset, h.block_len) =
        (name.len() as u32, off as u32, plan.block_len as u32);
    let mut buf = vec![0u64; len.div_ceil(8)];
    let bytes = buf.as_mut_bytes();
    bytes[..RECORD_HEADER_SIZE].copy_from_slice(h.as_bytes());
    bytes[RECORD_HEADER_SIZE..RECORD_HEADER_SIZE + name.len()].copy_from_slice(name.as_bytes());
    encoder
        .write(&mut bytes[off..off + plan.block_len], None)
        .unwrap();
    (buf, off, len)
}

struct NoSegments;
// SAFETY: it names no memory.
unsafe impl SegmentMap for NoSegments {
    fn segment(&self, _: u8, _: u32) -> Option<(*mut u8, usize)> {
        None
    }
}

/// Replaces the first occurrence of `from` in the record with `to` (same length).
fn corrupt(buf: &mut [u64], from: &[u8], to: &[u8]) {
    let bytes = buf.as_mut_bytes();
    let at = bytes
        .windows(from.len())
        .position(|w| w == from)
        .expect("found");
    bytes[at..at + to.len()].copy_from_slice(to);
}

#[test]
fn invalid_utf8_in_a_string_argument_or_map_key_is_a_decode_error() {
    let map = Value::Map(vec![("clé".into(), Value::I32(1))]);
    for (args, from) in [
        (vec![ValueRef::Str("héllo")], "é".as_bytes()),
        (vec![ValueRef::I8(1), ValueRef::from(&map)], "é".as_bytes()),
    ] {
        let (mut buf, off, len) = record("echo", &args);
        // Intact, it decodes.
        let view = RecordView::parse(&buf.as_bytes()[..len]).unwrap();
        let block = Block::parse(view.block).unwrap();
        assert!(block.get(args.len() - 1, &NoSegments).is_ok());
        // 0xC3 0xA9 ("é") becomes 0xC3 0x28: a lead byte without its continuation.
        corrupt(&mut buf, from, &[0xC3, 0x28]);
        let view = RecordView::parse(&buf.as_bytes()[..len]).unwrap();
        let block = Block::parse(view.block).unwrap();
        let e = block
            .get(args.len() - 1, &NoSegments)
            .expect_err("an error");
        assert!(e.0.contains("not valid UTF-8"), "{}", e.0);
        if args.len() == 1 {
            let e = decode_value(&buf.as_bytes()[off..len], &NoSegments).unwrap_err();
            assert!(e.0.contains("not valid UTF-8"), "{}", e.0);
        }
    }
}

#[test]
fn method_names_at_the_limit_reach_the_server_and_longer_ones_are_refused() {
    let c = Config::shm_server32().start("echo");
    let at_limit = "m".repeat(MAX_NAME_LEN);
    let (name, msg) = server_error(c.call(&at_limit, ()));
    assert_eq!(name, "UnknownMethod");
    assert!(msg.contains(&at_limit), "the server saw another name");
    let (name, _) = server_error(c.call("ëcho", ("x",)));
    assert_eq!(
        name, "UnknownMethod",
        "a non-ASCII name is just another name"
    );
    match c.call(&"m".repeat(MAX_NAME_LEN + 1), ()) {
        Err(Error::InvalidArgument(m)) => assert!(m.contains("1025"), "{m}"),
        other => panic!("{other:?}"),
    }
    // A record claiming a longer name is refused by the decoder, not read past.
    let (mut buf, _, len) = record("echo", &[]);
    buf.as_mut_bytes()[16..20].copy_from_slice(&(MAX_NAME_LEN as u32 + 1).to_le_bytes());
    let e = RecordView::parse(&buf.as_bytes()[..len])
        .err()
        .expect("refused");
    assert!(
        matches!(e, Error::Protocol(ref m) if m.contains("name of 1025 bytes")),
        "{e}"
    );
    assert_eq!(c.request32::<String>("echo", ("ok",)).unwrap(), "ok");
}
