//! Windows libraries: loading a DLL, and the error a foreign function reports.

use windows_sys::Win32::Foundation::GetLastError;

use super::diagnose;
use crate::sys::LoadError;

/// Loads a DLL, saying in its error what the loader does not: which dependency is
/// missing, which run-time a failed initialisation probably needs, that a DLL is of
/// the other width (see `diagnose`). A path is made absolute and loaded with `LOAD_WITH_ALTERED_SEARCH_PATH`,
/// so the DLL's own folder is searched for its dependencies; a bare name is searched for
/// as Windows does (the server's folder, system folders, then `PATH`, which the client
/// extends with the builder's library paths).
///
/// # Safety
/// Loading runs the DLL's initialisers (`DllMain`), which may do anything.
pub(crate) unsafe fn load_library(path: &str) -> Result<libloading::Library, LoadError> {
    use libloading::os::windows::{Library, LOAD_WITH_ALTERED_SEARCH_PATH};
    let loaded = if path.contains(['\\', '/']) {
        let full = std::path::absolute(path).unwrap_or_else(|_| path.into());
        // SAFETY: the caller accepts that the DLL's initialisers run.
        unsafe { Library::load_with_flags(full, LOAD_WITH_ALTERED_SEARCH_PATH) }
    } else {
        // SAFETY: as above.
        unsafe { Library::new(path) }
    };
    loaded.map(Into::into).map_err(|e| {
        let LoadError(mut msg) = LoadError::from_libloading(&e);
        if let Some(more) = diagnose::os_error_code(&msg).and_then(|c| diagnose::explain(path, c)) {
            msg.push_str("; ");
            msg.push_str(&more);
        }
        LoadError(msg)
    })
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
