//! How a typed client (made by [`interface!`](crate::interface)) maps each parameter and
//! return type of the interface to what the caller passes and gets back.
//!
//! A parameter declared `x: P` in the interface becomes `x: impl Arg<'c, fn(P)>` in the
//! client method, where every lifetime of `P`, elided ones too, is made `'static`
//! (`&[f64]` is `fn(&'static [f64])`, `ArrayRef<'_>` is `fn(ArrayRef<'static>)`): a marker
//! type only, never higher-ranked, so each parameter type has one impl. A return type `R`
//! becomes `<R as Returns>::Output`: the owned form of what the server returns.
//!
//! | interface parameter | the client passes |
//! |---|---|
//! | `i8` … `u64`, `f32`, `f64`, `bool` | the same type (a literal takes the parameter's type) |
//! | `&str`, `String` | `&str`, `&String` |
//! | `&[T]`, `Vec<T>` | `&[T]`, `&Vec<T>`, `&[T; N]` (copied into the request), or `&SharedArray<T>` (no copy) |
//! | `&mut [T]` | `&mut [T]`, `&mut Vec<T>`, `&mut [T; N]` (copied in, and back when the reply arrives), or `&mut SharedArray<T>` (written in place) |
//! | `Out<'_, T>` (written only) | `&mut [T]`, `&mut Vec<T>`, `&mut [T; N]` (only the length is sent; the result is copied back), or `&mut SharedArray<T>` |
//! | `ArrayMut` | `&mut SharedArray<T>`: the server writes into it in place |
//! | `ArrayRef`, `Array` | `ArrayRef`, `&ArrayRef`, `&Array`, `&SharedArray<T>` (n-D, shape kept) |
//! | `ValueRef`, `Value` | anything that converts into [`ValueRef`] |
//! | `Option<P>` | `Option` of what `P` takes (`None` is sent as none) |
//! | `Rest` (the remaining arguments) | a `Vec<ValueRef>` |
//! | `usize`, `isize`, `char` | the same type (sent as `u64`, `i64`, `u32`) |
//! | `Vec<String>` | `&[String]`, `&Vec<String>`, `&[&str]`, `&[&str; N]` |
//! | a [`WireStruct`](crate::WireStruct) `S`, or `&S` | `&S` (its bytes are lent) |
//! | `&mut S` | `&mut S` (copied there and back) |
//! | `&[S]`, `Vec<S>`; `&mut [S]`, `Out<'_, S>` | as for numbers: slices, `Vec`s and arrays of `S` |

use smallvec::SmallVec;

use super::SharedArray;
use crate::server::{Reply, Rest};
use crate::transport::codec::{scalar_type, Packed, BOOL_TYPE};
use crate::values::dtype::Element;
use crate::values::value::{Array, Value};
use crate::values::value_ref::{ArrayMut, ArrayRef, Out, ValueRef};

/// A client-side value that can stand for an interface parameter of type `P`, written
/// `fn(P)`: a number for a number, `&[T]`, `&Vec<T>` or `&SharedArray<T>` for `&[T]`,
/// `&mut [T]` or `&mut SharedArray<T>` for `&mut [T]` and `Out<'_, T>`, `&str` for `&str`,
/// `Option` of any of these for `Option<P>`.
///
/// ```
/// use loadlib::Arg;
/// fn takes_slice<'c>(x: impl Arg<'c, fn(&'static [f64])>) -> usize {
///     let mut args = loadlib::__private::client::ArgList::new();
///     x.push_to(&mut args);
///     args.as_slice().len()
/// }
/// assert_eq!(takes_slice(&vec![1.0, 2.0]), 1);
/// assert_eq!(takes_slice(&[1.0, 2.0, 3.0]), 1);
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot stand for an interface parameter declared as `{P}`",
    label = "not an argument for `{P}`",
    note = "the README's table \"Types an interface may use\" lists what each parameter type takes",
    note = "a struct parameter (`S` or `&S`) takes `&S`; `Vec<String>` takes `&[String]` or `&[&str]`"
)]
pub trait Arg<'c, P> {
    /// Appends the argument(s) this value sends.
    fn push_to(self, args: &mut ArgList<'c>);
}

/// The argument list of one typed call: held on the stack up to 8 values, so a typed
/// call allocates nothing on the heap. While every argument is a number, `bool` or
/// `None` (up to 16 of them) the list keeps them packed, as a small call's record carries
/// them, and no [`ValueRef`] is made at all.
// The values variant holds its 8 values inline; boxing it would allocate per call.
#[allow(clippy::large_enum_variant)]
pub enum ArgList<'c> {
    /// The arguments so far, while all are packable.
    #[doc(hidden)]
    Packed(Packed),
    /// The arguments once one is not packable.
    #[doc(hidden)]
    Values(SmallVec<[ValueRef<'c>; 8]>),
}

impl Default for ArgList<'_> {
    #[inline(always)]
    fn default() -> Self {
        ArgList::Packed(Packed::default())
    }
}

impl<'c> ArgList<'c> {
    /// An empty list.
    #[inline(always)]
    pub fn new() -> Self {
        ArgList::default()
    }

    /// Appends a value.
    #[inline]
    pub fn push(&mut self, v: ValueRef<'c>) {
        if let ArgList::Packed(p) = self {
            if p.push(&v) {
                return;
            }
        }
        self.unpacked().push(v);
    }

    /// Appends a number: packed while every argument so far is packed.
    #[inline(always)]
    pub fn push_scalar<T: Element>(&mut self, v: T) {
        let bits = v.to_bits();
        self.push_packed(scalar_type(T::DTYPE), bits, || {
            ValueRef::from_scalar_bits(T::DTYPE, bits)
        });
    }

    /// Appends a value whose packed form is `ty` and `bits` (`v()` when it cannot be
    /// packed).
    #[inline(always)]
    fn push_packed(&mut self, ty: u8, bits: u64, v: impl FnOnce() -> ValueRef<'c>) {
        if let ArgList::Packed(p) = self {
            if p.push_raw(ty, bits) {
                return;
            }
        }
        self.unpacked().push(v());
    }

    /// The values, the packed ones moved there first.
    fn unpacked(&mut self) -> &mut SmallVec<[ValueRef<'c>; 8]> {
        if let ArgList::Packed(p) = self {
            // The packed values are copied out (152 bytes) and the list becomes an empty
            // `SmallVec` in place: collecting them into a new one and moving that in
            // copied its 600 bytes twice.
            let packed = *p;
            *self = ArgList::Values(SmallVec::new());
            if let ArgList::Values(values) = self {
                for v in packed.values() {
                    values.push(v);
                }
            }
        }
        match self {
            ArgList::Values(values) => values,
            ArgList::Packed(_) => unreachable!("unpacked above"),
        }
    }

    /// Appends values.
    pub fn extend(&mut self, vs: impl IntoIterator<Item = ValueRef<'c>>) {
        for v in vs {
            self.push(v);
        }
    }

    /// The values.
    pub fn as_slice(&mut self) -> &[ValueRef<'c>] {
        self.unpacked()
    }

    /// The arguments packed, when every one is a number, `bool` or `None`.
    #[inline]
    pub(crate) fn packed(&self) -> Option<&Packed> {
        match self {
            ArgList::Packed(p) => Some(p),
            ArgList::Values(_) => None,
        }
    }
}

/// An interface return type, and the owned type the client gets for it.
///
/// ```
/// use loadlib::Returns;
/// fn owned<R: Returns>() -> &'static str { std::any::type_name::<R::Output>() }
/// assert_eq!(owned::<&[f64]>(), "alloc::vec::Vec<f64>");
/// ```
pub trait Returns {
    /// What the client receives.
    type Output: super::FromValue;
}

macro_rules! numeric {
    ($t:ident, $v:ident) => {
        impl<'c> Arg<'c, fn($t)> for $t {
            #[inline(always)]
            fn push_to(self, args: &mut ArgList<'c>) {
                args.push_scalar(self);
            }
        }
        slice_args!(fn(&'static [$t]), $t);
        slice_args!(fn(Vec<$t>), $t);
        impl<'c> Arg<'c, fn(&'static mut [$t])> for &'c mut SharedArray<$t> {
            fn push_to(self, args: &mut ArgList<'c>) {
                args.push(self.into());
            }
        }
        mut_slice_args!(fn(&'static mut [$t]), $t, from_slice);
        mut_slice_args!(fn(Out<'static, $t>), $t, output);
        impl<'c> Arg<'c, fn(Out<'static, $t>)> for &'c mut SharedArray<$t> {
            fn push_to(self, args: &mut ArgList<'c>) {
                args.push(self.into());
            }
        }
        impl Returns for $t {
            type Output = $t;
        }
        impl Returns for Vec<$t> {
            type Output = Vec<$t>;
        }
        impl Returns for &[$t] {
            type Output = Vec<$t>;
        }
        impl Returns for crate::server::OutVec<$t> {
            type Output = Vec<$t>;
        }
    };
}

/// A caller's `&mut` slice, `Vec` or array for a writable parameter: `from_slice` (copied
/// there and back) or `output` (copied back only).
macro_rules! mut_slice_args {
    ($p:ty, $t:ident, $how:ident) => {
        impl<'c> Arg<'c, $p> for &'c mut [$t] {
            fn push_to(self, args: &mut ArgList<'c>) {
                args.push(ValueRef::ArrayMut(ArrayMut::$how(self)));
            }
        }
        impl<'c> Arg<'c, $p> for &'c mut Vec<$t> {
            fn push_to(self, args: &mut ArgList<'c>) {
                args.push(ValueRef::ArrayMut(ArrayMut::$how(&mut self[..])));
            }
        }
        impl<'c, const N: usize> Arg<'c, $p> for &'c mut [$t; N] {
            fn push_to(self, args: &mut ArgList<'c>) {
                args.push(ValueRef::ArrayMut(ArrayMut::$how(&mut self[..])));
            }
        }
    };
}

macro_rules! slice_args {
    ($p:ty, $t:ident) => {
        impl<'c> Arg<'c, $p> for &'c [$t] {
            fn push_to(self, args: &mut ArgList<'c>) {
                args.push(self.into());
            }
        }
        impl<'c> Arg<'c, $p> for &'c Vec<$t> {
            fn push_to(self, args: &mut ArgList<'c>) {
                args.push(self.into());
            }
        }
        impl<'c, const N: usize> Arg<'c, $p> for &'c [$t; N] {
            fn push_to(self, args: &mut ArgList<'c>) {
                args.push(self.into());
            }
        }
        impl<'c> Arg<'c, $p> for &'c SharedArray<$t> {
            fn push_to(self, args: &mut ArgList<'c>) {
                args.push(self.into());
            }
        }
    };
}

crate::for_each_dtype!(numeric);

impl<'c> Arg<'c, fn(bool)> for bool {
    #[inline]
    fn push_to(self, args: &mut ArgList<'c>) {
        args.push_packed(BOOL_TYPE, self as u64, || ValueRef::Bool(self));
    }
}

macro_rules! string_args {
    ($($p:ty),*) => {$(
        impl<'c> Arg<'c, $p> for &'c str {
            fn push_to(self, args: &mut ArgList<'c>) {
                args.push(ValueRef::Str(self));
            }
        }
        impl<'c> Arg<'c, $p> for &'c String {
            fn push_to(self, args: &mut ArgList<'c>) {
                args.push(ValueRef::Str(self));
            }
        }
    )*};
}
string_args!(fn(&'static str), fn(String));

macro_rules! nd_args {
    ($($p:ty),*) => {$(
        impl<'c> Arg<'c, $p> for ArrayRef<'c> {
            fn push_to(self, args: &mut ArgList<'c>) {
                args.push(ValueRef::Array(self));
            }
        }
        impl<'c, 'd: 'c> Arg<'c, $p> for &'c ArrayRef<'d> {
            fn push_to(self, args: &mut ArgList<'c>) {
                args.push(ValueRef::Array(self.clone()));
            }
        }
        impl<'c> Arg<'c, $p> for &'c Array {
            fn push_to(self, args: &mut ArgList<'c>) {
                args.push(self.into());
            }
        }
        impl<'c, T: Element> Arg<'c, $p> for &'c SharedArray<T> {
            fn push_to(self, args: &mut ArgList<'c>) {
                args.push(self.into());
            }
        }
    )*};
}
nd_args!(fn(ArrayRef<'static>), fn(Array));

impl<'c, T: Element> Arg<'c, fn(ArrayMut<'static>)> for &'c mut SharedArray<T> {
    fn push_to(self, args: &mut ArgList<'c>) {
        args.push(self.into());
    }
}

impl<'c, T: Into<ValueRef<'c>>> Arg<'c, fn(ValueRef<'static>)> for T {
    fn push_to(self, args: &mut ArgList<'c>) {
        args.push(self.into());
    }
}

impl<'c, T: Into<ValueRef<'c>>> Arg<'c, fn(Value)> for T {
    fn push_to(self, args: &mut ArgList<'c>) {
        args.push(self.into());
    }
}

impl<'c, P, T: Arg<'c, fn(P)>> Arg<'c, fn(Option<P>)> for Option<T> {
    fn push_to(self, args: &mut ArgList<'c>) {
        match self {
            Some(v) => v.push_to(args),
            None => args.push(ValueRef::None),
        }
    }
}

impl<'c> Arg<'c, fn(Rest<'static>)> for Vec<ValueRef<'c>> {
    fn push_to(self, args: &mut ArgList<'c>) {
        args.extend(self);
    }
}

macro_rules! owned_returns {
    ($($t:ty => $o:ty),*) => {$(
        impl Returns for $t {
            type Output = $o;
        }
    )*};
}
owned_returns!(
    () => (), bool => bool, String => String, &str => String, Value => Value,
    Array => Array, Vec<Value> => Vec<Value>
);

impl Returns for ValueRef<'_> {
    type Output = Value;
}

impl Returns for ArrayRef<'_> {
    type Output = Array;
}

impl Returns for Reply<'_> {
    type Output = Value;
}

impl<T: Returns> Returns for Option<T> {
    type Output = Option<T::Output>;
}

macro_rules! tuple_returns {
    ($($t:ident),*) => {
        impl<$($t: Returns),*> Returns for ($($t,)*) {
            type Output = ($($t::Output,)*);
        }
    };
}
tuple_returns!(A, B);
tuple_returns!(A, B, C);
tuple_returns!(A, B, C, D);
tuple_returns!(A, B, C, D, E);
tuple_returns!(A, B, C, D, E, F);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars_stay_packed_until_a_value_that_cannot_be() {
        let mut list = ArgList::new();
        Arg::<fn(i32)>::push_to(-3i32, &mut list);
        Arg::<fn(bool)>::push_to(true, &mut list);
        Arg::<fn(f64)>::push_to(0.5f64, &mut list);
        assert_eq!(list.packed().map(Packed::len), Some(3));
        list.push(ValueRef::Str("four"));
        assert!(list.packed().is_none());
        Arg::<fn(u8)>::push_to(5u8, &mut list);
        let values: Vec<Value> = list.as_slice().iter().map(ValueRef::to_value).collect();
        assert_eq!(
            values,
            [
                Value::I32(-3),
                Value::Bool(true),
                Value::F64(0.5),
                Value::Str("four".into()),
                Value::U8(5)
            ]
        );
    }

    #[test]
    fn more_scalars_than_a_packed_block_holds_are_kept_in_order() {
        let mut list = ArgList::new();
        for i in 0..20i64 {
            Arg::<fn(i64)>::push_to(i, &mut list);
        }
        assert!(list.packed().is_none());
        let values: Vec<Value> = list.as_slice().iter().map(ValueRef::to_value).collect();
        assert_eq!(values, (0..20).map(Value::I64).collect::<Vec<_>>());
    }
}
