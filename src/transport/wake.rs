//! Cross-process waiting: spin a bounded while, then park on the platform's [`Bell`].
//!
//! Protocol for one direction (a waiter and a waker sharing a `signal` word and a
//! `parked` flag, both in the segment, and a bell):
//!
//! * waiter: load `signal`, store `parked = 1`, SeqCst fence, re-check the condition, then
//!   park on the bell (`FUTEX_WAIT(signal, seen)` on Linux, a wait on a named auto-reset
//!   event on Windows);
//! * waker: publish its data (Release), SeqCst fence, and only if `parked != 0`
//!   ([`parked_after_fence`]) bump `signal` and ring the bell (`FUTEX_WAKE`, or
//!   `SetEvent`: [`Signal::ring`]).
//!
//! The two SeqCst fences make the store-then-load pairs a Dekker handshake: either the
//! waiter's re-check sees the data, or the waker sees `parked` and wakes it. A ring that
//! lands between the waiter's re-check and its park is not lost: the futex sees the bumped
//! word, and the event stays set until the wait. Every park is a bounded slice, after
//! which the caller's liveness check runs, so a dead peer is always noticed.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use crate::error::{Error, Result};
use crate::transport::primitive::sync::atomic::{fence, AtomicU32};
// The platform's bell and CPU hints, or loom's models of them (see `primitive`).
use crate::transport::primitive::{self as sys, Bell};

/// How long one futex wait lasts before the liveness check runs again.
pub(crate) const PARK_SLICE: Duration = Duration::from_millis(50);

/// A wait this long is a long call: the waiter's `on_long_wait` runs (the client gives
/// its core lease up).
pub(crate) const LONG_WAIT: Duration = Duration::from_millis(1);

/// The least time between two moves of one thread off its waker's CPU.
const MOVE_EVERY: Duration = Duration::from_millis(5);

/// How much longer a side spins for the answer to what it sent when sending it woke its
/// parked peer: the peer is not running yet, and first has to be scheduled (a futex
/// wake-up on Linux, an event set through Wine's wineserver), tens of microseconds in
/// these VMs, then do its work. Without it the waiter parks too, its peer then has to wake
/// it, and each wake-up makes the other side's next wait too long for its spin, a loop in
/// which every call pays two wake-ups (seen under Wine: an echo of 1 MiB at 340 µs
/// instead of 90; `examples/profile_echo.rs`).
const AFTER_WAKING: Duration = Duration::from_micros(200);

thread_local! {
    /// When this thread last moved off its waker's CPU.
    static LAST_MOVE: std::cell::Cell<Option<Instant>> = const { std::cell::Cell::new(None) };
}

/// The spin window for a wait for the answer to what this side has just sent: `spin`,
/// plus [`AFTER_WAKING`] if this side woke its parked peer (`woke`, when it last did,
/// taken from the rings: [`Signal::woke`]) within that time. Only for a wait that expects
/// an answer (a client's for its reply), so a side waiting for work that may never come
/// spins no longer than `spin`; a zero `spin` (never spin) stays zero.
#[inline(always)]
pub(crate) fn answer_spin(spin: Duration, woke: Option<Instant>) -> Duration {
    match woke {
        Some(t) => spin_after_waking(spin, t),
        None => spin,
    }
}

/// [`answer_spin`] after a wake-up at `t`: out of line, since few calls wake their peer.
#[cold]
#[inline(never)]
fn spin_after_waking(spin: Duration, t: Instant) -> Duration {
    if !spin.is_zero() && t.elapsed() < AFTER_WAKING {
        spin + AFTER_WAKING
    } else {
        spin
    }
}

/// How long a waiter spins without yielding the core before each further round of the
/// spin also yields it: about one small round trip when the peer is on another core.
/// (Yielding from the start halves the single-client rate: each `sched_yield` delays
/// noticing the reply. `cargo bench --bench many_clients` measures both sides of this.)
const BUSY_SPIN: Duration = Duration::from_micros(1);

/// A wake-up word, the flag saying someone is parked on it, and the bell they park on.
#[derive(Clone, Copy)]
pub(crate) struct Signal<'a> {
    /// The word the waker bumps (the futex word on Linux).
    pub word: &'a AtomicU32,
    /// Non-zero while the waiter is parked.
    pub parked: &'a AtomicU32,
    /// The CPU the waker ran on when it last woke the sleeping waiter.
    pub waker_cpu: &'a AtomicU32,
    /// What the waiter parks on.
    pub bell: &'a Bell,
    /// When this process last woke the waiter through this signal's ring, set by
    /// [`ring`](Self::ring) and taken by [`answer_spin`]'s caller (process
    /// local: the ring's side in this process).
    pub woke: &'a std::cell::Cell<Option<Instant>>,
}

/// The bells of one client–server pair: one per ring direction and one for the server's
/// start-up state. The client creates them; the server opens them by name.
pub(crate) struct Doorbells {
    /// The request ring's consumer (the server) parks here.
    pub request_data: Bell,
    /// The request ring's producer (the client) parks here.
    pub request_space: Bell,
    /// The response ring's consumer (the client) parks here.
    pub response_data: Bell,
    /// The response ring's producer (the server) parks here.
    pub response_space: Bell,
    /// The client waits here for the server to become ready.
    pub state: Bell,
}

impl Doorbells {
    /// Creates the bells for the segment `base` (client side).
    pub(crate) fn create(base: &str) -> Result<Doorbells> {
        Self::make(base, Bell::create)
    }

    /// Opens the bells the client created for `base` (server side).
    pub(crate) fn open(base: &str) -> Result<Doorbells> {
        Self::make(base, Bell::open)
    }

    fn make(base: &str, f: impl Fn(&str) -> std::io::Result<Bell>) -> Result<Doorbells> {
        let bell = |i: u32| {
            let name = format!("{base}-w{i}");
            f(&name).map_err(|e| Error::SharedMemory(format!("wake-up {name}: {e}")))
        };
        Ok(Doorbells {
            request_data: bell(0)?,
            request_space: bell(1)?,
            response_data: bell(2)?,
            response_space: bell(3)?,
            state: bell(4)?,
        })
    }
}

/// When a wait gives up.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Deadline {
    /// Never: the wait lasts as long as the peer is alive.
    Never,
    /// At this instant.
    At(Instant),
    /// This long after the wait begins. The clock is read only by a wait that does not
    /// end at once, so a call whose reply is waiting reads it only in its spin.
    After(Duration),
}

impl From<Option<Instant>> for Deadline {
    fn from(d: Option<Instant>) -> Self {
        d.map_or(Deadline::Never, Deadline::At)
    }
}

/// Why a wait ended without the condition becoming true.
#[derive(Debug)]
pub(crate) enum WaitError<E> {
    /// The deadline passed.
    TimedOut,
    /// The liveness check failed.
    Dead(E),
}

/// Whether the waiter that parks on `parked` is parked: the waker's check, made after it
/// published its data with a Release store and then made a SeqCst fence, which pairs
/// with the one in [`Signal::wait`] (see the module comment). One fence serves a side
/// that publishes on both of its rings at once (its requests or replies, and the records
/// it hands back). Reads only the flag, so a waker builds no [`Signal`] unless it rings
/// ([`Signal::ring`]).
#[inline(always)]
pub(crate) fn parked_after_fence(parked: &AtomicU32) -> bool {
    // Relaxed: ordered after the caller's publishing stores by its SeqCst fence.
    parked.load(Ordering::Relaxed) != 0
}

impl Signal<'_> {
    /// Wakes the parked waiter: after [`parked_after_fence`] said it is.
    #[cold]
    #[inline(never)]
    pub(crate) fn ring(&self) {
        // Relaxed: a hint, published by the Release bump below (see
        // `leave_wakers_cpu`).
        self.waker_cpu.store(sys::current_cpu(), Ordering::Relaxed);
        // Release: pairs with the waiter's Acquire load of `word` (not needed for
        // correctness of the data, which has its own Release/Acquire pair).
        self.word.fetch_add(1, Ordering::Release);
        self.bell.ring(self.word);
        self.woke.set(Some(Instant::now()));
    }

    /// After a sleep: the scheduler tends to put a woken thread on its waker's CPU, and a
    /// waiter and its peer on one CPU take turns on it (microseconds a round trip) while
    /// another CPU may sit idle, until the kernel's balancer separates them, which it is
    /// slow to do for threads that run all the time. So a waiter woken on its waker's
    /// CPU moves to another CPU of its own affinity mask.
    fn leave_wakers_cpu(&self) {
        // Acquire: pairs with the waker's Release bump of `word`, made after its CPU store.
        let _ = self.word.load(Ordering::Acquire);
        let cpu = self.waker_cpu.load(Ordering::Relaxed);
        if cpu != sys::current_cpu() {
            return;
        }
        // Not more often than every MOVE_EVERY: a move costs tens of microseconds, and a
        // bridge whose every call sleeps (long calls, the file transport) gains nothing
        // from moving at each.
        let now = Instant::now();
        let due = LAST_MOVE.with(|last| {
            let due = last.get().is_none_or(|t| now - t >= MOVE_EVERY);
            if due {
                last.set(Some(now));
            }
            due
        });
        if due {
            sys::move_off_cpu(cpu);
        }
    }

    /// Waits until `ready()` is true: spins for `spin` (cut short once `stop_spin()`),
    /// then parks in slices of at most `slice`, calling `alive()` after each slice.
    /// Gives up at `deadline`.
    /// `on_long_wait()` runs once, when the wait has lasted [`LONG_WAIT`].
    // Never inlined: a wait is a call of its own (and callgrind leaves it out of the
    // instruction counts of `benches/instructions.sh` by its name).
    #[allow(clippy::too_many_arguments)]
    #[inline(never)]
    pub(crate) fn wait<E>(
        &self,
        mut ready: impl FnMut() -> bool,
        mut stop_spin: impl FnMut() -> bool,
        spin: Duration,
        deadline: Deadline,
        slice: Duration,
        mut alive: impl FnMut() -> Result<(), E>,
        on_long_wait: impl FnOnce(),
    ) -> Result<(), WaitError<E>> {
        if ready() {
            return Ok(());
        }
        let start = Instant::now();
        let deadline = match deadline {
            Deadline::Never => None,
            Deadline::At(at) => Some(at),
            Deadline::After(timeout) => Some(start + timeout),
        };
        if !spin.is_zero() {
            // A short busy spin catches a peer that is running on another core. After it,
            // each round also yields the core: when there are more busy threads than
            // cores (several bridges), the peer we wait for may be waiting for a core, and
            // a pure spin would burn the time slice it needs to answer.
            loop {
                for _ in 0..8 {
                    sys::spin_loop();
                    if ready() {
                        return Ok(());
                    }
                }
                let spun = start.elapsed();
                if spun >= spin || stop_spin() {
                    break;
                }
                if spun >= BUSY_SPIN {
                    sys::yield_now();
                    if ready() {
                        return Ok(());
                    }
                }
            }
        }
        let mut on_long_wait = Some(on_long_wait);
        loop {
            // Acquire: pairs with the waker's Release bump.
            let seen = self.word.load(Ordering::Acquire);
            self.parked.store(1, Ordering::SeqCst);
            // Pairs with the waker's fence before `parked_after_fence` (see the module
            // comment).
            fence(Ordering::SeqCst);
            if ready() {
                self.parked.store(0, Ordering::Relaxed);
                return Ok(());
            }
            let mut this_slice = slice;
            if let Some(d) = deadline {
                let now = Instant::now();
                if now >= d {
                    self.parked.store(0, Ordering::Relaxed);
                    return Err(WaitError::TimedOut);
                }
                this_slice = this_slice.min(d - now);
            }
            if on_long_wait.is_some() {
                this_slice = this_slice.min(LONG_WAIT.saturating_sub(start.elapsed()));
            }
            self.bell.wait(self.word, seen, this_slice);
            self.parked.store(0, Ordering::Relaxed);
            if ready() {
                self.leave_wakers_cpu();
                return Ok(());
            }
            if start.elapsed() >= LONG_WAIT {
                if let Some(f) = on_long_wait.take() {
                    f();
                }
            }
            alive().map_err(WaitError::Dead)?;
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return Err(WaitError::TimedOut);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answer_spin_grows_after_waking_the_peer() {
        let spin = Duration::from_micros(50);
        assert_eq!(
            answer_spin(spin, None),
            spin,
            "no peer woken: the usual window"
        );
        assert_eq!(answer_spin(spin, Some(Instant::now())), spin + AFTER_WAKING);
        assert_eq!(
            answer_spin(Duration::ZERO, Some(Instant::now())),
            Duration::ZERO,
            "never spin stays never"
        );
        let long_ago = Instant::now().checked_sub(AFTER_WAKING * 2);
        assert_eq!(
            answer_spin(spin, long_ago),
            spin,
            "a wake-up long past does not count"
        );
    }
}
