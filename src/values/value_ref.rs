//! Borrowed values: what a client sends (borrowing the caller's data) and what a server
//! method receives (borrowing the shared segment, no copy).

use std::borrow::Cow;

pub(crate) use crate::values::array_view::{ArrayMut, ArrayRef, Out, Shape, SharedRef};
use crate::values::dtype::{DType, Element};
use crate::values::value::{Array, Value};

/// A value borrowed from its owner: the argument type of requests and what server
/// methods receive.
///
/// Anything that converts into it can be an argument:
/// ```
/// use loadlib::ValueRef;
/// let v = [1.5f64, 2.5];
/// let args: [ValueRef; 4] = [3i32.into(), "text".into(), (&v[..]).into(), ValueRef::None];
/// assert!(matches!(args[2], ValueRef::Array(_)));
/// ```
#[derive(Debug)]
#[allow(missing_docs)]
pub enum ValueRef<'a> {
    None,
    Bool(bool),
    I8(i8),
    I16(i16),
    I32(i32),
    I64(i64),
    U8(u8),
    U16(u16),
    U32(u32),
    U64(u64),
    F32(f32),
    F64(f64),
    Str(&'a str),
    Bytes(&'a [u8]),
    Array(ArrayRef<'a>),
    /// A writable array: on the server, in shared memory; on the client, the caller's
    /// slice, copied into the request (unless [`ArrayMut::output`]) and back from it.
    ArrayMut(ArrayMut<'a>),
    /// A client-allocated shared array (client side only), borrowed for `'a`.
    Shared(SharedRef<'a>),
    List(Cow<'a, [Value]>),
    Map(Cow<'a, [(String, Value)]>),
}

impl<'a> ValueRef<'a> {
    /// A byte string (as opposed to `&[u8]`, which converts to a `u8` array).
    pub fn bytes(b: &'a [u8]) -> Self {
        ValueRef::Bytes(b)
    }

    /// The numeric scalar of `dtype` with these bits.
    pub fn from_scalar_bits(dtype: DType, bits: u64) -> ValueRef<'static> {
        match dtype {
            DType::I8 => ValueRef::I8(Element::from_bits(bits)),
            DType::I16 => ValueRef::I16(Element::from_bits(bits)),
            DType::I32 => ValueRef::I32(Element::from_bits(bits)),
            DType::I64 => ValueRef::I64(Element::from_bits(bits)),
            DType::U8 => ValueRef::U8(Element::from_bits(bits)),
            DType::U16 => ValueRef::U16(Element::from_bits(bits)),
            DType::U32 => ValueRef::U32(Element::from_bits(bits)),
            DType::U64 => ValueRef::U64(Element::from_bits(bits)),
            DType::F32 => ValueRef::F32(Element::from_bits(bits)),
            DType::F64 => ValueRef::F64(Element::from_bits(bits)),
        }
    }

    /// The scalar's dtype and bits, if this is a numeric scalar.
    pub fn scalar_bits(&self) -> Option<(DType, u64)> {
        Some(match *self {
            ValueRef::I8(v) => (DType::I8, Element::to_bits(v)),
            ValueRef::I16(v) => (DType::I16, Element::to_bits(v)),
            ValueRef::I32(v) => (DType::I32, Element::to_bits(v)),
            ValueRef::I64(v) => (DType::I64, Element::to_bits(v)),
            ValueRef::U8(v) => (DType::U8, Element::to_bits(v)),
            ValueRef::U16(v) => (DType::U16, Element::to_bits(v)),
            ValueRef::U32(v) => (DType::U32, Element::to_bits(v)),
            ValueRef::U64(v) => (DType::U64, Element::to_bits(v)),
            ValueRef::F32(v) => (DType::F32, Element::to_bits(v)),
            ValueRef::F64(v) => (DType::F64, Element::to_bits(v)),
            _ => return None,
        })
    }

    /// A short name of the value's type, e.g. `i32`, `str`, `array<f64; 2-D>`.
    pub fn type_name(&self) -> String {
        match self {
            ValueRef::Array(a) => format!("array<{}; {}-D>", a.dtype(), a.shape().rank()),
            ValueRef::ArrayMut(a) => format!("array<{}; {}-D>", a.dtype(), a.shape().rank()),
            ValueRef::Shared(s) => format!("array<{}; {}-D>", s.dtype, s.shape.rank()),
            ValueRef::Str(_) => "str".into(),
            ValueRef::Bytes(_) => "bytes".into(),
            ValueRef::List(_) => "list".into(),
            ValueRef::Map(_) => "map".into(),
            ValueRef::None => "None".into(),
            ValueRef::Bool(_) => "bool".into(),
            other => other
                .scalar_bits()
                .map(|(d, _)| d.name())
                .unwrap_or("?")
                .into(),
        }
    }

    /// An owned copy.
    pub fn to_value(&self) -> Value {
        match self {
            ValueRef::None | ValueRef::Shared(_) => Value::None,
            ValueRef::Bool(b) => Value::Bool(*b),
            ValueRef::Str(s) => Value::Str((*s).to_owned()),
            ValueRef::Bytes(b) => Value::Bytes(b.to_vec()),
            ValueRef::Array(a) => Value::Array(a.to_array()),
            ValueRef::ArrayMut(a) => Value::Array(a.as_ref().to_array()),
            ValueRef::List(l) => Value::List(l.to_vec()),
            ValueRef::Map(m) => Value::Map(m.to_vec()),
            other => {
                let (d, bits) = other.scalar_bits().expect("remaining variants are scalars");
                Value::from_scalar_bits(d, bits)
            }
        }
    }
}

impl<'a> From<&'a Value> for ValueRef<'a> {
    fn from(v: &'a Value) -> Self {
        match v {
            Value::None => ValueRef::None,
            Value::Bool(b) => ValueRef::Bool(*b),
            Value::I8(x) => ValueRef::I8(*x),
            Value::I16(x) => ValueRef::I16(*x),
            Value::I32(x) => ValueRef::I32(*x),
            Value::I64(x) => ValueRef::I64(*x),
            Value::U8(x) => ValueRef::U8(*x),
            Value::U16(x) => ValueRef::U16(*x),
            Value::U32(x) => ValueRef::U32(*x),
            Value::U64(x) => ValueRef::U64(*x),
            Value::F32(x) => ValueRef::F32(*x),
            Value::F64(x) => ValueRef::F64(*x),
            Value::Str(s) => ValueRef::Str(s),
            Value::Bytes(b) => ValueRef::Bytes(b),
            Value::Array(a) => ValueRef::Array(a.into()),
            Value::List(l) => ValueRef::List(Cow::Borrowed(l)),
            Value::Map(m) => ValueRef::Map(Cow::Borrowed(m)),
        }
    }
}

impl<'a> From<&'a Array> for ArrayRef<'a> {
    fn from(a: &'a Array) -> Self {
        let shape = Shape::new(a.shape()).expect("owned arrays have rank <= 32");
        ArrayRef::from_raw(a.dtype(), shape, a.as_bytes())
    }
}

impl<'a> From<&'a Array> for ValueRef<'a> {
    fn from(a: &'a Array) -> Self {
        ValueRef::Array(a.into())
    }
}

impl<'a> From<ArrayMut<'a>> for ValueRef<'a> {
    fn from(a: ArrayMut<'a>) -> Self {
        ValueRef::ArrayMut(a)
    }
}

impl<'a> From<ArrayRef<'a>> for ValueRef<'a> {
    fn from(a: ArrayRef<'a>) -> Self {
        ValueRef::Array(a)
    }
}

macro_rules! scalar_from {
    ($t:ident, $v:ident) => {
        impl From<$t> for ValueRef<'_> {
            fn from(x: $t) -> Self {
                ValueRef::$v(x)
            }
        }
        impl From<$t> for Value {
            fn from(x: $t) -> Self {
                Value::$v(x)
            }
        }
        impl<'a> From<&'a [$t]> for ValueRef<'a> {
            fn from(x: &'a [$t]) -> Self {
                ValueRef::Array(ArrayRef::from_slice(x))
            }
        }
        impl<'a> From<&'a Vec<$t>> for ValueRef<'a> {
            fn from(x: &'a Vec<$t>) -> Self {
                ValueRef::Array(ArrayRef::from_slice(x))
            }
        }
        impl<'a, const N: usize> From<&'a [$t; N]> for ValueRef<'a> {
            fn from(x: &'a [$t; N]) -> Self {
                ValueRef::Array(ArrayRef::from_slice(x))
            }
        }
        impl From<Vec<$t>> for Value {
            fn from(x: Vec<$t>) -> Self {
                Value::Array(Array::from_vec(x))
            }
        }
    };
}
crate::for_each_dtype!(scalar_from);

impl From<bool> for ValueRef<'_> {
    fn from(b: bool) -> Self {
        ValueRef::Bool(b)
    }
}

impl<'a> From<&'a str> for ValueRef<'a> {
    fn from(s: &'a str) -> Self {
        ValueRef::Str(s)
    }
}

impl<'a> From<&'a String> for ValueRef<'a> {
    fn from(s: &'a String) -> Self {
        ValueRef::Str(s)
    }
}

impl<'a> From<()> for ValueRef<'a> {
    fn from(_: ()) -> Self {
        ValueRef::None
    }
}

impl<'a, T: Into<ValueRef<'a>>> From<Option<T>> for ValueRef<'a> {
    fn from(o: Option<T>) -> Self {
        o.map_or(ValueRef::None, Into::into)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::Str(s.to_owned())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::Str(s)
    }
}

impl From<Array> for Value {
    fn from(a: Array) -> Self {
        Value::Array(a)
    }
}

/// Things that can be the argument list of a call: a tuple of values that convert into
/// [`ValueRef`] (up to 12), an array or slice of `ValueRef`, or `()`.
pub trait IntoArgs<'a> {
    /// The argument list.
    type List: AsRef<[ValueRef<'a>]>;
    /// Converts.
    fn into_args(self) -> Self::List;
}

impl<'a, 'b> IntoArgs<'a> for &'b [ValueRef<'a>] {
    type List = &'b [ValueRef<'a>];
    fn into_args(self) -> Self::List {
        self
    }
}

impl<'a, const N: usize> IntoArgs<'a> for [ValueRef<'a>; N] {
    type List = [ValueRef<'a>; N];
    fn into_args(self) -> Self::List {
        self
    }
}

impl<'a> IntoArgs<'a> for Vec<ValueRef<'a>> {
    type List = Vec<ValueRef<'a>>;
    fn into_args(self) -> Self::List {
        self
    }
}

impl<'a> IntoArgs<'a> for () {
    type List = [ValueRef<'a>; 0];
    fn into_args(self) -> Self::List {
        []
    }
}

macro_rules! tuple_args {
    ($n:literal: $($t:ident),*) => {
        impl<'a, $($t: Into<ValueRef<'a>>),*> IntoArgs<'a> for ($($t,)*) {
            type List = [ValueRef<'a>; $n];
            #[allow(non_snake_case)]
            fn into_args(self) -> Self::List {
                let ($($t,)*) = self;
                [$($t.into()),*]
            }
        }
    };
}
tuple_args!(1: A);
tuple_args!(2: A, B);
tuple_args!(3: A, B, C);
tuple_args!(4: A, B, C, D);
tuple_args!(5: A, B, C, D, E);
tuple_args!(6: A, B, C, D, E, F);
tuple_args!(7: A, B, C, D, E, F, G);
tuple_args!(8: A, B, C, D, E, F, G, H);
tuple_args!(9: A, B, C, D, E, F, G, H, I);
tuple_args!(10: A, B, C, D, E, F, G, H, I, J);
tuple_args!(11: A, B, C, D, E, F, G, H, I, J, K);
tuple_args!(12: A, B, C, D, E, F, G, H, I, J, K, L);

impl ValueRef<'_> {
    /// A shorter borrow of the same value (writable slices become read-only views; a
    /// shared array keeps its access, and a server refuses a call that names one writable
    /// array twice).
    pub fn reborrow(&self) -> ValueRef<'_> {
        match self {
            ValueRef::None => ValueRef::None,
            ValueRef::Bool(b) => ValueRef::Bool(*b),
            ValueRef::I8(x) => ValueRef::I8(*x),
            ValueRef::I16(x) => ValueRef::I16(*x),
            ValueRef::I32(x) => ValueRef::I32(*x),
            ValueRef::I64(x) => ValueRef::I64(*x),
            ValueRef::U8(x) => ValueRef::U8(*x),
            ValueRef::U16(x) => ValueRef::U16(*x),
            ValueRef::U32(x) => ValueRef::U32(*x),
            ValueRef::U64(x) => ValueRef::U64(*x),
            ValueRef::F32(x) => ValueRef::F32(*x),
            ValueRef::F64(x) => ValueRef::F64(*x),
            ValueRef::Str(s) => ValueRef::Str(s),
            ValueRef::Bytes(b) => ValueRef::Bytes(b),
            ValueRef::Array(a) => ValueRef::Array(a.clone()),
            ValueRef::ArrayMut(a) => ValueRef::Array(a.as_ref()),
            ValueRef::Shared(s) => ValueRef::Shared(s.reborrow()),
            ValueRef::List(l) => ValueRef::List(Cow::Borrowed(l)),
            ValueRef::Map(m) => ValueRef::Map(Cow::Borrowed(m)),
        }
    }
}
