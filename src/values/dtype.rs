//! Numeric element types of arrays and scalars.

use zerocopy::{FromBytes, Immutable, IntoBytes};

/// The numeric type of an array's elements or of a scalar.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum DType {
    /// `i8`
    I8 = 1,
    /// `i16`
    I16 = 2,
    /// `i32`
    I32 = 3,
    /// `i64`
    I64 = 4,
    /// `u8`
    U8 = 5,
    /// `u16`
    U16 = 6,
    /// `u32`
    U32 = 7,
    /// `u64`
    U64 = 8,
    /// `f32`
    F32 = 9,
    /// `f64`
    F64 = 10,
}

impl DType {
    /// Every dtype, in code order.
    pub const ALL: [DType; 10] = [
        DType::I8,
        DType::I16,
        DType::I32,
        DType::I64,
        DType::U8,
        DType::U16,
        DType::U32,
        DType::U64,
        DType::F32,
        DType::F64,
    ];

    /// The dtype with this wire code.
    pub fn from_code(code: u8) -> Option<DType> {
        Self::ALL.get(code.wrapping_sub(1) as usize).copied()
    }

    /// The wire code.
    pub const fn code(self) -> u8 {
        self as u8
    }

    /// Bytes per element.
    pub fn size(self) -> usize {
        match self {
            DType::I8 | DType::U8 => 1,
            DType::I16 | DType::U16 => 2,
            DType::I32 | DType::U32 | DType::F32 => 4,
            DType::I64 | DType::U64 | DType::F64 => 8,
        }
    }

    /// The Rust name of the element type, e.g. `"f64"`.
    pub fn name(self) -> &'static str {
        match self {
            DType::I8 => "i8",
            DType::I16 => "i16",
            DType::I32 => "i32",
            DType::I64 => "i64",
            DType::U8 => "u8",
            DType::U16 => "u16",
            DType::U32 => "u32",
            DType::U64 => "u64",
            DType::F32 => "f32",
            DType::F64 => "f64",
        }
    }
}

impl std::fmt::Display for DType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A numeric type that can be an array element or a scalar on the wire.
///
/// Implemented for `i8`..`i64`, `u8`..`u64`, `f32` and `f64`, and sealed: each is one
/// [`DType`] of exactly its size, which the wire format relies on.
pub trait Element:
    sealed::Sealed
    + Copy
    + PartialEq
    + std::fmt::Debug
    + FromBytes
    + IntoBytes
    + Immutable
    + Send
    + Sync
    + 'static
{
    /// This type's dtype.
    const DTYPE: DType;
    /// The value's bits, zero-extended to 64.
    fn to_bits(self) -> u64;
    /// The value from its bits (the low `size` bytes).
    fn from_bits(bits: u64) -> Self;
    /// This type from a scalar of another dtype when no information is lost: integers
    /// of any width that fit, `f32` to `f64`; never between integers and floats.
    fn from_scalar(dtype: DType, bits: u64) -> Option<Self>;
    #[doc(hidden)]
    fn wrap_vec(v: Vec<Self>) -> crate::values::value::ArrayData;
    #[doc(hidden)]
    fn slice_of(d: &crate::values::value::ArrayData) -> Option<&[Self]>;
    #[doc(hidden)]
    fn slice_of_mut(d: &mut crate::values::value::ArrayData) -> Option<&mut [Self]>;
    #[doc(hidden)]
    fn vec_of(
        d: crate::values::value::ArrayData,
    ) -> Result<Vec<Self>, crate::values::value::ArrayData>;
}

/// An integer scalar's value (its dtype and bits) widened to `i128`, or `None` for floats.
pub fn int_value(dtype: DType, bits: u64) -> Option<i128> {
    Some(match dtype {
        DType::I8 => bits as u8 as i8 as i128,
        DType::I16 => bits as u16 as i16 as i128,
        DType::I32 => bits as u32 as i32 as i128,
        DType::I64 => bits as i64 as i128,
        DType::U8 => bits as u8 as i128,
        DType::U16 => bits as u16 as i128,
        DType::U32 => bits as u32 as i128,
        DType::U64 => bits as i128,
        DType::F32 | DType::F64 => return None,
    })
}

mod sealed {
    /// Only this crate's numeric types are [`Element`](super::Element)s.
    pub trait Sealed {}
}

macro_rules! element {
    ($($t:ident => $d:ident, $kind:ident;)*) => {$(
        impl sealed::Sealed for $t {}
        impl Element for $t {
            const DTYPE: DType = DType::$d;
            #[inline]
            fn to_bits(self) -> u64 {
                let mut b = [0u8; 8];
                b[..size_of::<$t>()].copy_from_slice(self.as_bytes());
                u64::from_le_bytes(b)
            }
            #[inline]
            fn from_bits(bits: u64) -> Self {
                <$t>::read_from_bytes(&bits.to_le_bytes()[..size_of::<$t>()]).expect("size matches")
            }
            #[inline]
            fn from_scalar(dtype: DType, bits: u64) -> Option<Self> {
                element!(@conv $kind, $t, dtype, bits)
            }
            fn wrap_vec(v: Vec<Self>) -> crate::values::value::ArrayData {
                crate::values::value::ArrayData::$d(v)
            }
            fn slice_of(d: &crate::values::value::ArrayData) -> Option<&[Self]> {
                match d { crate::values::value::ArrayData::$d(v) => Some(v), _ => None }
            }
            fn slice_of_mut(d: &mut crate::values::value::ArrayData) -> Option<&mut [Self]> {
                match d { crate::values::value::ArrayData::$d(v) => Some(v), _ => None }
            }
            fn vec_of(d: crate::values::value::ArrayData) -> Result<Vec<Self>, crate::values::value::ArrayData> {
                match d { crate::values::value::ArrayData::$d(v) => Ok(v), other => Err(other) }
            }
        }
    )*};
    (@conv int, $t:ident, $dtype:ident, $bits:ident) => {
        int_value($dtype, $bits).and_then(|v| $t::try_from(v).ok())
    };
    (@conv f32, $t:ident, $dtype:ident, $bits:ident) => {
        match $dtype { DType::F32 => Some(f32::from_bits($bits as u32)), _ => None }
    };
    (@conv f64, $t:ident, $dtype:ident, $bits:ident) => {
        match $dtype {
            DType::F32 => Some(f32::from_bits($bits as u32) as f64),
            DType::F64 => Some(f64::from_bits($bits)),
            _ => None,
        }
    };
}
use std::mem::size_of;
element! {
    i8 => I8, int; i16 => I16, int; i32 => I32, int; i64 => I64, int;
    u8 => U8, int; u16 => U16, int; u32 => U32, int; u64 => U64, int;
    f32 => F32, f32; f64 => F64, f64;
}

/// Calls `$m!(Type, Variant)` for every numeric type.
#[macro_export]
#[doc(hidden)]
macro_rules! for_each_dtype {
    ($m:ident) => {
        $m!(i8, I8);
        $m!(i16, I16);
        $m!(i32, I32);
        $m!(i64, I64);
        $m!(u8, U8);
        $m!(u16, U16);
        $m!(u32, U32);
        $m!(u64, U64);
        $m!(f32, F32);
        $m!(f64, F64);
    };
}
