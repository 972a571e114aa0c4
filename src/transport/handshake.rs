//! The interface in the start-up handshake: which interface a wrapper implements (its
//! name and signature hash), published by the server in the segment header before it
//! reports READY, and read back by the client.

use crate::transport::layout::{SegmentHeader, INTERFACE_NAME_CAPACITY, INTERFACE_NAME_WORDS};
use std::sync::atomic::Ordering;

/// Which interface a typed client speaks and a wrapper implements: its name and a hash of
/// its signatures.
///
/// [`interface!`](crate::interface) makes one per interface. The server publishes its
/// wrapper's at start-up, and the typed client checks it against its own before the first
/// call.
///
/// ```
/// use loadlib::InterfaceId;
/// const ID: InterfaceId = InterfaceId::new("Vendor", "loadlib-interface/1:add(i32,i32)->i32;");
/// assert_eq!(ID.name, "Vendor");
/// assert_eq!(ID.describe(), format!("Vendor#{:016x}", ID.hash));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InterfaceId {
    /// The trait's name.
    pub name: &'static str,
    /// FNV-1a hash of the canonical form of the trait's method signatures.
    pub hash: u64,
}

impl InterfaceId {
    /// Longest name the handshake carries, in bytes.
    pub const MAX_NAME_LEN: usize = INTERFACE_NAME_CAPACITY;

    /// The id of interface `name` whose signatures' canonical form is `signatures`.
    ///
    /// # Panics
    /// When `name` is longer than [`MAX_NAME_LEN`](Self::MAX_NAME_LEN) bytes: at compile
    /// time where it is a constant, as `interface!` makes it.
    pub const fn new(name: &'static str, signatures: &str) -> InterfaceId {
        assert!(
            name.len() <= Self::MAX_NAME_LEN,
            "an interface's name is at most 144 bytes"
        );
        let bytes = signatures.as_bytes();
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        let mut i = 0;
        while i < bytes.len() {
            hash ^= bytes[i] as u64;
            hash = hash.wrapping_mul(0x0100_0000_01b3);
            i += 1;
        }
        InterfaceId { name, hash }
    }

    /// How the handshake describes it: `Name#0123456789abcdef`.
    pub fn describe(&self) -> String {
        describe(self.name, self.hash)
    }
}

fn describe(name: &str, hash: u64) -> String {
    format!("{name}#{hash:016x}")
}

/// Writes the wrapper's interface (or none) into the server's handshake fields. Called
/// before the Release store of READY, which publishes it.
pub(crate) fn publish(header: &SegmentHeader, interface: Option<&InterfaceId>) {
    let r = Ordering::Relaxed; // published by the Release store of READY
    let Some(id) = interface else {
        header.server_interface_hash.store(0, r);
        header.server_interface_len.store(0, r);
        return;
    };
    // A name too long for the handshake is cut (an `InterfaceId` built by hand: `new`
    // refuses one); the client then sees another name and reports a mismatch.
    let name = &id.name.as_bytes()[..id.name.len().min(INTERFACE_NAME_CAPACITY)];
    for (i, word) in header.server_interface_name.iter().enumerate() {
        let mut bytes = [0u8; 8];
        let chunk = name.get(i * 8..).unwrap_or(&[]);
        let n = chunk.len().min(8);
        bytes[..n].copy_from_slice(&chunk[..n]);
        word.store(u64::from_le_bytes(bytes), r);
    }
    header.server_interface_hash.store(id.hash, r);
    header.server_interface_len.store(name.len() as u32, r);
}

/// The interface the server published: its description (`Name#hash`), or `None` when its
/// wrapper implements none. Read after the Acquire load of READY.
pub(crate) fn read(header: &SegmentHeader) -> Option<String> {
    let r = Ordering::Relaxed; // ordered by the Acquire load of READY
    let len = (header.server_interface_len.load(r) as usize).min(INTERFACE_NAME_CAPACITY);
    if len == 0 {
        return None;
    }
    let mut name = Vec::with_capacity(INTERFACE_NAME_WORDS * 8);
    for word in &header.server_interface_name {
        name.extend_from_slice(&word.load(r).to_le_bytes());
    }
    name.truncate(len);
    let hash = header.server_interface_hash.load(r);
    Some(describe(&String::from_utf8_lossy(&name), hash))
}

#[cfg(all(test, not(loadlib_loom)))]
mod tests {
    use super::*;

    fn zeroed_header() -> Box<SegmentHeader> {
        // SAFETY: a SegmentHeader is atomics and bytes, for which all zeros is valid.
        unsafe { Box::new(std::mem::zeroed()) }
    }

    #[test]
    fn a_published_interface_reads_back_as_it_was() {
        let h = zeroed_header();
        assert_eq!(read(&h), None);
        let id = InterfaceId::new("Vendor", "loadlib-interface/1:add(i32,i32)->i32;");
        publish(&h, Some(&id));
        assert_eq!(read(&h), Some(id.describe()));
        publish(&h, None);
        assert_eq!(read(&h), None);
    }

    #[test]
    fn names_up_to_the_capacity_travel_whole_and_longer_ones_are_cut() {
        let h = zeroed_header();
        let full: &'static str = "N".repeat(INTERFACE_NAME_CAPACITY).leak();
        let id = InterfaceId::new(full, "");
        publish(&h, Some(&id));
        assert_eq!(read(&h), Some(id.describe()));
        let long = InterfaceId {
            name: "L".repeat(INTERFACE_NAME_CAPACITY + 5).leak(),
            hash: 7,
        };
        publish(&h, Some(&long));
        let seen = read(&h).unwrap();
        assert_eq!(seen, describe(&"L".repeat(INTERFACE_NAME_CAPACITY), 7));
        assert_ne!(seen, long.describe());
    }
}
