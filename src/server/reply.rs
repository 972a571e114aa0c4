//! What a wrapper method returns: anything that converts into a [`Reply`].

use super::{OutArray, ServerError};
use crate::transport::codec::{scalar_type, BOOL_TYPE, NONE_TYPE};
use crate::values::dtype::Element;
use crate::values::value::{Array, Value};
use crate::values::value_ref::{ArrayRef, ValueRef};

/// A method's result: owned, or borrowed from its arguments (sent back with no
/// intermediate copy).
// The borrowed variant holds an inline array shape; boxing it would allocate per call.
#[allow(clippy::large_enum_variant)]
pub enum Reply<'a> {
    /// An owned value.
    Value(Value),
    /// A value borrowed from the request.
    Ref(ValueRef<'a>),
    /// An array the wrapper wrote in place in the reply's shared memory, or on the heap
    /// ([`OutVec`](super::OutVec)).
    Out(OutArray),
}

impl Reply<'_> {
    /// The value to encode.
    pub fn as_value_ref(&self) -> ValueRef<'_> {
        match self {
            Reply::Value(v) => ValueRef::from(v),
            Reply::Ref(r) => r.reborrow(),
            Reply::Out(a) => ValueRef::Array(a.as_array_ref()),
        }
    }
}

/// A return type of a wrapper method.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be the result of an `interface!` function",
    label = "not an interface result type",
    note = "results are numbers, bool, char, usize/isize, String/&str, Vec<String>, Vec<T> or OutVec<T> \
            of numbers, Array/ArrayRef, Value/ValueRef/Reply, Option<R>, tuples of values, \
            and structs (the README's table lists them)",
    note = "a struct crosses when it derives `loadlib::CStruct` and zerocopy's `FromBytes`, \
            `IntoBytes` and `Immutable` (see `loadlib::WireStruct`)"
)]
pub trait IntoReply<'a> {
    /// Whether the result may be written in place ([`OutVec`](super::OutVec)): a call of
    /// such a function does not take the small-call path, which lends no memory.
    #[doc(hidden)]
    const IN_PLACE: bool = false;
    /// Whether the result is always one scalar, `bool` or nothing, which
    /// [`into_packed`](Self::into_packed) gives packed (a small call's reply, made with
    /// no [`Reply`]).
    #[doc(hidden)]
    const PACKED: bool = false;
    /// Converts; an `Err` becomes the client's `Server32Error`.
    fn into_reply(self) -> Result<Reply<'a>, ServerError>;
    /// The result's type byte and bits as a packed block holds them; only called when
    /// [`PACKED`](Self::PACKED) (otherwise a none).
    #[doc(hidden)]
    #[inline(always)]
    fn into_packed(self) -> (u8, u64)
    where
        Self: Sized,
    {
        (NONE_TYPE, 0)
    }
}

impl<'a> IntoReply<'a> for Reply<'a> {
    fn into_reply(self) -> Result<Reply<'a>, ServerError> {
        Ok(self)
    }
}

impl<'a> IntoReply<'a> for ValueRef<'a> {
    fn into_reply(self) -> Result<Reply<'a>, ServerError> {
        Ok(Reply::Ref(self))
    }
}

impl<'a> IntoReply<'a> for ArrayRef<'a> {
    fn into_reply(self) -> Result<Reply<'a>, ServerError> {
        Ok(Reply::Ref(ValueRef::Array(self)))
    }
}

impl<'a, T: IntoReply<'a>, E: Into<ServerError>> IntoReply<'a> for Result<T, E> {
    const IN_PLACE: bool = T::IN_PLACE;
    fn into_reply(self) -> Result<Reply<'a>, ServerError> {
        self.map_err(Into::into)?.into_reply()
    }
}

impl<'a, T: IntoReply<'a>> IntoReply<'a> for Option<T> {
    const IN_PLACE: bool = T::IN_PLACE;
    fn into_reply(self) -> Result<Reply<'a>, ServerError> {
        match self {
            Some(v) => v.into_reply(),
            None => Ok(Reply::Value(Value::None)),
        }
    }
}

macro_rules! owned_reply {
    ($($t:ty),*) => {$(
        impl<'a> IntoReply<'a> for $t {
            fn into_reply(self) -> Result<Reply<'a>, ServerError> {
                Ok(Reply::Value(Value::from(self)))
            }
        }
    )*};
}
owned_reply!(Value, Array, String, &str);

macro_rules! scalar_reply {
    ($($t:ty),*) => {$(
        impl<'a> IntoReply<'a> for $t {
            const PACKED: bool = true;
            fn into_reply(self) -> Result<Reply<'a>, ServerError> {
                Ok(Reply::Value(Value::from(self)))
            }
            #[inline(always)]
            fn into_packed(self) -> (u8, u64) {
                (scalar_type(<$t as Element>::DTYPE), <$t as Element>::to_bits(self))
            }
        }
    )*};
}
scalar_reply!(i8, i16, i32, i64, u8, u16, u32, u64, f32, f64);

impl<'a> IntoReply<'a> for bool {
    const PACKED: bool = true;
    fn into_reply(self) -> Result<Reply<'a>, ServerError> {
        Ok(Reply::Value(Value::Bool(self)))
    }
    #[inline(always)]
    fn into_packed(self) -> (u8, u64) {
        (BOOL_TYPE, self as u64)
    }
}
owned_reply!(
    Vec<i8>,
    Vec<i16>,
    Vec<i32>,
    Vec<i64>,
    Vec<u8>,
    Vec<u16>,
    Vec<u32>,
    Vec<u64>,
    Vec<f32>,
    Vec<f64>
);

impl<'a> IntoReply<'a> for () {
    const PACKED: bool = true;
    fn into_reply(self) -> Result<Reply<'a>, ServerError> {
        Ok(Reply::Value(Value::None))
    }
    #[inline(always)]
    fn into_packed(self) -> (u8, u64) {
        (NONE_TYPE, 0)
    }
}

impl<'a> IntoReply<'a> for Vec<Value> {
    fn into_reply(self) -> Result<Reply<'a>, ServerError> {
        Ok(Reply::Value(Value::List(self)))
    }
}

macro_rules! tuple_reply {
    ($($t:ident),*) => {
        impl<'a, $($t: Into<Value>),*> IntoReply<'a> for ($($t,)*) {
            #[allow(non_snake_case)]
            fn into_reply(self) -> Result<Reply<'a>, ServerError> {
                let ($($t,)*) = self;
                Ok(Reply::Value(Value::List(vec![$($t.into()),*])))
            }
        }
    };
}
tuple_reply!(A, B);
tuple_reply!(A, B, C);
tuple_reply!(A, B, C, D);
tuple_reply!(A, B, C, D, E);
tuple_reply!(A, B, C, D, E, F);
