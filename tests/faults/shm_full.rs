//! A full `/dev/shm` is an error, never a `SIGBUS` in the caller: every segment reserves its
//! memory when it is created. The client runs in a private mount namespace whose
//! `/dev/shm` is a 24 MiB tmpfs (as Docker's default 64 MiB one would be for larger data).
//! Sending, receiving and `alloc_array` beyond the room each give an error naming the
//! size and the room left; later calls work; nothing is left behind.
//!
//! Needs root for the mount namespace (`unshare -m`), as in CI; elsewhere it says it is
//! skipped.
#![cfg(target_os = "linux")] // Windows: see `shm_full_dev_shm` in main.rs

use loadlib::{Array, Client64, Error};
use server32::wrappers::echo::EchoClient;

use crate::common::{self, echo, f64s};

const CHILD_ENV: &str = "LOADLIB_SHM_FULL_CHILD";
const ROOM_MIB: u64 = 24;

fn loadlib_entries() -> Vec<String> {
    common::shm_entries("loadlib-")
}

/// The message of an out-of-room error, wherever it was raised.
fn no_room(e: &Error) -> String {
    let text = e.to_string();
    assert!(
        text.contains("cannot reserve") && text.contains("bytes free"),
        "not an out-of-room error: {text}"
    );
    text
}

/// Runs inside the namespace (started by the test below).
#[test]
#[ignore = "the child process of the tests below, which run it"]
fn shm_full_child() {
    if std::env::var_os(CHILD_ENV).is_none() {
        return; // Run as a child only.
    }
    assert!(loadlib_entries().is_empty());
    let client = EchoClient::start(Client64::builder("echo").ring_size(1 << 20)).unwrap();

    // Sending: a 32 MiB array needs a 32 MiB bulk segment on the client.
    let err = echo::<Array>(&client, &f64s(32)).unwrap_err();
    let text = no_room(&err);
    assert!(text.contains(&(32usize << 20).to_string()), "{text}");
    assert_eq!(echo::<i32>(&client, 1i32).unwrap(), 1);

    // Receiving: 12 MiB fit going there; the reply's 12 MiB do not fit beside them.
    match echo::<Array>(&client, &f64s(12)).unwrap_err() {
        Error::Server32 { name, message, .. } => {
            assert_eq!(name, "ReplyError", "{message}");
            no_room(&Error::Server32 {
                kind: loadlib::server::ErrorKind::from_name(&name),
                name: name.clone(),
                message: message.clone(),
            });
        }
        other => panic!("expected the server's reply error, got {other}"),
    }
    assert_eq!(echo::<i32>(&client, 2i32).unwrap(), 2);

    // A shared array beyond the room.
    match client.alloc_array::<f64>(&[4 << 20]) {
        Ok(_) => panic!("a 32 MiB shared array fitted in {ROOM_MIB} MiB"),
        Err(e) => no_room(&e),
    };

    // What fits still works, both ways, and comes back equal.
    let data = f64s(1);
    let back: Array = echo(&client, &data).unwrap();
    assert_eq!(back.as_slice::<f64>().unwrap(), &data[..]);

    drop(client);
    assert!(
        loadlib_entries().is_empty(),
        "left behind: {:?}",
        loadlib_entries()
    );
    println!("SHM-FULL-CHILD-PASSED");
}

#[test]
fn a_full_dev_shm_is_an_error_and_the_client_lives_on() {
    common::run_with_own_dev_shm(
        ROOM_MIB,
        module_path!(),
        "shm_full_child",
        CHILD_ENV,
        "SHM-FULL-CHILD-PASSED",
    );
}
