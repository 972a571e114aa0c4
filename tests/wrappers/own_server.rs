//! A user's own server binary, built with `loadlib::server::serve` (server32/src/bin/my_server.rs).

use loadlib::{Client64, Error, ServerExe};
use server32::wrappers::my_server::MyServerClient;

/// Found by name next to the test's executable, where server32's build script put it.
fn my_server() -> ServerExe {
    ServerExe::Named("my_server".into())
}

#[test]
fn a_single_wrapper_server_serves_its_methods() {
    // One name: the executable's; the server runs its one wrapper.
    let client = MyServerClient::start(Client64::own_server("my_server")).unwrap();
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
        Error::StartupFailed { server, stderr, .. } => {
            // Named by its own name, not "server32".
            assert!(
                stderr.contains("my_server: unknown module32 `echo`; this server hosts: my_server"),
                "{stderr}"
            );
            assert!(server.contains("my_server"), "{server}");
        }
        other => panic!("{other}"),
    }
}

/// A 64-bit build of a server where the client expects the 32-bit one (what a
/// workspace-wide `cargo build` of a server crate does) is refused before it starts,
/// with an error that says what it is and how to fix it.
#[test]
fn a_64_bit_program_where_the_32_bit_server_belongs_is_refused_before_it_starts() {
    let exe = std::env::current_exe().unwrap();
    let name = "wrong_width_server";
    let file = format!("{name}{}", std::env::consts::EXE_SUFFIX);
    let placed = exe.parent().unwrap().join(&file);
    std::fs::copy(ServerExe::Bundled64.path().unwrap(), &placed).unwrap();
    let result = Client64::builder("my_server")
        .server(ServerExe::Named(name.into()))
        .start();
    std::fs::remove_file(&placed).unwrap();
    let (os, format) = if cfg!(windows) {
        ("Windows", "PE")
    } else {
        ("Linux", "ELF")
    };
    match result.err().expect("a 64-bit server must be refused") {
        Error::WrongServerBinary {
            path,
            found,
            expected,
            fix,
        } => {
            assert_eq!(path, placed.display().to_string());
            assert_eq!(found, format!("a 64-bit {os} program ({format} x86-64)"));
            assert_eq!(expected, format!("a 32-bit {os} program ({format} i386)"));
            assert!(
                fix.contains("remove that package from the workspace's members"),
                "{fix}"
            );
            assert!(fix.contains(&format!("`{name}`")), "{fix}");
        }
        other => panic!("expected WrongServerBinary, got {other}"),
    }
}
