//! The configurations a test runs in (a transport and a server width, or the wrapper in
//! process) and the macros that make one test per configuration, or stand for a test a
//! platform cannot run.

use std::time::Duration;

use loadlib::server::{Kwargs, Server32};
use loadlib::{Builder, Client64, Connection, ServerExe, Transport};
use server32::wrappers::echo::{EchoClient, EchoServer};
use server32::wrappers::fortran::{FortranClient, FortranServer};
use server32::wrappers::structs::{StructsClient, StructsServer};
use server32::wrappers::testlib::{TestLibClient, TestLibServer};

/// One way to reach a wrapper: a bundled server of some width over some transport, or
/// the wrapper run in this process.
#[derive(Clone, Debug)]
pub struct Config {
    /// The configuration's name, as in test names (`shm_server32`).
    pub label: &'static str,
    /// The pointer width of the code that serves the calls.
    pub width: u32,
    /// The server and its transport; `None` in process.
    server: Option<(ServerExe, Transport)>,
}

impl Config {
    fn server(label: &'static str, exe: ServerExe, transport: Transport, width: u32) -> Config {
        Config {
            label,
            width,
            server: Some((exe, transport)),
        }
    }

    /// The bundled 32-bit server over shared memory.
    pub fn shm_server32() -> Config {
        Config::server(
            "shm_server32",
            ServerExe::Bundled32,
            Transport::SharedMemory,
            32,
        )
    }

    /// The bundled 64-bit twin over shared memory.
    pub fn shm_server64() -> Config {
        Config::server(
            "shm_server64",
            ServerExe::Bundled64,
            Transport::SharedMemory,
            64,
        )
    }

    /// The bundled 32-bit server over the file transport.
    pub fn file_server32() -> Config {
        Config::server("file_server32", ServerExe::Bundled32, Transport::File, 32)
    }

    /// The bundled 64-bit twin over the file transport.
    pub fn file_server64() -> Config {
        Config::server("file_server64", ServerExe::Bundled64, Transport::File, 64)
    }

    /// The wrapper in this (64-bit) process: no server, no transport.
    pub fn in_process() -> Config {
        Config {
            label: "in_process",
            width: usize::BITS,
            server: None,
        }
    }

    /// Whether the wrapper runs in this process.
    pub fn is_in_process(&self) -> bool {
        self.server.is_none()
    }

    /// The transport, `None` in process.
    pub fn transport(&self) -> Option<Transport> {
        self.server.as_ref().map(|(_, t)| t.clone())
    }

    /// Whether calls go through shared memory (a server over the shared-memory transport).
    pub fn is_shm(&self) -> bool {
        self.transport() == Some(Transport::SharedMemory)
    }

    /// Whether calls go through files.
    pub fn is_file(&self) -> bool {
        self.transport() == Some(Transport::File)
    }

    /// The server executable; panics in process (a test listed for servers only).
    pub fn exe(&self) -> ServerExe {
        match &self.server {
            Some((exe, _)) => exe.clone(),
            None => panic!("[{}] this test needs a server", self.label),
        }
    }

    /// A builder for `module32` in this configuration (a server configuration only).
    pub fn builder(&self, module32: &str) -> Builder {
        let (exe, transport) = self
            .server
            .clone()
            .unwrap_or_else(|| panic!("[{}] this test needs a server", self.label));
        Client64::builder(module32)
            .server(exe)
            .transport(transport)
            .startup_timeout(Duration::from_secs(30))
    }

    /// A builder for foreign calls (`foreign!`, `ForeignLibrary`) in this configuration.
    pub fn foreign_builder(&self) -> Builder {
        self.builder(loadlib::foreign::FOREIGN_MODULE)
    }

    /// The bundled library `name` (`server32::paths::library`) of this width.
    pub fn library(&self, name: &str) -> &'static str {
        server32::paths::library(name, self.width)
    }

    /// A started client for `module32`, checked to be of the expected width.
    pub fn start(&self, module32: &str) -> Client64 {
        let c = self
            .builder(module32)
            .start()
            .unwrap_or_else(|e| panic!("[{}] start {module32}: {e}", self.label));
        self.check_width(&c);
        c
    }

    /// Asserts that `client`'s server is as wide as this configuration says.
    pub fn check_width(&self, client: &Client64) {
        assert_eq!(
            client.server_pointer_width(),
            self.width,
            "[{}]",
            self.label
        );
    }

    /// A connection to `module32`: a started server, or in process the wrappers the
    /// in-process tests use (`echo`, `testlib`, `fortran`, `structs`).
    pub fn connection(&self, module32: &str) -> Connection {
        if self.server.is_some() {
            return self.start(module32).into();
        }
        let kwargs = Kwargs::default();
        let conn = match module32 {
            "echo" => EchoClient::in_process(EchoServer::new(&kwargs).unwrap())
                .map(EchoClient::into_connection),
            "testlib" => TestLibClient::in_process(TestLibServer::new(&kwargs).unwrap())
                .map(TestLibClient::into_connection),
            "fortran" => FortranClient::in_process(FortranServer::new(&kwargs).unwrap())
                .map(FortranClient::into_connection),
            "structs" => StructsClient::in_process(StructsServer::new(&kwargs).unwrap())
                .map(StructsClient::into_connection),
            other => panic!("no in-process wrapper `{other}` in the tests"),
        };
        conn.unwrap_or_else(|e| panic!("[{}] {module32}: {e}", self.label))
    }

    /// The typed client `from_connection` makes of [`Config::connection`].
    pub fn typed<C>(
        &self,
        module32: &str,
        from_connection: impl FnOnce(Connection) -> loadlib::Result<C>,
    ) -> C {
        from_connection(self.connection(module32))
            .unwrap_or_else(|e| panic!("[{}] {module32}: {e}", self.label))
    }

    /// The `echo` wrapper's typed client.
    pub fn echo(&self) -> EchoClient {
        self.typed("echo", EchoClient::from_connection)
    }

    /// The `testlib` wrapper's typed client.
    pub fn testlib(&self) -> TestLibClient {
        self.typed("testlib", TestLibClient::from_connection)
    }
}

/// One test per configuration, each its own test named `<module>::<test>::<configuration>`, as
/// iceoryx2 instantiates one conformance suite per implementation: a configuration fails
/// alone and the others still run.
///
/// Each line names a function `fn(&Config)` of the calling module (after attributes for
/// its module of tests, such as `#[cfg(..)]`) and where it runs:
/// `every` (both widths over shared memory and files, and in process), `servers` (the
/// four server configurations), `shm` (both widths over shared memory), `widths32`
/// (the 32-bit server over shared memory and files), or a list of configurations, each
/// optionally with attributes (`#[cfg_attr(windows, ignore = "why")]`, so that a
/// configuration a platform lacks is listed as skipped with its reason):
///
/// ```ignore
/// common::per_config! {
///     every_value_type_round_trips: every;
///     dgesv_in_shared_memory: [shm_server32, #[cfg_attr(windows, ignore = "…")] shm_server64];
/// }
/// ```
macro_rules! per_config {
    ($($(#[$attr:meta])* $test:ident: $set:tt;)*) => {
        $( $crate::common::per_config!(@set [$(#[$attr])*] $test $set); )*
    };
    (@set $attrs:tt $test:ident every) => {
        $crate::common::per_config!(@set $attrs $test
            [shm_server32, shm_server64, file_server32, file_server64, in_process]);
    };
    (@set $attrs:tt $test:ident servers) => {
        $crate::common::per_config!(@set $attrs $test
            [shm_server32, shm_server64, file_server32, file_server64]);
    };
    (@set $attrs:tt $test:ident shm) => {
        $crate::common::per_config!(@set $attrs $test [shm_server32, shm_server64]);
    };
    (@set $attrs:tt $test:ident widths32) => {
        $crate::common::per_config!(@set $attrs $test [shm_server32, file_server32]);
    };
    (@set [$(#[$attr:meta])*] $test:ident [$($(#[$config_attr:meta])* $config:ident),* $(,)?]) => {
        $(#[$attr])*
        mod $test {
            $(
                #[test]
                $(#[$config_attr])*
                fn $config() {
                    super::$test(&$crate::common::Config::$config())
                }
            )*
        }
    };
}
pub(crate) use per_config;

/// A test that cannot apply on Windows, listed there as ignored with its reason (its
/// real code is compiled only where it applies).
macro_rules! not_on_windows {
    ($($name:ident: $reason:literal;)*) => {
        $(
            #[cfg(windows)]
            #[test]
            #[ignore = $reason]
            fn $name() {}
        )*
    };
}
pub(crate) use not_on_windows;
