//! The server's side of Rust types with no wire type of their own: `usize` and `isize`
//! arrive as any integer that fits this server's width (an `OverflowError` names the
//! range otherwise: 32 bits in a 32-bit server), `char` as a `u32` that is a Unicode
//! scalar value, `Vec<String>` as a list of strings; results go back as `u64`, `i64`,
//! `u32` and a list.

use super::args::{Args, FromArg};
use super::reply::{IntoReply, Reply};
use super::ServerError;
use crate::transport::codec::packed_value_ref;
use crate::values::value::Value;
use crate::values::value_ref::ValueRef;

/// Argument `index` as an integer of any width, or the error a non-integer gets.
fn integer(args: &Args<'_>, index: usize, expected: &str) -> Result<i128, ServerError> {
    let v = args.get(index)?;
    v.scalar_bits()
        .and_then(|(d, bits)| crate::values::dtype::int_value(d, bits))
        .ok_or_else(|| {
            ServerError::type_error(format!("expected {expected}, got {}", v.type_name()))
        })
}

/// A packed integer of any width (as `integer` reads it), or `None` for anything else.
#[inline]
fn packed_integer(value: (u8, u64)) -> Option<i128> {
    let (dtype, bits) = packed_value_ref(value)?.scalar_bits()?;
    crate::values::dtype::int_value(dtype, bits)
}

macro_rules! pointer_sized {
    ($($t:ident => $wire:ident),*) => {$(
        impl<'a> FromArg<'a> for $t {
            fn from_arg(args: &Args<'a>, index: usize) -> Result<Self, ServerError> {
                let v = integer(args, index, stringify!($t))?;
                $t::try_from(v).map_err(|_| {
                    ServerError::overflow(format!(
                        "{v} does not fit in {} (range {}..={}) in this {}-bit server",
                        stringify!($t),
                        $t::MIN,
                        $t::MAX,
                        usize::BITS
                    ))
                })
            }

            #[inline]
            fn from_packed(value: (u8, u64)) -> Option<Self> {
                packed_integer(value).and_then(|v| $t::try_from(v).ok())
            }
        }
        impl<'a> IntoReply<'a> for $t {
            fn into_reply(self) -> Result<Reply<'a>, ServerError> {
                Ok(Reply::Value(Value::from(self as $wire)))
            }
        }
    )*};
}
pointer_sized!(usize => u64, isize => i64);

impl<'a> FromArg<'a> for char {
    fn from_arg(args: &Args<'a>, index: usize) -> Result<Self, ServerError> {
        let v = integer(args, index, "char")?;
        u32::try_from(v)
            .ok()
            .and_then(char::from_u32)
            .ok_or_else(|| ServerError::value_error(format!("{v} is not a char")))
    }

    #[inline]
    fn from_packed(value: (u8, u64)) -> Option<Self> {
        packed_integer(value)
            .and_then(|v| u32::try_from(v).ok())
            .and_then(char::from_u32)
    }
}

impl<'a> IntoReply<'a> for char {
    fn into_reply(self) -> Result<Reply<'a>, ServerError> {
        Ok(Reply::Value(Value::from(self as u32)))
    }
}

impl<'a> FromArg<'a> for Vec<String> {
    fn from_arg(args: &Args<'a>, index: usize) -> Result<Self, ServerError> {
        let not_strings =
            |got: String| ServerError::type_error(format!("expected a list of strings, got {got}"));
        match args.get(index)? {
            ValueRef::List(items) => items
                .iter()
                .map(|v| match v {
                    Value::Str(s) => Ok(s.clone()),
                    other => Err(not_strings(format!("a list holding {}", other.type_name()))),
                })
                .collect(),
            other => Err(not_strings(other.type_name())),
        }
    }
}

impl<'a> IntoReply<'a> for Vec<String> {
    fn into_reply(self) -> Result<Reply<'a>, ServerError> {
        Ok(Reply::Value(Value::List(
            self.into_iter().map(Value::Str).collect(),
        )))
    }
}
