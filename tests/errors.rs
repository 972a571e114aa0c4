//! Server-side errors come back as `Server32` errors naming the cause, and the client
//! stays usable; keyword arguments arrive as strings.

mod common;

use loadlib::{Error, Value};

fn server_error(e: Error) -> (String, String) {
    match e {
        Error::Server32 { name, message, .. } => (name, message),
        other => panic!("expected a Server32 error, got {other}"),
    }
}

#[test]
fn kwargs_arrive_as_strings() {
    for cfg in common::configs() {
        let client = cfg
            .builder("echo")
            .kwarg("count", 42)
            .kwarg("ratio", 0.5)
            .kwarg("name", "x y=z")
            .start()
            .unwrap();
        let kw: Value = client.call("kwargs", ()).unwrap();
        let expected = Value::Map(vec![
            ("count".into(), Value::Str("42".into())),
            ("name".into(), Value::Str("x y=z".into())),
            ("ratio".into(), Value::Str("0.5".into())),
        ]);
        assert_eq!(kw, expected, "[{}]", cfg.label);
    }
}

#[test]
fn unknown_method_wrong_count_wrong_type_and_panic_are_server_errors() {
    for cfg in common::configs() {
        let client = cfg.start("testlib");

        let (name, msg) = server_error(client.call("no_such_method", (1i32,)).unwrap_err());
        assert_eq!(name, "UnknownMethod", "[{}]", cfg.label);
        assert!(
            msg.contains("no_such_method") && msg.contains("add"),
            "[{}] {msg}",
            cfg.label
        );

        let (name, msg) = server_error(client.call("add", (1i32,)).unwrap_err());
        assert_eq!(name, "TypeError", "[{}]", cfg.label);
        assert!(msg.contains("missing argument 2"), "[{}] {msg}", cfg.label);

        let (name, msg) = server_error(client.call("add", (1i32, 2i32, 3i32)).unwrap_err());
        assert_eq!(name, "TypeError", "[{}]", cfg.label);
        assert!(
            msg.contains("`add` takes 2 arguments but 3 were given"),
            "[{}] {msg}",
            cfg.label
        );

        let (name, msg) = server_error(client.call("add", ("one", 2i32)).unwrap_err());
        assert_eq!(name, "TypeError", "[{}]", cfg.label);
        assert!(
            msg.contains("expected i32, got str"),
            "[{}] {msg}",
            cfg.label
        );

        let (name, msg) = server_error(
            client
                .call("scalar_multiply", (2.0f64, &[1i32, 2][..]))
                .unwrap_err(),
        );
        assert_eq!(name, "TypeError", "[{}]", cfg.label);
        assert!(msg.contains("an array of f64"), "[{}] {msg}", cfg.label);

        // Still usable after every error.
        assert_eq!(
            client.request32::<i32>("add", (20i32, 22i32)).unwrap(),
            42,
            "[{}]",
            cfg.label
        );
    }
}

#[test]
fn a_panicking_wrapper_method_is_an_error_and_the_server_lives_on() {
    for cfg in common::configs() {
        let client = cfg.start("echo");
        let (name, msg) = server_error(client.call("panic", ("the wrapper gave up",)).unwrap_err());
        assert_eq!(name, "Panic", "[{}]", cfg.label);
        assert!(msg.contains("the wrapper gave up"), "[{}] {msg}", cfg.label);
        let back: String = client.request32("echo", ("still here",)).unwrap();
        assert_eq!(back, "still here", "[{}]", cfg.label);
    }
}

#[test]
fn a_method_name_that_is_too_long_is_refused_on_the_client() {
    let client = common::configs().remove(0).start("echo");
    let name = "m".repeat(5000);
    let err = client.call(&name, ()).unwrap_err();
    assert!(matches!(err, Error::InvalidArgument(_)), "{err}");
    assert_eq!(client.request32::<String>("echo", ("ok",)).unwrap(), "ok");
}
