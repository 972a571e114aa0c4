//! Tests that measure the whole test process (its heap allocations, its CPU time, its
//! resident memory) or need the machine's cores to themselves: each takes [`alone`]
//! first, so they run one at a time and no other test's threads share the process.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

#[path = "../common/mod.rs"]
mod common;

mod footprint;
mod idle;
mod many_clients;
mod no_alloc;
mod soak;

common::not_on_windows! {
    soak_memory_from_proc: "soak.rs samples memory from /proc; run by hand on Linux";
    footprint_of_64_clients: "footprint.rs mounts a 64 MiB tmpfs on /dev/shm in a mount namespace (Linux, root)";
}

/// Held by each test while it runs: one test at a time.
fn alone() -> MutexGuard<'static, ()> {
    static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());
    // A test that failed holding it poisons it; the next one runs all the same.
    ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner())
}

/// Heap allocations of this process so far (`no_alloc`).
static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

/// The system allocator, counting allocations in [`ALLOCATIONS`].
struct Counting;

// SAFETY: every call is forwarded unchanged to the system allocator.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // Relaxed: a counter read after the calls it counts, on the same thread.
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;
