//! Windows: named file mappings and named events under `Local\`, usable by this user
//! only, process handles for liveness, and DLL loading with errors that say what is
//! missing.
//!
//! Names arrive in the portable form `/loadlib-…` and become `Local\loadlib-…`. A named
//! kernel object lives while a handle to it is open, so nothing outlives the processes
//! that use it: there is nothing to unlink and nothing to sweep.

mod bell;
mod diagnose;
mod files;
mod library;
mod process;
mod security;
mod shm;

use std::ffi::OsStr;
use std::os::windows::ffi::OsStrExt;

use windows_sys::Win32::Foundation::{CloseHandle, FILETIME, HANDLE};
use windows_sys::Win32::System::Memory::MEMORY_BASIC_INFORMATION;
use windows_sys::Win32::System::Threading::PROCESS_BASIC_INFORMATION;

pub(crate) use bell::{current_cpu, move_off_cpu, Bell};
#[cfg(test)]
pub(crate) use files::create_dir_others_can_use;
pub(crate) use files::{
    create_private_dir, ensure_private_dir, is_runnable_file, server_cache_roots,
    write_private_executable, write_private_file,
};
pub(crate) use library::{
    clear_last_error, last_error, load_library, IS_WINDOWS, LIBRARY_PATH_VAR,
};
pub(crate) use process::{
    describe_exit, exit_immediately, prefer_huge_pages, prepare_server_process, process_alive,
    spawn_failure_is_transient, Parent,
};
pub(crate) use shm::{create_mapping, leftover_names, open_mapping, unlink, unmap, MappingHandle};

/// A handle closed on drop.
pub(crate) struct Handle(HANDLE);

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
