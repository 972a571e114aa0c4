//! The `library!` macro: a library's C functions declared once, looked up together and
//! called through typed functions.

/// Declares the C functions of a library once: a struct that loads the library, looks up
/// every function (reporting each missing one by name), and calls each through a typed
/// `unsafe fn`.
///
/// The convention is `extern "C"` (cdecl) or `extern "system"` (the Windows API's
/// `stdcall` on 32-bit Windows, found under its decorated name `_f@N` or `f@N` too; the C
/// convention elsewhere). A wrapper declares only the functions it wraps.
///
/// ```no_run
/// loadlib::library! {
///     /// The vendor's C library.
///     pub struct VendorLib: extern "C" {
///         fn add(a: i32, b: i32) -> i32;
///         fn scale(k: f64, x: *const f64, n: i32, out: *mut f64);
///     }
/// }
///
/// // SAFETY: loading runs the library's initialisers, and the declarations above are the
/// // library's true signatures.
/// let lib = unsafe { VendorLib::load("libvendor.so") }?;
/// // SAFETY: plain integers.
/// assert_eq!(unsafe { lib.add(3, 14) }, 17);
/// # Ok::<(), loadlib::server::ServerError>(())
/// ```
#[macro_export]
macro_rules! library {
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident : extern $abi:tt {
            $(
                $(#[$fmeta:meta])*
                fn $f:ident ($($arg:ident : $argty:ty),* $(,)?) $(-> $ret:ty)?;
            )*
        }
    ) => {
        $(#[$meta])*
        #[allow(non_snake_case)]
        $vis struct $name {
            $($f: unsafe extern $abi fn($($argty),*) $(-> $ret)?,)*
            __library: $crate::server::Library,
        }

        #[allow(non_snake_case)]
        impl $name {
            /// Loads the library at `path` and looks up each declared function. A missing
            /// file, a library of the wrong width, or missing functions (each named) give
            /// a `LibraryError`.
            ///
            /// # Safety
            /// Loading runs the library's initialisers, which may do anything (as with
            /// `libloading::Library::new`), and each declaration must be the function's
            /// true signature and convention.
            #[allow(dead_code)]
            $vis unsafe fn load(
                path: impl ::std::convert::AsRef<str>,
            ) -> $crate::server::Result<Self> {
                // SAFETY: the caller vouches for the library and its declarations.
                let library = unsafe { $crate::__library_open!($abi, path.as_ref()) }?;
                let mut missing: ::std::vec::Vec<&'static str> = ::std::vec::Vec::new();
                $(
                    // SAFETY: the caller vouches that this is the function's true type; the
                    // pointer is kept beside the library, which outlives it.
                    let $f = unsafe {
                        library.function::<unsafe extern $abi fn($($argty),*) $(-> $ret)?>(
                            stringify!($f).as_bytes(),
                        )
                    }
                    .map_err(|_| missing.push(stringify!($f)))
                    .ok()
                    // SAFETY: kept in the struct beside the library, which it does not
                    // outlive.
                    .map(|s| unsafe { s.into_raw() });
                )*
                if !missing.is_empty() {
                    return ::std::result::Result::Err($crate::server::ServerError::library_error(
                        format!(
                            "`{}` lacks {} of the functions `{}` declares: {}",
                            library.path(),
                            missing.len(),
                            stringify!($name),
                            missing.join(", ")
                        ),
                    ));
                }
                ::std::result::Result::Ok($name {
                    $($f: $f.expect("looked up above"),)*
                    __library: library,
                })
            }

            /// The loaded library (its path, and other symbols through `raw`).
            #[allow(dead_code)]
            $vis fn library(&self) -> &$crate::server::Library {
                &self.__library
            }

            $(
                $(#[$fmeta])*
                ///
                /// # Safety
                /// The arguments must meet the C function's contract (valid pointers and
                /// lengths, for instance).
                #[allow(dead_code, clippy::too_many_arguments)]
                $vis unsafe fn $f(&self $(, $arg: $argty)*) $(-> $ret)? {
                    // SAFETY: the pointer was looked up with this signature and the library
                    // is alive as long as `self`; the caller meets the function's contract.
                    unsafe { (self.$f)($($arg),*) }
                }
            )*
        }
    };
}

/// Opens a library for a calling convention of [`library!`](crate::library).
#[doc(hidden)]
#[macro_export]
macro_rules! __library_open {
    ("C", $path:expr) => {
        $crate::server::Library::cdll($path)
    };
    ("system", $path:expr) => {
        $crate::server::Library::windll($path)
    };
    ("stdcall", $path:expr) => {
        $crate::server::Library::windll($path)
    };
}
