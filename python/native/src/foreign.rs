//! Foreign calls from Python: one function of a library, declared with ctypes' vocabulary
//! on the Python side (`loadlib/_ctypes.py`), which hands this module a plain
//! description to build a `loadlib::foreign::FunctionDecl` from.
//!
//! Types: `"bool"`, `"i8"`…`"u64"`, `"f32"`, `"f64"`, `"logical"`, `"isize"`, `"usize"`,
//! `"pointer"`, `("struct", name, [(field, type), …])`, `("array", type, n)`.
//! Parameters: `("value", type)`, `("array", type, "in" | "out" | "inout", nullable)`,
//! `("str", nullable)`. Result: `None` (void), `("value", type)`, `("str",)`.

use std::sync::{Arc, RwLock};

use loadlib::foreign::{
    CType, Convention, Dir, ForeignLibrary, FunctionDecl, Len, Param, Ret, StructType,
};
use loadlib::Client64;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyString, PyTuple};

use crate::client::call_with;
use crate::errors::py_result;

fn bad(what: &Bound<'_, PyAny>) -> PyErr {
    PyTypeError::new_err(format!("not a type description: {what}"))
}

/// A C type from its description.
fn ctype(d: &Bound<'_, PyAny>) -> PyResult<CType> {
    if let Ok(s) = d.cast::<PyString>() {
        return Ok(match &*s.to_cow()? {
            "bool" => CType::Bool,
            "i8" => CType::I8,
            "u8" => CType::U8,
            "i16" => CType::I16,
            "u16" => CType::U16,
            "i32" => CType::I32,
            "u32" => CType::U32,
            "i64" => CType::I64,
            "u64" => CType::U64,
            "f32" => CType::F32,
            "f64" => CType::F64,
            "logical" => CType::Logical,
            "isize" => CType::ISize,
            "usize" => CType::USize,
            "pointer" => CType::Pointer,
            _ => return Err(bad(d)),
        });
    }
    let t = d.cast::<PyTuple>().map_err(|_| bad(d))?;
    let kind: String = t.get_item(0)?.extract()?;
    match (kind.as_str(), t.len()) {
        ("struct", 3) => {
            let name: String = t.get_item(1)?.extract()?;
            let mut out = Vec::new();
            for f in t.get_item(2)?.try_iter()? {
                let (fname, fty): (String, Bound<'_, PyAny>) = f?.extract()?;
                out.push((fname, ctype(&fty)?));
            }
            Ok(CType::Struct(StructType::new(name, out)))
        }
        ("array", 3) => {
            let n: u32 = t.get_item(2)?.extract()?;
            Ok(CType::Array(Arc::new(ctype(&t.get_item(1)?)?), n))
        }
        _ => Err(bad(d)),
    }
}

/// A parameter from its description.
fn param(i: usize, d: &Bound<'_, PyAny>) -> PyResult<Param> {
    let t = d.cast::<PyTuple>().map_err(|_| bad(d))?;
    let kind: String = t.get_item(0)?.extract()?;
    let name = format!("arg{}", i + 1);
    Ok(match (kind.as_str(), t.len()) {
        ("value", 2) => Param::value(name, ctype(&t.get_item(1)?)?),
        ("array", 4) => {
            let dir = match &*t.get_item(2)?.extract::<String>()? {
                "in" => Dir::In,
                "out" => Dir::Out,
                "inout" => Dir::InOut,
                _ => return Err(bad(d)),
            };
            let p = Param::array(name, ctype(&t.get_item(1)?)?, dir, Len::Any);
            if t.get_item(3)?.extract::<bool>()? {
                p.nullable()
            } else {
                p
            }
        }
        ("str", 2) => {
            let p = Param::str(name);
            if t.get_item(1)?.extract::<bool>()? {
                p.nullable()
            } else {
                p
            }
        }
        _ => return Err(bad(d)),
    })
}

/// Binds `name` of the library at `path` in `client`'s server.
pub(crate) fn bind(
    py: Python<'_>,
    client: Arc<Client64>,
    path: &str,
    stdcall: bool,
    name: &str,
    params: &Bound<'_, PyAny>,
    ret: &Bound<'_, PyAny>,
) -> PyResult<NativeFunction> {
    let params = params
        .try_iter()?
        .enumerate()
        .map(|(i, p)| param(i, &p?))
        .collect::<PyResult<Vec<_>>>()?;
    let ret = if ret.is_none() {
        Ret::Void
    } else {
        let t = ret.cast::<PyTuple>().map_err(|_| bad(ret))?;
        match (&*t.get_item(0)?.extract::<String>()?, t.len()) {
            ("value", 2) => Ret::Value(ctype(&t.get_item(1)?)?),
            ("str", 1) => Ret::Str,
            _ => return Err(bad(ret)),
        }
    };
    let decl = FunctionDecl::new(name, params, ret);
    let convention = if stdcall {
        Convention::Stdcall
    } else {
        Convention::C
    };
    let path = path.to_owned();
    let path_for_repr = path.clone();
    // SAFETY: the library runs in the server process, which is all a wrong declaration
    // or a misbehaving library can crash or corrupt (the client reports a crash as an
    // error). The one way it reaches this process is through shared arrays, which the
    // server writes in place: this crate never holds a Rust reference to their memory
    // (only numpy's views read and write it), so such writes cannot break an aliasing
    // guarantee here. Loading the library and its declarations are the caller's, as
    // with ctypes.CDLL.
    let lib =
        py.detach(move || unsafe { ForeignLibrary::bind(client, &path, convention, vec![decl]) });
    Ok(NativeFunction {
        lib: Arc::new(RwLock::new(Some(py_result(py, lib)?))),
        name: name.to_owned(),
        path: path_for_repr,
    })
}

/// A bound function's library: `None` once its client has shut down (which takes it,
/// so that the client, which the library holds, can be ended).
pub(crate) type Slot = Arc<RwLock<Option<ForeignLibrary>>>;

/// One bound foreign function.
#[pyclass(frozen, module = "loadlib._native")]
pub struct NativeFunction {
    pub(crate) lib: Slot,
    name: String,
    path: String,
}

#[pymethods]
impl NativeFunction {
    /// Calls the function with `args` (a tuple). Writable numpy arrays passed for
    /// pointers the library writes get its writes back; shared ones are written in place.
    fn call(&self, py: Python<'_>, args: &Bound<'_, PyTuple>) -> PyResult<Py<PyAny>> {
        let lib = self.lib.read().unwrap_or_else(|p| p.into_inner());
        let Some(lib) = lib.as_ref() else {
            return Err(crate::errors::to_py_err(py, loadlib::Error::Closed));
        };
        call_with(py, args, true, lib.client().segment_name(), |refs| {
            lib.call(&self.name, refs)
        })
    }

    fn __repr__(&self) -> String {
        format!("<loadlib foreign function {} of {}>", self.name, self.path)
    }
}
