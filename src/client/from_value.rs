//! Converting a reply into the Rust type the caller asked for.

use crate::error::{Error, Result};
use crate::transport::codec::{scalar_type, unpacked_value};
use crate::values::dtype::Element;
use crate::values::value::{Array, Value};

/// A type a reply can be converted into, as in `client.request32::<f64>(…)`.
///
/// Numbers convert without loss (any integer that fits, `f32` to `f64`); `Vec<T>` takes
/// an array of exactly `T` (flattened); [`Value`] takes anything.
pub trait FromValue: Sized {
    /// Converts, or says what arrived instead.
    fn from_value(v: Value) -> Result<Self>;

    /// Converts a scalar reply as it arrived packed: its type byte (checked) and bits.
    #[doc(hidden)]
    #[inline]
    fn from_packed(ty: u8, bits: u64) -> Result<Self> {
        Self::from_value(packed_value(ty, bits)?)
    }

    /// A packed scalar reply of exactly this type (`None` for any other type byte, which
    /// [`from_packed`](Self::from_packed) then converts or refuses): the small call's
    /// lean path, with no `Result` made.
    #[doc(hidden)]
    #[inline(always)]
    fn from_packed_exact(ty: u8, bits: u64) -> Option<Self> {
        let _ = (ty, bits);
        None
    }
}

/// The value of a packed scalar's type byte and bits; a type byte no packed block holds
/// is a protocol error.
pub(in crate::client) fn packed_value(ty: u8, bits: u64) -> Result<Value> {
    unpacked_value(ty, bits)
        .ok_or_else(|| Error::Protocol(format!("a packed value of type byte {ty:#04x}")))
}

fn wrong<T>(expected: &str, v: &Value) -> Result<T> {
    Err(Error::ReplyType {
        expected: expected.into(),
        got: v.type_name(),
    })
}

impl FromValue for Value {
    fn from_value(v: Value) -> Result<Self> {
        Ok(v)
    }
}

impl FromValue for () {
    fn from_value(v: Value) -> Result<Self> {
        match v {
            Value::None => Ok(()),
            other => wrong("None", &other),
        }
    }
}

impl FromValue for bool {
    fn from_value(v: Value) -> Result<Self> {
        match v {
            Value::Bool(b) => Ok(b),
            other => wrong("bool", &other),
        }
    }
}

impl FromValue for String {
    fn from_value(v: Value) -> Result<Self> {
        match v {
            Value::Str(s) => Ok(s),
            other => wrong("str", &other),
        }
    }
}

impl FromValue for Array {
    fn from_value(v: Value) -> Result<Self> {
        match v {
            Value::Array(a) => Ok(a),
            other => wrong("an array", &other),
        }
    }
}

impl<T: FromValue> FromValue for Option<T> {
    fn from_value(v: Value) -> Result<Self> {
        match v {
            Value::None => Ok(None),
            other => T::from_value(other).map(Some),
        }
    }
}

macro_rules! numeric_from_value {
    ($t:ident, $v:ident) => {
        impl FromValue for $t {
            fn from_value(v: Value) -> Result<Self> {
                v.scalar_bits()
                    .and_then(|(d, bits)| <$t as Element>::from_scalar(d, bits))
                    .map_or_else(|| wrong(stringify!($t), &v), Ok)
            }
            #[inline(always)]
            fn from_packed_exact(ty: u8, bits: u64) -> Option<Self> {
                (ty == scalar_type(<$t as Element>::DTYPE))
                    .then(|| <$t as Element>::from_bits(bits))
            }
            #[inline]
            fn from_packed(ty: u8, bits: u64) -> Result<Self> {
                match ty == scalar_type(<$t as Element>::DTYPE) {
                    true => Ok(<$t as Element>::from_bits(bits)),
                    false => Self::from_value(packed_value(ty, bits)?),
                }
            }
        }
        impl FromValue for Vec<$t> {
            fn from_value(v: Value) -> Result<Self> {
                match v {
                    Value::Array(a) => a.into_vec::<$t>().or_else(|a| {
                        wrong(concat!("an array of ", stringify!($t)), &Value::Array(a))
                    }),
                    Value::Bytes(b) => <$t as Element>::vec_of(
                        crate::values::value::ArrayData::U8(b),
                    )
                    .or_else(|d| {
                        wrong(
                            concat!("an array of ", stringify!($t)),
                            &Value::Array(Array::from_data(vec![d.len()], d).expect("1-D")),
                        )
                    }),
                    other => wrong(concat!("an array of ", stringify!($t)), &other),
                }
            }
        }
    };
}
crate::for_each_dtype!(numeric_from_value);

impl FromValue for Vec<Value> {
    fn from_value(v: Value) -> Result<Self> {
        match v {
            Value::List(l) => Ok(l),
            other => wrong("list", &other),
        }
    }
}

macro_rules! tuple_from_value {
    ($n:literal: $($t:ident),*) => {
        impl<$($t: FromValue),*> FromValue for ($($t,)*) {
            #[allow(non_snake_case)]
            fn from_value(v: Value) -> Result<Self> {
                match v {
                    Value::List(l) if l.len() == $n => {
                        let mut it = l.into_iter();
                        $(let $t = $t::from_value(it.next().expect("length checked"))?;)*
                        Ok(($($t,)*))
                    }
                    other => wrong(concat!("a list of ", $n), &other),
                }
            }
        }
    };
}
tuple_from_value!(2: A, B);
tuple_from_value!(3: A, B, C);
tuple_from_value!(4: A, B, C, D);
tuple_from_value!(5: A, B, C, D, E);
tuple_from_value!(6: A, B, C, D, E, F);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::values::dtype::DType;

    #[test]
    fn a_packed_scalar_converts_and_an_unknown_type_byte_is_an_error() {
        let i32_ty = scalar_type(DType::I32);
        assert_eq!(i32::from_packed(i32_ty, 5).unwrap(), 5);
        // Another width: the general conversion.
        assert_eq!(i64::from_packed(i32_ty, (-3i32) as u32 as u64).unwrap(), -3);
        assert!(matches!(
            u8::from_packed(i32_ty, 300),
            Err(Error::ReplyType { .. })
        ));
        assert!(matches!(i32::from_packed(0x7F, 0), Err(Error::Protocol(_))));
        assert!(matches!(
            Value::from_packed(0x7F, 0),
            Err(Error::Protocol(_))
        ));
    }
}
