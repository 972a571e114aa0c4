//! Plain `&mut` slices as writable arguments: `&mut [T]` parameters travel there and back,
//! `Out<'_, T>` parameters only back, over shared memory with both server widths and in
//! process; the file transport refuses them with a clear error, and a batch refuses them.

use loadlib::{ArrayMut, Client64, Error, ValueRef};
use server32::wrappers::testlib::TestLibClient;

use crate::common::{self, Config};

common::per_config! {
    an_output_slice_receives_the_result_and_is_not_sent: [shm_server32, shm_server64, in_process];
    a_read_write_slice_carries_its_contents_there_and_back: [shm_server32, shm_server64, in_process];
    a_failed_call_leaves_the_arrays_as_the_server_left_them_and_the_bridge_works:
        [shm_server32, shm_server64, in_process];
    the_file_transport_and_batches_refuse_plain_writable_arrays_with_a_clear_error: servers;
    a_writable_array_of_the_wrong_type_is_a_type_error_that_names_both: shm;
}

/// Sizes below, at and above the ring's inline limit (the ring is 64 KiB here).
const SIZES: [usize; 3] = [3, 4096, 300_000];

/// The test library's client: a server with a 64 KiB ring, or in process.
fn client(cfg: &Config) -> (&'static str, TestLibClient) {
    let client = if cfg.is_in_process() {
        cfg.testlib()
    } else {
        TestLibClient::new(cfg.builder("testlib").ring_size(1 << 16).start().unwrap()).unwrap()
    };
    (cfg.label, client)
}

fn an_output_slice_receives_the_result_and_is_not_sent(cfg: &Config) {
    let (label, c) = client(cfg);
    for n in SIZES {
        let x: Vec<f64> = (0..n).map(|i| i as f64).collect();
        // Whatever the caller's buffer held is overwritten by the result.
        let mut out = vec![-1.0f64; n];
        c.scalar_multiply_into(2.5, &x, &mut out).unwrap();
        assert!(
            out.iter().enumerate().all(|(i, &v)| v == 2.5 * i as f64),
            "[{label}] n={n}"
        );
        // A second call into the same buffer (the bulk segment is reused).
        c.scalar_multiply_into(-1.0, &x, &mut out[..]).unwrap();
        assert_eq!(out[n - 1], -((n - 1) as f64), "[{label}] n={n}");
    }
    let mut fixed = [0.0f64; 4];
    c.scalar_multiply_into(3.0, &[1.0, 2.0, 3.0, 4.0], &mut fixed)
        .unwrap();
    assert_eq!(fixed, [3.0, 6.0, 9.0, 12.0], "[{label}]");
}

fn a_read_write_slice_carries_its_contents_there_and_back(cfg: &Config) {
    let (label, c) = client(cfg);
    for n in SIZES {
        let x: Vec<f64> = (0..n).map(|i| i as f64).collect();
        let mut acc = vec![10.0f64; n];
        c.accumulate(&x, &mut acc).unwrap();
        c.accumulate(&x, &mut acc).unwrap();
        assert!(
            acc.iter()
                .enumerate()
                .all(|(i, &v)| v == 10.0 + 2.0 * i as f64),
            "[{label}] n={n}"
        );
    }
}

fn a_failed_call_leaves_the_arrays_as_the_server_left_them_and_the_bridge_works(cfg: &Config) {
    let (label, c) = client(cfg);
    let mut acc = vec![1.0f64; 3];
    let err = c.accumulate(&[1.0, 2.0], &mut acc).unwrap_err();
    assert!(
        matches!(&err, Error::Server32 { message, .. } if message.contains("acc has 3 elements")),
        "[{label}] {err}"
    );
    assert_eq!(acc, [1.0, 1.0, 1.0], "[{label}]");
    c.accumulate(&[1.0, 2.0, 3.0], &mut acc).unwrap();
    assert_eq!(acc, [2.0, 3.0, 4.0], "[{label}]");
}

fn the_file_transport_and_batches_refuse_plain_writable_arrays_with_a_clear_error(cfg: &Config) {
    let client = cfg.start("testlib");
    let mut out = vec![0.0f64; 2];
    let args = [
        ValueRef::F64(2.0),
        ValueRef::from(&[1.0f64, 2.0][..]),
        ValueRef::ArrayMut(ArrayMut::output(&mut out[..])),
    ];
    if cfg.is_file() {
        let err = client.call("scalar_multiply_into", &args[..]).unwrap_err();
        assert!(
            matches!(&err, Error::InvalidArgument(m) if m.contains("shared-memory transport")),
            "[{}] {err}",
            cfg.label
        );
    } else {
        let err = client
            .batch(|b| b.submit("scalar_multiply_into", &args[..]))
            .unwrap_err();
        assert!(
            matches!(&err, Error::InvalidArgument(m) if m.contains("cannot be batched")),
            "[{}] {err}",
            cfg.label
        );
        client.call("scalar_multiply_into", &args[..]).unwrap();
    }
    // The bridge works on after the refusal.
    let sum: i32 = client.request32("add", (2, 3)).unwrap();
    assert_eq!(sum, 5, "[{}]", cfg.label);
    drop(args);
    if cfg.is_shm() {
        assert_eq!(out, [2.0, 4.0], "[{}]", cfg.label);
    }
}

fn a_writable_array_of_the_wrong_type_is_a_type_error_that_names_both(cfg: &Config) {
    let client = cfg.start("testlib");
    let mut out = [7i32; 2];
    let args = [
        ValueRef::F64(2.0),
        ValueRef::from(&[1.0f64, 2.0][..]),
        ValueRef::ArrayMut(ArrayMut::output(&mut out[..])),
    ];
    let err = client.call("scalar_multiply_into", &args[..]).unwrap_err();
    assert!(
        matches!(&err, Error::Server32 { name, message, .. } if name == "TypeError"
            && message.contains("expected a writable array of f64, got array<i32>")),
        "[{}] {err}",
        cfg.label
    );
    // The bridge works on after the refusal.
    let sum: i32 = client.request32("add", (2, 3)).unwrap();
    assert_eq!(sum, 5, "[{}]", cfg.label);
}

#[test]
fn a_writable_array_in_a_call_that_timed_out_ends_the_server() {
    // Otherwise the late server could write into the bulk segment of a later request.
    let client = Client64::builder("testlib")
        .request_timeout(std::time::Duration::from_millis(300))
        .start()
        .unwrap();
    let mut acc = vec![0.0f64; 8];
    let args = [
        ValueRef::I32(3000),
        ValueRef::ArrayMut(ArrayMut::from_slice(&mut acc[..])),
        ValueRef::F64(1.0),
    ];
    let err = client.call("sleep_then_fill", &args[..]).unwrap_err();
    assert!(matches!(err, Error::ResponseTimeout { .. }), "{err}");
    let err = client.call("add", (1, 2)).unwrap_err();
    assert!(
        matches!(err, Error::Closed | Error::ServerCrashed { .. }),
        "{err}"
    );
    drop(args);
    assert_eq!(acc, [0.0; 8], "not written after the time-out");
}
