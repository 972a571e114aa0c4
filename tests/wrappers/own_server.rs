//! A user's own server binary, built with `loadlib::server::serve` (server32/src/bin/my_server.rs).

use loadlib::{Client64, Error, ServerExe};
use server32::wrappers::my_server::MyServerClient;

/// Found by name next to the test's executable, where server32's build script put it.
fn my_server() -> ServerExe {
    ServerExe::Named("my_server".into())
}

#[test]
fn a_single_wrapper_server_serves_its_methods() {
    let client = MyServerClient::start(Client64::builder("my_server").server(my_server())).unwrap();
    assert_eq!(client.client64().unwrap().server_pointer_width(), 32);
    assert_eq!(client.add(3, 14).unwrap(), 17);
    let x = [0.5f64, 1.5, 2.0];
    assert_eq!(client.total(&x[..]).unwrap(), 4.0);
    // A method the server does not have, by name.
    match client.call("echo", ()).unwrap_err() {
        Error::Server32 { name, message, .. } => {
            assert_eq!(name, "UnknownMethod");
            assert!(message.contains("add, total"), "{message}");
        }
        other => panic!("{other}"),
    }
}

#[test]
fn it_refuses_another_module_name() {
    let err = Client64::builder("echo")
        .server(my_server())
        .start()
        .err()
        .expect("must fail");
    match err {
        Error::StartupFailed { stderr, .. } => assert!(stderr.contains("my_server"), "{stderr}"),
        other => panic!("{other}"),
    }
}
