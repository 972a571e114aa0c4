//! Once warm, a small call makes no heap allocation on either side.
//! (Its own test binary: the counting allocator sees only this test.)

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering};

use loadlib::{Client64, ServerExe};
use server32::wrappers::testlib::TestLibClient;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

struct Counting;

// SAFETY: every call is forwarded unchanged to the system allocator.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
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

#[test]
fn warm_small_calls_allocate_nothing_on_either_side() {
    for exe in [ServerExe::Bundled32, ServerExe::Bundled64] {
        let client =
            TestLibClient::start(Client64::builder("testlib").server(exe.clone())).unwrap();
        for i in 0..1000 {
            assert_eq!(client.add(i, 2).unwrap(), i + 2);
        }
        let server_before = client.allocations().unwrap();
        let client_before = ALLOCATIONS.load(Ordering::Relaxed);
        let mut sum = 0i64;
        for i in 0..10_000 {
            sum += client.add(i, 2).unwrap() as i64;
        }
        let client_after = ALLOCATIONS.load(Ordering::Relaxed);
        let server_after = client.allocations().unwrap();
        assert_eq!(sum, (0..10_000i64).map(|i| i + 2).sum::<i64>());
        assert_eq!(
            client_after - client_before,
            0,
            "{exe:?}: client allocations"
        );
        assert_eq!(
            server_after - server_before,
            0,
            "{exe:?}: server allocations"
        );
    }
}
