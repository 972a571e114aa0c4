//! The server process: which wrapper to run (the entries a server binary hosts, the one
//! its command line names), then start-up and the serve loop, each in its own module.

use std::process::ExitCode;

use super::command_line::Config;
use super::watchdog::{fail, program_name, say, spawn_watchdog};
use super::{handshake, serve_loop, Args, Dispatch, Kwargs, Method, Reply, Server32, ServerError};
use crate::sys;

/// Exit codes of the server process, read by the client.
pub mod exit_code {
    /// Bad command line, unknown module, or the wrapper's constructor failed.
    pub const STARTUP: u8 = 2;
    /// The segment's layout differs from the server's.
    pub const LAYOUT: u8 = 3;
    /// The client that started the server is gone.
    pub const CLIENT_GONE: u8 = 4;
    /// The client broke the ring protocol.
    pub const PROTOCOL: u8 = 5;
}

/// Builds a wrapper from the client's keyword arguments.
pub type MakeWrapper = fn(&Kwargs) -> Result<Box<dyn Dispatch>, ServerError>;

/// A wrapper the host executable can run, by name.
#[derive(Clone, Copy)]
pub struct Entry {
    /// The `module32` name.
    pub name: &'static str,
    make: MakeWrapper,
}

impl Entry {
    /// The entry `name`, whose wrapper `make` builds. [`Entry::of`] makes the entry of an
    /// [`interface!`](crate::interface) implementation, and [`entry`] that of a
    /// hand-written [`Dispatch`]; this is for anything else.
    pub const fn new(name: &'static str, make: MakeWrapper) -> Entry {
        Entry { name, make }
    }
}

/// The host entry of `W`, whose methods are a hand-written [`Dispatch`].
pub fn entry<W: Server32 + Dispatch>() -> Entry {
    Entry::new(W::NAME, |kwargs| {
        W::new(kwargs).map(|w| Box::new(w) as Box<dyn Dispatch>)
    })
}

/// Runs a server for the one wrapper `entry` from the command line the client gives
/// (`main` of a single-wrapper server binary).
pub fn serve(entry: Entry) -> ExitCode {
    host(&[entry])
}

/// Runs the wrapper the command line names, out of `entries` (`main` of a host binary
/// with several wrappers, like the bundled `server32`).
pub fn host(entries: &[Entry]) -> ExitCode {
    let cfg = match Config::from_args(std::env::args().skip(1)) {
        Ok(c) => c,
        Err(e) => {
            say(format_args!("{}: {e}", program_name()));
            return ExitCode::from(exit_code::STARTUP);
        }
    };
    let foreign_only = Entry::new(crate::foreign::FOREIGN_MODULE, |_| {
        Ok(Box::new(NoMethods) as Box<dyn Dispatch>)
    });
    let mut names: Vec<_> = entries.iter().map(|e| e.name).collect();
    if !names.contains(&foreign_only.name) {
        names.push(foreign_only.name);
    }
    let Some(module) = cfg.module.clone() else {
        // No module named: a server of one wrapper runs it (`Client64::own_server`).
        return match entries {
            [only] => run(only, cfg),
            _ => {
                say(format_args!(
                    "{}: no module32 named, and this server hosts several: {}; start it \
                     with Client64::builder(NAME)",
                    program_name(),
                    names.join(", ")
                ));
                ExitCode::from(exit_code::STARTUP)
            }
        };
    };
    match entries.iter().find(|e| e.name == module) {
        Some(e) => run(e, cfg),
        None if module == foreign_only.name => run(&foreign_only, cfg),
        None => {
            say(format_args!(
                "{}: unknown module32 `{module}`; this server hosts: {}",
                program_name(),
                names.join(", ")
            ));
            ExitCode::from(exit_code::STARTUP)
        }
    }
}

/// The wrapper of a server started for foreign calls only: no methods of its own.
struct NoMethods;

impl Dispatch for NoMethods {
    fn method_names(&self) -> &'static [&'static str] {
        &[]
    }

    fn dispatch<'a>(&mut self, method: Method<'_>, _: &Args<'a>) -> Result<Reply<'a>, ServerError> {
        Err(method.unknown())
    }
}

/// Freed memory the server keeps for reuse rather than returning it to the system: more
/// than a 10^7-double result (80 MB), which with 64 MiB was handed back after every call
/// and faulted in again by the next (about 16,000 page faults a call, 63 against 29 ms a
/// call in `cargo bench --bench limits -- scalar_multiply/shm_copy/10000000`). What is
/// kept is at most what the wrapper itself once held, in a 4 GiB address space.
const KEEP_FREED: usize = 256 << 20;

/// Runs wrapper `entry` for the client `cfg` names: attach to its segment, build the
/// wrapper, say READY with the wrapper's interface, serve.
fn run(entry: &Entry, cfg: Config) -> ExitCode {
    super::dispatch::report_panics_briefly();
    sys::prepare_server_process(KEEP_FREED);
    let attached = match handshake::attach(&cfg) {
        Ok(a) => a,
        Err(code) => return code,
    };
    spawn_watchdog(
        attached.client.clone(),
        cfg.segment.clone(),
        cfg.file_dir.clone(),
    );
    let mut wrapper = match (entry.make)(&cfg.kwargs) {
        Ok(w) => w,
        Err(e) => {
            return fail(
                exit_code::STARTUP,
                format!("{} failed to start: {e}", entry.name),
            )
        }
    };
    handshake::announce_ready(&attached, wrapper.interface().as_ref());
    let (chan, client) = attached.into_channel(cfg.file_dir.clone());
    let code = serve_loop::serve(
        &mut *wrapper,
        chan,
        &cfg.segment,
        &client,
        cfg.file_dir.as_deref(),
    );
    drop(wrapper);
    code
}
