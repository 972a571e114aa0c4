//! The transport layer: how a request reaches the server and its reply comes back.
//!
//! From the bottom up:
//! * [`layout`]: the shared segment's fixed layout, the contract between the two widths;
//! * [`handshake`]: the interface a server's wrapper implements, published at start-up;
//! * [`primitive`]: the atomics and the bell, std's normally and loom's in the model check;
//! * [`ring`] and [`wake`]: the lock-free rings and the spin-then-sleep signal;
//! * [`shm`] and [`bulk`]: the shared segment and the bulk segments for large payloads;
//! * [`wire`] and [`codec`]: the record format and the encoding of argument blocks;
//! * [`channel`]: one side's end of a connection (shared memory or a file), built on the
//!   rest.

/// A payload (array, string, bytes) up to this long goes in its record; a longer one, in
/// the sender's bulk segment, whatever the ring's size. The bulk segment is written from
/// its start each time, so a payload sent call after call stays in the caches of both
/// sides, where the ring's free space moves on through memory the caches no longer hold
/// (through an 8 MiB ring, an 80 KB array missed the 1 MiB L2 on both sides every call).
pub(crate) const INLINE_MAX: usize = 64 << 10;

pub(crate) mod bulk;
pub(crate) mod channel;
pub(crate) mod codec;
pub(crate) mod handshake;
pub(crate) mod layout;
#[cfg(all(test, loadlib_loom))]
mod model_check;
pub(crate) mod primitive;
pub(crate) mod ring;
pub(crate) mod shm;
pub(crate) mod wake;
pub(crate) mod wire;
