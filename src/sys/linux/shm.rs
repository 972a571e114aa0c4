//! Linux shared memory: POSIX objects in `/dev/shm`, mapped with `mmap`.

use std::io;
use std::os::fd::OwnedFd;

use rustix::fs::Mode;
use rustix::mm::{MapFlags, ProtFlags};

use crate::sys::Mapping;

/// Where POSIX shared-memory objects appear as files.
const SHM_DIR: &str = "/dev/shm";

/// Nothing keeps a mapped object alive on Linux: the mapping itself does (the
/// descriptor is closed once the object is mapped).
pub(crate) type MappingHandle = ();

/// Creates the object `name` (`/…`) of `len` bytes, readable and writable by this user
/// only, failing if the name exists. Its memory is reserved now (`posix_fallocate`): a
/// full `/dev/shm` is an error here, never a `SIGBUS` later.
pub(crate) fn create_mapping(name: &str, len: usize) -> io::Result<Mapping> {
    let fd = rustix::shm::open(
        name,
        rustix::shm::OFlags::CREATE | rustix::shm::OFlags::EXCL | rustix::shm::OFlags::RDWR,
        Mode::RUSR | Mode::WUSR,
    )?;
    // A signal can interrupt a large reservation: retry.
    let reserved = loop {
        match rustix::fs::fallocate(&fd, rustix::fs::FallocateFlags::empty(), 0, len as u64) {
            Err(rustix::io::Errno::INTR) => continue,
            other => break other,
        }
    };
    if let Err(e) = reserved {
        let _ = rustix::shm::unlink(name);
        return Err(io::Error::new(
            io::Error::from(e).kind(),
            format!(
                "cannot reserve {len} bytes in {SHM_DIR} ({}): {e}",
                room_left()
            ),
        ));
    }
    match map(&fd, len) {
        // SAFETY: a fresh view of `len` bytes, owned by nothing else.
        Ok(ptr) => Ok(unsafe { Mapping::from_raw(ptr, len, None, ()) }),
        Err(e) => {
            let _ = rustix::shm::unlink(name);
            Err(e)
        }
    }
}

/// Opens and maps the whole of an existing object, noting who else may open it.
pub(crate) fn open_mapping(name: &str) -> io::Result<Mapping> {
    let fd = rustix::shm::open(name, rustix::shm::OFlags::RDWR, Mode::empty())?;
    let st = rustix::fs::fstat(&fd)?;
    let len = usize::try_from(st.st_size)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "segment size"))?;
    if len == 0 {
        return Err(io::Error::new(io::ErrorKind::InvalidData, "empty segment"));
    }
    let mode = st.st_mode & 0o7777;
    let me = rustix::process::geteuid().as_raw();
    let foreign = (st.st_uid != me || mode & 0o077 != 0)
        .then(|| format!("owner {} and mode {mode:o}", st.st_uid));
    let ptr = map(&fd, len)?;
    // SAFETY: a fresh view of `len` bytes, owned by nothing else.
    Ok(unsafe { Mapping::from_raw(ptr, len, foreign, ()) })
}

fn map(fd: &OwnedFd, len: usize) -> io::Result<*mut u8> {
    // SAFETY: a fresh shared mapping of `len` bytes of `fd`, at an address the kernel
    // picks; nothing else in this process refers to it yet.
    let ptr = unsafe {
        rustix::mm::mmap(
            std::ptr::null_mut(),
            len,
            ProtFlags::READ | ProtFlags::WRITE,
            MapFlags::SHARED,
            fd,
            0,
        )
    }?;
    Ok(ptr.cast())
}

/// Unmaps a view made by `create_mapping` or `open_mapping`.
///
/// # Safety
/// `ptr`/`len` must be exactly such a view, not used after this call.
pub(crate) unsafe fn unmap(ptr: *mut u8, len: usize) {
    // SAFETY: the caller's view, unmapped once.
    let _ = unsafe { rustix::mm::munmap(ptr.cast(), len) };
}

/// The room left in `/dev/shm`, in words.
fn room_left() -> String {
    match rustix::fs::statvfs(SHM_DIR) {
        Ok(st) => format!("{} bytes free", st.f_bavail.saturating_mul(st.f_frsize)),
        Err(e) => format!("free space unknown: {e}"),
    }
}

/// Removes the name of a shared-memory object; a missing one is not an error.
pub(crate) fn unlink(name: &str) {
    let _ = rustix::shm::unlink(name);
}

/// Names (with leading `/`) of shared-memory objects starting with `prefix` that belong to
/// this user: the ones a crashed process can leave behind.
pub(crate) fn leftover_names(prefix: &str) -> Vec<String> {
    let me = rustix::process::geteuid().as_raw();
    let bare = prefix.trim_start_matches('/');
    let Ok(dir) = std::fs::read_dir(SHM_DIR) else {
        return Vec::new();
    };
    dir.filter_map(|e| e.ok())
        .filter(|e| {
            use std::os::unix::fs::MetadataExt;
            e.metadata().is_ok_and(|m| m.uid() == me)
        })
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| n.starts_with(bare))
        .map(|n| format!("/{n}"))
        .collect()
}
