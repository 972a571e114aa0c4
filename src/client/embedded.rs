//! The generic 32-bit server embedded in this build of loadlib, if a release put one in
//! `prebuilt/` (see `build.rs`): the last place `ServerExe::Bundled32` looks. It is
//! written (once per process, while the copy stays) to a folder only this user can use,
//! and started from there.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::sys;

/// A prebuilt server included in the library.
struct Embedded {
    /// The executable.
    bytes: &'static [u8],
    /// Its SHA-256 in hex, checked at build time against `prebuilt/SHA256SUMS`.
    sha256: &'static str,
}

// `const EMBEDDED_SERVER: Result<Embedded, &str>`: the server, or why there is none.
include!(concat!(env!("OUT_DIR"), "/embedded_server.rs"));

/// The name of the written copy.
fn file_name() -> String {
    format!("loadlib-server{}", std::env::consts::EXE_SUFFIX)
}

/// The embedded server as an executable file, written on first use in this process
/// (see [`materialise`]) and again if the copy has gone since (a cleaner of the cache
/// or temporary folder); or, for the list of places searched, why there is none.
pub(super) fn path() -> Result<PathBuf, String> {
    static WRITTEN: Mutex<Option<PathBuf>> = Mutex::new(None);
    let server = EMBEDDED_SERVER
        .as_ref()
        .map_err(|why| format!("this build of loadlib has no embedded server: {why}"))?;
    let mut written = WRITTEN.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(p) = written.as_ref().filter(|p| sys::is_runnable_file(p)) {
        return Ok(p.clone());
    }
    let p = materialise(
        server.bytes,
        &server.sha256[..16],
        &sys::server_cache_roots(),
    )?;
    *written = Some(p.clone());
    Ok(p)
}

/// Writes `bytes` as `<root>/<tag>/loadlib-server[.exe]` under the first of `roots`
/// where that works, and returns its path; the error names each root and what failed.
fn materialise(bytes: &[u8], tag: &str, roots: &[PathBuf]) -> Result<PathBuf, String> {
    let mut failed = Vec::new();
    for root in roots {
        match materialise_in(bytes, root, tag) {
            Ok(p) => return Ok(p),
            Err(e) => failed.push(format!("{}: {e}", root.display())),
        }
    }
    Err(format!(
        "the embedded server could not be written ({})",
        failed.join("; ")
    ))
}

/// Writes `bytes` as `root/tag/loadlib-server[.exe]` unless a runnable file with these
/// bytes is there already. Both folders must be private to this user (created so, or
/// refused). A different file is replaced: written under a temporary name, then renamed
/// over it, so no process ever runs half a file.
fn materialise_in(bytes: &[u8], root: &Path, tag: &str) -> io::Result<PathBuf> {
    sys::ensure_private_dir(root)?;
    let dir = root.join(tag);
    sys::ensure_private_dir(&dir)?;
    let file = dir.join(file_name());
    let current = || sys::is_runnable_file(&file) && std::fs::read(&file).is_ok_and(|b| b == bytes);
    if current() {
        return Ok(file);
    }
    let random = getrandom::u64().map_err(|e| io::Error::other(e.to_string()))?;
    let tmp = dir.join(format!(".{}.{random:016x}.tmp", file_name()));
    let written =
        sys::write_private_executable(&tmp, bytes).and_then(|()| std::fs::rename(&tmp, &file));
    match written {
        Ok(()) => Ok(file),
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            // Another process may have put the same copy there meanwhile, and be running
            // it (Windows refuses to replace a running program).
            if current() {
                Ok(file)
            } else {
                Err(e)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh folder under the temporary folder, removed when dropped.
    struct Scratch(PathBuf);

    impl Scratch {
        fn new(name: &str) -> Scratch {
            let dir = std::env::temp_dir().join(format!(
                "loadlib-embedded-{name}-{}-{:x}",
                std::process::id(),
                getrandom::u32().unwrap()
            ));
            std::fs::create_dir_all(&dir).unwrap();
            Scratch(dir)
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    #[test]
    fn a_missing_copy_is_written_and_a_stale_one_rewritten() {
        let scratch = Scratch::new("stale");
        let root = scratch.0.join("cache").join("loadlib");
        let file = materialise(
            b"new server",
            "0123456789abcdef",
            std::slice::from_ref(&root),
        )
        .unwrap();
        assert_eq!(file, root.join("0123456789abcdef").join(file_name()));
        assert_eq!(std::fs::read(&file).unwrap(), b"new server");
        assert!(sys::is_runnable_file(&file));
        // A copy with other bytes (damaged, or written by another build) is replaced.
        std::fs::write(&file, b"old").unwrap();
        let again = materialise(
            b"new server",
            "0123456789abcdef",
            std::slice::from_ref(&root),
        )
        .unwrap();
        assert_eq!(again, file);
        assert_eq!(std::fs::read(&file).unwrap(), b"new server");
        assert!(sys::is_runnable_file(&file));
        // No temporary file is left behind.
        let names: Vec<_> = std::fs::read_dir(file.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, [std::ffi::OsString::from(file_name())]);
    }

    #[test]
    fn a_folder_others_can_use_is_refused_and_the_next_root_used() {
        let scratch = Scratch::new("shared");
        let open_root = scratch.0.join("open");
        sys::create_dir_others_can_use(&open_root).unwrap();
        let err = materialise(b"server", "tag", std::slice::from_ref(&open_root)).unwrap_err();
        assert!(err.contains("is not a private folder"), "{err}");
        assert!(err.contains(&open_root.display().to_string()), "{err}");
        assert!(!open_root.join("tag").exists());
        let good_root = scratch.0.join("good");
        let file = materialise(b"server", "tag", &[open_root, good_root.clone()]).unwrap();
        assert_eq!(file, good_root.join("tag").join(file_name()));
    }

    /// The generic server the tests build (`target/<profile>/loadlib-server`), written
    /// as the embedded one would be, starts and hosts foreign calls as a 32-bit process.
    #[test]
    fn a_written_copy_of_the_generic_server_runs() {
        let exe = std::env::current_exe().unwrap();
        let Some(built) = super::super::locate::search_dirs(&exe)
            .into_iter()
            .map(|d| d.join(file_name()))
            .find(|p| p.is_file())
        else {
            // A build without server32's bundled servers (LOADLIB_SKIP_SERVER_BUILD).
            eprintln!("no {} next to the tests: skipped", file_name());
            return;
        };
        assert_runs_as_32_bit_server(&std::fs::read(&built).unwrap());
    }

    /// The server this build embeds, if it has one (`.ci/build-prebuilt` ran in this
    /// workspace), is one for this OS, and runs.
    #[test]
    fn the_embedded_server_if_any_runs() {
        match &EMBEDDED_SERVER {
            Ok(server) => assert_runs_as_32_bit_server(server.bytes),
            Err(why) => eprintln!("no embedded server ({why}): skipped"),
        }
    }

    /// Writes `bytes` as the embedded server is written, starts it for foreign calls,
    /// and checks that it is a 32-bit process.
    fn assert_runs_as_32_bit_server(bytes: &[u8]) {
        let scratch = Scratch::new("run");
        let file = materialise(bytes, "tag", &[scratch.0.join("loadlib")]).unwrap();
        let client = crate::Client64::builder(crate::foreign::FOREIGN_MODULE)
            .server(crate::ServerExe::Path(file))
            .start()
            .unwrap();
        assert_eq!(client.server_pointer_width(), 32);
        client.shutdown_server32().unwrap();
    }
}
