//! How a declared parameter or result type passes: by value, by reference, as an array,
//! as a C string, or as an opaque pointer.

use proc_macro2::TokenStream;
use quote::quote;
use syn::{GenericArgument, PathArguments, Type, TypePath};

/// A parameter's kind, with its element or value type.
pub(crate) enum Kind {
    /// `T`: passed as it is.
    Value(Type),
    /// `*const c_void`, `*mut c_void`: an address the library handed out.
    Opaque,
    /// `&T`: a pointer to one value the library reads.
    Ref(Type),
    /// `&mut T`: a pointer to one value the library reads and writes.
    RefMut(Type),
    /// `&[T]`, `*const T`: elements the library reads.
    Slice(Type),
    /// `&mut [T]`, `*mut T`: elements the library writes.
    SliceMut(Type),
    /// `&CStr`, `*const c_char`: a C string.
    Str,
    /// `Option<&T>`.
    OptRef(Type),
    /// `Option<&[T]>`.
    OptSlice(Type),
    /// `Option<&mut [T]>`.
    OptSliceMut(Type),
    /// `Option<&CStr>`.
    OptStr,
}

/// A result's kind.
pub(crate) enum RetKind {
    /// Nothing.
    Void,
    /// A value.
    Value(Type),
    /// `*const c_char`, `&CStr`: a C string, copied.
    Str,
    /// `*const T` / `*mut T` with `#[returns_len(..)]`: elements, copied.
    Array(Type),
}

/// The last segment's name of a path type.
fn last_ident(ty: &Type) -> Option<String> {
    match ty {
        Type::Path(TypePath { qself: None, path }) => {
            path.segments.last().map(|s| s.ident.to_string())
        }
        _ => None,
    }
}

fn is(ty: &Type, names: &[&str]) -> bool {
    last_ident(ty).is_some_and(|n| names.contains(&n.as_str()))
}

/// C's type aliases (`c_int`, …) as the fixed-width types a 32-bit library means by them.
/// `c_long` is not one: it is 8 bytes under x86-64 Linux and 4 elsewhere.
pub(crate) fn normalise(ty: &Type) -> syn::Result<Type> {
    let name = match last_ident(ty) {
        Some(n) => n,
        None => return Ok(ty.clone()),
    };
    let plain =
        match name.as_str() {
            "c_char" | "c_schar" => "i8",
            "c_uchar" => "u8",
            "c_short" => "i16",
            "c_ushort" => "u16",
            "c_int" => "i32",
            "c_uint" => "u32",
            "c_longlong" => "i64",
            "c_ulonglong" => "u64",
            "c_float" => "f32",
            "c_double" => "f64",
            "c_long" | "c_ulong" => return Err(syn::Error::new_spanned(
                ty,
                "`c_long` is 4 bytes in a 32-bit library and on Windows, 8 under 64-bit Linux: \
                 write `i32` (or `i64`) for what the library means",
            )),
            _ => return Ok(ty.clone()),
        };
    Ok(syn::parse_str(plain).expect("a primitive type"))
}

/// The one type argument of `Option<T>`, if `ty` is one.
fn option_of(ty: &Type) -> Option<&Type> {
    let Type::Path(TypePath { qself: None, path }) = ty else {
        return None;
    };
    let seg = path.segments.last()?;
    if seg.ident != "Option" {
        return None;
    }
    let PathArguments::AngleBracketed(args) = &seg.arguments else {
        return None;
    };
    match args.args.first()? {
        GenericArgument::Type(t) if args.args.len() == 1 => Some(t),
        _ => None,
    }
}

/// Classifies a parameter type; `has_len` says whether `#[len(..)]` ties it to a length
/// (a `*const c_char` with one is an array of chars, not a string).
pub(crate) fn classify(ty: &Type, has_len: bool) -> syn::Result<Kind> {
    if let Some(inner) = option_of(ty) {
        return Ok(match classify(inner, has_len)? {
            Kind::Ref(t) => Kind::OptRef(t),
            Kind::Slice(t) => Kind::OptSlice(t),
            Kind::SliceMut(t) => Kind::OptSliceMut(t),
            Kind::Str => Kind::OptStr,
            _ => {
                return Err(syn::Error::new_spanned(
                    ty,
                    "`Option` stands for a pointer that may be null: `Option<&T>`, \
                     `Option<&[T]>`, `Option<&mut [T]>` or `Option<&CStr>`",
                ))
            }
        });
    }
    Ok(match ty {
        Type::Reference(r) => match (&*r.elem, r.mutability.is_some()) {
            (Type::Slice(s), false) => Kind::Slice(normalise(&s.elem)?),
            (Type::Slice(s), true) => Kind::SliceMut(normalise(&s.elem)?),
            (t, false) if is(t, &["CStr"]) => Kind::Str,
            (t, false) => Kind::Ref(normalise(t)?),
            (t, true) => Kind::RefMut(normalise(t)?),
        },
        Type::Ptr(p) => {
            let elem = &*p.elem;
            if is(elem, &["c_void"]) {
                Kind::Opaque
            } else if p.const_token.is_some() && is(elem, &["c_char"]) && !has_len {
                Kind::Str
            } else if p.mutability.is_some() {
                Kind::SliceMut(normalise(elem)?)
            } else {
                Kind::Slice(normalise(elem)?)
            }
        }
        Type::Paren(p) => classify(&p.elem, has_len)?,
        t => Kind::Value(normalise(t)?),
    })
}

/// Classifies a result type; `has_len` says whether `#[returns_len(..)]` gives its
/// length.
pub(crate) fn classify_ret(ty: Option<&Type>, has_len: bool) -> syn::Result<RetKind> {
    let Some(ty) = ty else {
        return Ok(RetKind::Void);
    };
    Ok(match ty {
        Type::Tuple(t) if t.elems.is_empty() => RetKind::Void,
        Type::Reference(r) if r.mutability.is_none() && is(&r.elem, &["CStr"]) => RetKind::Str,
        Type::Ptr(p) if is(&p.elem, &["c_void"]) => {
            RetKind::Value(syn::parse_quote!(::loadlib::foreign::Ptr))
        }
        Type::Ptr(p) if is(&p.elem, &["c_char"]) && !has_len => RetKind::Str,
        Type::Ptr(p) if has_len => RetKind::Array(normalise(&p.elem)?),
        Type::Ptr(_) => RetKind::Value(syn::parse_quote!(::loadlib::foreign::Ptr)),
        Type::Reference(_) => {
            return Err(syn::Error::new_spanned(
                ty,
                "a function cannot return a reference into the server: return a pointer \
                 (`*const T` with `#[returns_len(..)]` copies the data back)",
            ))
        }
        t => RetKind::Value(normalise(t)?),
    })
}

/// The run-time description of `ty`.
pub(crate) fn ctype(ty: &Type) -> TokenStream {
    quote!(<#ty as ::loadlib::foreign::CValue>::ctype())
}
