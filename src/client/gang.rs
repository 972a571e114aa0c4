//! Sharing few cores among many bridges of one process: core leases.
//!
//! A call is fastest when the client and its server spin on two cores at once (a round
//! trip is then a few hundred nanoseconds). When more bridges are busy than there are
//! pairs of cores, spinning waiters burn the time slices their peers need, and every
//! round trip costs two context switches instead (microseconds each in a VM). So the
//! process holds one *lease* per pair of cores, and a thread holds a lease while it
//! calls: it takes a free one (a few atomic operations when nobody waits) and keeps it
//! across calls, on any of its clients, until its time slice ([`SLICE`]) is over and
//! another thread waits, or one of its calls takes longer than
//! [`LONG_WAIT`](crate::transport::wake::LONG_WAIT), or the thread ends. A thread without a lease
//! waits for one, in line, *before* it sends, so its server stays asleep and the bridges
//! that hold the leases have the cores to themselves.
//!
//! A thread takes its lease before it locks the client it calls, so threads that share
//! one client take turns by the slice too, and a thread waiting in line holds no client.
//!
//! A lease is only a hint of who should run: waiting for one never fails. The first
//! thread in line takes over a lease whose holder has stopped calling (its slice over,
//! and no call started or ended for [`IDLE`] while outside a call, or for [`STUCK`]
//! inside one), and a thread gives up waiting after [`MAX_WAIT`] and calls without a
//! lease. With one lease and a 5 ms slice, a call waits at most a slice for each busy
//! thread ahead of it.
//!
//! Orderings: a slot's `owner` changes hands only by SeqCst exchange, which with the
//! SeqCst updates and loads of `waiting` makes freeing a slot and joining the line a
//! Dekker pair (either the freer sees the waiter and grants, or the waiter's re-check
//! sees the slot free). Everything else in a slot (`active`, `progress`, `since`) is a
//! hint read by the first waiter to decide on a take-over, and is Relaxed: a stale value
//! only delays or hastens a take-over, which is always safe.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::thread::Thread;
use std::time::{Duration, Instant};

/// How long a holder keeps its lease while others wait.
const SLICE: Duration = Duration::from_millis(5);
/// A holder outside any call for this long, others waiting, is taken over; also how
/// often the first waiter checks on the holders.
const IDLE: Duration = Duration::from_micros(100);
/// A holder inside one call this long without progress is taken over.
const STUCK: Duration = Duration::from_millis(20);
/// How long a waiter that is not first in line sleeps between looks (it is woken when
/// it becomes first).
const FAR: Duration = Duration::from_millis(50);
/// The longest a call waits for a lease before it goes ahead without one.
const MAX_WAIT: Duration = Duration::from_secs(1);

/// The gang's time limits (the constants above; tests change them).
#[derive(Clone, Copy)]
pub(crate) struct Timing {
    slice: Duration,
    check: Duration,
    stuck: Duration,
    max_wait: Duration,
}

impl Default for Timing {
    fn default() -> Self {
        Timing {
            slice: SLICE,
            check: IDLE,
            stuck: STUCK,
            max_wait: MAX_WAIT,
        }
    }
}

/// One lease: who holds it and what it is doing.
#[repr(align(64))]
struct Slot {
    /// Id of the holding client; 0 when free.
    owner: AtomicU64,
    /// How many calls (and batches) the holder is inside.
    active: AtomicU32,
    /// Bumped by the holder at every call's start and end: the waiters' sign of life.
    progress: AtomicU64,
    /// When the holder took the lease, in nanoseconds since [`Gang::epoch`].
    since: AtomicU64,
}

/// A client waiting in line.
struct Waiter {
    id: u64,
    thread: Thread,
}

/// The process's leases and the line of clients waiting for one.
pub(crate) struct Gang {
    slots: Box<[Slot]>,
    line: Mutex<VecDeque<Waiter>>,
    /// Length of `line`, readable without the lock.
    waiting: AtomicU32,
    epoch: Instant,
    next_id: AtomicU64,
    timing: Timing,
}

/// The leases of this process: one per two cores, at least one.
pub(crate) fn gang() -> &'static Gang {
    static GANG: OnceLock<Gang> = OnceLock::new();
    GANG.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Gang::new((cores / 2).max(1), Timing::default())
    })
}

impl Gang {
    /// A gang of `leases` leases.
    pub(crate) fn new(leases: usize, timing: Timing) -> Gang {
        Gang {
            slots: (0..leases)
                .map(|_| Slot {
                    owner: AtomicU64::new(0),
                    active: AtomicU32::new(0),
                    progress: AtomicU64::new(0),
                    since: AtomicU64::new(0),
                })
                .collect(),
            line: Mutex::new(VecDeque::new()),
            waiting: AtomicU32::new(0),
            epoch: Instant::now(),
            next_id: AtomicU64::new(1),
            timing,
        }
    }

    fn now_ns(&self) -> u64 {
        self.epoch.elapsed().as_nanos() as u64
    }

    fn line(&self) -> std::sync::MutexGuard<'_, VecDeque<Waiter>> {
        self.line.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A new member (holding nothing yet).
    pub(crate) fn member(&'static self) -> Member {
        Member {
            gang: self,
            // Relaxed: a unique number, ordered with nothing.
            id: self.next_id.fetch_add(1, Ordering::Relaxed),
            slot: None,
        }
    }

    /// Gives slot `i` of holder `id` to the first waiter, or frees it.
    fn hand_over(&self, i: usize, id: u64) {
        // SeqCst: with the waiter's SeqCst increment of `waiting` and its re-check of the
        // slots, either the waiter sees the slot free or we see the waiter. A failed
        // exchange means a waiter took the slot over: it is no longer ours to give.
        let freed = self.slots[i]
            .owner
            .compare_exchange(id, 0, Ordering::SeqCst, Ordering::Relaxed)
            .is_ok();
        if freed && self.waiting.load(Ordering::SeqCst) > 0 {
            self.grant_free();
        }
    }

    /// Under the lock: gives every free slot to the waiter at the front of the line.
    fn grant_free(&self) {
        let mut line = self.line();
        for slot in self.slots.iter() {
            let Some(front) = line.front() else { break };
            if slot
                .owner
                .compare_exchange(0, front.id, Ordering::SeqCst, Ordering::Relaxed)
                .is_ok()
            {
                slot.since.store(self.now_ns(), Ordering::Relaxed);
                slot.active.store(0, Ordering::Relaxed);
                slot.progress.fetch_add(1, Ordering::Relaxed);
                let w = line.pop_front().expect("front exists");
                self.waiting.fetch_sub(1, Ordering::SeqCst);
                w.thread.unpark();
                wake_front(&line);
            }
        }
    }

    fn held_by(&self, id: u64) -> Option<usize> {
        // Acquire: pairs with the granter's SeqCst exchange of `owner`.
        self.slots
            .iter()
            .position(|s| s.owner.load(Ordering::Acquire) == id)
    }

    /// Waits in line for a slot; `None` after [`MAX_WAIT`].
    fn wait_in_line(&self, id: u64) -> Option<usize> {
        self.join_line(id);
        self.grant_free();
        let give_up = Instant::now() + self.timing.max_wait;
        // What each slot's holder had done at the last check, and since when.
        let mut seen: Vec<(u64, u64, Instant)> = Vec::new();
        loop {
            let now = Instant::now();
            // Under the lock, as grants and take-overs are: holding a slot and having a
            // place in line are seen together.
            let first = {
                let mut line = self.line();
                if let Some(i) = self.held_by(id) {
                    return Some(i);
                }
                match line.iter().position(|w| w.id == id) {
                    None => {
                        // Granted, then taken over before this thread woke: queue again.
                        drop(line);
                        self.join_line(id);
                        continue;
                    }
                    Some(pos) if now >= give_up => {
                        line.remove(pos);
                        self.waiting.fetch_sub(1, Ordering::SeqCst);
                        wake_front(&line);
                        return None;
                    }
                    Some(pos) => pos == 0,
                }
            };
            // Only the first in line watches the holders; the others sleep until they
            // are first (whoever pops the front wakes the next).
            if first {
                if let Some(i) = self.take_over(id, &mut seen, now) {
                    return Some(i);
                }
            }
            // The holders hand over when their slices end: until the first slice ends,
            // there is nothing to watch.
            let nap = if first {
                let slice_end = self
                    .slots
                    .iter()
                    .map(|s| s.since.load(Ordering::Relaxed) + self.timing.slice.as_nanos() as u64)
                    .min()
                    .unwrap_or(0);
                Duration::from_nanos(slice_end.saturating_sub(self.now_ns())).max(self.timing.check)
            } else {
                FAR
            };
            std::thread::park_timeout(nap.min(give_up - now));
        }
    }

    /// Puts `id` at the back of the line.
    fn join_line(&self, id: u64) {
        let mut line = self.line();
        line.push_back(Waiter {
            id,
            thread: std::thread::current(),
        });
        // SeqCst: pairs with the holder's SeqCst exchange of a freed owner in `hand_over`.
        self.waiting.fetch_add(1, Ordering::SeqCst);
    }

    /// The first waiter takes a slot whose holder has made no progress since the last
    /// change it saw: outside any call for [`IDLE`], or inside one for [`STUCK`].
    fn take_over(
        &self,
        id: u64,
        seen: &mut Vec<(u64, u64, Instant)>,
        now: Instant,
    ) -> Option<usize> {
        if seen.len() != self.slots.len() {
            *seen = self
                .slots
                .iter()
                .map(|s| {
                    (
                        s.owner.load(Ordering::Relaxed),
                        s.progress.load(Ordering::Relaxed),
                        now,
                    )
                })
                .collect();
            return None;
        }
        for (i, slot) in self.slots.iter().enumerate() {
            let owner = slot.owner.load(Ordering::Acquire);
            let progress = slot.progress.load(Ordering::Relaxed);
            let (o, p, t) = seen[i];
            if owner != o || progress != p {
                seen[i] = (owner, progress, now);
                continue;
            }
            let still = now - t;
            let active = slot.active.load(Ordering::Relaxed) != 0;
            let limit = if active {
                self.timing.stuck
            } else {
                self.timing.check
            };
            // A holder just given the lease may not have woken yet.
            let held_for = self
                .now_ns()
                .saturating_sub(slot.since.load(Ordering::Relaxed));
            // `active` was read after `progress`: a call that ended in between shows
            // as progress on a second look.
            let moved = slot.progress.load(Ordering::Relaxed) != progress;
            if owner == 0
                || moved
                || still < limit
                || held_for < self.timing.slice.as_nanos() as u64
            {
                continue;
            }
            let mut line = self.line();
            if line.front().is_some_and(|w| w.id == id)
                && slot
                    .owner
                    .compare_exchange(owner, id, Ordering::SeqCst, Ordering::Relaxed)
                    .is_ok()
            {
                slot.since.store(self.now_ns(), Ordering::Relaxed);
                // The old holder's calls are its own: it finds the lease gone when it
                // leaves them.
                slot.active.store(0, Ordering::Relaxed);
                line.pop_front();
                self.waiting.fetch_sub(1, Ordering::SeqCst);
                wake_front(&line);
                return Some(i);
            }
        }
        None
    }
}

/// Wakes the waiter now first in line, to watch the holders.
fn wake_front(line: &VecDeque<Waiter>) {
    if let Some(w) = line.front() {
        w.thread.unpark();
    }
}

/// One thread's place in the gang: the lease it holds, if any.
pub(crate) struct Member {
    gang: &'static Gang,
    id: u64,
    slot: Option<usize>,
}

impl Member {
    fn held(&self) -> Option<usize> {
        // Relaxed: only this thread sets `owner` to its id; another thread can only take
        // it away (a take-over), which a stale read notices at the next call.
        self.slot
            .filter(|&i| self.gang.slots[i].owner.load(Ordering::Relaxed) == self.id)
    }

    /// At the start of a call: keeps the lease held, or takes one (waiting in line when
    /// none is free).
    pub(crate) fn enter(&mut self) {
        let g = self.gang;
        self.slot = match self.held() {
            Some(i) => Some(i),
            // Nobody waits: take a free slot without queueing.
            // Relaxed: a hint for fairness (the exchange below is what counts).
            None if g.waiting.load(Ordering::Relaxed) == 0 => g
                .slots
                .iter()
                .position(|s| {
                    s.owner
                        .compare_exchange(0, self.id, Ordering::SeqCst, Ordering::Relaxed)
                        .is_ok()
                })
                .inspect(|&i| g.slots[i].since.store(g.now_ns(), Ordering::Relaxed))
                .or_else(|| g.wait_in_line(self.id)),
            None => g.wait_in_line(self.id),
        };
        if let Some(i) = self.slot {
            let s = &g.slots[i];
            s.active.fetch_add(1, Ordering::Relaxed);
            s.progress.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// At the end of a call: hands the lease over if the slice is over and someone waits.
    /// Returns whether it did.
    pub(crate) fn leave(&mut self) -> bool {
        let g = self.gang;
        let Some(i) = self.held() else {
            self.slot = None; // given up in a long wait, or taken over
            return false;
        };
        let s = &g.slots[i];
        let _ = s
            .active
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |a| a.checked_sub(1));
        s.progress.fetch_add(1, Ordering::Relaxed);
        // Relaxed: hints (see the module's orderings); a missed waiter is served at the
        // next call's end, or takes the slot over.
        if g.waiting.load(Ordering::Relaxed) > 0
            && s.active.load(Ordering::Relaxed) == 0
            && g.now_ns().saturating_sub(s.since.load(Ordering::Relaxed))
                >= g.timing.slice.as_nanos() as u64
        {
            self.release();
            return true;
        }
        false
    }

    /// A sign of life inside a long batch.
    pub(crate) fn progress(&self) {
        if let Some(i) = self.held() {
            self.gang.slots[i].progress.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Gives the lease up now (a long wait, or the thread is ending).
    pub(crate) fn release(&mut self) {
        if let Some(i) = self.slot.take() {
            let s = &self.gang.slots[i];
            if s.owner.load(Ordering::Relaxed) == self.id {
                s.active.store(0, Ordering::Relaxed);
                self.gang.hand_over(i, self.id);
            }
        }
    }

    /// Whether this thread holds a lease.
    #[cfg(test)]
    pub(crate) fn holds(&self) -> bool {
        self.held().is_some()
    }
}

impl Drop for Member {
    fn drop(&mut self) {
        self.release();
    }
}

thread_local! {
    static MEMBER: std::cell::RefCell<Member> = std::cell::RefCell::new(gang().member());
}

/// Runs `f` on this thread's place in the process's gang (`None` once the thread's
/// locals are gone).
pub(crate) fn with_member<R>(f: impl FnOnce(&mut Member) -> R) -> Option<R> {
    MEMBER
        .try_with(|m| m.try_borrow_mut().ok().map(|mut m| f(&mut m)))
        .ok()
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A gang whose holders are taken over after `idle` outside a call or `stuck` inside
    /// one.
    fn leaked(leases: usize, idle: Duration, stuck: Duration) -> &'static Gang {
        let timing = Timing {
            slice: Duration::from_millis(2),
            check: idle,
            stuck,
            max_wait: Duration::from_secs(30),
        };
        Box::leak(Box::new(Gang::new(leases, timing)))
    }

    const NEVER: Duration = Duration::from_secs(3600);

    #[test]
    fn a_free_lease_is_taken_and_kept_across_calls() {
        let g = leaked(1, NEVER, NEVER);
        let mut a = g.member();
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
        let (mut a, mut b) = (g.member(), g.member());
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
        let g: &'static Gang = Box::leak(Box::new(Gang::new(1, timing)));
        let mut a = g.member();
        a.enter();
        let waiter = std::thread::spawn(move || {
            let mut b = g.member();
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
        let mut a = g.member();
        a.enter();
        a.leave(); // a keeps its lease, then makes no further calls
        let mut b = g.member();
        b.enter();
        assert!(b.holds());
        assert!(!a.holds());
    }

    #[test]
    fn a_holder_stuck_inside_a_call_is_taken_over() {
        let g = leaked(1, Duration::from_millis(1), Duration::from_millis(20));
        let mut a = g.member();
        a.enter(); // inside a call, never leaves (say its thread now calls b)
        let mut b = g.member();
        b.enter();
        assert!(b.holds());
        a.leave();
        assert!(!a.holds());
    }

    #[test]
    fn a_dropped_holder_frees_its_lease_for_the_line() {
        let g = leaked(1, NEVER, NEVER);
        let mut a = g.member();
        a.enter();
        let waiter = std::thread::spawn(move || {
            let mut b = g.member();
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
        let mut a = g.member();
        a.enter();
        let order = std::sync::Arc::new(Mutex::new(Vec::new()));
        let mut threads = Vec::new();
        for k in 0..4u32 {
            let order = order.clone();
            threads.push(std::thread::spawn(move || {
                let mut m = g.member();
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
}
