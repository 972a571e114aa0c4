//! The server's side of [`WireStruct`]s: a struct parameter is a view of its bytes in the
//! request (in place: `&S`, `&[S]`, `&mut [S]`) or a copy of them (`S`, `Vec<S>`); a
//! struct result goes back as its bytes.

use zerocopy::{FromBytes, Immutable, IntoBytes};

use super::args::{Args, FromArg};
use super::reply::{IntoReply, Reply};
use super::ServerError;
use crate::values::array_view::{ArrayMut, Out};
use crate::values::value::{Array, Value};
use crate::values::value_ref::ValueRef;
use crate::values::wire_struct::{self, Mismatch, WireStruct};

fn type_error(m: Mismatch) -> ServerError {
    ServerError::type_error(m.to_string())
}

/// The bytes of argument `index`: a `u8` array (as the client sends structs) or a byte
/// string.
fn bytes<'a, T: WireStruct>(args: &Args<'a>, index: usize) -> Result<&'a [u8], ServerError> {
    let () = T::SAME_ON_EVERY_ABI;
    match args.get(index)? {
        ValueRef::Array(a) if a.dtype() == crate::DType::U8 => Ok(a.as_bytes()),
        ValueRef::ArrayMut(a) if a.dtype() == crate::DType::U8 => Ok(a.into_ref().as_bytes()),
        ValueRef::Bytes(b) => Ok(b),
        other => Err(ServerError::type_error(format!(
            "expected {} as bytes, got {}",
            T::NAME,
            other.type_name()
        ))),
    }
}

/// The bytes of writable argument `index`, as the client sends `&mut S` and `&mut [S]`.
fn bytes_mut<'a, T: WireStruct>(
    args: &Args<'a>,
    index: usize,
) -> Result<&'a mut [u8], ServerError> {
    let () = T::SAME_ON_EVERY_ABI;
    let a = ArrayMut::from_arg(args, index)?;
    let got = a.dtype();
    a.into_slice::<u8>().ok_or_else(|| {
        ServerError::type_error(format!(
            "expected writable {} as bytes, got array<{got}>",
            T::NAME
        ))
    })
}

impl<'a, T: WireStruct + FromBytes> FromArg<'a> for T {
    fn from_arg(args: &Args<'a>, index: usize) -> Result<Self, ServerError> {
        wire_struct::read(bytes::<T>(args, index)?).map_err(type_error)
    }
}

/// A struct parameter by reference, `&S` or `&mut S`: a view of its bytes in the request.
///
/// `FromArg` cannot be implemented for every `&'a T` here, beside the one for every `T`
/// (another crate may implement [`WireStruct`] for a reference to its own type), so
/// `#[derive(CStruct)]` implements `FromArg` for `&'a S` and `&'a mut S` with this trait
/// in its `where` clause: the impl holds when the struct derives zerocopy's traits.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be an `interface!` parameter",
    note = "a struct crosses `interface!` when it derives `loadlib::CStruct` and zerocopy's \
            `FromBytes`, `IntoBytes` and `Immutable` (see `loadlib::WireStruct`)"
)]
pub trait StructRef<'a>: Sized {
    /// Takes argument `index` of `args`.
    fn from_arg(args: &Args<'a>, index: usize) -> Result<Self, ServerError>;
}

impl<'a, T: WireStruct + FromBytes + Immutable> StructRef<'a> for &'a T {
    fn from_arg(args: &Args<'a>, index: usize) -> Result<Self, ServerError> {
        wire_struct::one(bytes::<T>(args, index)?).map_err(type_error)
    }
}

impl<'a, T: WireStruct + FromBytes + IntoBytes> StructRef<'a> for &'a mut T {
    fn from_arg(args: &Args<'a>, index: usize) -> Result<Self, ServerError> {
        wire_struct::one_mut(bytes_mut::<T>(args, index)?).map_err(type_error)
    }
}

impl<'a, T: WireStruct + FromBytes + Immutable> FromArg<'a> for &'a [T] {
    fn from_arg(args: &Args<'a>, index: usize) -> Result<Self, ServerError> {
        wire_struct::slice(bytes::<T>(args, index)?).map_err(type_error)
    }
}

impl<'a, T: WireStruct + FromBytes> FromArg<'a> for Vec<T> {
    fn from_arg(args: &Args<'a>, index: usize) -> Result<Self, ServerError> {
        wire_struct::to_vec(bytes::<T>(args, index)?).map_err(type_error)
    }
}

impl<'a, T: WireStruct + FromBytes + IntoBytes> FromArg<'a> for &'a mut [T] {
    fn from_arg(args: &Args<'a>, index: usize) -> Result<Self, ServerError> {
        wire_struct::slice_mut(bytes_mut::<T>(args, index)?).map_err(type_error)
    }
}

impl<'a, T: WireStruct + FromBytes + IntoBytes> FromArg<'a> for Out<'a, T> {
    fn from_arg(args: &Args<'a>, index: usize) -> Result<Self, ServerError> {
        <&'a mut [T]>::from_arg(args, index).map(Out::new)
    }
}

/// Structs as the reply's `u8` array.
fn reply_of<'a, T: WireStruct + IntoBytes + Immutable>(values: &[T]) -> Reply<'a> {
    let () = T::SAME_ON_EVERY_ABI;
    Reply::Value(Value::Array(Array::from_vec(values.as_bytes().to_vec())))
}

impl<'a, T: WireStruct + IntoBytes + Immutable> IntoReply<'a> for T {
    fn into_reply(self) -> Result<Reply<'a>, ServerError> {
        Ok(reply_of(std::slice::from_ref(&self)))
    }
}

impl<'a, T: WireStruct + IntoBytes + Immutable> IntoReply<'a> for Vec<T> {
    fn into_reply(self) -> Result<Reply<'a>, ServerError> {
        Ok(reply_of(&self))
    }
}
