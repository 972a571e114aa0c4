//! The platform seam: the one place that picks an OS module. The portable code calls
//! these functions and has no `cfg` of its own.

#[cfg(target_os = "linux")]
mod linux;
#[cfg(target_os = "linux")]
pub use linux::*;

#[cfg(not(target_os = "linux"))]
compile_error!("loadlib supports Linux hosts only for now (shared futexes and /dev/shm)");
