//! Loading the wrapped library (`cdll` semantics: `dlopen` with `RTLD_NOW`).

use super::ServerError;

/// A loaded shared library; symbols stay valid while it lives.
pub struct Library {
    lib: libloading::Library,
    path: String,
}

impl Library {
    /// Loads the library at `path` (C calling convention, like ctypes' `CDLL`).
    ///
    /// A library of the wrong width or a missing file gives a `LibraryError` naming it.
    pub fn cdll(path: impl AsRef<str>) -> Result<Library, ServerError> {
        let path = path.as_ref().to_owned();
        // SAFETY: loading runs the library's initialisers; loading a library is the
        // purpose of this server and the user chose the path.
        let lib = unsafe { libloading::Library::new(&path) }
            .map_err(|e| ServerError::new("LibraryError", format!("cannot load `{path}`: {e}")))?;
        Ok(Library { lib, path })
    }

    /// The path it was loaded from.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The function pointer of symbol `name` (NUL-terminated or not).
    ///
    /// # Safety
    /// `F` must be the symbol's true type (an `unsafe extern "C" fn(..)` with the
    /// library's signature), and the pointer must not be called after the library is
    /// dropped.
    pub unsafe fn function<F: Copy>(&self, name: &[u8]) -> Result<F, ServerError> {
        // SAFETY: the caller guarantees `F` matches the symbol.
        let sym: libloading::Symbol<'_, F> = unsafe { self.lib.get(name) }.map_err(|e| {
            ServerError::new(
                "LibraryError",
                format!(
                    "`{}` has no symbol `{}`: {e}",
                    self.path,
                    String::from_utf8_lossy(name).trim_end_matches('\0')
                ),
            )
        })?;
        Ok(*sym)
    }

    /// The underlying `libloading` library.
    pub fn raw(&self) -> &libloading::Library {
        &self.lib
    }
}
