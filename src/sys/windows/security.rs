//! Windows access control: this user's SID, owner-only security descriptors, and the
//! check that an object another process made is this user's alone.

use std::ffi::{c_void, OsStr};
use std::io;
use std::sync::OnceLock;

use windows_sys::Win32::Foundation::{LocalFree, HANDLE};
use windows_sys::Win32::Security::Authorization::{
    ConvertSidToStringSidW, ConvertStringSecurityDescriptorToSecurityDescriptorW, GetSecurityInfo,
    SDDL_REVISION_1, SE_KERNEL_OBJECT,
};
use windows_sys::Win32::Security::{
    EqualSid, GetAce, GetTokenInformation, TokenUser, ACCESS_ALLOWED_ACE, ACE_HEADER, ACL,
    DACL_SECURITY_INFORMATION, OWNER_SECURITY_INFORMATION, PSECURITY_DESCRIPTOR, PSID,
    SECURITY_ATTRIBUTES, TOKEN_QUERY, TOKEN_USER,
};
use windows_sys::Win32::System::SystemServices::{
    ACCESS_ALLOWED_ACE_TYPE, ACCESS_ALLOWED_CALLBACK_ACE_TYPE, ACCESS_DENIED_ACE_TYPE,
    ACCESS_DENIED_CALLBACK_ACE_TYPE, ACCESS_DENIED_CALLBACK_OBJECT_ACE_TYPE,
    ACCESS_DENIED_OBJECT_ACE_TYPE,
};
use windows_sys::Win32::System::Threading::{GetCurrentProcess, OpenProcessToken};

use super::{wide, Handle};

/// This user's SID in string form (`S-1-5-21-…`), read once from the process token.
pub(super) fn user_sid() -> io::Result<&'static str> {
    static SID: OnceLock<Result<String, String>> = OnceLock::new();
    SID.get_or_init(|| read_user_sid().map_err(|e| e.to_string()))
        .as_deref()
        .map_err(|e| io::Error::other(format!("cannot read this user's SID: {e}")))
}

fn read_user_sid() -> io::Result<String> {
    let mut token: HANDLE = std::ptr::null_mut();
    // SAFETY: the pseudo-handle of this process; `token` receives a new handle.
    if unsafe { OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &mut token) } == 0 {
        return Err(io::Error::last_os_error());
    }
    let token = Handle(token);
    let mut buf = vec![0u64; 64]; // 512 bytes, 8-aligned: a TOKEN_USER and its SID
    let mut len = 0u32;
    // SAFETY: `buf` is writable for the length given; `len` receives the length used.
    let ok = unsafe {
        GetTokenInformation(
            token.0,
            TokenUser,
            buf.as_mut_ptr().cast(),
            (buf.len() * 8) as u32,
            &mut len,
        )
    };
    if ok == 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: on success the buffer starts with a TOKEN_USER whose SID points into it.
    let sid = unsafe { (*buf.as_ptr().cast::<TOKEN_USER>()).User.Sid };
    let mut text: *mut u16 = std::ptr::null_mut();
    // SAFETY: `sid` is valid (above); `text` receives a LocalAlloc'd wide string.
    if unsafe { ConvertSidToStringSidW(sid, &mut text) } == 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `text` is NUL-terminated (ConvertSidToStringSidW's contract).
    let s = unsafe {
        let n = (0..).take_while(|&i| *text.add(i) != 0).count();
        String::from_utf16_lossy(std::slice::from_raw_parts(text, n))
    };
    // SAFETY: allocated by ConvertSidToStringSidW with LocalAlloc; freed once.
    unsafe { LocalFree(text.cast()) };
    Ok(s)
}

/// A security descriptor that gives this user (its owner) all access and no one else
/// any. `inherit` makes the entry inherited by a directory's children.
pub(super) struct PrivateDescriptor(PSECURITY_DESCRIPTOR);

impl PrivateDescriptor {
    pub(super) fn new(inherit: bool) -> io::Result<PrivateDescriptor> {
        let sid = user_sid()?;
        let flags = if inherit { "OICI" } else { "" };
        Self::from_sddl(&format!("O:{sid}D:P(A;{flags};GA;;;{sid})"))
    }

    /// The descriptor `sddl` describes (for tests, one that is not private).
    pub(super) fn from_sddl(sddl: &str) -> io::Result<PrivateDescriptor> {
        let sddl = wide(OsStr::new(sddl));
        let mut sd: PSECURITY_DESCRIPTOR = std::ptr::null_mut();
        // SAFETY: `sddl` is NUL-terminated; `sd` receives a LocalAlloc'd descriptor.
        let ok = unsafe {
            ConvertStringSecurityDescriptorToSecurityDescriptorW(
                sddl.as_ptr(),
                SDDL_REVISION_1,
                &mut sd,
                std::ptr::null_mut(),
            )
        };
        if ok == 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(PrivateDescriptor(sd))
    }

    pub(super) fn attributes(&self) -> SECURITY_ATTRIBUTES {
        SECURITY_ATTRIBUTES {
            nLength: size_of::<SECURITY_ATTRIBUTES>() as u32,
            lpSecurityDescriptor: self.0,
            bInheritHandle: 0,
        }
    }
}

impl Drop for PrivateDescriptor {
    fn drop(&mut self) {
        // SAFETY: allocated by ConvertStringSecurityDescriptorToSecurityDescriptorW.
        unsafe { LocalFree(self.0) };
    }
}

/// Who besides this user can use the object behind `handle`, if anyone: its owner must
/// be this user and its DACL must allow only this user.
pub(super) fn foreign_access(handle: HANDLE) -> io::Result<Option<String>> {
    access_problem(&[], |owner, dacl, sd| {
        // SAFETY: `handle` is open with READ_CONTROL; the out-pointers point into `sd`,
        // which `access_problem` frees.
        unsafe {
            GetSecurityInfo(
                handle,
                SE_KERNEL_OBJECT,
                OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION,
                owner,
                std::ptr::null_mut(),
                dacl,
                std::ptr::null_mut(),
                sd,
            )
        }
    })
}

/// Who besides this user (and the accounts `trusted`, by SID string) can use an object,
/// if anyone, from its owner and DACL, which `query` reads (a `GetSecurityInfo`-like call
/// that returns an error code and fills in the owner, the DACL and the descriptor
/// holding them, freed here with `LocalFree`).
pub(super) fn access_problem(
    trusted: &[&str],
    query: impl FnOnce(&mut PSID, &mut *mut ACL, &mut PSECURITY_DESCRIPTOR) -> u32,
) -> io::Result<Option<String>> {
    let me = my_sid_binary()?;
    let mut owner: PSID = std::ptr::null_mut();
    let mut dacl: *mut ACL = std::ptr::null_mut();
    let mut sd: PSECURITY_DESCRIPTOR = std::ptr::null_mut();
    let err = query(&mut owner, &mut dacl, &mut sd);
    if err != 0 {
        return Err(io::Error::from_raw_os_error(err as i32));
    }
    let mut problem = None;
    if owner.is_null() {
        problem = Some("another owner (none)".to_owned());
    // SAFETY: `owner` and `me` are valid SIDs.
    } else if unsafe { EqualSid(owner, me.as_ptr() as PSID) } == 0
        && !trusted.contains(&sid_string(owner).as_str())
    {
        problem = Some(format!("another owner, {}", sid_string(owner)));
    } else if dacl.is_null() {
        problem = Some("no access list (anyone may open it)".to_owned());
    } else {
        // SAFETY: a valid ACL from GetSecurityInfo.
        let count = unsafe { (*dacl).AceCount };
        for i in 0..count {
            let mut ace: *mut c_void = std::ptr::null_mut();
            // SAFETY: `i` is below the ACL's count; `ace` receives a pointer into it.
            if unsafe { GetAce(dacl, i as u32, &mut ace) } == 0 {
                problem = Some("an unreadable access list".to_owned());
                break;
            }
            // SAFETY: every ACE starts with an ACE_HEADER.
            let header = unsafe { &*ace.cast::<ACE_HEADER>() };
            match u32::from(header.AceType) {
                // Allow entries whose SID sits at `SidStart`: checked below.
                ACCESS_ALLOWED_ACE_TYPE | ACCESS_ALLOWED_CALLBACK_ACE_TYPE => {}
                // Deny entries grant nothing.
                ACCESS_DENIED_ACE_TYPE
                | ACCESS_DENIED_OBJECT_ACE_TYPE
                | ACCESS_DENIED_CALLBACK_ACE_TYPE
                | ACCESS_DENIED_CALLBACK_OBJECT_ACE_TYPE => continue,
                // Anything else (object or compound entries…) might grant access to
                // someone: fail closed.
                other => {
                    problem = Some(format!("an access entry of unsupported type {other}"));
                    break;
                }
            }
            // SAFETY: an ACCESS_ALLOWED_ACE; its SID starts at `SidStart`.
            let sid = unsafe { &raw const (*ace.cast::<ACCESS_ALLOWED_ACE>()).SidStart };
            // SAFETY: both are valid SIDs.
            if unsafe { EqualSid(sid as PSID, me.as_ptr() as PSID) } == 0
                && !trusted.contains(&sid_string(sid as PSID).as_str())
            {
                problem = Some(format!(
                    "access granted to another account, {}",
                    sid_string(sid as PSID)
                ));
                break;
            }
        }
    }
    // SAFETY: allocated by GetSecurityInfo; `owner` and `dacl` are not used after this.
    unsafe { LocalFree(sd) };
    Ok(problem)
}

/// `sid` in string form (`S-1-5-…`), or `?` if it cannot be converted.
fn sid_string(sid: PSID) -> String {
    let mut text: *mut u16 = std::ptr::null_mut();
    // SAFETY: `sid` is a valid SID (the caller's); `text` receives a LocalAlloc'd string.
    if unsafe { ConvertSidToStringSidW(sid, &mut text) } == 0 {
        return "?".to_owned();
    }
    // SAFETY: `text` is NUL-terminated (ConvertSidToStringSidW's contract), and freed once.
    unsafe {
        let n = (0..).take_while(|&i| *text.add(i) != 0).count();
        let s = String::from_utf16_lossy(std::slice::from_raw_parts(text, n));
        LocalFree(text.cast());
        s
    }
}

/// This user's SID in binary form (8-aligned buffer).
fn my_sid_binary() -> io::Result<Vec<u64>> {
    let text = wide(OsStr::new(user_sid()?));
    let mut sid: PSID = std::ptr::null_mut();
    // SAFETY: NUL-terminated string in; `sid` receives a LocalAlloc'd SID.
    if unsafe {
        windows_sys::Win32::Security::Authorization::ConvertStringSidToSidW(text.as_ptr(), &mut sid)
    } == 0
    {
        return Err(io::Error::last_os_error());
    }
    // A SID is at most 68 bytes.
    let mut out = vec![0u64; 9];
    // SAFETY: `sid` is a valid SID of at most 68 bytes; `out` holds 72.
    unsafe {
        let len = windows_sys::Win32::Security::GetLengthSid(sid) as usize;
        std::ptr::copy_nonoverlapping(sid.cast::<u8>(), out.as_mut_ptr().cast::<u8>(), len.min(72));
        LocalFree(sid);
    }
    Ok(out)
}
