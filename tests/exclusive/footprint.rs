//! The default footprint: 64 bridges, each with its own 32-bit server, start and call in
//! a 64 MiB `/dev/shm` (Docker's default). The test runs in a private mount namespace
//! with a 64 MiB tmpfs there, prints what `/dev/shm` holds with all 64 up, and checks
//! that a long record still travels (its bulk segments are made when needed).
//!
//! Needs root for the mount namespace (`unshare -m`), as in CI; elsewhere it says it is
//! skipped.
#![cfg(target_os = "linux")] // Windows: see `footprint_of_64_clients` in main.rs

use loadlib::Client64;
use server32::wrappers::structs::StructsClient;
use server32::wrappers::testlib::TestLibClient;

use crate::alone;
use crate::common;

const CHILD_ENV: &str = "LOADLIB_FOOTPRINT_CHILD";
const ROOM_MIB: u64 = 64;
const CLIENTS: usize = 64;

/// Bytes used and total of the file system at `/dev/shm`.
fn dev_shm_used() -> (u64, u64) {
    // SAFETY: an all-zero statvfs is a valid value to be overwritten.
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: a NUL-terminated path and a valid out pointer.
    let rc = unsafe { libc::statvfs(c"/dev/shm".as_ptr(), &mut st) };
    assert_eq!(
        rc,
        0,
        "statvfs /dev/shm: {}",
        std::io::Error::last_os_error()
    );
    let block = st.f_frsize as u64;
    let total = st.f_blocks as u64 * block;
    (total - st.f_bfree as u64 * block, total)
}

fn loadlib_entries() -> Vec<String> {
    common::shm_entries("loadlib-")
}

/// Runs inside the namespace (started by the test below).
#[test]
#[ignore = "the child process of the test below, which runs it"]
fn footprint_child() {
    if std::env::var_os(CHILD_ENV).is_none() {
        return; // Run as a child only.
    }
    let (before, total) = dev_shm_used();
    assert_eq!(total, ROOM_MIB << 20, "the namespace's /dev/shm");
    assert!(loadlib_entries().is_empty());
    let clients: Vec<TestLibClient> = (0..CLIENTS)
        .map(|k| {
            TestLibClient::start(Client64::builder("testlib"))
                .unwrap_or_else(|e| panic!("client {k} of {CLIENTS}: {e}"))
        })
        .collect();
    for (k, c) in clients.iter().enumerate() {
        assert_eq!(c.client64().unwrap().server_pointer_width(), 32);
        let k = k as i32;
        assert_eq!(c.add(k, 1000).unwrap(), k + 1000, "client {k}");
    }
    let (used, _) = dev_shm_used();
    let used = used - before;
    println!(
        "FOOTPRINT: {CLIENTS} clients use {used} bytes of /dev/shm ({} KiB each), {} segments",
        used / CLIENTS as u64 / 1024,
        loadlib_entries().len()
    );
    assert!(
        used <= 20 << 20,
        "{CLIENTS} idle bridges use {used} bytes of /dev/shm"
    );
    // Every client calls again, in turn, after all have started.
    for (k, c) in clients.iter().enumerate().rev() {
        let k = k as i32;
        assert_eq!(c.add(-k, 7).unwrap(), 7 - k, "client {k}");
    }
    // A record far longer than the ring, beside the 64 bridges: bulk segments are made
    // for it, and it comes back whole.
    let s = StructsClient::start(Client64::builder("structs")).unwrap();
    let names: Vec<String> = (0..50_000).map(|i| format!("name {i}")).collect();
    let back = s.tagged(&names, '!').unwrap();
    assert_eq!(back.len(), names.len());
    assert!(back.iter().zip(&names).all(|(b, n)| *b == format!("{n}!")));
    let (with_bulk, _) = dev_shm_used();
    println!(
        "FOOTPRINT: with one more bridge that sent a 0.7 MiB list of strings each way: {} bytes",
        with_bulk - before
    );
    drop(s);
    drop(clients);
    assert!(
        loadlib_entries().is_empty(),
        "left behind: {:?}",
        loadlib_entries()
    );
    println!("FOOTPRINT-CHILD-PASSED");
}

#[test]
fn sixty_four_clients_start_and_call_in_a_64_mib_dev_shm() {
    let _alone = alone();
    let Some(stdout) = common::run_with_own_dev_shm(
        ROOM_MIB,
        module_path!(),
        "footprint_child",
        CHILD_ENV,
        "FOOTPRINT-CHILD-PASSED",
    ) else {
        return;
    };
    // The harness may print the test's name on the same line first.
    for line in stdout
        .lines()
        .filter_map(|l| l.find("FOOTPRINT:").map(|i| &l[i..]))
    {
        println!("{line}");
    }
}
