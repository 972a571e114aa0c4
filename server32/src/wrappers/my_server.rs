//! The interface of `my_server` (src/bin/my_server.rs), a server of its own: declared
//! here, in the library both widths compile, so the 64-bit tests get its typed client.

loadlib::interface! {
    /// Two functions of a small server of your own.
    pub trait MyServer => MyServerClient {
        /// Adds two integers in the 32-bit library.
        fn add(a: i32, b: i32) -> i32;
        /// Sums an array read in place from shared memory.
        fn total(x: &[f64]) -> f64;
    }
}
