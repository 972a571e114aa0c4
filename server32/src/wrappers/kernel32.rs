//! `kernel32`: the local time from the operating system's own library, the way the
//! original example calls `GetLocalTime` in the 32-bit `kernel32.dll` (stdcall).
//!
//! On Windows it does exactly that. On Linux the 32-bit system library is the C library:
//! the wrapper loads `libc.so.6` and calls `clock_gettime` and `localtime_r` through
//! function pointers, filling in the same `SYSTEMTIME` fields.

use loadlib::server::{Kwargs, Result, Server32};

/// The local date and time, field for field Windows' `SYSTEMTIME` (eight 16-bit words).
/// A `CStruct`, so foreign declarations take it too (`server32::declared::kernel32`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, loadlib::CStruct)]
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

impl SystemTime {
    fn fields(self) -> Vec<u16> {
        vec![
            self.year,
            self.month,
            self.day_of_week,
            self.day,
            self.hour,
            self.minute,
            self.second,
            self.milliseconds,
        ]
    }

    /// The time from the eight words [`Kernel32Client::get_local_time`] returns, or
    /// `None` for another count.
    pub fn from_words(w: &[u16]) -> Option<SystemTime> {
        match *w {
            [year, month, day_of_week, day, hour, minute, second, milliseconds] => {
                Some(SystemTime {
                    year,
                    month,
                    day_of_week,
                    day,
                    hour,
                    minute,
                    second,
                    milliseconds,
                })
            }
            _ => None,
        }
    }
}

impl std::fmt::Display for SystemTime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
        let day = DAYS.get(usize::from(self.day_of_week)).unwrap_or(&"???");
        write!(
            f,
            "{day} {:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:03}",
            self.year, self.month, self.day, self.hour, self.minute, self.second, self.milliseconds
        )
    }
}

#[cfg(windows)]
loadlib::library! {
    /// `void WINAPI GetLocalTime(LPSYSTEMTIME)`: WINAPI is stdcall, `extern "system"`.
    struct SystemLib: extern "system" {
        fn GetLocalTime(st: *mut SystemTime);
    }
}

#[cfg(not(windows))]
loadlib::library! {
    /// The C library's `clock_gettime` and `localtime_r`; the `libc` crate's types are
    /// laid out for the server's width (32-bit `time_t` and `long` in i686 glibc's default
    /// symbols).
    struct SystemLib: extern "C" {
        fn clock_gettime(clock: libc::clockid_t, ts: *mut libc::timespec) -> libc::c_int;
        fn localtime_r(t: *const libc::time_t, tm: *mut libc::tm) -> *mut libc::tm;
    }
}

/// Serves [`Kernel32`] from the system library of the server's width.
pub struct Kernel32Server {
    c: SystemLib,
}

impl Server32 for Kernel32Server {
    const NAME: &'static str = "kernel32";
    fn new(kwargs: &Kwargs) -> Result<Self> {
        let default = if cfg!(windows) {
            "kernel32.dll"
        } else {
            "libc.so.6"
        };
        let path = kwargs.get("lib").unwrap_or(default);
        // SAFETY: loading runs the system library's initialisers; the declarations are
        // its functions' signatures.
        Ok(Kernel32Server {
            c: unsafe { SystemLib::load(path) }?,
        })
    }
}

#[cfg(windows)]
impl Kernel32Server {
    fn local_time(&self) -> Result<SystemTime> {
        let mut st = SystemTime::default();
        // SAFETY: `st` is a writable `SYSTEMTIME` that outlives the call.
        unsafe { self.c.GetLocalTime(&mut st) };
        Ok(st)
    }
}

#[cfg(not(windows))]
impl Kernel32Server {
    fn local_time(&self) -> Result<SystemTime> {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: `ts` is a writable `timespec` that outlives the call.
        if unsafe { self.c.clock_gettime(libc::CLOCK_REALTIME, &mut ts) } != 0 {
            let e = std::io::Error::last_os_error();
            return Err(loadlib::server::ServerError::new(
                "OSError",
                format!("clock_gettime: {e}"),
            ));
        }
        // SAFETY: `tm` is plain data (integers and a nullable pointer): all zeros is valid.
        let mut tm: libc::tm = unsafe { std::mem::zeroed() };
        // SAFETY: both pointers are to live locals; `localtime_r` is thread-safe.
        if unsafe { self.c.localtime_r(&ts.tv_sec, &mut tm) }.is_null() {
            let e = std::io::Error::last_os_error();
            return Err(loadlib::server::ServerError::new(
                "OSError",
                format!("localtime_r: {e}"),
            ));
        }
        let word = |v: libc::c_int, what: &str| {
            u16::try_from(v).map_err(|_| {
                loadlib::server::ServerError::new("OSError", format!("{what} {v} out of range"))
            })
        };
        Ok(SystemTime {
            year: word(tm.tm_year + 1900, "year")?,
            month: word(tm.tm_mon + 1, "month")?,
            day_of_week: word(tm.tm_wday, "day of week")?,
            day: word(tm.tm_mday, "day")?,
            hour: word(tm.tm_hour, "hour")?,
            minute: word(tm.tm_min, "minute")?,
            second: word(tm.tm_sec, "second")?,
            milliseconds: (ts.tv_nsec / 1_000_000) as u16,
        })
    }
}

loadlib::interface! {
    /// The local time from the operating system's library.
    pub trait Kernel32 => Kernel32Client {
        /// The local date and time as the eight `SYSTEMTIME` words: year, month (1-12),
        /// day of week (0 = Sunday), day, hour, minute, second, milliseconds.
        fn get_local_time() -> Vec<u16>;
    }
}

impl Kernel32 for Kernel32Server {
    fn get_local_time(&mut self) -> Result<Vec<u16>> {
        self.local_time().map(SystemTime::fields)
    }
}
