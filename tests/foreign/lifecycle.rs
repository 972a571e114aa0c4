//! Foreign calls that block, crash or cannot be made: each a clear error, never a hang,
//! and the client usable afterwards (or, after a crash, a new one).

use std::time::Duration;

use loadlib::foreign::FOREIGN_MODULE;
use loadlib::{Client64, Error, Transport};
use server32::declared::testlib::TestLib;

use crate::common::{self, Config};

common::per_config! {
    the_library_is_as_wide_as_its_server: shm;
    a_crash_in_the_library_is_server_crashed_and_a_new_server_works: shm;
    a_call_past_its_timeout_is_a_timeout_and_later_calls_get_their_own_replies: shm;
    a_timed_out_call_that_passed_shared_memory_ends_its_server: shm;
}

fn load(builder: loadlib::Builder, bits: u32) -> loadlib::Result<TestLib> {
    // SAFETY: the bundled test library, declared as defined in csrc/loadlib_test.c.
    unsafe { TestLib::load_with(builder, server32::paths::library("test", bits)) }
}

fn the_library_is_as_wide_as_its_server(cfg: &Config) {
    let bits = cfg.width;
    let lib = load(cfg.foreign_builder(), bits).unwrap();
    assert_eq!(lib.pointer_size().unwrap() * 8, bits as i32);
}

fn a_crash_in_the_library_is_server_crashed_and_a_new_server_works(cfg: &Config) {
    let bits = cfg.width;
    let lib = load(cfg.foreign_builder(), bits).unwrap();
    match lib.segfault() {
        Err(Error::ServerCrashed { how, .. }) => {
            assert!(
                how.contains("SIGSEGV") || how.contains("ACCESS_VIOLATION"),
                "{how}"
            )
        }
        other => panic!("expected ServerCrashed, got {other:?}"),
    }
    assert!(matches!(lib.add(1, 2), Err(Error::Closed)));
    let again = load(cfg.foreign_builder(), bits).unwrap();
    assert_eq!(again.add(1, 2).unwrap(), 3);
}

fn a_call_past_its_timeout_is_a_timeout_and_later_calls_get_their_own_replies(cfg: &Config) {
    let bits = cfg.width;
    let builder = cfg
        .foreign_builder()
        .request_timeout(Duration::from_millis(200));
    let lib = load(builder, bits).unwrap();
    match lib.sleep_ms(1500) {
        Err(Error::ResponseTimeout { method, .. }) => assert_eq!(method, "sleep_ms"),
        other => panic!("expected a time-out, got {other:?}"),
    }
    // The late reply is dropped when it comes; this call waits behind the sleep.
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(lib.add(20, 22).unwrap(), 42);
}

fn a_timed_out_call_that_passed_shared_memory_ends_its_server(cfg: &Config) {
    let bits = cfg.width;
    let builder = cfg
        .foreign_builder()
        .request_timeout(Duration::from_millis(200));
    let lib = load(builder, bits).unwrap();
    let client = lib.library().client();
    let x = client.alloc_array::<f64>(&[4]).unwrap();
    let mut y = client.alloc_array::<f64>(&[4]).unwrap();
    lib.scalar_multiply(2.0, &x, 4, &mut y).unwrap();
    // A call that times out while the library could still write `y` later: the
    // server is ended, so nothing writes `y` once the borrow is over.
    let err = std::thread::scope(|s| {
        let blocker = s.spawn(|| lib.sleep_ms(1500));
        std::thread::sleep(Duration::from_millis(50));
        let r = lib.scalar_multiply(2.0, &x, 4, &mut y);
        let _ = blocker.join();
        r
    });
    assert!(
        matches!(err, Err(Error::ResponseTimeout { .. }) | Err(Error::Closed)),
        "{err:?}"
    );
    assert!(matches!(lib.add(1, 2), Err(Error::Closed)));
}

#[test]
fn the_file_transport_refuses_foreign_calls() {
    let builder = Client64::builder(FOREIGN_MODULE).transport(Transport::File);
    match load(builder, 32) {
        Ok(lib) => match lib.add(1, 2) {
            Err(Error::InvalidArgument(m)) => assert!(m.contains("shared-memory"), "{m}"),
            other => panic!("expected InvalidArgument, got {other:?}"),
        },
        Err(e) => panic!("binding works over files: {e}"),
    }
}

#[test]
fn an_unknown_library_or_function_is_named() {
    let bad = loadlib::foreign::FunctionDecl::new(
        "no_such_function",
        vec![],
        loadlib::foreign::Ret::Void,
    );
    let client = std::sync::Arc::new(Client64::builder(FOREIGN_MODULE).start().unwrap());
    // SAFETY: nothing is called.
    let r = unsafe {
        loadlib::foreign::ForeignLibrary::bind(
            client.clone(),
            server32::paths::library("test", 32),
            loadlib::foreign::Convention::C,
            vec![bad],
        )
    };
    match r {
        Err(Error::Server32 { message, .. }) => {
            assert!(message.contains("`no_such_function`"), "{message}")
        }
        Err(other) => panic!("expected a LibraryError, got {other:?}"),
        Ok(_) => panic!("bound a missing function"),
    }
    // SAFETY: nothing is called.
    let r = unsafe {
        loadlib::foreign::ForeignLibrary::bind(
            client,
            "/no/such/lib.so",
            loadlib::foreign::Convention::C,
            vec![],
        )
    };
    match r {
        Err(Error::Server32 { message, .. }) => {
            assert!(message.contains("/no/such/lib.so"), "{message}")
        }
        Err(other) => panic!("expected a LibraryError, got {other:?}"),
        Ok(_) => panic!("loaded a missing library"),
    }
}
