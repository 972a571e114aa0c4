//! Shared-memory segments: create (owner-only, unique name), open, unlink, and the
//! sweep of segments left behind by crashed clients.

use shared_memory::{Shmem, ShmemConf};

use crate::error::{Error, Result};
use crate::sys;

/// Every segment name starts with this, then the creating client's pid.
pub const NAME_PREFIX: &str = "/loadlib-";

/// A mapped segment. Unmapped on drop; unlinked on drop only if this side created it
/// and still owns the name.
pub struct Segment {
    shmem: Shmem,
    name: String,
}

// SAFETY: `Shmem` is !Send only because it holds a raw pointer to the mapping; the
// mapping is process-wide and valid from any thread until it is dropped.
unsafe impl Send for Segment {}
// SAFETY: `&Segment` only exposes the pointer, length and name; callers synchronise
// access to the bytes through the ring protocol.
unsafe impl Sync for Segment {}

impl Segment {
    /// Creates a new segment of `size` bytes, mode 0600, failing if the name exists.
    pub fn create(name: &str, size: usize) -> Result<Segment> {
        let shmem = ShmemConf::new()
            .os_id(name)
            .size(size)
            .create()
            .map_err(|e| Error::SharedMemory(format!("create {name} ({size} bytes): {e}")))?;
        Ok(Segment {
            shmem,
            name: name.to_owned(),
        })
    }

    /// Opens and maps an existing segment (its whole length).
    pub fn open(name: &str) -> Result<Segment> {
        let shmem = ShmemConf::new()
            .os_id(name)
            .open()
            .map_err(|e| Error::SharedMemory(format!("open {name}: {e}")))?;
        Ok(Segment {
            shmem,
            name: name.to_owned(),
        })
    }

    /// The segment's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Start of the mapping (page-aligned).
    pub fn as_ptr(&self) -> *mut u8 {
        self.shmem.as_ptr()
    }

    /// Bytes mapped.
    pub fn len(&self) -> usize {
        self.shmem.len()
    }

    /// Whether the mapping is empty (never, for segments made here).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether dropping this handle unlinks the name.
    pub fn set_owner(&mut self, owner: bool) {
        self.shmem.set_owner(owner);
    }
}

/// A fresh, unguessable base name for a client's segments: `/loadlib-<pid>-<random>`.
pub fn new_base_name() -> String {
    format!(
        "{NAME_PREFIX}{}-{:016x}{:08x}",
        sys::current_pid(),
        sys::random_u64(),
        sys::random_u64() as u32
    )
}

/// Removes every segment whose name starts with `base` (the client's own names).
pub fn unlink_all(base: &str) {
    for name in sys::shm_names_with_prefix(base) {
        sys::shm_unlink(&name);
    }
}

/// Removes segments left by loadlib clients that no longer exist. A name is removed only
/// when the pid it carries is provably dead and the segment belongs to this user.
pub fn sweep_stale() -> usize {
    let me = sys::current_uid();
    let mut removed = 0;
    for name in sys::shm_names_with_prefix(NAME_PREFIX) {
        let rest = &name[NAME_PREFIX.len()..];
        let Some(pid) = rest.split('-').next().and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        let owned_by_me = sys::shm_owner_and_mode(&name).is_ok_and(|(uid, _)| uid == me);
        if owned_by_me && !sys::process_alive(pid) {
            sys::shm_unlink(&name);
            removed += 1;
        }
    }
    removed
}
