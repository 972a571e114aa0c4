//! The typed client's side of [`WireStruct`]s: a struct parameter is lent as its bytes (a
//! `u8` array, read in place by the server), and a struct result is copied out of the
//! reply's bytes.
//!
//! | interface parameter | the client passes |
//! |---|---|
//! | `S`, `&S` | `&S` |
//! | `&mut S` | `&mut S` (sent, and copied back when the reply arrives) |
//! | `&[S]`, `Vec<S>` | `&[S]`, `&Vec<S>`, `&[S; N]` |
//! | `&mut [S]` | `&mut [S]`, `&mut Vec<S>`, `&mut [S; N]` (sent, and copied back) |
//! | `Out<'_, S>` | `&mut [S]`, `&mut Vec<S>`, `&mut [S; N]` (only copied back) |

use zerocopy::{FromBytes, Immutable, IntoBytes};

use super::typed::{Arg, ArgList, Returns};
use super::FromValue;
use crate::error::{Error, Result};
use crate::values::array_view::{ArrayMut, ArrayRef, Out};
use crate::values::value::Value;
use crate::values::value_ref::ValueRef;
use crate::values::wire_struct::{self, WireStruct};

/// Bytes of structs, read-only, as the argument that carries them.
fn lend<'c, T: WireStruct + IntoBytes + Immutable>(values: &'c [T]) -> ValueRef<'c> {
    let () = T::SAME_ON_EVERY_ABI;
    ValueRef::Array(ArrayRef::from_slice::<u8>(values.as_bytes()))
}

/// Bytes of structs, writable: sent and copied back (`copy_in`), or only copied back.
fn lend_mut<'c, T: WireStruct + FromBytes + IntoBytes>(
    values: &'c mut [T],
    copy_in: bool,
) -> ValueRef<'c> {
    let () = T::SAME_ON_EVERY_ABI;
    let bytes = values.as_mut_bytes();
    ValueRef::ArrayMut(if copy_in {
        ArrayMut::from_slice::<u8>(bytes)
    } else {
        ArrayMut::output::<u8>(bytes)
    })
}

/// A struct by value or by reference: the client lends it.
macro_rules! one {
    ($($p:ty),*) => {$(
        impl<'c, T: WireStruct + IntoBytes + Immutable + 'static> Arg<'c, $p> for &'c T {
            fn push_to(self, args: &mut ArgList<'c>) {
                args.push(lend(std::slice::from_ref(self)));
            }
        }
    )*};
}
one!(fn(T), fn(&'static T));

impl<'c, T: WireStruct + FromBytes + IntoBytes + 'static> Arg<'c, fn(&'static mut T)>
    for &'c mut T
{
    fn push_to(self, args: &mut ArgList<'c>) {
        args.push(lend_mut(std::slice::from_mut(self), true));
    }
}

/// Structs in a slice, `Vec` or array, read-only.
macro_rules! many {
    ($($p:ty),*) => {$(
        impl<'c, T: WireStruct + IntoBytes + Immutable + 'static> Arg<'c, $p> for &'c [T] {
            fn push_to(self, args: &mut ArgList<'c>) {
                args.push(lend(self));
            }
        }
        impl<'c, T: WireStruct + IntoBytes + Immutable + 'static> Arg<'c, $p> for &'c Vec<T> {
            fn push_to(self, args: &mut ArgList<'c>) {
                args.push(lend(self));
            }
        }
        impl<'c, T: WireStruct + IntoBytes + Immutable + 'static, const N: usize> Arg<'c, $p>
            for &'c [T; N]
        {
            fn push_to(self, args: &mut ArgList<'c>) {
                args.push(lend(self));
            }
        }
    )*};
}
many!(fn(&'static [T]), fn(Vec<T>));

/// Structs in a writable slice, `Vec` or array: sent and copied back (`true`), or only
/// copied back (`false`).
macro_rules! many_mut {
    ($($copy_in:literal: $p:ty),*) => {$(
        impl<'c, T: WireStruct + FromBytes + IntoBytes + 'static> Arg<'c, $p> for &'c mut [T] {
            fn push_to(self, args: &mut ArgList<'c>) {
                args.push(lend_mut(self, $copy_in));
            }
        }
        impl<'c, T: WireStruct + FromBytes + IntoBytes + 'static> Arg<'c, $p> for &'c mut Vec<T> {
            fn push_to(self, args: &mut ArgList<'c>) {
                args.push(lend_mut(self, $copy_in));
            }
        }
        impl<'c, T: WireStruct + FromBytes + IntoBytes + 'static, const N: usize> Arg<'c, $p>
            for &'c mut [T; N]
        {
            fn push_to(self, args: &mut ArgList<'c>) {
                args.push(lend_mut(self, $copy_in));
            }
        }
    )*};
}
many_mut!(true: fn(&'static mut [T]), false: fn(Out<'static, T>));

/// The bytes of a reply that carries structs: a `u8` array or a byte string.
fn reply_bytes<'v, T: WireStruct>(v: &'v Value, what: &str) -> Result<&'v [u8]> {
    match v {
        Value::Array(a) if a.dtype() == crate::DType::U8 => Ok(a.as_bytes()),
        Value::Bytes(b) => Ok(b),
        other => Err(Error::ReplyType {
            expected: format!("{what} {}", T::NAME),
            got: other.type_name(),
        }),
    }
}

fn bad_reply(m: wire_struct::Mismatch) -> Error {
    Error::ReplyType {
        expected: m.expected,
        got: m.got,
    }
}

impl<T: WireStruct + FromBytes> FromValue for T {
    fn from_value(v: Value) -> Result<Self> {
        let () = T::SAME_ON_EVERY_ABI;
        wire_struct::read(reply_bytes::<T>(&v, "a")?).map_err(bad_reply)
    }
}

impl<T: WireStruct + FromBytes> FromValue for Vec<T> {
    fn from_value(v: Value) -> Result<Self> {
        let () = T::SAME_ON_EVERY_ABI;
        wire_struct::to_vec(reply_bytes::<T>(&v, "structs")?).map_err(bad_reply)
    }
}

impl<T: WireStruct + FromBytes> Returns for T {
    type Output = T;
}

impl<T: WireStruct + FromBytes> Returns for Vec<T> {
    type Output = Vec<T>;
}
