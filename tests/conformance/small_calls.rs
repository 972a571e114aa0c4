//! Small calls (scalars in, one scalar out: the lean path on both sides over shared
//! memory), typed and by name, between records of every other length, so that their requests and replies
//! land at every position of the rings, padding before them included, and between calls
//! that answer with an error, which the lean path hands to the general one.

use loadlib::Value;

use server32::wrappers::testlib::TestLibClient;

use crate::common::{self, server_error, Config};

common::per_config! {
    small_calls_between_records_of_every_length_get_their_own_answers: every;
    a_small_call_after_an_error_and_after_a_batch_gets_its_own_answer: every;
    a_small_call_that_fails_or_panics_is_its_error_and_the_next_one_works: every;
    a_typed_small_call_goes_on_the_request_line_and_its_error_through_the_ring: shm;
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

/// Over shared memory a typed small call goes on the request line and is answered in the
/// reply line; an error answering it comes back through the ring (the reply line says
/// so), and the next call goes on the line again. A call by name, and one with an array,
/// go by the ring. (Cores not shared: a call that takes a core lease goes the general
/// way, by the ring.)
fn a_typed_small_call_goes_on_the_request_line_and_its_error_through_the_ring(cfg: &Config) {
    let label = cfg.label;
    let client = TestLibClient::start(cfg.builder("testlib").share_cores(false)).unwrap();
    let c64 = client.connection().client64().expect("a server");
    for i in 0..200i32 {
        assert_eq!(client.add(i, 5).unwrap(), i + 5, "[{label}] add {i}");
        assert!(
            c64.last_call_on_line(),
            "[{label}] add {i} went by the ring"
        );
        let (name, message) = server_error(client.divide(i, 0));
        assert_eq!(
            (name.as_str(), message),
            ("ZeroDivisionError", format!("{i} / 0")),
            "[{label}]"
        );
        assert!(
            c64.last_call_on_line(),
            "[{label}] divide {i} went by the ring"
        );
        let by_name: i32 = client.connection().request("add", (i, 6)).unwrap();
        assert_eq!(by_name, i + 6, "[{label}] add {i} by name");
        assert!(!c64.last_call_on_line(), "[{label}] by name on the line");
        let sum: f64 = client.sum(&[i as f64, 0.5]).unwrap();
        assert_eq!(sum, i as f64 + 0.5, "[{label}] sum {i}");
        assert!(!c64.last_call_on_line(), "[{label}] an array on the line");
    }
}
