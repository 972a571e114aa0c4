//! `testlib`: the C test library `libloadlib_test.so` (arithmetic, arrays, and ways to
//! misbehave), for the test suite and the benchmarks.

use loadlib::server::{Kwargs, Library, Server32, ServerError};

/// Wraps `libloadlib_test.so`, built by `build.rs` for the server's width.
pub struct TestLib {
    add: unsafe extern "C" fn(i32, i32) -> i32,
    scalar_multiply: unsafe extern "C" fn(f64, *const f64, i32, *mut f64),
    sum_f64: unsafe extern "C" fn(*const f64, i32) -> f64,
    pointer_size: unsafe extern "C" fn() -> i32,
    sleep_ms: unsafe extern "C" fn(i32),
    segfault: unsafe extern "C" fn() -> i32,
    abort_now: unsafe extern "C" fn(),
    exit_now: unsafe extern "C" fn(i32),
    _lib: Library,
}

impl Server32 for TestLib {
    const NAME: &'static str = "testlib";
    fn new(kwargs: &Kwargs) -> Result<Self, ServerError> {
        if let Some(ms) = kwargs.get("stall_ms") {
            // A library whose initialisation hangs: the server never becomes ready.
            eprintln!("testlib: warming up forever");
            let ms = ms
                .parse()
                .map_err(|e| ServerError::value_error(format!("stall_ms: {e}")))?;
            std::thread::sleep(std::time::Duration::from_millis(ms));
        }
        // SAFETY: loading runs the library's initialisers; this is the library the
        // wrapper exists for.
        let lib = unsafe { Library::cdll(kwargs.get("lib").unwrap_or(env!("LOADLIB_TEST_LIB"))) }?;
        // SAFETY: each type below is the C signature in csrc/loadlib_test.c.
        unsafe {
            Ok(TestLib {
                add: lib.function(b"add")?,
                scalar_multiply: lib.function(b"scalar_multiply")?,
                sum_f64: lib.function(b"sum_f64")?,
                pointer_size: lib.function(b"pointer_size")?,
                sleep_ms: lib.function(b"sleep_ms")?,
                segfault: lib.function(b"segfault")?,
                abort_now: lib.function(b"abort_now")?,
                exit_now: lib.function(b"exit_now")?,
                _lib: lib,
            })
        }
    }
}

fn len_i32(n: usize) -> Result<i32, ServerError> {
    i32::try_from(n)
        .map_err(|_| ServerError::value_error(format!("{n} elements exceed the C int length")))
}

loadlib::methods! {
    impl TestLib {
        /// `a + b` computed by the C library.
        fn add(&mut self, a: i32, b: i32) -> i32 {
            // SAFETY: plain integers.
            unsafe { (self.add)(a, b) }
        }

        /// `a * x`, element-wise, computed by the C library into a new array.
        fn scalar_multiply(&mut self, a: f64, x: &[f64]) -> Result<Vec<f64>, ServerError> {
            let mut out = loadlib::server::zeroed_vec(x.len())?;
            // SAFETY: both buffers hold `x.len()` doubles.
            unsafe { (self.scalar_multiply)(a, x.as_ptr(), len_i32(x.len())?, out.as_mut_ptr()) };
            Ok(out)
        }

        /// `a * x` written into `out` in place (a writable shared array).
        fn scalar_multiply_into(&mut self, a: f64, x: &[f64], out: &mut [f64]) -> Result<(), ServerError> {
            if out.len() != x.len() {
                return Err(ServerError::value_error(format!("out has {} elements, x has {}", out.len(), x.len())));
            }
            // SAFETY: both buffers hold `x.len()` doubles and do not overlap (checked by
            // the decoder for writable arrays).
            unsafe { (self.scalar_multiply)(a, x.as_ptr(), len_i32(x.len())?, out.as_mut_ptr()) };
            Ok(())
        }

        /// The sum of an array, computed in place in shared memory.
        fn sum(&mut self, x: &[f64]) -> Result<f64, ServerError> {
            // SAFETY: `x` holds `x.len()` doubles.
            Ok(unsafe { (self.sum_f64)(x.as_ptr(), len_i32(x.len())?) })
        }

        /// `sizeof(void*)` in the library: 4 in a 32-bit server.
        fn pointer_size(&mut self) -> i32 {
            // SAFETY: no arguments.
            unsafe { (self.pointer_size)() }
        }

        /// Heap allocations the server process has made so far.
        fn allocations(&mut self) -> u64 {
            crate::alloc_count::ALLOCATIONS.load(std::sync::atomic::Ordering::Relaxed)
        }

        /// Blocks in the library for `ms` milliseconds.
        fn sleep_ms(&mut self, ms: i32) {
            // SAFETY: plain integer.
            unsafe { (self.sleep_ms)(ms) }
        }

        /// Dereferences NULL in the library (the server dies with SIGSEGV, or
        /// `STATUS_ACCESS_VIOLATION` on Windows).
        fn segfault(&mut self) -> i32 {
            // SAFETY: not safe at all: this crashes the server on purpose.
            unsafe { (self.segfault)() }
        }

        /// Calls `abort()` in the library (SIGABRT).
        fn abort(&mut self) {
            // SAFETY: ends the process on purpose.
            unsafe { (self.abort_now)() }
        }

        /// Calls `exit(code)` in the library.
        fn exit(&mut self, code: i32) {
            // SAFETY: ends the process on purpose.
            unsafe { (self.exit_now)(code) }
        }

        /// Blocks in the library for `ms` milliseconds, then fills `out` (a writable shared
        /// array) with `value`: a late writer, for the tests of shared arrays and time-outs.
        fn sleep_then_fill(&mut self, ms: i32, out: &mut [f64], value: f64) {
            // SAFETY: plain integer.
            unsafe { (self.sleep_ms)(ms) };
            out.fill(value);
        }

        /// The folder holding the library that `dep_user_value` needs: what a client adds
        /// with `Builder::library_path`.
        fn dep_base_dir(&mut self) -> String {
            env!("LOADLIB_DEP_BASE_DIR").to_owned()
        }

        /// Loads a library whose dependency sits in another folder (`dep_base_dir`) and
        /// returns its `dep_user_value()` (43); a `LibraryError` when the loader cannot
        /// find the dependency.
        fn dep_user_value(&mut self) -> Result<i32, ServerError> {
            // SAFETY: loading runs the library's initialisers; this is the library the
            // wrapper exists for.
            let lib = unsafe { Library::cdll(env!("LOADLIB_DEP_USER_LIB")) }?;
            // SAFETY: `int32_t dep_user_value(void)` in csrc/dep_user.c.
            let f: unsafe extern "C" fn() -> i32 = unsafe { lib.function(b"dep_user_value")? };
            // SAFETY: no arguments; `lib` stays loaded during the call.
            Ok(unsafe { f() })
        }
    }
}
