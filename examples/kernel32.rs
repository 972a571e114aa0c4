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

use std::fmt;

use loadlib::Client64;
use server32::wrappers::kernel32::Kernel32Client;

/// The local date and time, field for field Windows' `SYSTEMTIME`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SystemTime {
    /// The year, e.g. 2025.
    pub year: u16,
    /// The month, 1 (January) to 12.
    pub month: u16,
    /// The day of the week, 0 (Sunday) to 6.
    pub day_of_week: u16,
    /// The day of the month, 1 to 31.
    pub day: u16,
    /// The hour, 0 to 23.
    pub hour: u16,
    /// The minute, 0 to 59.
    pub minute: u16,
    /// The second, 0 to 59 (60 in a leap second).
    pub second: u16,
    /// The milliseconds, 0 to 999.
    pub milliseconds: u16,
}

impl fmt::Display for SystemTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
        let day = DAYS.get(usize::from(self.day_of_week)).unwrap_or(&"???");
        write!(
            f,
            "{day} {:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:03}",
            self.year, self.month, self.day, self.hour, self.minute, self.second, self.milliseconds
        )
    }
}

impl SystemTime {
    /// The time from the eight `SYSTEMTIME` words the wrapper returns.
    pub fn from_words(w: &[u16]) -> loadlib::Result<SystemTime> {
        match *w {
            [year, month, day_of_week, day, hour, minute, second, milliseconds] => Ok(SystemTime {
                year,
                month,
                day_of_week,
                day,
                hour,
                minute,
                second,
                milliseconds,
            }),
            _ => Err(loadlib::Error::ReplyType {
                expected: "the 8 words of a SYSTEMTIME".into(),
                got: format!("{} words", w.len()),
            }),
        }
    }
}

fn main() -> loadlib::Result<()> {
    // `.server(ServerExe::Bundled64)` on the builder would run a 64-bit server instead;
    // `.env("TZ", …)` would give the server another time zone.
    let k = Kernel32Client::start(Client64::builder("kernel32"))?;
    let width = k
        .client64()
        .map_or(0, |server| server.server_pointer_width());
    let now = SystemTime::from_words(&k.get_local_time()?)?;
    println!("the local time from the {width}-bit server's system library: {now}");
    Ok(())
}
