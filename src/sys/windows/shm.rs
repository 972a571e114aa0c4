//! Windows shared memory: named file mappings backed by the paging file, under
//! `Local\`, usable by this user only.

use std::io;

use windows_sys::Win32::Foundation::{ERROR_ALREADY_EXISTS, INVALID_HANDLE_VALUE};
use windows_sys::Win32::Storage::FileSystem::READ_CONTROL;
use windows_sys::Win32::System::Memory::{
    CreateFileMappingW, MapViewOfFile, OpenFileMappingW, UnmapViewOfFile, VirtualQuery,
    FILE_MAP_ALL_ACCESS, MEMORY_BASIC_INFORMATION, MEMORY_MAPPED_VIEW_ADDRESS, PAGE_READWRITE,
    SEC_COMMIT,
};

use super::security::{foreign_access, PrivateDescriptor};
use super::{object_name, zeroed, Handle};
use crate::sys::Mapping;

/// The section handle: a mapping lives while a handle to it is open.
pub(crate) type MappingHandle = Handle;

/// Creates the mapping `name` of `len` bytes, usable by this user only, failing if
/// the name exists. `SEC_COMMIT` charges its pages to the commit limit now: no room
/// is an error here, not a fault later.
pub(crate) fn create_mapping(name: &str, len: usize) -> io::Result<Mapping> {
    let sd = PrivateDescriptor::new(false)?;
    let sa = sd.attributes();
    let wname = object_name(name);
    let size = len as u64;
    // SAFETY: a pagefile-backed section (INVALID_HANDLE_VALUE) with a valid name and
    // security attributes that outlive the call.
    let h = unsafe {
        CreateFileMappingW(
            INVALID_HANDLE_VALUE,
            &sa,
            PAGE_READWRITE | SEC_COMMIT,
            (size >> 32) as u32,
            size as u32,
            wname.as_ptr(),
        )
    };
    // Read before any other call can change it.
    let err = io::Error::last_os_error();
    if h.is_null() {
        return Err(io::Error::new(
            err.kind(),
            format!("cannot create a {len}-byte shared mapping: {err}"),
        ));
    }
    let handle = Handle(h);
    // On success the last error says whether the name already existed.
    if err.raw_os_error() == Some(ERROR_ALREADY_EXISTS as i32) {
        return Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!("shared mapping {name} already exists; refusing it"),
        ));
    }
    let ptr = map_view(&handle)?;
    // SAFETY: a fresh view of `len` bytes, owned by nothing else.
    Ok(unsafe { Mapping::from_raw(ptr, len, None, handle) })
}

/// Opens and maps the whole of an existing mapping, noting who else may open it.
pub(crate) fn open_mapping(name: &str) -> io::Result<Mapping> {
    let wname = object_name(name);
    // SAFETY: a valid NUL-terminated name.
    let h = unsafe { OpenFileMappingW(FILE_MAP_ALL_ACCESS | READ_CONTROL, 0, wname.as_ptr()) };
    if h.is_null() {
        return Err(io::Error::last_os_error());
    }
    let handle = Handle(h);
    let foreign = foreign_access(handle.0)?;
    let ptr = map_view(&handle)?;
    let len = match view_size(ptr) {
        Ok(len) => len,
        Err(e) => {
            // SAFETY: the view just made, not used after this.
            unsafe { unmap(ptr, 0) };
            return Err(e);
        }
    };
    // SAFETY: a fresh view of `len` bytes, owned by nothing else.
    Ok(unsafe { Mapping::from_raw(ptr, len, foreign, handle) })
}

/// Bytes of the view starting at `ptr` (whole pages): the regions that share its
/// allocation base.
fn view_size(ptr: *mut u8) -> io::Result<usize> {
    let mut len = 0usize;
    loop {
        let mut info: MEMORY_BASIC_INFORMATION = zeroed();
        // SAFETY: any address may be queried; `info` is writable for its size.
        let got = unsafe {
            VirtualQuery(
                ptr.wrapping_add(len).cast(),
                &mut info,
                size_of::<MEMORY_BASIC_INFORMATION>(),
            )
        };
        if got == 0 {
            if len > 0 {
                return Ok(len);
            }
            return Err(io::Error::last_os_error());
        }
        if info.AllocationBase != ptr.cast() || info.RegionSize == 0 {
            return Ok(len);
        }
        len += info.RegionSize;
    }
}

fn map_view(handle: &Handle) -> io::Result<*mut u8> {
    // SAFETY: a whole-object view of an open section handle.
    let view = unsafe { MapViewOfFile(handle.0, FILE_MAP_ALL_ACCESS, 0, 0, 0) };
    if view.Value.is_null() {
        return Err(io::Error::last_os_error());
    }
    Ok(view.Value.cast())
}

/// Unmaps a view made by `create_mapping` or `open_mapping` (the whole view: `len` is
/// not needed on Windows).
///
/// # Safety
/// `ptr` must be such a view, not used after this call.
pub(crate) unsafe fn unmap(ptr: *mut u8, _len: usize) {
    // SAFETY: the caller's view, returned by MapViewOfFile and unmapped once.
    unsafe { UnmapViewOfFile(MEMORY_MAPPED_VIEW_ADDRESS { Value: ptr.cast() }) };
}

/// Nothing to do: a mapping ends with its last handle.
pub(crate) fn unlink(_name: &str) {}

/// None: named objects cannot outlive their processes on Windows.
pub(crate) fn leftover_names(_prefix: &str) -> Vec<String> {
    Vec::new()
}
