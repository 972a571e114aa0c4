//! The cross-process floors, driven from the 64-bit side: a `pingpong32` peer (a 32-bit
//! process) answering in a segment this side creates. The ping word is at offset 0 and the
//! pong word on the next cache line; with arrays, the input is at [`ARRAYS_AT`] and the
//! result at [`out_at`].

use std::process::{Child, Command};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use loadlib::__private::shm::{self, Segment};

use crate::wrappers::testlib::TestLibC;

/// Offset of the input array: the page after the ping and pong words.
pub const ARRAYS_AT: usize = 4096;

/// Offset of the result array for `n` doubles: the first page boundary after the input.
pub const fn out_at(n: usize) -> usize {
    ARRAYS_AT + (8 * n).next_multiple_of(4096)
}

/// Bytes of a segment that holds both arrays of `n` doubles, or `None` when that does not
/// fit a `usize` (on a 32-bit peer, for `n` of 2^28 and more): a peer checks its `n` with
/// this before it trusts [`out_at`].
pub fn segment_len(n: usize) -> Option<usize> {
    let array = n.checked_mul(8)?.checked_next_multiple_of(4096)?;
    ARRAYS_AT.checked_add(array)?.checked_add(array)
}

/// How long a round trip, or the peer's exit, may take before the peer is taken for
/// stuck and stopped: far longer than any floor's call.
const SILENCE: Duration = Duration::from_secs(30);

/// A running `pingpong32` and its segment. Dropping it ends the peer.
pub struct PingPong32 {
    seg: Segment,
    child: Child,
    /// The last value sent.
    last: u32,
}

impl PingPong32 {
    /// Starts `pingpong32` (next to this program) with `args` after the segment's name, in
    /// a segment of `len` bytes (a page at least).
    ///
    /// # Panics
    /// When the segment cannot be made or the peer cannot start: these are benchmarks'
    /// floors, with nothing to fall back on.
    pub fn start(len: usize, args: &[String]) -> PingPong32 {
        let name = format!("{}-pp", shm::new_base_name().expect("a random name"));
        let seg = Segment::create(&name, len.max(4096)).expect("create the ping-pong segment");
        let child = Command::new(
            loadlib::ServerExe::Named("pingpong32".into())
                .path()
                .expect("pingpong32 next to this program"),
        )
        .arg(&name)
        .args(args)
        .spawn()
        .expect("start pingpong32");
        PingPong32 {
            seg,
            child,
            last: 0,
        }
    }

    fn words(&self) -> (&AtomicU32, &AtomicU32) {
        // SAFETY: the mapping is at least a page, page-aligned and zero-filled when made,
        // and these two words are used only as atomics, by this process and the peer.
        unsafe {
            (
                &*(self.seg.as_ptr() as *const AtomicU32),
                &*(self.seg.as_ptr().add(64) as *const AtomicU32),
            )
        }
    }

    /// The value the peer last gave back on the pong word (0 before any).
    pub fn answered(&self) -> u32 {
        // Acquire: pairs with the peer's Release store of the pong.
        self.words().1.load(Ordering::Acquire)
    }

    /// One round trip: a new value out on the ping word, spinning until the peer gives it
    /// back on the pong word (after its work, if it has any).
    ///
    /// # Panics
    /// When the peer has ended without answering, or has not answered in 30 seconds (it
    /// is stopped then).
    pub fn round_trip(&mut self) {
        // Never 0 (the words' first value) nor `u32::MAX` (the end).
        self.last = if self.last >= u32::MAX - 1 {
            1
        } else {
            self.last + 1
        };
        let v = self.last;
        // Release/Acquire: pair with the peer's Acquire load and Release store.
        self.words().0.store(v, Ordering::Release);
        let start = Instant::now();
        let mut spins = 0u32;
        while self.words().1.load(Ordering::Acquire) != v {
            std::hint::spin_loop();
            spins = spins.wrapping_add(1);
            // Now and then (a few milliseconds apart): whether the peer still runs, and
            // whether it has been silent too long (stuck, or stopped).
            if spins.is_multiple_of(1 << 16) {
                if let Ok(Some(status)) = self.child.try_wait() {
                    panic!("pingpong32 ended ({status}) without answering");
                }
                if start.elapsed() > SILENCE {
                    let _ = self.child.kill();
                    panic!("pingpong32 gave no answer in {SILENCE:?}; stopped it");
                }
            }
        }
    }
}

impl Drop for PingPong32 {
    fn drop(&mut self) {
        self.words().0.store(u32::MAX, Ordering::Release);
        // It ends at its next poll (within a fraction of a millisecond); one that does
        // not (stuck in the library) is stopped.
        let start = Instant::now();
        while let Ok(None) = self.child.try_wait() {
            if start.elapsed() > SILENCE {
                let _ = self.child.kill();
                let _ = self.child.wait();
                return;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    }
}

/// The least a bridge with copied arrays does across two processes, for `scalar_multiply`
/// of `n` doubles: the input copied into the shared segment, one round trip with a
/// `pingpong32` that calls the 32-bit test library's `scalar_multiply(2.0, …)` on it
/// between ping and pong, and the result copied out into the caller's buffer. No framing,
/// no checks, no waking.
pub struct ScalarMultiplyFloor {
    peer: PingPong32,
    n: usize,
}

impl ScalarMultiplyFloor {
    /// Starts the peer for arrays of `n` doubles.
    ///
    /// # Panics
    /// As [`PingPong32::start`].
    pub fn start(n: usize) -> ScalarMultiplyFloor {
        let len = segment_len(n).expect("two arrays of n doubles fit the address space");
        let peer = PingPong32::start(len, &["scalar_multiply".into(), n.to_string()]);
        ScalarMultiplyFloor { peer, n }
    }

    /// `out = 2 * x`, computed by the 32-bit library in the peer.
    ///
    /// # Panics
    /// When `x` or `out` does not hold the `n` doubles the floor was started for.
    pub fn call(&mut self, x: &[f64], out: &mut [f64]) {
        assert!(
            x.len() == self.n && out.len() == self.n,
            "{} doubles",
            self.n
        );
        let base = self.peer.seg.as_ptr();
        // SAFETY: both arrays lie in the segment (`segment_len(n)` bytes), apart and
        // 8-aligned; the peer reads the input and writes the result only between the ping
        // and the pong, so neither copy overlaps its accesses.
        unsafe {
            std::ptr::copy_nonoverlapping(x.as_ptr(), base.add(ARRAYS_AT).cast::<f64>(), self.n);
        }
        self.peer.round_trip();
        // SAFETY: as above.
        unsafe {
            std::ptr::copy_nonoverlapping(
                base.add(out_at(self.n)).cast::<f64>(),
                out.as_mut_ptr(),
                self.n,
            );
        }
    }
}

/// The in-process floor with two copies, for `scalar_multiply` of `n` doubles: the input
/// copied into one shared-memory buffer, the test library (this process's build) called on
/// it into a second, and the result copied from there into the caller's buffer. Four
/// buffers, as across two processes, all touched by one thread on one CPU.
pub struct InProcessCopiedFloor {
    lib: TestLibC,
    input: Segment,
    output: Segment,
    n: usize,
}

impl InProcessCopiedFloor {
    /// Loads the test library and makes the two buffers of `n` doubles.
    ///
    /// # Panics
    /// When the library or a buffer cannot be had.
    pub fn new(n: usize) -> InProcessCopiedFloor {
        // SAFETY: the test library, whose initialiser does nothing; `TestLibC` declares
        // its C signatures.
        let lib = unsafe { TestLibC::load(crate::paths::TEST_LIB) }.expect("the test library");
        let buffer = || {
            let name = format!("{}-fl", shm::new_base_name().expect("a random name"));
            let seg = Segment::create(&name, (8 * n).max(4096)).expect("a buffer");
            shm::unlink_all(&name);
            seg
        };
        InProcessCopiedFloor {
            lib,
            input: buffer(),
            output: buffer(),
            n,
        }
    }

    /// `out = 2 * x`, computed by the library in this process.
    ///
    /// # Panics
    /// When `x` or `out` does not hold the `n` doubles the floor was made for.
    pub fn call(&mut self, x: &[f64], out: &mut [f64]) {
        assert!(
            x.len() == self.n && out.len() == self.n,
            "{} doubles",
            self.n
        );
        let n = self.n;
        let len = i32::try_from(n).expect("n fits a C int");
        let (input, output) = (
            self.input.as_ptr().cast::<f64>(),
            self.output.as_ptr().cast::<f64>(),
        );
        // SAFETY: each buffer is this floor's own mapping of at least `8 * n` bytes,
        // page-aligned and reached by no one else; `scalar_multiply` reads `n` doubles at
        // its input and writes `n` at its output.
        unsafe {
            std::ptr::copy_nonoverlapping(x.as_ptr(), input, n);
            self.lib.scalar_multiply(2.0, input, len, output);
            std::ptr::copy_nonoverlapping(output, out.as_mut_ptr(), n);
        }
    }
}
