//! Writing a call into its record: the frame, the data its pointers point at, and the
//! relocations for data in segments the server maps itself.
//!
//! A call is encoded twice with the same arguments: once to measure (nothing is written;
//! the sizes say how much ring and bulk space to take), once into the reserved record.
//! Both passes take the same steps, so the places found in the second are those measured
//! in the first.

use smallvec::SmallVec;
use zerocopy::IntoBytes;

use super::abi::Abi;
use super::frame::{ArgPlan, FramePlan, RetPlan};
use super::library::Lease;
use super::values::CValue;
use super::wire::{ForeignCall, Reloc, FOREIGN_CALL_SIZE};
use crate::error::{Error, Result};
use crate::transport::wire::{location, PAYLOAD_ALIGN, RECORD_HEADER_SIZE};
use crate::transport::INLINE_MAX;
use crate::values::value_ref::SharedRef;

/// A place in a call record: an offset from the start of its block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Place(pub(crate) u32);

impl Place {
    /// The place `by` bytes further on.
    #[inline]
    pub fn offset(self, by: u32) -> Place {
        Place(self.0 + by)
    }
}

/// Where a buffer the library may write ended up, to be read back after the call.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Back {
    /// In the record, at this block offset.
    Inline { at: u32, len: usize },
    /// In the client's bulk segment.
    Bulk { offset: usize, len: usize },
    /// A shared array: the library wrote it in place.
    InPlace,
}

/// The client's bulk segment, during the write pass.
#[derive(Clone, Copy)]
pub(crate) struct BulkArea {
    pub ptr: *mut u8,
    pub len: usize,
    pub generation: u32,
}

/// What measuring a call found.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Measured {
    /// Bytes of the block.
    pub block_len: usize,
    /// Where its relocations start.
    pub reloc_at: u32,
    /// Bytes needed in the bulk segment.
    pub bulk_len: usize,
    /// Whether a shared array or a writable buffer is passed.
    pub passes_memory: bool,
}

/// Writes one call's arguments in the server's representation, twice: to measure, then
/// into the record. [`CValue::encode`] implementations call [`write`](Self::write) and
/// the pointer methods; generated foreign functions call the rest.
pub struct Encoder<'a> {
    abi: Abi,
    plan: &'a FramePlan,
    /// The block, in the write pass; `None` while measuring.
    out: Option<&'a mut [u8]>,
    /// The server's address of the block's first byte.
    server_block: u64,
    /// The next free byte of the data area (a block offset).
    cursor: u32,
    /// Data longer than this goes to the bulk segment.
    inline_limit: usize,
    bulk: Option<BulkArea>,
    bulk_cursor: usize,
    /// Where the relocations go (a block offset; known in the write pass), and how many
    /// have been placed.
    reloc_at: u32,
    reloc_count: u32,
    pub(crate) backs: SmallVec<[Back; 2]>,
    pub(crate) ret_back: Option<Back>,
    ret_copy: u32,
    passes_memory: bool,
    /// Pointers written to places in the record (see `encode_apart`).
    pointers: u32,
}

/// Block offsets are aligned relative to the record, whose block starts here.
const BLOCK_IN_RECORD: u32 = RECORD_HEADER_SIZE as u32;

fn align_to(n: u32, align: u32) -> u32 {
    let rec = n + BLOCK_IN_RECORD;
    rec.div_ceil(align) * align - BLOCK_IN_RECORD
}

impl<'a> Encoder<'a> {
    /// An encoder that measures.
    pub(crate) fn measure(abi: Abi, plan: &'a FramePlan, inline_limit: usize) -> Self {
        Self::new(abi, plan, None, 0, inline_limit, None)
    }

    /// An encoder that writes `block` as `measured` said, whose first byte the server
    /// sees at `server_block`.
    pub(crate) fn write_into(
        abi: Abi,
        plan: &'a FramePlan,
        block: &'a mut [u8],
        measured: &Measured,
        server_block: u64,
        inline_limit: usize,
        bulk: Option<BulkArea>,
    ) -> Self {
        let frame = FOREIGN_CALL_SIZE as usize..(FOREIGN_CALL_SIZE + plan.frame_len) as usize;
        block[frame].fill(0);
        let mut e = Self::new(abi, plan, Some(block), server_block, inline_limit, bulk);
        e.reloc_at = measured.reloc_at;
        e
    }

    fn new(
        abi: Abi,
        plan: &'a FramePlan,
        out: Option<&'a mut [u8]>,
        server_block: u64,
        inline_limit: usize,
        bulk: Option<BulkArea>,
    ) -> Self {
        let cursor = FOREIGN_CALL_SIZE + plan.frame_len;
        let mut e = Self::empty(abi, plan, out, server_block, cursor, inline_limit, bulk);
        if let RetPlan::Hidden { slot } = plan.ret {
            let (size, align) = plan.ret_size_align;
            let at = e.alloc(size, align.max(8));
            e.address_of(slot, at);
            e.ret_back = Some(Back::Inline {
                at: at.0,
                len: size as usize,
            });
        }
        e
    }

    /// An encoder that has placed nothing yet, its next data going at `cursor`.
    fn empty(
        abi: Abi,
        plan: &'a FramePlan,
        out: Option<&'a mut [u8]>,
        server_block: u64,
        cursor: u32,
        inline_limit: usize,
        bulk: Option<BulkArea>,
    ) -> Self {
        Encoder {
            abi,
            plan,
            out,
            server_block,
            cursor,
            inline_limit,
            bulk,
            bulk_cursor: 0,
            reloc_at: 0,
            reloc_count: 0,
            backs: SmallVec::new(),
            ret_back: None,
            ret_copy: 0,
            passes_memory: false,
            pointers: 0,
        }
    }

    /// The server's ABI.
    #[inline]
    pub fn abi(&self) -> Abi {
        self.abi
    }

    /// Writes `bytes` at `at` (nothing while measuring). Bytes that would fall outside the
    /// record are not written.
    #[inline]
    pub fn write(&mut self, at: Place, bytes: &[u8]) {
        if let Some(out) = &mut self.out {
            let at = at.0 as usize;
            if let Some(dst) = out.get_mut(at..at + bytes.len()) {
                dst.copy_from_slice(bytes);
            }
        }
    }

    /// Writes a pointer-sized unsigned value (an address in the server) at `at`.
    pub fn write_address(&mut self, at: Place, addr: u64) -> Result<()> {
        let size = self.abi.pointer_size() as usize;
        if size == 4 && addr > u32::MAX as u64 {
            return Err(Error::InvalidArgument(format!(
                "{addr:#x} is not an address in a 32-bit server"
            )));
        }
        self.write(at, &addr.to_le_bytes()[..size]);
        Ok(())
    }

    /// Points the slot at `slot` at a place in this record.
    pub(crate) fn point_at(&mut self, slot: Place, target: Place) {
        self.address_of(slot, target)
    }

    /// Points the slot at `slot` at a place in this record.
    fn address_of(&mut self, slot: Place, target: Place) {
        self.pointers += 1;
        let addr = self.server_block + target.0 as u64;
        let size = self.abi.pointer_size() as usize;
        self.write(slot, &addr.to_le_bytes()[..size]);
    }

    /// Takes `size` bytes of the data area, aligned to `align` (at most 64), zeroed.
    pub(crate) fn alloc(&mut self, size: u32, align: u32) -> Place {
        let at = align_to(self.cursor, align.max(1));
        self.cursor = at + size;
        if let Some(out) = &mut self.out {
            if let Some(dst) = out.get_mut(at as usize..(at + size) as usize) {
                dst.fill(0);
            }
        }
        Place(at)
    }

    /// Places `values` in the record and points the slot at `slot` at the first. Arrays
    /// of numbers larger than the ring's inline limit go to the bulk segment, and so do
    /// arrays of structs that hold no pointer to data of their own.
    pub fn pointer_to_values<T: CValue>(&mut self, slot: Place, values: &[T]) -> Result<()> {
        if let Some(bytes) = T::plain_bytes(values) {
            return self.pointer_to_bytes_aligned(slot, bytes, T::LAYOUT.align(self.abi));
        }
        let step = T::LAYOUT.size(self.abi);
        if values.len() as u64 * step as u64 > self.inline_limit as u64 {
            if let Some(bytes) = self.encode_apart(values, step)? {
                return self.pointer_to_bytes_aligned(slot, &bytes, T::LAYOUT.align(self.abi));
            }
        }
        let len = u32::try_from(values.len() as u64 * step as u64)
            .ok()
            .filter(|&l| (l as usize) <= self.inline_limit)
            .ok_or_else(|| {
                Error::InvalidArgument(format!(
                    "{} structs of {step} bytes do not fit the ring (at most {} bytes; see Builder::ring_size)",
                    values.len(),
                    self.inline_limit
                ))
            })?;
        let at = self.alloc(len, T::LAYOUT.align(self.abi).max(8));
        for (i, v) in values.iter().enumerate() {
            v.encode(self, at.offset(i as u32 * step))?;
        }
        self.address_of(slot, at);
        Ok(())
    }

    /// `values` encoded on their own (`step` bytes each), when encoding them places
    /// nothing beside them (no pointer to data of their own), so that their bytes can go
    /// to the bulk segment; `None` when they do, or are too long for a record anyway.
    fn encode_apart<T: CValue>(&self, values: &[T], step: u32) -> Result<Option<Vec<u8>>> {
        let Some(len) = u32::try_from(values.len() as u64 * step as u64).ok() else {
            return Ok(None);
        };
        let mut scratch = vec![0u8; len as usize];
        // Anything placed beside the values would start at `len`, and show.
        let mut e = Encoder::empty(self.abi, self.plan, Some(&mut scratch), 0, len, 0, None);
        for (i, v) in values.iter().enumerate() {
            v.encode(&mut e, Place(i as u32 * step))?;
        }
        let apart = e.cursor == len
            && e.pointers == 0
            && e.bulk_cursor == 0
            && e.reloc_count == 0
            && e.backs.is_empty()
            && !e.passes_memory;
        Ok(apart.then_some(scratch))
    }

    /// Places a C string (`s` and a NUL) in the record and points the slot at `slot` at
    /// it. A NUL inside `s` is an error.
    pub fn pointer_to_cstr(&mut self, slot: Place, s: &[u8]) -> Result<()> {
        if let Some(i) = s.iter().position(|&b| b == 0) {
            return Err(Error::InvalidArgument(format!(
                "a string with a NUL at byte {i} cannot pass as a C string"
            )));
        }
        match self.place_bytes(s.len() + 1, 1)? {
            Back::Inline { at, .. } => {
                self.write(Place(at), s);
                self.write(Place(at + s.len() as u32), &[0]);
                self.address_of(slot, Place(at));
            }
            Back::Bulk { offset, len } => {
                if let Some(b) = self.bulk {
                    // SAFETY: `offset + len <= b.len` (placed within the measured
                    // target); the bulk segment is this client's own.
                    unsafe {
                        std::ptr::copy_nonoverlapping(s.as_ptr(), b.ptr.add(offset), s.len());
                        *b.ptr.add(offset + s.len()) = 0;
                    }
                }
                self.reloc(slot, location::CLIENT_BULK, offset, len);
            }
            Back::InPlace => unreachable!("place_bytes places inline or in bulk"),
        }
        Ok(())
    }

    /// A buffer of `values.len()` values the library writes (and reads first, with
    /// `copy_in`), its address in the slot at `slot`; read back after the call with
    /// [`Returned::read_back`](super::Returned::read_back).
    pub fn buffer_of<T: CValue>(&mut self, slot: Place, values: &[T], copy_in: bool) -> Result<()> {
        if let Some(bytes) = T::plain_bytes(values) {
            let contents = copy_in.then_some(bytes);
            return self.buffer(slot, bytes.len(), contents, T::LAYOUT.align(self.abi));
        }
        self.passes_memory = true;
        let step = T::LAYOUT.size(self.abi);
        let len = values.len() as u64 * step as u64;
        let most = self.inline_limit.min(INLINE_MAX);
        if len > most as u64 {
            return Err(Error::InvalidArgument(format!(
                "a writable buffer of {len} bytes of structs does not fit the ring (at most {most}; see Builder::ring_size)"
            )));
        }
        let at = self.alloc(len as u32, T::LAYOUT.align(self.abi).max(8));
        if copy_in {
            for (i, v) in values.iter().enumerate() {
                v.encode(self, at.offset(i as u32 * step))?;
            }
        }
        self.address_of(slot, at);
        self.backs.push(Back::Inline {
            at: at.0,
            len: len as usize,
        });
        Ok(())
    }

    /// Places `bytes` in the record (or the bulk segment, when large) and points the slot
    /// at `slot` at them.
    pub fn pointer_to_bytes(&mut self, slot: Place, bytes: &[u8]) -> Result<()> {
        self.pointer_to_bytes_aligned(slot, bytes, 1)
    }

    pub(crate) fn pointer_to_bytes_aligned(
        &mut self,
        slot: Place,
        bytes: &[u8],
        align: u32,
    ) -> Result<()> {
        match self.place_bytes(bytes.len(), align)? {
            Back::Inline { at, .. } => {
                self.write(Place(at), bytes);
                self.address_of(slot, Place(at));
            }
            Back::Bulk { offset, len } => {
                if let Some(b) = self.bulk {
                    // SAFETY: `offset + len <= b.len` (placed within the measured
                    // target); the bulk segment is this client's own and not the caller's.
                    unsafe {
                        std::ptr::copy_nonoverlapping(bytes.as_ptr(), b.ptr.add(offset), len)
                    };
                }
                self.reloc(slot, location::CLIENT_BULK, offset, len);
            }
            Back::InPlace => unreachable!("place_bytes places inline or in bulk"),
        }
        Ok(())
    }

    /// Where `len` bytes of data go: inline when small, else in the bulk segment.
    fn place_bytes(&mut self, len: usize, align: u32) -> Result<Back> {
        if len <= self.inline_limit.min(INLINE_MAX) {
            let align = if len >= PAYLOAD_ALIGN {
                PAYLOAD_ALIGN as u32
            } else {
                align
            };
            let at = align_to(self.cursor, align.max(1));
            self.cursor = at + len as u32;
            return Ok(Back::Inline { at, len });
        }
        let offset = self.bulk_cursor.next_multiple_of(PAYLOAD_ALIGN);
        self.bulk_cursor = offset + len;
        if let Some(b) = self.bulk {
            if self.bulk_cursor > b.len {
                return Err(Error::Protocol("bulk segment smaller than measured".into()));
            }
        }
        Ok(Back::Bulk { offset, len })
    }

    /// A buffer of `len` bytes the library may write, holding `contents` first (or zeros),
    /// its address in the slot at `slot`; read back after the call (see
    /// `Returned::read_back`).
    pub(crate) fn buffer(
        &mut self,
        slot: Place,
        len: usize,
        contents: Option<&[u8]>,
        align: u32,
    ) -> Result<()> {
        self.passes_memory = true;
        let back = self.place_bytes(len, align)?;
        match back {
            Back::Inline { at, .. } => {
                if let Some(out) = &mut self.out {
                    let dst = &mut out[at as usize..at as usize + len];
                    match contents {
                        Some(c) => dst[..c.len()].copy_from_slice(c),
                        None => dst.fill(0),
                    }
                }
                self.address_of(slot, Place(at));
            }
            Back::Bulk { offset, .. } => {
                if let (Some(b), Some(c)) = (self.bulk, contents) {
                    // SAFETY: `offset + len <= b.len`, and `c.len() <= len`; the bulk
                    // segment is this client's own.
                    unsafe {
                        std::ptr::copy_nonoverlapping(c.as_ptr(), b.ptr.add(offset), c.len())
                    };
                }
                self.reloc(slot, location::CLIENT_BULK, offset, len);
            }
            Back::InPlace => {}
        }
        self.backs.push(back);
        Ok(())
    }

    /// Points the slot at `slot` at a shared array, which the library reads (or, when
    /// the array was passed `&mut`, writes) in place. `lease` is the call's: the array
    /// stays borrowed until the call is over. An array of another client is refused.
    pub fn shared<'call>(
        &mut self,
        slot: Place,
        array: &SharedRef<'call>,
        lease: Lease<'call>,
    ) -> Result<()> {
        self.shared_as(slot, array, array.writable, lease)
    }

    /// [`shared`](Self::shared), writable only if the array is and `writable` says so.
    pub(crate) fn shared_as<'call>(
        &mut self,
        slot: Place,
        array: &SharedRef<'call>,
        writable: bool,
        lease: Lease<'call>,
    ) -> Result<()> {
        if array.owner != lease.owner {
            return Err(Error::InvalidArgument(
                "a shared array of another client: pass each client arrays it allocated (alloc_array)".into(),
            ));
        }
        let (id, len, writable) = (array.id, array.len as usize, array.writable && writable);
        self.passes_memory = true;
        self.push_reloc(Reloc {
            at: slot.0,
            location: location::SHARED,
            segment: id,
            len: len as u64,
            ..Reloc::default()
        });
        if writable {
            self.backs.push(Back::InPlace);
        }
        Ok(())
    }

    fn reloc(&mut self, slot: Place, location: u8, offset: usize, len: usize) {
        self.push_reloc(Reloc {
            at: slot.0,
            location,
            segment: self.bulk.map_or(0, |b| b.generation),
            offset: offset as u64,
            len: len as u64,
            ..Reloc::default()
        });
    }

    /// Writes relocation number `reloc_count` in its place after the data (the write
    /// pass), and counts it.
    fn push_reloc(&mut self, r: Reloc) {
        let at = self.reloc_at + self.reloc_count * size_of::<Reloc>() as u32;
        self.write(Place(at), r.as_bytes());
        self.reloc_count += 1;
    }

    /// The frame slot of parameter `i` (a pointer or a scalar passed directly).
    pub fn slot(&self, i: usize) -> Place {
        match &self.plan.args[i] {
            ArgPlan::Direct { at, .. } => *at,
            // Only structs are passed otherwise; their parameters never reach here.
            ArgPlan::ByCopy { slot } => *slot,
            ArgPlan::Split { parts } => parts[0].expect("a first eightbyte"),
        }
    }

    /// Writes parameter `i`, passed by value.
    #[inline]
    pub fn arg<T: CValue>(&mut self, i: usize, v: &T) -> Result<()> {
        if let ArgPlan::Direct { at, extend } = self.plan.args[i] {
            // The common case, without the indirection of `arg_with`.
            v.encode(self, at)?;
            if let Some(signed) = extend {
                self.extend(at, T::LAYOUT.size(self.abi), signed);
            }
            return Ok(());
        }
        self.arg_with(i, T::LAYOUT.size(self.abi), &mut |e, at| v.encode(e, at))
    }

    /// Writes parameter `i`, passed by value, whose `size` bytes `put` writes at a place.
    pub(crate) fn arg_with(
        &mut self,
        i: usize,
        size: u32,
        put: &mut dyn FnMut(&mut Self, Place) -> Result<()>,
    ) -> Result<()> {
        match &self.plan.args[i] {
            ArgPlan::Direct { at, extend } => {
                let (at, extend) = (*at, *extend);
                put(self, at)?;
                if let Some(signed) = extend {
                    self.extend(at, size, signed);
                }
            }
            ArgPlan::ByCopy { slot } => {
                let slot = *slot;
                let copy = self.alloc(size, 16);
                put(self, copy)?;
                self.address_of(slot, copy);
            }
            ArgPlan::Split { parts } => {
                let parts = *parts;
                let tmp = self.alloc(16, 8);
                put(self, tmp)?;
                for (i, part) in parts.iter().enumerate() {
                    if let Some(to) = part {
                        self.move_eightbyte(tmp.offset(8 * i as u32), *to);
                    }
                }
            }
        }
        Ok(())
    }

    /// Sign- or zero-extends the `size`-byte integer at `at` to 4 bytes.
    fn extend(&mut self, at: Place, size: u32, signed: bool) {
        if let Some(out) = &mut self.out {
            let a = at.0 as usize;
            let v: u32 = match (size, signed) {
                (1, true) => out[a] as i8 as i32 as u32,
                (1, false) => out[a] as u32,
                (2, true) => i16::from_le_bytes([out[a], out[a + 1]]) as i32 as u32,
                (2, false) => u16::from_le_bytes([out[a], out[a + 1]]) as u32,
                _ => return,
            };
            out[a..a + 4].copy_from_slice(&v.to_le_bytes());
        }
    }

    /// Copies 8 bytes from `from` to `to`, with any relocation that fills them.
    fn move_eightbyte(&mut self, from: Place, to: Place) {
        let Some(out) = &mut self.out else {
            return;
        };
        out.copy_within(from.0 as usize..from.0 as usize + 8, to.0 as usize);
        for i in 0..self.reloc_count as usize {
            // The slot a relocation fills is its first field, a `u32`.
            let a = self.reloc_at as usize + i * size_of::<Reloc>();
            let Some(field) = out.get_mut(a..a + 4) else {
                continue;
            };
            let slot = u32::from_le_bytes(field.try_into().expect("4 bytes"));
            if (from.0..from.0 + 8).contains(&slot) {
                field.copy_from_slice(&(to.0 + (slot - from.0)).to_le_bytes());
            }
        }
    }

    /// Asks the server to copy the C string the function returns into the reply.
    #[doc(hidden)]
    pub fn return_string(&mut self) {
        self.ret_copy = super::wire::RET_STRING;
    }

    /// Asks the server to copy the `n` values of `T` the returned pointer points at into
    /// the reply.
    #[doc(hidden)]
    pub fn return_values<T: CValue>(&mut self, n: i128) -> Result<()> {
        let bytes = usize::try_from(n)
            .ok()
            .and_then(|n| n.checked_mul(T::LAYOUT.size(self.abi) as usize))
            .and_then(|b| u32::try_from(b).ok())
            .filter(|&b| b != super::wire::RET_STRING)
            .ok_or_else(|| Error::InvalidArgument(format!("{n} returned values")))?;
        self.ret_copy = bytes;
        Ok(())
    }

    /// Asks the server to copy what the returned pointer points at into the reply:
    /// `len` bytes, or the C string up to its NUL (`wire::RET_STRING`).
    pub(crate) fn set_ret_copy(&mut self, len: u32) {
        self.ret_copy = len;
    }

    /// What the measuring pass found.
    pub(crate) fn measured(&self) -> Measured {
        let reloc_at = self.cursor.next_multiple_of(8);
        Measured {
            block_len: (reloc_at + self.reloc_count * size_of::<Reloc>() as u32) as usize,
            reloc_at,
            bulk_len: self.bulk_cursor,
            passes_memory: self.passes_memory,
        }
    }

    /// Writes the block's head (write pass), after checking that the arguments took the
    /// places measured: an argument that changed between the passes is an error.
    pub(crate) fn finish(&mut self) -> Result<()> {
        if self.cursor.next_multiple_of(8) != self.reloc_at {
            return Err(Error::InvalidArgument(
                "an argument changed its size between measuring and writing the call".into(),
            ));
        }
        let head = ForeignCall {
            frame_len: self.plan.frame_len,
            reloc_count: self.reloc_count,
            reloc_at: self.reloc_at,
            ret_copy: self.ret_copy,
        };
        self.write(Place(0), head.as_bytes());
        Ok(())
    }
}
