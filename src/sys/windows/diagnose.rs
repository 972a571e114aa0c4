//! What a failed `LoadLibrary` leaves unsaid. Error 126 ("module not found") on a DLL
//! that exists means a DLL it needs is missing: its import table says which. Error 1114
//! (the DLL's initialisation failed) usually means a run-time it needs is missing: a
//! LabVIEW-built DLL's LabVIEW Run-Time Engine, the .NET Framework, Visual C++'s. Error
//! 193 is a DLL of the other width.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use windows_sys::Win32::Foundation::FreeLibrary;
use windows_sys::Win32::System::LibraryLoader::{
    GetModuleHandleW, LoadLibraryExW, LOAD_LIBRARY_AS_DATAFILE,
};
use windows_sys::Win32::System::SystemInformation::{GetSystemDirectoryW, GetWindowsDirectoryW};

use super::wide;
use crate::sys::program;

const ERROR_MOD_NOT_FOUND: i32 = 126;
const ERROR_BAD_EXE_FORMAT: i32 = 193;
const ERROR_DLL_INIT_FAILED: i32 = 1114;

/// Dependencies are followed this deep (a DLL that needs one that needs one…).
const MAX_DEPTH: usize = 8;

/// The OS error code in a message that ends `(os error N)`, as Rust writes one.
pub(super) fn os_error_code(message: &str) -> Option<i32> {
    let start = message.rfind("(os error ")? + "(os error ".len();
    let end = start + message[start..].find(')')?;
    message[start..end].parse().ok()
}

/// Words to add to the loader's message when loading `name` (a path or a bare name)
/// failed with `code`, if there is more to say.
pub(super) fn explain(name: &str, code: i32) -> Option<String> {
    let file = find_file(name);
    match code {
        ERROR_MOD_NOT_FOUND => Some(match &file {
            Some(file) => match missing_dependency(file) {
                Some(chain) => format!(
                    "{} exists, but {}. Put the missing DLL next to it, or add its folder \
                     with Builder::library_path",
                    file.display(),
                    describe_chain(&chain)
                ),
                None => return None,
            },
            None if has_folder(name) => format!("there is no file {name}"),
            None => format!(
                "`{name}` is in none of the folders searched: the server's folder, the system \
                 folders, and PATH (which Builder::library_path extends)"
            ),
        }),
        ERROR_BAD_EXE_FORMAT => {
            let kind = program::program_kind(file.as_deref()?).ok()??;
            Some(format!(
                "it is {kind}; this {}-bit server loads {}-bit DLLs only",
                usize::BITS,
                usize::BITS
            ))
        }
        ERROR_DLL_INIT_FAILED => Some(init_failure_hint(file.as_deref())),
        _ => None,
    }
}

/// Whether `name` is a path rather than a bare name.
fn has_folder(name: &str) -> bool {
    name.contains(['\\', '/'])
}

/// The file the loader would have opened for `name`: the path itself, or a bare name
/// found where the loader looks.
fn find_file(name: &str) -> Option<PathBuf> {
    if has_folder(name) {
        let p = std::path::absolute(name).ok()?;
        return p.is_file().then_some(p);
    }
    let mut dirs = Vec::new();
    if let Some(d) = std::env::current_exe()
        .ok()
        .and_then(|e| e.parent().map(Path::to_path_buf))
    {
        dirs.push(d);
    }
    dirs.extend(system_dirs());
    dirs.extend(std::env::current_dir().ok());
    dirs.extend(path_dirs());
    dirs.into_iter().map(|d| d.join(name)).find(|p| p.is_file())
}

/// The system folders (`System32`, seen as `SysWOW64` by a 32-bit process) and the
/// Windows folder.
fn system_dirs() -> Vec<PathBuf> {
    let read = |f: unsafe extern "system" fn(*mut u16, u32) -> u32| {
        let mut buf = [0u16; 520];
        // SAFETY: `buf` is writable for its length, which is passed.
        let n = unsafe { f(buf.as_mut_ptr(), buf.len() as u32) } as usize;
        (n > 0 && n < buf.len()).then(|| PathBuf::from(String::from_utf16_lossy(&buf[..n])))
    };
    [read(GetSystemDirectoryW), read(GetWindowsDirectoryW)]
        .into_iter()
        .flatten()
        .collect()
}

/// The folders in `PATH` (the client puts the builder's library paths first).
fn path_dirs() -> Vec<PathBuf> {
    std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default()
}

/// Where a dependency was found.
enum Found {
    /// A file in the DLL's folder or in `PATH`: its own imports are followed.
    File(PathBuf),
    /// Loaded already, an API set, or found by the system's own search.
    System,
    Missing,
}

/// The chain of imports from `file` to the first DLL that cannot be found, if any:
/// `["b.dll", "c.dll"]` when `file` needs `b.dll`, which needs the missing `c.dll`.
fn missing_dependency(file: &Path) -> Option<Vec<String>> {
    // The loader searches the DLL's own folder (LOAD_WITH_ALTERED_SEARCH_PATH), then the
    // system folders and PATH. System folders are left to the system's own search, so
    // that their DLLs' imports are not followed.
    let system = system_dirs();
    let mut dirs: Vec<PathBuf> = file.parent().map(Path::to_path_buf).into_iter().collect();
    dirs.extend(
        path_dirs()
            .into_iter()
            .filter(|d| !system.iter().any(|s| same_dir(s, d))),
    );
    let mut seen = vec![file.to_path_buf()];
    walk(file, &dirs, &mut seen, 0)
}

fn walk(
    file: &Path,
    dirs: &[PathBuf],
    seen: &mut Vec<PathBuf>,
    depth: usize,
) -> Option<Vec<String>> {
    let bytes = std::fs::read(file).ok()?;
    for name in program::pe_imports(&bytes)? {
        match locate(&name, dirs) {
            Found::Missing => return Some(vec![name]),
            Found::File(p) if depth < MAX_DEPTH && !seen.contains(&p) => {
                seen.push(p.clone());
                if let Some(mut chain) = walk(&p, dirs, seen, depth + 1) {
                    chain.insert(0, name);
                    return Some(chain);
                }
            }
            Found::File(_) | Found::System => {}
        }
    }
    None
}

fn locate(name: &str, dirs: &[PathBuf]) -> Found {
    let lower = name.to_ascii_lowercase();
    if lower.starts_with("api-ms-") || lower.starts_with("ext-ms-") {
        return Found::System;
    }
    if let Some(p) = dirs.iter().map(|d| d.join(name)).find(|p| p.is_file()) {
        return Found::File(p);
    }
    let wname = wide(OsStr::new(name));
    // SAFETY: a NUL-terminated name; the handle is not kept.
    if !unsafe { GetModuleHandleW(wname.as_ptr()) }.is_null() {
        return Found::System;
    }
    // The system's own search, mapping the file as data: nothing of it runs.
    // SAFETY: a NUL-terminated name and no file handle; the module is freed at once.
    let module = unsafe {
        LoadLibraryExW(
            wname.as_ptr(),
            std::ptr::null_mut(),
            LOAD_LIBRARY_AS_DATAFILE,
        )
    };
    if module.is_null() {
        return Found::Missing;
    }
    // SAFETY: the module just loaded as data, freed once.
    unsafe { FreeLibrary(module) };
    Found::System
}

fn same_dir(a: &Path, b: &Path) -> bool {
    let norm = |p: &Path| {
        p.to_string_lossy()
            .trim_end_matches(['\\', '/'])
            .to_ascii_lowercase()
    };
    norm(a) == norm(b)
}

/// `a DLL it needs was not found: `b.dll``, or the chain to it.
fn describe_chain(chain: &[String]) -> String {
    match chain {
        [] => String::new(),
        [only] => format!("a DLL it needs was not found: `{only}`"),
        [first, rest @ ..] => {
            let mut s = format!("it needs `{first}`");
            for (i, name) in rest.iter().enumerate() {
                if i + 1 == rest.len() {
                    s.push_str(&format!(", which needs `{name}`, which was not found"));
                } else {
                    s.push_str(&format!(", which needs `{name}`"));
                }
            }
            s
        }
    }
}

/// What a DLL whose initialisation failed probably lacks, from what it is.
fn init_failure_hint(file: Option<&Path>) -> String {
    let bytes = file.and_then(|f| std::fs::read(f).ok()).unwrap_or_default();
    let imports = program::pe_imports(&bytes).unwrap_or_default();
    let imports_any = |names: &[&str]| {
        imports
            .iter()
            .any(|i| names.iter().any(|n| i.to_ascii_lowercase().starts_with(n)))
    };
    let says = |text: &str| {
        let utf16: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
        [text.as_bytes(), &utf16[..]]
            .iter()
            .any(|needle| bytes.windows(needle.len()).any(|w| w == *needle))
    };
    let generic = "a run-time it needs is probably missing, or of another version: a \
                   LabVIEW-built DLL needs the LabVIEW Run-Time Engine (32-bit) of the \
                   LabVIEW version it was built with, a .NET mixed-mode DLL the .NET \
                   Framework, a Visual C++ DLL the Visual C++ Redistributable (x86)";
    if says("lvrt.dll") || says("LabVIEW") {
        "its initialisation (DllMain) failed. It is a LabVIEW-built DLL: it needs the \
         LabVIEW Run-Time Engine (32-bit) of the LabVIEW version it was built with \
         (ni.com; the version is in the DLL's properties)"
            .to_owned()
    } else if imports_any(&["mscoree"]) {
        "its initialisation (DllMain) failed. It is a .NET mixed-mode DLL: it needs the \
         .NET Framework (its 32-bit run-time)"
            .to_owned()
    } else {
        format!("its initialisation (DllMain) failed: {generic}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_os_error_code_is_read_from_the_message() {
        assert_eq!(
            os_error_code(
                "LoadLibraryExW failed: The specified module could not be found. (os error 126)"
            ),
            Some(126)
        );
        assert_eq!(os_error_code("no code here"), None);
    }

    #[test]
    fn a_chain_of_dependencies_is_described_in_order() {
        assert_eq!(
            describe_chain(&["b.dll".into()]),
            "a DLL it needs was not found: `b.dll`"
        );
        assert_eq!(
            describe_chain(&["b.dll".into(), "c.dll".into(), "d.dll".into()]),
            "it needs `b.dll`, which needs `c.dll`, which needs `d.dll`, which was not found"
        );
    }
}
