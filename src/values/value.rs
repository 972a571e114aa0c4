//! Owned values: what a client receives, and what a server method may return.

use std::fmt;

use crate::values::dtype::{DType, Element};

/// The elements of an owned array, one variant per dtype.
#[derive(Clone, Debug, PartialEq)]
#[allow(missing_docs)]
pub enum ArrayData {
    I8(Vec<i8>),
    I16(Vec<i16>),
    I32(Vec<i32>),
    I64(Vec<i64>),
    U8(Vec<u8>),
    U16(Vec<u16>),
    U32(Vec<u32>),
    U64(Vec<u64>),
    F32(Vec<f32>),
    F64(Vec<f64>),
}

macro_rules! on_data {
    ($d:expr, $v:ident => $e:expr) => {
        match $d {
            ArrayData::I8($v) => $e,
            ArrayData::I16($v) => $e,
            ArrayData::I32($v) => $e,
            ArrayData::I64($v) => $e,
            ArrayData::U8($v) => $e,
            ArrayData::U16($v) => $e,
            ArrayData::U32($v) => $e,
            ArrayData::U64($v) => $e,
            ArrayData::F32($v) => $e,
            ArrayData::F64($v) => $e,
        }
    };
}

/// A copy at least this long asks for huge pages behind its new array (see
/// [`ArrayData::copy_from_bytes`]): glibc's largest mmap threshold on 64-bit, above which
/// every allocation is a fresh mapping, faulted in anew (a smaller one comes, once warm,
/// from the heap's reused memory, which the advice would only disturb: 13 more faults a
/// call for 8 MB, measured).
pub const HUGE_COPY: usize = 32 << 20;

impl ArrayData {
    /// A zero-filled array of `len` elements of `dtype`.
    pub fn zeros(dtype: DType, len: usize) -> ArrayData {
        match dtype {
            DType::I8 => ArrayData::I8(vec![0; len]),
            DType::I16 => ArrayData::I16(vec![0; len]),
            DType::I32 => ArrayData::I32(vec![0; len]),
            DType::I64 => ArrayData::I64(vec![0; len]),
            DType::U8 => ArrayData::U8(vec![0; len]),
            DType::U16 => ArrayData::U16(vec![0; len]),
            DType::U32 => ArrayData::U32(vec![0; len]),
            DType::U64 => ArrayData::U64(vec![0; len]),
            DType::F32 => ArrayData::F32(vec![0.0; len]),
            DType::F64 => ArrayData::F64(vec![0.0; len]),
        }
    }

    /// A copy of `bytes` (a whole number of elements) as elements of `dtype`, in one
    /// pass: no zero-filling first when the bytes are aligned for the type, as payloads are.
    pub fn copy_from_bytes(dtype: DType, bytes: &[u8]) -> ArrayData {
        fn copy<T: Element>(bytes: &[u8]) -> Option<ArrayData> {
            let s = <[T] as zerocopy::FromBytes>::ref_from_bytes(bytes).ok()?;
            let mut v = Vec::with_capacity(s.len());
            if bytes.len() >= HUGE_COPY {
                // A large new array is fresh memory, faulted in page by page as it is
                // written: ask for huge pages first (one fault per 2 MiB).
                crate::sys::prefer_huge_pages(v.spare_capacity_mut());
            }
            v.extend_from_slice(s);
            Some(T::wrap_vec(v))
        }
        let fast = match dtype {
            DType::I8 => copy::<i8>(bytes),
            DType::I16 => copy::<i16>(bytes),
            DType::I32 => copy::<i32>(bytes),
            DType::I64 => copy::<i64>(bytes),
            DType::U8 => copy::<u8>(bytes),
            DType::U16 => copy::<u16>(bytes),
            DType::U32 => copy::<u32>(bytes),
            DType::U64 => copy::<u64>(bytes),
            DType::F32 => copy::<f32>(bytes),
            DType::F64 => copy::<f64>(bytes),
        };
        fast.unwrap_or_else(|| {
            let mut data = ArrayData::zeros(dtype, bytes.len() / dtype.size());
            data.as_bytes_mut().copy_from_slice(bytes);
            data
        })
    }

    /// The element type.
    pub fn dtype(&self) -> DType {
        match self {
            ArrayData::I8(_) => DType::I8,
            ArrayData::I16(_) => DType::I16,
            ArrayData::I32(_) => DType::I32,
            ArrayData::I64(_) => DType::I64,
            ArrayData::U8(_) => DType::U8,
            ArrayData::U16(_) => DType::U16,
            ArrayData::U32(_) => DType::U32,
            ArrayData::U64(_) => DType::U64,
            ArrayData::F32(_) => DType::F32,
            ArrayData::F64(_) => DType::F64,
        }
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        on_data!(self, v => v.len())
    }

    /// Whether there are no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The elements' bytes.
    pub fn as_bytes(&self) -> &[u8] {
        use zerocopy::IntoBytes;
        on_data!(self, v => v.as_slice().as_bytes())
    }

    /// The elements' bytes, writable.
    pub fn as_bytes_mut(&mut self) -> &mut [u8] {
        use zerocopy::IntoBytes;
        on_data!(self, v => v.as_mut_slice().as_mut_bytes())
    }
}

/// An owned n-dimensional numeric array, row-major (C order).
///
/// ```
/// use loadlib::Array;
/// let m = Array::new(vec![2, 2], vec![1.0f64, 2.0, 3.0, 4.0]).unwrap();
/// assert_eq!(m.shape(), &[2, 2]);
/// assert_eq!(m.as_slice::<f64>().unwrap()[3], 4.0);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Array {
    shape: Vec<usize>,
    data: ArrayData,
}

impl Array {
    /// An array of the given shape; `None` when the shape's product is not `data.len()`.
    pub fn new<T: Element>(shape: impl Into<Vec<usize>>, data: Vec<T>) -> Option<Array> {
        Array::from_data(shape.into(), T::wrap_vec(data))
    }

    /// A 1-D array.
    pub fn from_vec<T: Element>(data: Vec<T>) -> Array {
        Array {
            shape: vec![data.len()],
            data: T::wrap_vec(data),
        }
    }

    /// A 0-D array holding one value.
    pub fn scalar<T: Element>(value: T) -> Array {
        Array {
            shape: vec![],
            data: T::wrap_vec(vec![value]),
        }
    }

    /// A 2-D array from rows of equal length; `None` if they differ.
    pub fn from_rows<T: Element>(rows: &[Vec<T>]) -> Option<Array> {
        let cols = rows.first().map_or(0, |r| r.len());
        if rows.iter().any(|r| r.len() != cols) {
            return None;
        }
        Array::new(vec![rows.len(), cols], rows.concat())
    }

    /// An array from typed data and a shape; `None` on a size mismatch.
    pub fn from_data(shape: Vec<usize>, data: ArrayData) -> Option<Array> {
        let n = shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d))?;
        (n == data.len()).then_some(Array { shape, data })
    }

    /// The element type.
    pub fn dtype(&self) -> DType {
        self.data.dtype()
    }

    /// The extent of each dimension.
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// Number of dimensions.
    pub fn rank(&self) -> usize {
        self.shape.len()
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// Whether there are no elements.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// The elements, if they are of type `T`.
    pub fn as_slice<T: Element>(&self) -> Option<&[T]> {
        T::slice_of(&self.data)
    }

    /// The elements, writable, if they are of type `T`.
    pub fn as_mut_slice<T: Element>(&mut self) -> Option<&mut [T]> {
        T::slice_of_mut(&mut self.data)
    }

    /// The elements as a `Vec<T>`, or the array back if they are of another type.
    pub fn into_vec<T: Element>(self) -> Result<Vec<T>, Array> {
        let shape = self.shape;
        T::vec_of(self.data).map_err(|data| Array { shape, data })
    }

    /// The typed elements.
    pub fn data(&self) -> &ArrayData {
        &self.data
    }

    /// The elements' bytes.
    pub fn as_bytes(&self) -> &[u8] {
        self.data.as_bytes()
    }

    /// A 2-D array's rows as vectors; `None` if not 2-D or not of type `T`.
    pub fn to_rows<T: Element>(&self) -> Option<Vec<Vec<T>>> {
        let [_, cols] = self.shape[..] else {
            return None;
        };
        let d = self.as_slice::<T>()?;
        if cols == 0 {
            return Some(vec![Vec::new(); self.shape[0]]);
        }
        Some(d.chunks(cols).map(|c| c.to_vec()).collect())
    }
}

/// A value that keeps its type across the bridge.
#[derive(Clone, Debug, PartialEq)]
#[allow(missing_docs)]
pub enum Value {
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
    /// UTF-8 text.
    Str(String),
    /// A byte string.
    Bytes(Vec<u8>),
    /// A numeric array of any rank.
    Array(Array),
    /// A list of values.
    List(Vec<Value>),
    /// String keys to values, in order.
    Map(Vec<(String, Value)>),
}

impl Value {
    /// A short name of the value's type, e.g. `i32`, `str`, `array<f64; 2-D>`.
    pub fn type_name(&self) -> String {
        match self {
            Value::None => "None".into(),
            Value::Bool(_) => "bool".into(),
            Value::I8(_) => "i8".into(),
            Value::I16(_) => "i16".into(),
            Value::I32(_) => "i32".into(),
            Value::I64(_) => "i64".into(),
            Value::U8(_) => "u8".into(),
            Value::U16(_) => "u16".into(),
            Value::U32(_) => "u32".into(),
            Value::U64(_) => "u64".into(),
            Value::F32(_) => "f32".into(),
            Value::F64(_) => "f64".into(),
            Value::Str(_) => "str".into(),
            Value::Bytes(_) => "bytes".into(),
            Value::Array(a) => format!("array<{}; {}-D>", a.dtype(), a.rank()),
            Value::List(_) => "list".into(),
            Value::Map(_) => "map".into(),
        }
    }

    /// The scalar's dtype and bits, if this is a numeric scalar.
    #[inline]
    pub fn scalar_bits(&self) -> Option<(DType, u64)> {
        Some(match *self {
            Value::I8(v) => (DType::I8, Element::to_bits(v)),
            Value::I16(v) => (DType::I16, Element::to_bits(v)),
            Value::I32(v) => (DType::I32, Element::to_bits(v)),
            Value::I64(v) => (DType::I64, Element::to_bits(v)),
            Value::U8(v) => (DType::U8, Element::to_bits(v)),
            Value::U16(v) => (DType::U16, Element::to_bits(v)),
            Value::U32(v) => (DType::U32, Element::to_bits(v)),
            Value::U64(v) => (DType::U64, Element::to_bits(v)),
            Value::F32(v) => (DType::F32, Element::to_bits(v)),
            Value::F64(v) => (DType::F64, Element::to_bits(v)),
            _ => return None,
        })
    }

    /// The numeric scalar of `dtype` with these bits.
    pub fn from_scalar_bits(dtype: DType, bits: u64) -> Value {
        match dtype {
            DType::I8 => Value::I8(Element::from_bits(bits)),
            DType::I16 => Value::I16(Element::from_bits(bits)),
            DType::I32 => Value::I32(Element::from_bits(bits)),
            DType::I64 => Value::I64(Element::from_bits(bits)),
            DType::U8 => Value::U8(Element::from_bits(bits)),
            DType::U16 => Value::U16(Element::from_bits(bits)),
            DType::U32 => Value::U32(Element::from_bits(bits)),
            DType::U64 => Value::U64(Element::from_bits(bits)),
            DType::F32 => Value::F32(Element::from_bits(bits)),
            DType::F64 => Value::F64(Element::from_bits(bits)),
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::None => f.write_str("None"),
            Value::Bool(v) => write!(f, "{v}"),
            Value::Str(s) => write!(f, "{s:?}"),
            Value::Bytes(b) => write!(f, "b\"{}\"", b.escape_ascii()),
            Value::Array(a) => {
                write!(f, "array(shape={:?}, ", a.shape())?;
                on_data!(a.data(), v => if v.len() > 12 {
                    write!(f, "{:?}…", &v[..12])
                } else {
                    write!(f, "{v:?}")
                })?;
                f.write_str(")")
            }
            Value::List(items) => f
                .debug_list()
                .entries(items.iter().map(DisplayAsDebug))
                .finish(),
            Value::Map(items) => f
                .debug_map()
                .entries(items.iter().map(|(k, v)| (k, DisplayAsDebug(v))))
                .finish(),
            other => {
                let (d, bits) = other.scalar_bits().expect("remaining variants are scalars");
                match d {
                    DType::F32 => write!(f, "{:?}", f32::from_bits(bits as u32)),
                    DType::F64 => write!(f, "{:?}", f64::from_bits(bits)),
                    _ => write!(
                        f,
                        "{}",
                        crate::values::dtype::int_value(d, bits).unwrap_or_default()
                    ),
                }
            }
        }
    }
}

struct DisplayAsDebug<'a>(&'a Value);
impl fmt::Debug for DisplayAsDebug<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.0, f)
    }
}
