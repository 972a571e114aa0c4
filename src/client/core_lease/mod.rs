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
//! Orderings: a lease's `owner` changes hands only by SeqCst exchange, which with the
//! SeqCst updates and loads of `waiting` makes freeing a lease and joining the line a
//! Dekker pair (either the freer sees the waiter and grants, or the waiter's re-check
//! sees the lease free). Everything else in a lease (`active`, `progress`, `since`) is a
//! hint read by the first waiter to decide on a take-over, and is Relaxed: a stale value
//! only delays or hastens a take-over, which is always safe.
//!
//! A call takes its thread's lease as a [`CoreLease`] guard (`holder.rs`): taken when the
//! call starts, let go of when the guard drops. While the process has no more calling
//! threads than leases (one thread, however many bridges it calls: the common case),
//! nobody can wait for one, and a call takes none: about 150 instructions less a call.
//! A thread is counted from its first call to its end; the others see it at their next
//! call, so until then (one call each, or one batch) they may call without a lease,
//! which a hint allows.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::thread::Thread;
use std::time::{Duration, Instant};

mod holder;
#[cfg(test)]
mod tests;

pub(crate) use holder::CoreLease;
#[cfg(test)]
use holder::Holder;

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

/// The leases' time limits (the constants above; tests change them).
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
struct Lease {
    /// Id of the holding client; 0 when free.
    owner: AtomicU64,
    /// How many calls (and batches) the holder is inside.
    active: AtomicU32,
    /// Bumped by the holder at every call's start and end: the waiters' sign of life.
    progress: AtomicU64,
    /// When the holder took the lease, in nanoseconds since [`CoreLeases::epoch`].
    since: AtomicU64,
}

impl Lease {
    /// The holder enters (`1`) or leaves (`-1`) a call: `active` counts it, `progress`
    /// shows the waiters a sign of life.
    ///
    /// Plain loads and stores, not read-modify-writes: only the holder writes these
    /// between take-overs, and a take-over's own writes racing with them (see
    /// [`grant_free`](CoreLeases::grant_free)) can only lose a hint, which delays or
    /// hastens a take-over (safe, see the module's orderings). Relaxed for the same
    /// reason; the holder's call pays for no locked instruction.
    #[inline]
    fn bump(&self, calls: i32) {
        let active = self.active.load(Ordering::Relaxed);
        self.active
            .store(active.saturating_add_signed(calls), Ordering::Relaxed);
        let progress = self.progress.load(Ordering::Relaxed);
        self.progress
            .store(progress.wrapping_add(1), Ordering::Relaxed);
    }
}

/// A client waiting in line.
struct Waiter {
    id: u64,
    thread: Thread,
}

/// The process's leases and the line of clients waiting for one.
pub(crate) struct CoreLeases {
    leases: Box<[Lease]>,
    line: Mutex<VecDeque<Waiter>>,
    /// Length of `line`, readable without the lock.
    waiting: AtomicU32,
    epoch: Instant,
    next_id: AtomicU64,
    /// Threads that have called (they have a `Holder`) and not ended: while there are no
    /// more than leases, each could hold one, and a call takes none (see
    /// `Holder::uncontended`).
    callers: AtomicU32,
    timing: Timing,
}

/// The leases of this process: one per two cores, at least one.
pub(crate) fn core_leases() -> &'static CoreLeases {
    static LEASES: OnceLock<CoreLeases> = OnceLock::new();
    LEASES.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        CoreLeases::new((cores / 2).max(1), Timing::default())
    })
}

impl CoreLeases {
    /// A table of `leases` leases.
    pub(crate) fn new(leases: usize, timing: Timing) -> CoreLeases {
        CoreLeases {
            leases: (0..leases)
                .map(|_| Lease {
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
            callers: AtomicU32::new(0),
            timing,
        }
    }

    fn now_ns(&self) -> u64 {
        self.epoch.elapsed().as_nanos() as u64
    }

    fn line(&self) -> std::sync::MutexGuard<'_, VecDeque<Waiter>> {
        self.line.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Gives lease `i` of holder `id` to the first waiter, or frees it.
    fn hand_over(&self, i: usize, id: u64) {
        // SeqCst: with the waiter's SeqCst increment of `waiting` and its re-check of the
        // leases, either the waiter sees the lease free or we see the waiter. A failed
        // exchange means a waiter took the lease over: it is no longer ours to give.
        let freed = self.leases[i]
            .owner
            .compare_exchange(id, 0, Ordering::SeqCst, Ordering::Relaxed)
            .is_ok();
        if freed && self.waiting.load(Ordering::SeqCst) > 0 {
            self.grant_free();
        }
    }

    /// Under the lock: gives every free lease to the waiter at the front of the line.
    fn grant_free(&self) {
        let mut line = self.line();
        for lease in self.leases.iter() {
            let Some(front) = line.front() else { break };
            if lease
                .owner
                .compare_exchange(0, front.id, Ordering::SeqCst, Ordering::Relaxed)
                .is_ok()
            {
                lease.since.store(self.now_ns(), Ordering::Relaxed);
                lease.active.store(0, Ordering::Relaxed);
                lease.progress.fetch_add(1, Ordering::Relaxed);
                let w = line.pop_front().expect("front exists");
                self.waiting.fetch_sub(1, Ordering::SeqCst);
                w.thread.unpark();
                wake_front(&line);
            }
        }
    }

    fn held_by(&self, id: u64) -> Option<usize> {
        // Acquire: pairs with the granter's SeqCst exchange of `owner`.
        self.leases
            .iter()
            .position(|s| s.owner.load(Ordering::Acquire) == id)
    }

    /// Waits in line for a lease; `None` after [`MAX_WAIT`].
    fn wait_in_line(&self, id: u64) -> Option<usize> {
        self.join_line(id);
        self.grant_free();
        let give_up = Instant::now() + self.timing.max_wait;
        // What each lease's holder had done at the last check, and since when.
        let mut seen: Vec<(u64, u64, Instant)> = Vec::new();
        loop {
            let now = Instant::now();
            // Under the lock, as grants and take-overs are: holding a lease and having a
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
                    .leases
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

    /// The first waiter takes a lease whose holder has made no progress since the last
    /// change it saw: outside any call for [`IDLE`], or inside one for [`STUCK`].
    fn take_over(
        &self,
        id: u64,
        seen: &mut Vec<(u64, u64, Instant)>,
        now: Instant,
    ) -> Option<usize> {
        if seen.len() != self.leases.len() {
            *seen = self
                .leases
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
        for (i, lease) in self.leases.iter().enumerate() {
            let owner = lease.owner.load(Ordering::Acquire);
            let progress = lease.progress.load(Ordering::Relaxed);
            let (o, p, t) = seen[i];
            if owner != o || progress != p {
                seen[i] = (owner, progress, now);
                continue;
            }
            let still = now - t;
            let active = lease.active.load(Ordering::Relaxed) != 0;
            let limit = if active {
                self.timing.stuck
            } else {
                self.timing.check
            };
            // A holder just given the lease may not have woken yet.
            let held_for = self
                .now_ns()
                .saturating_sub(lease.since.load(Ordering::Relaxed));
            // `active` was read after `progress`: a call that ended in between shows
            // as progress on a second look.
            let moved = lease.progress.load(Ordering::Relaxed) != progress;
            if owner == 0
                || moved
                || still < limit
                || held_for < self.timing.slice.as_nanos() as u64
            {
                continue;
            }
            let mut line = self.line();
            if line.front().is_some_and(|w| w.id == id)
                && lease
                    .owner
                    .compare_exchange(owner, id, Ordering::SeqCst, Ordering::Relaxed)
                    .is_ok()
            {
                lease.since.store(self.now_ns(), Ordering::Relaxed);
                // The old holder's calls are its own: it finds the lease gone when it
                // leaves them.
                lease.active.store(0, Ordering::Relaxed);
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
