//! Shared-memory segments: create (this user only, unique name, memory reserved), open
//! (refusing what another user could touch), and the sweep of names left behind by
//! crashed clients.

use crate::error::{Error, Result};
use crate::sys;

/// Every segment name starts with this, then the creating client's pid.
pub const NAME_PREFIX: &str = "/loadlib-";

/// A mapped segment. Unmapped on drop; its name is removed on drop if this side created
/// it.
pub struct Segment {
    map: sys::Mapping,
    name: String,
    owner: bool,
}

// SAFETY: the mapping is process-wide and valid from any thread until it is dropped;
// `Segment` holds only its address, length and name.
unsafe impl Send for Segment {}
// SAFETY: `&Segment` only exposes the pointer, length and name; callers synchronise
// access to the bytes through the ring protocol.
unsafe impl Sync for Segment {}

impl Segment {
    /// Creates a new segment of `size` bytes that only this user can open, failing if
    /// the name exists or the memory cannot be reserved.
    pub fn create(name: &str, size: usize) -> Result<Segment> {
        let map = sys::Mapping::create(name, size)
            .map_err(|e| Error::SharedMemory(format!("create {name} ({size} bytes): {e}")))?;
        Ok(Segment {
            map,
            name: name.to_owned(),
            owner: true,
        })
    }

    /// Opens and maps an existing segment (its whole length), refusing one that anyone
    /// but this user could open: another user may have planted it.
    pub fn open(name: &str) -> Result<Segment> {
        let map = sys::Mapping::open(name)
            .map_err(|e| Error::SharedMemory(format!("open {name}: {e}")))?;
        if let Some(why) = map.foreign_access() {
            return Err(Error::SharedMemory(format!(
                "segment {name} has {why}; refusing it"
            )));
        }
        Ok(Segment {
            map,
            name: name.to_owned(),
            owner: false,
        })
    }

    /// The segment's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Start of the mapping (page-aligned).
    pub fn as_ptr(&self) -> *mut u8 {
        self.map.as_ptr()
    }

    /// Bytes mapped.
    pub fn len(&self) -> usize {
        self.map.size()
    }

    /// Whether the mapping is empty (never, for segments made here).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Drop for Segment {
    fn drop(&mut self) {
        if self.owner {
            sys::unlink(&self.name);
        }
    }
}

/// A fresh, unguessable base name for a client's segments: `/loadlib-<pid>-<random>`.
pub fn new_base_name() -> Result<String> {
    let random = |e: getrandom::Error| Error::SharedMemory(format!("no random name: {e}"));
    Ok(format!(
        "{NAME_PREFIX}{}-{:016x}{:08x}",
        std::process::id(),
        getrandom::u64().map_err(random)?,
        getrandom::u32().map_err(random)?
    ))
}

/// Removes every segment whose name starts with `base` (the client's own names).
pub fn unlink_all(base: &str) {
    for name in sys::leftover_names(base) {
        sys::unlink(&name);
    }
}

/// Removes this user's segments left by loadlib clients that no longer exist. A name is
/// removed only when the pid it carries is provably dead.
pub fn sweep_stale() -> usize {
    let mut removed = 0;
    for name in sys::leftover_names(NAME_PREFIX) {
        let rest = &name[NAME_PREFIX.len()..];
        let Some(pid) = rest.split('-').next().and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        if !sys::process_alive(pid) {
            sys::unlink(&name);
            removed += 1;
        }
    }
    removed
}
