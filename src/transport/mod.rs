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
