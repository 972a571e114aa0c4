//! A server of your own in a few lines: one interface, one wrapper, built for i686,
//! started by a client with `ServerExe::Named("my_server")`. (The bundled `server32`
//! hosts many wrappers the same way.)
//!
//! ```text
//! cargo build -p server32 --features bins --bin my_server --target i686-unknown-linux-gnu
//! ```

use loadlib::server::{Entry, Kwargs, Result, Server32};
use server32::wrappers::my_server::{MyServer, MyServerClient};

loadlib::library! {
    /// The one function of the test library this server calls.
    struct MyLibC: extern "C" {
        fn add(a: i32, b: i32) -> i32;
    }
}

/// Serves [`MyServer`] from the test library (or any library with `int add(int, int)`).
struct MyWrapper {
    c: MyLibC,
}

impl Server32 for MyWrapper {
    const NAME: &'static str = "my_server";
    fn new(kwargs: &Kwargs) -> Result<Self> {
        let path = kwargs.get("lib").unwrap_or(env!("LOADLIB_TEST_LIB"));
        // SAFETY: loading runs the library's initialisers (the library this server is
        // for); `add` has the declared C signature.
        Ok(MyWrapper {
            c: unsafe { MyLibC::load(path) }?,
        })
    }
}

impl MyServer for MyWrapper {
    fn add(&mut self, a: i32, b: i32) -> Result<i32> {
        // SAFETY: plain integers.
        Ok(unsafe { self.c.add(a, b) })
    }

    fn total(&mut self, x: &[f64]) -> Result<f64> {
        Ok(x.iter().sum())
    }
}

fn main() -> std::process::ExitCode {
    loadlib::server::serve(Entry::of::<MyServerClient, MyWrapper>())
}
