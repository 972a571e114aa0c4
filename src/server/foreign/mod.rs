//! Foreign calls on the server: bind a library's functions by name, then call any of
//! them from a frame the client laid out (see `crate::foreign`). Every server built on
//! loadlib has this, beside its wrapper's methods.
//!
//! The server trusts its client (which started it and gave it the library); it checks
//! what it reads only so that a client's bug is an error rather than a stray write.

#[cfg(target_arch = "x86")]
mod x86;
#[cfg(target_arch = "x86")]
use x86 as arch;
#[cfg(target_arch = "x86_64")]
mod x86_64;
#[cfg(target_arch = "x86_64")]
use x86_64 as arch;

use std::ptr;

use zerocopy::FromBytes;

use super::{Args, Library, ServerError};
use crate::foreign::wire::{
    pick, ForeignCall, ForeignReply, FunctionSpec, Reloc, FOREIGN_CALL_SIZE, MAX_FRAME, REPLY_NULL,
    RET_STRING, SPEC_HIDDEN_RET, SPEC_LAST_ERROR,
};
use crate::transport::bulk::SegmentCache;
use crate::transport::wire::{location, RecordHeader};

/// Where the trampoline leaves a call's result registers.
#[repr(C)]
#[derive(Default)]
pub(super) struct Regs {
    /// `eax` and `edx` (i386), or `rax` (x86-64).
    r0: u64,
    /// `rdx` (x86-64).
    r1: u64,
    /// `st0` stored as a float or double (i386), or `xmm0` (x86-64).
    f0: u64,
    /// `xmm1` (x86-64).
    f1: u64,
}

/// Bytes of the register part of a frame (x86-64), which the trampoline loads into
/// registers rather than copying onto the stack.
const REGISTER_BYTES: u32 = if cfg!(target_pointer_width = "64") {
    crate::foreign::frame::X64_REGS
} else {
    0
};

/// A bound function.
struct Bound {
    address: usize,
    spec: FunctionSpec,
}

/// The libraries and functions a client bound, for the server's lifetime: a bound
/// function's address stays valid because its library is never unloaded.
#[derive(Default)]
pub(crate) struct ForeignHost {
    libraries: Vec<(String, bool, Library)>,
    functions: Vec<Bound>,
}

/// A call's result: the reply, and the bytes to copy from the returned pointer.
pub(crate) struct Outcome {
    pub reply: ForeignReply,
    pub data: *const u8,
}

impl ForeignHost {
    /// Binds the functions the bind request names; replies with the first one's id.
    pub(crate) fn bind(&mut self, args: &Args<'_>) -> Result<u32, ServerError> {
        if args.len() != 4 {
            return Err(ServerError::type_error(format!(
                "binding takes 4 arguments, {} given",
                args.len()
            )));
        }
        args.use_all();
        let path: &str = args.arg(0)?;
        let stdcall: bool = args.arg(1)?;
        let bytes = |i| match args.get(i)? {
            crate::ValueRef::Bytes(b) => Ok(b),
            other => Err(ServerError::type_error(format!(
                "bind argument {i} is {}, not bytes",
                other.type_name()
            ))),
        };
        let names: Vec<&str> = std::str::from_utf8(bytes(2)?)
            .map_err(|_| ServerError::type_error("function names are not UTF-8"))?
            .split_terminator('\0')
            .collect();
        let spec_bytes = bytes(3)?;
        if spec_bytes.len() % size_of::<FunctionSpec>() != 0 {
            return Err(ServerError::type_error("function specs are not whole"));
        }
        let specs: Vec<FunctionSpec> = spec_bytes
            .chunks_exact(size_of::<FunctionSpec>())
            .map(|c| FunctionSpec::read_from_bytes(c).expect("a whole spec"))
            .collect();
        if names.len() != specs.len() {
            return Err(ServerError::type_error(format!(
                "{} names for {} function specs",
                names.len(),
                specs.len()
            )));
        }
        for (name, spec) in names.iter().zip(&specs) {
            check_spec(name, spec)?;
        }
        let lib = self.library(path, stdcall)?;
        let mut found = Vec::with_capacity(names.len());
        let mut missing = Vec::new();
        for (name, spec) in names.iter().zip(&specs) {
            match stdcall_address(lib, name, spec, stdcall) {
                Some(address) => found.push(Bound {
                    address,
                    spec: *spec,
                }),
                None => missing.push(*name),
            }
        }
        if !missing.is_empty() {
            return Err(ServerError::library_error(format!(
                "`{path}` has no function {}",
                missing
                    .iter()
                    .map(|m| format!("`{m}`"))
                    .collect::<Vec<_>>()
                    .join(", nor ")
            )));
        }
        let first = self.functions.len() as u32 + 1;
        self.functions.extend(found);
        Ok(first)
    }

    /// The library at `path`, loaded once.
    fn library(&mut self, path: &str, stdcall: bool) -> Result<&Library, ServerError> {
        let i = match self
            .libraries
            .iter()
            .position(|(p, s, _)| p == path && *s == stdcall)
        {
            Some(i) => i,
            None => {
                // SAFETY: the client that started this server asked for the library; as
                // with `Library::cdll`, loading runs its initialisers, which the client
                // vouched for when it bound the library (an `unsafe` call on its side).
                let lib = unsafe {
                    if stdcall {
                        Library::windll(path)
                    } else {
                        Library::cdll(path)
                    }
                }?;
                self.libraries.push((path.to_owned(), stdcall, lib));
                self.libraries.len() - 1
            }
        };
        Ok(&self.libraries[i].2)
    }

    /// Calls the function a `KIND_FOREIGN` record names.
    ///
    /// # Safety
    /// `record` must point to the whole record `header` describes (checked by the
    /// caller against the ring), readable and writable by this process and not read or
    /// written by anyone else until the reply is sent. The function is called as the
    /// client laid it out: the client vouches for the declaration (see
    /// `ForeignLibrary::bind`). Inlined into the serve loop's one caller, so that the
    /// outcome is not returned through memory.
    #[inline(always)]
    pub(crate) unsafe fn call(
        &self,
        record: *mut u8,
        header: &RecordHeader,
        cache: &mut SegmentCache,
        max_copy: usize,
    ) -> Result<Outcome, ServerError> {
        let protocol = |m: String| ServerError::new("ProtocolError", m);
        let f = (header.method as usize)
            .checked_sub(1)
            .and_then(|i| self.functions.get(i))
            .ok_or_else(|| protocol(format!("no bound function {}", header.method)))?;
        let (b0, blen) = (header.block_offset as usize, header.block_len as usize);
        if b0.checked_add(blen).is_none_or(|e| e > header.len as usize) || blen < 16 {
            return Err(protocol(format!("block {b0}+{blen} of a foreign call")));
        }
        // SAFETY: the block lies inside the record (checked), which the caller vouches for.
        let block = unsafe { record.add(b0) };
        let mut head = [0u8; FOREIGN_CALL_SIZE as usize];
        // SAFETY: the block holds at least 16 bytes (checked).
        unsafe { ptr::copy_nonoverlapping(block, head.as_mut_ptr(), head.len()) };
        let call = ForeignCall::read_from_bytes(&head).expect("16 bytes");
        let frame_end = FOREIGN_CALL_SIZE as usize + call.frame_len as usize;
        if call.frame_len != f.spec.frame_len || frame_end > blen {
            return Err(protocol(format!(
                "a frame of {} bytes for a function bound with {}",
                call.frame_len, f.spec.frame_len
            )));
        }
        let relocs_end = (call.reloc_count as usize)
            .checked_mul(size_of::<Reloc>())
            .and_then(|n| n.checked_add(call.reloc_at as usize));
        if call.reloc_at % 8 != 0 || relocs_end.is_none_or(|e| e > blen) {
            return Err(protocol("relocations outside the block".into()));
        }
        for i in 0..call.reloc_count as usize {
            let mut r = [0u8; size_of::<Reloc>()];
            let at = call.reloc_at as usize + i * r.len();
            // SAFETY: inside the block (checked above).
            unsafe { ptr::copy_nonoverlapping(block.add(at), r.as_mut_ptr(), r.len()) };
            let r = Reloc::read_from_bytes(&r).expect("a whole relocation");
            let address = resolve(&r, cache).map_err(protocol)?;
            let slot = r.at as usize;
            if slot < FOREIGN_CALL_SIZE as usize || slot + size_of::<usize>() > blen {
                return Err(protocol(format!("pointer slot {slot} outside the block")));
            }
            // SAFETY: the slot lies in the block (checked), which this process may write.
            unsafe { ptr::write_unaligned(block.add(slot).cast::<usize>(), address) };
        }
        let mut regs = Regs::default();
        let last_error = f.spec.flags & SPEC_LAST_ERROR != 0;
        if last_error {
            crate::sys::clear_last_error();
        }
        // SAFETY: the function was bound with this frame length and result convention;
        // the frame (and the data its pointers reach) lies in the record or in segments
        // this process maps; the client vouches for the declaration.
        unsafe {
            arch::call(
                f.address,
                block.add(FOREIGN_CALL_SIZE as usize),
                (call.frame_len - REGISTER_BYTES) as usize,
                &mut regs,
                f.spec.x87 as u32,
            )
        };
        let mut reply = ForeignReply {
            last_error: if last_error {
                crate::sys::last_error()
            } else {
                0
            },
            ..ForeignReply::default()
        };
        // Each result eightbyte from the register its pick names, by a table indexed by
        // the pick (`pick::NONE`, or any other value, gives 0).
        let by_pick = [0, regs.r0, regs.f0, regs.r0, regs.r1, regs.f0, regs.f1];
        const _: () = assert!(
            pick::NONE == 0
                && pick::EAX_EDX == 1
                && pick::ST0 == 2
                && pick::RAX == 3
                && pick::RDX == 4
                && pick::XMM0 == 5
                && pick::XMM1 == 6
        );
        for (r, p) in reply.ret.iter_mut().zip(f.spec.picks) {
            *r = by_pick.get(p as usize).copied().unwrap_or(0);
        }
        let mut data = ptr::null();
        if call.ret_copy != 0 {
            let returned = regs.r0 as usize as *const u8;
            if returned.is_null() {
                reply.flags = REPLY_NULL;
            } else {
                let len = match call.ret_copy {
                    RET_STRING => {
                        // SAFETY: the library returned a C string, as declared.
                        let len = unsafe { bounded_strlen(returned, max_copy) };
                        len.ok_or_else(|| {
                            ServerError::value_error(format!(
                                "the returned string is longer than {max_copy} bytes"
                            ))
                        })?
                    }
                    n if n as usize <= max_copy => n as usize,
                    n => {
                        return Err(ServerError::value_error(format!(
                            "{n} returned bytes do not fit the reply (at most {max_copy})"
                        )))
                    }
                };
                reply.data_len = len as u32;
                data = returned;
            }
        }
        Ok(Outcome { reply, data })
    }
}

/// The address of function `name`; a `stdcall` one is also found under its decorated
/// names (`_name@N`, `name@N`, on 32-bit Windows). `N` counts the declared arguments
/// only, not a hidden pointer to the result (mingw's decoration; the frame's whole length
/// is tried too).
fn stdcall_address(lib: &Library, name: &str, spec: &FunctionSpec, stdcall: bool) -> Option<usize> {
    if !stdcall {
        return lib.address(name, None);
    }
    let hidden = if spec.flags & SPEC_HIDDEN_RET != 0 {
        4
    } else {
        0
    };
    let args = spec.frame_len.saturating_sub(hidden);
    lib.address(name, Some(args))
        .or_else(|| (hidden != 0).then(|| lib.address(name, Some(spec.frame_len)))?)
}

/// The server's address of a relocation's target, after checking it lies in its segment.
fn resolve(r: &Reloc, cache: &mut SegmentCache) -> Result<usize, String> {
    if !matches!(r.location, location::CLIENT_BULK | location::SHARED) {
        return Err(format!("relocation to location {}", r.location));
    }
    let (base, len) = cache
        .map(r.location, r.segment)
        .map_err(|e| format!("segment {} of location {}: {e}", r.segment, r.location))?;
    let end = r.offset.checked_add(r.len);
    if end.is_none_or(|e| e > len as u64) {
        return Err(format!(
            "{} bytes at {} in a segment of {len}",
            r.len, r.offset
        ));
    }
    Ok(base as usize + r.offset as usize)
}

/// The length of the C string at `p`, if its NUL comes within `max` bytes.
///
/// # Safety
/// `p` must point to a NUL-terminated string, or to at least `max` readable bytes.
unsafe fn bounded_strlen(p: *const u8, max: usize) -> Option<usize> {
    // SAFETY: each byte read lies before the NUL or within `max` (the caller's promise).
    (0..=max)
        .find(|&i| unsafe { *p.add(i) } == 0)
        .filter(|&n| n <= max)
}

/// Refuses a spec that this server's trampoline cannot honour.
fn check_spec(name: &str, s: &FunctionSpec) -> Result<(), ServerError> {
    let x86 = cfg!(target_arch = "x86");
    let picks_ok = s.picks.iter().all(|p| match *p {
        pick::NONE => true,
        pick::EAX_EDX | pick::ST0 => x86,
        pick::RAX | pick::RDX | pick::XMM0 | pick::XMM1 => !x86,
        _ => false,
    });
    let frame_ok = s.frame_len <= MAX_FRAME
        && s.frame_len.checked_sub(REGISTER_BYTES).is_some()
        && s.frame_len.is_multiple_of(size_of::<usize>() as u32);
    let x87_ok = matches!(s.x87, 0 | 4 | 8) && (x86 || s.x87 == 0);
    if picks_ok && frame_ok && x87_ok {
        Ok(())
    } else {
        Err(ServerError::type_error(format!(
            "`{name}` was laid out for another kind of server ({s:?}); this one is {}-bit",
            usize::BITS
        )))
    }
}
