//! loadlib's errors as the Python package's exceptions (`loadlib/exceptions.py`), which
//! carry the original tool's names and attributes.

use loadlib::Error;
use pyo3::exceptions::{PyOSError, PyRuntimeError};
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// Makes an exception of class `name` in `loadlib.exceptions` with `args` and `kwargs`.
fn make(py: Python<'_>, name: &str, message: String, kwargs: &[(&str, Py<PyAny>)]) -> PyErr {
    let build = || -> PyResult<PyErr> {
        let class = py.import("loadlib.exceptions")?.getattr(name)?;
        let kw = PyDict::new(py);
        for (k, v) in kwargs {
            kw.set_item(k, v)?;
        }
        let exc = class.call((message.clone(),), Some(&kw))?;
        Ok(PyErr::from_value(exc))
    };
    build().unwrap_or_else(|e| {
        PyRuntimeError::new_err(format!("{message} (and raising {name} failed: {e})"))
    })
}

/// The Python exception for a loadlib error.
pub(crate) fn to_py_err(py: Python<'_>, e: Error) -> PyErr {
    let s = |x: &str| -> Py<PyAny> { x.into_pyobject(py).expect("a str").into_any().unbind() };
    let message = e.to_string();
    match e {
        Error::Server32 {
            kind,
            name,
            message,
        } => make(
            py,
            "Server32Error",
            message,
            &[("name", s(&name)), ("kind", s(&format!("{kind:?}")))],
        ),
        Error::ConnectTimeout {
            timeout, stderr, ..
        } => make(
            py,
            "ConnectionTimeoutError",
            format!(
                "Timeout after {:.1} second(s). Could not connect to the 32-bit server",
                timeout.as_secs_f64()
            ),
            &[("reason", s(&stderr))],
        ),
        Error::StartupFailed { status, stderr, .. } => make(
            py,
            "ConnectionTimeoutError",
            format!("The 32-bit server exited before it was ready ({status})"),
            &[("reason", s(&stderr))],
        ),
        Error::ResponseTimeout { .. } => make(py, "ResponseTimeoutError", message, &[]),
        Error::ServerCrashed {
            signal,
            code,
            how,
            stderr,
            ..
        } => make(
            py,
            "ServerCrashedError",
            format!("The 32-bit server crashed ({how})"),
            &[
                (
                    "signal",
                    signal
                        .into_pyobject(py)
                        .map_or_else(|_| py.None(), |v| v.unbind()),
                ),
                (
                    "code",
                    code.into_pyobject(py)
                        .map_or_else(|_| py.None(), |v| v.unbind()),
                ),
                ("stderr", s(&stderr)),
            ],
        ),
        Error::InvalidArgument(m) => make(py, "ArgumentError", m, &[]),
        Error::Closed => make(
            py,
            "Server32Error",
            "The connection to the 32-bit server is closed".into(),
            &[("name", s("Closed")), ("kind", s("Closed"))],
        ),
        Error::ReplyType { .. } => make(py, "Server32Error", message, &[("name", s("TypeError"))]),
        _ => PyOSError::new_err(message),
    }
}

/// `r` with its error as a Python exception.
pub(crate) fn py_result<T>(py: Python<'_>, r: loadlib::Result<T>) -> PyResult<T> {
    r.map_err(|e| to_py_err(py, e))
}

/// A `loadlib.ArgumentError` with `message`.
pub(crate) fn argument_error(py: Python<'_>, message: String) -> PyErr {
    make(py, "ArgumentError", message, &[])
}
