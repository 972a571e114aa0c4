//! Pipelined calls: many requests in flight, each reply matched to its request.

mod common;

use loadlib::{Error, Value};

#[test]
fn ten_thousand_pipelined_calls_each_get_their_own_reply() {
    for cfg in common::configs() {
        let client = cfg.start("testlib");
        let mut batch = client.batch();
        for i in 0..10_000i32 {
            batch.submit("add", (i, 1_000_000i32)).unwrap();
        }
        let replies = batch.finish().unwrap();
        assert_eq!(replies.len(), 10_000, "[{}]", cfg.label);
        for (i, r) in replies.into_iter().enumerate() {
            assert_eq!(
                r.unwrap(),
                Value::I32(i as i32 + 1_000_000),
                "[{}] call {i}",
                cfg.label
            );
        }
    }
}

#[test]
fn errors_inside_a_batch_stay_with_their_call() {
    for cfg in common::configs() {
        let client = cfg.start("testlib");
        let mut batch = client.batch();
        batch.submit("add", (1i32, 2i32)).unwrap();
        batch.submit("nope", ()).unwrap();
        batch.submit("add", (3i32, "four")).unwrap();
        batch.submit("add", (5i32, 6i32)).unwrap();
        let r = batch.finish().unwrap();
        assert_eq!(r[0].as_ref().unwrap(), &Value::I32(3));
        assert!(matches!(&r[1], Err(Error::Server32 { name, .. }) if name == "UnknownMethod"));
        assert!(matches!(&r[2], Err(Error::Server32 { name, .. }) if name == "TypeError"));
        assert_eq!(r[3].as_ref().unwrap(), &Value::I32(11), "[{}]", cfg.label);
    }
}

#[test]
fn bulk_arrays_in_a_batch_are_never_overwritten_while_in_use() {
    for cfg in common::configs() {
        // A 256 KiB ring: arrays of 96 KiB and more go through the bulk segments.
        let client = cfg.builder("echo").ring_size(256 << 10).start().unwrap();
        let arrays: Vec<Vec<f64>> = (0..60)
            .map(|i| {
                let n = if i % 3 == 0 { 16_000 + i * 100 } else { 10 + i };
                (0..n).map(|k| (i * 1_000_000 + k) as f64).collect()
            })
            .collect();
        // The batch borrows what it sends until it ends, so it opens after the data.
        let mut batch = client.batch();
        for a in &arrays {
            batch.submit("echo", (a,)).unwrap();
            batch.submit("echo", ("between",)).unwrap();
        }
        let replies = batch.finish().unwrap();
        for (i, a) in arrays.iter().enumerate() {
            let back = replies[2 * i].as_ref().unwrap();
            let Value::Array(back) = back else {
                panic!("[{}] {back}", cfg.label)
            };
            assert_eq!(
                back.as_slice::<f64>().unwrap(),
                &a[..],
                "[{}] array {i}",
                cfg.label
            );
            assert_eq!(
                replies[2 * i + 1].as_ref().unwrap(),
                &Value::Str("between".into())
            );
        }
    }
}

#[test]
fn shared_arrays_in_a_batch_are_written_before_the_batch_ends() {
    for cfg in common::configs() {
        let client = cfg.start("testlib");
        let mut x = client.alloc_array::<f64>(&[100]).unwrap();
        for (i, v) in x.iter_mut().enumerate() {
            *v = i as f64;
        }
        let mut outs: Vec<_> = (0..4)
            .map(|_| client.alloc_array::<f64>(&[100]).unwrap())
            .collect();
        let mut batch = client.batch();
        for (k, out) in outs.iter_mut().enumerate() {
            batch
                .submit("scalar_multiply_into", (k as f64, &x, out))
                .unwrap();
        }
        // `outs` cannot be touched here: the batch holds it (tests/compile_fail).
        let replies = batch.finish().unwrap();
        assert!(replies.iter().all(|r| r.is_ok()), "[{}]", cfg.label);
        for (k, out) in outs.iter().enumerate() {
            assert_eq!(out[99], 99.0 * k as f64, "[{}] out {k}", cfg.label);
        }
    }
}
