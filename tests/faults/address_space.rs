//! A 32-bit server short of address space (as a `ulimit -v` or a container would set, or
//! a fragmented 32-bit heap) answers a payload it cannot map with an error naming the
//! size, lives on, and serves the next calls, large ones included: one huge payload must
//! not keep the address space taken.
#![cfg(target_os = "linux")] // Windows: see `address_space_limit` in main.rs

use std::time::Duration;

use loadlib::{Array, Client64, Error, ServerExe};
use server32::wrappers::echo::EchoClient;
use server32::wrappers::testlib::TestLibClient;

use crate::common::{echo, f64s};

/// The server's address-space limit.
const LIMIT: u64 = 256 << 20;

/// A stand-in server executable: the bundled 32-bit server under `prlimit --as`.
fn limited_server(dir: &std::path::Path) -> ServerExe {
    let script = dir.join("server32-limited");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nexec prlimit --as={LIMIT} -- {} \"$@\"\n",
            ServerExe::Bundled32.path().unwrap().display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    ServerExe::Path(script)
}

#[test]
fn a_payload_beyond_the_servers_address_space_is_an_error_and_later_calls_work() {
    let dir = std::env::temp_dir().join(format!("loadlib-as-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let client = EchoClient::start(
        Client64::builder("echo")
            .server(limited_server(&dir))
            .request_timeout(Duration::from_secs(60)),
    )
    .unwrap();
    assert_eq!(client.client64().unwrap().server_pointer_width(), 32);

    // 230 MiB there and 230 MiB back cannot both fit in 256 MiB.
    let big = f64s(230);
    match echo::<Array>(&client, &big).unwrap_err() {
        Error::Server32 { message, .. } => {
            assert!(
                message.contains(&(230usize << 20).to_string())
                    && message.contains("Cannot allocate memory"),
                "{message}"
            );
        }
        other => panic!("expected the server's error naming the size, got {other}"),
    }
    drop(big);
    // The server lives on, and the address space the large payload took is free again.
    assert_eq!(echo::<i32>(&client, 7i32).unwrap(), 7);
    let data = f64s(40);
    let back: Array = echo(&client, &data).unwrap();
    assert_eq!(back.as_slice::<f64>().unwrap(), &data[..]);

    drop(client);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_result_the_server_cannot_allocate_is_a_memory_error_and_the_server_lives_on() {
    let dir = std::env::temp_dir().join(format!("loadlib-as2-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let client =
        TestLibClient::start(Client64::builder("testlib").server(limited_server(&dir))).unwrap();
    // 128 MiB in fits; the wrapper's 128 MiB result beside it does not (with the rest
    // of the server, whose own segment is small, more than the 256 MiB).
    let x = f64s(128);
    match client.scalar_multiply(2.0, &x).unwrap_err() {
        Error::Server32 { name, message, .. } => {
            assert_eq!(name, "MemoryError", "{message}");
            assert!(message.contains(&(128usize << 20).to_string()), "{message}");
        }
        other => panic!("expected a MemoryError, got {other}"),
    }
    drop(x);
    assert_eq!(client.add(2, 3).unwrap(), 5);
    let y = client.scalar_multiply(2.0, &f64s(8)).unwrap();
    assert_eq!(y[5], 10.0);
    drop(client);
    let _ = std::fs::remove_dir_all(dir);
}
