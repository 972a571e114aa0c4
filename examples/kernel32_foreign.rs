//! Asks the operating system's own 32-bit library for the local time with **no server
//! code**: the functions are declared with `loadlib::foreign!`
//! (`server32/src/declared/kernel32.rs`). The same through a wrapper server:
//! `examples/kernel32.rs`.
//!
//! On Windows it calls `GetLocalTime` in the 32-bit `kernel32.dll`: a `stdcall` function
//! (`extern "system"`) filling a `SYSTEMTIME` through a pointer. On Linux it calls the
//! 32-bit C library's `clock_gettime` and `localtime_r`, which fill a `struct timespec`
//! and a `struct tm`.
//!
//! ```text
//! cargo run --example kernel32_foreign
//! cargo run --example kernel32_foreign --target x86_64-pc-windows-gnu
//! ```

use server32::declared::kernel32::{Kernel32, SYSTEM_LIBRARY};

fn main() -> loadlib::Result<()> {
    // SAFETY: the system's own library, declared as its headers define it.
    let k = unsafe { Kernel32::load(SYSTEM_LIBRARY) }?;
    let width = k.library().client().server_pointer_width();
    let now = k.local_time()?;
    println!("the local time from the {width}-bit server's {SYSTEM_LIBRARY}: {now}");
    Ok(())
}
