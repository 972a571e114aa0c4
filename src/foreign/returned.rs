//! What a foreign call gives back: its result, what the library wrote into the caller's
//! buffers, and the error code it left.

use smallvec::SmallVec;

use super::abi::Abi;
use super::encode::{Back, Encoder};
use super::values::CDecode;
use super::wire::{ForeignReply, REPLY_NULL};
use crate::error::{Error, Result};

/// The outcome of one foreign call: the return value, the buffers the library wrote
/// (copied out of shared memory on request), and `errno` / `GetLastError()`. Lent to the
/// call's [`Step::Decode`] while the client is held, so the buffers stay as the library
/// left them.
pub struct Returned<'r> {
    pub(crate) abi: Abi,
    pub(crate) reply: ForeignReply,
    /// The bytes copied from a returned pointer.
    pub(crate) data: &'r [u8],
    /// This process's address of the request's block.
    pub(crate) block: *const u8,
    pub(crate) block_len: usize,
    /// This process's mapping of the bulk segment.
    pub(crate) bulk: Option<(*const u8, usize)>,
    pub(crate) backs: &'r [Back],
    pub(crate) ret_back: Option<Back>,
}

/// One step of a foreign call, given to the closure that makes it: writing the
/// arguments (twice: to measure, then into the record), then reading the result.
pub enum Step<'s, 'r> {
    /// Write the arguments.
    Encode(&'s mut Encoder<'r>),
    /// Read the result and what the library wrote.
    Decode(&'s Returned<'r>),
}

impl Returned<'_> {
    /// The server's ABI.
    pub fn abi(&self) -> Abi {
        self.abi
    }

    /// The return value.
    pub fn value<T: CDecode>(&self) -> Result<T> {
        let size = T::LAYOUT.size(self.abi) as usize;
        if self.ret_back.is_none() && size <= 16 {
            // In registers (the common case): decoded where the reply holds it, with no
            // copy first.
            let ret = zerocopy::IntoBytes::as_bytes(&self.reply.ret);
            return Ok(T::decode(self.abi, &ret[..size]));
        }
        let bytes = self.value_bytes(size)?;
        Ok(T::decode(self.abi, &bytes))
    }

    /// The return value's `size` bytes, in the server's representation.
    pub(crate) fn value_bytes(&self, size: usize) -> Result<SmallVec<[u8; 64]>> {
        match self.ret_back {
            Some(back) => self.copy_out(back, size),
            None if size <= 16 => Ok(SmallVec::from_slice(
                &zerocopy::IntoBytes::as_bytes(&self.reply.ret)[..size],
            )),
            None => Err(Error::Protocol(format!(
                "a {size}-byte result in registers"
            ))),
        }
    }

    /// Copies writable buffer `k` into a caller's array (the run-time form).
    pub(crate) fn read_back_array(&self, k: usize, dst: &crate::ArrayMut<'_>) -> Result<()> {
        let back = self.back(k)?;
        if matches!(back, Back::InPlace) {
            return Ok(());
        }
        let src = self.source(back, dst.byte_len())?;
        // SAFETY: `src` holds the array's length in bytes (checked), in this client's
        // request block or bulk segment, which the caller's array is not part of; the
        // argument list borrowing the array mutably is the only other holder.
        unsafe { dst.copy_back(src) };
        Ok(())
    }

    /// `errno` (Linux) or `GetLastError()` (Windows) right after the call, for a
    /// function declared to report it; else 0.
    pub fn last_error(&self) -> i32 {
        self.reply.last_error
    }

    /// The bytes copied from the pointer the function returned, or `None` when it
    /// returned null.
    pub fn returned_bytes(&self) -> Option<&[u8]> {
        (self.reply.flags & REPLY_NULL == 0).then_some(self.data)
    }

    /// The C string the function returned, copied; `None` when it returned null.
    pub fn returned_string(&self) -> Result<Option<std::ffi::CString>> {
        self.returned_bytes()
            .map(|b| {
                std::ffi::CString::new(b.to_vec())
                    .map_err(|_| Error::Protocol("a returned string with a NUL inside".into()))
            })
            .transpose()
    }

    /// The values the returned pointer pointed at, copied; `None` when it was null.
    pub fn returned_values<T: CDecode>(&self) -> Result<Option<Vec<T>>> {
        let Some(bytes) = self.returned_bytes() else {
            return Ok(None);
        };
        let step = T::LAYOUT.size(self.abi) as usize;
        let n = bytes.len().checked_div(step).unwrap_or(0);
        Ok(Some(
            (0..n)
                .map(|i| T::decode(self.abi, &bytes[i * step..]))
                .collect(),
        ))
    }

    /// Copies what the library wrote into writable buffer `k` (in the order they were
    /// encoded) into `dst`. A shared array was written in place: nothing to copy.
    pub fn read_back<T: CDecode>(&self, k: usize, dst: &mut [T]) -> Result<()> {
        let back = self.back(k)?;
        if matches!(back, Back::InPlace) {
            return Ok(());
        }
        let size = T::LAYOUT.size(self.abi) as usize * dst.len();
        if let Some(bytes) = T::plain_bytes_mut(dst) {
            let n = bytes.len().min(size);
            let src = self.source(back, n)?;
            // SAFETY: `src` holds `n` readable bytes (checked by `source`), in this
            // client's request block or bulk segment, which `bytes` (the caller's values,
            // borrowed mutably) is not part of.
            unsafe { std::ptr::copy_nonoverlapping(src, bytes.as_mut_ptr(), n) };
            return Ok(());
        }
        let bytes = self.copy_out(back, size)?;
        T::decode_slice(self.abi, &bytes, dst);
        Ok(())
    }

    /// What the library wrote into writable buffer `k`, one value.
    pub fn read_back_value<T: CDecode>(&self, k: usize) -> Result<T> {
        let back = self.back(k)?;
        let bytes = self.copy_out(back, T::LAYOUT.size(self.abi) as usize)?;
        Ok(T::decode(self.abi, &bytes))
    }

    fn back(&self, k: usize) -> Result<Back> {
        self.backs
            .get(k)
            .copied()
            .ok_or_else(|| Error::Protocol(format!("no writable buffer {k}")))
    }

    /// The start of `len` bytes of `back` in this process, after checking they lie in
    /// the request's block or the bulk segment.
    fn source(&self, back: Back, len: usize) -> Result<*const u8> {
        let (base, avail, at, have) = match back {
            Back::Inline { at, len: have } => (self.block, self.block_len, at as usize, have),
            Back::Bulk { offset, len: have } => {
                let (p, l) = self
                    .bulk
                    .ok_or_else(|| Error::Protocol("no bulk segment to read back".into()))?;
                (p, l, offset, have)
            }
            Back::InPlace => return Err(Error::Protocol("a shared array read back".into())),
        };
        if len > have || at.checked_add(len).is_none_or(|e| e > avail) {
            return Err(Error::Protocol(format!(
                "{len} bytes read back from a buffer of {have}"
            )));
        }
        // SAFETY: `at + len <= avail`, inside the block or the bulk mapping.
        Ok(unsafe { base.add(at) })
    }

    /// A copy of `len` bytes of `back`, out of shared memory.
    fn copy_out(&self, back: Back, len: usize) -> Result<SmallVec<[u8; 64]>> {
        let src = self.source(back, len)?;
        let mut out = SmallVec::from_elem(0u8, len);
        // SAFETY: `src` holds `len` readable bytes (checked); `out` is ours.
        unsafe { std::ptr::copy_nonoverlapping(src, out.as_mut_ptr(), len) };
        Ok(out)
    }
}
