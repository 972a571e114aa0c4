//! Records longer than a quarter of the ring — long lists, maps, string lists, strings,
//! error messages, requests by name — travel whole through the sending side's bulk
//! segment, both ways, and come back equal; small calls and bulk arrays around them
//! are unaffected.

use loadlib::{Error, Value};
use server32::wrappers::structs::StructsClient;

use crate::common::{self, server_error, Config};

common::per_config! {
    a_list_of_strings_longer_than_the_ring_round_trips_both_ways: every;
    long_strings_lists_and_maps_round_trip_by_name: every;
    a_long_error_message_comes_back_whole: every;
    a_record_with_bulk_arrays_and_a_long_list_round_trips: every;
    spilled_records_in_a_batch_each_get_their_own_reply: servers;
    a_ring_of_64_kib_carries_every_size: servers;
}

/// `n` distinct strings of varied lengths and scripts (about `n` × 40 bytes).
fn strings(n: usize, salt: &str) -> Vec<String> {
    (0..n)
        .map(|i| format!("{salt}-{i}-{}-αβγ", "x".repeat(i % 61)))
        .collect()
}

/// A nested list of about `n` items: numbers, strings, maps and lists.
fn mixed(n: usize) -> Value {
    Value::List(
        (0..n)
            .map(|i| match i % 4 {
                0 => Value::I64(i as i64 * 1_000_003),
                1 => Value::Str(format!("item {i}")),
                2 => Value::Map(vec![
                    ("k".into(), Value::F64(i as f64 / 3.0)),
                    (
                        "v".into(),
                        Value::List(vec![Value::U8(i as u8), Value::None]),
                    ),
                ]),
                _ => Value::List(vec![Value::Bool(i % 8 == 3), Value::F32(0.5)]),
            })
            .collect(),
    )
}

fn a_list_of_strings_longer_than_the_ring_round_trips_both_ways(cfg: &Config) {
    let label = cfg.label;
    let c = cfg.typed("structs", StructsClient::from_connection);
    // About 2.6 MiB each way, 20 times the default ring.
    let names = strings(40_000, "name");
    let back = c.tagged(&names, '→').unwrap();
    assert_eq!(back.len(), names.len(), "[{label}]");
    for (i, (got, sent)) in back.iter().zip(&names).enumerate() {
        assert_eq!(got, &format!("{sent}→"), "[{label}] string {i}");
    }
    // Small calls go on as before, and a short list still goes inline.
    assert_eq!(c.half(9).unwrap(), 4, "[{label}]");
    assert_eq!(c.tagged(&["a"], ';').unwrap(), ["a;"], "[{label}]");
    // And again, larger: the bulk segments grow.
    let names = strings(120_000, "again");
    let back = c.tagged(&names, ';').unwrap();
    assert_eq!(back.len(), names.len(), "[{label}]");
    assert_eq!(back[119_999], format!("{};", names[119_999]), "[{label}]");
    assert_eq!(back[0], format!("{};", names[0]), "[{label}]");
}

fn long_strings_lists_and_maps_round_trip_by_name(cfg: &Config) {
    let label = cfg.label;
    let client = cfg.connection("echo");
    // One string of 1 MiB (by name: the request names its method).
    let long: String = (0..(1 << 20))
        .map(|i| (b'a' + (i % 26) as u8) as char)
        .collect();
    let back = client.call("echo", (long.as_str(),)).unwrap();
    assert_eq!(back, Value::Str(long.clone()), "[{label}]");
    // A nested list of 50,000 items.
    let list = mixed(50_000);
    let back = client.call("echo", (&list,)).unwrap();
    assert_eq!(back, list, "[{label}]");
    // A map of 20,000 entries.
    let map = Value::Map(
        (0..20_000)
            .map(|i| (format!("key {i}"), Value::Str(format!("value {i}"))))
            .collect(),
    );
    let back = client.call("echo", (&map,)).unwrap();
    assert_eq!(back, map, "[{label}]");
    // Several long arguments: the reply is a list of them.
    let back = client.call("echo", (long.as_str(), &list, 7i32)).unwrap();
    assert_eq!(
        back,
        Value::List(vec![Value::Str(long), list, Value::I32(7)]),
        "[{label}]"
    );
    assert_eq!(
        client.call("echo", (5u16,)).unwrap(),
        Value::U16(5),
        "[{label}]"
    );
}

fn a_long_error_message_comes_back_whole(cfg: &Config) {
    let label = cfg.label;
    let client = cfg.connection("echo");
    // The request carries 600 KB and the error's message carries them back.
    let message: String = (0..100_000)
        .map(|i| format!("{:05}|", i % 99_991))
        .collect();
    let (name, got) = server_error(client.call("panic", (message.as_str(),)));
    assert_eq!(name, "Panic", "[{label}]");
    assert!(
        got.contains(&message),
        "[{label}] {} bytes came back",
        got.len()
    );
    // An unknown method's error names it; the server lives on.
    let (name, _) = server_error(client.call("no_such_method", (message.as_str(),)));
    assert_eq!(name, "UnknownMethod", "[{label}]");
    assert_eq!(
        client.call("echo", (1i8,)).unwrap(),
        Value::I8(1),
        "[{label}]"
    );
}

fn a_record_with_bulk_arrays_and_a_long_list_round_trips(cfg: &Config) {
    let label = cfg.label;
    let client = cfg.connection("echo");
    // The array goes to the bulk segment; the list makes the record itself too long,
    // so it follows the array there. The reply (a list holding both) is one record.
    let data: Vec<f64> = (0..200_000).map(|i| i as f64 * 0.25).collect();
    let list = mixed(20_000);
    for round in 0..3 {
        let back = client.call("echo", (&data[..], &list)).unwrap();
        let Value::List(items) = back else {
            panic!("[{label}] not a list: {back}")
        };
        assert_eq!(items.len(), 2, "[{label}]");
        let Value::Array(a) = &items[0] else {
            panic!("[{label}] not an array: {}", items[0])
        };
        assert_eq!(
            a.as_slice::<f64>().unwrap(),
            &data[..],
            "[{label}] round {round}"
        );
        assert_eq!(items[1], list, "[{label}] round {round}");
        // A large array alone still travels as before.
        let back = client.call("echo", (&data[..],)).unwrap();
        let Value::Array(a) = back else {
            panic!("[{label}] not an array")
        };
        assert_eq!(a.as_slice::<f64>().unwrap(), &data[..], "[{label}]");
    }
}

fn spilled_records_in_a_batch_each_get_their_own_reply(cfg: &Config) {
    let label = cfg.label;
    let client = cfg.start("echo");
    let lists: Vec<Value> = (0..20)
        .map(|i| {
            if i % 2 == 0 {
                mixed(5_000 + 100 * i) // spilled
            } else {
                mixed(3 + i) // inline
            }
        })
        .collect();
    let replies = client
        .batch(|b| {
            for (i, l) in lists.iter().enumerate() {
                b.submit("echo", (l,))?;
                b.submit("echo", (i as i32,))?;
            }
            Ok(())
        })
        .unwrap();
    assert_eq!(replies.len(), 40, "[{label}]");
    for (i, l) in lists.iter().enumerate() {
        assert_eq!(replies[2 * i].as_ref().unwrap(), l, "[{label}] list {i}");
        assert_eq!(
            replies[2 * i + 1].as_ref().unwrap(),
            &Value::I32(i as i32),
            "[{label}] call {i}"
        );
    }
}

fn a_ring_of_64_kib_carries_every_size(cfg: &Config) {
    let label = cfg.label;
    let client = cfg.builder("echo").ring_size(64 << 10).start().unwrap();
    // From a few bytes to ten times the ring, around the quarter where records spill.
    for n in [1usize, 100, 300, 400, 500, 1_000, 10_000] {
        let s: String = "é".repeat(8 * n);
        assert_eq!(
            client.call("echo", (s.as_str(),)).unwrap(),
            Value::Str(s.clone()),
            "[{label}] {n}"
        );
        let list = mixed(n);
        assert_eq!(
            client.call("echo", (&list,)).unwrap(),
            list,
            "[{label}] {n}"
        );
    }
    let e = client.call("echo", (&Value::List(vec![]),)).unwrap();
    assert_eq!(e, Value::List(vec![]), "[{label}]");
    assert!(!matches!(client.call("echo", (1u8,)), Err(Error::Closed)));
}
