//! `kernel32`: the local time from the operating system's own library, the way the
//! original example calls `GetLocalTime` in the 32-bit `kernel32.dll` (stdcall).
//!
//! On Windows it does exactly that. On Linux the 32-bit system library is the C library:
//! the wrapper loads `libc.so.6` and calls `clock_gettime` and `localtime_r` through
//! function pointers, filling in the same `SYSTEMTIME` fields.

use loadlib::server::{Kwargs, Library, Server32, ServerError};

/// Windows' `SYSTEMTIME`: eight 16-bit words.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
struct SystemTime {
    year: u16,
    month: u16,
    day_of_week: u16,
    day: u16,
    hour: u16,
    minute: u16,
    second: u16,
    milliseconds: u16,
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
}

/// Wraps the system library of the server's width.
pub struct Kernel32 {
    #[cfg(windows)]
    get_local_time: unsafe extern "system" fn(*mut SystemTime),
    #[cfg(not(windows))]
    clock_gettime: unsafe extern "C" fn(libc::clockid_t, *mut libc::timespec) -> libc::c_int,
    #[cfg(not(windows))]
    localtime_r: unsafe extern "C" fn(*const libc::time_t, *mut libc::tm) -> *mut libc::tm,
    _lib: Library,
}

#[cfg(windows)]
impl Server32 for Kernel32 {
    const NAME: &'static str = "kernel32";
    fn new(kwargs: &Kwargs) -> Result<Self, ServerError> {
        // SAFETY: loading runs the library's initialisers; this is the library the
        // wrapper exists for.
        let lib = unsafe { Library::windll(kwargs.get("lib").unwrap_or("kernel32.dll")) }?;
        // SAFETY: `void WINAPI GetLocalTime(LPSYSTEMTIME)`; WINAPI is stdcall, which is
        // `extern "system"` on 32-bit Windows.
        let get_local_time = unsafe { lib.function(b"GetLocalTime")? };
        Ok(Kernel32 {
            get_local_time,
            _lib: lib,
        })
    }
}

#[cfg(windows)]
impl Kernel32 {
    fn local_time(&self) -> Result<SystemTime, ServerError> {
        let mut st = SystemTime::default();
        // SAFETY: `st` is a writable `SYSTEMTIME` that outlives the call.
        unsafe { (self.get_local_time)(&mut st) };
        Ok(st)
    }
}

#[cfg(not(windows))]
impl Server32 for Kernel32 {
    const NAME: &'static str = "kernel32";
    fn new(kwargs: &Kwargs) -> Result<Self, ServerError> {
        // SAFETY: loading runs the library's initialisers; this is the library the
        // wrapper exists for.
        let lib = unsafe { Library::cdll(kwargs.get("lib").unwrap_or("libc.so.6")) }?;
        // SAFETY: the C library's `int clock_gettime(clockid_t, struct timespec*)` and
        // `struct tm* localtime_r(const time_t*, struct tm*)`; the `libc` crate's types
        // are laid out for the server's width (32-bit `time_t` and `long` in i686 glibc's
        // default symbols).
        unsafe {
            Ok(Kernel32 {
                clock_gettime: lib.function(b"clock_gettime")?,
                localtime_r: lib.function(b"localtime_r")?,
                _lib: lib,
            })
        }
    }
}

#[cfg(not(windows))]
impl Kernel32 {
    fn local_time(&self) -> Result<SystemTime, ServerError> {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: `ts` is a writable `timespec` that outlives the call.
        if unsafe { (self.clock_gettime)(libc::CLOCK_REALTIME, &mut ts) } != 0 {
            let e = std::io::Error::last_os_error();
            return Err(ServerError::new("OSError", format!("clock_gettime: {e}")));
        }
        // SAFETY: `tm` is plain data (integers and a nullable pointer): all zeros is valid.
        let mut tm: libc::tm = unsafe { std::mem::zeroed() };
        // SAFETY: both pointers are to live locals; `localtime_r` is thread-safe.
        if unsafe { (self.localtime_r)(&ts.tv_sec, &mut tm) }.is_null() {
            let e = std::io::Error::last_os_error();
            return Err(ServerError::new("OSError", format!("localtime_r: {e}")));
        }
        let word = |v: libc::c_int, what: &str| {
            u16::try_from(v)
                .map_err(|_| ServerError::new("OSError", format!("{what} {v} out of range")))
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

loadlib::methods! {
    impl Kernel32 {
        /// The local date and time as the eight `SYSTEMTIME` words: year, month (1-12),
        /// day of week (0 = Sunday), day, hour, minute, second, milliseconds.
        fn get_local_time(&mut self) -> Result<Vec<u16>, ServerError> {
            self.local_time().map(SystemTime::fields)
        }
    }
}
