//! Windows wake-ups: named auto-reset events, and the CPU hints (none on Windows).

use std::io;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use windows_sys::Win32::Foundation::{ERROR_ALREADY_EXISTS, WAIT_FAILED};
use windows_sys::Win32::Storage::FileSystem::{READ_CONTROL, SYNCHRONIZE};
use windows_sys::Win32::System::Threading::{
    CreateEventW, OpenEventW, SetEvent, WaitForSingleObject, EVENT_MODIFY_STATE, INFINITE,
};

use super::security::{foreign_access, PrivateDescriptor};
use super::{object_name, Handle};

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

/// The CPU this thread runs on: not tracked on Windows, whose scheduler places a woken
/// thread on an idle processor itself.
pub(crate) fn current_cpu() -> u32 {
    u32::MAX
}

/// Nothing to do on Windows (see `current_cpu`).
pub(crate) fn move_off_cpu(_cpu: u32) {}
