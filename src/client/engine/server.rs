//! The server backend: a server process reached over the shared rings, with its
//! time-outs, its dead-peer checks and its shutdown.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use super::{Answer, Exchange, Method, Request};
use crate::client::core_lease::CoreLease;
use crate::client::process::{ServerOutput, ServerProcess};
use crate::client::startup::Started;
use crate::error::{Error, Result};
use crate::transport::bulk::{BulkWriter, SegmentCache};
use crate::transport::channel::{Channel, Outgoing, RawRecord, Wait};
use crate::transport::codec::{Packed, Placements};
use crate::transport::shm;
use crate::transport::wire::{location, KIND_FREE, KIND_REQUEST, KIND_SHUTDOWN};
use crate::values::value_ref::ValueRef;
use smallvec::SmallVec;

/// The connection to one server process: the channel, the process, the bulk segment this
/// side writes and the segments it maps, and the request count.
pub(in crate::client) struct ServerLink {
    pub(in crate::client) chan: Channel,
    pub(super) process: ServerProcess,
    /// Where large and writable arrays go.
    pub(in crate::client) bulk: BulkWriter,
    /// The server's segments (its bulk segment, for large replies).
    pub(super) cache: SegmentCache,
    /// The sequence number of the last request sent.
    pub(super) seq: u64,
    /// Calls sent by the small call's own path (`small.rs`), for the tests.
    pub(in crate::client) small_calls: u64,
    /// Whether the connection is unusable (the server crashed, broke the protocol, was
    /// ended or shut down).
    pub(super) closed: bool,
    file_dir: Option<PathBuf>,
    pub(super) request_timeout: Duration,
    shutdown_timeout: Duration,
    /// What the server printed, once it is shut down.
    output: Option<ServerOutput>,
}

impl ServerLink {
    /// The link to a server just started, with a time-out for each request and one for
    /// the shutdown.
    pub(in crate::client) fn new(
        started: Started,
        request_timeout: Duration,
        shutdown_timeout: Duration,
    ) -> ServerLink {
        ServerLink {
            bulk: BulkWriter::new(&started.base, location::CLIENT_BULK),
            cache: SegmentCache::new(&started.base),
            chan: started.chan,
            process: started.process,
            seq: 0,
            small_calls: 0,
            closed: false,
            file_dir: started.file_dir,
            request_timeout,
            shutdown_timeout,
            output: None,
        }
    }

    /// How long a request may take.
    pub(in crate::client) fn request_timeout(&self) -> Duration {
        self.request_timeout
    }

    /// Fails with [`Error::Closed`] once the connection is unusable.
    pub(in crate::client) fn check_open(&self) -> Result<()> {
        if self.closed {
            return Err(Error::Closed);
        }
        Ok(())
    }

    /// The liveness check of a wait: fails once the server has exited.
    pub(super) fn alive(process: &mut ServerProcess) -> impl FnMut() -> Result<()> + '_ {
        move || match process.try_status() {
            Some(st) => Err(process.crash_error(st)),
            None => Ok(()),
        }
    }

    /// What a wait does once it lasts: gives `lease` up (it is of no use while this
    /// thread sleeps).
    pub(super) fn on_long_wait(lease: Option<&CoreLease>) -> impl FnMut() + '_ {
        move || {
            if let Some(lease) = lease {
                lease.give_up_for_long_wait();
            }
        }
    }

    /// Tells the server which shared arrays the client dropped.
    #[inline]
    pub(in crate::client) fn send_freed(&mut self, freed: &[u32]) -> Result<()> {
        if freed.is_empty() {
            return Ok(());
        }
        self.send_freed_ids(freed)
    }

    fn send_freed_ids(&mut self, freed: &[u32]) -> Result<()> {
        let ServerLink {
            chan,
            process,
            bulk,
            ..
        } = self;
        let mut alive = Self::alive(process);
        for &id in freed {
            // A FREE record is tiny and always fits once the server drains the ring.
            chan.send(
                &Outgoing::new(KIND_FREE, id as u64, b"", &[]),
                bulk,
                Wait::Forever,
                &mut alive,
            )?;
        }
        Ok(())
    }

    /// Sends a request; its sequence number and where its arrays went, or `Ok(None)`
    /// when `wait` ran out first.
    pub(in crate::client) fn send_request(
        &mut self,
        method: Method<'_>,
        args: &[ValueRef<'_>],
        wait: Wait,
    ) -> Result<Option<(u64, Placements)>> {
        // Scalars only: packed straight into the ring, with no encoder.
        if self.chan.in_place() {
            // Packed in place (a `Packed` is 152 bytes: not moved around per call).
            let mut packed = Packed::default();
            if packed.push_all(args) {
                let sent = self.send_packed_request(method, &packed, wait)?;
                return Ok(sent.map(|seq| (seq, Placements::default())));
            }
        }
        self.send_encoded(method, args, wait)
    }

    /// [`send_request`](Self::send_request) through the encoder, for arguments that are
    /// not all scalars (or a channel that is not in place).
    pub(in crate::client) fn send_encoded(
        &mut self,
        method: Method<'_>,
        args: &[ValueRef<'_>],
        wait: Wait,
    ) -> Result<Option<(u64, Placements)>> {
        let ServerLink {
            chan,
            process,
            bulk,
            seq,
            ..
        } = self;
        let mut alive = Self::alive(process);
        let next = *seq + 1;
        let msg = Outgoing {
            kind: KIND_REQUEST,
            seq: next,
            name: method.wire_name(),
            method: method.index,
            args,
        };
        let Some(placements) = chan.send(&msg, bulk, wait, &mut alive)? else {
            return Ok(None);
        };
        *seq = next;
        Ok(Some((next, placements)))
    }

    /// Sends a request whose arguments are `packed` (scalars only: no encoder); its
    /// sequence number, or `Ok(None)` when `wait` ran out first. In place only.
    #[inline]
    pub(in crate::client) fn send_packed_request(
        &mut self,
        method: Method<'_>,
        packed: &Packed,
        wait: Wait,
    ) -> Result<Option<u64>> {
        let ServerLink {
            chan, process, seq, ..
        } = self;
        let next = *seq + 1;
        let name = method.wire_name();
        let mut alive = Self::alive(process);
        let kind = KIND_REQUEST;
        if !chan.send_packed(kind, next, method.index, name, packed, wait, &mut alive)? {
            return Ok(None);
        }
        *seq = next;
        Ok(Some(next))
    }

    /// The sequence number the next request will carry.
    pub(in crate::client) fn next_seq(&self) -> u64 {
        self.seq + 1
    }

    /// Sends a record whose block `fill` writes (see [`Channel::send_raw`]), as request
    /// [`next_seq`](Self::next_seq); its offset in the ring, or `None` when `wait` ran out.
    pub(in crate::client) fn send_raw(
        &mut self,
        record: RawRecord,
        wait: Wait,
        fill: impl FnOnce(&mut [u8], usize) -> Result<()>,
    ) -> Result<Option<usize>> {
        debug_assert_eq!(record.seq, self.next_seq());
        let ServerLink { chan, process, .. } = self;
        let sent = chan.send_raw(record, wait, &mut Self::alive(process), fill)?;
        if sent.is_some() {
            self.seq = record.seq;
        }
        Ok(sent)
    }

    /// Sends `request` and waits for its reply, until the request time-out.
    #[inline]
    pub(super) fn exchange(
        &mut self,
        request: Request<'_, '_>,
        lease: Option<&CoreLease>,
    ) -> Result<Exchange> {
        self.check_open()?;
        // The time-out bounds each wait (for ring space, then for the reply), from when
        // it begins, as for every call (see `Builder::request_timeout`).
        let timeout = self.request_timeout;
        let timed_out = || Error::ResponseTimeout {
            method: request.method.name.to_owned(),
            timeout,
        };
        self.send_freed(request.freed)?;
        let (want, placements) = self
            .send_request(request.method, request.args, Wait::For(timeout))?
            .ok_or_else(timed_out)?;
        let reply = self
            .recv_reply(want, timeout, lease)?
            .ok_or_else(timed_out)?;
        Ok(Exchange { reply, placements })
    }

    /// Calls `method` with packed scalar arguments (the lean path of a small call: no
    /// encoder on the way out, and a scalar reply read with no decoder), until the request
    /// time-out. The outer error is the exchange's, the inner one the server's.
    #[inline]
    pub(super) fn call_packed(
        &mut self,
        method: Method<'_>,
        args: &Packed,
        freed: &[u32],
        lease: Option<&CoreLease>,
    ) -> Result<Result<Answer>> {
        if !self.chan.in_place() {
            let args: SmallVec<[ValueRef<'_>; 8]> = args.values().collect();
            let request = Request {
                method,
                args: &args,
                freed,
            };
            return self
                .exchange(request, lease)
                .map(|e| e.reply.map(Answer::Value));
        }
        self.check_open()?;
        // The time-out bounds each wait of the call (for ring space, then for the reply),
        // each from when it begins: the clock is read only by a wait.
        let timeout = self.request_timeout;
        let timed_out = || Error::ResponseTimeout {
            method: method.name.to_owned(),
            timeout,
        };
        self.send_freed(freed)?;
        let Some(seq) = self.send_packed_request(method, args, Wait::For(timeout))? else {
            return Err(timed_out());
        };
        self.recv_answer(seq, timeout, lease)?.ok_or_else(timed_out)
    }

    /// After a call: one that passed shared arrays (see [`passes_shared`]) and went
    /// unanswered ends the server, and an error that leaves the connection unusable
    /// closes it.
    ///
    /// [`passes_shared`]: super::passes_shared
    #[inline]
    pub(in crate::client) fn after_call<T>(
        &mut self,
        r: Result<T>,
        passed_shared: bool,
    ) -> Result<T> {
        if passed_shared && matches!(r, Err(Error::ResponseTimeout { .. } | Error::Protocol(_))) {
            self.end_server_holding_shared_arrays();
        }
        self.note_fatal(r)
    }

    /// Closes the connection after an error that leaves it unusable.
    #[inline]
    pub(in crate::client) fn note_fatal<T>(&mut self, r: Result<T>) -> Result<T> {
        if matches!(r, Err(Error::ServerCrashed { .. } | Error::Protocol(_))) {
            self.closed = true;
        }
        r
    }

    /// Kills the server and closes the connection: a call that passed shared arrays went
    /// unanswered, and once the caller's borrow ends nothing may still write them.
    pub(in crate::client) fn end_server_holding_shared_arrays(&mut self) {
        self.process.kill();
        self.closed = true;
    }

    /// Stops the server gracefully (killing it after the shutdown time-out), removes the
    /// segments named after `base`, and returns what the server printed.
    pub(in crate::client) fn shutdown(&mut self, base: &str) -> ServerOutput {
        if let Some(out) = &self.output {
            return out.clone();
        }
        if self.process.try_status().is_none() {
            let ServerLink {
                chan,
                process,
                bulk,
                ..
            } = self;
            let mut alive = || match process.try_status() {
                Some(_) => Err(Error::Closed),
                None => Ok(()),
            };
            let deadline = Instant::now() + Duration::from_secs(1);
            let _ = chan.send(
                &Outgoing::new(KIND_SHUTDOWN, 0, b"", &[]),
                bulk,
                Wait::Until(deadline),
                &mut alive,
            );
            if self.process.wait_for(self.shutdown_timeout).is_none() {
                self.process.kill();
            }
        }
        self.closed = true;
        let out = self.process.output();
        shm::unlink_all(base);
        if let Some(d) = &self.file_dir {
            let _ = std::fs::remove_dir_all(d);
        }
        self.output = Some(out.clone());
        out
    }
}
