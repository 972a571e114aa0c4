//! Pipelined calls: many requests in flight, each reply matched to its request, over
//! every transport and both server widths.

use loadlib::{Error, Value};

use crate::common::{self, Config};

common::per_config! {
    ten_thousand_pipelined_calls_each_get_their_own_reply: servers;
    errors_inside_a_batch_stay_with_their_call: servers;
    bulk_arrays_in_a_batch_are_never_overwritten_while_in_use: servers;
    shared_arrays_in_a_batch_are_written_before_the_batch_ends: servers;
    a_batch_that_returns_early_waits_for_its_calls_and_leaves_the_client_usable: shm;
    a_batch_that_panics_waits_for_its_calls_and_leaves_the_client_usable: shm;
}

fn ten_thousand_pipelined_calls_each_get_their_own_reply(cfg: &Config) {
    let client = cfg.start("testlib");
    let replies = client
        .batch(|b| {
            for i in 0..10_000i32 {
                b.submit("add", (i, 1_000_000i32))?;
            }
            assert_eq!(b.submitted(), 10_000);
            Ok(())
        })
        .unwrap();
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

fn errors_inside_a_batch_stay_with_their_call(cfg: &Config) {
    let client = cfg.start("testlib");
    let r = client
        .batch(|b| {
            b.submit("add", (1i32, 2i32))?;
            b.submit("nope", ())?;
            b.submit("add", (3i32, "four"))?;
            b.submit("add", (5i32, 6i32))
        })
        .unwrap();
    assert_eq!(r[0].as_ref().unwrap(), &Value::I32(3));
    assert!(matches!(&r[1], Err(Error::Server32 { name, .. }) if name == "UnknownMethod"));
    assert!(matches!(&r[2], Err(Error::Server32 { name, .. }) if name == "TypeError"));
    assert_eq!(r[3].as_ref().unwrap(), &Value::I32(11), "[{}]", cfg.label);
}

fn bulk_arrays_in_a_batch_are_never_overwritten_while_in_use(cfg: &Config) {
    // A 256 KiB ring: arrays of 96 KiB and more go through the bulk segments.
    let client = cfg.builder("echo").ring_size(256 << 10).start().unwrap();
    let arrays: Vec<Vec<f64>> = (0..60)
        .map(|i| {
            let n = if i % 3 == 0 { 16_000 + i * 100 } else { 10 + i };
            (0..n).map(|k| (i * 1_000_000 + k) as f64).collect()
        })
        .collect();
    // The batch borrows what it sends until it ends, so the data is made before it.
    let replies = client
        .batch(|b| {
            for a in &arrays {
                b.submit("echo", (a,))?;
                b.submit("echo", ("between",))?;
            }
            Ok(())
        })
        .unwrap();
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

fn shared_arrays_in_a_batch_are_written_before_the_batch_ends(cfg: &Config) {
    let client = cfg.start("testlib");
    let mut x = client.alloc_array::<f64>(&[100]).unwrap();
    for (i, v) in x.iter_mut().enumerate() {
        *v = i as f64;
    }
    let mut outs: Vec<_> = (0..4)
        .map(|_| client.alloc_array::<f64>(&[100]).unwrap())
        .collect();
    let replies = client
        .batch(|b| {
            for (k, out) in outs.iter_mut().enumerate() {
                b.submit("scalar_multiply_into", (k as f64, &x, out))?;
            }
            // `outs` cannot be touched here: the batch holds it (tests/compile_fail).
            Ok(())
        })
        .unwrap();
    assert!(replies.iter().all(|r| r.is_ok()), "[{}]", cfg.label);
    for (k, out) in outs.iter().enumerate() {
        assert_eq!(out[99], 99.0 * k as f64, "[{}] out {k}", cfg.label);
    }
}

/// Fills `outs` through a batch of slow calls that `end` cuts short inside the closure,
/// then checks the client works on and every array holds its final value, now and a
/// while later (no late write after `batch` is over).
fn a_batch_cut_short(cfg: &Config, end: impl Fn() -> loadlib::Result<()>) {
    let client = cfg.start("testlib");
    let mut outs: Vec<_> = (0..3)
        .map(|_| client.alloc_array::<f64>(&[1000]).unwrap())
        .collect();
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        client.batch(|b| {
            for (k, out) in outs.iter_mut().enumerate() {
                b.submit("sleep_then_fill", (50i32, out, k as f64 + 1.0))?;
            }
            assert_eq!(b.in_flight(), 3);
            end()
        })
    }));
    // The server finished every call before `batch` returned or the panic went on.
    for (k, out) in outs.iter().enumerate() {
        assert!(
            out.iter().all(|&v| v == k as f64 + 1.0),
            "[{}] out {k}",
            cfg.label
        );
    }
    let sum: i32 = client.request32("add", (2, 3)).unwrap();
    assert_eq!(sum, 5, "[{}] the client works on", cfg.label);
    for out in &mut outs {
        out.fill(-1.0);
    }
    std::thread::sleep(std::time::Duration::from_millis(150));
    assert!(
        outs.iter().all(|o| o.iter().all(|&v| v == -1.0)),
        "[{}] nothing wrote the arrays after the batch",
        cfg.label
    );
    match r {
        Ok(r) => assert!(
            matches!(&r, Err(Error::InvalidArgument(m)) if m == "stop"),
            "[{}] {r:?}",
            cfg.label
        ),
        Err(p) => assert_eq!(p.downcast_ref::<&str>(), Some(&"boom"), "[{}]", cfg.label),
    }
}

fn a_batch_that_returns_early_waits_for_its_calls_and_leaves_the_client_usable(cfg: &Config) {
    a_batch_cut_short(cfg, || Err(Error::InvalidArgument("stop".into())));
}

fn a_batch_that_panics_waits_for_its_calls_and_leaves_the_client_usable(cfg: &Config) {
    a_batch_cut_short(cfg, || std::panic::panic_any("boom"));
}

#[test]
fn a_call_on_the_client_inside_its_own_batch_is_refused_not_a_deadlock() {
    let client = loadlib::Client64::new("testlib").unwrap();
    let replies = client
        .batch(|b| {
            b.submit("add", (1i32, 2i32))?;
            let inner = client.call("add", (3i32, 4i32)).unwrap_err();
            assert!(
                matches!(&inner, Error::InvalidArgument(m) if m.contains("its own batch")),
                "{inner}"
            );
            let nested = client.batch(|_| Ok(())).unwrap_err();
            assert!(matches!(nested, Error::InvalidArgument(_)), "{nested}");
            b.submit("add", (5i32, 6i32))
        })
        .unwrap();
    assert_eq!(replies.len(), 2);
    assert_eq!(replies[1].as_ref().unwrap(), &Value::I32(11));
    // Other threads wait for the batch; after it, calls from this thread work again.
    assert_eq!(client.request32::<i32>("add", (1, 1)).unwrap(), 2);
}
