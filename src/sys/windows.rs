//! Windows: named file mappings and named events under `Local\`, readable by this user
//! only, and process handles for liveness.
//!
//! Names arrive in the portable form `/loadlib-…` and become `Local\loadlib-…`. A named
//! kernel object lives while a handle to it is open, so nothing outlives the processes
//! that use it: there is nothing to unlink and nothing to sweep.

use std::ffi::{c_void, OsStr};
use std::io;
use std::os::windows::ffi::OsStrExt;
use std::path::Path;
use std::process::ExitStatus;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;
use std::time::Duration;

use windows_sys::Wdk::System::Threading::{NtQueryInformationProcess, ProcessBasicInformation};
use windows_sys::Win32::Foundation::{
    CloseHandle, GetLastError, LocalFree, ERROR_ACCESS_DENIED, ERROR_ALREADY_EXISTS, FILETIME,
    HANDLE, INVALID_HANDLE_VALUE, WAIT_FAILED, WAIT_OBJECT_0, WAIT_TIMEOUT,
};
use windows_sys::Win32::Security::Authorization::{
    ConvertSidToStringSidW, ConvertStringSecurityDescriptorToSecurityDescriptorW, GetSecurityInfo,
    SDDL_REVISION_1, SE_KERNEL_OBJECT,
};
use windows_sys::Win32::Security::{
    EqualSid, GetAce, GetTokenInformation, TokenUser, ACCESS_ALLOWED_ACE, ACE_HEADER, ACL,
    DACL_SECURITY_INFORMATION, OWNER_SECURITY_INFORMATION, PSECURITY_DESCRIPTOR, PSID,
    SECURITY_ATTRIBUTES, TOKEN_QUERY, TOKEN_USER,
};
use windows_sys::Win32::Storage::FileSystem::{CreateDirectoryW, READ_CONTROL, SYNCHRONIZE};
use windows_sys::Win32::System::Diagnostics::Debug::{
    SetErrorMode, SetUnhandledExceptionFilter, EXCEPTION_POINTERS, SEM_FAILCRITICALERRORS,
    SEM_NOGPFAULTERRORBOX, SEM_NOOPENFILEERRORBOX,
};
use windows_sys::Win32::System::Memory::{
    CreateFileMappingW, MapViewOfFile, OpenFileMappingW, UnmapViewOfFile, VirtualQuery,
    FILE_MAP_ALL_ACCESS, MEMORY_BASIC_INFORMATION, MEMORY_MAPPED_VIEW_ADDRESS, PAGE_READWRITE,
    SEC_COMMIT,
};
use windows_sys::Win32::System::SystemServices::{
    ACCESS_ALLOWED_ACE_TYPE, ACCESS_ALLOWED_CALLBACK_ACE_TYPE, ACCESS_DENIED_ACE_TYPE,
    ACCESS_DENIED_CALLBACK_ACE_TYPE, ACCESS_DENIED_CALLBACK_OBJECT_ACE_TYPE,
    ACCESS_DENIED_OBJECT_ACE_TYPE,
};
use windows_sys::Win32::System::Threading::{
    CreateEventW, GetCurrentProcess, GetProcessTimes, OpenEventW, OpenProcess, OpenProcessToken,
    SetEvent, TerminateProcess, WaitForSingleObject, EVENT_MODIFY_STATE, INFINITE,
    PROCESS_BASIC_INFORMATION, PROCESS_QUERY_LIMITED_INFORMATION,
};

use super::ExitDescription;

mod cache;
pub(crate) use cache::*;

/// A handle closed on drop.
struct Handle(HANDLE);

impl Drop for Handle {
    fn drop(&mut self) {
        // SAFETY: the handle was returned open by the API that made it and is closed
        // only here.
        unsafe { CloseHandle(self.0) };
    }
}

/// `/loadlib-…` as a NUL-terminated wide `Local\loadlib-…`.
fn object_name(name: &str) -> Vec<u16> {
    wide(OsStr::new(&format!(
        "Local\\{}",
        name.trim_start_matches('/')
    )))
}

fn wide(s: &OsStr) -> Vec<u16> {
    s.encode_wide().chain(Some(0)).collect()
}

/// This user's SID in string form (`S-1-5-21-…`), read once from the process token.
fn user_sid() -> io::Result<&'static str> {
    static SID: OnceLock<Result<String, String>> = OnceLock::new();
    SID.get_or_init(|| read_user_sid().map_err(|e| e.to_string()))
        .as_deref()
        .map_err(|e| io::Error::other(format!("cannot read this user's SID: {e}")))
}

fn read_user_sid() -> io::Result<String> {
    let mut token: HANDLE = std::ptr::null_mut();
    // SAFETY: the pseudo-handle of this process; `token` receives a new handle.
    if unsafe { OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &mut token) } == 0 {
        return Err(io::Error::last_os_error());
    }
    let token = Handle(token);
    let mut buf = vec![0u64; 64]; // 512 bytes, 8-aligned: a TOKEN_USER and its SID
    let mut len = 0u32;
    // SAFETY: `buf` is writable for the length given; `len` receives the length used.
    let ok = unsafe {
        GetTokenInformation(
            token.0,
            TokenUser,
            buf.as_mut_ptr().cast(),
            (buf.len() * 8) as u32,
            &mut len,
        )
    };
    if ok == 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: on success the buffer starts with a TOKEN_USER whose SID points into it.
    let sid = unsafe { (*buf.as_ptr().cast::<TOKEN_USER>()).User.Sid };
    let mut text: *mut u16 = std::ptr::null_mut();
    // SAFETY: `sid` is valid (above); `text` receives a LocalAlloc'd wide string.
    if unsafe { ConvertSidToStringSidW(sid, &mut text) } == 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `text` is NUL-terminated (ConvertSidToStringSidW's contract).
    let s = unsafe {
        let n = (0..).take_while(|&i| *text.add(i) != 0).count();
        String::from_utf16_lossy(std::slice::from_raw_parts(text, n))
    };
    // SAFETY: allocated by ConvertSidToStringSidW with LocalAlloc; freed once.
    unsafe { LocalFree(text.cast()) };
    Ok(s)
}

/// A security descriptor that gives this user (its owner) all access and no one else
/// any. `inherit` makes the entry inherited by a directory's children.
struct PrivateDescriptor(PSECURITY_DESCRIPTOR);

impl PrivateDescriptor {
    fn new(inherit: bool) -> io::Result<PrivateDescriptor> {
        let sid = user_sid()?;
        let flags = if inherit { "OICI" } else { "" };
        Self::from_sddl(&format!("O:{sid}D:P(A;{flags};GA;;;{sid})"))
    }

    /// The descriptor `sddl` describes (for tests, one that is not private).
    fn from_sddl(sddl: &str) -> io::Result<PrivateDescriptor> {
        let sddl = wide(OsStr::new(sddl));
        let mut sd: PSECURITY_DESCRIPTOR = std::ptr::null_mut();
        // SAFETY: `sddl` is NUL-terminated; `sd` receives a LocalAlloc'd descriptor.
        let ok = unsafe {
            ConvertStringSecurityDescriptorToSecurityDescriptorW(
                sddl.as_ptr(),
                SDDL_REVISION_1,
                &mut sd,
                std::ptr::null_mut(),
            )
        };
        if ok == 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(PrivateDescriptor(sd))
    }

    fn attributes(&self) -> SECURITY_ATTRIBUTES {
        SECURITY_ATTRIBUTES {
            nLength: size_of::<SECURITY_ATTRIBUTES>() as u32,
            lpSecurityDescriptor: self.0,
            bInheritHandle: 0,
        }
    }
}

impl Drop for PrivateDescriptor {
    fn drop(&mut self) {
        // SAFETY: allocated by ConvertStringSecurityDescriptorToSecurityDescriptorW.
        unsafe { LocalFree(self.0) };
    }
}

/// Who besides this user can use the object behind `handle`, if anyone: its owner must
/// be this user and its DACL must allow only this user.
fn foreign_access(handle: HANDLE) -> io::Result<Option<String>> {
    access_problem(&[], |owner, dacl, sd| {
        // SAFETY: `handle` is open with READ_CONTROL; the out-pointers point into `sd`,
        // which `access_problem` frees.
        unsafe {
            GetSecurityInfo(
                handle,
                SE_KERNEL_OBJECT,
                OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION,
                owner,
                std::ptr::null_mut(),
                dacl,
                std::ptr::null_mut(),
                sd,
            )
        }
    })
}

/// Who besides this user (and the accounts `trusted`, by SID string) can use an object,
/// if anyone, from its owner and DACL, which `query` reads (a `GetSecurityInfo`-like call
/// that returns an error code and fills in the owner, the DACL and the descriptor
/// holding them, freed here with `LocalFree`).
fn access_problem(
    trusted: &[&str],
    query: impl FnOnce(&mut PSID, &mut *mut ACL, &mut PSECURITY_DESCRIPTOR) -> u32,
) -> io::Result<Option<String>> {
    let me = my_sid_binary()?;
    let mut owner: PSID = std::ptr::null_mut();
    let mut dacl: *mut ACL = std::ptr::null_mut();
    let mut sd: PSECURITY_DESCRIPTOR = std::ptr::null_mut();
    let err = query(&mut owner, &mut dacl, &mut sd);
    if err != 0 {
        return Err(io::Error::from_raw_os_error(err as i32));
    }
    let mut problem = None;
    if owner.is_null() {
        problem = Some("another owner (none)".to_owned());
    // SAFETY: `owner` and `me` are valid SIDs.
    } else if unsafe { EqualSid(owner, me.as_ptr() as PSID) } == 0
        && !trusted.contains(&sid_string(owner).as_str())
    {
        problem = Some(format!("another owner, {}", sid_string(owner)));
    } else if dacl.is_null() {
        problem = Some("no access list (anyone may open it)".to_owned());
    } else {
        // SAFETY: a valid ACL from GetSecurityInfo.
        let count = unsafe { (*dacl).AceCount };
        for i in 0..count {
            let mut ace: *mut c_void = std::ptr::null_mut();
            // SAFETY: `i` is below the ACL's count; `ace` receives a pointer into it.
            if unsafe { GetAce(dacl, i as u32, &mut ace) } == 0 {
                problem = Some("an unreadable access list".to_owned());
                break;
            }
            // SAFETY: every ACE starts with an ACE_HEADER.
            let header = unsafe { &*ace.cast::<ACE_HEADER>() };
            match u32::from(header.AceType) {
                // Allow entries whose SID sits at `SidStart`: checked below.
                ACCESS_ALLOWED_ACE_TYPE | ACCESS_ALLOWED_CALLBACK_ACE_TYPE => {}
                // Deny entries grant nothing.
                ACCESS_DENIED_ACE_TYPE
                | ACCESS_DENIED_OBJECT_ACE_TYPE
                | ACCESS_DENIED_CALLBACK_ACE_TYPE
                | ACCESS_DENIED_CALLBACK_OBJECT_ACE_TYPE => continue,
                // Anything else (object or compound entries…) might grant access to
                // someone: fail closed.
                other => {
                    problem = Some(format!("an access entry of unsupported type {other}"));
                    break;
                }
            }
            // SAFETY: an ACCESS_ALLOWED_ACE; its SID starts at `SidStart`.
            let sid = unsafe { &raw const (*ace.cast::<ACCESS_ALLOWED_ACE>()).SidStart };
            // SAFETY: both are valid SIDs.
            if unsafe { EqualSid(sid as PSID, me.as_ptr() as PSID) } == 0
                && !trusted.contains(&sid_string(sid as PSID).as_str())
            {
                problem = Some(format!(
                    "access granted to another account, {}",
                    sid_string(sid as PSID)
                ));
                break;
            }
        }
    }
    // SAFETY: allocated by GetSecurityInfo; `owner` and `dacl` are not used after this.
    unsafe { LocalFree(sd) };
    Ok(problem)
}

/// `sid` in string form (`S-1-5-…`), or `?` if it cannot be converted.
fn sid_string(sid: PSID) -> String {
    let mut text: *mut u16 = std::ptr::null_mut();
    // SAFETY: `sid` is a valid SID (the caller's); `text` receives a LocalAlloc'd string.
    if unsafe { ConvertSidToStringSidW(sid, &mut text) } == 0 {
        return "?".to_owned();
    }
    // SAFETY: `text` is NUL-terminated (ConvertSidToStringSidW's contract), and freed once.
    unsafe {
        let n = (0..).take_while(|&i| *text.add(i) != 0).count();
        let s = String::from_utf16_lossy(std::slice::from_raw_parts(text, n));
        LocalFree(text.cast());
        s
    }
}

/// This user's SID in binary form (8-aligned buffer).
fn my_sid_binary() -> io::Result<Vec<u64>> {
    let text = wide(OsStr::new(user_sid()?));
    let mut sid: PSID = std::ptr::null_mut();
    // SAFETY: NUL-terminated string in; `sid` receives a LocalAlloc'd SID.
    if unsafe {
        windows_sys::Win32::Security::Authorization::ConvertStringSidToSidW(text.as_ptr(), &mut sid)
    } == 0
    {
        return Err(io::Error::last_os_error());
    }
    // A SID is at most 68 bytes.
    let mut out = vec![0u64; 9];
    // SAFETY: `sid` is a valid SID of at most 68 bytes; `out` holds 72.
    unsafe {
        let len = windows_sys::Win32::Security::GetLengthSid(sid) as usize;
        std::ptr::copy_nonoverlapping(sid.cast::<u8>(), out.as_mut_ptr().cast::<u8>(), len.min(72));
        LocalFree(sid);
    }
    Ok(out)
}

/// A file mapping (backed by the paging file) mapped into this process.
pub(crate) struct Mapping {
    ptr: *mut u8,
    len: usize,
    _handle: Handle,
    foreign: Option<String>,
}

impl Mapping {
    /// Creates the mapping `name` of `len` bytes, usable by this user only, failing if
    /// the name exists. `SEC_COMMIT` charges its pages to the commit limit now: no room
    /// is an error here, not a fault later.
    pub(crate) fn create(name: &str, len: usize) -> io::Result<Mapping> {
        let sd = PrivateDescriptor::new(false)?;
        let sa = sd.attributes();
        let wname = object_name(name);
        let size = len as u64;
        // SAFETY: a pagefile-backed section (INVALID_HANDLE_VALUE) with a valid name and
        // security attributes that outlive the call.
        let h = unsafe {
            CreateFileMappingW(
                INVALID_HANDLE_VALUE,
                &sa,
                PAGE_READWRITE | SEC_COMMIT,
                (size >> 32) as u32,
                size as u32,
                wname.as_ptr(),
            )
        };
        // Read before any other call can change it.
        let err = io::Error::last_os_error();
        if h.is_null() {
            return Err(io::Error::new(
                err.kind(),
                format!("cannot create a {len}-byte shared mapping: {err}"),
            ));
        }
        let handle = Handle(h);
        // On success the last error says whether the name already existed.
        if err.raw_os_error() == Some(ERROR_ALREADY_EXISTS as i32) {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!("shared mapping {name} already exists; refusing it"),
            ));
        }
        let ptr = map_view(&handle)?;
        Ok(Mapping {
            ptr,
            len,
            _handle: handle,
            foreign: None,
        })
    }

    /// Opens and maps the whole of an existing mapping.
    pub(crate) fn open(name: &str) -> io::Result<Mapping> {
        let wname = object_name(name);
        // SAFETY: a valid NUL-terminated name.
        let h = unsafe { OpenFileMappingW(FILE_MAP_ALL_ACCESS | READ_CONTROL, 0, wname.as_ptr()) };
        if h.is_null() {
            return Err(io::Error::last_os_error());
        }
        let handle = Handle(h);
        let foreign = foreign_access(handle.0)?;
        let ptr = map_view(&handle)?;
        let len = match view_size(ptr) {
            Ok(len) => len,
            Err(e) => {
                unmap(ptr);
                return Err(e);
            }
        };
        Ok(Mapping {
            ptr,
            len,
            _handle: handle,
            foreign,
        })
    }

    /// Start of the mapping (page-aligned).
    pub(crate) fn as_ptr(&self) -> *mut u8 {
        self.ptr
    }

    /// Bytes mapped.
    pub(crate) fn size(&self) -> usize {
        self.len
    }

    /// `None` when only this user can open the mapping; otherwise why not.
    pub(crate) fn foreign_access(&self) -> Option<&str> {
        self.foreign.as_deref()
    }
}

/// Bytes of the view starting at `ptr` (whole pages): the regions that share its
/// allocation base.
fn view_size(ptr: *mut u8) -> io::Result<usize> {
    let mut len = 0usize;
    loop {
        let mut info: MEMORY_BASIC_INFORMATION = zeroed();
        // SAFETY: any address may be queried; `info` is writable for its size.
        let got = unsafe {
            VirtualQuery(
                ptr.wrapping_add(len).cast(),
                &mut info,
                size_of::<MEMORY_BASIC_INFORMATION>(),
            )
        };
        if got == 0 {
            if len > 0 {
                return Ok(len);
            }
            return Err(io::Error::last_os_error());
        }
        if info.AllocationBase != ptr.cast() || info.RegionSize == 0 {
            return Ok(len);
        }
        len += info.RegionSize;
    }
}

/// Types for which all zero bytes are a valid value.
///
/// # Safety
/// Every field, at any depth, must be an integer, a raw pointer, an `Option` of a function
/// pointer, or an array or struct of these (no references, `bool`, `char`, enums, or
/// `NonNull`-like types).
unsafe trait Zeroable: Sized {}
// SAFETY: plain Win32 structs of integers and raw pointers.
unsafe impl Zeroable for MEMORY_BASIC_INFORMATION {}
// SAFETY: integers, raw pointers (`PebBaseAddress`, `UniqueProcessId` as an integer).
unsafe impl Zeroable for PROCESS_BASIC_INFORMATION {}
// SAFETY: two `u32`s.
unsafe impl Zeroable for FILETIME {}
// SAFETY: an array of zeroable elements.
unsafe impl<T: Zeroable, const N: usize> Zeroable for [T; N] {}

/// A zeroed value of a type for which that is valid.
fn zeroed<T: Zeroable>() -> T {
    // SAFETY: all zero bytes are a valid `T` (`Zeroable`'s contract).
    unsafe { std::mem::zeroed() }
}

fn map_view(handle: &Handle) -> io::Result<*mut u8> {
    // SAFETY: a whole-object view of an open section handle.
    let view = unsafe { MapViewOfFile(handle.0, FILE_MAP_ALL_ACCESS, 0, 0, 0) };
    if view.Value.is_null() {
        return Err(io::Error::last_os_error());
    }
    Ok(view.Value.cast())
}

fn unmap(ptr: *mut u8) {
    // SAFETY: `ptr` is a view returned by MapViewOfFile, unmapped once.
    unsafe { UnmapViewOfFile(MEMORY_MAPPED_VIEW_ADDRESS { Value: ptr.cast() }) };
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // Every view handed out borrows the owner of this mapping.
        unmap(self.ptr);
    }
}

/// Nothing to do: a mapping ends with its last handle.
pub(crate) fn unlink(_name: &str) {}

/// None: named objects cannot outlive their processes on Windows.
pub(crate) fn leftover_names(_prefix: &str) -> Vec<String> {
    Vec::new()
}

/// What a side parks on and is woken through: a named auto-reset event. Windows has no
/// futex across processes (`WaitOnAddress` wakes threads of one process only).
pub(crate) struct Bell(Handle);

impl Bell {
    /// Creates the event `name`, usable by this user only; an existing name is refused.
    pub(crate) fn create(name: &str) -> io::Result<Bell> {
        let sd = PrivateDescriptor::new(false)?;
        let sa = sd.attributes();
        let wname = object_name(name);
        // SAFETY: valid attributes and name; auto-reset, initially not signalled.
        let h = unsafe { CreateEventW(&sa, 0, 0, wname.as_ptr()) };
        // Read before any other call can change it.
        let err = io::Error::last_os_error();
        if h.is_null() {
            return Err(err);
        }
        let handle = Handle(h);
        // On success the last error says whether the name already existed.
        if err.raw_os_error() == Some(ERROR_ALREADY_EXISTS as i32) {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!("event {name} already exists; refusing it"),
            ));
        }
        Ok(Bell(handle))
    }

    /// The event the peer created under `name`.
    pub(crate) fn open(name: &str) -> io::Result<Bell> {
        let wname = object_name(name);
        // SAFETY: a valid NUL-terminated name.
        let h = unsafe {
            OpenEventW(
                EVENT_MODIFY_STATE | SYNCHRONIZE | READ_CONTROL,
                0,
                wname.as_ptr(),
            )
        };
        if h.is_null() {
            return Err(io::Error::last_os_error());
        }
        let handle = Handle(h);
        if let Some(why) = foreign_access(handle.0)? {
            return Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                format!("event {name} has {why}; refusing it"),
            ));
        }
        Ok(Bell(handle))
    }

    /// Sleeps until a ring arrives or `timeout` passes, unless `word` already differs
    /// from `seen`. A ring that came while no one waited is kept by the event, so a wait
    /// after it returns at once. Spurious returns are allowed.
    pub(crate) fn wait(&self, word: &AtomicU32, seen: u32, timeout: Duration) {
        // Relaxed: only a shortcut; the caller re-checks its condition with Acquire.
        if word.load(Ordering::Relaxed) != seen {
            return;
        }
        let ms = timeout
            .as_nanos()
            .div_ceil(1_000_000)
            .min(INFINITE as u128 - 1) as u32;
        // SAFETY: an open event handle.
        if unsafe { WaitForSingleObject(self.0 .0, ms) } == WAIT_FAILED {
            // Never turn a broken handle into a busy loop: the caller's slice still passes.
            std::thread::sleep(timeout);
        }
    }

    /// Wakes the side waiting on this bell.
    pub(crate) fn ring(&self, _word: &AtomicU32) {
        // SAFETY: an open event handle with EVENT_MODIFY_STATE.
        unsafe { SetEvent(self.0 .0) };
    }
}

// SAFETY: an event handle may be used from any thread.
unsafe impl Send for Bell {}
// SAFETY: SetEvent and WaitForSingleObject are thread-safe on one handle.
unsafe impl Sync for Bell {}

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

/// Creates a directory that only this user can enter (and the files made in it).
pub(crate) fn create_private_dir(path: &Path) -> io::Result<()> {
    create_dir_with(path, &PrivateDescriptor::new(true)?)
}

/// Creates a directory with the security descriptor `sd`.
fn create_dir_with(path: &Path, sd: &PrivateDescriptor) -> io::Result<()> {
    let sa = sd.attributes();
    let wpath = wide(path.as_os_str());
    // SAFETY: NUL-terminated path and valid attributes.
    if unsafe { CreateDirectoryW(wpath.as_ptr(), &sa) } == 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Writes `bytes` to a new file at `path`, which inherits its directory's owner-only
/// access list.
pub(crate) fn write_private_file(path: &Path, bytes: &[u8]) -> io::Result<()> {
    std::fs::write(path, bytes)
}

/// Loads a DLL. A path is made absolute and loaded with `LOAD_WITH_ALTERED_SEARCH_PATH`,
/// so the DLL's own folder is searched for its dependencies; a bare name is searched for
/// as Windows does (the server's folder, system folders, then `PATH`, which the client
/// extends with the builder's library paths).
///
/// # Safety
/// Loading runs the DLL's initialisers (`DllMain`), which may do anything.
pub(crate) unsafe fn load_library(path: &str) -> Result<libloading::Library, libloading::Error> {
    use libloading::os::windows::{Library, LOAD_WITH_ALTERED_SEARCH_PATH};
    if path.contains(['\\', '/']) {
        let full = std::path::absolute(path).unwrap_or_else(|_| path.into());
        // SAFETY: the caller accepts that the DLL's initialisers run.
        unsafe { Library::load_with_flags(full, LOAD_WITH_ALTERED_SEARCH_PATH) }.map(Into::into)
    } else {
        // SAFETY: as above.
        unsafe { Library::new(path) }.map(Into::into)
    }
}

/// Ends this process at once with `code`, running no DLL detach routines: another thread
/// may be stuck inside the library holding the loader or heap lock.
pub(crate) fn exit_immediately(code: u32) -> ! {
    // SAFETY: terminates this process; nothing runs after it.
    unsafe { TerminateProcess(GetCurrentProcess(), code) };
    unreachable!("TerminateProcess of the current process returned")
}

/// The variable through which the server's loader finds DLLs.
pub(crate) const LIBRARY_PATH_VAR: &str = "PATH";

/// Whether this is Windows: decides the foreign-call ABI of a server on this OS.
pub(crate) const IS_WINDOWS: bool = true;

/// Clears the error a foreign function may report (`SetLastError(0)`), before calling it.
pub(crate) fn clear_last_error() {
    // SAFETY: sets this thread's last-error value; no other effect.
    unsafe { windows_sys::Win32::Foundation::SetLastError(0) };
}

/// The error a foreign function reported: `GetLastError()`, read right after the call.
pub(crate) fn last_error() -> i32 {
    // SAFETY: reads this thread's last-error value; no other effect.
    unsafe { GetLastError() as i32 }
}

/// The CPU this thread runs on: not tracked on Windows, whose scheduler places a woken
/// thread on an idle processor itself.
pub(crate) fn current_cpu() -> u32 {
    u32::MAX
}

/// Nothing to do on Windows (see `current_cpu`).
pub(crate) fn move_off_cpu(_cpu: u32) {}

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

/// The server's top-level exception filter: says which exception reached it and where,
/// on stderr, and ends the process with the exception code as its exit code (the code
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
    let mut buf = [0u8; 128];
    let mut cursor = io::Cursor::new(&mut buf[..]);
    let _ = writeln!(
        cursor,
        "loadlib server: unhandled exception {code:#010x} at {address:#x}"
    );
    let len = cursor.position() as usize;
    // SAFETY: the process's stderr handle stays open until the process ends;
    // ManuallyDrop keeps the File from closing it.
    let mut stderr = std::mem::ManuallyDrop::new(unsafe {
        std::fs::File::from_raw_handle(std::io::stderr().as_raw_handle())
    });
    let _ = stderr.write_all(&buf[..len]);
    exit_immediately(code)
}
