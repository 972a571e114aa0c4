//! Memory shown to numpy without a copy: arrays in shared memory ([`SharedBuffer`]) and
//! arrays a reply brought back ([`OwnedBuffer`]).
//!
//! Each exposes `__array_interface__`; `numpy.asarray(buffer)` makes an array over the
//! memory whose `base` is the buffer, so the memory lives as long as any numpy array
//! over it. This crate never reads or writes that memory through a Rust reference once
//! the buffer exists: it keeps only the address, and numpy does the reading and writing.

use std::sync::{Mutex, MutexGuard, TryLockError};

use loadlib::{Array, ArrayData, DType, SharedArray, ValueRef};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

/// numpy's type string of a dtype (little-endian, as both processes are).
pub(crate) fn typestr(d: DType) -> &'static str {
    match d {
        DType::I8 => "|i1",
        DType::I16 => "<i2",
        DType::I32 => "<i4",
        DType::I64 => "<i8",
        DType::U8 => "|u1",
        DType::U16 => "<u2",
        DType::U32 => "<u4",
        DType::U64 => "<u8",
        DType::F32 => "<f4",
        DType::F64 => "<f8",
    }
}

/// The dtype of a numpy type string; `None` for any other (bool, complex, big-endian…).
pub(crate) fn dtype_of(typestr: &str) -> Option<DType> {
    Some(match typestr {
        "|i1" | "<i1" | "i1" => DType::I8,
        "<i2" | "i2" => DType::I16,
        "<i4" | "i4" => DType::I32,
        "<i8" | "i8" => DType::I64,
        "|u1" | "<u1" | "u1" => DType::U8,
        "<u2" | "u2" => DType::U16,
        "<u4" | "u4" => DType::U32,
        "<u8" | "u8" => DType::U64,
        "<f4" | "f4" => DType::F32,
        "<f8" | "f8" => DType::F64,
        _ => return None,
    })
}

/// A shared array of any element type.
pub(crate) enum SharedAny {
    I8(SharedArray<i8>),
    I16(SharedArray<i16>),
    I32(SharedArray<i32>),
    I64(SharedArray<i64>),
    U8(SharedArray<u8>),
    U16(SharedArray<u16>),
    U32(SharedArray<u32>),
    U64(SharedArray<u64>),
    F32(SharedArray<f32>),
    F64(SharedArray<f64>),
}

macro_rules! on_shared {
    ($s:expr, $a:ident => $e:expr) => {
        match $s {
            SharedAny::I8($a) => $e,
            SharedAny::I16($a) => $e,
            SharedAny::I32($a) => $e,
            SharedAny::I64($a) => $e,
            SharedAny::U8($a) => $e,
            SharedAny::U16($a) => $e,
            SharedAny::U32($a) => $e,
            SharedAny::U64($a) => $e,
            SharedAny::F32($a) => $e,
            SharedAny::F64($a) => $e,
        }
    };
}

impl SharedAny {
    /// Allocates a zeroed array of `dtype` with `shape` in `client`'s shared memory.
    pub(crate) fn alloc(
        client: &loadlib::Client64,
        dtype: DType,
        shape: &[usize],
    ) -> loadlib::Result<SharedAny> {
        Ok(match dtype {
            DType::I8 => SharedAny::I8(client.alloc_array(shape)?),
            DType::I16 => SharedAny::I16(client.alloc_array(shape)?),
            DType::I32 => SharedAny::I32(client.alloc_array(shape)?),
            DType::I64 => SharedAny::I64(client.alloc_array(shape)?),
            DType::U8 => SharedAny::U8(client.alloc_array(shape)?),
            DType::U16 => SharedAny::U16(client.alloc_array(shape)?),
            DType::U32 => SharedAny::U32(client.alloc_array(shape)?),
            DType::U64 => SharedAny::U64(client.alloc_array(shape)?),
            DType::F32 => SharedAny::F32(client.alloc_array(shape)?),
            DType::F64 => SharedAny::F64(client.alloc_array(shape)?),
        })
    }

    /// The argument that passes the array by reference: read-only, or for the server to
    /// write in place.
    pub(crate) fn value_ref(&mut self, writable: bool) -> ValueRef<'_> {
        if writable {
            on_shared!(self, a => ValueRef::from(a))
        } else {
            on_shared!(self, a => ValueRef::from(&*a))
        }
    }
}

/// An array in shared memory, which the server reads and writes in place. Python code
/// sees it through numpy (`loadlib.Client64.shared_array`), never directly.
#[pyclass(frozen, module = "loadlib._native")]
pub struct SharedBuffer {
    array: Mutex<SharedAny>,
    address: usize,
    nbytes: usize,
    dtype: DType,
    shape: Vec<usize>,
    /// The segment name of the client that allocated it: its server is the one that
    /// knows the array (by its number).
    owner: String,
}

impl SharedBuffer {
    pub(crate) fn new(mut array: SharedAny, owner: &str) -> SharedBuffer {
        let dtype;
        let shape;
        let (address, nbytes) = on_shared!(&mut array, a => {
            dtype = a.dtype();
            shape = a.shape().to_vec();
            let s: &mut [_] = a;
            (s.as_mut_ptr() as usize, std::mem::size_of_val(s))
        });
        SharedBuffer {
            array: Mutex::new(array),
            address,
            nbytes,
            dtype,
            shape,
            owner: owner.to_owned(),
        }
    }

    /// The segment name of the client that allocated it.
    pub(crate) fn owner(&self) -> &str {
        &self.owner
    }

    /// The array, for one call. A use at once by another thread's call is an error
    /// rather than a wait.
    pub(crate) fn lock(&self) -> PyResult<MutexGuard<'_, SharedAny>> {
        match self.array.try_lock() {
            Ok(g) => Ok(g),
            Err(TryLockError::Poisoned(p)) => Ok(p.into_inner()),
            Err(TryLockError::WouldBlock) => Err(PyValueError::new_err(
                "this shared array is passed in another thread's call in progress",
            )),
        }
    }

    /// Where the array starts in this process, and its bytes.
    pub(crate) fn span(&self) -> (usize, usize) {
        (self.address, self.nbytes)
    }

    pub(crate) fn dtype(&self) -> DType {
        self.dtype
    }

    pub(crate) fn shape(&self) -> &[usize] {
        &self.shape
    }
}

#[pymethods]
impl SharedBuffer {
    /// numpy's array interface over the shared memory (writable).
    #[getter]
    fn __array_interface__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        interface(py, self.address, self.dtype, &self.shape)
    }

    /// The bytes of the array.
    #[getter]
    fn nbytes(&self) -> usize {
        self.nbytes
    }

    fn __repr__(&self) -> String {
        format!(
            "<loadlib SharedBuffer {} {:?}>",
            typestr(self.dtype),
            self.shape
        )
    }
}

/// An array a reply brought back, owned here and shown to numpy without another copy.
#[pyclass(frozen, module = "loadlib._native")]
pub struct OwnedBuffer {
    /// Held, never read here after `address` was taken (numpy reads and writes it).
    _data: Box<ArrayData>,
    address: usize,
    dtype: DType,
    shape: Vec<usize>,
}

impl OwnedBuffer {
    pub(crate) fn new(array: Array) -> OwnedBuffer {
        let dtype = array.dtype();
        let shape = array.shape().to_vec();
        let mut data = Box::new(take_data(array));
        let address = data.as_bytes_mut().as_mut_ptr() as usize;
        OwnedBuffer {
            _data: data,
            address,
            dtype,
            shape,
        }
    }
}

/// The elements of an array, without copying them.
fn take_data(array: Array) -> ArrayData {
    macro_rules! take {
        ($($v:ident: $t:ty),*) => {
            match array.dtype() {
                $(DType::$v => ArrayData::$v(
                    array.into_vec::<$t>().expect("the dtype just matched"),
                ),)*
            }
        };
    }
    take!(I8: i8, I16: i16, I32: i32, I64: i64, U8: u8, U16: u16, U32: u32, U64: u64, F32: f32, F64: f64)
}

#[pymethods]
impl OwnedBuffer {
    /// numpy's array interface over the reply's array (writable; numpy owns the only
    /// view).
    #[getter]
    fn __array_interface__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        interface(py, self.address, self.dtype, &self.shape)
    }
}

fn interface<'py>(
    py: Python<'py>,
    address: usize,
    dtype: DType,
    shape: &[usize],
) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("version", 3)?;
    d.set_item("typestr", typestr(dtype))?;
    d.set_item("shape", PyTuple::new(py, shape)?)?;
    d.set_item("data", (address, false))?;
    Ok(d)
}

/// A numpy array over `buffer` (a [`SharedBuffer`] or [`OwnedBuffer`]), which becomes
/// its `base`.
pub(crate) fn to_numpy<'py>(buffer: Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    let py = buffer.py();
    let np = py.import("numpy").map_err(|e| {
        PyTypeError::new_err(format!(
            "a reply holds an array, and arrays come back as numpy arrays: install numpy ({e})"
        ))
    })?;
    np.call_method1("asarray", (buffer,))
}
