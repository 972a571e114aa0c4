//! The procedural macros of [loadlib](https://docs.rs/loadlib): `foreign!` declares a
//! 32-bit library's C functions and generates a typed handle; `#[derive(CStruct)]` lays a
//! `#[repr(C)]` struct out as the 32-bit library sees it. Use them through `loadlib`
//! (`loadlib::foreign!`, `loadlib::CStruct`), whose documentation describes them.

mod derive;
mod foreign;
mod function;
mod interface;
mod interface_names;
mod signature;
mod types;

use proc_macro::TokenStream;

/// Declares a 32-bit library's C functions in the 64-bit program and generates a typed
/// handle with one method per function: foreign calls, with no server code to write.
///
/// ```ignore
/// use loadlib::{foreign, CStruct};
///
/// #[derive(CStruct, Clone, Copy)]
/// #[repr(C)]
/// struct Point { x: f64, y: f64 }
///
/// foreign! {
///     /// The vendor's library.
///     pub struct Vendor: extern "C" {
///         fn add(a: i32, b: i32) -> i32;
///         fn scale(k: f64, #[len(n)] x: *const f64, n: i32, #[out] #[len(n)] y: *mut f64);
///         fn centre(#[len(n)] p: &[Point], n: i32) -> Point;
///         #[last_error]
///         fn open_device(name: *const c_char) -> *mut c_void;
///     }
/// }
///
/// // SAFETY: loading runs the library's initialisers (in the server), and the
/// // declarations above are its true signatures.
/// let v = unsafe { Vendor::load("vendor32.dll") }?;
/// assert_eq!(v.add(3, 14)?, 17);
/// let x = [1.0, 2.0];
/// let mut y = [0.0; 2];
/// v.scale(2.0, &x, 2, &mut y)?;          // `y` is written by the library
/// let (handle, error) = v.open_device("COM3")?;
/// ```
///
/// The block is `struct Name: extern "C" | "system" | "stdcall" { fn …; }`:
/// `"system"` is `stdcall` on 32-bit Windows (the Windows API's convention; decorated
/// exports `_f@N` are found by their plain name) and C elsewhere. `load(path)` starts a
/// server for foreign calls (the bundled 32-bit one) and binds every function, naming
/// every missing one in one error; `load_with(builder, path)` takes a
/// [`Builder`](https://docs.rs/loadlib/latest/loadlib/struct.Builder.html) (a 64-bit
/// server, timeouts, `library_path`), and `bind(client, path)` shares a running server.
/// Loading is `unsafe`, as in libloading; the calls are safe: the library runs in the
/// server, so a wrong declaration can crash or corrupt only the server (a crash is
/// `Error::ServerCrashed`), except that an array declared read-only which the function
/// writes changes a `SharedArray` this process holds.
///
/// | declared | C | the method takes |
/// |---|---|---|
/// | `i8`…`u64`, `f32`, `f64`, `bool`, `isize`, `usize`, `c_int`, … | by value | the same |
/// | `Logical` | Fortran default `LOGICAL` (4 bytes) | `Logical` |
/// | `S` (a `#[derive(CStruct)]`) | struct by value | `S` |
/// | `&T` | `const T *` to one value (Fortran by reference) | `T` or `&T` |
/// | `&mut T` | `T *` to one value read and written (`#[out]`: written only) | `&mut T` |
/// | `&[T]`, `*const T` | `const T *` to elements | `&[T]`, `&Vec<T>`, `&[T; N]`, `&SharedArray<T>` |
/// | `&mut [T]`, `*mut T` | `T *` to elements read and written (`#[out]`: written only) | `&mut [T]`, `&mut Vec<T>`, `&mut [T; N]`, `&mut SharedArray<T>` |
/// | `*const c_char`, `&CStr` | a C string | `&str`, `&CStr`, `&[u8]`, … (a NUL is added) |
/// | `*mut c_void`, `*const c_void` | an opaque pointer | `loadlib::foreign::Ptr` |
/// | `Option<&[T]>`, `Option<&T>`, `Option<&mut [T]>`, `Option<&CStr>` | a pointer that may be null | `Option<…>` |
///
/// `#[len(expr)]` on an array parameter ties it to a length computed from the other
/// parameters (`n`, `n + 1`, `rows * cols`): a shorter array is an error before the call,
/// naming the parameter. Arrays the library reads are copied into the request (or the
/// bulk segment when large) or, as a `SharedArray`, read in place; arrays it writes are
/// copied back into the caller's slice, or written in place in a `SharedArray`.
///
/// A result is a value of any type above, `*const c_char` (copied: `Option<CString>`),
/// `*mut c_void` (`Ptr`), or `*const T` with `#[returns_len(expr)]` (the elements copied:
/// `Option<Vec<T>>`). `#[last_error]` makes the method return `(result, errno)`, with
/// `GetLastError()` on Windows. `#[link_name = "cName"]` names the C function when the
/// method is named otherwise. Every method returns `loadlib::Result`.
#[proc_macro]
pub fn foreign(input: TokenStream) -> TokenStream {
    let parsed = syn::parse_macro_input!(input as foreign::Foreign);
    foreign::expand(parsed)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Lays a `#[repr(C)]` struct out as a 32-bit library sees it, for foreign calls: its
/// layout under every ABI is computed at compile time (i386 Linux aligns `double` and
/// `long long` to 4 inside structs; 32-bit Windows and both 64-bit ABIs to 8), and a
/// compile-time assertion checks the computation against rustc's own layout of the
/// struct for the target being compiled.
///
/// ```ignore
/// #[derive(loadlib::CStruct, Clone, Copy, Debug)]
/// #[repr(C)]
/// struct Mixed { c: i8, d: f64, q: i64 }   // 20 bytes for gcc -m32, 24 for mingw
///
/// #[derive(loadlib::CStruct)]
/// #[repr(C)]
/// struct NPoints<'a> { n: i32, points: &'a [Point] }  // a pointer field, to data
///                                                      // placed next to the call
/// ```
///
/// Fields are numbers, `bool`, `Logical`, `Ptr`, `isize`/`usize`, arrays `[T; N]`, other
/// `CStruct`s, and references (`&T`, `&[T]`, `&CStr`, `Option<&…>`), which the library
/// receives as pointers. A struct without reference fields can also be read back (a
/// result, an output parameter).
///
/// It also implements `loadlib::WireStruct`: a struct that derives zerocopy's
/// `FromBytes`, `IntoBytes` and `Immutable` too, and is laid out alike by 32- and 64-bit
/// compilers, can be a parameter or result of `interface!` (by value, by reference, in
/// slices), where it travels as its bytes.
#[proc_macro_derive(CStruct)]
pub fn derive_cstruct(input: TokenStream) -> TokenStream {
    let parsed = syn::parse_macro_input!(input as syn::DeriveInput);
    derive::expand(parsed)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// The canonical form of an interface's signatures, as a string literal (what
/// `loadlib::interface!` hashes). Not API.
#[doc(hidden)]
#[proc_macro]
pub fn __interface_signatures(input: TokenStream) -> TokenStream {
    let sigs = syn::parse_macro_input!(input as interface::Signatures);
    if let Err(e) = interface_names::check(sigs.names()) {
        // Each error a statement of a block (this is a constant's value).
        let errors = e.into_compile_error();
        return quote::quote!({ #errors "" }).into();
    }
    let form = interface::canonical(&sigs);
    quote::quote!(#form).into()
}

/// `method in [declarations]`: the method's index in the interface, as a literal.
#[doc(hidden)]
#[proc_macro]
pub fn __interface_method_index(input: TokenStream) -> TokenStream {
    let parsed = syn::parse_macro_input!(input as interface_names::MethodIndex);
    interface_names::index(parsed)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// A parameter type with every lifetime `'static` (the typed client's marker). Not API.
#[doc(hidden)]
#[proc_macro]
pub fn __static_lifetimes(input: TokenStream) -> TokenStream {
    let ty = syn::parse_macro_input!(input as syn::Type);
    interface::static_lifetimes(ty).into()
}
