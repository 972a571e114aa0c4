//! Tests that cannot apply on Windows, each with the reason in its skip message
//! (`cargo test` lists them as ignored with the reason). Their files are compiled only
//! where they apply.

#[test]
#[cfg(windows)]
#[ignore = "security.rs plants segments as another Unix user (chown, file modes, `nobody`); \
              Windows names have no owner or mode in a file system: mappings and events carry \
              an owner-only DACL, which the server checks when it opens them"]
fn security_unix_owners_and_modes() {}

#[test]
#[cfg(windows)]
#[ignore = "stale-segment sweep (faults_client.rs): Windows removes a named mapping with \
              its last handle, so a crashed run leaves nothing to sweep"]
fn faults_client_stale_segment_sweep() {}

#[test]
#[cfg(windows)]
#[ignore = "dotnet.rs hosts Mono; a .NET assembly on Windows needs the .NET Framework, which \
              Wine does not provide on these machines"]
fn dotnet_through_mono() {}

#[test]
#[cfg(windows)]
#[ignore = "soak.rs samples memory from /proc; run by hand on Linux"]
fn soak_memory_from_proc() {}

#[test]
#[cfg(windows)]
#[ignore = "shm_full.rs mounts a small tmpfs on /dev/shm in a Linux mount namespace; on \
            Windows a mapping is created with SEC_COMMIT, which charges its pages to the \
            commit limit at creation, so no room is an error from CreateFileMappingW"]
fn shm_full_dev_shm() {}

#[test]
#[cfg(windows)]
#[ignore = "compile_fail.rs runs cargo through trybuild, which a Windows test under Wine has \
            not; what it checks (borrows and `unsafe`) is the same on every platform"]
fn compile_fail_trybuild() {}

#[test]
#[cfg(windows)]
#[ignore = "address_space.rs limits the server with prlimit --as (Linux); Windows has no \
            per-process address-space limit to set from outside"]
fn address_space_limit() {}

#[test]
#[cfg(windows)]
#[ignore = "fd_limit.rs sets RLIMIT_NOFILE with prlimit; Windows has no such limit on handles"]
fn file_descriptor_limit() {}

#[test]
#[cfg(windows)]
#[ignore = "model_check.rs checks the memory orderings of the ring and the handshake, which \
            are the same code on every platform; it runs once, on Linux, not again under Wine"]
fn model_check_loom() {}

#[test]
#[cfg(windows)]
#[ignore = "outside_crate.rs builds and runs a crate outside this repository with cargo, \
            which a Windows test under Wine has not; loadlib::build and the lookup next to \
            the program are the same code for Windows targets, and the Wine run uses both \
            for the bundled servers; the embedded server's copy is written and started \
            under Wine by the unit tests in src/client/embedded.rs"]
fn outside_crate_with_cargo() {}
