//! Linux libraries: loading one (`dlopen`) and the error a foreign function reports.

use crate::sys::LoadError;

/// Loads a shared library (`dlopen`); its dependencies are found through
/// `LD_LIBRARY_PATH`, which the client sets from the builder's library paths. `dlerror`
/// already names a missing dependency and a library of the wrong width.
///
/// # Safety
/// Loading runs the library's initialisers, which may do anything.
pub(crate) unsafe fn load_library(path: &str) -> Result<libloading::Library, LoadError> {
    // SAFETY: the caller accepts that the library's initialisers run.
    unsafe { libloading::Library::new(path) }.map_err(|e| LoadError::from_libloading(&e))
}

/// The variable through which the server's dynamic loader finds libraries.
pub(crate) const LIBRARY_PATH_VAR: &str = "LD_LIBRARY_PATH";

/// Whether this is Windows: decides the foreign-call ABI of a server on this OS.
pub(crate) const IS_WINDOWS: bool = false;

/// Clears the error a foreign function may report (`errno`), before calling it.
pub(crate) fn clear_last_error() {
    // SAFETY: `__errno_location` returns this thread's errno, always valid.
    unsafe { *libc::__errno_location() = 0 };
}

/// The error a foreign function reported: `errno`, read right after the call.
pub(crate) fn last_error() -> i32 {
    // SAFETY: as in `clear_last_error`.
    unsafe { *libc::__errno_location() }
}
