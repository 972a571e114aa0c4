//! The core leases: taking, keeping, handing over and taking over.

use std::sync::atomic::Ordering;
use std::sync::Mutex;
use std::time::Duration;

use super::{CoreLeases, Holder, Timing};

/// Leases whose holders are taken over after `idle` outside a call or `stuck` inside
/// one.
fn leaked(leases: usize, idle: Duration, stuck: Duration) -> &'static CoreLeases {
    let timing = Timing {
        slice: Duration::from_millis(2),
        check: idle,
        stuck,
        max_wait: Duration::from_secs(30),
    };
    Box::leak(Box::new(CoreLeases::new(leases, timing)))
}

const NEVER: Duration = Duration::from_secs(3600);

#[test]
fn a_free_lease_is_taken_and_kept_across_calls() {
    let g = leaked(1, NEVER, NEVER);
    let mut a = Holder::new(g);
    a.enter();
    a.leave();
    assert!(a.holds());
    a.enter();
    assert!(a.holds());
    a.leave();
}

#[test]
fn two_leases_serve_two_clients_at_once() {
    let g = leaked(2, NEVER, NEVER);
    let (mut a, mut b) = (Holder::new(g), Holder::new(g));
    a.enter();
    b.enter();
    assert!(a.holds() && b.holds());
}

#[test]
fn a_waiter_gets_the_lease_when_the_holder_ends_a_call_after_its_slice() {
    let timing = Timing {
        slice: Duration::from_millis(200),
        check: NEVER,
        stuck: NEVER,
        max_wait: Duration::from_secs(30),
    };
    let g: &'static CoreLeases = Box::leak(Box::new(CoreLeases::new(1, timing)));
    let mut a = Holder::new(g);
    a.enter();
    let waiter = std::thread::spawn(move || {
        let mut b = Holder::new(g);
        b.enter();
        let held = b.holds();
        b.leave();
        held
    });
    while g.waiting.load(Ordering::SeqCst) == 0 {
        std::thread::yield_now();
    }
    // Within its slice a keeps the lease across calls...
    a.leave();
    a.enter();
    assert!(a.holds());
    // ...and once the slice is over, the next call's end hands it over.
    std::thread::sleep(Duration::from_millis(250));
    a.leave();
    assert!(!a.holds());
    assert!(waiter.join().unwrap(), "b got the lease");
}

#[test]
fn a_holder_that_stops_calling_is_taken_over() {
    let g = leaked(1, Duration::from_millis(1), NEVER);
    let mut a = Holder::new(g);
    a.enter();
    a.leave(); // a keeps its lease, then makes no further calls
    let mut b = Holder::new(g);
    b.enter();
    assert!(b.holds());
    assert!(!a.holds());
}

#[test]
fn a_holder_stuck_inside_a_call_is_taken_over() {
    let g = leaked(1, Duration::from_millis(1), Duration::from_millis(20));
    let mut a = Holder::new(g);
    a.enter(); // inside a call, never leaves (say its thread now calls b)
    let mut b = Holder::new(g);
    b.enter();
    assert!(b.holds());
    a.leave();
    assert!(!a.holds());
}

#[test]
fn a_dropped_holder_frees_its_lease_for_the_line() {
    let g = leaked(1, NEVER, NEVER);
    let mut a = Holder::new(g);
    a.enter();
    let waiter = std::thread::spawn(move || {
        let mut b = Holder::new(g);
        b.enter();
        b.holds()
    });
    while g.waiting.load(Ordering::SeqCst) == 0 {
        std::thread::yield_now();
    }
    drop(a);
    assert!(waiter.join().unwrap());
}

#[test]
fn waiters_are_served_in_order() {
    let g = leaked(1, NEVER, NEVER);
    let mut a = Holder::new(g);
    a.enter();
    let order = std::sync::Arc::new(Mutex::new(Vec::new()));
    let mut threads = Vec::new();
    for k in 0..4u32 {
        let order = order.clone();
        threads.push(std::thread::spawn(move || {
            let mut m = Holder::new(g);
            m.enter();
            order.lock().unwrap().push(k);
            std::thread::sleep(Duration::from_millis(3));
            m.leave();
        }));
        while g.waiting.load(Ordering::SeqCst) != k + 1 {
            std::thread::yield_now();
        }
    }
    std::thread::sleep(Duration::from_millis(3));
    a.leave();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(*order.lock().unwrap(), [0, 1, 2, 3]);
}

#[test]
fn no_lease_is_needed_while_callers_are_no_more_than_leases() {
    let g = leaked(2, NEVER, NEVER);
    let a = Holder::new(g);
    assert!(a.uncontended(), "one caller, two leases");
    let b = Holder::new(g);
    assert!(
        a.uncontended() && b.uncontended(),
        "two callers, two leases"
    );
    let c = Holder::new(g);
    assert!(
        !a.uncontended() && !b.uncontended() && !c.uncontended(),
        "three callers, two leases: every call takes one"
    );
    drop(c);
    assert!(a.uncontended(), "the third thread ended");
    drop(b);
    drop(a);
    assert_eq!(g.callers.load(Ordering::Relaxed), 0);
}
