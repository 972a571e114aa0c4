//! Small calls (scalars in, one scalar out: the lean path on both sides over shared
//! memory), typed and by name, between records of every other length, so that their requests and replies
//! land at every position of the rings, padding before them included, and between calls
//! that answer with an error, which the lean path hands to the general one.

use loadlib::Value;

use crate::common::{self, server_error, Config};

common::per_config! {
    small_calls_between_records_of_every_length_get_their_own_answers: every;
    a_small_call_after_an_error_and_after_a_batch_gets_its_own_answer: every;
    a_small_call_that_fails_or_panics_is_its_error_and_the_next_one_works: every;
}

fn small_calls_between_records_of_every_length_get_their_own_answers(cfg: &Config) {
    let label = cfg.label;
    let client = cfg.testlib();
    for i in 0..3_000i32 {
        assert_eq!(client.add(i, 7).unwrap(), i + 7, "[{label}] add {i}");
        // 0 to about 5.6 KB of doubles, going inline in records of every length.
        let n = (i as usize * 37) % 700;
        let x: Vec<f64> = (0..n).map(|k| (i as usize + k) as f64).collect();
        if i % 2 == 0 {
            let want: f64 = x.iter().sum();
            assert_eq!(client.sum(&x).unwrap(), want, "[{label}] sum {i}");
        } else {
            let y = client.scalar_multiply(3.0, &x).unwrap();
            assert!(
                y.len() == n && y.iter().zip(&x).all(|(y, x)| *y == 3.0 * x),
                "[{label}] scalar_multiply {i}"
            );
        }
        assert_eq!(client.add(-i, i).unwrap(), 0, "[{label}] add {i} after");
        // By name: the same path on both sides, with the name in the record.
        let by_name: i32 = client.connection().request("add", (i, 3)).unwrap();
        assert_eq!(by_name, i + 3, "[{label}] add {i} by name");
    }
}

fn a_small_call_after_an_error_and_after_a_batch_gets_its_own_answer(cfg: &Config) {
    let label = cfg.label;
    let client = cfg.testlib();
    for i in 0..50i32 {
        // A method the server does not have: an error reply, not one packed value.
        let err = client
            .connection()
            .request::<i32>("no_such_method", (i,))
            .unwrap_err();
        assert!(
            err.to_string().contains("no_such_method"),
            "[{label}] {err}"
        );
        assert_eq!(
            client.add(i, 1).unwrap(),
            i + 1,
            "[{label}] add after an error"
        );
        if let Some(c) = client.connection().client64() {
            let replies = c
                .batch(|b| {
                    for k in 0..10i32 {
                        b.submit("add", (i, k))?;
                    }
                    Ok(())
                })
                .unwrap();
            let got: Vec<Value> = replies.into_iter().map(|r| r.unwrap()).collect();
            let want: Vec<Value> = (0..10).map(|k| Value::I32(i + k)).collect();
            assert_eq!(got, want, "[{label}] batch");
        }
        assert_eq!(
            client.add(i, 2).unwrap(),
            i + 2,
            "[{label}] add after a batch"
        );
    }
}

fn a_small_call_that_fails_or_panics_is_its_error_and_the_next_one_works(cfg: &Config) {
    let label = cfg.label;
    let client = cfg.testlib();
    for i in 1..40i32 {
        assert_eq!(client.divide(7 * i, 7).unwrap(), i, "[{label}] divide");
        // The wrapper's error, by the small call's own path (typed) and by name.
        let (name, message) = server_error(client.divide(i, 0));
        assert_eq!(name, "ZeroDivisionError", "[{label}]");
        assert_eq!(message, format!("{i} / 0"), "[{label}]");
        let by_name = client.connection().request::<i32>("divide", (i, 0));
        assert_eq!(
            server_error(by_name).0,
            "ZeroDivisionError",
            "[{label}] by name"
        );
        assert_eq!(
            client.add(i, 1).unwrap(),
            i + 1,
            "[{label}] add after an error"
        );
        // A panic in the wrapper: a `Panic` error naming the method; the server lives on.
        let (name, message) = server_error(client.divide(i32::MIN, -1));
        assert_eq!(name, "Panic", "[{label}]");
        assert!(
            message.contains("divide") && message.contains("overflows"),
            "[{label}] {message}"
        );
        assert_eq!(
            client.add(i, 2).unwrap(),
            i + 2,
            "[{label}] add after a panic"
        );
    }
}
