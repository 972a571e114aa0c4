//! A method's arguments, borrowed from the shared segment, and their conversion to the
//! parameter types of wrapper methods.

use std::cell::Cell;

use super::ServerError;
use crate::transport::codec::{
    packed_element, packed_value_ref, scalar_type, Block, SegmentMap, BOOL_TYPE, NONE_TYPE,
};
use crate::values::dtype::Element;
use crate::values::value::{Array, Value};
use crate::values::value_ref::{ArrayMut, ArrayRef, ValueRef};

/// The arguments of one call, decoded on demand from the request record.
pub struct Args<'a> {
    block: Block<'a>,
    segments: &'a dyn SegmentMap,
    used: Cell<usize>,
    taken_mut: Cell<u64>,
}

impl<'a> Args<'a> {
    /// The arguments in `block`, whose payloads outside the record `segments` maps. A
    /// block in which a writable array overlaps another payload is refused.
    ///
    /// # Safety
    /// For `'a`, the arrays the block names writable must be reached only through this
    /// `Args` (each writable argument is handed out once, as `&mut`): no other `Args`
    /// over the same block or its bytes, and no views of them from
    /// [`Block::get`](crate::__private::codec::Block::get), may be used meanwhile.
    pub unsafe fn new(block: Block<'a>, segments: &'a dyn SegmentMap) -> Result<Self, ServerError> {
        block
            .check_overlaps()
            .map_err(|e| ServerError::new("ProtocolError", e.0))?;
        Ok(Args {
            block,
            segments,
            used: Cell::new(0),
            taken_mut: Cell::new(0),
        })
    }

    /// Number of arguments sent.
    pub fn len(&self) -> usize {
        self.block.len()
    }

    /// Whether none were sent.
    pub fn is_empty(&self) -> bool {
        self.block.is_empty()
    }

    /// Argument `i`. A writable array can be taken once.
    pub fn get(&self, i: usize) -> Result<ValueRef<'a>, ServerError> {
        if i >= self.len() {
            return Err(ServerError::type_error(format!(
                "missing argument {} (only {} given)",
                i + 1,
                self.len()
            )));
        }
        self.mark_used(i);
        // A writable argument is handed out once: the bit is set before the view is made.
        let bit = 1u64.checked_shl(i as u32);
        if self.block.desc(i).flags & crate::transport::wire::FLAG_WRITABLE != 0 {
            let bit =
                bit.ok_or_else(|| ServerError::type_error("at most 64 writable arrays per call"))?;
            if self.taken_mut.get() & bit != 0 {
                return Err(ServerError::type_error(format!(
                    "writable argument {i} taken twice"
                )));
            }
            self.taken_mut.set(self.taken_mut.get() | bit);
        }
        // SAFETY: overlaps were checked in `new`; a writable argument is taken once (the
        // bit above); nothing else reaches the block's writable arrays (`new`'s contract).
        unsafe { self.block.get_writable(i, self.segments) }
            .map_err(|e| ServerError::new("ProtocolError", e.0))
    }

    /// Argument `i` if it is a numeric scalar (its type and bits), marked used; no
    /// [`ValueRef`] is made. `None` for anything else, which `get` then reports.
    /// Argument `i` if it arrived packed as a scalar of `T` exactly.
    #[inline]
    fn exact_scalar<T: Element>(&self, i: usize) -> Option<T> {
        let bits = self.block.packed_bits(i, scalar_type(T::DTYPE))?;
        self.mark_used(i);
        Some(T::from_bits(bits))
    }

    fn scalar(&self, i: usize) -> Option<(crate::DType, u64)> {
        let s = self.block.scalar(i)?;
        self.mark_used(i);
        Some(s)
    }

    /// Counts arguments up to `i` as taken (for `check_count`).
    fn mark_used(&self, i: usize) {
        self.used.set(self.used.get().max(i + 1));
    }

    /// Argument `i` converted to `T`.
    pub fn arg<T: FromArg<'a>>(&self, i: usize) -> Result<T, ServerError> {
        T::from_arg(self, i)
    }

    /// Marks every argument as used (for variadic methods).
    pub fn use_all(&self) {
        self.used.set(self.len());
    }

    /// Fails if more arguments were sent than `method` takes.
    #[inline]
    pub fn check_count(&self, method: &str, takes: usize) -> Result<(), ServerError> {
        if self.used.get() < self.len() {
            return Err(self.too_many(method, takes));
        }
        Ok(())
    }

    #[cold]
    fn too_many(&self, method: &str, takes: usize) -> ServerError {
        ServerError::type_error(format!(
            "`{method}` takes {takes} argument{} but {} were given",
            if takes == 1 { "" } else { "s" },
            self.len()
        ))
    }
}

/// A parameter type of a wrapper method.
///
/// Scalars convert without loss (any integer that fits, `f32` to `f64`); arrays must have
/// the element type asked for (`&[T]` sees any rank, flattened; [`ArrayRef`] keeps the
/// shape); `&mut [T]` and [`ArrayMut`] need a writable shared array. The README's table
/// "Types an interface may use" lists every parameter type.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a parameter of an `interface!` function",
    label = "not an interface parameter type",
    note = "parameters are numbers, bool, char, usize/isize, &str/String, Vec<String>, \
            &[T]/Vec<T>/&mut [T]/Out<'_, T> of numbers, ArrayRef/ArrayMut/Array, \
            Value/ValueRef, Rest, Option<P>, and structs (the README's table lists them)",
    note = "a struct crosses when it derives `loadlib::CStruct` and zerocopy's `FromBytes`, \
            `IntoBytes` and `Immutable` (see `loadlib::WireStruct`); for rows of numbers \
            use `ArrayRef<'_>` (2-D, read in place) instead of `Vec<Vec<T>>`"
)]
pub trait FromArg<'a>: Sized {
    /// Takes argument `index` of `args`.
    fn from_arg(args: &Args<'a>, index: usize) -> Result<Self, ServerError>;

    /// The parameter from a packed scalar (its type byte and bits), when it converts
    /// exactly as [`from_arg`](Self::from_arg) would convert it; `None` sends the call
    /// the general way (which reports any error). The server's lean path for calls whose
    /// arguments are all scalars.
    #[doc(hidden)]
    #[inline]
    fn from_packed(value: (u8, u64)) -> Option<Self> {
        let _ = value;
        None
    }
}

fn mismatch(expected: &str, got: &ValueRef<'_>) -> ServerError {
    ServerError::type_error(format!("expected {expected}, got {}", got.type_name()))
}

impl<'a> FromArg<'a> for ValueRef<'a> {
    fn from_arg(args: &Args<'a>, index: usize) -> Result<Self, ServerError> {
        args.get(index)
    }

    #[inline]
    fn from_packed(value: (u8, u64)) -> Option<Self> {
        packed_value_ref(value)
    }
}

impl<'a> FromArg<'a> for Value {
    fn from_arg(args: &Args<'a>, index: usize) -> Result<Self, ServerError> {
        Ok(args.get(index)?.to_value())
    }

    #[inline]
    fn from_packed(value: (u8, u64)) -> Option<Self> {
        packed_value_ref(value).map(|v| v.to_value())
    }
}

impl<'a> FromArg<'a> for bool {
    fn from_arg(args: &Args<'a>, index: usize) -> Result<Self, ServerError> {
        match args.get(index)? {
            ValueRef::Bool(b) => Ok(b),
            other => Err(mismatch("bool", &other)),
        }
    }

    #[inline]
    fn from_packed((ty, bits): (u8, u64)) -> Option<Self> {
        (ty == BOOL_TYPE).then_some(bits != 0)
    }
}

impl<'a> FromArg<'a> for &'a str {
    fn from_arg(args: &Args<'a>, index: usize) -> Result<Self, ServerError> {
        match args.get(index)? {
            ValueRef::Str(s) => Ok(s),
            other => Err(mismatch("str", &other)),
        }
    }
}

impl<'a> FromArg<'a> for String {
    fn from_arg(args: &Args<'a>, index: usize) -> Result<Self, ServerError> {
        <&str>::from_arg(args, index).map(str::to_owned)
    }
}

impl<'a> FromArg<'a> for ArrayRef<'a> {
    fn from_arg(args: &Args<'a>, index: usize) -> Result<Self, ServerError> {
        match args.get(index)? {
            ValueRef::Array(a) => Ok(a),
            ValueRef::ArrayMut(a) => Ok(a.into_ref()),
            other => Err(mismatch("an array", &other)),
        }
    }
}

impl<'a> FromArg<'a> for ArrayMut<'a> {
    fn from_arg(args: &Args<'a>, index: usize) -> Result<Self, ServerError> {
        match args.get(index)? {
            ValueRef::ArrayMut(a) => Ok(a),
            other => Err(mismatch(
                "a writable shared array (pass a SharedArray with &mut)",
                &other,
            )),
        }
    }
}

impl<'a> FromArg<'a> for Array {
    fn from_arg(args: &Args<'a>, index: usize) -> Result<Self, ServerError> {
        ArrayRef::from_arg(args, index).map(|a| a.to_array())
    }
}

impl<'a, T: FromArg<'a>> FromArg<'a> for Option<T> {
    fn from_arg(args: &Args<'a>, index: usize) -> Result<Self, ServerError> {
        if index < args.len() {
            if let Ok(ValueRef::None) = args.block.get(index, args.segments) {
                args.mark_used(index);
                return Ok(None);
            }
        }
        T::from_arg(args, index).map(Some)
    }

    #[inline]
    fn from_packed(value: (u8, u64)) -> Option<Self> {
        if value.0 == NONE_TYPE {
            return Some(None);
        }
        T::from_packed(value).map(Some)
    }
}

/// All remaining arguments, for a variadic method.
pub struct Rest<'a> {
    /// The arguments from this parameter's position on.
    pub values: Vec<ValueRef<'a>>,
}

impl<'a> FromArg<'a> for Rest<'a> {
    fn from_arg(args: &Args<'a>, index: usize) -> Result<Self, ServerError> {
        let values = (index..args.len())
            .map(|i| args.get(i))
            .collect::<Result<_, _>>()?;
        args.use_all();
        Ok(Rest { values })
    }
}

fn array_slice<'a, T: Element>(args: &Args<'a>, index: usize) -> Result<&'a [T], ServerError> {
    let v = args.get(index)?;
    let a = match v {
        ValueRef::Array(a) => a,
        ValueRef::ArrayMut(m) => m.into_ref(),
        ValueRef::Bytes(b) if T::DTYPE == crate::DType::U8 => {
            return Ok(<[T] as zerocopy::FromBytes>::ref_from_bytes(b).expect("u8 has no alignment"))
        }
        other => return Err(mismatch(&format!("an array of {}", T::DTYPE), &other)),
    };
    a.as_slice::<T>()
        .ok_or_else(|| mismatch(&format!("an array of {}", T::DTYPE), &ValueRef::Array(a)))
}

/// Why a numeric scalar does not convert: an integer out of the parameter's range is an
/// `OverflowError` that says so; anything else is a `TypeError`.
fn scalar_mismatch(
    expected: &str,
    range: std::fmt::Arguments<'_>,
    dtype: crate::DType,
    bits: u64,
    got: &ValueRef<'_>,
) -> ServerError {
    let int_param = !expected.starts_with('f');
    match crate::values::dtype::int_value(dtype, bits) {
        Some(v) if int_param => ServerError::overflow(format!(
            "{v} ({dtype}) does not fit in {expected} (range {range})"
        )),
        _ => mismatch(expected, got),
    }
}

/// A numeric parameter's argument that did not arrive packed as that very type:
/// converted straight from the block when it converts, else through the general path
/// for its error.
#[inline(never)]
fn converted_scalar<'a, T: Element>(
    args: &Args<'a>,
    index: usize,
    name: &str,
    range: std::fmt::Arguments<'_>,
) -> Result<T, ServerError> {
    if let Some(v) = args
        .scalar(index)
        .and_then(|(d, bits)| T::from_scalar(d, bits))
    {
        return Ok(v);
    }
    let v = args.get(index)?;
    let (d, bits) = v.scalar_bits().ok_or_else(|| mismatch(name, &v))?;
    T::from_scalar(d, bits).ok_or_else(|| scalar_mismatch(name, range, d, bits, &v))
}

macro_rules! numeric_args {
    ($t:ident, $v:ident) => {
        impl<'a> FromArg<'a> for $t {
            #[inline]
            fn from_arg(args: &Args<'a>, index: usize) -> Result<Self, ServerError> {
                // The common case, inlined into the method table: packed, of this very
                // type. Anything else takes the general path, out of line.
                match args.exact_scalar::<$t>(index) {
                    Some(v) => Ok(v),
                    None => converted_scalar::<$t>(
                        args,
                        index,
                        stringify!($t),
                        format_args!("{}..={}", <$t>::MIN, <$t>::MAX),
                    ),
                }
            }

            #[inline]
            fn from_packed(value: (u8, u64)) -> Option<Self> {
                packed_element::<$t>(value)
            }
        }
        impl<'a> FromArg<'a> for &'a [$t] {
            fn from_arg(args: &Args<'a>, index: usize) -> Result<Self, ServerError> {
                array_slice::<$t>(args, index)
            }
        }
        impl<'a> FromArg<'a> for Vec<$t> {
            fn from_arg(args: &Args<'a>, index: usize) -> Result<Self, ServerError> {
                array_slice::<$t>(args, index).map(<[$t]>::to_vec)
            }
        }
        impl<'a> FromArg<'a> for &'a mut [$t] {
            fn from_arg(args: &Args<'a>, index: usize) -> Result<Self, ServerError> {
                let a = ArrayMut::from_arg(args, index)?;
                // The message is made only on failure: no allocation per call.
                let got = a.dtype();
                a.into_slice::<$t>().ok_or_else(|| {
                    ServerError::type_error(format!(
                        "expected a writable array of {}, got array<{got}>",
                        stringify!($t)
                    ))
                })
            }
        }
        impl<'a> FromArg<'a> for crate::Out<'a, $t> {
            fn from_arg(args: &Args<'a>, index: usize) -> Result<Self, ServerError> {
                <&'a mut [$t]>::from_arg(args, index).map(crate::Out::new)
            }
        }
    };
}
crate::for_each_dtype!(numeric_args);
