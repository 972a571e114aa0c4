//! Start-up: create the segment, spawn the server, wait for its ready flag; then what the
//! server said in the handshake (its layout version, pointer width, wrapper's interface).

use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use super::builder::Builder;
use super::locate;
use super::process::ServerProcess;
use super::Client64;
use crate::error::{Error, Result};
use crate::server::exit_code;
use crate::sys;
use crate::transport::channel::{Channel, Side, Transport};
use crate::transport::handshake;
use crate::transport::layout::{self, state, transport_kind, SegmentHeader, LAYOUT_VERSION, MAGIC};
use crate::transport::shm::{self, Segment};
use crate::transport::wake::Doorbells;

pub(super) struct Started {
    pub base: String,
    pub chan: Channel,
    pub process: ServerProcess,
    pub pointer_width: u32,
    pub file_dir: Option<PathBuf>,
}

/// Removes what a failed start created.
struct Cleanup {
    base: String,
    dir: Option<PathBuf>,
    armed: bool,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        if self.armed {
            shm::unlink_all(&self.base);
            if let Some(d) = &self.dir {
                let _ = std::fs::remove_dir_all(d);
            }
        }
    }
}

pub(super) fn start(b: &Builder) -> Result<Started> {
    let exe = b.exe_path()?;
    if let Some(bits) = b.exe.expected_bits() {
        locate::check_program(&exe, bits)?;
    }
    shm::sweep_stale();
    sweep_stale_dirs();
    let base = shm::new_base_name()?;
    let mut cleanup = Cleanup {
        base: base.clone(),
        dir: None,
        armed: true,
    };
    let cap = layout::round_ring_capacity(b.ring_size);
    let size = layout::segment_size(cap);
    let segment = Segment::create(&base, size as usize)?;
    let bells = Doorbells::create(&base)?;
    // SAFETY: the new mapping is page-aligned, zero-filled and at least one page long;
    // SegmentHeader is made of atomics and bytes.
    let h = unsafe { &*(segment.as_ptr() as *const SegmentHeader) };
    let r = Ordering::Relaxed; // published by the Release store of `magic` below
    h.layout_version.store(LAYOUT_VERSION, r);
    h.header_size.store(size_of::<SegmentHeader>() as u32, r);
    h.segment_size.store(size, r);
    h.ring_capacity.store(cap, r);
    h.request_ring_offset.store(layout::RINGS_OFFSET, r);
    h.response_ring_offset.store(layout::RINGS_OFFSET + cap, r);
    h.client_pid.store(std::process::id(), r);
    h.spin_ns.store(b.spin.as_nanos() as u64, r);
    let file_dir = match b.transport {
        Transport::File => {
            h.transport.store(transport_kind::FILE, r);
            let dir = std::env::temp_dir().join(base.trim_start_matches('/'));
            sys::create_private_dir(&dir)?;
            cleanup.dir = Some(dir.clone());
            Some(dir)
        }
        Transport::SharedMemory => {
            h.transport.store(transport_kind::SHM, r);
            None
        }
    };
    // Release: pairs with the server's Acquire load of `magic`; written last.
    h.magic.store(MAGIC, Ordering::Release);

    let mut cmd = Command::new(&exe);
    cmd.arg("--segment").arg(&base);
    // No module named: the server's only wrapper (`Client64::own_server`).
    if !b.module32.is_empty() {
        cmd.arg("--module").arg(&b.module32);
    }
    if let Some(d) = &file_dir {
        cmd.arg("--file-dir").arg(d);
    }
    for (k, v) in &b.kwargs {
        cmd.arg("--kw").arg(format!("{k}={v}"));
    }
    // The loader's search path, and `PATH` for programs the library starts.
    let mut vars = vec![sys::LIBRARY_PATH_VAR];
    if sys::LIBRARY_PATH_VAR != "PATH" {
        vars.push("PATH");
    }
    for (var, dirs) in vars.into_iter().map(|v| (v, &b.library_paths)) {
        if !dirs.is_empty() {
            let mut all: Vec<PathBuf> = dirs.clone();
            all.extend(
                std::env::var_os(var)
                    .map(|v| std::env::split_paths(&v).collect::<Vec<_>>())
                    .unwrap_or_default(),
            );
            cmd.env(
                var,
                std::env::join_paths(all).map_err(|e| Error::InvalidArgument(e.to_string()))?,
            );
        }
    }
    for (k, v) in &b.env {
        cmd.env(k, v);
    }
    let mut process = ServerProcess::spawn(cmd, &exe.display().to_string())?;

    let end = Instant::now() + b.startup_timeout;
    loop {
        // Acquire: pairs with the server's Release store of READY.
        if h.server_state.load(Ordering::Acquire) == state::READY {
            break;
        }
        if let Some(status) = process.try_status() {
            let stderr = process.stderr_tail(200);
            if status.code() == Some(exit_code::LAYOUT as i32) {
                if let Some(e) = parse_mismatch(&stderr) {
                    return Err(e);
                }
            }
            return Err(Error::StartupFailed {
                server: exe.display().to_string(),
                status: status.to_string(),
                stderr,
            });
        }
        let now = Instant::now();
        if now >= end {
            process.kill();
            return Err(Error::ConnectTimeout {
                server: exe.display().to_string(),
                timeout: b.startup_timeout,
                stderr: process.stderr_tail(200),
            });
        }
        bells.state.wait(
            &h.server_state,
            state::STARTING,
            (end - now).min(Duration::from_millis(20)),
        );
    }
    let r = Ordering::Relaxed; // ordered by the Acquire load of READY
    let v = h.server_layout_version.load(r);
    if v != LAYOUT_VERSION {
        process.kill();
        return Err(Error::LayoutMismatch {
            field: "layout_version".into(),
            client: LAYOUT_VERSION.to_string(),
            server: v.to_string(),
        });
    }
    let pointer_width = h.server_pointer_width.load(r);
    cleanup.armed = false;
    let chan = Channel::new(
        segment,
        Side::Client,
        b.transport.clone(),
        file_dir.clone(),
        bells,
    );
    Ok(Started {
        base,
        chan,
        process,
        pointer_width,
        file_dir,
    })
}

impl Client64 {
    /// The interface the server's wrapper implements, as it published it before READY
    /// (`Name#hash`), or `None` for a wrapper without one.
    pub(crate) fn server_interface(&self) -> Option<String> {
        handshake::read(self.lock().chan.header())
    }
}

fn parse_mismatch(stderr: &str) -> Option<Error> {
    let line = stderr
        .lines()
        .find(|l| l.starts_with("loadlib-layout-mismatch "))?;
    let mut field = None;
    let (mut client, mut server) = (String::new(), String::new());
    for kv in line.split_whitespace().skip(1) {
        match kv.split_once('=') {
            Some(("field", v)) => field = Some(v.to_owned()),
            Some(("client", v)) => client = v.to_owned(),
            Some(("server", v)) => server = v.to_owned(),
            _ => {}
        }
    }
    Some(Error::LayoutMismatch {
        field: field?,
        client,
        server,
    })
}

/// Removes file-transport directories of clients that no longer exist.
fn sweep_stale_dirs() {
    let Ok(dir) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    let prefix = shm::NAME_PREFIX.trim_start_matches('/');
    for e in dir.filter_map(|e| e.ok()) {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(rest) = name.strip_prefix(prefix) else {
            continue;
        };
        let Some(pid) = rest.split('-').next().and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        if !sys::process_alive(pid) {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}
