//! Configuration of a client and its server.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use super::Client64;
use crate::channel::Transport;
use crate::error::{Error, Result};

/// Which server executable to start.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ServerExe {
    /// The bundled 32-bit `server32` (the default).
    Bundled32,
    /// The bundled `server32` built for 64-bit (for testing both widths).
    Bundled64,
    /// An executable of your own (e.g. built with [`serve`](crate::server::serve)).
    Path(PathBuf),
}

/// Builds a [`Client64`]: which wrapper to run, how, and with which limits.
///
/// ```no_run
/// use std::time::Duration;
/// let client = loadlib::Client64::builder("echo")
///     .kwarg("greeting", "hello")
///     .startup_timeout(Duration::from_secs(5))
///     .request_timeout(Duration::from_secs(30))
///     .start()?;
/// # Ok::<(), loadlib::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Builder {
    pub(crate) module32: String,
    pub(crate) exe: ServerExe,
    pub(crate) kwargs: BTreeMap<String, String>,
    pub(crate) env: Vec<(OsString, OsString)>,
    pub(crate) library_paths: Vec<PathBuf>,
    pub(crate) startup_timeout: Duration,
    pub(crate) request_timeout: Duration,
    pub(crate) shutdown_timeout: Duration,
    pub(crate) ring_size: u64,
    pub(crate) spin: Duration,
    pub(crate) transport: Transport,
}

impl Builder {
    pub(crate) fn new(module32: &str) -> Self {
        Builder {
            module32: module32.to_owned(),
            exe: ServerExe::Bundled32,
            kwargs: BTreeMap::new(),
            env: Vec::new(),
            library_paths: Vec::new(),
            startup_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(60),
            shutdown_timeout: Duration::from_secs(5),
            ring_size: 8 << 20,
            spin: Duration::from_micros(50),
            transport: Transport::SharedMemory,
        }
    }

    /// The server executable (default: the bundled 32-bit `server32`).
    pub fn server(mut self, exe: ServerExe) -> Self {
        self.exe = exe;
        self
    }

    /// A keyword argument for the wrapper's constructor; it arrives as a string.
    pub fn kwarg(mut self, key: impl Into<String>, value: impl ToString) -> Self {
        self.kwargs.insert(key.into(), value.to_string());
        self
    }

    /// An environment variable for the server process.
    pub fn env(mut self, key: impl Into<OsString>, value: impl Into<OsString>) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }

    /// A directory where the library's own dependencies are found: prepended to the
    /// server's `LD_LIBRARY_PATH` (and `PATH`) on Linux, and to its `PATH` on Windows,
    /// where the DLL search reads it. A DLL loaded by path also has its own folder
    /// searched, so only folders other than the library's need adding.
    ///
    /// ```no_run
    /// let client = loadlib::Client64::builder("my_wrapper")
    ///     .library_path(r"C:\Program Files (x86)\Vendorin")
    ///     .start()?;
    /// # Ok::<(), loadlib::Error>(())
    /// ```
    pub fn library_path(mut self, dir: impl Into<PathBuf>) -> Self {
        self.library_paths.push(dir.into());
        self
    }

    /// How long the server may take to become ready (default 10 s).
    pub fn startup_timeout(mut self, t: Duration) -> Self {
        self.startup_timeout = t;
        self
    }

    /// How long one request may take (default 60 s).
    pub fn request_timeout(mut self, t: Duration) -> Self {
        self.request_timeout = t;
        self
    }

    /// How long a graceful shutdown may take before the server is killed (default 5 s).
    pub fn shutdown_timeout(mut self, t: Duration) -> Self {
        self.shutdown_timeout = t;
        self
    }

    /// Bytes of each ring (default 8 MiB, at least 64 KiB). Larger payloads travel
    /// through a bulk segment.
    pub fn ring_size(mut self, bytes: u64) -> Self {
        self.ring_size = bytes;
        self
    }

    /// How long each side spins before sleeping on a futex (default 50 µs).
    pub fn spin(mut self, t: Duration) -> Self {
        self.spin = t;
        self
    }

    /// The transport (default: shared memory).
    pub fn transport(mut self, t: Transport) -> Self {
        self.transport = t;
        self
    }

    /// Starts the server and waits until it is ready.
    pub fn start(self) -> Result<Client64> {
        Client64::start(self)
    }

    pub(crate) fn exe_path(&self) -> Result<PathBuf> {
        let (var, baked) = match &self.exe {
            ServerExe::Path(p) => return Ok(p.clone()),
            ServerExe::Bundled32 => ("LOADLIB_SERVER32", option_env!("LOADLIB_BUNDLED_SERVER32")),
            ServerExe::Bundled64 => ("LOADLIB_SERVER64", option_env!("LOADLIB_BUNDLED_SERVER64")),
        };
        if let Some(p) = std::env::var_os(var) {
            return Ok(PathBuf::from(p));
        }
        if let Some(p) = baked.map(PathBuf::from).filter(|p| p.exists()) {
            return Ok(p);
        }
        Err(Error::Spawn {
            path: baked.unwrap_or("server32").to_owned(),
            source: std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("the bundled server executable was not found; build it (cargo build) or set {var}"),
            ),
        })
    }
}
