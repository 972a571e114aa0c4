//! A server of your own in a few lines: one wrapper, built for i686, started by a client
//! with `ServerExe::Named("my_server")`. (The bundled `server32` hosts many wrappers the
//! same way.)
//!
//! ```text
//! cargo build -p server32 --features bins --bin my_server --target i686-unknown-linux-gnu
//! ```

use loadlib::server::{Kwargs, Library, Server32, ServerError};

/// Wraps `add` from the test library (or any library with `int add(int, int)`).
struct MyServer {
    add: unsafe extern "C" fn(i32, i32) -> i32,
    _lib: Library,
}

impl Server32 for MyServer {
    const NAME: &'static str = "my_server";
    fn new(kwargs: &Kwargs) -> Result<Self, ServerError> {
        // SAFETY: loading runs the library's initialisers; this is the library the
        // wrapper exists for.
        let lib = unsafe { Library::cdll(kwargs.get("lib").unwrap_or(env!("LOADLIB_TEST_LIB"))) }?;
        // SAFETY: `add` has this C signature.
        let add = unsafe { lib.function(b"add")? };
        Ok(MyServer { add, _lib: lib })
    }
}

loadlib::methods! {
    impl MyServer {
        /// Adds two integers in the 32-bit library.
        fn add(&mut self, a: i32, b: i32) -> i32 {
            // SAFETY: plain integers.
            unsafe { (self.add)(a, b) }
        }

        /// Sums an array read in place from shared memory.
        fn total(&mut self, x: &[f64]) -> f64 {
            x.iter().sum()
        }
    }
}

fn main() -> std::process::ExitCode {
    loadlib::server::serve::<MyServer>()
}
