//! Sends one value of every type through a real 32-bit server and prints each as it came
//! back, with its type.
//!
//! ```text
//! cargo run --example echo
//! ```

use loadlib::{Array, ArrayRef, Client64, FromValue, Value, ValueRef};
use server32::wrappers::echo::EchoClient;

fn main() -> Result<(), loadlib::Error> {
    let echo = EchoClient::start(Client64::builder("echo"))?;
    if let Some(server) = echo.client64() {
        println!(
            "server32 pid {} is a {}-bit process",
            server.server_pid(),
            server.server_pointer_width()
        );
    }

    let matrix = [1.5f64, -2.25, 3.0, 4.125, 5.0, 6.5];
    let bytes: Vec<u8> = (0..16).collect();
    let list = vec![Value::I32(1), Value::Str("two".into()), Value::F64(3.0)];
    let map = vec![("key".to_string(), Value::Bool(true))];
    let values: Vec<(&str, ValueRef)> = vec![
        ("None", ValueRef::None),
        ("bool", true.into()),
        ("i8", (-8i8).into()),
        ("i16", (-1600i16).into()),
        ("i32", (-320_000i32).into()),
        ("i64", (-6_400_000_000i64).into()),
        ("u8", 8u8.into()),
        ("u16", 1600u16.into()),
        ("u32", 3_200_000u32.into()),
        ("u64", 6_400_000_000u64.into()),
        ("f32", 3.25f32.into()),
        ("f64", std::f64::consts::PI.into()),
        ("str", "naïve café, 日本語, ∑ ≠ ∞".into()),
        ("bytes", ValueRef::bytes(b"\x00\x01binary\xff")),
        (
            "2-D f64 array",
            ArrayRef::new(&matrix, &[2, 3]).expect("2x3").into(),
        ),
        ("1-D u8 array", (&bytes).into()),
        ("list", ValueRef::List(list.into())),
        ("map", ValueRef::Map(map.into())),
    ];
    for (what, v) in values {
        // `echo` takes any number of values (its parameter is `Rest`) and returns a `Value`.
        let back = echo.echo(vec![v])?;
        println!("{what:>14} -> {:<18} {back}", back.type_name());
    }

    let big: Vec<f64> = (0..1_000_000).map(|i| i as f64 * 0.5).collect();
    let back = Array::from_value(echo.echo(vec![(&big).into()])?)?;
    assert_eq!(back.as_slice::<f64>(), Some(&big[..]));
    println!("a 1,000,000-element f64 array came back equal");
    println!(
        "the server's pointer width, asked of the wrapper: {}",
        echo.pointer_width()?
    );

    let server = echo.into_connection().into_client64().expect("a server");
    let out = server.shutdown_server32()?;
    println!("server exited: {}", out.status);
    Ok(())
}
