//! `testlib`: the C test library `libloadlib_test.so` (arithmetic, arrays, and ways to
//! misbehave), for the test suite and the benchmarks: test instrumentation, built with
//! the `testkit` feature only (see `crate::testkit`).

use loadlib::server::{Kwargs, Library, OutVec, Result, Server32, ServerError};
use loadlib::Out;

loadlib::library! {
    /// The functions of `csrc/loadlib_test.c` this wrapper calls.
    pub struct TestLibC: extern "C" {
        fn add(a: i32, b: i32) -> i32;
        fn scalar_multiply(a: f64, x: *const f64, n: i32, out: *mut f64);
        fn sum_f64(x: *const f64, n: i32) -> f64;
        fn pointer_size() -> i32;
        fn sleep_ms(ms: i32);
        fn segfault() -> i32;
        fn abort_now();
        fn exit_now(code: i32);
    }
}

loadlib::interface! {
    /// The test library's functions, and ways to misbehave.
    pub trait TestLib => TestLibClient {
        /// `a + b` computed by the C library.
        fn add(a: i32, b: i32) -> i32;
        /// `a / b`: a `ZeroDivisionError` when `b` is 0, and a panic (a `Panic` error) when
        /// the quotient overflows. A small call that fails, for the tests.
        fn divide(a: i32, b: i32) -> i32;
        /// `a * x`, element-wise, computed by the C library into a new array (written in
        /// place in the reply's shared memory).
        fn scalar_multiply(a: f64, x: &[f64]) -> OutVec<f64>;
        /// `a * x` written into `out`: a result buffer (a `&mut` slice, copied back, or a
        /// shared array, written in place).
        fn scalar_multiply_into(a: f64, x: &[f64], out: Out<'_, f64>);
        /// `acc[i] += x[i]`: `acc` is read and written (a `&mut` slice travels there and
        /// back).
        fn accumulate(x: &[f64], acc: &mut [f64]);
        /// The sum of an array, computed in place in shared memory.
        fn sum(x: &[f64]) -> f64;
        /// Copies `x` into a result array (in place in the reply's shared memory when it
        /// can be) that the server keeps instead of returning: a wrapper that holds on to
        /// an `OutVec`, for the tests of the memory it lends.
        fn stash(x: &[f64]);
        /// The array `stash` kept (empty if none), returned now.
        fn unstash() -> OutVec<f64>;
        /// `sizeof(void*)` in the library: 4 in a 32-bit server.
        fn pointer_size() -> i32;
        /// Heap allocations the server process has made so far.
        fn allocations() -> u64;
        /// Blocks in the library for `ms` milliseconds.
        fn sleep_ms(ms: i32);
        /// Dereferences NULL in the library (the server dies with SIGSEGV, or
        /// `STATUS_ACCESS_VIOLATION` on Windows).
        fn segfault() -> i32;
        /// Calls `abort()` in the library (SIGABRT).
        fn abort();
        /// Calls `exit(code)` in the library.
        fn exit(code: i32);
        /// Starts `program` with the one argument `arg` and `LOADLIB_TEST_HELPER=1`, on
        /// the server's own stdout and stderr, and returns its process id: a helper
        /// process of the library that outlives the server and holds its output open.
        fn start_helper(program: String, arg: String) -> u32;
        /// Blocks in the library for `ms` milliseconds, then fills `out` (a writable shared
        /// array) with `value`: a late writer, for the tests of shared arrays and time-outs.
        fn sleep_then_fill(ms: i32, out: &mut [f64], value: f64);
        /// The folder holding the library that `dep_user_value` needs: what a client adds
        /// with `Builder::library_path`.
        fn dep_base_dir() -> String;
        /// Loads a library whose dependency sits in another folder (`dep_base_dir`) and
        /// returns its `dep_user_value()` (43); a `LibraryError` when the loader cannot
        /// find the dependency.
        fn dep_user_value() -> i32;
    }
}

/// Where `build.rs` put the test library of this build's width.
pub const LIBRARY_PATH: &str = env!("LOADLIB_TEST_LIB");

/// Serves [`TestLib`] from `libloadlib_test.so`, built by `build.rs` for the server's width.
pub struct TestLibServer {
    c: TestLibC,
    stashed: Option<OutVec<f64>>,
}

impl Server32 for TestLibServer {
    const NAME: &'static str = "testlib";
    fn new(kwargs: &Kwargs) -> Result<Self> {
        if let Some(ms) = kwargs.get("stall_ms") {
            // A library whose initialisation hangs: the server never becomes ready.
            eprintln!("testlib: warming up forever");
            let ms = ms
                .parse()
                .map_err(|e| ServerError::value_error(format!("stall_ms: {e}")))?;
            std::thread::sleep(std::time::Duration::from_millis(ms));
        }
        let path = kwargs.get("lib").unwrap_or(LIBRARY_PATH);
        // SAFETY: loading runs the library's initialisers (this is the library the wrapper
        // exists for); the declarations are the signatures in csrc/loadlib_test.c.
        let c = unsafe { TestLibC::load(path) }?;
        Ok(TestLibServer { c, stashed: None })
    }
}

fn len_i32(n: usize) -> Result<i32> {
    i32::try_from(n)
        .map_err(|_| ServerError::value_error(format!("{n} elements exceed the C int length")))
}

impl TestLib for TestLibServer {
    fn add(&mut self, a: i32, b: i32) -> Result<i32> {
        // SAFETY: plain integers.
        Ok(unsafe { self.c.add(a, b) })
    }

    fn divide(&mut self, a: i32, b: i32) -> Result<i32> {
        if b == 0 {
            return Err(ServerError::new("ZeroDivisionError", format!("{a} / 0")));
        }
        match a.checked_div(b) {
            Some(q) => Ok(q),
            None => panic!("{a} / {b} overflows"),
        }
    }

    fn scalar_multiply(&mut self, a: f64, x: &[f64]) -> Result<OutVec<f64>> {
        let n = len_i32(x.len())?;
        // SAFETY: the library writes `n` doubles at `out` and reads `n` at `x`.
        unsafe {
            OutVec::filled(x.len(), |out| {
                self.c.scalar_multiply(a, x.as_ptr(), n, out);
                Ok(())
            })
        }
    }

    fn scalar_multiply_into(&mut self, a: f64, x: &[f64], mut out: Out<'_, f64>) -> Result<()> {
        if out.len() != x.len() {
            return Err(ServerError::value_error(format!(
                "out has {} elements, x has {}",
                out.len(),
                x.len()
            )));
        }
        // SAFETY: both buffers hold `x.len()` doubles and do not overlap (checked by the
        // decoder for writable arrays).
        unsafe {
            self.c
                .scalar_multiply(a, x.as_ptr(), len_i32(x.len())?, out.as_mut_ptr())
        };
        Ok(())
    }

    fn accumulate(&mut self, x: &[f64], acc: &mut [f64]) -> Result<()> {
        if acc.len() != x.len() {
            return Err(ServerError::value_error(format!(
                "acc has {} elements, x has {}",
                acc.len(),
                x.len()
            )));
        }
        acc.iter_mut().zip(x).for_each(|(a, x)| *a += x);
        Ok(())
    }

    fn sum(&mut self, x: &[f64]) -> Result<f64> {
        // SAFETY: `x` holds `x.len()` doubles.
        Ok(unsafe { self.c.sum_f64(x.as_ptr(), len_i32(x.len())?) })
    }

    fn stash(&mut self, x: &[f64]) -> Result<()> {
        let mut kept = OutVec::zeroed(x.len())?;
        kept.copy_from_slice(x);
        self.stashed = Some(kept);
        Ok(())
    }

    fn unstash(&mut self) -> Result<OutVec<f64>> {
        Ok(self.stashed.take().unwrap_or_else(|| Vec::new().into()))
    }

    fn pointer_size(&mut self) -> Result<i32> {
        // SAFETY: no arguments.
        Ok(unsafe { self.c.pointer_size() })
    }

    fn allocations(&mut self) -> Result<u64> {
        Ok(crate::testkit::alloc_count::ALLOCATIONS.load(std::sync::atomic::Ordering::Relaxed))
    }

    fn sleep_ms(&mut self, ms: i32) -> Result<()> {
        // SAFETY: plain integer.
        unsafe { self.c.sleep_ms(ms) };
        Ok(())
    }

    fn segfault(&mut self) -> Result<i32> {
        // SAFETY: not safe at all: this crashes the server on purpose.
        Ok(unsafe { self.c.segfault() })
    }

    fn abort(&mut self) -> Result<()> {
        // SAFETY: ends the process on purpose.
        unsafe { self.c.abort_now() };
        Ok(())
    }

    fn exit(&mut self, code: i32) -> Result<()> {
        // SAFETY: ends the process on purpose.
        unsafe { self.c.exit_now(code) };
        Ok(())
    }

    fn start_helper(&mut self, program: String, arg: String) -> Result<u32> {
        let child = std::process::Command::new(&program)
            .arg(arg)
            .env("LOADLIB_TEST_HELPER", "1")
            .stdin(std::process::Stdio::null())
            .spawn()
            .map_err(|e| ServerError::value_error(format!("{program}: {e}")))?;
        Ok(child.id())
    }

    fn sleep_then_fill(&mut self, ms: i32, out: &mut [f64], value: f64) -> Result<()> {
        // SAFETY: plain integer.
        unsafe { self.c.sleep_ms(ms) };
        out.fill(value);
        Ok(())
    }

    fn dep_base_dir(&mut self) -> Result<String> {
        Ok(env!("LOADLIB_DEP_BASE_DIR").to_owned())
    }

    fn dep_user_value(&mut self) -> Result<i32> {
        // SAFETY: loading runs the library's initialisers; this is the library the
        // wrapper exists for.
        let lib = unsafe { Library::cdll(env!("LOADLIB_DEP_USER_LIB")) }?;
        // SAFETY: `int32_t dep_user_value(void)` in csrc/dep_user.c.
        let f = unsafe { lib.function::<unsafe extern "C" fn() -> i32>(b"dep_user_value")? };
        // SAFETY: no arguments; `f` borrows `lib`, which stays loaded during the call.
        Ok(unsafe { (*f)() })
    }
}
