//! Loading the wrapped library: `cdll` (C calling convention) and `windll` (the Windows
//! `stdcall` convention), as in ctypes.

use super::ServerError;
use crate::sys;

/// A loaded shared library; symbols stay valid while it lives.
pub struct Library {
    lib: libloading::Library,
    path: String,
    stdcall: bool,
}

impl Library {
    /// Loads the library at `path` whose functions use the C calling convention (like
    /// ctypes' `CDLL`): declare them `unsafe extern "C" fn`.
    ///
    /// `path` is a file path or a bare name (`libm.so.6`, `kernel32.dll`) found by the
    /// platform's search. On Windows a DLL loaded by path has its own folder searched for
    /// the DLLs it needs; add other folders with the client builder's `library_path`.
    /// A library of the wrong width or a missing file gives a `LibraryError` naming it.
    ///
    /// # Safety
    /// Loading runs the library's initialisers (`DllMain`, constructors), which may do
    /// anything; as with `libloading::Library::new`, the caller vouches for the library.
    pub unsafe fn cdll(path: impl AsRef<str>) -> Result<Library, ServerError> {
        // SAFETY: the caller vouches for the library (see above).
        unsafe { Self::load(path.as_ref(), false) }
    }

    /// Loads a DLL whose functions use the Windows `stdcall` convention (like ctypes'
    /// `WinDLL`), as the Windows API and many vendor DLLs do: declare them
    /// `unsafe extern "system" fn`. A function exported under its decorated name
    /// (`_GetValue@8` or `GetValue@8`, the number being the bytes of its arguments) is
    /// found by its plain name too. As with every symbol, the type you give must be the
    /// function's true signature: a `stdcall` function pops its own arguments, so a wrong
    /// argument list corrupts the stack. On Linux and on
    /// 64-bit Windows, where there is one C convention, this is [`Library::cdll`].
    ///
    /// # Safety
    /// As for [`Library::cdll`]: loading runs the DLL's initialisers.
    pub unsafe fn windll(path: impl AsRef<str>) -> Result<Library, ServerError> {
        // SAFETY: the caller vouches for the library (see above).
        unsafe { Self::load(path.as_ref(), true) }
    }

    /// # Safety
    /// Runs the library's initialisers; see [`Library::cdll`].
    unsafe fn load(path: &str, stdcall: bool) -> Result<Library, ServerError> {
        let path = path.to_owned();
        // SAFETY: the caller vouches for the library's initialisers.
        let lib = unsafe { sys::load_library(&path) }.map_err(|e| {
            let mut msg = format!("cannot load `{path}`: {e}");
            let mut source = std::error::Error::source(&e);
            while let Some(s) = source {
                msg.push_str(&format!(": {s}"));
                source = s.source();
            }
            ServerError::new("LibraryError", msg)
        })?;
        Ok(Library { lib, path, stdcall })
    }

    /// The path it was loaded from.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The function pointer of symbol `name` (NUL-terminated or not), borrowing the
    /// library as libloading's `Symbol<'lib, T>` does: it derefs to `F`, and
    /// [`Symbol::into_raw`] takes the pointer out of the borrow (to keep it beside the
    /// library, as [`library!`](crate::library) does).
    ///
    /// # Safety
    /// `F` must be the symbol's true type (an `unsafe extern "C" fn(..)` with the
    /// library's signature). As with libloading, a copy of a safe `extern fn` type taken
    /// out of the symbol must not be called after the library is dropped.
    pub unsafe fn function<F: Copy>(&self, name: &[u8]) -> Result<Symbol<'_, F>, ServerError> {
        let found = |f: F| Symbol {
            f,
            _library: std::marker::PhantomData,
        };
        // SAFETY: the caller guarantees `F` matches the symbol.
        let err = match unsafe { self.lib.get::<F>(name) } {
            Ok(sym) => return Ok(found(*sym)),
            Err(e) => e,
        };
        let plain = String::from_utf8_lossy(name.strip_suffix(b"\0").unwrap_or(name));
        if self.stdcall {
            // The decorations of a stdcall export: `_name@N` (MSVC) or `name@N` (mingw),
            // N the bytes of arguments, a multiple of 4.
            for n in (0..=256).step_by(4) {
                for lead in ["_", ""] {
                    let decorated = format!("{lead}{plain}@{n}");
                    // SAFETY: as above; the decorated name is the same function.
                    if let Ok(sym) = unsafe { self.lib.get::<F>(decorated.as_bytes()) } {
                        return Ok(found(*sym));
                    }
                }
            }
        }
        Err(ServerError::new(
            "LibraryError",
            format!("`{}` has no symbol `{plain}`: {err}", self.path),
        ))
    }

    /// The address of function `name`, or `None` when the library has no such symbol. A
    /// `stdcall` function whose arguments take `stdcall_bytes` is found under its
    /// decorated names (`_name@N`, `name@N`) too, on 32-bit Windows.
    pub(crate) fn address(&self, name: &str, stdcall_bytes: Option<u32>) -> Option<usize> {
        let get = |n: &str| {
            // SAFETY: the symbol is only read as an address, never called through this
            // type; `*mut c_void` is how a symbol's address is fetched.
            unsafe { self.lib.get::<*mut std::ffi::c_void>(n.as_bytes()) }
                .ok()
                .map(|s| *s as usize)
        };
        get(name).or_else(|| {
            let n = stdcall_bytes.filter(|_| crate::sys::IS_WINDOWS && usize::BITS == 32)?;
            get(&format!("_{name}@{n}")).or_else(|| get(&format!("{name}@{n}")))
        })
    }

    /// The underlying `libloading` library.
    pub fn raw(&self) -> &libloading::Library {
        &self.lib
    }
}

/// A function of a [`Library`], valid while the library is borrowed (see
/// [`Library::function`]).
#[derive(Clone, Copy, Debug)]
pub struct Symbol<'lib, F> {
    f: F,
    _library: std::marker::PhantomData<&'lib Library>,
}

impl<F> std::ops::Deref for Symbol<'_, F> {
    type Target = F;
    fn deref(&self) -> &F {
        &self.f
    }
}

impl<F: Copy> Symbol<'_, F> {
    /// The pointer, no longer tied to the library's borrow.
    ///
    /// # Safety
    /// It must not be called after the library is dropped: keep the library beside it.
    pub unsafe fn into_raw(self) -> F {
        self.f
    }
}
