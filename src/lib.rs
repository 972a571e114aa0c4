//! loadlib: call a 32-bit shared library from a 64-bit program through shared memory.
pub mod bulk;
pub mod channel;
pub mod codec;
pub mod dtype;
pub mod error;
pub mod layout;
pub mod ring;
pub mod server;
pub mod shm;
pub mod sys;
pub mod value;
pub mod value_ref;
pub mod wake;
pub mod wire;

pub use dtype::{DType, Element};
pub use error::{Error, Result};
pub use value::{Array, ArrayData, Value};
pub use value_ref::{ArrayMut, ArrayRef, IntoArgs, Shape, SharedRef, ValueRef};
pub mod client;
pub use channel::Transport;
pub use client::{Batch, Builder, Client64, FromValue, ServerExe, ServerOutput, SharedArray};
