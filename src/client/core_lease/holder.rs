//! One thread's place among the core leases, and the guard a call holds its lease by.

use std::marker::PhantomData;
use std::mem::ManuallyDrop;
use std::sync::atomic::Ordering;

use super::{core_leases, CoreLeases};

/// This thread's core lease for one call or batch: taken (or kept from the thread's last
/// call) when it is made, let go of when it is dropped. Letting go hands the lease over
/// when the thread's slice is over and another thread waits; otherwise the thread keeps
/// it for its next call.
///
/// Bound to the thread that took it (it is not `Send`): the lease is the thread's.
pub(crate) struct CoreLease {
    _thread: PhantomData<*const ()>,
}

impl CoreLease {
    /// Takes this thread's lease for a call, waiting in line when none is free; `None`
    /// when no lease is needed (no more calling threads than leases) or the thread's
    /// locals are gone.
    #[inline]
    pub(crate) fn take() -> Option<CoreLease> {
        let entered = with_holder(|h| {
            if h.uncontended() {
                return false;
            }
            h.enter();
            true
        });
        // Made only when entered: a `CoreLease` made and dropped would leave the lease.
        entered.unwrap_or(false).then(|| CoreLease {
            _thread: PhantomData,
        })
    }

    /// Whether a call now would take a lease ([`take`](Self::take) would): not while
    /// the process has no more calling threads than leases, nor once the thread's locals
    /// are gone.
    #[inline]
    pub(crate) fn needed() -> bool {
        with_holder(|h| !h.uncontended()).unwrap_or(false)
    }

    /// A sign of life inside a long batch, so the line does not take the lease over.
    pub(crate) fn progress(&self) {
        with_holder(|h| h.progress());
    }

    /// Gives the lease up while the call waits long (it is of no use to a thread that
    /// sleeps); the call goes on without one.
    pub(crate) fn give_up_for_long_wait(&self) {
        with_holder(Holder::release);
    }

    /// Ends the call: lets go of the lease, and says whether it was handed over to a
    /// waiting thread (so the peer need not spin for this thread's next call).
    #[inline]
    pub(crate) fn end(self) -> bool {
        let _ended = ManuallyDrop::new(self);
        with_holder(Holder::leave) == Some(true)
    }
}

impl Drop for CoreLease {
    fn drop(&mut self) {
        with_holder(Holder::leave);
    }
}

/// One thread's place among the leases: the lease it holds, if any.
pub(super) struct Holder {
    leases: &'static CoreLeases,
    id: u64,
    lease: Option<usize>,
}

impl Holder {
    /// A new holder (holding nothing yet).
    pub(super) fn new(leases: &'static CoreLeases) -> Holder {
        // Relaxed: a count read as a hint (see `uncontended`).
        leases.callers.fetch_add(1, Ordering::Relaxed);
        Holder {
            leases,
            // Relaxed: a unique number, ordered with nothing.
            id: leases.next_id.fetch_add(1, Ordering::Relaxed),
            lease: None,
        }
    }

    fn held(&self) -> Option<usize> {
        // Relaxed: only this thread sets `owner` to its id; another thread can only take
        // it away (a take-over), which a stale read notices at the next call.
        self.lease
            .filter(|&i| self.leases.leases[i].owner.load(Ordering::Relaxed) == self.id)
    }

    /// Whether no lease is needed: the process has no more calling threads than leases,
    /// so none waits for one. Relaxed: a thread that has just begun calling is seen at
    /// the next call (the module's documentation says what that allows).
    #[inline]
    pub(super) fn uncontended(&self) -> bool {
        self.leases.callers.load(Ordering::Relaxed) as usize <= self.leases.leases.len()
    }

    /// At the start of a call: keeps the lease held, or takes one (waiting in line when
    /// none is free).
    #[inline]
    pub(super) fn enter(&mut self) {
        let g = self.leases;
        self.lease = match self.held() {
            Some(i) => Some(i),
            // Nobody waits: take a free lease without queueing.
            // Relaxed: a hint for fairness (the exchange below is what counts).
            None if g.waiting.load(Ordering::Relaxed) == 0 => g
                .leases
                .iter()
                .position(|s| {
                    s.owner
                        .compare_exchange(0, self.id, Ordering::SeqCst, Ordering::Relaxed)
                        .is_ok()
                })
                .inspect(|&i| g.leases[i].since.store(g.now_ns(), Ordering::Relaxed))
                .or_else(|| g.wait_in_line(self.id)),
            None => g.wait_in_line(self.id),
        };
        if let Some(i) = self.lease {
            g.leases[i].bump(1);
        }
    }

    /// At the end of a call: hands the lease over if the slice is over and someone waits.
    /// Returns whether it did.
    #[inline]
    pub(super) fn leave(&mut self) -> bool {
        let g = self.leases;
        let Some(i) = self.held() else {
            self.lease = None; // given up in a long wait, or taken over
            return false;
        };
        let s = &g.leases[i];
        s.bump(-1);
        // Relaxed: hints (see the module's orderings); a missed waiter is served at the
        // next call's end, or takes the lease over.
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
    pub(super) fn progress(&self) {
        if let Some(i) = self.held() {
            self.leases.leases[i]
                .progress
                .fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Gives the lease up now (a long wait, or the thread is ending).
    pub(super) fn release(&mut self) {
        if let Some(i) = self.lease.take() {
            let s = &self.leases.leases[i];
            if s.owner.load(Ordering::Relaxed) == self.id {
                s.active.store(0, Ordering::Relaxed);
                self.leases.hand_over(i, self.id);
            }
        }
    }

    /// Whether this thread holds a lease.
    #[cfg(test)]
    pub(super) fn holds(&self) -> bool {
        self.held().is_some()
    }
}

impl Drop for Holder {
    fn drop(&mut self) {
        self.release();
        // Relaxed: see `new`.
        self.leases.callers.fetch_sub(1, Ordering::Relaxed);
    }
}

thread_local! {
    static HOLDER: std::cell::RefCell<Holder> = std::cell::RefCell::new(Holder::new(core_leases()));
}

/// Runs `f` on this thread's place among the process's leases (`None` once the thread's
/// locals are gone).
#[inline]
fn with_holder<R>(f: impl FnOnce(&mut Holder) -> R) -> Option<R> {
    HOLDER
        .try_with(|m| m.try_borrow_mut().ok().map(|mut m| f(&mut m)))
        .ok()
        .flatten()
}
