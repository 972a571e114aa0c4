//! Python values to call arguments, and reply values back to Python.
//!
//! | Python | argument |
//! |---|---|
//! | `None`, `bool`, `int` (`i64`, or `u64` above it), `float` (`f64`), `str`, `bytes`, `bytearray` | the same |
//! | `list`, `tuple`; `dict` with `str` keys | a list; a map |
//! | a numpy array or scalar (anything with `__array_interface__`) of `int8`…`uint64`, `float32`, `float64` | an array of that dtype and shape, read in place from numpy's memory; a 0-d one is a scalar of its type |
//! | a numpy array over a whole shared array (`Client64.shared_array`) | the shared array by reference: no copy; the server writes into it when the numpy array is writable |
//! | anything with `__index__` / `__float__` | an integer / a float |
//!
//! Replies: numbers, `bool`, `str`, `bytes`, `None`, lists and dicts as themselves; an
//! array as a new numpy array (which owns the reply's memory, no further copy).

use loadlib::{ArrayMut, ArrayRef, DType, Value, ValueRef};
use pyo3::exceptions::{PyOverflowError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{
    PyBool, PyByteArray, PyBytes, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple,
};
use pyo3::IntoPyObjectExt;

use crate::buffers::{dtype_of, to_numpy, OwnedBuffer, SharedBuffer};

/// One argument, converted, holding what its [`ValueRef`] borrows.
pub(crate) enum Arg<'py> {
    /// An owned value.
    Value(Value),
    /// An array read in place from a Python object's memory (numpy's), which `obj`
    /// keeps alive. `writable`: passed for the library to write (foreign calls).
    Borrowed {
        _obj: Bound<'py, PyAny>,
        /// The interface dict, which may hold the memory itself (a numpy scalar's is a
        /// temporary array under the key `__ref`).
        _iface: Bound<'py, PyDict>,
        dtype: DType,
        shape: Vec<usize>,
        address: usize,
        nbytes: usize,
        writable: bool,
    },
    /// A whole shared array.
    Shared {
        buffer: Bound<'py, SharedBuffer>,
        writable: bool,
    },
}

impl Arg<'_> {
    /// Whether the argument reads Python-owned memory, which another thread could change
    /// if the call let go of the interpreter.
    pub(crate) fn borrows_python_memory(&self) -> bool {
        matches!(self, Arg::Borrowed { .. })
    }
}

/// Converts `obj`. `writable_arrays`: a writable numpy array passes as a writable argument
/// (the library's writes come back into it), as foreign calls want; otherwise as a
/// read-only one.
/// `owner`: the segment name of the client the call goes to: a shared array of another
/// client is passed as a copy, as any numpy array is.
pub(crate) fn to_arg<'py>(
    obj: &Bound<'py, PyAny>,
    writable_arrays: bool,
    pickle: bool,
    owner: &str,
) -> PyResult<Arg<'py>> {
    if let Some(v) = simple_value(obj)? {
        return Ok(Arg::Value(v));
    }
    if let Ok(iface) = obj.getattr("__array_interface__") {
        return array_arg(
            obj,
            &iface.cast_into::<PyDict>()?,
            writable_arrays,
            Some(owner),
        );
    }
    Ok(Arg::Value(to_value(obj, pickle)?))
}

/// `None`, `bool`, `int`, `float`, `str`, `bytes`: the common arguments, checked first.
fn simple_value(obj: &Bound<'_, PyAny>) -> PyResult<Option<Value>> {
    Ok(Some(if obj.is_none() {
        Value::None
    } else if let Ok(b) = obj.cast::<PyBool>() {
        Value::Bool(b.is_true())
    } else if let Ok(i) = obj.cast::<PyInt>() {
        int_value(i)?
    } else if let Ok(f) = obj.cast::<PyFloat>() {
        Value::F64(f.value())
    } else if let Ok(s) = obj.cast::<PyString>() {
        Value::Str(s.to_cow()?.into_owned())
    } else if let Ok(b) = obj.cast::<PyBytes>() {
        Value::Bytes(b.as_bytes().to_vec())
    } else {
        return Ok(None);
    }))
}

fn int_value(i: &Bound<'_, PyInt>) -> PyResult<Value> {
    if let Ok(v) = i.extract::<i64>() {
        return Ok(Value::I64(v));
    }
    if let Ok(v) = i.extract::<u64>() {
        return Ok(Value::U64(v));
    }
    Err(PyOverflowError::new_err(format!(
        "{i} does not fit in 64 bits (an int sent to the server is an i64, or a u64 above it)"
    )))
}

/// The key of a map that holds a long list of numbers as an array (for Python servers,
/// which make it a list again): a record holds lists inline, and an array is 4× smaller.
pub(crate) const LIST_KEY: &str = "\u{0}list";

/// A list of at least 16 floats, or of ints that fit `i64`, packed as an array.
pub(crate) fn packed_list(l: &Bound<'_, PyList>) -> PyResult<Option<loadlib::Array>> {
    if l.len() < 16 {
        return Ok(None);
    }
    let first = l.get_item(0)?;
    let array = if first.is_exact_instance_of::<PyFloat>() {
        let mut v = Vec::with_capacity(l.len());
        for x in l.iter() {
            match x.cast_exact::<PyFloat>() {
                Ok(f) => v.push(f.value()),
                Err(_) => return Ok(None),
            }
        }
        loadlib::Array::from_vec(v)
    } else if first.is_exact_instance_of::<PyInt>() {
        let mut v = Vec::with_capacity(l.len());
        for x in l.iter() {
            match x
                .cast_exact::<PyInt>()
                .ok()
                .and_then(|i| i.extract::<i64>().ok())
            {
                Some(i) => v.push(i),
                None => return Ok(None),
            }
        }
        loadlib::Array::from_vec(v)
    } else {
        return Ok(None);
    };
    Ok(Some(array))
}

/// The key of a map that holds a pickled object (for Python servers only).
pub(crate) const PICKLE_KEY: &str = "\u{0}pickle";

/// Any value, owned (lists, dicts, and arrays inside them are copied). `pickle`: an
/// object of another type goes pickled, as the original tool sends everything (a
/// Python server unpickles it), rather than being refused.
pub(crate) fn to_value(obj: &Bound<'_, PyAny>, pickle: bool) -> PyResult<Value> {
    to_value_at(obj, pickle, 0)
}

/// Lists and dicts nested deeper than this are refused (the server's decoder allows 64).
const MAX_DEPTH: u32 = 60;

fn to_value_at(obj: &Bound<'_, PyAny>, pickle: bool, depth: u32) -> PyResult<Value> {
    if depth > MAX_DEPTH {
        return Err(PyValueError::new_err(format!(
            "lists and dicts nested deeper than {MAX_DEPTH} levels cannot be sent"
        )));
    }
    if let Some(v) = simple_value(obj)? {
        return Ok(v);
    }
    if let Ok(l) = obj.cast::<PyList>() {
        if pickle {
            if let Some(array) = packed_list(l)? {
                return Ok(Value::Map(vec![(LIST_KEY.to_owned(), Value::Array(array))]));
            }
        }
        return l
            .iter()
            .map(|x| to_value_at(&x, pickle, depth + 1))
            .collect::<PyResult<_>>()
            .map(Value::List);
    }
    if let Ok(t) = obj.cast::<PyTuple>() {
        return t
            .iter()
            .map(|x| to_value_at(&x, pickle, depth + 1))
            .collect::<PyResult<_>>()
            .map(Value::List);
    }
    if let Ok(d) = obj.cast::<PyDict>() {
        let mut items = Vec::with_capacity(d.len());
        for (k, v) in d.iter() {
            let key = k.cast::<PyString>().map_err(|_| {
                PyTypeError::new_err(format!(
                    "a dict sent to the server needs str keys, not {}",
                    type_name(&k)
                ))
            })?;
            items.push((
                key.to_cow()?.into_owned(),
                to_value_at(&v, pickle, depth + 1)?,
            ));
        }
        return Ok(Value::Map(items));
    }
    if let Ok(b) = obj.cast::<PyByteArray>() {
        return Ok(Value::Bytes(b.to_vec()));
    }
    if let Ok(iface) = obj.getattr("__array_interface__") {
        // Inside a list or map: a copy (a shared array too).
        let mut arg = [array_arg(obj, &iface.cast_into::<PyDict>()?, false, None)?];
        return arg_refs(&mut arg, |refs| Ok(refs[0].to_value()));
    }
    if obj.hasattr("__index__")? {
        let i = obj.call_method0("__index__")?;
        return int_value(i.cast::<PyInt>()?);
    }
    if obj.hasattr("__float__")? {
        return Ok(Value::F64(obj.call_method0("__float__")?.extract::<f64>()?));
    }
    if pickle {
        let pickled = obj
            .py()
            .import("pickle")?
            .call_method1("dumps", (obj, 5))?
            .cast_into::<PyBytes>()?;
        return Ok(Value::Map(vec![(
            PICKLE_KEY.to_owned(),
            Value::Bytes(pickled.as_bytes().to_vec()),
        )]));
    }
    Err(PyTypeError::new_err(format!(
        "cannot send a {} to the server (it takes None, bool, int, float, str, bytes, \
         list, tuple, dict with str keys, and numpy arrays)",
        type_name(obj)
    )))
}

fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "?".into())
}

/// An object with `__array_interface__`: a shared array by reference, or numpy's memory
/// read in place (a C-contiguous copy first if it is not contiguous).
fn array_arg<'py>(
    obj: &Bound<'py, PyAny>,
    iface: &Bound<'py, PyDict>,
    writable_arrays: bool,
    owner: Option<&str>,
) -> PyResult<Arg<'py>> {
    let get = |k: &str| -> PyResult<Bound<'py, PyAny>> {
        iface
            .get_item(k)?
            .ok_or_else(|| PyTypeError::new_err(format!("__array_interface__ lacks `{k}`")))
    };
    let typestr: String = get("typestr")?.extract()?;
    let dtype = dtype_of(&typestr).ok_or_else(|| {
        PyTypeError::new_err(format!(
            "arrays of dtype {typestr:?} cannot be sent: use int8…int64, uint8…uint64, \
             float32 or float64"
        ))
    })?;
    let shape: Vec<usize> = get("shape")?.extract()?;
    let strides = iface.get_item("strides")?;
    let data = iface.get_item("data")?;
    let contiguous = strides.as_ref().is_none_or(|s| s.is_none());
    let writes_back = |readonly: bool| -> PyResult<()> {
        if writable_arrays && !readonly {
            return Err(PyTypeError::new_err(
                "a writable array for a library to write must be C-contiguous and aligned \
                 (numpy.ascontiguousarray makes one)",
            ));
        }
        Ok(())
    };
    let Some(data) = data.filter(|d| !d.is_none() && contiguous) else {
        // Not contiguous, or its memory is behind a buffer: a C-contiguous copy, which
        // cannot carry a library's writes back.
        let readonly = match iface.get_item("data")? {
            Some(d) if !d.is_none() => d.extract::<(usize, bool)>()?.1,
            _ => true,
        };
        writes_back(readonly)?;
        let np = obj.py().import("numpy")?;
        let copy = np.call_method1("ascontiguousarray", (obj,))?;
        if copy.is(obj) {
            return Err(PyTypeError::new_err(
                "an array whose __array_interface__ gives no data address",
            ));
        }
        let iface = copy.getattr("__array_interface__")?.cast_into::<PyDict>()?;
        return array_arg(&copy, &iface, false, None);
    };
    let (address, readonly): (usize, bool) = data.extract()?;
    let elements = shape
        .iter()
        .try_fold(1usize, |a, &d| a.checked_mul(d))
        .ok_or_else(|| PyOverflowError::new_err("the array's size overflows"))?;
    let nbytes = elements * dtype.size();
    if let Some(buffer) = owner.map(|_| shared_base(obj)).transpose()?.flatten() {
        let b = buffer.get();
        if b.span() == (address, nbytes) && b.dtype() == dtype && Some(b.owner()) == owner {
            return Ok(Arg::Shared {
                buffer,
                writable: !readonly,
            });
        }
    }
    if nbytes > 0 && (address == 0 || address % dtype.size() != 0) {
        // Misaligned (numpy allows it): an aligned copy.
        writes_back(readonly)?;
        let np = obj.py().import("numpy")?;
        let copy = np.call_method1("array", (obj,))?;
        let iface = copy.getattr("__array_interface__")?.cast_into::<PyDict>()?;
        if copy.is(obj) {
            return Err(PyTypeError::new_err("an array at a misaligned address"));
        }
        return array_arg(&copy, &iface, false, None);
    }
    // A numpy scalar's memory is a temporary array: writes to it would be lost.
    let temporary = iface.contains("__ref")?;
    Ok(Arg::Borrowed {
        _obj: obj.clone(),
        _iface: iface.clone(),
        dtype,
        shape,
        address,
        nbytes,
        writable: writable_arrays && !readonly && !temporary,
    })
}

/// The shared array under a numpy array, if it is over one.
fn shared_base<'py>(obj: &Bound<'py, PyAny>) -> PyResult<Option<Bound<'py, SharedBuffer>>> {
    let mut cur = obj.clone();
    for _ in 0..64 {
        if let Ok(b) = cur.cast::<SharedBuffer>() {
            return Ok(Some(b.clone()));
        }
        match cur.getattr("base") {
            Ok(base) if !base.is_none() => cur = base,
            _ => return Ok(None),
        }
    }
    Ok(None)
}

/// Builds the [`ValueRef`]s of `args` (locking the shared arrays among them) and runs `f`
/// on them.
pub(crate) fn arg_refs<R>(
    args: &mut [Arg<'_>],
    f: impl FnOnce(&[ValueRef<'_>]) -> PyResult<R>,
) -> PyResult<R> {
    separate_writable(args)?;
    // Each shared array locked once, however often it is passed. One of its
    // occurrences goes in place (the one the library writes, if any); the others go as
    // copies taken now, so `f(s, n, s)` reads what `s` held and writes `s` in place, as
    // in process. Two writable occurrences of one array are an error.
    let key_of = |b: &Bound<'_, SharedBuffer>| -> *const SharedBuffer { b.get() };
    let mut guards: Vec<(*const SharedBuffer, usize, bool, _)> = Vec::new();
    for (i, a) in args.iter().enumerate() {
        let Arg::Shared { buffer, writable } = a else {
            continue;
        };
        let key = key_of(buffer);
        match guards.iter_mut().find(|(k, ..)| *k == key) {
            None => guards.push((key, i, *writable, buffer.get().lock()?)),
            Some((_, _, true, _)) if *writable => {
                return Err(PyValueError::new_err(
                    "the same shared array is passed twice for the library to write",
                ))
            }
            Some(g) if *writable => {
                g.1 = i;
                g.2 = true;
            }
            Some(_) => {}
        }
    }
    // The copies (before any in-place reference to the arrays exists).
    let mut copies: Vec<(usize, Vec<u64>)> = Vec::new();
    for (i, a) in args.iter().enumerate() {
        let Arg::Shared { buffer, .. } = a else {
            continue;
        };
        let key = key_of(buffer);
        if guards
            .iter()
            .any(|(k, chosen, ..)| *k == key && *chosen == i)
        {
            continue;
        }
        let (address, nbytes) = buffer.get().span();
        let mut copy = vec![0u64; nbytes.div_ceil(8)];
        // SAFETY: `address..address+nbytes` is the shared array's memory, mapped while
        // `buffer` lives; it is locked (`guards`), so no call of ours writes it now.
        unsafe {
            std::ptr::copy_nonoverlapping(address as *const u8, copy.as_mut_ptr().cast(), nbytes)
        };
        copies.push((i, copy));
    }
    let mut in_place: Vec<(usize, Option<ValueRef<'_>>)> = guards
        .iter_mut()
        .map(|(_, i, writable, guard)| {
            let r = match guard.value_ref(*writable) {
                ValueRef::Shared(r) => ValueRef::Shared(r),
                _ => unreachable!("a shared array's argument is a shared reference"),
            };
            (*i, Some(r))
        })
        .collect();
    let mut refs = Vec::with_capacity(args.len());
    for (i, a) in args.iter().enumerate() {
        refs.push(match a {
            Arg::Value(v) => ValueRef::from(v),
            Arg::Shared { buffer, .. } => {
                if let Some((_, r)) = in_place.iter_mut().find(|(k, _)| *k == i) {
                    r.take().expect("each in-place reference is used once")
                } else {
                    let (_, copy) = copies
                        .iter()
                        .find(|(k, _)| *k == i)
                        .expect("the other occurrences were copied above");
                    let b = buffer.get();
                    let nbytes = b.span().1;
                    // SAFETY: `copy` holds `nbytes` bytes, 8-aligned, owned here and not
                    // written while `refs` lives (until `f` returns).
                    unsafe {
                        borrowed_ref(b.dtype(), b.shape(), copy.as_ptr() as usize, nbytes, false)
                    }?
                }
            }
            Arg::Borrowed {
                dtype,
                shape,
                address,
                nbytes,
                writable,
                ..
            } => {
                // SAFETY: `address..address+nbytes` is the memory of a C-contiguous numpy
                // array (its `__array_interface__`, checked aligned above), which `_obj`
                // (and `_iface`, for a numpy scalar's temporary) keeps alive, and numpy
                // does not move or free an array's memory while a reference to the array
                // exists. The caller holds the interpreter for as
                // long as these views live (`borrows_python_memory`), so no Python code
                // runs meanwhile to write or read it. Writable ones were writable there.
                unsafe { borrowed_ref(*dtype, shape, *address, *nbytes, *writable) }?
            }
        });
    }
    f(&refs)
}

/// Makes sure no writable view of numpy memory overlaps another view: a read-only
/// argument over the same memory as a writable one (`f(x, n, x)`, in place) becomes a
/// copy taken now, so the library reads what `x` held before the call, as it would in
/// process; two writable ones over the same memory are an error.
fn separate_writable(args: &mut [Arg<'_>]) -> PyResult<()> {
    let span = |a: &Arg<'_>| match a {
        Arg::Borrowed {
            address,
            nbytes,
            writable,
            ..
        } if *nbytes > 0 => Some((*address, *address + *nbytes, *writable)),
        // The server writes a writable shared array while the call runs: no view of
        // its memory (a slice of it passed as a plain array) may be live then.
        Arg::Shared {
            buffer,
            writable: true,
        } => {
            let (address, nbytes) = buffer.get().span();
            (nbytes > 0).then_some((address, address + nbytes, true))
        }
        _ => None,
    };
    let spans: Vec<_> = args.iter().map(span).collect();
    let overlaps = |a: (usize, usize, bool), b: (usize, usize, bool)| a.0 < b.1 && b.0 < a.1;
    for (i, si) in spans.iter().enumerate() {
        let Some(si) = *si else { continue };
        for (j, sj) in spans.iter().enumerate() {
            let Some(sj) = *sj else { continue };
            if i == j || !overlaps(si, sj) {
                continue;
            }
            let both_shared =
                matches!(args[i], Arg::Shared { .. }) && matches!(args[j], Arg::Shared { .. });
            if si.2 && sj.2 && !both_shared {
                return Err(crate::errors::argument_error(
                    obj_py(&args[i]),
                    format!(
                        "arguments {} and {} are the same writable memory (pass a copy for one)",
                        i.min(j) + 1,
                        i.max(j) + 1
                    ),
                ));
            }
        }
    }
    for i in 0..args.len() {
        let Some(si) = spans[i] else { continue };
        let shadowed = !si.2
            && spans
                .iter()
                .enumerate()
                .any(|(j, sj)| j != i && sj.is_some_and(|sj| sj.2 && overlaps(si, sj)));
        if shadowed {
            let mut one = [std::mem::replace(&mut args[i], Arg::Value(Value::None))];
            let copy = arg_refs_plain(&mut one)?;
            args[i] = Arg::Value(copy);
        }
    }
    Ok(())
}

/// The owned copy of one read-only borrowed argument.
fn arg_refs_plain(one: &mut [Arg<'_>; 1]) -> PyResult<Value> {
    let Arg::Borrowed {
        dtype,
        shape,
        address,
        nbytes,
        ..
    } = &one[0]
    else {
        return Ok(Value::None);
    };
    // SAFETY: as in `arg_refs`: numpy's live, aligned memory, the interpreter held; the
    // view is read-only and dropped before this returns, before any writable view exists.
    let view = unsafe { borrowed_ref(*dtype, shape, *address, *nbytes, false) }?;
    Ok(view.to_value())
}

fn obj_py<'py>(a: &Arg<'py>) -> Python<'py> {
    match a {
        Arg::Borrowed { _obj, .. } => _obj.py(),
        Arg::Shared { buffer, .. } => buffer.py(),
        Arg::Value(_) => unreachable!("only borrowed arguments overlap"),
    }
}

/// A view of `nbytes` at `address` as an array of `dtype` and `shape`.
///
/// # Safety
/// The memory must be valid, aligned for `dtype`, readable (and writable if `writable`)
/// and used by nothing else for the view's lifetime `'a`.
unsafe fn borrowed_ref<'a>(
    dtype: DType,
    shape: &[usize],
    address: usize,
    nbytes: usize,
    writable: bool,
) -> PyResult<ValueRef<'a>> {
    macro_rules! view {
        ($($v:ident: $t:ty),*) => {
            match dtype {
                $(DType::$v => {
                    let n = nbytes / size_of::<$t>();
                    let ptr = if n == 0 {
                        std::ptr::NonNull::<$t>::dangling().as_ptr()
                    } else {
                        address as *mut $t
                    };
                    if writable {
                        // SAFETY: the caller's guarantees.
                        let s = unsafe { std::slice::from_raw_parts_mut(ptr, n) };
                        // Flat: a foreign call's pointer sees elements, not a shape.
                        ValueRef::ArrayMut(ArrayMut::from_slice(s))
                    } else {
                        // SAFETY: the caller's guarantees.
                        let s = unsafe { std::slice::from_raw_parts(ptr as *const $t, n) };
                        ValueRef::Array(ArrayRef::new(s, shape).ok_or_else(|| {
                            PyTypeError::new_err("an array of rank above 32")
                        })?)
                    }
                })*
            }
        };
    }
    Ok(
        view!(I8: i8, I16: i16, I32: i32, I64: i64, U8: u8, U16: u16, U32: u32, U64: u64, F32: f32, F64: f64),
    )
}

/// A reply value as a Python object.
pub(crate) fn to_py(py: Python<'_>, v: Value) -> PyResult<Py<PyAny>> {
    Ok(match v {
        Value::None => py.None(),
        Value::Bool(b) => b.into_py_any(py)?,
        Value::I8(x) => x.into_py_any(py)?,
        Value::I16(x) => x.into_py_any(py)?,
        Value::I32(x) => x.into_py_any(py)?,
        Value::I64(x) => x.into_py_any(py)?,
        Value::U8(x) => x.into_py_any(py)?,
        Value::U16(x) => x.into_py_any(py)?,
        Value::U32(x) => x.into_py_any(py)?,
        Value::U64(x) => x.into_py_any(py)?,
        Value::F32(x) => (x as f64).into_py_any(py)?,
        Value::F64(x) => x.into_py_any(py)?,
        Value::Str(s) => s.into_py_any(py)?,
        Value::Bytes(b) => PyBytes::new(py, &b).into_any().unbind(),
        Value::Array(a) => {
            let buffer = Bound::new(py, OwnedBuffer::new(a))?;
            to_numpy(buffer.into_any())?.unbind()
        }
        Value::List(items) => {
            let items = items
                .into_iter()
                .map(|x| to_py(py, x))
                .collect::<PyResult<Vec<_>>>()?;
            PyList::new(py, items)?.into_any().unbind()
        }
        Value::Map(items) if items.len() == 1 && items[0].0 == LIST_KEY => {
            let Some((_, Value::Array(a))) = items.into_iter().next() else {
                return Err(PyTypeError::new_err("a packed list without its array"));
            };
            let list = match (a.as_slice::<f64>(), a.as_slice::<i64>()) {
                (Some(f), _) => PyList::new(py, f)?,
                (_, Some(i)) => PyList::new(py, i)?,
                _ => return Err(PyTypeError::new_err("a packed list of another dtype")),
            };
            list.into_any().unbind()
        }
        Value::Map(items) if items.len() == 1 && items[0].0 == PICKLE_KEY => {
            let Some((_, Value::Bytes(b))) = items.into_iter().next() else {
                return Err(PyTypeError::new_err("a pickled reply without its bytes"));
            };
            py.import("pickle")?
                .call_method1("loads", (PyBytes::new(py, &b),))?
                .unbind()
        }
        Value::Map(items) => {
            let d = PyDict::new(py);
            for (k, x) in items {
                d.set_item(k, to_py(py, x)?)?;
            }
            d.into_any().unbind()
        }
    })
}
