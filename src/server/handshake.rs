//! The server's side of start-up: open the client's segment, check its layout against
//! this build's and its owner against this process's parent, then — once the wrapper is
//! built — publish the server's fields (its layout version, pointer width, request ring
//! address and the wrapper's interface) and READY.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use super::command_line::Config;
use super::exit_code;
use super::watchdog::{fail, say};
use crate::sys;
use crate::transport::channel::{Channel, Side, Transport};
use crate::transport::handshake;
use crate::transport::layout::{self, state, transport_kind, SegmentHeader, LAYOUT_VERSION, MAGIC};
use crate::transport::shm::Segment;
use crate::transport::wake::Doorbells;
use crate::InterfaceId;

/// The client's segment, opened and checked.
pub(super) struct Attached {
    pub(super) segment: Segment,
    pub(super) client: Arc<sys::Parent>,
    pub(super) bells: Doorbells,
    pub(super) transport: Transport,
}

impl Attached {
    /// The server's end of the connection, and the client process (for the serve loop).
    pub(super) fn into_channel(self, file_dir: Option<PathBuf>) -> (Channel, Arc<sys::Parent>) {
        let chan = Channel::new(
            self.segment,
            Side::Server,
            self.transport,
            file_dir,
            self.bells,
        );
        (chan, self.client)
    }

    fn header(&self) -> &SegmentHeader {
        // SAFETY: `attach` checked that the segment holds a header of this layout; the
        // mapping is page-aligned and lives as long as `self`; SegmentHeader is made of
        // atomics and bytes, valid for any bit pattern.
        unsafe { &*(self.segment.as_ptr() as *const SegmentHeader) }
    }
}

/// Opens the segment `cfg` names and checks it; on failure, says why and gives the exit
/// code (a layout mismatch as a line the client parses).
pub(super) fn attach(cfg: &Config) -> Result<Attached, ExitCode> {
    let segment = Segment::open(&cfg.segment).map_err(|e| fail(exit_code::STARTUP, e))?;
    if let Err((field, client, server)) = validate(&segment) {
        say(format_args!(
            "loadlib-layout-mismatch field={field} client={client} server={server}"
        ));
        return Err(ExitCode::from(exit_code::LAYOUT));
    }
    // SAFETY: validated above (see `Attached::header`).
    let header = unsafe { &*(segment.as_ptr() as *const SegmentHeader) };
    let client_pid = header.client_pid.load(Ordering::Relaxed);
    let client = sys::Parent::attach(client_pid).map_err(|e| {
        fail(
            exit_code::STARTUP,
            format!(
                "segment {} belongs to process {client_pid}, not to this server's parent: {e}",
                cfg.segment
            ),
        )
    })?;
    let bells = Doorbells::open(&cfg.segment).map_err(|e| fail(exit_code::STARTUP, e))?;
    let transport = match header.transport.load(Ordering::Relaxed) {
        transport_kind::FILE if cfg.file_dir.is_some() => Transport::File,
        transport_kind::SHM => Transport::SharedMemory,
        other => {
            return Err(fail(
                exit_code::STARTUP,
                format!("transport {other} without a file directory"),
            ))
        }
    };
    Ok(Attached {
        segment,
        client: Arc::new(client),
        bells,
        transport,
    })
}

/// Publishes the server's fields and the wrapper's `interface`, then READY: the client
/// may send requests from here on.
pub(super) fn announce_ready(attached: &Attached, interface: Option<&InterfaceId>) {
    let header = attached.header();
    let r = Ordering::Relaxed; // published by the Release store of READY below
    header.server_pid.store(std::process::id(), r);
    header.server_layout_version.store(LAYOUT_VERSION, r);
    header.server_pointer_width.store(usize::BITS, r);
    let request_ring = attached.segment.as_ptr() as u64 + layout::RINGS_OFFSET;
    header.server_request_ring.store(request_ring, r);
    handshake::publish(header, interface);
    // Release: pairs with the client's Acquire load of `server_state`, publishing the
    // fields above.
    header.server_state.store(state::READY, Ordering::Release);
    attached.bells.state.ring(&header.server_state);
}

/// Checks the header the client published; returns (field, client value, server value).
fn validate(seg: &Segment) -> Result<(), (String, String, String)> {
    let diff = |f: &str, c: u64, s: u64| Err((f.to_owned(), c.to_string(), s.to_string()));
    if seg.len() < layout::RINGS_OFFSET as usize {
        return diff("segment_size", seg.len() as u64, layout::RINGS_OFFSET);
    }
    // SAFETY: the mapping is at least RINGS_OFFSET bytes (more than a header) and
    // page-aligned; SegmentHeader is made of atomics and bytes, valid for any bit pattern.
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
