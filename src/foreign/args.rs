//! What the methods [`foreign!`](crate::foreign!) generates accept for each kind of
//! parameter, and how each writes itself into a call.
//!
//! | declared parameter | the caller passes |
//! |---|---|
//! | a number, `bool`, [`Logical`](super::Logical), [`Ptr`](super::Ptr), a struct | the value |
//! | `&T` (by reference, read) | a `T` or a `&T` |
//! | `&mut T` (by reference, read and written) | `&mut T` |
//! | `&[T]`, `*const T` | `&[T]`, `&Vec<T>`, `&[T; N]` (copied into the request), `&SharedArray<T>` (read in place) |
//! | `&mut [T]`, `*mut T` | `&mut [T]`, `&mut Vec<T>`, `&mut [T; N]`, `Out<T>` (copied there and back), `&mut SharedArray<T>` (written in place) |
//! | `#[out] &mut [T]` | the same; only the length is sent |
//! | `&CStr`, `*const c_char` | `&str`, `&String`, `&CStr`, `&CString`, `&[u8]` (a NUL is added) |

use std::borrow::Borrow;
use std::ffi::{CStr, CString};

use super::encode::Encoder;
use super::library::Lease;
use super::returned::Returned;
use super::values::{CDecode, CValue};
use crate::client::SharedArray;
use crate::error::Result;
use crate::values::dtype::Element;

/// What the caller passes for an array parameter the library reads.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot pass as an array of `{T}` the library reads",
    note = "pass `&[{T}]`, `&Vec<{T}>`, `&[{T}; N]` or `&SharedArray<{T}>`"
)]
pub trait InArray<T> {
    /// Elements passed.
    fn len(&self) -> usize;
    /// Whether none are.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Writes it as parameter `i` of the call `lease` is for (a value lent to the call in
    /// place, a shared array, must be borrowed until the call is over: `Self: 'call`).
    fn put<'call>(&self, enc: &mut Encoder<'_>, i: usize, lease: Lease<'call>) -> Result<()>
    where
        Self: 'call;
}

impl<T: CValue> InArray<T> for &[T] {
    fn len(&self) -> usize {
        <[T]>::len(self)
    }
    fn put<'call>(&self, enc: &mut Encoder<'_>, i: usize, _lease: Lease<'call>) -> Result<()>
    where
        Self: 'call,
    {
        let slot = enc.slot(i);
        enc.pointer_to_values(slot, self)
    }
}

impl<T: CValue> InArray<T> for &Vec<T> {
    fn len(&self) -> usize {
        Vec::len(self)
    }
    fn put<'call>(&self, enc: &mut Encoder<'_>, i: usize, lease: Lease<'call>) -> Result<()>
    where
        Self: 'call,
    {
        self.as_slice().put(enc, i, lease)
    }
}

impl<T: CValue, const N: usize> InArray<T> for &[T; N] {
    fn len(&self) -> usize {
        N
    }
    fn put<'call>(&self, enc: &mut Encoder<'_>, i: usize, lease: Lease<'call>) -> Result<()>
    where
        Self: 'call,
    {
        self.as_slice().put(enc, i, lease)
    }
}

impl<T: CValue + Element> InArray<T> for &SharedArray<T> {
    fn len(&self) -> usize {
        <[T]>::len(self)
    }
    fn put<'call>(&self, enc: &mut Encoder<'_>, i: usize, lease: Lease<'call>) -> Result<()>
    where
        Self: 'call,
    {
        let slot = enc.slot(i);
        let s: crate::SharedRef<'call> = (*self).into();
        enc.shared(slot, &s, lease)
    }
}

/// Bytes for an array of C `char`s (`*const c_char` with a length).
impl InArray<i8> for &[u8] {
    fn len(&self) -> usize {
        <[u8]>::len(self)
    }
    fn put<'call>(&self, enc: &mut Encoder<'_>, i: usize, _lease: Lease<'call>) -> Result<()>
    where
        Self: 'call,
    {
        let slot = enc.slot(i);
        enc.pointer_to_bytes(slot, self)
    }
}

/// A string's bytes for an array of C `char`s (`*const c_char` with a length).
impl InArray<i8> for &str {
    fn len(&self) -> usize {
        str::len(self)
    }
    fn put<'call>(&self, enc: &mut Encoder<'_>, i: usize, lease: Lease<'call>) -> Result<()>
    where
        Self: 'call,
    {
        InArray::<i8>::put(&self.as_bytes(), enc, i, lease)
    }
}

/// What the caller passes for an array parameter the library writes (and reads first,
/// unless declared `#[out]`).
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot pass as an array of `{T}` the library writes",
    note = "pass `&mut [{T}]`, `&mut Vec<{T}>`, `&mut [{T}; N]` or `&mut SharedArray<{T}>`"
)]
pub trait OutArray<T> {
    /// Elements passed.
    fn len(&self) -> usize;
    /// Whether none are.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Writes it as parameter `i` of the call `lease` is for; its contents go too when
    /// `copy_in` (a value lent to the call in place, a shared array, must be borrowed
    /// until the call is over: `Self: 'call`).
    fn put<'call>(
        &self,
        enc: &mut Encoder<'_>,
        i: usize,
        copy_in: bool,
        lease: Lease<'call>,
    ) -> Result<()>
    where
        Self: 'call;
    /// Takes what the library wrote, from writable buffer `k` of the call.
    fn take_back(&mut self, ret: &Returned<'_>, k: usize) -> Result<()>;
}

impl<T: CDecode> OutArray<T> for &mut [T] {
    fn len(&self) -> usize {
        <[T]>::len(self)
    }
    fn put<'call>(
        &self,
        enc: &mut Encoder<'_>,
        i: usize,
        copy_in: bool,
        _lease: Lease<'call>,
    ) -> Result<()>
    where
        Self: 'call,
    {
        let slot = enc.slot(i);
        enc.buffer_of(slot, self, copy_in)
    }
    fn take_back(&mut self, ret: &Returned<'_>, k: usize) -> Result<()> {
        ret.read_back(k, self)
    }
}

impl<T: CDecode> OutArray<T> for &mut Vec<T> {
    fn len(&self) -> usize {
        Vec::len(self)
    }
    fn put<'call>(
        &self,
        enc: &mut Encoder<'_>,
        i: usize,
        copy_in: bool,
        _lease: Lease<'call>,
    ) -> Result<()>
    where
        Self: 'call,
    {
        let slot = enc.slot(i);
        enc.buffer_of(slot, self, copy_in)
    }
    fn take_back(&mut self, ret: &Returned<'_>, k: usize) -> Result<()> {
        ret.read_back(k, self)
    }
}

impl<T: CDecode, const N: usize> OutArray<T> for &mut [T; N] {
    fn len(&self) -> usize {
        N
    }
    fn put<'call>(
        &self,
        enc: &mut Encoder<'_>,
        i: usize,
        copy_in: bool,
        _lease: Lease<'call>,
    ) -> Result<()>
    where
        Self: 'call,
    {
        let slot = enc.slot(i);
        enc.buffer_of(slot, &self[..], copy_in)
    }
    fn take_back(&mut self, ret: &Returned<'_>, k: usize) -> Result<()> {
        ret.read_back(k, &mut self[..])
    }
}

impl<T: CDecode + Element> OutArray<T> for &mut SharedArray<T> {
    fn len(&self) -> usize {
        <[T]>::len(self)
    }
    fn put<'call>(
        &self,
        enc: &mut Encoder<'_>,
        i: usize,
        _copy_in: bool,
        lease: Lease<'call>,
    ) -> Result<()>
    where
        Self: 'call,
    {
        let slot = enc.slot(i);
        // SAFETY: `Self` is a `&'p mut SharedArray` with `'p: 'call`: the array is
        // borrowed mutably until the call is over, and only through this value, which the
        // call's steps use for nothing else while the server may write it.
        let s: crate::SharedRef<'call> = unsafe { (**self).lent(true) };
        enc.shared(slot, &s, lease)
    }
    fn take_back(&mut self, _ret: &Returned<'_>, _k: usize) -> Result<()> {
        Ok(()) // written in place
    }
}

/// A result buffer, as in typed interfaces: what the library writes is copied into it.
impl<T: CDecode> OutArray<T> for crate::Out<'_, T> {
    fn len(&self) -> usize {
        <[T]>::len(self)
    }
    fn put<'call>(
        &self,
        enc: &mut Encoder<'_>,
        i: usize,
        copy_in: bool,
        _lease: Lease<'call>,
    ) -> Result<()>
    where
        Self: 'call,
    {
        let slot = enc.slot(i);
        enc.buffer_of(slot, self, copy_in)
    }
    fn take_back(&mut self, ret: &Returned<'_>, k: usize) -> Result<()> {
        ret.read_back(k, self)
    }
}

/// A byte buffer for an array of C `char`s the library writes (`*mut c_char`).
impl OutArray<i8> for &mut [u8] {
    fn len(&self) -> usize {
        <[u8]>::len(self)
    }
    fn put<'call>(
        &self,
        enc: &mut Encoder<'_>,
        i: usize,
        copy_in: bool,
        _lease: Lease<'call>,
    ) -> Result<()>
    where
        Self: 'call,
    {
        let slot = enc.slot(i);
        enc.buffer_of::<u8>(slot, self, copy_in)
    }
    fn take_back(&mut self, ret: &Returned<'_>, k: usize) -> Result<()> {
        ret.read_back::<u8>(k, self)
    }
}

/// What the caller passes for a C string parameter: the bytes, to which a NUL is added.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot pass as a C string",
    note = "pass `&str`, `&String`, `&CStr`, `&CString` or `&[u8]`"
)]
pub trait CStrArg {
    /// The string's bytes, without a terminating NUL.
    fn c_bytes(&self) -> &[u8];
}

impl CStrArg for &str {
    fn c_bytes(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl CStrArg for &String {
    fn c_bytes(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl CStrArg for &CStr {
    fn c_bytes(&self) -> &[u8] {
        self.to_bytes()
    }
}

impl CStrArg for &CString {
    fn c_bytes(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl CStrArg for &[u8] {
    fn c_bytes(&self) -> &[u8] {
        self
    }
}

/// Writes a value passed by reference (`&T`) as parameter `i`.
#[doc(hidden)]
pub fn put_ref<T: CValue>(enc: &mut Encoder<'_>, i: usize, v: &impl Borrow<T>) -> Result<()> {
    let slot = enc.slot(i);
    enc.pointer_to_values(slot, std::slice::from_ref(v.borrow()))
}

/// Writes a value passed by mutable reference (`&mut T`) as parameter `i`; its value
/// goes too when `copy_in`.
#[doc(hidden)]
pub fn put_mut<T: CValue>(enc: &mut Encoder<'_>, i: usize, v: &T, copy_in: bool) -> Result<()> {
    let slot = enc.slot(i);
    enc.buffer_of(slot, std::slice::from_ref(v), copy_in)
}

/// Checks, before a call, that array argument `param` of `function` holds the elements
/// its declared length `expr` (= `need`) says the library uses. `None`: a null pointer.
#[doc(hidden)]
pub fn check_len(
    function: &str,
    param: &str,
    have: Option<usize>,
    need: i128,
    expr: &str,
) -> Result<()> {
    let Some(have) = have else {
        return Ok(()); // null: the library is told so by the length too
    };
    if need < 0 {
        return Err(crate::Error::InvalidArgument(format!(
            "argument `{param}` of `{function}`: its length `{expr}` is {need}"
        )));
    }
    if (have as i128) < need {
        return Err(crate::Error::InvalidArgument(format!(
            "argument `{param}` of `{function}` holds {have} elements, but its length `{expr}` is {need}"
        )));
    }
    Ok(())
}

/// Writes a C string as parameter `i`.
#[doc(hidden)]
pub fn put_str(enc: &mut Encoder<'_>, i: usize, s: &impl CStrArg) -> Result<()> {
    let slot = enc.slot(i);
    enc.pointer_to_cstr(slot, s.c_bytes())
}

/// Writes a nullable C string as parameter `i`.
#[doc(hidden)]
pub fn put_opt_str(enc: &mut Encoder<'_>, i: usize, s: Option<&impl CStrArg>) -> Result<()> {
    match s {
        Some(s) => put_str(enc, i, s),
        None => {
            let slot = enc.slot(i);
            enc.write_address(slot, 0)
        }
    }
}
