//! C types as the library sees them: a description at run time ([`CType`]), and the
//! Rust types that stand for them ([`CValue`]), which write themselves in the server's
//! representation and read themselves back.

use std::sync::Arc;

use super::abi::{round_up, Abi, TypeLayout};
use super::encode::{Encoder, Place};
use crate::error::{Error, Result};

/// A C type a foreign function takes or returns, described at run time: what the client
/// lays out arguments from, for any of the server's [`Abi`]s.
///
/// ```
/// use loadlib::foreign::{Abi, CType, StructType};
/// let point = CType::Struct(StructType::new("Point", [("x", CType::F64), ("y", CType::F64)]));
/// assert_eq!(point.layout().size(Abi::I386SysV), 16);
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum CType {
    /// C's `bool` (`_Bool`): one byte, 0 or 1.
    Bool,
    /// `int8_t`, and C's `char` (signed on x86).
    I8,
    /// `uint8_t`, `unsigned char`.
    U8,
    /// `int16_t`, `short`.
    I16,
    /// `uint16_t`.
    U16,
    /// `int32_t`, `int`, and `long` on 32-bit ABIs and Windows.
    I32,
    /// `uint32_t`, `unsigned`.
    U32,
    /// `int64_t`, `long long`.
    I64,
    /// `uint64_t`.
    U64,
    /// `float`.
    F32,
    /// `double`.
    F64,
    /// A Fortran default `LOGICAL` (4 bytes under gfortran; any non-zero value is true).
    Logical,
    /// `ptrdiff_t`, `intptr_t`: as wide as a pointer.
    ISize,
    /// `size_t`, `uintptr_t`: as wide as a pointer.
    USize,
    /// A pointer: to data the caller passes, or an address the library handed out.
    Pointer,
    /// A fixed-length array inside a struct (`double p[4]`).
    Array(Arc<CType>, u32),
    /// A struct.
    Struct(Arc<StructType>),
}

/// How the x86-64 System V convention classes a scalar.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Class {
    /// General-purpose registers.
    Integer,
    /// Vector registers.
    Sse,
}

impl CType {
    /// Size and alignment under every ABI.
    pub fn layout(&self) -> TypeLayout {
        match self {
            CType::Bool | CType::I8 | CType::U8 => TypeLayout::scalar(1),
            CType::I16 | CType::U16 => TypeLayout::scalar(2),
            CType::I32 | CType::U32 | CType::F32 | CType::Logical => TypeLayout::scalar(4),
            CType::I64 | CType::U64 | CType::F64 => TypeLayout::scalar(8),
            CType::ISize | CType::USize | CType::Pointer => TypeLayout::POINTER,
            CType::Array(t, n) => t.layout().array(*n),
            CType::Struct(s) => s.layout,
        }
    }

    /// Whether this is a `float` or `double`.
    pub(crate) fn is_float(&self) -> bool {
        matches!(self, CType::F32 | CType::F64)
    }

    /// Whether this is a signed integer narrower than 4 bytes (extended when passed).
    pub(crate) fn narrow_int(&self) -> Option<bool> {
        match self {
            CType::I8 | CType::I16 => Some(true),
            CType::Bool | CType::U8 | CType::U16 => Some(false),
            _ => None,
        }
    }

    /// The scalars this type is made of, with their offsets under `abi`, in order.
    pub(crate) fn leaves(&self, abi: Abi, at: u32, out: &mut Vec<(u32, u32, Class)>) {
        match self {
            CType::Array(t, n) => {
                let step = t.layout().size(abi);
                for i in 0..*n {
                    t.leaves(abi, at + i * step, out);
                }
            }
            CType::Struct(s) => {
                for (f, off) in s.fields.iter().zip(&s.offsets) {
                    f.1.leaves(abi, at + off[abi as usize], out);
                }
            }
            t => {
                let class = if t.is_float() {
                    Class::Sse
                } else {
                    Class::Integer
                };
                out.push((at, t.layout().size(abi), class));
            }
        }
    }

    /// A short name for messages: `i32`, `f64`, `struct Point`, `[f64; 4]`.
    pub fn name(&self) -> String {
        match self {
            CType::Bool => "bool".into(),
            CType::I8 => "i8".into(),
            CType::U8 => "u8".into(),
            CType::I16 => "i16".into(),
            CType::U16 => "u16".into(),
            CType::I32 => "i32".into(),
            CType::U32 => "u32".into(),
            CType::I64 => "i64".into(),
            CType::U64 => "u64".into(),
            CType::F32 => "f32".into(),
            CType::F64 => "f64".into(),
            CType::Logical => "Logical".into(),
            CType::ISize => "isize".into(),
            CType::USize => "usize".into(),
            CType::Pointer => "pointer".into(),
            CType::Array(t, n) => format!("[{}; {n}]", t.name()),
            CType::Struct(s) => format!("struct {}", s.name),
        }
    }
}

/// A C struct described at run time: its fields in order, and its layout under every ABI.
#[derive(Clone, Debug, PartialEq)]
pub struct StructType {
    name: String,
    fields: Vec<(String, CType)>,
    layout: TypeLayout,
    /// Each field's offset under each ABI.
    offsets: Vec<[u32; 4]>,
}

impl StructType {
    /// A struct named `name` with these fields, laid out as C does.
    pub fn new<N: Into<String>>(
        name: impl Into<String>,
        fields: impl IntoIterator<Item = (N, CType)>,
    ) -> Arc<StructType> {
        let fields: Vec<(String, CType)> = fields.into_iter().map(|(n, t)| (n.into(), t)).collect();
        let mut layout = TypeLayout {
            size: [0; 4],
            align: [1; 4],
        };
        let mut offsets = vec![[0u32; 4]; fields.len()];
        // The rules of the const `struct_layout`, over a list known at run time.
        for abi in 0..4 {
            let mut at = 0;
            for ((_, t), offset) in fields.iter().zip(offsets.iter_mut()) {
                let l = t.layout();
                at = round_up(at, l.align[abi]);
                offset[abi] = at;
                at += l.size[abi];
                layout.align[abi] = layout.align[abi].max(l.align[abi]);
            }
            layout.size[abi] = round_up(at, layout.align[abi]);
        }
        Arc::new(StructType {
            name: name.into(),
            fields,
            layout,
            offsets,
        })
    }

    /// The struct's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The fields, in order.
    pub fn fields(&self) -> impl Iterator<Item = (&str, &CType)> {
        self.fields.iter().map(|(n, t)| (n.as_str(), t))
    }

    /// Field `i`'s offset under `abi`.
    pub fn offset(&self, i: usize, abi: Abi) -> u32 {
        self.offsets[i][abi as usize]
    }

    /// Size and alignment under every ABI.
    pub fn layout(&self) -> TypeLayout {
        self.layout
    }
}

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
    ($t:ty, $c:ident) => {
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

number!(i8, I8);
number!(u8, U8);
number!(i16, I16);
number!(u16, U16);
number!(i32, I32);
number!(u32, U32);
number!(i64, I64);
number!(u64, U64);
number!(f32, F32);
number!(f64, F64);

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
