//! The kernel32 example library (`GetLocalTime` from `kernel32.dll` on Windows, the system
//! C library on Linux) through real servers of both widths, with its typed client, checked
//! against this process's own clock.

use loadlib::Client64;
use server32::wrappers::kernel32::{Kernel32Client, SystemTime};

use crate::common::{self, Config};

common::per_config! {
    local_time_matches_this_process: shm;
    local_time_through_declarations_alone_matches_this_process: shm;
}

/// The server's local time: the eight `SYSTEMTIME` words `get_local_time` returns.
fn server_time(k: &Kernel32Client) -> SystemTime {
    let w = k.get_local_time().unwrap();
    SystemTime::from_words(&w)
        .unwrap_or_else(|| panic!("expected the 8 words of a SYSTEMTIME, got {w:?}"))
}

/// Days from 1970-01-01 to the given civil date (proleptic Gregorian).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Milliseconds since 1970-01-01 00:00 of the local wall-clock reading `t` (not a UTC
/// instant: both sides read the same time zone, so differences are what count).
fn wall_ms(t: &SystemTime) -> i64 {
    let days = days_from_civil(t.year.into(), t.month.into(), t.day.into());
    let secs =
        ((days * 24 + i64::from(t.hour)) * 60 + i64::from(t.minute)) * 60 + i64::from(t.second);
    secs * 1000 + i64::from(t.milliseconds)
}

/// The local time of this (64-bit) process, from its own `kernel32.dll`.
#[cfg(windows)]
fn local_time_here() -> SystemTime {
    let mut st: windows_sys::Win32::Foundation::SYSTEMTIME =
        // SAFETY: plain integers: all zeros is a valid value.
        unsafe { std::mem::zeroed() };
    // SAFETY: `st` is a writable SYSTEMTIME.
    unsafe { windows_sys::Win32::System::SystemInformation::GetLocalTime(&mut st) };
    SystemTime {
        year: st.wYear,
        month: st.wMonth,
        day_of_week: st.wDayOfWeek,
        day: st.wDay,
        hour: st.wHour,
        minute: st.wMinute,
        second: st.wSecond,
        milliseconds: st.wMilliseconds,
    }
}

/// The local time of this (64-bit) process, from its own C library.
#[cfg(target_os = "linux")]
fn local_time_here() -> SystemTime {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a writable timespec.
    let r = unsafe { libc::clock_gettime(libc::CLOCK_REALTIME, &mut ts) };
    assert_eq!(r, 0);
    // SAFETY: `tm` is plain data: all zeros is a valid value.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    // SAFETY: both pointers are to live locals.
    assert!(!unsafe { libc::localtime_r(&ts.tv_sec, &mut tm) }.is_null());
    let w = |v: i32| u16::try_from(v).unwrap();
    SystemTime {
        year: w(tm.tm_year + 1900),
        month: w(tm.tm_mon + 1),
        day_of_week: w(tm.tm_wday),
        day: w(tm.tm_mday),
        hour: w(tm.tm_hour),
        minute: w(tm.tm_min),
        second: w(tm.tm_sec),
        milliseconds: (ts.tv_nsec / 1_000_000) as u16,
    }
}

fn check_against_local_clock(read: impl Fn() -> SystemTime) {
    let before = local_time_here();
    let t = read();
    let after = local_time_here();
    assert!((1..=12).contains(&t.month), "{t:?}");
    assert!((1..=31).contains(&t.day), "{t:?}");
    assert!(
        t.hour < 24 && t.minute < 60 && t.second <= 60 && t.milliseconds < 1000,
        "{t:?}"
    );
    // 1970-01-01 was a Thursday (4).
    let days = days_from_civil(t.year.into(), t.month.into(), t.day.into());
    assert_eq!(i64::from(t.day_of_week), (days + 4).rem_euclid(7), "{t:?}");
    // The server read its clock between our two readings (with slack for rounding to
    // milliseconds and a leap second); comparing whole timestamps copes with minute,
    // hour and day boundaries.
    let (lo, got, hi) = (wall_ms(&before), wall_ms(&t), wall_ms(&after));
    assert!(
        lo - 2000 <= got && got <= hi + 2000,
        "{before} <= {t} <= {after}"
    );
}

fn local_time_matches_this_process(cfg: &Config) {
    let k = cfg.typed("kernel32", Kernel32Client::from_connection);
    check_against_local_clock(|| server_time(&k));
}

fn local_time_through_declarations_alone_matches_this_process(cfg: &Config) {
    use server32::declared::kernel32::{Kernel32, SYSTEM_LIBRARY};
    // SAFETY: the system's own library, declared as its headers define it.
    let k = unsafe { Kernel32::load_with(cfg.foreign_builder(), SYSTEM_LIBRARY) }.unwrap();
    cfg.check_width(k.library().client());
    check_against_local_clock(|| k.local_time().unwrap());
}

#[test]
fn default_server_is_32_bit_and_time_advances() {
    let k = Kernel32Client::start(Client64::builder("kernel32")).unwrap();
    assert_eq!(common::width(k.connection()), 32);
    let first = server_time(&k);
    std::thread::sleep(std::time::Duration::from_millis(20));
    let second = server_time(&k);
    let dt = wall_ms(&second) - wall_ms(&first);
    assert!((15..2000).contains(&dt), "{first} then {second}");
}

#[test]
#[cfg_attr(
    windows,
    ignore = "Windows reads the time zone from the system, not from a TZ variable"
)]
fn the_server_time_zone_is_its_own() {
    // A fixed zone given to the server reaches its C library's `localtime_r`.
    let in_zone = |tz: &str| {
        let k = Kernel32Client::start(Client64::builder("kernel32").env("TZ", tz)).unwrap();
        wall_ms(&server_time(&k))
    };
    let offset = in_zone("XXX-5") - in_zone("UTC");
    assert!((offset - 5 * 3_600_000).abs() < 2000, "offset {offset} ms");
}
