//! Windows processes: the server's handle on its client, liveness, how a process ended
//! (NTSTATUS names), and the server's own set-up and exit.

use std::io;
use std::process::ExitStatus;
use std::time::Duration;

use windows_sys::Wdk::System::Threading::{NtQueryInformationProcess, ProcessBasicInformation};
use windows_sys::Win32::Foundation::{
    GetLastError, ERROR_ACCESS_DENIED, ERROR_INTERNAL_ERROR, FILETIME, HANDLE, HMODULE,
    WAIT_OBJECT_0, WAIT_TIMEOUT,
};
use windows_sys::Win32::Storage::FileSystem::SYNCHRONIZE;
use windows_sys::Win32::System::Diagnostics::Debug::{
    SetErrorMode, SetUnhandledExceptionFilter, EXCEPTION_POINTERS, SEM_FAILCRITICALERRORS,
    SEM_NOGPFAULTERRORBOX, SEM_NOOPENFILEERRORBOX,
};
use windows_sys::Win32::System::LibraryLoader::{
    GetModuleFileNameW, GetModuleHandleExW, GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS,
    GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT,
};
use windows_sys::Win32::System::Threading::{
    GetCurrentProcess, GetProcessTimes, OpenProcess, TerminateProcess, WaitForSingleObject,
    INFINITE, PROCESS_BASIC_INFORMATION, PROCESS_QUERY_LIMITED_INFORMATION,
};

use super::{zeroed, Handle};
use crate::sys::ExitDescription;

/// The server's handle on the client that started it.
pub(crate) struct Parent(Handle);

// SAFETY: a process handle may be used from any thread.
unsafe impl Send for Parent {}
// SAFETY: waiting on a process handle is thread-safe.
unsafe impl Sync for Parent {}

impl Parent {
    /// The process that started this one, which must be `pid`.
    pub(crate) fn attach(pid: u32) -> Result<Parent, String> {
        let mut info: PROCESS_BASIC_INFORMATION = zeroed();
        let mut len = 0u32;
        // SAFETY: this process's pseudo-handle; `info` is writable for its size.
        let status = unsafe {
            NtQueryInformationProcess(
                GetCurrentProcess(),
                ProcessBasicInformation,
                (&raw mut info).cast(),
                size_of::<PROCESS_BASIC_INFORMATION>() as u32,
                &mut len,
            )
        };
        if status < 0 {
            return Err(format!(
                "cannot read this process's parent (NTSTATUS {status:#x})"
            ));
        }
        let actual = info.InheritedFromUniqueProcessId as u32;
        if actual != pid {
            return Err(format!(
                "this server's parent is process {actual}, not {pid}"
            ));
        }
        // SAFETY: plain call; a null return is handled.
        let h = unsafe { OpenProcess(SYNCHRONIZE | PROCESS_QUERY_LIMITED_INFORMATION, 0, pid) };
        if h.is_null() {
            return Err(format!(
                "cannot open process {pid}: {}",
                io::Error::last_os_error()
            ));
        }
        let parent = Handle(h);
        // A process id can be reused once its process is gone: the parent must have
        // started before this process.
        // SAFETY: both handles are open with query rights.
        let times = unsafe { (creation_time(parent.0), creation_time(GetCurrentProcess())) };
        match times {
            (Some(theirs), Some(mine)) if theirs <= mine => {}
            (Some(_), Some(_)) => {
                return Err(format!(
                    "process {pid} started after this server: not its parent"
                ))
            }
            _ => return Err(format!("cannot read the start time of process {pid}")),
        }
        Ok(Parent(parent))
    }

    /// Whether it still runs.
    pub(crate) fn is_alive(&self) -> bool {
        // SAFETY: an open process handle with SYNCHRONIZE.
        unsafe { WaitForSingleObject(self.0 .0, 0) == WAIT_TIMEOUT }
    }

    /// Waits up to `timeout` for it to end; true once it has.
    pub(crate) fn wait_for_exit(&self, timeout: Duration) -> bool {
        let ms = timeout.as_millis().min(INFINITE as u128 - 1) as u32;
        // SAFETY: an open process handle with SYNCHRONIZE.
        unsafe { WaitForSingleObject(self.0 .0, ms) == WAIT_OBJECT_0 }
    }
}

/// The creation time of a process, in 100 ns units.
///
/// # Safety
/// `process` must be an open handle with query rights.
unsafe fn creation_time(process: HANDLE) -> Option<u64> {
    let mut t: [FILETIME; 4] = zeroed();
    // SAFETY: the caller's handle; four writable FILETIMEs.
    let ok = unsafe { GetProcessTimes(process, &mut t[0], &mut t[1], &mut t[2], &mut t[3]) };
    (ok != 0).then(|| (u64::from(t[0].dwHighDateTime) << 32) | u64::from(t[0].dwLowDateTime))
}

/// Whether a process with this id exists (access denied counts as alive: it exists).
pub(crate) fn process_alive(pid: u32) -> bool {
    // SAFETY: plain call; a null return is handled.
    let h = unsafe { OpenProcess(SYNCHRONIZE, 0, pid) };
    if h.is_null() {
        // SAFETY: the last error of this thread, set by OpenProcess.
        return unsafe { GetLastError() } == ERROR_ACCESS_DENIED;
    }
    let h = Handle(h);
    // A process handle is signalled once the process has ended.
    // SAFETY: an open handle with SYNCHRONIZE.
    unsafe { WaitForSingleObject(h.0, 0) == WAIT_TIMEOUT }
}

/// How a process ended: an NTSTATUS exception code by name, or its exit status.
pub(crate) fn describe_exit(status: &ExitStatus) -> ExitDescription {
    let how = match status.code() {
        Some(c) => match ntstatus_name(c as u32) {
            Some(name) => format!("{name} (0x{:08X})", c as u32),
            None => status.to_string(),
        },
        None => status.to_string(),
    };
    ExitDescription { signal: None, how }
}

/// The name of an NTSTATUS that ends a process abnormally.
fn ntstatus_name(code: u32) -> Option<&'static str> {
    Some(match code {
        0xC000_0005 => "STATUS_ACCESS_VIOLATION",
        0xC000_0006 => "STATUS_IN_PAGE_ERROR",
        0xC000_0017 => "STATUS_NO_MEMORY",
        0xC000_001D => "STATUS_ILLEGAL_INSTRUCTION",
        0xC000_008C => "STATUS_ARRAY_BOUNDS_EXCEEDED",
        0xC000_008E => "STATUS_FLOAT_DIVIDE_BY_ZERO",
        0xC000_0090 => "STATUS_FLOAT_INVALID_OPERATION",
        0xC000_0094 => "STATUS_INTEGER_DIVIDE_BY_ZERO",
        0xC000_0095 => "STATUS_INTEGER_OVERFLOW",
        0xC000_0096 => "STATUS_PRIVILEGED_INSTRUCTION",
        0xC000_00FD => "STATUS_STACK_OVERFLOW",
        0xC000_0135 => "STATUS_DLL_NOT_FOUND",
        0xC000_0139 => "STATUS_ENTRYPOINT_NOT_FOUND",
        0xC000_013A => "STATUS_CONTROL_C_EXIT",
        0xC000_0142 => "STATUS_DLL_INIT_FAILED",
        0xC000_0374 => "STATUS_HEAP_CORRUPTION",
        // Also how `__fastfail`, and so Rust's `abort`, ends a process.
        0xC000_0409 => "STATUS_STACK_BUFFER_OVERRUN (fail-fast)",
        0xC000_0417 => "STATUS_INVALID_CRUNTIME_PARAMETER",
        0x8000_0003 => "STATUS_BREAKPOINT",
        _ => return None,
    })
}

/// Ends this process at once with `code`, running no DLL detach routines: another thread
/// may be stuck inside the library holding the loader or heap lock.
pub(crate) fn exit_immediately(code: u32) -> ! {
    // SAFETY: terminates this process; nothing runs after it.
    unsafe { TerminateProcess(GetCurrentProcess(), code) };
    unreachable!("TerminateProcess of the current process returned")
}

/// Would ask for large pages behind `buf`: nothing on Windows, where large pages need a
/// privilege and an allocation of their own.
pub(crate) fn prefer_huge_pages<T>(_buf: &mut [std::mem::MaybeUninit<T>]) {}

/// Readies the server process: a crash in the library ends the process with its
/// exception code instead of showing an error box or waiting for a debugger.
///
/// The error mode keeps Windows Error Reporting's box away; the top-level filter ends
/// the process before the system looks for a just-in-time debugger (Wine starts
/// winedbg there, which holds the server's inherited stderr open and can wait forever).
pub(crate) fn prepare_server_process(_keep: usize) {
    // SAFETY: changes only this process's error mode.
    unsafe {
        SetErrorMode(SEM_FAILCRITICALERRORS | SEM_NOGPFAULTERRORBOX | SEM_NOOPENFILEERRORBOX)
    };
    // SAFETY: `end_on_unhandled_exception` has the filter's signature and lives for
    // the whole process; the previous filter (none in the server) is not needed.
    unsafe { SetUnhandledExceptionFilter(Some(end_on_unhandled_exception)) };
}

/// The server's top-level exception filter: says which exception reached it and where
/// (the address, and the module it falls in with the offset there), on stderr, and ends the process with the exception code as its exit code (the code
/// the client names, as Windows itself gives a crashed process).
///
/// # Safety
///
/// Called by the system only, with a valid `EXCEPTION_POINTERS`.
unsafe extern "system" fn end_on_unhandled_exception(info: *const EXCEPTION_POINTERS) -> i32 {
    use std::io::Write;
    use std::os::windows::io::{AsRawHandle, FromRawHandle};
    // SAFETY: the system passes valid exception pointers to a top-level filter.
    let (code, address) = unsafe {
        let record = &*(*info).ExceptionRecord;
        (
            record.ExceptionCode as u32,
            record.ExceptionAddress as usize,
        )
    };
    // The message is formatted on the stack and written without taking stderr's lock:
    // the crashed thread may hold the heap's or stderr's lock.
    let mut buf = [0u8; 1024];
    let mut cursor = io::Cursor::new(&mut buf[..]);
    let _ = write!(
        cursor,
        "loadlib server: unhandled exception {code:#010x} at {address:#x}"
    );
    // The module the address falls in, and the offset in it.
    let mut module: HMODULE = std::ptr::null_mut();
    // SAFETY: with FROM_ADDRESS the second argument is an address, not a name;
    // UNCHANGED_REFCOUNT takes no reference; `module` receives the module's base.
    let found = unsafe {
        GetModuleHandleExW(
            GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS | GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT,
            address as *const u16,
            &mut module,
        )
    } != 0;
    let mut name = [0u16; 520];
    let n = if found {
        // SAFETY: `name` is writable for the length passed.
        unsafe { GetModuleFileNameW(module, name.as_mut_ptr(), name.len() as u32) as usize }
    } else {
        0
    };
    if n > 0 && n < name.len() {
        let _ = write!(cursor, " in ");
        for c in char::decode_utf16(name[..n].iter().copied()) {
            let _ = write!(cursor, "{}", c.unwrap_or(char::REPLACEMENT_CHARACTER));
        }
        let _ = write!(cursor, " (+{:#x})", address.wrapping_sub(module as usize));
    }
    let _ = writeln!(cursor);
    let len = cursor.position() as usize;
    // SAFETY: the process's stderr handle stays open until the process ends;
    // ManuallyDrop keeps the File from closing it.
    let mut stderr = std::mem::ManuallyDrop::new(unsafe {
        std::fs::File::from_raw_handle(std::io::stderr().as_raw_handle())
    });
    let _ = stderr.write_all(&buf[..len]);
    exit_immediately(code)
}

/// Whether a failed start of a process is to be tried again: `CreateProcessW`
/// failing with `ERROR_INTERNAL_ERROR` (1359), which Wine reports now and then for a
/// start that succeeds when tried again (seen once in a CI run of the Windows suite).
pub(crate) fn spawn_failure_is_transient(e: &io::Error) -> bool {
    e.raw_os_error() == Some(ERROR_INTERNAL_ERROR as i32)
}
