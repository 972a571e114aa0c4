//! The interface form: typed clients made by `interface!`, the same wrapper served by a
//! real 32-bit server and run in this process, side by side, with the same results and
//! the same errors; and the start-up check that client and server speak one interface.

use loadlib::server::{ErrorKind, Kwargs, Server32};
use loadlib::{Client64, Error};
use server32::wrappers::echo::{EchoClient, EchoServer};
use server32::wrappers::fortran::{FortranClient, FortranServer};
use server32::wrappers::testlib::{TestLibClient, TestLibServer};

use crate::common::server_error_kind;

/// The wrapper `S` behind a 32-bit server, then in this process.
fn both<C>(
    server: impl Fn() -> loadlib::Result<C>,
    in_process: impl Fn() -> loadlib::Result<C>,
) -> [C; 2] {
    [server().unwrap(), in_process().unwrap()]
}

fn testlib() -> [TestLibClient; 2] {
    both(
        || TestLibClient::start(Client64::builder("testlib")),
        || TestLibClient::in_process(TestLibServer::new(&Kwargs::default()).unwrap()),
    )
}

#[test]
fn typed_calls_give_the_same_results_through_a_server_and_in_process() {
    let [server, local] = testlib();
    assert!(!server.is_in_process());
    assert!(local.is_in_process());
    assert_eq!(server.pointer_size().unwrap(), 4, "a real 32-bit library");
    assert_eq!(
        local.pointer_size().unwrap(),
        8,
        "the 64-bit build, in process"
    );
    let x: Vec<f64> = (0..1000).map(|i| i as f64 * 0.5).collect();
    for c in [&server, &local] {
        assert_eq!(c.add(3, 14).unwrap(), 17);
        assert_eq!(c.add(-2_000_000_000, -2_000_000_000).unwrap(), 294_967_296);
        assert_eq!(c.sum(&x).unwrap(), 249_750.0);
        assert_eq!(c.sum(&[1.0, 2.5]).unwrap(), 3.5);
        let doubled = c.scalar_multiply(2.0, &x).unwrap();
        assert_eq!(doubled.len(), 1000);
        assert_eq!(doubled[999], 999.0);
        // A writable shared array, written in place by the library.
        let mut out = c.alloc_array::<f64>(&[1000]).unwrap();
        c.scalar_multiply_into(3.0, &x, &mut out).unwrap();
        assert_eq!(out[10], 15.0);
        // The generic call by name stays, for dynamic use.
        assert_eq!(c.request::<i32>("add", (1i32, 2i32)).unwrap(), 3);
    }
}

#[test]
fn errors_are_the_same_through_a_server_and_in_process() {
    let [server, local] = testlib();
    let cases = |c: &TestLibClient| {
        let mut out = c.alloc_array::<f64>(&[3]).unwrap();
        [
            server_error_kind(c.call("no_such_method", ())),
            server_error_kind(c.call("add", (1.5f64, 2i32))),
            server_error_kind(c.call("add", (1i32,))),
            server_error_kind(c.scalar_multiply_into(2.0, &[1.0, 2.0], &mut out)),
        ]
    };
    let (s, l) = (cases(&server), cases(&local));
    assert_eq!(s, l);
    assert_eq!(s[0].0, ErrorKind::UnknownMethod);
    assert!(s[0].2.contains("scalar_multiply_into"), "{}", s[0].2);
    assert_eq!(s[1].0, ErrorKind::TypeError);
    assert!(s[1].2.contains("argument `a` of `add`"), "{}", s[1].2);
    assert_eq!(s[2].0, ErrorKind::TypeError);
    assert_eq!(s[3].0, ErrorKind::ValueError);
    assert_eq!(s[3].2, "out has 3 elements, x has 2");
}

#[test]
fn a_number_that_does_not_fit_is_an_overflow_error_on_both_sides() {
    let clients = both(
        || FortranClient::start(Client64::builder("fortran")),
        || FortranClient::in_process(FortranServer::new(&Kwargs::default()).unwrap()),
    );
    let errors = clients.map(|c| {
        assert_eq!(c.sum_8bit(-50, 110).unwrap(), 60);
        assert_eq!(c.sum_64bit(1 << 40, 1).unwrap(), (1 << 40) + 1);
        server_error_kind(c.call("sum_8bit", (300i32, 1i32)))
    });
    assert_eq!(errors[0], errors[1]);
    let (kind, name, message) = &errors[0];
    assert_eq!(*kind, ErrorKind::Overflow);
    assert_eq!(name, "OverflowError");
    assert!(
        message.contains("300 (i32) does not fit in i8 (range -128..=127)"),
        "{message}"
    );
}

#[test]
fn a_panic_in_the_wrapper_is_the_same_error_on_both_sides() {
    let clients = both(
        || EchoClient::start(Client64::builder("echo")),
        || EchoClient::in_process(EchoServer::new(&Kwargs::default()).unwrap()),
    );
    let errors = clients.map(|c| {
        let e = server_error_kind(c.panic("on purpose"));
        assert_eq!(
            c.pointer_width().unwrap() as usize,
            if c.is_in_process() { 64 } else { 32 }
        );
        e
    });
    assert_eq!(errors[0], errors[1]);
    assert_eq!(errors[0].0, ErrorKind::Panic);
    assert!(errors[0].2.contains("on purpose"), "{}", errors[0].2);
}

loadlib::interface! {
    /// The test library's `add` declared with another result type: another interface.
    trait NotTestLib => NotTestLibClient {
        fn add(a: i32, b: i32) -> i64;
    }
}

#[test]
fn a_server_of_another_interface_is_refused_naming_both() {
    let client = Client64::builder("testlib").start().unwrap();
    let err = NotTestLibClient::new(client)
        .err()
        .expect("must be refused");
    match err {
        Error::InterfaceMismatch { client, server } => {
            assert!(client.starts_with("NotTestLib#"), "{client}");
            assert!(server.starts_with("TestLib#"), "{server}");
        }
        other => panic!("expected an interface mismatch, got {other}"),
    }
    // In process, the same check.
    let local = TestLibClient::in_process(TestLibServer::new(&Kwargs::default()).unwrap())
        .unwrap()
        .into_connection();
    assert!(matches!(
        NotTestLibClient::from_connection(local),
        Err(Error::InterfaceMismatch { .. })
    ));
    assert_ne!(NotTestLibClient::INTERFACE, TestLibClient::INTERFACE);
}

#[test]
fn n_d_and_value_parameters_take_their_client_forms() {
    let clients = both(
        || FortranClient::start(Client64::builder("fortran")),
        || FortranClient::in_process(FortranServer::new(&Kwargs::default()).unwrap()),
    );
    let a = loadlib::Array::new(vec![2, 3], vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]).unwrap();
    let b = loadlib::Array::new(vec![3, 1], vec![1.0, 0.0, -1.0]).unwrap();
    for c in &clients {
        // `ArrayRef<'_>` parameters: an `&Array`, an `ArrayRef`, or a shared array.
        let p = c.matrix_multiply(&a, loadlib::ArrayRef::from(&b)).unwrap();
        assert_eq!(p.shape(), [2, 1]);
        assert_eq!(p.as_slice::<f64>().unwrap(), [-2.0, -2.0]);
        let mut shared = c.alloc_array::<f64>(&[3, 1]).unwrap();
        shared.copy_from_slice(&[1.0, 0.0, -1.0]);
        let p = c.matrix_multiply(&a, &shared).unwrap();
        assert_eq!(p.as_slice::<f64>().unwrap(), [-2.0, -2.0]);
    }
    let echo = both(
        || EchoClient::start(Client64::builder("echo")),
        || EchoClient::in_process(EchoServer::new(&Kwargs::default()).unwrap()),
    );
    for c in &echo {
        // `Rest<'a>`: the remaining arguments, as a list of values.
        let back = c.echo(vec![1i32.into(), "two".into()]).unwrap();
        assert_eq!(back, loadlib::Value::List(vec![1i32.into(), "two".into()]));
    }
}

#[test]
fn a_wrapper_without_an_interface_is_refused_by_a_typed_client() {
    use loadlib::server::{Args, Dispatch, Method, Reply, ServerError};
    /// A hand-written wrapper: methods, but no interface.
    struct Bare;
    impl Dispatch for Bare {
        fn method_names(&self) -> &'static [&'static str] {
            &["add"]
        }
        fn dispatch<'a>(&mut self, m: Method<'_>, _: &Args<'a>) -> Result<Reply<'a>, ServerError> {
            Err(m.unknown())
        }
    }
    let bare = loadlib::Connection::in_process(Bare).unwrap();
    // The server for foreign calls alone says in its handshake that it has none either.
    let foreign = Client64::builder(loadlib::foreign::FOREIGN_MODULE)
        .start()
        .unwrap()
        .into();
    for conn in [bare, foreign] {
        match TestLibClient::from_connection(conn) {
            Err(Error::InterfaceMismatch { client, server }) => {
                assert_eq!(client, TestLibClient::INTERFACE.describe());
                assert_eq!(server, "a wrapper without an interface");
            }
            other => panic!("expected an interface mismatch, got {:?}", other.err()),
        }
    }
}

#[test]
fn typed_calls_go_by_index_and_an_index_past_the_table_is_a_protocol_error() {
    assert_eq!(TestLibClient::METHODS[0], "add");
    for c in testlib() {
        // Index 0 is `add`, whatever name travels beside it (only for messages).
        let sum: i32 = c
            .request_index("not add", 0, &[3i32.into(), 14i32.into()])
            .unwrap();
        assert_eq!(sum, 17);
        let past = TestLibClient::METHODS.len() as u32;
        let (kind, name, message) = server_error_kind(c.request_index::<i32>("add", past, &[]));
        assert_eq!(
            (kind, name.as_str()),
            (ErrorKind::ProtocolError, "ProtocolError")
        );
        assert_eq!(
            message,
            format!(
                "method {past} of a table of {}",
                TestLibClient::METHODS.len()
            )
        );
        // An index with no room for the 1 the wire adds is refused before it is sent.
        assert!(matches!(
            c.request_index::<i32>("add", u32::MAX, &[]),
            Err(Error::InvalidArgument(m)) if m == "method index 4294967295 is past any table"
        ));
    }
}
