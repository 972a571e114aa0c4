//! The lean path of a small call on the client: a request of packed scalars written
//! straight into the ring and its reply, one packed value in one line, read as that line
//! with no lock wait, core lease, deadline or general framing on the way. Anything it
//! does not cover (a lease to take, a client another thread holds, freed arrays to
//! report, a full ring, a reply that is anything else) goes the general way: before
//! anything is sent, or, once the request is out, for its reply.

use std::process::ExitStatus;
use std::time::Instant;

use super::reply::foreign_answer;
use super::{Answer, ServerLink};
use crate::client::FromValue;
use crate::error::{Error, Result};
use crate::foreign::wire::ForeignReply;
use crate::transport::channel::BLOCK_WORDS;
use crate::transport::codec::Packed;
use crate::transport::wire::{KIND_FOREIGN_REPLY, KIND_IN_RING, KIND_REQUEST};

impl ServerLink {
    /// Sends a small call of `method` (1 + its index, or 0 with its `name`) with `args`:
    /// its sequence number, or `None`, with nothing sent, when the lean path does not
    /// apply.
    #[inline(always)]
    pub(in crate::client) fn send_small(
        &mut self,
        method: u32,
        name: &[u8],
        args: &Packed,
    ) -> Option<u64> {
        let seq = self.small_seq()?;
        let chan = &self.chan;
        let on_line = name.is_empty() && chan.try_send_packed_line(seq, method, args);
        if !on_line && !chan.try_send_packed(KIND_REQUEST, seq, method, name, args) {
            return None;
        }
        Some(self.small_sent(seq))
    }

    /// The sequence number of the small call about to be sent, when the lean path
    /// applies (the link open, in place, outside a burst); the caller sends it if the
    /// ring has room now, then calls [`small_sent`](Self::small_sent).
    #[inline(always)]
    pub(in crate::client) fn small_seq(&mut self) -> Option<u64> {
        if self.closed || !self.chan.in_place() || self.chan.bursting() {
            return None;
        }
        // This side calls now (see `Held::new`).
        self.chan.set_away(false);
        Some(self.seq + 1)
    }

    /// Whether the last call sent went on the request line.
    pub(in crate::client) fn last_call_on_line(&self) -> bool {
        self.chan.sent_on_line(self.seq)
    }

    /// Notes that small call `seq` (from [`small_seq`](Self::small_seq)) was sent.
    #[inline(always)]
    pub(in crate::client) fn small_sent(&mut self, seq: u64) -> u64 {
        self.seq = seq;
        self.small_calls += 1;
        seq
    }

    /// Waits for the answer to small call `seq` (sent by [`send_small`](Self::send_small);
    /// `name` for messages), as `R`, until the request time-out.
    #[inline(always)]
    pub(in crate::client) fn answer_small<R: FromValue>(
        &mut self,
        name: &str,
        seq: u64,
    ) -> Result<R> {
        if !self.chan.answer_in(seq) {
            self.await_small(name, Some(seq))?;
        }
        match self.chan.take_packed_line(seq) {
            Some((ty, bits)) => match R::from_packed_exact(ty, bits) {
                Some(v) => Ok(v),
                None => R::from_packed(ty, bits),
            },
            None => self.answer_small_general(name, seq).and_then(Answer::to),
        }
    }

    /// Waits for the reply to foreign scalar call `seq` (sent after
    /// [`small_seq`](Self::small_seq); `name` for messages), until the request time-out,
    /// and puts its words in `reply`: read as its one line, else the general way. The
    /// error is boxed, so the result fits in a register and the answer read as a line
    /// is not built in memory and copied out (an `Error` is about 100 bytes).
    #[inline(always)]
    pub(in crate::client) fn answer_foreign_small(
        &mut self,
        name: &str,
        seq: u64,
        reply: &mut [u64; BLOCK_WORDS],
    ) -> Result<(), Box<Error>> {
        if !self.chan.answer_in(seq) {
            self.await_small(name, Some(seq)).map_err(Box::new)?;
        }
        const LEN: usize = size_of::<ForeignReply>();
        const _: () = assert!(LEN == BLOCK_WORDS * 8);
        match self.chan.take_block_line(seq, KIND_FOREIGN_REPLY, LEN) {
            Some(words) => {
                *reply = words;
                Ok(())
            }
            None => self.answer_foreign_general(name, seq, reply),
        }
    }

    /// The reply to foreign call `seq` when it is not one line of its own (an error,
    /// padding first): the general way.
    #[cold]
    #[inline(never)]
    fn answer_foreign_general(
        &mut self,
        name: &str,
        seq: u64,
        words: &mut [u64; BLOCK_WORDS],
    ) -> Result<(), Box<Error>> {
        self.check_answered_in_ring(seq)?;
        let deadline = Instant::now() + self.request_timeout;
        let reply = self
            .recv_for(seq, deadline, None, |view, cache| {
                Ok(foreign_answer(view, cache)?.map(|(reply, _)| reply))
            })
            .and_then(|r| r.ok_or_else(|| self.timed_out(name))?);
        *words = self.note_fatal(reply)?.to_words();
        Ok(())
    }

    /// Waits until a record is waiting, or with small call `seq` the answer to it (see
    /// [`Channel::answer_in`]), for at most the request time-out: an error when it ran
    /// out or the server is gone.
    ///
    /// [`Channel::answer_in`]: crate::transport::channel::Channel::answer_in
    #[inline(always)]
    pub(in crate::client) fn await_small(&mut self, name: &str, seq: Option<u64>) -> Result<()> {
        let ServerLink { chan, process, .. } = self;
        let mut status = None;
        let mut alive = || {
            status = process.try_status();
            status.is_none()
        };
        let timeout = self.request_timeout;
        let answered = match seq {
            Some(seq) if chan.sent_on_line(seq) => chan.wait_line_reply(seq, timeout, &mut alive),
            _ => chan.wait_reply(timeout, &mut alive),
        };
        if answered {
            return Ok(());
        }
        self.small_wait_failed(name, status)
    }

    /// Why the wait for a small call's answer ended without one: the server exited (with
    /// `status`), or the time-out passed.
    #[cold]
    #[inline(never)]
    fn small_wait_failed(&mut self, name: &str, status: Option<ExitStatus>) -> Result<()> {
        // An answer not waited for may come by the ring (a call sent on the line answered
        // there), unread.
        self.chan.forget_rings_idle();
        let e = match status {
            Some(st) => self.process.crash_error(st),
            None => self.timed_out(name),
        };
        self.note_fatal(Err(e))
    }

    /// The answer to small call `seq`, when it is not one packed value in a line (an
    /// error, a value of another kind, or padding first): the general way.
    #[cold]
    #[inline(never)]
    fn answer_small_general(&mut self, name: &str, seq: u64) -> Result<Answer> {
        self.check_answered_in_ring(seq)?;
        let timeout = self.request_timeout;
        let answer = self
            .recv_answer(seq, timeout, None)
            .and_then(|a| a.ok_or_else(|| self.timed_out(name)));
        self.note_fatal(answer)?
    }

    /// When small call `seq` went on the request line, whose answer is not one the lean
    /// path reads: that the reply line says it was answered in the ring (where the
    /// general path reads it), else a protocol error, which closes the link.
    fn check_answered_in_ring(&mut self, seq: u64) -> Result<()> {
        if !self.chan.sent_on_line(seq) {
            return Ok(());
        }
        // Its answer comes by the ring, which the general path may leave unread (when it
        // fails first).
        self.chan.forget_rings_idle();
        match self.chan.line_answer_kind() {
            KIND_IN_RING => Ok(()),
            kind => self.note_fatal(Err(Error::Protocol(format!(
                "the reply line answers call {seq} with a record of kind {kind}"
            )))),
        }
    }

    /// The time-out error of a call of `name`.
    fn timed_out(&self, name: &str) -> Error {
        Error::ResponseTimeout {
            method: name.to_owned(),
            timeout: self.request_timeout,
        }
    }
}
