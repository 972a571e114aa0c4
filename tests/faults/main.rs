//! What goes wrong, and what the client then sees: start-up failures, time-outs, crashes
//! and shutdown (`lifecycle`), a server killed or frozen (`server`), a client killed
//! (`client`), too little address space, file descriptors or `/dev/shm`, and other users
//! (`security`, `security_windows`). Each is a clear error within its time-out, never a
//! hang, and leaves nothing behind. Tests over several configurations run once per
//! configuration (`<module>::<test>::<configuration>`).

#[path = "../common/mod.rs"]
mod common;

mod address_space;
mod client;
mod fd_limit;
mod lifecycle;
mod security;
mod security_windows;
mod server;
mod shm_full;

common::not_on_windows! {
    security_unix_owners_and_modes: "security.rs plants segments as another Unix user \
        (chown, file modes, `nobody`); Windows names have no owner or mode in a file system: \
        mappings and events carry an owner-only DACL, which the server checks when it opens \
        them (security_windows.rs)";
    address_space_limit: "address_space.rs limits the server with prlimit --as (Linux); \
        Windows has no per-process address-space limit to set from outside";
    file_descriptor_limit: "fd_limit.rs sets RLIMIT_NOFILE with prlimit; Windows has no \
        such limit on handles";
    shm_full_dev_shm: "shm_full.rs mounts a small tmpfs on /dev/shm in a Linux mount \
        namespace; on Windows a mapping is created with SEC_COMMIT, which charges its pages \
        to the commit limit at creation, so no room is an error from CreateFileMappingW";
}
