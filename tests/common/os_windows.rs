//! Windows: process handles, and named file mappings probed by name (Windows cannot list
//! them; a mapping exists exactly while some process holds it).

use std::time::Duration;

use loadlib::Error;
use windows_sys::Win32::Foundation::{CloseHandle, FILETIME, HANDLE, STILL_ACTIVE};
use windows_sys::Win32::System::Memory::{
    MapViewOfFile, OpenFileMappingW, UnmapViewOfFile, VirtualQuery, FILE_MAP_READ,
    MEMORY_BASIC_INFORMATION,
};
use windows_sys::Win32::System::Threading::{
    GetCurrentProcess, GetExitCodeProcess, GetProcessTimes, OpenProcess, TerminateProcess,
    PROCESS_QUERY_LIMITED_INFORMATION, PROCESS_SUSPEND_RESUME, PROCESS_TERMINATE,
};

#[link(name = "ntdll")]
unsafe extern "system" {
    fn NtSuspendProcess(process: HANDLE) -> i32;
    fn NtResumeProcess(process: HANDLE) -> i32;
}

/// The exit code [`kill`] gives a process (what Task Manager's "End task" gives too).
pub const KILLED_CODE: u32 = 1;

fn open_mapping(name: &str) -> Option<HANDLE> {
    let wide: Vec<u16> = format!("Local\\{}", name.trim_start_matches('/'))
        .encode_utf16()
        .chain(Some(0))
        .collect();
    // SAFETY: a NUL-terminated name; a null return is handled.
    let h = unsafe { OpenFileMappingW(FILE_MAP_READ, 0, wide.as_ptr()) };
    (!h.is_null()).then_some(h)
}

/// The names loadlib gives segments of `prefix` that exist now: the main segment, and
/// its bulk (`-q`, `-p`) and shared-array (`-a`) segments of the first generations.
pub fn shm_entries(prefix: &str) -> Vec<String> {
    let prefix = prefix.trim_start_matches('/');
    let mut candidates = vec![prefix.to_owned()];
    for d in 0..64 {
        candidates.push(format!("{prefix}{d}"));
        for k in ["q", "p", "a"] {
            candidates.push(format!("{prefix}-{k}{d}"));
        }
    }
    candidates
        .into_iter()
        .filter(|n| {
            open_mapping(n).is_some_and(|h| {
                // SAFETY: an open handle, closed once.
                unsafe { CloseHandle(h) };
                true
            })
        })
        .collect()
}

/// Bytes of the mapping `name` (whole pages), 0 if it does not exist.
pub fn shm_size(name: &str) -> u64 {
    let Some(h) = open_mapping(name) else {
        return 0;
    };
    // SAFETY: a whole-object read view of an open mapping; queried, then unmapped and
    // closed once.
    unsafe {
        let view = MapViewOfFile(h, FILE_MAP_READ, 0, 0, 0);
        let mut info: MEMORY_BASIC_INFORMATION = std::mem::zeroed();
        let size = if view.Value.is_null() {
            0
        } else {
            VirtualQuery(view.Value, &mut info, size_of::<MEMORY_BASIC_INFORMATION>());
            UnmapViewOfFile(view);
            info.RegionSize as u64
        };
        CloseHandle(h);
        size
    }
}

fn with_process<T>(pid: u32, access: u32, f: impl FnOnce(HANDLE) -> T) -> Option<T> {
    // SAFETY: plain call; a null return is handled.
    let h = unsafe { OpenProcess(access, 0, pid) };
    if h.is_null() {
        return None;
    }
    let r = f(h);
    // SAFETY: an open handle, closed once.
    unsafe { CloseHandle(h) };
    Some(r)
}

/// Whether a process exists and has not ended.
pub fn process_running(pid: u32) -> bool {
    with_process(pid, PROCESS_QUERY_LIMITED_INFORMATION, |h| {
        let mut code = 0u32;
        // SAFETY: an open handle with query rights.
        unsafe { GetExitCodeProcess(h, &mut code) != 0 && code == STILL_ACTIVE as u32 }
    })
    .unwrap_or(false)
}

/// Ends a process at once (`TerminateProcess`, exit code [`KILLED_CODE`]).
pub fn kill(pid: u32) {
    let done = with_process(pid, PROCESS_TERMINATE, |h| {
        // SAFETY: an open handle with terminate rights.
        unsafe { TerminateProcess(h, KILLED_CODE) != 0 }
    });
    assert_eq!(done, Some(true), "TerminateProcess({pid})");
}

/// Freezes every thread of a process (`NtSuspendProcess`).
pub fn suspend(pid: u32) {
    let status = with_process(pid, PROCESS_SUSPEND_RESUME, |h| {
        // SAFETY: an open handle with suspend rights.
        unsafe { NtSuspendProcess(h) }
    });
    assert_eq!(status, Some(0), "NtSuspendProcess({pid})");
}

/// Lets a frozen process go on (`NtResumeProcess`).
pub fn resume(pid: u32) {
    let status = with_process(pid, PROCESS_SUSPEND_RESUME, |h| {
        // SAFETY: an open handle with resume rights.
        unsafe { NtResumeProcess(h) }
    });
    assert_eq!(status, Some(0), "NtResumeProcess({pid})");
}

/// Asserts `err` reports a server ended by [`kill`].
pub fn assert_killed(err: &Error, label: &str) {
    match err {
        Error::ServerCrashed { code, how, .. } => {
            assert_eq!(*code, Some(KILLED_CODE as i32), "[{label}] {how}");
        }
        other => panic!("[{label}] expected a killed server, got {other}"),
    }
}

/// Asserts `err` reports a server that dereferenced NULL in the library.
pub fn assert_access_violation(err: &Error, label: &str) {
    match err {
        Error::ServerCrashed {
            signal,
            code,
            how,
            stderr,
            ..
        } => {
            assert_eq!(*signal, None, "[{label}] {how}");
            assert_eq!(*code, Some(0xC000_0005_u32 as i32), "[{label}] {how}");
            assert!(
                how.contains("STATUS_ACCESS_VIOLATION (0xC0000005)"),
                "[{label}] {how}"
            );
            // The server's own exception filter ended it, not a debugger.
            assert!(
                stderr.contains("unhandled exception 0xc0000005 at 0x"),
                "[{label}] {stderr}"
            );
            // In the library (a DLL of the tests), named with the offset of the fault.
            assert!(
                stderr.contains(".dll (+0x") && !stderr.contains("server32.exe (+0x"),
                "[{label}] {stderr}"
            );
        }
        other => panic!("[{label}] expected STATUS_ACCESS_VIOLATION, got {other}"),
    }
}

/// Asserts `err` reports a server whose library called `abort()`: the C runtime ends
/// the process with exit code 3.
pub fn assert_aborted(err: &Error) {
    match err {
        Error::ServerCrashed { code, how, .. } => assert_eq!(*code, Some(3), "{how}"),
        other => panic!("expected an abort (exit code 3), got {other}"),
    }
}

/// User + system CPU time of a process (`None` for this one).
pub fn cpu_time(pid: Option<u32>) -> Duration {
    let times = |h: HANDLE| {
        let mut t: [FILETIME; 4] = [FILETIME {
            dwLowDateTime: 0,
            dwHighDateTime: 0,
        }; 4];
        // SAFETY: an open handle with query rights; four writable FILETIMEs.
        let ok = unsafe { GetProcessTimes(h, &mut t[0], &mut t[1], &mut t[2], &mut t[3]) };
        assert!(ok != 0, "GetProcessTimes");
        let v = |f: FILETIME| (u64::from(f.dwHighDateTime) << 32) | u64::from(f.dwLowDateTime);
        Duration::from_nanos((v(t[2]) + v(t[3])) * 100)
    };
    match pid {
        // SAFETY: the pseudo-handle of this process.
        None => times(unsafe { GetCurrentProcess() }),
        Some(p) => with_process(p, PROCESS_QUERY_LIMITED_INFORMATION, times).expect("open process"),
    }
}

/// What the server says of a DLL of the other width (`ERROR_BAD_EXE_FORMAT`, explained).
pub const WRONG_WIDTH: &str = "(os error 193); it is a 64-bit Windows program (PE x86-64); \
                               this 32-bit server loads 32-bit DLLs only";
/// A clean exit as `ExitStatus` shows it.
pub const SUCCESS_STATUS: &str = "exit code: 0";

/// The pointer width of a PE executable (checked to be x86 or x64).
pub fn exe_bits(path: &std::path::Path) -> u32 {
    let bytes = std::fs::read(path).unwrap();
    let path = path.display();
    assert_eq!(&bytes[..2], b"MZ", "{path}");
    let pe = u32::from_le_bytes(bytes[0x3c..0x40].try_into().unwrap()) as usize;
    assert_eq!(&bytes[pe..pe + 4], b"PE\0\0", "{path}");
    match u16::from_le_bytes([bytes[pe + 4], bytes[pe + 5]]) {
        0x014c => 32, // IMAGE_FILE_MACHINE_I386
        0x8664 => 64, // IMAGE_FILE_MACHINE_AMD64
        other => panic!("{path}: machine {other:#x}"),
    }
}
