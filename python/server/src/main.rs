//! `loadlib-server32-python`: a 32-bit loadlib server that embeds CPython (Debian's
//! `libpython3.11:i386`) and hosts a user's `Server32` subclass, the original tool's
//! server modules unchanged.
//!
//! The client (the Python package's `Client64`) starts it with `--module <module32>`,
//! the Python module's name or path, its keyword arguments as `--kw` pairs, and the
//! folders for `sys.path` in `LOADLIB_SERVER32_SYS_PATH`. Each request calls the method
//! of that name (`boot.py`): arguments arrive as Python objects (numeric arrays as
//! writable `memoryview`s over a copy, whose contents go back into a writable shared
//! array after the call), and the result goes back converted.

use std::ffi::CString;
use std::process::ExitCode;
use std::sync::OnceLock;

use loadlib::server::{host, Args, Dispatch, Entry, Kwargs, Method, Reply, ServerError};
use loadlib::{Array, ArrayData, ArrayMut, DType, Value, ValueRef};
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::{
    PyBool, PyByteArray, PyBytes, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple,
};
use pyo3::IntoPyObjectExt;

/// The module the command line names.
static MODULE: OnceLock<String> = OnceLock::new();

/// A request with more than positional arguments (the client's `PY_PREFIX`):
/// `"\u{1}py:kw:0,2:name"`: `kw` if the last argument holds the keyword arguments, the
/// indices of lists sent as arrays, the method's name.
const PY_PREFIX: &str = "\u{1}py:";
/// The request for the library's path and the server's pid.
const METADATA: &str = "\u{1}metadata";
/// The key of a map that holds a long list of numbers as an array (the client's
/// `LIST_KEY`).
const LIST_KEY: &str = "\u{0}list";
/// The key of a map that holds a pickled object (the client's `PICKLE_KEY`).
const PICKLE_KEY: &str = "\u{0}pickle";

const BOOT: &str = include_str!("boot.py");
const SERVER32_PY: &str = include_str!("../../loadlib/server32.py");
const EXCEPTIONS_PY: &str = include_str!("../../loadlib/exceptions.py");

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let Some(module) = args
        .windows(2)
        .find(|w| w[0] == "--module")
        .map(|w| w[1].clone())
    else {
        return host(&[]); // which reports the missing option
    };
    let name: &'static str = Box::leak(module.clone().into_boxed_str());
    MODULE.get_or_init(|| module);
    host(&[Entry::new(name, make)])
}

/// A Python exception as the client's `Server32Error` (name and message, the traceback
/// after a mark the client splits off).
fn server_error(py: Python<'_>, e: PyErr) -> ServerError {
    let described = (|| -> PyResult<(String, String)> {
        let boot = boot(py)?;
        boot.call_method1("error", (e.value(py), e.traceback(py)))?
            .extract()
    })();
    match described {
        Ok((name, message)) => ServerError::new(name, message),
        Err(_) => ServerError::new("Exception", e.to_string()),
    }
}

/// The `boot.py` module, loaded once.
fn boot(py: Python<'_>) -> PyResult<Bound<'_, PyModule>> {
    if let Ok(m) = py.import("_loadlib_boot") {
        return Ok(m);
    }
    let code = CString::new(BOOT).expect("no NUL in boot.py");
    PyModule::from_code(
        py,
        &code,
        c"<loadlib-server32-python>/boot.py",
        c"_loadlib_boot",
    )
}

/// Where the 32-bit CPython's standard library is: Debian's `libpython3.11:i386` is
/// built for prefix `/usr` (`/usr/lib/python3.11`, with the i386 extension modules in
/// its `lib-dynload`); `LOADLIB_SERVER32_PYTHONHOME` overrides it.
const DEFAULT_HOME: &str = "/usr";

/// Starts the interpreter: isolated from the 64-bit program's Python settings (its
/// `PYTHONHOME`, `PYTHONPATH`, and the `python3` on `PATH`, from which CPython would
/// otherwise derive its prefix: a 64-bit virtual environment's), with the home above and
/// unbuffered output (what the server prints reaches the client even if it crashes).
fn init_python() -> Result<(), ServerError> {
    let home = std::env::var("LOADLIB_SERVER32_PYTHONHOME").unwrap_or_else(|_| DEFAULT_HOME.into());
    let home =
        CString::new(home).map_err(|_| ServerError::value_error("a NUL in the Python home"))?;
    let failed = |what: &str, status: ffi::PyStatus| {
        let msg = if status.err_msg.is_null() {
            String::new()
        } else {
            // SAFETY: a status with an error message points to a static C string.
            unsafe { std::ffi::CStr::from_ptr(status.err_msg) }
                .to_string_lossy()
                .into_owned()
        };
        ServerError::new("PythonError", format!("{what}: {msg}"))
    };
    let mut config = std::mem::MaybeUninit::<ffi::PyConfig>::uninit();
    let cfg = config.as_mut_ptr();
    // SAFETY: called once, on the main thread, before anything else touches Python (the
    // interpreter is not initialised yet: `make` runs once). `PyConfig_InitIsolatedConfig`
    // initialises every field of `cfg`; the field pointers passed on point into it; the
    // strings are copied by CPython; `PyConfig_Clear` frees what it allocated, after
    // `Py_InitializeFromConfig` has read it.
    unsafe {
        ffi::PyConfig_InitIsolatedConfig(cfg);
        (*cfg).buffered_stdio = 0;
        let status = ffi::PyConfig_SetBytesString(cfg, &raw mut (*cfg).home, home.as_ptr());
        if ffi::PyStatus_Exception(status) != 0 {
            ffi::PyConfig_Clear(cfg);
            return Err(failed("setting the Python home", status));
        }
        let status = ffi::Py_InitializeFromConfig(cfg);
        ffi::PyConfig_Clear(cfg);
        if ffi::PyStatus_Exception(status) != 0 {
            return Err(failed("starting the 32-bit Python", status));
        }
    }
    Ok(())
}

/// Builds the user's `Server32` subclass.
fn make(kwargs: &Kwargs) -> Result<Box<dyn Dispatch>, ServerError> {
    let module = MODULE.get().expect("set in main").clone();
    init_python()?;
    Python::attach(|py| {
        let built = (|| -> PyResult<PyServer> {
            let boot = boot(py)?;
            boot.call_method1("install_loadlib", (SERVER32_PY, EXCEPTIONS_PY))?;
            let sys_path: Vec<String> = std::env::var("LOADLIB_SERVER32_SYS_PATH")
                .map(|s| {
                    std::env::split_paths(&s)
                        .map(|p| p.display().to_string())
                        .collect()
                })
                .unwrap_or_default();
            let kw = PyDict::new(py);
            for (k, v) in kwargs.iter() {
                kw.set_item(k, v)?;
            }
            let server = boot.call_method1("start", (module.as_str(), sys_path, kw))?;
            let names: Vec<String> = boot.call_method1("method_names", (&server,))?.extract()?;
            let names: Vec<&'static str> = names
                .into_iter()
                .map(|n| &*Box::leak(n.into_boxed_str()))
                .collect();
            Ok(PyServer {
                server: server.unbind(),
                boot: boot.unbind(),
                names: Box::leak(names.into_boxed_slice()),
            })
        })();
        match built {
            Ok(s) => Ok(Box::new(s) as Box<dyn Dispatch>),
            Err(e) => {
                let err = server_error(py, e);
                // The traceback, for the client's ConnectionTimeoutError (it shows stderr).
                let (message, tb) = match err.message.split_once("\n\u{0}traceback\u{0}\n") {
                    Some((m, t)) => (m.to_owned(), t.to_owned()),
                    None => (err.message.clone(), String::new()),
                };
                eprint!("{tb}");
                Err(ServerError::new(err.name, message))
            }
        }
    })
}

/// The user's server object.
struct PyServer {
    server: Py<PyAny>,
    boot: Py<PyModule>,
    names: &'static [&'static str],
}

impl Drop for PyServer {
    fn drop(&mut self) {
        Python::attach(|py| {
            if let Ok(h) = self.server.bind(py).getattr("shutdown_handler") {
                if let Err(e) = h.call0() {
                    e.print(py);
                }
            }
            for stream in ["stdout", "stderr"] {
                if let Ok(s) = py.import("sys").and_then(|sys| sys.getattr(stream)) {
                    let _ = s.call_method0("flush");
                }
            }
        });
    }
}

/// The struct-module format of a dtype.
fn format(d: DType) -> &'static str {
    match d {
        DType::I8 => "b",
        DType::I16 => "h",
        DType::I32 => "i",
        DType::I64 => "q",
        DType::U8 => "B",
        DType::U16 => "H",
        DType::U32 => "I",
        DType::U64 => "Q",
        DType::F32 => "f",
        DType::F64 => "d",
    }
}

/// A writable array argument and the bytearray Python code got for it.
struct WriteBack<'a> {
    array: ArrayMut<'a>,
    copy: Py<PyByteArray>,
}

/// An argument as a Python object; a writable array adds its write-back.
fn to_py<'py, 'a>(
    py: Python<'py>,
    boot: &Bound<'py, PyModule>,
    v: ValueRef<'a>,
    back: &mut Vec<WriteBack<'a>>,
) -> PyResult<Bound<'py, PyAny>> {
    let array = |d: DType,
                 shape: Vec<usize>,
                 bytes: &[u8]|
     -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyByteArray>)> {
        let data = PyByteArray::new(py, bytes);
        let view = boot.call_method1("array", (format(d), shape, &data))?;
        Ok((view, data))
    };
    Ok(match v {
        ValueRef::Array(a) => array(a.dtype(), a.shape().to_vec(), a.as_bytes())?.0,
        ValueRef::ArrayMut(m) => {
            let (view, data) = {
                let r = m.as_ref();
                array(r.dtype(), r.shape().to_vec(), r.as_bytes())?
            };
            back.push(WriteBack {
                array: m,
                copy: data.unbind(),
            });
            view
        }
        ValueRef::Str(s) => PyString::new(py, s).into_any(),
        ValueRef::Bytes(b) => PyBytes::new(py, b).into_any(),
        other => value_to_py(py, boot, other.to_value())?,
    })
}

/// An owned value as a Python object.
fn value_to_py<'py>(
    py: Python<'py>,
    boot: &Bound<'py, PyModule>,
    v: Value,
) -> PyResult<Bound<'py, PyAny>> {
    Ok(match v {
        Value::None => py.None().into_bound(py),
        Value::Bool(b) => b.into_bound_py_any(py)?,
        Value::I8(x) => x.into_bound_py_any(py)?,
        Value::I16(x) => x.into_bound_py_any(py)?,
        Value::I32(x) => x.into_bound_py_any(py)?,
        Value::I64(x) => x.into_bound_py_any(py)?,
        Value::U8(x) => x.into_bound_py_any(py)?,
        Value::U16(x) => x.into_bound_py_any(py)?,
        Value::U32(x) => x.into_bound_py_any(py)?,
        Value::U64(x) => x.into_bound_py_any(py)?,
        Value::F32(x) => (x as f64).into_bound_py_any(py)?,
        Value::F64(x) => x.into_bound_py_any(py)?,
        Value::Str(s) => s.into_bound_py_any(py)?,
        Value::Bytes(b) => PyBytes::new(py, &b).into_any(),
        Value::Array(a) => {
            let data = PyByteArray::new(py, a.as_bytes());
            boot.call_method1("array", (format(a.dtype()), a.shape().to_vec(), data))?
        }
        Value::List(items) => {
            let items = items
                .into_iter()
                .map(|x| value_to_py(py, boot, x))
                .collect::<PyResult<Vec<_>>>()?;
            PyList::new(py, items)?.into_any()
        }
        Value::Map(items) if items.len() == 1 && items[0].0 == LIST_KEY => {
            let Some((_, Value::Array(a))) = items.into_iter().next() else {
                return Err(pyo3::exceptions::PyTypeError::new_err(
                    "a packed list without its array",
                ));
            };
            match (a.as_slice::<f64>(), a.as_slice::<i64>()) {
                (Some(f), _) => PyList::new(py, f)?.into_any(),
                (_, Some(i)) => PyList::new(py, i)?.into_any(),
                _ => {
                    return Err(pyo3::exceptions::PyTypeError::new_err(
                        "a packed list of another dtype",
                    ))
                }
            }
        }
        Value::Map(items) if items.len() == 1 && items[0].0 == PICKLE_KEY => {
            let Some((_, Value::Bytes(b))) = items.into_iter().next() else {
                return Err(pyo3::exceptions::PyTypeError::new_err(
                    "a pickled argument without its bytes",
                ));
            };
            py.import("pickle")?
                .call_method1("loads", (PyBytes::new(py, &b),))?
        }
        Value::Map(items) => {
            let d = PyDict::new(py);
            for (k, x) in items {
                d.set_item(k, value_to_py(py, boot, x)?)?;
            }
            d.into_any()
        }
    })
}

/// A Python result as a value for the client.
fn from_py(boot: &Bound<'_, PyModule>, obj: &Bound<'_, PyAny>, depth: u32) -> PyResult<Value> {
    if depth > 60 {
        return Err(pyo3::exceptions::PyValueError::new_err(
            "the reply nests lists or dicts deeper than 60 levels",
        ));
    }
    if obj.is_none() {
        return Ok(Value::None);
    }
    if let Ok(b) = obj.cast::<PyBool>() {
        return Ok(Value::Bool(b.is_true()));
    }
    if let Ok(i) = obj.cast::<PyInt>() {
        if let Ok(v) = i.extract::<i64>() {
            return Ok(Value::I64(v));
        }
        return i.extract::<u64>().map(Value::U64).map_err(|_| {
            pyo3::exceptions::PyOverflowError::new_err(format!("{i} does not fit in 64 bits"))
        });
    }
    if let Ok(f) = obj.cast::<PyFloat>() {
        return Ok(Value::F64(f.value()));
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(Value::Str(s.to_cow()?.into_owned()));
    }
    if let Ok(b) = obj.cast::<PyBytes>() {
        return Ok(Value::Bytes(b.as_bytes().to_vec()));
    }
    if let Ok(b) = obj.cast::<PyByteArray>() {
        return Ok(Value::Bytes(b.to_vec()));
    }
    if let Ok(l) = obj.cast::<PyList>() {
        if let Some(packed) = packed_list(l)? {
            return Ok(packed);
        }
        return l
            .iter()
            .map(|x| from_py(boot, &x, depth + 1))
            .collect::<PyResult<_>>()
            .map(Value::List);
    }
    if let Ok(t) = obj.cast::<PyTuple>() {
        return t
            .iter()
            .map(|x| from_py(boot, &x, depth + 1))
            .collect::<PyResult<_>>()
            .map(Value::List);
    }
    if let Ok(d) = obj.cast::<PyDict>() {
        let mut items = Vec::with_capacity(d.len());
        for (k, v) in d.iter() {
            let key = match k.cast::<PyString>() {
                Ok(s) => s.to_cow()?.into_owned(),
                Err(_) => k.str()?.to_cow()?.into_owned(),
            };
            items.push((key, from_py(boot, &v, depth + 1)?));
        }
        return Ok(Value::Map(items));
    }
    let wire = boot.call_method1("to_wire", (obj,))?;
    if let Ok(t) = wire.cast::<PyTuple>() {
        if t.len() == 2 && t.get_item(0)?.extract::<String>()? == "\u{0}pickle" {
            let bytes = t.get_item(1)?.cast::<PyBytes>()?.as_bytes().to_vec();
            return Ok(Value::Map(vec![(
                PICKLE_KEY.to_owned(),
                Value::Bytes(bytes),
            )]));
        }
        if t.len() == 4 && t.get_item(0)?.extract::<String>()? == "\u{0}array" {
            let dtype: String = t.get_item(1)?.extract()?;
            let shape: Vec<usize> = t.get_item(2)?.extract()?;
            let bytes = t.get_item(3)?;
            let bytes = bytes.cast::<PyBytes>()?.as_bytes();
            let d = DType::ALL
                .into_iter()
                .find(|d| d.name() == dtype)
                .ok_or_else(|| pyo3::exceptions::PyTypeError::new_err(format!("dtype {dtype}")))?;
            let data = ArrayData::copy_from_bytes(d, bytes);
            return Array::from_data(shape, data)
                .map(Value::Array)
                .ok_or_else(|| {
                    pyo3::exceptions::PyValueError::new_err(
                        "a buffer whose shape does not match its size",
                    )
                });
        }
    }
    from_py(boot, &wire, depth + 1)
}

/// A list of at least 16 floats, or of ints that fit `i64`, packed as an array (a reply
/// holds lists inline; an array is 4× smaller and the client makes it a list again).
fn packed_list(l: &Bound<'_, PyList>) -> PyResult<Option<Value>> {
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
        Array::from_vec(v)
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
        Array::from_vec(v)
    } else {
        return Ok(None);
    };
    Ok(Some(Value::Map(vec![(
        LIST_KEY.to_owned(),
        Value::Array(array),
    )])))
}

/// Copies what Python code wrote into an argument's bytearray back into the array.
fn write_back(py: Python<'_>, w: WriteBack<'_>) -> PyResult<()> {
    let copy = w.copy.bind(py).to_vec();
    let dtype = w.array.dtype();
    macro_rules! put {
        ($($v:ident: $t:ty),*) => {
            match dtype {
                $(DType::$v => {
                    let dst = w.array.into_slice::<$t>().expect("the dtype just matched");
                    let dst = zerocopy_bytes(dst);
                    if dst.len() != copy.len() {
                        return Err(pyo3::exceptions::PyValueError::new_err(format!(
                            "a writable array argument changed size ({} bytes, now {})",
                            dst.len(),
                            copy.len()
                        )));
                    }
                    dst.copy_from_slice(&copy);
                })*
            }
        };
    }
    put!(I8: i8, I16: i16, I32: i32, I64: i64, U8: u8, U16: u16, U32: u32, U64: u64, F32: f32, F64: f64);
    Ok(())
}

/// The bytes of a slice of numbers.
fn zerocopy_bytes<T: loadlib::Element>(s: &mut [T]) -> &mut [u8] {
    let len = std::mem::size_of_val(s);
    // SAFETY: `T` is a number type (loadlib's `Element`: i8…u64, f32, f64), which has no
    // padding and for which every byte pattern is valid; the byte view covers exactly
    // the slice's memory and borrows it mutably for its own lifetime.
    unsafe { std::slice::from_raw_parts_mut(s.as_mut_ptr().cast::<u8>(), len) }
}

impl Dispatch for PyServer {
    fn dispatch<'a>(
        &mut self,
        method: Method<'_>,
        args: &Args<'a>,
    ) -> Result<Reply<'a>, ServerError> {
        // Python's methods go by name: those of the table, and the prefixed forms.
        let method = method.name();
        args.use_all();
        Python::attach(|py| {
            let run = || -> PyResult<Value> {
                let boot = self.boot.bind(py);
                let server = self.server.bind(py);
                if method == METADATA {
                    return from_py(boot, &boot.call_method1("metadata", (server,))?, 0);
                }
                let (name, with_kwargs, packed) = match method.strip_prefix(PY_PREFIX) {
                    Some(rest) => {
                        let mut parts = rest.splitn(3, ':');
                        let kw = parts.next() == Some("kw");
                        let packed: Vec<usize> = parts
                            .next()
                            .unwrap_or("")
                            .split(',')
                            .filter_map(|i| i.parse().ok())
                            .collect();
                        (parts.next().unwrap_or(""), kw, packed)
                    }
                    None => (method, false, Vec::new()),
                };
                let mut n = args.len();
                let kwargs = if with_kwargs && n > 0 {
                    n -= 1;
                    let kw = to_py(py, boot, args.get(n).map_err(to_py_err)?, &mut Vec::new())?;
                    kw.cast_into::<PyDict>()?
                } else {
                    PyDict::new(py)
                };
                let mut back = Vec::new();
                let mut items = Vec::with_capacity(n);
                for i in 0..n {
                    let v = args.get(i).map_err(to_py_err)?;
                    items.push(match v {
                        ValueRef::Array(a) if packed.contains(&i) => {
                            if let Some(f) = a.as_slice::<f64>() {
                                PyList::new(py, f)?.into_any()
                            } else if let Some(x) = a.as_slice::<i64>() {
                                PyList::new(py, x)?.into_any()
                            } else {
                                to_py(py, boot, ValueRef::Array(a), &mut back)?
                            }
                        }
                        v => to_py(py, boot, v, &mut back)?,
                    });
                }
                let result =
                    boot.call_method1("call", (server, name, PyTuple::new(py, items)?, kwargs))?;
                for w in back {
                    write_back(py, w)?;
                }
                from_py(boot, &result, 0)
            };
            run().map(Reply::Value).map_err(|e| server_error(py, e))
        })
    }

    fn method_names(&self) -> &'static [&'static str] {
        self.names
    }
}

/// A loadlib argument error as a Python exception (reported back as what it was).
fn to_py_err(e: ServerError) -> PyErr {
    pyo3::exceptions::PyTypeError::new_err(format!("{}: {}", e.name, e.message))
}
