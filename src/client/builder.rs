//! Configuration of a client and its server.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use super::{embedded, locate, Client64};

impl Client64 {
    /// A builder for a server of your own, by its executable's name alone: the binary
    /// [`loadlib::build::ServerBuild`](crate::build::ServerBuild) built (found as
    /// [`ServerExe::Named`] describes), running the one wrapper it serves
    /// ([`serve`](crate::server::serve)). The same name in `build.rs` and here: the
    /// wrapper's [`NAME`](crate::server::Server32::NAME) is not needed (a server that hosts
    /// several wrappers needs [`Client64::builder`] with one of their names and
    /// [`server_named`](Builder::server_named)).
    ///
    /// ```no_run
    /// // build.rs: loadlib::build::ServerBuild::new("my_server").manifest_path(..).build_or_panic();
    /// let client = loadlib::Client64::own_server("my_server").start()?;
    /// # Ok::<(), loadlib::Error>(())
    /// ```
    pub fn own_server(name: &str) -> Builder {
        Builder::new("").server_named(name)
    }
}
use crate::error::Result;
use crate::foreign::FOREIGN_MODULE;
use crate::transport::channel::Transport;

/// Which server executable to start.
///
/// A server given by name is found without a path written anywhere: the variable
/// `LOADLIB_SERVER_<NAME>` if it is set (see [`Named`](ServerExe::Named)), else
/// `<name>` (`<name>.exe` on Windows) next to the program's own executable, else, for
/// tests, benchmarks and examples that cargo runs from `target/<profile>/deps` or
/// `.../examples`, in the profile folder above. A deployed program therefore finds a
/// server shipped next to it; [`loadlib::build`](crate::build) puts a server there at
/// build time.
///
/// Before it is started, a server found by name is checked to be a program of the width
/// it must have (32 bits; [`Bundled64`](ServerExe::Bundled64): 64) for this system, from
/// its file's header: a 64-bit build where the 32-bit server belongs is
/// [`Error::WrongServerBinary`](crate::Error::WrongServerBinary), which says how to fix
/// it. A [`Path`](ServerExe::Path) is started as it is.
///
/// For foreign calls alone ([`foreign`](mod@crate::foreign)) no server of your own is needed: a
/// released loadlib embeds a generic 32-bit server (the default `embedded-server`
/// feature), which [`Bundled32`](ServerExe::Bundled32) falls back to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ServerExe {
    /// The bundled 32-bit server, `server32` (the default): `LOADLIB_SERVER32` if set,
    /// else found by name as above; else, for foreign calls (module
    /// [`FOREIGN_MODULE`](crate::foreign::FOREIGN_MODULE)), the generic server embedded
    /// in this build of loadlib, if it has one. That one is written on first use in a
    /// process (and again if the copy has gone) to a folder only this user can use, and
    /// started from there:
    /// `$XDG_CACHE_HOME/loadlib/<hash>/loadlib-server` (else `~/.cache/loadlib/…`, else
    /// `loadlib-<uid>/…` in the temporary folder) on Linux,
    /// `%LOCALAPPDATA%\loadlib\<hash>\loadlib-server.exe` (else in the temporary
    /// folder) on Windows. A copy whose bytes differ is replaced.
    Bundled32,
    /// The bundled server built for 64 bits (for testing both widths), `server64`:
    /// `LOADLIB_SERVER64` if set, else found by name as above.
    Bundled64,
    /// A server of your own by its executable's name without `.exe` (e.g. built with
    /// [`serve`](crate::server::serve) and [`loadlib::build`](crate::build)). The
    /// variable that overrides its path is `LOADLIB_SERVER_` and the name in capitals,
    /// other characters than letters and digits as `_`: `my-server` is
    /// `LOADLIB_SERVER_MY_SERVER`.
    Named(String),
    /// An executable of your own, by path.
    Path(PathBuf),
}

impl ServerExe {
    /// The executable this names, found as described on [`ServerExe`] (for
    /// [`Bundled32`](ServerExe::Bundled32), the embedded server counts: the server for
    /// foreign calls). A server that is not found is
    /// [`Error::Spawn`](crate::Error::Spawn) with [`NotFound`](std::io::ErrorKind::NotFound)
    /// and a message listing the places searched. A [`Path`](ServerExe::Path) is
    /// returned as it is.
    ///
    /// ```no_run
    /// let exe = loadlib::ServerExe::Named("my_server".into()).path()?;
    /// # Ok::<(), loadlib::Error>(())
    /// ```
    pub fn path(&self) -> Result<PathBuf> {
        self.path_for(FOREIGN_MODULE)
    }

    /// The width the server this names must have, checked before it is started: 32
    /// for the bundled server and servers of your own found by name, 64 for the bundled
    /// 64-bit twin. A server given by [`Path`](ServerExe::Path) is not checked (it may
    /// be a script that starts one, or a 64-bit server on purpose).
    pub(crate) fn expected_bits(&self) -> Option<u32> {
        match self {
            ServerExe::Bundled32 | ServerExe::Named(_) => Some(32),
            ServerExe::Bundled64 => Some(64),
            ServerExe::Path(_) => None,
        }
    }

    /// The executable of a server for `module`: the embedded server only hosts
    /// [`FOREIGN_MODULE`], so for another module it is listed as searched, not used.
    pub(crate) fn path_for(&self, module: &str) -> Result<PathBuf> {
        match self {
            ServerExe::Path(p) => Ok(p.clone()),
            ServerExe::Bundled32 => {
                let embedded = || {
                    if module != FOREIGN_MODULE {
                        return Err(format!(
                            "the embedded server (not for module `{module}`: it hosts \
                             foreign calls only, module `{FOREIGN_MODULE}`)"
                        ));
                    }
                    embedded::path().map_err(|why| format!("the embedded server ({why})"))
                };
                locate::find("server32", "LOADLIB_SERVER32", Some(&embedded))
            }
            ServerExe::Bundled64 => locate::find("server64", "LOADLIB_SERVER64", None),
            ServerExe::Named(name) => locate::find(name, &locate::override_var(name), None),
        }
    }
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
    pub(crate) share_cores: bool,
}

/// Default bytes of each ring: a bridge then reserves 260 KiB of `/dev/shm` until a call
/// needs a bulk segment, so 64 bridges fit in a container's default 64 MiB.
const DEFAULT_RING_SIZE: u64 = 128 << 10;

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
            ring_size: DEFAULT_RING_SIZE,
            spin: Duration::from_micros(50),
            transport: Transport::SharedMemory,
            share_cores: true,
        }
    }

    /// The server executable (default: the bundled 32-bit `server32`).
    pub fn server(mut self, exe: ServerExe) -> Self {
        self.exe = exe;
        self
    }

    /// A server of your own by its executable's name, found next to the program:
    /// [`ServerExe::Named`].
    ///
    /// ```no_run
    /// let client = loadlib::Client64::builder("my_server")
    ///     .server_named("my_server")
    ///     .start()?;
    /// # Ok::<(), loadlib::Error>(())
    /// ```
    pub fn server_named(self, name: &str) -> Self {
        self.server(ServerExe::Named(name.to_owned()))
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

    /// How long one request may take (default 60 s): the longest a call waits for its
    /// reply, or for room in the ring to send it, each counted from when the wait
    /// begins. In a [`batch`](crate::Client64::batch), the longest the client waits for
    /// the next reply: a batch fails when the server makes no progress for this long.
    pub fn request_timeout(mut self, t: Duration) -> Self {
        self.request_timeout = t;
        self
    }

    /// How long a graceful shutdown may take before the server is killed (default 5 s).
    pub fn shutdown_timeout(mut self, t: Duration) -> Self {
        self.shutdown_timeout = t;
        self
    }

    /// Bytes of each ring (default 128 KiB, at least 64 KiB; rounded up to 4 KiB). A
    /// bridge reserves a segment of two rings and a page (260 KiB by default) in
    /// `/dev/shm` when it starts, and bulk segments only when a call needs them.
    ///
    /// An array or string longer than a quarter of the ring travels through the
    /// sending side's bulk segment (made on first use, reused and grown), as does a whole
    /// record longer than that quarter (a long list, map, string list or error
    /// message). Such a call waits until the peer has read every earlier one, so a larger
    /// ring lets more mid-sized calls of a batch be in flight at once, at the cost of
    /// memory reserved for as long as the client lives. A foreign call's record (its
    /// frame, strings and structs, and arrays up to a quarter of the ring) must fit the
    /// ring; arrays of structs passed to a foreign call are limited to a quarter of it.
    pub fn ring_size(mut self, bytes: u64) -> Self {
        self.ring_size = bytes;
        self
    }

    /// How long each side spins before sleeping on a futex (default 50 µs).
    pub fn spin(mut self, t: Duration) -> Self {
        self.spin = t;
        self
    }

    /// Whether this client takes turns with the process's other clients when more of them
    /// are busy than there are pairs of cores (default `true`).
    ///
    /// A call is fastest when the client and its server spin on two cores at once. With
    /// sharing, the process holds one lease per two cores; a busy client keeps one for a
    /// time slice of 5 ms while others wait, and a client without one waits for it
    /// before sending, so the bridges that run have the cores to themselves. Total calls
    /// per second then stay close to one client's rate however many clients are busy;
    /// a call may wait up to a slice per client ahead of it. With `false`, this client
    /// never waits for a lease and spins against the others (fair per call, much less
    /// throughput when the cores are oversubscribed).
    pub fn share_cores(mut self, share: bool) -> Self {
        self.share_cores = share;
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
        self.exe.path_for(&self.module32)
    }
}
