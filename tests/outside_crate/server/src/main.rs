//! A user's server: one wrapper with two methods, no library needed.

use loadlib::server::{Kwargs, Server32, ServerError};

struct Outside;

impl Server32 for Outside {
    const NAME: &'static str = "outside";
    fn new(_kwargs: &Kwargs) -> Result<Self, ServerError> {
        Ok(Outside)
    }
}

loadlib::methods! {
    impl Outside {
        /// Adds two integers.
        fn add(&mut self, a: i32, b: i32) -> i32 {
            a + b
        }
        /// This process's pointer width.
        fn bits(&mut self) -> u32 {
            usize::BITS
        }
    }
}

fn main() -> std::process::ExitCode {
    loadlib::server::serve::<Outside>()
}
