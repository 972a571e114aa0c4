//! Windows: a server refuses a segment that another account could open. The client makes
//! its mappings and events with an owner-only DACL; a mapping planted under a loadlib
//! name with a DACL that lets everyone in is refused before anything in it is read.
#![cfg(windows)]

use std::process::Command;

use windows_sys::Win32::Foundation::{CloseHandle, LocalFree, INVALID_HANDLE_VALUE};
use windows_sys::Win32::Security::Authorization::{
    ConvertStringSecurityDescriptorToSecurityDescriptorW, SDDL_REVISION_1,
};
use windows_sys::Win32::Security::{PSECURITY_DESCRIPTOR, SECURITY_ATTRIBUTES};
use windows_sys::Win32::System::Memory::{CreateFileMappingW, PAGE_READWRITE};

fn wide(s: &str) -> Vec<u16> {
    s.encode_utf16().chain(Some(0)).collect()
}

/// Runs the bundled 32-bit server on a mapping made with the DACL in `sddl`; returns
/// its exit code and stderr.
fn serve_planted(sddl: &str) -> (Option<i32>, String) {
    let name = format!("/loadlib-{}-planted{}", std::process::id(), sddl.len());
    let mut sd: PSECURITY_DESCRIPTOR = std::ptr::null_mut();
    let text = wide(sddl);
    // SAFETY: NUL-terminated SDDL in; `sd` receives a LocalAlloc'd descriptor.
    let ok = unsafe {
        ConvertStringSecurityDescriptorToSecurityDescriptorW(
            text.as_ptr(),
            SDDL_REVISION_1,
            &mut sd,
            std::ptr::null_mut(),
        )
    };
    assert_ne!(ok, 0, "SDDL {sddl}");
    let sa = SECURITY_ATTRIBUTES {
        nLength: size_of::<SECURITY_ATTRIBUTES>() as u32,
        lpSecurityDescriptor: sd,
        bInheritHandle: 0,
    };
    let wname = wide(&format!("Local\\{}", name.trim_start_matches('/')));
    // SAFETY: a 64 KiB pagefile-backed mapping with valid attributes and name.
    let h = unsafe {
        CreateFileMappingW(
            INVALID_HANDLE_VALUE,
            &sa,
            PAGE_READWRITE,
            0,
            65536,
            wname.as_ptr(),
        )
    };
    assert!(!h.is_null(), "CreateFileMappingW");
    let out = Command::new(loadlib::ServerExe::Bundled32.path().unwrap())
        .args(["--segment", &name, "--module", "echo"])
        .output()
        .unwrap();
    // SAFETY: our handle and descriptor, released once.
    unsafe {
        CloseHandle(h);
        LocalFree(sd);
    }
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The server's refusal: the owner (not this account when the descriptor names none, as
/// a planted object's would not) or the access list that lets others in.
fn assert_refused(stderr: &str) {
    assert!(stderr.contains("refusing it"), "{stderr}");
    assert!(
        [
            "another owner",
            "no access list",
            "access granted to another account"
        ]
        .iter()
        .any(|why| stderr.contains(why)),
        "{stderr}"
    );
}

#[test]
fn a_mapping_everyone_can_open_is_refused() {
    // Everyone (WD) gets all access.
    let (code, stderr) = serve_planted("D:(A;;GA;;;WD)");
    assert_eq!(code, Some(2), "{stderr}");
    assert_refused(&stderr);
}

#[test]
fn a_mapping_with_no_access_list_is_refused() {
    // A NULL DACL: anyone may open it.
    let (code, stderr) = serve_planted("");
    assert_eq!(code, Some(2), "{stderr}");
    assert_refused(&stderr);
}
