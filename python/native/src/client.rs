//! A `loadlib::Client64` for Python: start, calls by name, shared arrays, shutdown.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;

use loadlib::{Client64, ServerExe, Value, ValueRef};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple};

use crate::buffers::{dtype_of, SharedAny, SharedBuffer};
use crate::convert::{arg_refs, packed_list, to_arg, to_py, to_value, Arg};
use crate::errors::{py_result, to_py_err};

/// Values moved into [`Python::detach`], whose closure runs on this same thread while
/// other threads may run Python code.
pub(crate) struct Detached<T>(pub(crate) T);

// SAFETY: `detach` runs its closure on the calling thread, so nothing is sent anywhere;
// the bound exists to keep Python objects from being used without the interpreter. What
// is wrapped here is argument views ([`ValueRef`]) of owned values and shared arrays,
// which hold no Python objects; views of Python-owned memory (numpy arrays read in place)
// are never wrapped: a call with one keeps the interpreter (see `call_with`).
unsafe impl<T> Send for Detached<T> {}

/// A timeout in seconds as a `Duration`; `None` is practically unbounded (a year).
pub(crate) fn seconds(what: &str, s: Option<f64>) -> PyResult<Duration> {
    match s {
        None => Ok(Duration::from_secs(365 * 24 * 3600)),
        Some(s) => Duration::try_from_secs_f64(s).map_err(|_| {
            PyValueError::new_err(format!("{what} must be a number of seconds >= 0, not {s}"))
        }),
    }
}

/// A client and its server.
#[pyclass(frozen, module = "loadlib._native")]
pub struct NativeClient {
    client: Mutex<Option<Arc<Client64>>>,
    server_pid: u32,
    pointer_width: u32,
    /// Whether objects of other types go pickled (a Python server).
    pickle: bool,
    /// The functions bound through this client, whose libraries hold it: emptied at
    /// shutdown.
    functions: Mutex<Vec<Weak<std::sync::RwLock<Option<loadlib::foreign::ForeignLibrary>>>>>,
}

impl NativeClient {
    fn lock(&self) -> MutexGuard<'_, Option<Arc<Client64>>> {
        self.client.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The client, or the error of a closed one.
    pub(crate) fn get(&self, py: Python<'_>) -> PyResult<Arc<Client64>> {
        self.lock()
            .clone()
            .ok_or_else(|| to_py_err(py, loadlib::Error::Closed))
    }
}

/// Converts `args` (as foreign calls take them), and calls `f` with their views.
pub(crate) fn call_with(
    py: Python<'_>,
    args: &Bound<'_, PyTuple>,
    writable_arrays: bool,
    owner: &str,
    f: impl FnOnce(&[ValueRef<'_>]) -> loadlib::Result<Value> + Send,
) -> PyResult<Py<PyAny>> {
    let converted = args
        .iter()
        .map(|a| to_arg(&a, writable_arrays, false, owner))
        .collect::<PyResult<Vec<Arg<'_>>>>()?;
    call_converted(py, converted, f)
}

/// Calls `f` with the views of `converted`: without the interpreter, unless an argument
/// reads numpy's memory in place.
pub(crate) fn call_converted(
    py: Python<'_>,
    mut converted: Vec<Arg<'_>>,
    f: impl FnOnce(&[ValueRef<'_>]) -> loadlib::Result<Value> + Send,
) -> PyResult<Py<PyAny>> {
    let keep = converted.iter().any(Arg::borrows_python_memory);
    let value = arg_refs(&mut converted, |refs| {
        let r = if keep {
            f(refs)
        } else {
            let refs = Detached(refs);
            py.detach(move || {
                let refs = refs;
                f(refs.0)
            })
        };
        py_result(py, r)
    })?;
    to_py(py, value)
}

/// A request to a Python server with more than positional arguments: its name after
/// this prefix and two fields, `kw` if the last argument holds the keyword arguments,
/// and the indices of the arguments that are lists sent packed as arrays
/// (`"\u{1}py:kw:0,2:name"`; `server/src/main.rs` reads it).
const PY_PREFIX: &str = "\u{1}py:";

#[pymethods]
impl NativeClient {
    /// Starts server `exe` with module `module` and waits until it is ready.
    #[new]
    #[pyo3(signature = (exe, module, kwargs, env, library_paths, startup_timeout, request_timeout, shutdown_timeout, pickle=false))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        exe: PathBuf,
        module: &str,
        kwargs: Vec<(String, String)>,
        env: Vec<(String, String)>,
        library_paths: Vec<PathBuf>,
        startup_timeout: f64,
        request_timeout: Option<f64>,
        shutdown_timeout: f64,
        pickle: bool,
    ) -> PyResult<NativeClient> {
        let mut b = Client64::builder(module)
            .server(ServerExe::Path(exe))
            .startup_timeout(seconds("timeout", Some(startup_timeout))?)
            .request_timeout(seconds("rpc_timeout", request_timeout)?)
            .shutdown_timeout(seconds("kill_timeout", Some(shutdown_timeout))?);
        for (k, v) in kwargs {
            if k.contains('=') || k.is_empty() {
                return Err(PyValueError::new_err(format!(
                    "{k:?} cannot be a keyword argument's name"
                )));
            }
            b = b.kwarg(k, v);
        }
        for (k, v) in env {
            b = b.env(k, v);
        }
        for p in library_paths {
            b = b.library_path(p);
        }
        let client = py_result(py, py.detach(move || b.start()))?;
        Ok(NativeClient {
            server_pid: client.server_pid(),
            pointer_width: client.server_pointer_width(),
            pickle,
            client: Mutex::new(Some(Arc::new(client))),
            functions: Mutex::new(Vec::new()),
        })
    }

    /// Calls `name` with `args` (a tuple) and returns the reply.
    /// `kwargs` (a dict) go to Python servers only.
    #[pyo3(signature = (name, args, kwargs=None))]
    fn call(
        &self,
        py: Python<'_>,
        name: &str,
        args: &Bound<'_, PyTuple>,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Py<PyAny>> {
        let client = self.get(py)?;
        let mut converted = Vec::with_capacity(args.len() + 1);
        let mut packed = Vec::new();
        for (i, a) in args.iter().enumerate() {
            // A long list of numbers for a Python server: an array (which may go in a
            // bulk segment: lists go inline, within the ring's size), a list again there.
            if self.pickle {
                if let Some(array) = a
                    .cast::<PyList>()
                    .ok()
                    .map(packed_list)
                    .transpose()?
                    .flatten()
                {
                    converted.push(Arg::Value(Value::Array(array)));
                    packed.push(i.to_string());
                    continue;
                }
            }
            converted.push(to_arg(&a, false, self.pickle, client.segment_name())?);
        }
        let kwargs = kwargs.filter(|k| !k.is_empty());
        if let Some(kw) = kwargs {
            if !self.pickle {
                return Err(PyTypeError::new_err(
                    "keyword arguments reach Python servers only; this server takes positional ones",
                ));
            }
            converted.push(Arg::Value(to_value(kw.as_any(), true)?));
        }
        let name = if kwargs.is_some() || !packed.is_empty() {
            let kw = if kwargs.is_some() { "kw" } else { "" };
            format!("{PY_PREFIX}{kw}:{}:{name}", packed.join(","))
        } else {
            name.to_owned()
        };
        call_converted(py, converted, |refs| client.call(&name, refs))
    }

    /// A zeroed array of numpy type string `typestr` and `shape` in shared memory.
    fn alloc(&self, py: Python<'_>, typestr: &str, shape: Vec<usize>) -> PyResult<SharedBuffer> {
        let dtype = dtype_of(typestr).ok_or_else(|| {
            PyTypeError::new_err(format!(
                "shared arrays hold int8…int64, uint8…uint64, float32 or float64, not {typestr:?}"
            ))
        })?;
        let client = self.get(py)?;
        let array = py_result(py, SharedAny::alloc(&client, dtype, &shape))?;
        Ok(SharedBuffer::new(array, client.segment_name()))
    }

    /// Stops the server (killing it after the shutdown timeout) and returns its
    /// `(stdout, stderr, status)`; `None` if it was already shut down.
    fn shutdown(&self, py: Python<'_>) -> PyResult<Option<(String, String, String)>> {
        // The bound functions' libraries hold the client: let go of them first (waiting
        // for calls in progress).
        let functions =
            std::mem::take(&mut *self.functions.lock().unwrap_or_else(|p| p.into_inner()));
        py.detach(|| {
            for f in functions.iter().filter_map(Weak::upgrade) {
                f.write().unwrap_or_else(|p| p.into_inner()).take();
            }
        });
        let Some(arc) = self.lock().take() else {
            return Ok(None);
        };
        let client = match Arc::try_unwrap(arc) {
            Ok(c) => c,
            Err(arc) => {
                *self.lock() = Some(arc);
                return Err(PyValueError::new_err(
                    "the client is still in use by bound functions or another thread",
                ));
            }
        };
        let out = py_result(py, py.detach(move || client.shutdown_server32()))?;
        Ok(Some((out.stdout, out.stderr, out.status)))
    }

    /// Whether `shutdown` ran.
    #[getter]
    fn closed(&self) -> bool {
        self.lock().is_none()
    }

    /// The server's process id.
    #[getter]
    fn server_pid(&self) -> u32 {
        self.server_pid
    }

    /// The server's pointer width (32 for a 32-bit server).
    #[getter]
    fn pointer_width(&self) -> u32 {
        self.pointer_width
    }

    /// Binds one foreign function of the library at `path` (see `foreign`).
    #[pyo3(signature = (path, stdcall, name, params, ret))]
    fn bind(
        &self,
        py: Python<'_>,
        path: &str,
        stdcall: bool,
        name: &str,
        params: &Bound<'_, PyAny>,
        ret: &Bound<'_, PyAny>,
    ) -> PyResult<crate::foreign::NativeFunction> {
        let client = self.get(py)?;
        let f = crate::foreign::bind(py, client, path, stdcall, name, params, ret)?;
        let mut functions = self.functions.lock().unwrap_or_else(|p| p.into_inner());
        functions.retain(|w| w.strong_count() > 0);
        functions.push(Arc::downgrade(&f.lib));
        Ok(f)
    }
}
