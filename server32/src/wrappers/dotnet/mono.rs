//! The part of Mono's embedding API the `dotnet` wrapper uses, loaded at run time from
//! `libmonosgen-2.0.so.1`, and small safe helpers over it.
//!
//! Mono's objects live on a moving, garbage-collected heap: a pointer to one is only
//! kept across further Mono calls inside a pinned [`Handle`].

use std::ffi::{c_char, c_int, c_void, CStr, CString};

use loadlib::server::{Library, ServerError, Symbol};
use loadlib::DType;

macro_rules! opaque {
    ($($name:ident),*) => {$(
        #[doc = concat!("Mono's opaque `", stringify!($name), "`.")]
        pub enum $name {}
    )*};
}
opaque!(
    MonoDomain,
    MonoAssembly,
    MonoImage,
    MonoClass,
    MonoMethod,
    MonoMethodSignature,
    MonoType,
    MonoObject,
    MonoProperty
);

/// `MonoTypeEnum` codes (ECMA-335 element types) returned by `mono_type_get_type`.
#[allow(missing_docs)]
pub mod code {
    use std::ffi::c_int;
    pub const BOOLEAN: c_int = 0x02;
    pub const CHAR: c_int = 0x03;
    pub const I1: c_int = 0x04;
    pub const U1: c_int = 0x05;
    pub const I2: c_int = 0x06;
    pub const U2: c_int = 0x07;
    pub const I4: c_int = 0x08;
    pub const U4: c_int = 0x09;
    pub const I8: c_int = 0x0a;
    pub const U8: c_int = 0x0b;
    pub const R4: c_int = 0x0c;
    pub const R8: c_int = 0x0d;
    pub const STRING: c_int = 0x0e;
    pub const VALUETYPE: c_int = 0x11;
    pub const CLASS: c_int = 0x12;
    pub const ARRAY: c_int = 0x14;
    pub const I: c_int = 0x18;
    pub const U: c_int = 0x19;
    pub const OBJECT: c_int = 0x1c;
    pub const SZARRAY: c_int = 0x1d;
}

/// `MONO_TABLE_TYPEDEF`, and the token prefix of its rows.
pub const TABLE_TYPEDEF: c_int = 2;
pub const TOKEN_TYPE_DEF: u32 = 0x0200_0000;
/// `TYPE_ATTRIBUTE_ABSTRACT` (abstract classes, static classes and interfaces).
pub const TYPE_ABSTRACT: u32 = 0x80;

macro_rules! api {
    ($($field:ident = $sym:literal: fn($($arg:ty),*) $(-> $ret:ty)?;)*) => {
        /// Function pointers into the Mono runtime library.
        pub struct Api {
            $(pub $field: unsafe extern "C" fn($($arg),*) $(-> $ret)?,)*
            _lib: Library,
        }

        impl Api {
            /// Loads every function from the runtime library `lib`.
            pub fn load(lib: Library) -> Result<Api, ServerError> {
                // SAFETY: each type is the C prototype in Mono 6's public headers
                // (mono/jit/jit.h, mono/metadata/*.h); `_lib` keeps them loaded beside
                // the pointers.
                unsafe {
                    Ok(Api {
                        $($field: Symbol::into_raw(lib.function(concat!($sym, "\0").as_bytes())?),)*
                        _lib: lib,
                    })
                }
            }
        }
    };
}

api! {
    set_dirs = "mono_set_dirs": fn(*const c_char, *const c_char);
    config_parse = "mono_config_parse": fn(*const c_char);
    jit_init_version = "mono_jit_init_version": fn(*const c_char, *const c_char) -> *mut MonoDomain;
    domain_assembly_open = "mono_domain_assembly_open":
        fn(*mut MonoDomain, *const c_char) -> *mut MonoAssembly;
    assembly_get_image = "mono_assembly_get_image": fn(*mut MonoAssembly) -> *mut MonoImage;
    image_get_table_rows = "mono_image_get_table_rows": fn(*mut MonoImage, c_int) -> c_int;
    class_get = "mono_class_get": fn(*mut MonoImage, u32) -> *mut MonoClass;
    class_get_name = "mono_class_get_name": fn(*mut MonoClass) -> *const c_char;
    class_get_namespace = "mono_class_get_namespace": fn(*mut MonoClass) -> *const c_char;
    class_get_nesting_type = "mono_class_get_nesting_type": fn(*mut MonoClass) -> *mut MonoClass;
    class_get_parent = "mono_class_get_parent": fn(*mut MonoClass) -> *mut MonoClass;
    class_get_method_from_name = "mono_class_get_method_from_name":
        fn(*mut MonoClass, *const c_char, c_int) -> *mut MonoMethod;
    class_get_methods = "mono_class_get_methods":
        fn(*mut MonoClass, *mut *mut c_void) -> *mut MonoMethod;
    class_get_property_from_name = "mono_class_get_property_from_name":
        fn(*mut MonoClass, *const c_char) -> *mut MonoProperty;
    class_get_type = "mono_class_get_type": fn(*mut MonoClass) -> *mut MonoType;
    class_from_mono_type = "mono_class_from_mono_type": fn(*mut MonoType) -> *mut MonoClass;
    class_get_element_class = "mono_class_get_element_class": fn(*mut MonoClass) -> *mut MonoClass;
    class_get_rank = "mono_class_get_rank": fn(*mut MonoClass) -> c_int;
    class_is_enum = "mono_class_is_enum": fn(*mut MonoClass) -> i32;
    class_get_flags = "mono_class_get_flags": fn(*mut MonoClass) -> u32;
    class_enum_basetype = "mono_class_enum_basetype": fn(*mut MonoClass) -> *mut MonoType;
    get_array_class = "mono_get_array_class": fn() -> *mut MonoClass;
    property_get_get_method = "mono_property_get_get_method":
        fn(*mut MonoProperty) -> *mut MonoMethod;
    method_get_name = "mono_method_get_name": fn(*mut MonoMethod) -> *const c_char;
    method_get_generic_container = "mono_method_get_generic_container":
        fn(*mut MonoMethod) -> *mut c_void;
    method_signature = "mono_method_signature": fn(*mut MonoMethod) -> *mut MonoMethodSignature;
    signature_get_params = "mono_signature_get_params":
        fn(*mut MonoMethodSignature, *mut *mut c_void) -> *mut MonoType;
    signature_is_instance = "mono_signature_is_instance": fn(*mut MonoMethodSignature) -> i32;
    signature_get_param_count = "mono_signature_get_param_count":
        fn(*mut MonoMethodSignature) -> u32;
    type_get_type = "mono_type_get_type": fn(*mut MonoType) -> c_int;
    type_is_byref = "mono_type_is_byref": fn(*mut MonoType) -> i32;
    object_new = "mono_object_new": fn(*mut MonoDomain, *mut MonoClass) -> *mut MonoObject;
    object_get_class = "mono_object_get_class": fn(*mut MonoObject) -> *mut MonoClass;
    object_unbox = "mono_object_unbox": fn(*mut MonoObject) -> *mut c_void;
    runtime_invoke = "mono_runtime_invoke":
        fn(*mut MonoMethod, *mut c_void, *mut *mut c_void, *mut *mut MonoObject) -> *mut MonoObject;
    string_new_len = "mono_string_new_len":
        fn(*mut MonoDomain, *const c_char, u32) -> *mut MonoObject;
    string_chars = "mono_string_chars": fn(*mut MonoObject) -> *const u16;
    string_length = "mono_string_length": fn(*mut MonoObject) -> c_int;
    array_new = "mono_array_new": fn(*mut MonoDomain, *mut MonoClass, usize) -> *mut MonoObject;
    array_new_full = "mono_array_new_full":
        fn(*mut MonoDomain, *mut MonoClass, *mut usize, *mut isize) -> *mut MonoObject;
    array_addr_with_size = "mono_array_addr_with_size":
        fn(*mut MonoObject, c_int, usize) -> *mut c_char;
    array_length = "mono_array_length": fn(*mut MonoObject) -> usize;
    array_element_size = "mono_array_element_size": fn(*mut MonoClass) -> i32;
    gchandle_new = "mono_gchandle_new": fn(*mut MonoObject, i32) -> u32;
    gchandle_get_target = "mono_gchandle_get_target": fn(u32) -> *mut MonoObject;
    gchandle_free = "mono_gchandle_free": fn(u32);
}

/// A `MonoError` for a null pointer where Mono should have returned something.
pub fn null_error(what: &str) -> ServerError {
    ServerError::new("MonoError", format!("Mono returned NULL for {what}"))
}

/// `p`, or a `MonoError` naming `what` if it is null.
pub fn non_null<T>(p: *mut T, what: &str) -> Result<*mut T, ServerError> {
    if p.is_null() {
        Err(null_error(what))
    } else {
        Ok(p)
    }
}

/// A C string for Mono, or a `ValueError` for an interior NUL.
pub fn cstring(s: &str) -> Result<CString, ServerError> {
    CString::new(s).map_err(|_| ServerError::value_error(format!("{s:?} contains a NUL byte")))
}

/// A string Mono owns (class and method names), copied; empty for null.
///
/// # Safety
/// `p` is null or a NUL-terminated string that stays valid during the call.
pub unsafe fn borrowed_str(p: *const c_char) -> String {
    if p.is_null() {
        return String::new();
    }
    // SAFETY: the caller guarantees a valid C string.
    unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
}

/// A pinned GC handle: the object neither moves nor dies while this lives.
pub struct Handle {
    api: &'static Api,
    handle: u32,
}

impl Handle {
    /// Pins `obj` (which must be non-null and just returned by Mono, with no managed
    /// allocation since).
    pub fn pin(api: &'static Api, obj: *mut MonoObject, what: &str) -> Result<Handle, ServerError> {
        let obj = non_null(obj, what)?;
        // SAFETY: `obj` is a live managed object; a pinned handle keeps it in place.
        let handle = unsafe { (api.gchandle_new)(obj, 1) };
        if handle == 0 {
            return Err(null_error(what));
        }
        Ok(Handle { api, handle })
    }

    /// The object: valid while the handle lives.
    pub fn get(&self) -> *mut MonoObject {
        // SAFETY: `handle` came from `mono_gchandle_new` and is not freed yet.
        unsafe { (self.api.gchandle_get_target)(self.handle) }
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        // SAFETY: freed exactly once, here.
        unsafe { (self.api.gchandle_free)(self.handle) }
    }
}

impl Api {
    /// The full name of a class: `Namespace.Name`, with `+` before nested types.
    pub fn class_full_name(&self, class: *mut MonoClass) -> String {
        if class.is_null() {
            return "<null class>".into();
        }
        // SAFETY: `class` is a non-null class from Mono; the names it returns live as
        // long as the class (for the process).
        unsafe {
            let name = borrowed_str((self.class_get_name)(class));
            let outer = (self.class_get_nesting_type)(class);
            if !outer.is_null() {
                return format!("{}+{name}", self.class_full_name(outer));
            }
            let ns = borrowed_str((self.class_get_namespace)(class));
            if ns.is_empty() {
                name
            } else {
                format!("{ns}.{name}")
            }
        }
    }

    /// The `MonoTypeEnum` code of a class, or 0 for null.
    pub fn class_code(&self, class: *mut MonoClass) -> c_int {
        if class.is_null() {
            return 0;
        }
        // SAFETY: non-null class; its type is owned by the class.
        unsafe {
            let ty = (self.class_get_type)(class);
            if ty.is_null() {
                0
            } else {
                (self.type_get_type)(ty)
            }
        }
    }

    /// A managed string with the same text (exact: UTF-8 with a length).
    pub fn new_string(
        &'static self,
        domain: *mut MonoDomain,
        s: &str,
    ) -> Result<Handle, ServerError> {
        let len = u32::try_from(s.len())
            .map_err(|_| ServerError::value_error("a string of more than 4 GiB"))?;
        // SAFETY: `s` is `len` bytes of UTF-8; Mono copies them.
        let obj = unsafe { (self.string_new_len)(domain, s.as_ptr().cast(), len) };
        Handle::pin(self, obj, "a new string")
    }

    /// The text of a managed string (UTF-16, converted; unpaired surrogates become U+FFFD).
    ///
    /// # Safety
    /// `s` is a live, non-null `System.String` that does not move during the call.
    pub unsafe fn read_string(&self, s: *mut MonoObject) -> String {
        // SAFETY: per the contract, `s` is a string: its chars are `length` UTF-16 units.
        unsafe {
            let len = (self.string_length)(s).max(0) as usize;
            let chars = (self.string_chars)(s);
            if chars.is_null() || len == 0 {
                return String::new();
            }
            String::from_utf16_lossy(std::slice::from_raw_parts(chars, len))
        }
    }

    /// `Type: Message` of a thrown exception, as a `DotNetException`.
    pub fn exception_error(&'static self, exc: Handle, context: &str) -> ServerError {
        // SAFETY: `exc` is pinned; `Message` is a string property of System.Exception
        // (looked up through the parents), read with exceptions caught.
        let message = unsafe {
            let class = (self.object_get_class)(exc.get());
            let name = self.class_full_name(class);
            let prop = if class.is_null() {
                std::ptr::null_mut()
            } else {
                (self.class_get_property_from_name)(class, c"Message".as_ptr())
            };
            let getter = if prop.is_null() {
                std::ptr::null_mut()
            } else {
                (self.property_get_get_method)(prop)
            };
            let mut inner: *mut MonoObject = std::ptr::null_mut();
            let msg = if getter.is_null() {
                std::ptr::null_mut()
            } else {
                (self.runtime_invoke)(getter, exc.get().cast(), std::ptr::null_mut(), &mut inner)
            };
            if msg.is_null() || !inner.is_null() {
                name
            } else {
                format!("{name}: {}", self.read_string(msg))
            }
        };
        ServerError::new("DotNetException", format!("{context}: {message}"))
    }
}

/// The embedded runtime: its API, the root domain, and `System.Array.GetLength`.
pub struct Runtime {
    pub api: &'static Api,
    pub domain: *mut MonoDomain,
    pub get_length: *mut MonoMethod,
}

/// The loadlib dtype of a primitive .NET type code.
pub fn dtype_of(c: c_int) -> Option<DType> {
    Some(match c {
        code::I1 => DType::I8,
        code::U1 => DType::U8,
        code::I2 => DType::I16,
        code::U2 => DType::U16,
        code::I4 => DType::I32,
        code::U4 => DType::U32,
        code::I8 => DType::I64,
        code::U8 => DType::U64,
        code::R4 => DType::F32,
        code::R8 => DType::F64,
        _ => return None,
    })
}

pub fn is_enum(api: &Api, class: *mut MonoClass) -> bool {
    // SAFETY: `class` is a non-null class (checked by the callers).
    unsafe { (api.class_is_enum)(class) != 0 }
}
