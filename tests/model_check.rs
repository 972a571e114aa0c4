//! Model checking (loom) of the lock-free core over every interleaving of one producer and
//! one consumer: the ring's index hand-over (`src/ring.rs`) and the wake-up handshake
//! (`src/wake.rs`). The models repeat the code's steps and memory orderings one for one;
//! each step names the line of the code it stands for, so a change there must be made
//! here too. The ring's bytes are a `loom::cell::UnsafeCell`, so a record read before it
//! was published is a reported data race; a lost wake-up leaves the consumer parked for
//! ever, which loom reports.
//!
//! Mutation tests weaken one ordering on purpose (the `should_panic` tests): the checker
//! must find the bug each time, or the models would prove nothing.
#![cfg(not(windows))] // Windows: see tests/platform_skips.rs

use loom::cell::UnsafeCell;
use loom::sync::atomic::{fence, AtomicU32, AtomicU64};
use loom::sync::Arc;
use loom::thread;
use std::sync::atomic::Ordering::{self, Acquire, Relaxed, Release, SeqCst};

/// The orderings under test; `CODE` is what the code uses.
#[derive(Clone, Copy)]
struct Orderings {
    /// `Ring::publish`: the store of `head`.
    publish_head: Ordering,
    /// `Ring::peek`: the load of `head`.
    peek_head: Ordering,
    /// `Ring::release`: the store of `tail`.
    release_tail: Ordering,
    /// `Ring::has_space`: the load of `tail`.
    space_tail: Ordering,
    /// `Signal::wake` and `Signal::wait`: the SeqCst fences of the handshake.
    fences: bool,
}

const CODE: Orderings = Orderings {
    publish_head: Release,
    peek_head: Acquire,
    release_tail: Release,
    space_tail: Acquire,
    fences: true,
};

/// A one-record ring: the control block's indices and the record's bytes.
struct Ring {
    head: AtomicU64,
    tail: AtomicU64,
    slot: UnsafeCell<u64>,
    /// The consumer's `Signal` on data: the futex word and the parked flag.
    data_word: AtomicU32,
    data_parked: AtomicU32,
    /// The producer's `Signal` on space.
    space_word: AtomicU32,
    space_parked: AtomicU32,
}

impl Ring {
    fn new() -> Self {
        Ring {
            head: AtomicU64::new(0),
            tail: AtomicU64::new(0),
            slot: UnsafeCell::new(0),
            data_word: AtomicU32::new(0),
            data_parked: AtomicU32::new(0),
            space_word: AtomicU32::new(0),
            space_parked: AtomicU32::new(0),
        }
    }
}

/// `Signal::wake`: fence, then bump and wake only a parked waiter.
fn wake(o: Orderings, word: &AtomicU32, parked: &AtomicU32) {
    if o.fences {
        fence(SeqCst);
    }
    if parked.load(Relaxed) != 0 {
        word.fetch_add(1, Release);
        // FUTEX_WAKE / SetEvent: the waiter sees the bumped word.
    }
}

/// `Signal::wait` with no spin: load the word, say parked, fence, re-check, then park on
/// the futex (which sleeps only while the word still equals what was loaded).
fn wait(o: Orderings, word: &AtomicU32, parked: &AtomicU32, ready: impl Fn() -> bool) {
    loop {
        if ready() {
            return;
        }
        let seen = word.load(Acquire);
        parked.store(1, SeqCst);
        if o.fences {
            fence(SeqCst);
        }
        if ready() {
            parked.store(0, Relaxed);
            return;
        }
        // FUTEX_WAIT(word, seen): returns once the word has moved.
        while word.load(Acquire) == seen {
            thread::yield_now();
        }
        parked.store(0, Relaxed);
    }
}

/// Two records through a one-record ring: the producer waits for space, the consumer for
/// data, both parking when they must. Every record arrives, in order, intact.
fn run(o: Orderings) {
    loom::model(move || {
        let ring = Arc::new(Ring::new());
        let producer = {
            let ring = Arc::clone(&ring);
            thread::spawn(move || {
                for value in 1..=2u64 {
                    let r = &*ring;
                    // has_space: one record fits when head - tail < 1.
                    wait(o, &r.space_word, &r.space_parked, || {
                        r.head.load(Relaxed) - r.tail.load(o.space_tail) < 1
                    });
                    // reserve + write the record's bytes.
                    // SAFETY: loom checks this access against every other one: that is the
                    // point of the model.
                    r.slot.with_mut(|p| unsafe { *p = value });
                    // publish.
                    r.head.store(value, o.publish_head);
                    wake(o, &r.data_word, &r.data_parked);
                }
            })
        };
        let r = &*ring;
        for want in 1..=2u64 {
            // has_data / peek.
            wait(o, &r.data_word, &r.data_parked, || {
                r.head.load(o.peek_head) != r.tail.load(Relaxed)
            });
            // SAFETY: as for the write: loom reports any race.
            let got = r.slot.with(|p| unsafe { *p });
            assert_eq!(got, want, "a record arrived changed or out of order");
            // release.
            r.tail.store(want, o.release_tail);
            wake(o, &r.space_word, &r.space_parked);
        }
        producer.join().unwrap();
    });
}

#[test]
fn the_ring_and_the_handshake_hold_in_every_interleaving() {
    run(CODE);
}

#[test]
#[should_panic]
fn mutation_publish_without_release_is_caught() {
    run(Orderings {
        publish_head: Relaxed,
        ..CODE
    });
}

#[test]
#[should_panic]
fn mutation_peek_without_acquire_is_caught() {
    run(Orderings {
        peek_head: Relaxed,
        ..CODE
    });
}

#[test]
#[should_panic]
fn mutation_release_without_release_is_caught() {
    run(Orderings {
        release_tail: Relaxed,
        ..CODE
    });
}

#[test]
#[should_panic]
fn mutation_handshake_without_fences_loses_a_wake_up() {
    run(Orderings {
        fences: false,
        ..CODE
    });
}
