//! Finding a server executable by name: an environment variable, then next to the
//! program's own executable, then (for the bundled 32-bit server) a fallback such as
//! the server embedded in loadlib; and, before it is started, checking that it is a
//! program of the width the client expects.

use crate::sys::program as header;

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The variable that overrides where the server `name` is found:
/// `LOADLIB_SERVER_` and the name in capitals, with every character other than a
/// letter or digit as `_` (`my-server` → `LOADLIB_SERVER_MY_SERVER`).
pub(super) fn override_var(name: &str) -> String {
    let upper: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    format!("LOADLIB_SERVER_{upper}")
}

/// The folders searched for a server next to the executable `exe`: its own folder,
/// then, for a test, benchmark or example that cargo puts in `deps/` or `examples/`,
/// the profile folder above it (where cargo puts the program's binaries).
pub(super) fn search_dirs(exe: &Path) -> Vec<PathBuf> {
    let Some(dir) = exe.parent() else {
        return Vec::new();
    };
    let mut dirs = vec![dir.to_path_buf()];
    let in_cargo_subdir = dir
        .file_name()
        .is_some_and(|n| n == "deps" || n == "examples");
    if let (true, Some(parent)) = (in_cargo_subdir, dir.parent()) {
        dirs.push(parent.to_path_buf());
    }
    dirs
}

/// The last place searched: a server path, or what to list among the places searched
/// (where it was looked for and why it gave none).
pub(super) type Fallback<'a> = &'a dyn Fn() -> std::result::Result<PathBuf, String>;

/// The server executable `name` (without `.exe`): the path in `var` if it is set,
/// else `<name>[.exe]` in the first of [`search_dirs`] that has it, else what
/// `fallback` gives.
pub(super) fn find(name: &str, var: &str, fallback: Option<Fallback<'_>>) -> Result<PathBuf> {
    find_with(
        name,
        var,
        std::env::var_os(var),
        std::env::current_exe(),
        fallback,
    )
}

fn find_with(
    name: &str,
    var: &str,
    value: Option<OsString>,
    current_exe: std::io::Result<PathBuf>,
    fallback: Option<Fallback<'_>>,
) -> Result<PathBuf> {
    if let Some(p) = value.filter(|v| !v.is_empty()) {
        return Ok(PathBuf::from(p));
    }
    let file = format!("{name}{}", std::env::consts::EXE_SUFFIX);
    let exe = current_exe.map_err(|source| Error::Spawn {
        path: file.clone(),
        source: std::io::Error::new(
            source.kind(),
            format!("{var} is not set and this program's own path is unknown ({source})"),
        ),
    })?;
    let dirs = search_dirs(&exe);
    if let Some(p) = dirs.iter().map(|d| d.join(&file)).find(|p| p.is_file()) {
        return Ok(p);
    }
    let mut searched: Vec<String> = dirs
        .iter()
        .map(|d| d.join(&file).display().to_string())
        .collect();
    if let Some(fallback) = fallback {
        match fallback() {
            Ok(p) => return Ok(p),
            Err(why) => searched.push(why),
        }
    }
    Err(Error::Spawn {
        path: file,
        source: std::io::Error::new(
            std::io::ErrorKind::NotFound,
            format!(
                "the server executable was not found; searched: {var} (not set), {}. Put it \
                 next to the program (loadlib::build::ServerBuild does, from build.rs), set \
                 {var}, or give its path with ServerExe::Path",
                searched.join(", ")
            ),
        ),
    })
}

/// Fails with [`Error::WrongServerBinary`] when `exe` is an ELF or PE program that is not a
/// `bits`-bit x86 program of this system: what the client would otherwise report as a
/// failed start ("wrong ELF class", a bad-format error). A file that is neither (a
/// script that starts the server, say) passes: the system starts it or says why not.
pub(super) fn check_program(exe: &Path, bits: u32) -> Result<()> {
    let found = match header::program_kind(exe) {
        Ok(Some(kind)) => kind,
        // Unreadable: spawning it gives the system's own error.
        Ok(None) | Err(_) => return Ok(()),
    };
    let expected = header::ProgramKind::native(bits);
    if found == expected {
        return Ok(());
    }
    let name = exe.file_stem().map_or_else(
        || exe.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let fix = if found.format == expected.format && bits == 32 && found.bits == Some(64) {
        format!(
            "a 64-bit build of the server took the 32-bit server's place. If `{name}` is \
             a binary of a package in your workspace, a workspace-wide `cargo build` builds \
             it for 64 bits too and puts it there: remove that package from the \
             workspace's members (add it to `exclude`) or give the binary \
             `required-features`, and let `loadlib::build::ServerBuild` build it from your \
             build.rs; then rebuild (touch build.rs if cargo thinks nothing changed)"
        )
    } else {
        format!(
            "build `{name}` for {}, or give the path of one that is",
            twin_target(bits)
        )
    };
    Err(Error::WrongServerBinary {
        path: exe.display().to_string(),
        found: found.to_string(),
        expected: expected.to_string(),
        fix,
    })
}

/// The Rust target a server of `bits` bits for this system is built for.
fn twin_target(bits: u32) -> &'static str {
    match (cfg!(windows), bits) {
        (true, 32) => "i686-pc-windows-gnu (or -msvc)",
        (true, _) => "x86_64-pc-windows-gnu (or -msvc)",
        (false, 32) => "i686-unknown-linux-gnu",
        (false, _) => "x86_64-unknown-linux-gnu",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_override_variable_is_the_name_in_capitals() {
        assert_eq!(override_var("my-server.v2"), "LOADLIB_SERVER_MY_SERVER_V2");
    }

    #[test]
    fn tests_and_examples_also_search_the_profile_folder() {
        let t = Path::new("/t/debug");
        assert_eq!(
            search_dirs(&t.join("deps/cpp-1234")),
            [t.join("deps"), t.to_path_buf()]
        );
        assert_eq!(
            search_dirs(&t.join("examples/cpp")),
            [t.join("examples"), t.to_path_buf()]
        );
        assert_eq!(search_dirs(&t.join("app")), [t.to_path_buf()]);
    }

    #[test]
    fn the_variable_wins_and_a_miss_lists_the_places_searched() {
        let got = find_with(
            "s",
            "V",
            Some("/x/s".into()),
            Ok("/nowhere/deps/t".into()),
            None,
        );
        assert_eq!(got.unwrap(), PathBuf::from("/x/s"));
        let none: Fallback<'_> = &|| Err("the fallback (none here)".into());
        let err = find_with("s", "V", None, Ok("/nowhere/deps/t".into()), Some(none)).unwrap_err();
        let msg = err.to_string();
        let file = format!("s{}", std::env::consts::EXE_SUFFIX);
        let deps = Path::new("/nowhere/deps").join(&file);
        let top = Path::new("/nowhere").join(&file);
        for place in [
            "V (not set)".to_owned(),
            deps.display().to_string(),
            top.display().to_string(),
            "the fallback (none here)".to_owned(),
        ] {
            assert!(msg.contains(&place), "{place}: {msg}");
        }
    }

    #[test]
    fn a_server_next_to_the_program_is_found() {
        let dir = std::env::temp_dir().join(format!("loadlib-locate-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let server = dir.join(format!("srv{}", std::env::consts::EXE_SUFFIX));
        std::fs::write(&server, b"").unwrap();
        let unused: Fallback<'_> = &|| panic!("not reached: the server is found first");
        let got = find_with(
            "srv",
            "V",
            None,
            Ok(dir.join("examples").join("app")),
            Some(unused),
        );
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(got.unwrap(), server);
    }

    #[test]
    fn the_fallback_comes_last() {
        let fallback: Fallback<'_> = &|| Ok(PathBuf::from("/cache/embedded"));
        let got = find_with("s", "V", None, Ok("/nowhere/t".into()), Some(fallback));
        assert_eq!(got.unwrap(), PathBuf::from("/cache/embedded"));
    }
}
