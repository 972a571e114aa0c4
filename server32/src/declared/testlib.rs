//! The test library (`csrc/loadlib_test.c`) declared with `foreign!`: for the foreign
//! rows of the benchmarks, and tests of calls that block or crash.

loadlib::foreign! {
    /// `csrc/loadlib_test.c`.
    pub struct TestLib: extern "C" {
        /// `a + b`.
        fn add(a: i32, b: i32) -> i32;
        /// `xout[i] = a * xin[i]` for `i < n`.
        fn scalar_multiply(a: f64, #[len(n)] xin: &[f64], n: i32, #[out] #[len(n)] xout: &mut [f64]);
        /// The sum of `x[..n]`.
        fn sum_f64(#[len(n)] x: &[f64], n: i32) -> f64;
        /// `sizeof(void *)` in the library.
        fn pointer_size() -> i32;
        /// Sleeps `ms` milliseconds.
        fn sleep_ms(ms: i32);
        /// Reads through a null pointer.
        fn segfault() -> i32;
    }
}
