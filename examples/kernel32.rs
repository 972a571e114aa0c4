//! Asks the operating system's own 32-bit library for the local time, from this 64-bit
//! program, through the `kernel32` wrapper of the 32-bit server.
//!
//! On Windows the wrapper calls `GetLocalTime` in the 32-bit `kernel32.dll` (a stdcall
//! function filling a `SYSTEMTIME`). On Linux it loads the 32-bit C library
//! (`libc.so.6`) and calls `clock_gettime` and `localtime_r` through function pointers,
//! returning the same `SYSTEMTIME` fields.
//!
//! ```text
//! cargo run --example kernel32
//! ```

use std::fmt;

use loadlib::{Client64, ServerExe};

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

/// The operating system's library of the server's width, called through a 32-bit
/// server.
pub struct Kernel32 {
    client: Client64,
}

impl Kernel32 {
    /// Starts the bundled 32-bit server with the system library loaded.
    pub fn new() -> loadlib::Result<Kernel32> {
        Kernel32::with_server(ServerExe::Bundled32)
    }

    /// Starts the given server executable (e.g. [`ServerExe::Bundled64`]) instead.
    pub fn with_server(exe: ServerExe) -> loadlib::Result<Kernel32> {
        Ok(Kernel32::from_client(
            Client64::builder("kernel32").server(exe).start()?,
        ))
    }

    /// Wraps a client started with `module32` `kernel32` and settings of your own, e.g.
    /// a `TZ` environment variable for the server.
    pub fn from_client(client: Client64) -> Kernel32 {
        Kernel32 { client }
    }

    /// The underlying client (for its pointer width, or a call by name).
    pub fn client(&self) -> &Client64 {
        &self.client
    }

    /// The current local date and time, as the server's system library reports it.
    pub fn get_local_time(&self) -> loadlib::Result<SystemTime> {
        let w: Vec<u16> = self.client.request32("get_local_time", ())?;
        match w[..] {
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
    let k = Kernel32::new()?;
    println!(
        "the local time from the {}-bit server's system library: {}",
        k.client().server_pointer_width(),
        k.get_local_time()?
    );
    Ok(())
}
