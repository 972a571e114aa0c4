//! Asks the operating system's own 32-bit library for the local time, from this 64-bit
//! program, through the `kernel32` wrapper of the 32-bit server.
//!
//! On Windows the wrapper calls `GetLocalTime` in the 32-bit `kernel32.dll` (a stdcall
//! function filling a `SYSTEMTIME`). On Linux it loads the 32-bit C library
//! (`libc.so.6`) and calls `clock_gettime` and `localtime_r` through function pointers,
//! returning the same `SYSTEMTIME` fields.
//!
//! `Kernel32Client` is the typed client `loadlib::interface!` generates from the wrapper's
//! declaration (`server32/src/wrappers/kernel32.rs`).
//!
//! ```text
//! cargo run --example kernel32
//! ```

use loadlib::Client64;
use server32::wrappers::kernel32::{Kernel32Client, SystemTime};

fn main() -> loadlib::Result<()> {
    // `.server(ServerExe::Bundled64)` on the builder would run a 64-bit server instead;
    // `.env("TZ", …)` would give the server another time zone.
    let k = Kernel32Client::start(Client64::builder("kernel32"))?;
    let width = k
        .client64()
        .map_or(0, |server| server.server_pointer_width());
    let words = k.get_local_time()?;
    let now = SystemTime::from_words(&words).ok_or_else(|| loadlib::Error::ReplyType {
        expected: "the 8 words of a SYSTEMTIME".into(),
        got: format!("{} words", words.len()),
    })?;
    println!("the local time from the {width}-bit server's system library: {now}");
    Ok(())
}
