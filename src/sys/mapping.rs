//! A named shared-memory object mapped into this process, written once for both OSes:
//! each OS module gives only `create_mapping`, `open_mapping` and `unmap` (and the
//! `MappingHandle` that keeps the object alive while it is mapped).

use std::io;

use super::{create_mapping, open_mapping, unmap, MappingHandle};

/// A shared-memory object mapped into this process; unmapped on drop.
pub(crate) struct Mapping {
    ptr: *mut u8,
    len: usize,
    /// Who else may open it, when that is anyone but this user (see `foreign_access`).
    foreign: Option<String>,
    /// What keeps the object alive while it is mapped (a section handle on Windows,
    /// nothing on Linux). Dropped after `drop` has unmapped the view.
    _handle: MappingHandle,
}

impl Mapping {
    /// Creates the object `name` (`/…`) of `len` bytes, usable by this user only, failing
    /// if the name exists. Its memory is reserved now: no room is an error here, never a
    /// fault later.
    pub(crate) fn create(name: &str, len: usize) -> io::Result<Mapping> {
        create_mapping(name, len)
    }

    /// Opens and maps the whole of an existing object.
    pub(crate) fn open(name: &str) -> io::Result<Mapping> {
        open_mapping(name)
    }

    /// The mapping of `len` bytes at `ptr`.
    ///
    /// # Safety
    /// `ptr` must be the start of a view of `len` bytes that `unmap` can unmap,
    /// owned by nothing else (it is unmapped when the result is dropped).
    pub(super) unsafe fn from_raw(
        ptr: *mut u8,
        len: usize,
        foreign: Option<String>,
        handle: MappingHandle,
    ) -> Mapping {
        Mapping {
            ptr,
            len,
            foreign,
            _handle: handle,
        }
    }

    /// Start of the mapping (page-aligned).
    pub(crate) fn as_ptr(&self) -> *mut u8 {
        self.ptr
    }

    /// Bytes mapped.
    pub(crate) fn size(&self) -> usize {
        self.len
    }

    /// `None` when only this user can open the object; otherwise who else can.
    pub(crate) fn foreign_access(&self) -> Option<&str> {
        self.foreign.as_deref()
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: `ptr`/`len` are the view `from_raw` was given, owned by this value and
        // unmapped only here; every view handed out borrows the owner of this mapping.
        unsafe { unmap(self.ptr, self.len) };
    }
}
