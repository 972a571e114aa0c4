//! A user's server: one interface with two functions, no library needed.

use loadlib::server::{Kwargs, Result, Server32};

loadlib::interface! {
    /// What the server offers.
    pub trait Outside => OutsideClient {
        /// Adds two integers.
        fn add(a: i32, b: i32) -> i32;
        /// This process's pointer width.
        fn bits() -> u32;
    }
}

struct Wrapper;

impl Server32 for Wrapper {
    const NAME: &'static str = "outside";
    fn new(_kwargs: &Kwargs) -> Result<Self> {
        Ok(Wrapper)
    }
}

impl Outside for Wrapper {
    fn add(&mut self, a: i32, b: i32) -> Result<i32> {
        Ok(a + b)
    }
    fn bits(&mut self) -> Result<u32> {
        Ok(usize::BITS)
    }
}

fn main() -> std::process::ExitCode {
    loadlib::server::serve(loadlib::server::Entry::of::<OutsideClient, Wrapper>())
}
