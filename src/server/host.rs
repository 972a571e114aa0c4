//! The server process: attach to the client's segment, check the layout and the peer,
//! build the wrapper, then serve requests one at a time on the main thread.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use super::foreign::{ForeignHost, Outcome};
use super::{Args, Dispatch, Kwargs, Server32, ServerError};
use crate::error::Error;
use crate::foreign::wire::BIND_METHOD;
use crate::sys;
use crate::transport::bulk::{BulkWriter, SegmentCache};
use crate::transport::channel::{Channel, Outgoing, RawRecord, RecordView, Side, Transport, Wait};
use crate::transport::layout::{self, state, transport_kind, SegmentHeader, LAYOUT_VERSION, MAGIC};
use crate::transport::shm::{self, Segment};
use crate::transport::wake::Doorbells;
use crate::transport::wire::{
    location, KIND_ERROR, KIND_FOREIGN, KIND_FOREIGN_REPLY, KIND_FREE, KIND_REPLY, KIND_REQUEST,
    KIND_SHUTDOWN,
};
use crate::values::value_ref::ValueRef;
use zerocopy::IntoBytes;

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
    /// The entry `name`, whose wrapper `make` builds. An [`interface!`](crate::interface)
    /// trait gives each implementation an `entry()`; this is for hand-written ones.
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
    fn dispatch<'a>(
        &mut self,
        method: &str,
        _args: &Args<'a>,
    ) -> Result<super::Reply<'a>, ServerError> {
        Err(super::unknown_method(method, &[]))
    }

    fn method_names(&self) -> &'static [&'static str] {
        &[]
    }
}

/// The command line: `--segment NAME [--module NAME] [--file-dir DIR] [--kw KEY=VALUE]…`
/// (no module: the one wrapper of a single-wrapper server).
pub(super) struct Config {
    segment: String,
    module: Option<String>,
    file_dir: Option<PathBuf>,
    kwargs: Kwargs,
}

impl Config {
    fn from_args(mut it: impl Iterator<Item = String>) -> Result<Config, String> {
        let (mut segment, mut module, mut file_dir, mut kwargs) =
            (None, None, None, Kwargs::default());
        while let Some(flag) = it.next() {
            let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
            match flag.as_str() {
                "--segment" => segment = Some(value()?),
                "--module" => module = Some(value()?),
                "--file-dir" => file_dir = Some(PathBuf::from(value()?)),
                "--kw" => {
                    let kv = value()?;
                    let (k, v) = kv
                        .split_once('=')
                        .ok_or_else(|| format!("--kw {kv}: expected KEY=VALUE"))?;
                    kwargs.0.insert(k.to_owned(), v.to_owned());
                }
                other => return Err(format!("unknown option {other}")),
            }
        }
        Ok(Config {
            segment: segment.ok_or("--segment is required")?,
            module,
            file_dir,
            kwargs,
        })
    }
}

/// Checks the header the client published; returns (field, client value, server value).
fn validate(seg: &Segment) -> Result<(), (String, String, String)> {
    let diff = |f: &str, c: u64, s: u64| Err((f.to_owned(), c.to_string(), s.to_string()));
    if seg.len() < layout::RINGS_OFFSET as usize {
        return diff("segment_size", seg.len() as u64, layout::RINGS_OFFSET);
    }
    // SAFETY: the mapping is at least one page and page-aligned; SegmentHeader is made of
    // atomics and bytes, valid for any bit pattern.
    let h = unsafe { &*(seg.as_ptr() as *const SegmentHeader) };
    // Acquire: pairs with the client's Release store of `magic`, written last.
    let magic = h.magic.load(Ordering::Acquire);
    if magic != MAGIC {
        return diff("magic", magic, MAGIC);
    }
    let r = Ordering::Relaxed; // ordered by the Acquire above
    let v = h.layout_version.load(r);
    if v != LAYOUT_VERSION {
        return diff("layout_version", v as u64, LAYOUT_VERSION as u64);
    }
    let hs = h.header_size.load(r) as u64;
    if hs != size_of::<SegmentHeader>() as u64 {
        return diff("header_size", hs, size_of::<SegmentHeader>() as u64);
    }
    let size = h.segment_size.load(r);
    if size != seg.len() as u64 {
        return diff("segment_size", size, seg.len() as u64);
    }
    let cap = h.ring_capacity.load(r);
    if cap == 0 || cap % layout::RING_GRANULE != 0 || layout::segment_size(cap) != size {
        return diff(
            "ring_capacity",
            cap,
            (size.saturating_sub(layout::RINGS_OFFSET)) / 2,
        );
    }
    let (q, p) = (
        h.request_ring_offset.load(r),
        h.response_ring_offset.load(r),
    );
    if q != layout::RINGS_OFFSET {
        return diff("request_ring_offset", q, layout::RINGS_OFFSET);
    }
    if p != layout::RINGS_OFFSET + cap {
        return diff("response_ring_offset", p, layout::RINGS_OFFSET + cap);
    }
    Ok(())
}

/// This server's name in its messages: its executable's file name, without `.exe`.
fn program_name() -> String {
    std::env::current_exe()
        .ok()
        .and_then(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "loadlib server".to_owned())
}

/// Writes a line to stderr, ignoring errors: the client that reads it may be gone, and a
/// closed pipe must not turn a clean exit into a panic.
fn say(msg: impl std::fmt::Display) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{msg}");
}

fn fail(code: u8, msg: impl std::fmt::Display) -> ExitCode {
    say(format_args!("{}: {msg}", program_name()));
    ExitCode::from(code)
}

/// Removes the client's segments and file directory once the client is gone.
fn clean_up_after_client(base: &str, file_dir: Option<&std::path::Path>) {
    shm::unlink_all(base);
    if let Some(d) = file_dir {
        let _ = std::fs::remove_dir_all(d);
    }
}

/// Freed memory the server keeps for reuse rather than returning it to the system.
const KEEP_FREED: usize = 64 << 20;

fn run(entry: &Entry, cfg: Config) -> ExitCode {
    sys::prepare_server_process(KEEP_FREED);
    let seg = match Segment::open(&cfg.segment) {
        Ok(s) => s,
        Err(e) => return fail(exit_code::STARTUP, e),
    };
    if let Err((field, client, server)) = validate(&seg) {
        say(format_args!(
            "loadlib-layout-mismatch field={field} client={client} server={server}"
        ));
        return ExitCode::from(exit_code::LAYOUT);
    }
    // SAFETY: validated above.
    let header = unsafe { &*(seg.as_ptr() as *const SegmentHeader) };
    let client_pid = header.client_pid.load(Ordering::Relaxed);
    let client = match sys::Parent::attach(client_pid) {
        Ok(p) => Arc::new(p),
        Err(e) => {
            return fail(
                exit_code::STARTUP,
                format!(
                    "segment {} belongs to process {client_pid}, not to this server's parent: {e}",
                    cfg.segment
                ),
            )
        }
    };
    let bells = match Doorbells::open(&cfg.segment) {
        Ok(b) => b,
        Err(e) => return fail(exit_code::STARTUP, e),
    };
    let transport = match header.transport.load(Ordering::Relaxed) {
        transport_kind::FILE if cfg.file_dir.is_some() => Transport::File,
        transport_kind::SHM => Transport::SharedMemory,
        other => {
            return fail(
                exit_code::STARTUP,
                format!("transport {other} without a file directory"),
            )
        }
    };
    spawn_watchdog(client.clone(), cfg.segment.clone(), cfg.file_dir.clone());

    let mut wrapper = match (entry.make)(&cfg.kwargs) {
        Ok(w) => w,
        Err(e) => {
            return fail(
                exit_code::STARTUP,
                format!("{} failed to start: {e}", entry.name),
            )
        }
    };

    header
        .server_pid
        .store(std::process::id(), Ordering::Relaxed);
    header
        .server_layout_version
        .store(LAYOUT_VERSION, Ordering::Relaxed);
    header
        .server_pointer_width
        .store(usize::BITS, Ordering::Relaxed);
    let request_ring = seg.as_ptr() as u64 + layout::RINGS_OFFSET;
    header
        .server_request_ring
        .store(request_ring, Ordering::Relaxed);
    // Release: pairs with the client's Acquire load of `server_state`, publishing the
    // fields above.
    header.server_state.store(state::READY, Ordering::Release);
    bells.state.ring(&header.server_state);

    let base = cfg.segment.clone();
    let chan = Channel::new(seg, Side::Server, transport, cfg.file_dir.clone(), bells);
    let code = serve_loop(&mut *wrapper, chan, &base, &client, cfg.file_dir.as_deref());
    drop(wrapper);
    code
}

fn client_gone(base: &str, file_dir: Option<&std::path::Path>) -> ExitCode {
    clean_up_after_client(base, file_dir);
    fail(exit_code::CLIENT_GONE, "the client is gone; exiting")
}

fn serve_loop(
    wrapper: &mut dyn Dispatch,
    mut chan: Channel,
    base: &str,
    client: &sys::Parent,
    file_dir: Option<&std::path::Path>,
) -> ExitCode {
    let mut bulk = BulkWriter::new(base, location::SERVER_BULK);
    let mut cache = SegmentCache::new(base);
    let mut foreign = ForeignHost::default();
    // A foreign call's returned data travels in its reply, which must fit the ring.
    let max_copy = chan.max_record() / 4;
    let mut alive = || {
        if client.is_alive() {
            Ok(())
        } else {
            Err(Error::Closed)
        }
    };
    loop {
        let inc = match chan.recv(None, &mut alive, &mut || {}) {
            Ok(Some(inc)) => inc,
            Ok(None) => continue,
            Err(Error::Closed) => return client_gone(base, file_dir),
            Err(e) => return fail(exit_code::PROTOCOL, e),
        };
        let bytes = chan.bytes(&inc);
        let view = match RecordView::parse(bytes) {
            Ok(v) => v,
            Err(e) => return fail(exit_code::PROTOCOL, e),
        };
        let seq = view.header.seq;
        let sent = match view.header.kind {
            KIND_FOREIGN => {
                let header = view.header;
                match chan.record_ptr(&inc) {
                    Some(rec) => {
                        // SAFETY: the record is published and ours until released below;
                        // no reference to it is used past this point (the library may
                        // write its buffers in it); the client vouched for the function.
                        let outcome = unsafe { foreign.call(rec, &header, &mut cache, max_copy) };
                        match outcome {
                            Ok(out) => send_foreign_reply(&chan, seq, &out, &mut alive),
                            Err(e) => send_error(&chan, seq, &e, &mut bulk, &mut alive),
                        }
                    }
                    None => {
                        let e = ServerError::new(
                            "ProtocolError",
                            "foreign calls need the shared-memory transport",
                        );
                        send_error(&chan, seq, &e, &mut bulk, &mut alive)
                    }
                }
            }
            KIND_REQUEST => {
                let result = call(wrapper, &mut foreign, &view, &mut cache);
                let sent = match &result {
                    Ok(reply) => {
                        let v = [reply.as_value_ref()];
                        chan.send(
                            &Outgoing::new(KIND_REPLY, seq, b"", &v),
                            &mut bulk,
                            Wait::Forever,
                            &mut alive,
                        )
                        .map(drop)
                    }
                    Err(e) => send_error(&chan, seq, e, &mut bulk, &mut alive),
                };
                match sent {
                    // The reply could not be encoded (too large, bad rank): say so instead.
                    Err(Error::InvalidArgument(m) | Error::SharedMemory(m)) => {
                        let e = ServerError::new("ReplyError", m);
                        send_error(&chan, seq, &e, &mut bulk, &mut alive)
                    }
                    other => other,
                }
            }
            KIND_FREE => {
                cache.release_shared(seq as u32);
                Ok(())
            }
            KIND_SHUTDOWN => {
                chan.release(inc);
                chan.header()
                    .server_state
                    .store(state::STOPPED, Ordering::Release);
                return ExitCode::SUCCESS;
            }
            other => {
                let e =
                    ServerError::new("ProtocolError", format!("unexpected record kind {other}"));
                send_error(&chan, seq, &e, &mut bulk, &mut alive)
            }
        };
        chan.release(inc);
        match sent {
            Ok(()) => {}
            Err(Error::Closed) => return client_gone(base, file_dir),
            Err(e) => return fail(exit_code::PROTOCOL, e),
        }
    }
}

/// Sends a foreign call's result, with the bytes it asked to copy from the returned
/// pointer.
fn send_foreign_reply(
    chan: &Channel,
    seq: u64,
    out: &Outcome,
    alive: &mut dyn FnMut() -> Result<(), Error>,
) -> Result<(), Error> {
    let reply = out.reply.as_bytes();
    let data_len = out.reply.data_len as usize;
    let record = RawRecord {
        kind: KIND_FOREIGN_REPLY,
        seq,
        method: 0,
        block_len: reply.len() + data_len,
        names_bulk: false,
    };
    chan.send_raw(record, Wait::Forever, alive, |dst, _| {
        dst[..reply.len()].copy_from_slice(reply);
        if data_len > 0 {
            // SAFETY: the library returned a pointer to `data_len` bytes (as the
            // client declared), which `ForeignHost::call` measured.
            let data = unsafe { std::slice::from_raw_parts(out.data, data_len) };
            dst[reply.len()..].copy_from_slice(data);
        }
        Ok(())
    })
    .map(drop)
}

fn send_error(
    chan: &Channel,
    seq: u64,
    e: &ServerError,
    bulk: &mut BulkWriter,
    alive: &mut dyn FnMut() -> Result<(), Error>,
) -> Result<(), Error> {
    let msg = [ValueRef::Str(&e.message)];
    chan.send(
        &Outgoing::new(KIND_ERROR, seq, e.name.as_bytes(), &msg),
        bulk,
        Wait::Forever,
        alive,
    )
    .map(drop)
}

/// Decodes a request and calls the wrapper, turning every failure (including a panic)
/// into a `ServerError`.
fn call<'a>(
    wrapper: &mut dyn Dispatch,
    foreign: &mut ForeignHost,
    view: &RecordView<'a>,
    cache: &'a mut SegmentCache,
) -> Result<super::Reply<'a>, ServerError> {
    let method = match view.header.method {
        0 => std::str::from_utf8(view.name)
            .map_err(|_| ServerError::new("ProtocolError", "method name is not valid UTF-8"))?,
        i => {
            let names = wrapper.method_names();
            *names.get(i as usize - 1).ok_or_else(|| {
                ServerError::new(
                    "ProtocolError",
                    format!("method {} of a table of {}", i - 1, names.len()),
                )
            })?
        }
    };
    let block =
        Channel::block(view).map_err(|e| ServerError::new("ProtocolError", e.to_string()))?;
    if method == BIND_METHOD {
        cache
            .prepare(&block)
            .map_err(|e| ServerError::new("SharedMemoryError", e.to_string()))?;
        // SAFETY: the arguments live only for `bind`, which nothing else of this block
        // outlives; `cache` maps the client's segments (`SegmentMap`).
        let first = foreign.bind(&unsafe { Args::new(block, cache) }?)?;
        return Ok(super::Reply::Value(crate::Value::U32(first)));
    }
    call_block(wrapper, method, block, cache)
}

/// Calls `method` with the arguments in `block`, mapping the shared arrays it names
/// through `cache`, and turns a panic into a `Panic` error. The server and the in-process
/// mode both call wrappers through this.
pub(crate) fn call_block<'a>(
    wrapper: &mut dyn Dispatch,
    method: &str,
    block: crate::transport::codec::Block<'a>,
    cache: &'a mut SegmentCache,
) -> Result<super::Reply<'a>, ServerError> {
    cache
        .prepare(&block)
        .map_err(|e| ServerError::new("SharedMemoryError", e.to_string()))?;
    let cache: &'a SegmentCache = cache;
    // SAFETY: these are the only arguments made over `block`, and the wrapper gets
    // nothing else of it; `cache` maps the client's segments (`SegmentMap`).
    let args = unsafe { Args::new(block, cache) }?;
    match catch_unwind(AssertUnwindSafe(|| wrapper.dispatch(method, &args))) {
        Ok(r) => r,
        Err(payload) => {
            let msg = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "non-string panic payload".into());
            Err(ServerError::new(
                "Panic",
                format!("`{method}` panicked: {msg}"),
            ))
        }
    }
}

/// Exits the server, removing the client's segments, once the client is gone, even
/// while a library call is blocking the main thread.
fn spawn_watchdog(client: Arc<sys::Parent>, base: String, file_dir: Option<PathBuf>) {
    std::thread::Builder::new()
        .name("loadlib-watchdog".into())
        .spawn(move || loop {
            if client.wait_for_exit(Duration::from_secs(1)) {
                clean_up_after_client(&base, file_dir.as_deref());
                say(format_args!(
                    "{}: the client is gone; exiting",
                    program_name()
                ));
                sys::exit_immediately(exit_code::CLIENT_GONE.into());
            }
        })
        .expect("spawn the watchdog thread");
}
