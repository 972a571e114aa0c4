//! `loadlib._native`: the Python package's bridge to the loadlib library.
//!
//! The Python side (`python/loadlib/*.py`) gives the original tool's API (`Client64`,
//! `Server32Error`, …) and ctypes' vocabulary (`CDLL32`); this module does the work:
//!
//! - [`client::NativeClient`]: a `loadlib::Client64` with calls by name, values
//!   converted to and from Python ([`convert`]);
//! - [`buffers`]: arrays the server reads and writes in place (shared memory) and arrays
//!   a reply brought back, both shown to numpy through `__array_interface__`, with the
//!   numpy array holding the object that owns the memory;
//! - [`foreign::NativeFunction`]: one bound foreign function (`loadlib::foreign`).

mod buffers;
mod client;
mod convert;
mod errors;
mod foreign;

use pyo3::prelude::*;

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<client::NativeClient>()?;
    m.add_class::<buffers::SharedBuffer>()?;
    m.add_class::<buffers::OwnedBuffer>()?;
    m.add_class::<foreign::NativeFunction>()?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
