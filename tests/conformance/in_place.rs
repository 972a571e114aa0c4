//! Results a wrapper writes in place in the reply's shared memory (`OutVec`): the same
//! values as a returned `Vec` on every transport, no copy (and no allocation) in the
//! server over shared memory, and memory a wrapper keeps is never written over.

use loadlib::Value;

use crate::common::{self, Config};

common::per_config! {
    a_result_written_in_place_costs_the_server_no_allocation: shm;
    a_result_array_the_wrapper_keeps_is_never_written_over: every;
    pipelined_results_written_in_place_each_get_their_own_values: servers;
    results_about_the_inline_limit_are_right_whether_inline_spilled_or_in_place: every;
}

/// Panics, naming the first element that differs, unless `got` is `want`.
#[track_caller]
fn check(got: &[f64], want: &[f64], what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    if let Some(i) = got.iter().zip(want).position(|(g, w)| g != w) {
        panic!("{what}: element {i} is {}, not {}", got[i], want[i]);
    }
}

/// `n` doubles from `base` up.
fn ramp(base: f64, n: usize) -> Vec<f64> {
    (0..n).map(|k| base + k as f64).collect()
}

fn a_result_written_in_place_costs_the_server_no_allocation(cfg: &Config) {
    let client = cfg.testlib();
    let x = ramp(1.0, 100_000);
    for _ in 0..3 {
        client.scalar_multiply(2.0, &x).unwrap();
    }
    let before = client.allocations().unwrap();
    for i in 0..20 {
        let a = i as f64;
        let y = client.scalar_multiply(a, &x).unwrap();
        assert!(y.iter().zip(&x).all(|(y, x)| *y == a * x), "call {i}");
    }
    let after = client.allocations().unwrap();
    // On the heap, the 20 results make 40 allocations (each result's `Vec`, and its
    // reply). In place they make none; a server parked under the load of this suite
    // makes an allocation of its own now and then (1 in some runs), hence the margin.
    assert!(
        after - before <= 3,
        "[{}] {} server allocations for 20 results",
        cfg.label,
        after - before
    );
}

fn a_result_array_the_wrapper_keeps_is_never_written_over(cfg: &Config) {
    let label = cfg.label;
    let client = cfg.testlib();
    // Kept, then returned at once: the segment it is in was not written since.
    let kept = ramp(0.5, 150_000);
    client.stash(&kept).unwrap();
    check(
        &client.unstash().unwrap(),
        &kept,
        &format!("[{label}] at once"),
    );
    // Kept across calls whose results go through the bulk segment, growing it (the
    // kept array's segment is never written again while the wrapper holds it).
    let kept = ramp(-7.0, 200_000);
    client.stash(&kept).unwrap();
    for (i, n) in [100_000, 300_000, 2_000_000, 50_000]
        .into_iter()
        .enumerate()
    {
        let x = ramp(i as f64, n);
        let y = client.scalar_multiply(3.0, &x).unwrap();
        let want: Vec<f64> = x.iter().map(|v| 3.0 * v).collect();
        check(&y, &want, &format!("[{label}] call {i} of {n}"));
        if !cfg.is_file() {
            // Through the client's bulk segment (the file transport takes no `&mut`).
            let mut out = vec![0.0; n];
            client.scalar_multiply_into(-1.0, &x, &mut out).unwrap();
            assert!(
                out.iter().zip(&x).all(|(y, x)| *y == -x),
                "[{label}] into {i}"
            );
        }
    }
    check(
        &client.unstash().unwrap(),
        &kept,
        &format!("[{label}] after other calls"),
    );
    check(&client.unstash().unwrap(), &[], &format!("[{label}] taken"));
    // Two kept one after the other: the first is dropped when the second replaces it.
    client.stash(&ramp(1.0, 100_000)).unwrap();
    client.stash(&ramp(2.0, 100_000)).unwrap();
    let x = ramp(3.0, 100_000);
    let want: Vec<f64> = x.iter().map(|v| 2.0 * v).collect();
    check(
        &client.scalar_multiply(2.0, &x).unwrap(),
        &want,
        &format!("[{label}] between"),
    );
    check(
        &client.unstash().unwrap(),
        &ramp(2.0, 100_000),
        &format!("[{label}] second"),
    );
}

fn pipelined_results_written_in_place_each_get_their_own_values(cfg: &Config) {
    // Replies still being read when the next call is answered: those results cannot
    // reuse the bulk segment, and are copied instead.
    let client = cfg.start("testlib");
    let inputs: Vec<Vec<f64>> = (0..40)
        .map(|i| ramp(i as f64, 20_000 + 5_000 * (i % 4)))
        .collect();
    let replies = client
        .batch(|b| {
            for (i, x) in inputs.iter().enumerate() {
                b.submit("scalar_multiply", (i as f64, x))?;
            }
            Ok(())
        })
        .unwrap();
    for (i, (r, x)) in replies.into_iter().zip(&inputs).enumerate() {
        let Value::Array(y) = r.unwrap() else {
            panic!("[{}] call {i}: not an array", cfg.label)
        };
        let want: Vec<f64> = x.iter().map(|v| i as f64 * v).collect();
        check(
            y.as_slice::<f64>().unwrap(),
            &want,
            &format!("[{}] call {i}", cfg.label),
        );
    }
}

fn results_about_the_inline_limit_are_right_whether_inline_spilled_or_in_place(cfg: &Config) {
    // The default ring (128 KiB) keeps payloads up to 32 KiB (4,096 f64) inline and
    // spills records over 32 KiB whole to the bulk segment: from about 4,080 elements a
    // result inline makes its record spill; from 4,097 it goes to the bulk segment,
    // in place. Each size twice, so a spilled record follows an in-place result too.
    let client = cfg.testlib();
    let sizes = (4_060..=4_100).chain([5_000, 4_090, 100_000, 4_095, 4_096, 4_097]);
    for (i, n) in sizes.enumerate() {
        for round in 0..2 {
            let x = ramp(i as f64, n);
            let a = 0.5 + round as f64;
            let want: Vec<f64> = x.iter().map(|v| a * v).collect();
            let what = format!("[{}] n = {n}, round {round}", cfg.label);
            check(&client.scalar_multiply(a, &x).unwrap(), &want, &what);
        }
    }
}
