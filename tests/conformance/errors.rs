//! Server-side errors come back as `Server32` errors naming the cause, and the client
//! stays usable; keyword arguments arrive as strings.

use loadlib::{Error, Value};

use crate::common::{self, server_error, Config};

common::per_config! {
    kwargs_arrive_as_strings: servers;
    unknown_method_wrong_count_wrong_type_and_panic_are_server_errors: every;
    a_panicking_wrapper_method_is_an_error_and_the_server_lives_on: every;
}

fn kwargs_arrive_as_strings(cfg: &Config) {
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
    assert_eq!(kw, expected);
}

fn unknown_method_wrong_count_wrong_type_and_panic_are_server_errors(cfg: &Config) {
    let client = cfg.connection("testlib");

    let (name, msg) = server_error(client.call("no_such_method", (1i32,)));
    assert_eq!(name, "UnknownMethod");
    assert!(
        msg.contains("no_such_method") && msg.contains("add"),
        "{msg}"
    );

    let (name, msg) = server_error(client.call("add", (1i32,)));
    assert_eq!(name, "TypeError");
    assert!(msg.contains("missing argument 2"), "{msg}");

    let (name, msg) = server_error(client.call("add", (1i32, 2i32, 3i32)));
    assert_eq!(name, "TypeError");
    assert!(
        msg.contains("`add` takes 2 arguments but 3 were given"),
        "{msg}"
    );

    let (name, msg) = server_error(client.call("add", ("one", 2i32)));
    assert_eq!(name, "TypeError");
    assert!(msg.contains("expected i32, got str"), "{msg}");

    let (name, msg) = server_error(client.call("scalar_multiply", (2.0f64, &[1i32, 2][..])));
    assert_eq!(name, "TypeError");
    assert!(msg.contains("an array of f64"), "{msg}");

    // Still usable after every error.
    assert_eq!(client.request::<i32>("add", (20i32, 22i32)).unwrap(), 42);
}

fn a_panicking_wrapper_method_is_an_error_and_the_server_lives_on(cfg: &Config) {
    let client = cfg.connection("echo");
    let (name, msg) = server_error(client.call("panic", ("the wrapper gave up",)));
    assert_eq!(name, "Panic");
    assert!(msg.contains("the wrapper gave up"), "{msg}");
    let back: String = client.request("echo", ("still here",)).unwrap();
    assert_eq!(back, "still here");
}

#[test]
fn a_method_name_that_is_too_long_is_refused_on_the_client() {
    let client = Config::shm_server32().start("echo");
    let name = "m".repeat(5000);
    let err = client.call(&name, ()).unwrap_err();
    assert!(matches!(err, Error::InvalidArgument(_)), "{err}");
    assert_eq!(client.request32::<String>("echo", ("ok",)).unwrap(), "ok");
}
