//! C types as the library sees them, described at run time ([`CType`], [`StructType`]):
//! what the client lays arguments out from. The Rust types that stand for them are in
//! `values`.

use std::sync::Arc;

use super::abi::{round_up, Abi, TypeLayout};

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
