//! The local time from the system's own 32-bit library, declared with `foreign!`: on
//! Windows `GetLocalTime` in `kernel32.dll` (stdcall, a `SYSTEMTIME` by pointer); on
//! Linux the C library's `clock_gettime` and `localtime_r`.

use loadlib::Result;

pub use crate::wrappers::kernel32::SystemTime;

#[cfg(windows)]
loadlib::foreign! {
    /// The 32-bit `kernel32.dll` (the Windows API's `stdcall` convention).
    pub struct Kernel32: extern "system" {
        /// `void GetLocalTime(LPSYSTEMTIME lpSystemTime)`: fills the struct.
        #[link_name = "GetLocalTime"]
        fn get_local_time(#[out] time: &mut SystemTime);
    }
}

/// The system library `Kernel32` loads.
#[cfg(windows)]
pub const SYSTEM_LIBRARY: &str = "kernel32.dll";

#[cfg(windows)]
impl Kernel32 {
    /// The local time.
    pub fn local_time(&self) -> Result<SystemTime> {
        let mut t = SystemTime::default();
        self.get_local_time(&mut t)?;
        Ok(t)
    }
}

/// `struct timespec` (`time_t` and `long` are as wide as a pointer on Linux).
#[cfg(not(windows))]
#[derive(loadlib::CStruct, Clone, Copy, Debug, Default)]
#[repr(C)]
pub struct Timespec {
    /// Seconds since 1970.
    pub tv_sec: isize,
    /// Nanoseconds.
    pub tv_nsec: isize,
}

/// `struct tm` as glibc defines it.
#[cfg(not(windows))]
#[derive(loadlib::CStruct, Clone, Copy, Debug, Default)]
#[repr(C)]
pub struct Tm {
    /// Seconds, 0 to 60.
    pub tm_sec: i32,
    /// Minutes, 0 to 59.
    pub tm_min: i32,
    /// Hours, 0 to 23.
    pub tm_hour: i32,
    /// Day of the month, 1 to 31.
    pub tm_mday: i32,
    /// Month, 0 to 11.
    pub tm_mon: i32,
    /// Years since 1900.
    pub tm_year: i32,
    /// Day of the week, 0 (Sunday) to 6.
    pub tm_wday: i32,
    /// Day of the year, 0 to 365.
    pub tm_yday: i32,
    /// Daylight saving time flag.
    pub tm_isdst: i32,
    /// Seconds east of UTC.
    pub tm_gmtoff: isize,
    /// The zone's abbreviation (a pointer in the server).
    pub tm_zone: loadlib::foreign::Ptr,
}

#[cfg(not(windows))]
loadlib::foreign! {
    /// The 32-bit C library's clock.
    pub struct Kernel32: extern "C" {
        /// `int clock_gettime(clockid_t, struct timespec *)`.
        fn clock_gettime(clock: i32, #[out] ts: &mut Timespec) -> i32;
        /// `struct tm *localtime_r(const time_t *, struct tm *)`.
        fn localtime_r(t: &isize, #[out] tm: &mut Tm) -> *mut c_void;
    }
}

/// The system library `Kernel32` loads.
#[cfg(not(windows))]
pub const SYSTEM_LIBRARY: &str = "libc.so.6";

#[cfg(not(windows))]
impl Kernel32 {
    /// The local time.
    pub fn local_time(&self) -> Result<SystemTime> {
        const CLOCK_REALTIME: i32 = 0;
        let mut ts = Timespec::default();
        if self.clock_gettime(CLOCK_REALTIME, &mut ts)? != 0 {
            return Err(loadlib::Error::InvalidArgument(
                "clock_gettime failed".into(),
            ));
        }
        let mut tm = Tm::default();
        if self.localtime_r(ts.tv_sec, &mut tm)?.is_null() {
            return Err(loadlib::Error::InvalidArgument("localtime_r failed".into()));
        }
        let w = |v: i32| v as u16;
        Ok(SystemTime {
            year: w(tm.tm_year + 1900),
            month: w(tm.tm_mon + 1),
            day_of_week: w(tm.tm_wday),
            day: w(tm.tm_mday),
            hour: w(tm.tm_hour),
            minute: w(tm.tm_min),
            second: w(tm.tm_sec),
            milliseconds: (ts.tv_nsec / 1_000_000) as u16,
        })
    }
}
