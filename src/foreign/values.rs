//! The Rust types that stand for C types ([`CValue`]): numbers, `bool`, [`Logical`],
//! [`Ptr`], arrays, references (passed as pointers) and, through `#[derive(CStruct)]`,
//! structs. Each writes itself in the server's representation and, when it holds no
//! pointer to the caller's data, reads itself back ([`CDecode`]).

use std::sync::Arc;

use super::abi::{Abi, TypeLayout};
use super::ctype::CType;
use super::encode::{Encoder, Place};
use crate::error::{Error, Result};

/// A Rust type that stands for a C type: it knows its layout under every [`Abi`] and
/// writes itself in the server's representation.
///
/// Implemented for the numbers, `bool`, [`Logical`], [`Ptr`], arrays `[T; N]`,
/// references to values and slices (which the server receives as pointers), and structs
/// with [`#[derive(CStruct)]`](crate::CStruct).
pub trait CValue {
    /// Size and alignment under every ABI.
    const LAYOUT: TypeLayout;

    /// The run-time description.
    fn ctype() -> CType;

    /// Writes the value at `at` (an offset in the call record), as the server's ABI
    /// represents it. Pointers inside it point at data the encoder places in the record.
    fn encode(&self, enc: &mut Encoder<'_>, at: Place) -> Result<()>;

    /// The bytes of `values` when they are exactly what every ABI holds (numbers), so a
    /// slice of them is copied whole; `None` (the default) encodes each value.
    fn plain_bytes(values: &[Self]) -> Option<&[u8]>
    where
        Self: Sized,
    {
        let _ = values;
        None
    }

    /// The value as one scalar argument's bits, as its frame slot holds them: its
    /// little-endian bytes, an integer narrower than 4 bytes extended to 4 as C extends
    /// it; `None` (the default) for anything that is not one scalar. What a generated
    /// foreign function passes on the scalar call's own path.
    #[doc(hidden)]
    #[inline(always)]
    fn scalar_bits(&self) -> Option<u64> {
        None
    }
}

/// A [`CValue`] that can be read back from the server's representation: a return value,
/// or what the library wrote into an output parameter. Types holding pointers to the
/// caller's data cannot.
pub trait CDecode: CValue + Sized {
    /// Reads a value from `bytes` (at least `LAYOUT.size(abi)` of them).
    fn decode(abi: Abi, bytes: &[u8]) -> Self;

    /// Reads `dst.len()` values in a row from `bytes`.
    fn decode_slice(abi: Abi, bytes: &[u8], dst: &mut [Self]) {
        let step = Self::LAYOUT.size(abi) as usize;
        for (i, d) in dst.iter_mut().enumerate() {
            *d = Self::decode(abi, &bytes[i * step..]);
        }
    }

    /// The bytes of `values` to copy the server's representation into whole, when every
    /// ABI lays them out as this process does and any bytes are valid values (numbers);
    /// `None` (the default) decodes each value.
    fn plain_bytes_mut(values: &mut [Self]) -> Option<&mut [u8]> {
        let _ = values;
        None
    }
}

macro_rules! number {
    ($t:ty, $c:ident, $bits:expr) => {
        impl CValue for $t {
            const LAYOUT: TypeLayout = TypeLayout::scalar(size_of::<$t>() as u32);
            fn ctype() -> CType {
                CType::$c
            }
            #[inline]
            fn encode(&self, enc: &mut Encoder<'_>, at: Place) -> Result<()> {
                enc.write(at, &self.to_le_bytes());
                Ok(())
            }
            fn plain_bytes(values: &[Self]) -> Option<&[u8]> {
                Some(zerocopy::IntoBytes::as_bytes(values))
            }
            #[inline(always)]
            fn scalar_bits(&self) -> Option<u64> {
                let bits: fn($t) -> u64 = $bits;
                Some(bits(*self))
            }
        }
        impl CDecode for $t {
            #[inline]
            fn decode(_abi: Abi, bytes: &[u8]) -> Self {
                let mut b = [0u8; size_of::<$t>()];
                b.copy_from_slice(&bytes[..size_of::<$t>()]);
                <$t>::from_le_bytes(b)
            }
            fn decode_slice(_abi: Abi, bytes: &[u8], dst: &mut [Self]) {
                let n = dst.len() * size_of::<$t>();
                zerocopy::IntoBytes::as_mut_bytes(dst).copy_from_slice(&bytes[..n]);
            }
            fn plain_bytes_mut(values: &mut [Self]) -> Option<&mut [u8]> {
                Some(zerocopy::IntoBytes::as_mut_bytes(values))
            }
        }
    };
}

// Each one's bits as `scalar_bits` gives them: narrow integers extended to 4 bytes (as
// `ArgPlan::Direct`'s `extend` writes them), the others zero-extended.
number!(i8, I8, |v| v as i32 as u32 as u64);
number!(u8, U8, |v| v as u64);
number!(i16, I16, |v| v as i32 as u32 as u64);
number!(u16, U16, |v| v as u64);
number!(i32, I32, |v| v as u32 as u64);
number!(u32, U32, |v| v as u64);
number!(i64, I64, |v| v as u64);
number!(u64, U64, |v| v);
number!(f32, F32, |v| v.to_bits() as u64);
number!(f64, F64, |v| v.to_bits());

impl CValue for bool {
    const LAYOUT: TypeLayout = TypeLayout::scalar(1);
    fn ctype() -> CType {
        CType::Bool
    }
    #[inline]
    fn encode(&self, enc: &mut Encoder<'_>, at: Place) -> Result<()> {
        enc.write(at, &[*self as u8]);
        Ok(())
    }
    #[inline(always)]
    fn scalar_bits(&self) -> Option<u64> {
        Some(*self as u64)
    }
}

impl CDecode for bool {
    fn decode(_abi: Abi, bytes: &[u8]) -> Self {
        bytes[0] != 0
    }
}

/// A Fortran default `LOGICAL`: 4 bytes under gfortran (and Intel Fortran), where C's
/// `bool` and Fortran's `logical(c_bool)` are 1 byte. Declare a Fortran logical
/// parameter as `Logical` (by value) or `&Logical` (by reference, as Fortran passes it).
///
/// ```
/// use loadlib::foreign::{Abi, CValue, Logical};
/// assert_eq!(Logical::LAYOUT.size(Abi::I386SysV), 4);
/// assert!(Logical::from(true).get());
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Logical(pub bool);

impl Logical {
    /// The truth value.
    pub fn get(self) -> bool {
        self.0
    }
}

impl From<bool> for Logical {
    fn from(b: bool) -> Self {
        Logical(b)
    }
}

impl CValue for Logical {
    const LAYOUT: TypeLayout = TypeLayout::scalar(4);
    fn ctype() -> CType {
        CType::Logical
    }
    fn encode(&self, enc: &mut Encoder<'_>, at: Place) -> Result<()> {
        enc.write(at, &(self.0 as u32).to_le_bytes());
        Ok(())
    }
    #[inline(always)]
    fn scalar_bits(&self) -> Option<u64> {
        Some(self.0 as u64)
    }
}

impl CDecode for Logical {
    fn decode(_abi: Abi, bytes: &[u8]) -> Self {
        Logical(bytes[..4] != [0, 0, 0, 0])
    }
}

/// An address in the server process: a handle or a pointer the library returned, passed
/// back to it as it is. It cannot be read from this process. As wide as this process's
/// pointers (a server is never wider than its client), so a struct field of this type
/// has the layout of a C pointer here too.
///
/// ```
/// use loadlib::foreign::Ptr;
/// assert!(Ptr::NULL.is_null());
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Ptr(pub usize);

impl Ptr {
    /// The null pointer.
    pub const NULL: Ptr = Ptr(0);

    /// Whether this is null.
    pub fn is_null(self) -> bool {
        self.0 == 0
    }
}

impl CValue for Ptr {
    const LAYOUT: TypeLayout = TypeLayout::POINTER;
    fn ctype() -> CType {
        CType::Pointer
    }
    fn encode(&self, enc: &mut Encoder<'_>, at: Place) -> Result<()> {
        enc.write_address(at, self.0 as u64)
    }
    /// The address; one that does not fit a 32-bit server's slot is refused where the
    /// slot's width is known (`ScalarCall::new`, which checks every argument of a type
    /// that may not fit), and reported by the general path.
    #[inline(always)]
    fn scalar_bits(&self) -> Option<u64> {
        Some(self.0 as u64)
    }
}

impl CDecode for Ptr {
    fn decode(abi: Abi, bytes: &[u8]) -> Self {
        Ptr(read_uint(bytes, abi.pointer_size()) as usize)
    }
}

fn read_uint(bytes: &[u8], size: u32) -> u64 {
    let mut b = [0u8; 8];
    b[..size as usize].copy_from_slice(&bytes[..size as usize]);
    u64::from_le_bytes(b)
}

impl CValue for usize {
    const LAYOUT: TypeLayout = TypeLayout::POINTER;
    fn ctype() -> CType {
        CType::USize
    }
    fn encode(&self, enc: &mut Encoder<'_>, at: Place) -> Result<()> {
        enc.write_address(at, *self as u64)
    }
    /// As [`Ptr`]'s: a value past a 32-bit server's slot goes the general way.
    #[inline(always)]
    fn scalar_bits(&self) -> Option<u64> {
        Some(*self as u64)
    }
}

impl CDecode for usize {
    fn decode(abi: Abi, bytes: &[u8]) -> Self {
        read_uint(bytes, abi.pointer_size()) as usize
    }
}

impl CValue for isize {
    const LAYOUT: TypeLayout = TypeLayout::POINTER;
    fn ctype() -> CType {
        CType::ISize
    }
    fn encode(&self, enc: &mut Encoder<'_>, at: Place) -> Result<()> {
        let v = *self as i64;
        if enc.abi().is_32_bit() && i32::try_from(v).is_err() {
            return Err(Error::InvalidArgument(format!(
                "{v} does not fit a 32-bit server's isize"
            )));
        }
        enc.write(at, &v.to_le_bytes()[..enc.abi().pointer_size() as usize]);
        Ok(())
    }
    /// Sign-extended: a value outside a 32-bit server's `isize` goes the general way,
    /// which reports it.
    #[inline(always)]
    fn scalar_bits(&self) -> Option<u64> {
        Some(*self as i64 as u64)
    }
}

impl CDecode for isize {
    fn decode(abi: Abi, bytes: &[u8]) -> Self {
        match abi.pointer_size() {
            4 => i32::decode(abi, bytes) as isize,
            _ => i64::decode(abi, bytes) as isize,
        }
    }
}

impl<T: CValue, const N: usize> CValue for [T; N] {
    const LAYOUT: TypeLayout = T::LAYOUT.array(N as u32);
    fn ctype() -> CType {
        CType::Array(Arc::new(T::ctype()), N as u32)
    }
    fn encode(&self, enc: &mut Encoder<'_>, at: Place) -> Result<()> {
        let step = T::LAYOUT.size(enc.abi());
        for (i, v) in self.iter().enumerate() {
            v.encode(enc, at.offset(i as u32 * step))?;
        }
        Ok(())
    }
}

impl<T: CDecode, const N: usize> CDecode for [T; N] {
    fn decode(abi: Abi, bytes: &[u8]) -> Self {
        let step = T::LAYOUT.size(abi) as usize;
        std::array::from_fn(|i| T::decode(abi, &bytes[i * step..]))
    }
}

/// A reference field or argument: the value is placed in the call record and the server
/// receives a pointer to it.
impl<T: CValue> CValue for &T {
    const LAYOUT: TypeLayout = TypeLayout::POINTER;
    fn ctype() -> CType {
        CType::Pointer
    }
    fn encode(&self, enc: &mut Encoder<'_>, at: Place) -> Result<()> {
        enc.pointer_to_values(at, std::slice::from_ref(*self))
    }
}

/// A slice field or argument: the elements are placed in the call record (or a bulk
/// segment, when large) and the server receives a pointer to the first.
impl<T: CValue> CValue for &[T] {
    const LAYOUT: TypeLayout = TypeLayout::POINTER;
    fn ctype() -> CType {
        CType::Pointer
    }
    fn encode(&self, enc: &mut Encoder<'_>, at: Place) -> Result<()> {
        enc.pointer_to_values(at, self)
    }
}

/// A C string: its bytes and a terminating NUL are placed in the call record.
impl CValue for &std::ffi::CStr {
    const LAYOUT: TypeLayout = TypeLayout::POINTER;
    fn ctype() -> CType {
        CType::Pointer
    }
    fn encode(&self, enc: &mut Encoder<'_>, at: Place) -> Result<()> {
        enc.pointer_to_bytes(at, self.to_bytes_with_nul())
    }
}

macro_rules! nullable {
    ($($g:ident)? ; $t:ty) => {
        /// A nullable pointer: `None` is a null pointer.
        impl<$($g: CValue)?> CValue for Option<$t> {
            const LAYOUT: TypeLayout = TypeLayout::POINTER;
            fn ctype() -> CType {
                CType::Pointer
            }
            fn encode(&self, enc: &mut Encoder<'_>, at: Place) -> Result<()> {
                match self {
                    Some(v) => v.encode(enc, at),
                    None => enc.write_address(at, 0),
                }
            }
        }
    };
}

nullable!(T; &T);
nullable!(T; &[T]);
nullable!(; &std::ffi::CStr);
