//! The file transport: a record travels in a file of its own, and the ring carries a
//! doorbell record that names it.

use std::path::PathBuf;

use zerocopy::IntoBytes;

use super::{Channel, Incoming, Outgoing, RecordView, Side, Wait};
use crate::error::{Error, Result};
use crate::transport::codec::Placements;
use crate::transport::wire::{
    RecordHeader, KIND_FILE_REPLY, KIND_FILE_REQUEST, RECORD_ALIGN, RECORD_HEADER_SIZE,
};

impl Channel {
    /// The file of the request or reply with sequence number `seq`: one file per message,
    /// so a late reply never overwrites the next one.
    fn file_path(&self, kind: u16, seq: u64) -> PathBuf {
        let dir = self
            .file_dir
            .as_ref()
            .expect("file transport has a directory");
        let what = if kind == KIND_FILE_REQUEST {
            "request"
        } else {
            "reply"
        };
        dir.join(format!("{what}-{seq}.bin"))
    }

    /// Sends a record through a file (every payload in it), and a doorbell record in the
    /// ring that says which.
    pub(super) fn send_file(
        &self,
        msg: &Outgoing<'_, '_>,
        wait: Wait,
        alive: &mut dyn FnMut() -> Result<()>,
    ) -> Result<Option<Placements>> {
        let record = msg.frame(usize::MAX)?;
        let tx = &self.tx;
        if !self.wait_until(|| tx.has_space(RECORD_ALIGN), wait, alive)? {
            return Ok(None);
        }
        let len = record.len;
        let mut buf = vec![0u64; len.div_ceil(8)];
        let bytes = &mut buf.as_mut_bytes()[..len];
        let placements = record.write(bytes, None)?;
        let door = match self.side {
            Side::Client => KIND_FILE_REQUEST,
            Side::Server => KIND_FILE_REPLY,
        };
        // Written under a temporary name and renamed, so the reader never sees half a file.
        let path = self.file_path(door, msg.seq);
        let tmp = path.with_extension("tmp");
        crate::sys::write_private_file(&tmp, bytes)?;
        std::fs::rename(&tmp, &path)?;
        let bell = RecordHeader::new(door, RECORD_ALIGN as u32, msg.seq);
        // SAFETY: we are this ring's only producer and `has_space(RECORD_ALIGN)` held.
        let dst = unsafe { self.tx.reserve(RECORD_ALIGN) };
        dst[..RECORD_HEADER_SIZE].copy_from_slice(bell.as_bytes());
        self.tx.publish(RECORD_ALIGN);
        Ok(Some(placements))
    }

    /// Reads the record a doorbell with header `bell` names into the file buffer.
    pub(super) fn read_file(&mut self, bell: &RecordHeader) -> Result<Incoming> {
        let path = self.file_path(bell.kind, bell.seq);
        let data = std::fs::read(&path)?;
        let _ = std::fs::remove_file(&path);
        self.file_buf.clear();
        self.file_buf.resize(data.len().div_ceil(8), 0);
        self.file_buf.as_mut_bytes()[..data.len()].copy_from_slice(&data);
        let view = RecordView::parse(&data)?;
        if view.header.seq != bell.seq {
            return Err(Error::Protocol(format!(
                "file holds record {} but the doorbell rang for {}",
                view.header.seq, bell.seq
            )));
        }
        Ok(Incoming::File(data.len()))
    }
}
