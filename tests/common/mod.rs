//! Helpers shared by the integration tests: every configuration the suite runs against.
#![allow(dead_code)]

use std::time::Duration;

use loadlib::{Builder, Client64, ServerExe, Transport};

/// A named way to start a server: transport × server width.
pub struct Config {
    pub label: &'static str,
    pub exe: ServerExe,
    pub transport: Transport,
    pub width: u32,
}

/// Every transport with both server widths.
pub fn configs() -> Vec<Config> {
    let mut v = Vec::new();
    for (transport, t) in [(Transport::SharedMemory, "shm"), (Transport::File, "file")] {
        for (exe, width, w) in [
            (ServerExe::Bundled32, 32, "32"),
            (ServerExe::Bundled64, 64, "64"),
        ] {
            v.push(Config {
                label: Box::leak(format!("{t}/{w}-bit").into_boxed_str()),
                exe,
                transport: transport.clone(),
                width,
            });
        }
    }
    v
}

impl Config {
    /// A builder for `module32` in this configuration.
    pub fn builder(&self, module32: &str) -> Builder {
        Client64::builder(module32)
            .server(self.exe.clone())
            .transport(self.transport.clone())
            .startup_timeout(Duration::from_secs(30))
    }

    /// A started client for `module32`, checked to be of the expected width.
    pub fn start(&self, module32: &str) -> Client64 {
        let c = self
            .builder(module32)
            .start()
            .unwrap_or_else(|e| panic!("[{}] start {module32}: {e}", self.label));
        assert_eq!(c.server_pointer_width(), self.width, "[{}]", self.label);
        c
    }
}

// The tests' own platform seam: everything that differs between Linux and Windows.
#[cfg(target_os = "linux")]
#[path = "os_linux.rs"]
mod os;
#[cfg(windows)]
#[path = "os_windows.rs"]
mod os;
#[allow(unused_imports)]
pub use os::*;

/// Waits up to `limit` for `cond`, polling; a watchdog, not a deadline under test.
pub fn eventually(limit: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let end = std::time::Instant::now() + limit;
    while std::time::Instant::now() < end {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    cond()
}
