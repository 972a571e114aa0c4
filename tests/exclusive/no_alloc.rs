//! Once warm, a small call makes no heap allocation on either side (the counting
//! allocator of this binary, `ALLOCATIONS`, sees every thread: the test runs alone), and
//! goes by the small call's own path.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use server32::declared::testlib::TestLib;

use crate::common::{self, Config};
use crate::{alone, ALLOCATIONS};

common::per_config! {
    warm_small_calls_allocate_nothing_on_either_side: shm;
    warm_foreign_scalar_calls_allocate_nothing_on_either_side: shm;
}

fn warm_small_calls_allocate_nothing_on_either_side(cfg: &Config) {
    let _alone = alone();
    let exe = cfg.label;
    let client = cfg.testlib();
    for i in 0..1000 {
        assert_eq!(client.add(i, 2).unwrap(), i + 2);
    }
    let client64 = client.connection().client64().expect("a server");
    let lean_before = client64.small_calls();
    let server_before = client.allocations().unwrap();
    let client_before = ALLOCATIONS.load(Ordering::Relaxed);
    let mut sum = 0i64;
    for i in 0..10_000 {
        sum += client.add(i, 2).unwrap() as i64;
    }
    let client_after = ALLOCATIONS.load(Ordering::Relaxed);
    let server_after = client.allocations().unwrap();
    assert_eq!(sum, (0..10_000i64).map(|i| i + 2).sum::<i64>());
    // Alone, no core lease is needed: every add went by the small call's own path, and
    // so did the two `allocations` calls.
    let lean = client64.small_calls() - lean_before;
    assert_eq!(lean, 10_002, "{exe}: calls by the small call's own path");
    assert_eq!(client_after - client_before, 0, "{exe}: client allocations");
    assert_eq!(server_after - server_before, 0, "{exe}: server allocations");
}

/// The same for a foreign `add` (`foreign!`, scalars in and out: the scalar call's own
/// path), bound in the `testlib` wrapper's server so that its allocations can be asked.
fn warm_foreign_scalar_calls_allocate_nothing_on_either_side(cfg: &Config) {
    let _alone = alone();
    let exe = cfg.label;
    let client = Arc::new(cfg.start("testlib"));
    let path = cfg.library("test");
    // SAFETY: the bundled test library, declared as defined in csrc/loadlib_test.c.
    let lib = unsafe { TestLib::bind(client.clone(), path) }.unwrap();
    for i in 0..1000 {
        assert_eq!(lib.add(i, 3).unwrap(), i + 3);
    }
    let allocations = || -> u64 { client.request32("allocations", ()).unwrap() };
    let lean_before = client.small_calls();
    let server_before = allocations();
    let client_before = ALLOCATIONS.load(Ordering::Relaxed);
    let mut sum = 0i64;
    for i in 0..10_000 {
        sum += lib.add(i, 3).unwrap() as i64;
    }
    let client_after = ALLOCATIONS.load(Ordering::Relaxed);
    let server_after = allocations();
    assert_eq!(sum, (0..10_000i64).map(|i| i + 3).sum::<i64>());
    // Every add, and the two `allocations` calls by name, went by the small call's own path.
    let lean = client.small_calls() - lean_before;
    assert_eq!(lean, 10_002, "{exe}: calls by the small call's own path");
    assert_eq!(client_after - client_before, 0, "{exe}: client allocations");
    assert_eq!(server_after - server_before, 0, "{exe}: server allocations");
}
