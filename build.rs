//! loadlib's build script: embeds the prebuilt 32-bit server, if there is one.
//!
//! A release puts the generic server, built for the 32-bit targets, in `prebuilt/`
//! (`.ci/build-prebuilt`), with `prebuilt/SHA256SUMS`. For a 64-bit Linux or Windows
//! target with the `embedded-server` feature on, this checks the server of the 32-bit
//! twin against its sum and writes `$OUT_DIR/embedded_server.rs`, which the library
//! includes (`src/client/embedded.rs`): the server's bytes, or `None` and the reason.
//! Nothing is compiled and no other program is run here.

use std::path::{Path, PathBuf};

/// The prebuilt server a 64-bit target can use, by `CARGO_CFG_TARGET_OS` and `_ARCH`.
fn twin_server(os: &str, arch: &str) -> Option<&'static str> {
    match (os, arch) {
        ("linux", "x86_64") => Some("loadlib-server-i686-unknown-linux-gnu"),
        ("windows", "x86_64") => Some("loadlib-server-i686-pc-windows-gnu.exe"),
        _ => None,
    }
}

fn main() {
    let var = |k: &str| std::env::var(k).unwrap_or_default();
    let manifest_dir = PathBuf::from(var("CARGO_MANIFEST_DIR"));
    let prebuilt = manifest_dir.join("prebuilt");
    println!("cargo:rerun-if-changed=build.rs");
    // A folder: cargo watches every file in it. A path that does not exist would make
    // cargo run this script again on every build, and so rebuild loadlib and everything
    // that depends on it (a user's server included): a missing `prebuilt/` is not
    // watched, and `.ci/build-prebuilt` touches this file when it makes one.
    if prebuilt.is_dir() {
        println!("cargo:rerun-if-changed={}", prebuilt.display());
    }
    let out = PathBuf::from(var("OUT_DIR")).join("embedded_server.rs");
    let target = var("TARGET");
    let found = match twin_server(&var("CARGO_CFG_TARGET_OS"), &var("CARGO_CFG_TARGET_ARCH")) {
        _ if std::env::var_os("CARGO_FEATURE_EMBEDDED_SERVER").is_none() => {
            Err("the `embedded-server` feature is off".to_owned())
        }
        None => Err(format!("a {target} program has no 32-bit server to embed")),
        Some(name) => {
            let file = prebuilt.join(name);
            if file.is_file() {
                Ok((file.clone(), checked_sum(&prebuilt, name, &file)))
            } else {
                Err(format!(
                    "built without the prebuilt binaries (no {})",
                    file.display()
                ))
            }
        }
    };
    let code = match found {
        Ok((file, sum)) => format!(
            "Ok(Embedded {{ bytes: include_bytes!({:?}), sha256: {sum:?} }})",
            path_str(&file)
        ),
        Err(why) => format!("Err({why:?})"),
    };
    let text = format!(
        "// Written by loadlib's build script.\n\
         /// The embedded server, or why this build has none.\n\
         const EMBEDDED_SERVER: Result<Embedded, &str> = {code};\n"
    );
    std::fs::write(&out, text).unwrap_or_else(|e| panic!("write {}: {e}", out.display()));
}

fn path_str(p: &Path) -> &str {
    p.to_str()
        .unwrap_or_else(|| panic!("{} is not UTF-8", p.display()))
}

/// The SHA-256 of `file` (hex), which must be the one `dir/SHA256SUMS` gives `name`.
#[cfg(feature = "embedded-server")]
fn checked_sum(dir: &Path, name: &str, file: &Path) -> String {
    use sha2::{Digest, Sha256};
    let sums_path = dir.join("SHA256SUMS");
    let sums = std::fs::read_to_string(&sums_path).unwrap_or_else(|e| {
        panic!(
            "loadlib: {} has no checksum: cannot read {} ({e}). Run `.ci/build-prebuilt` \
             again, remove prebuilt/, or turn off the `embedded-server` feature",
            file.display(),
            sums_path.display()
        )
    });
    // `sha256sum` lines: the sum, a space, then ` ` or `*` (binary mode) and the name.
    let expected = sums
        .lines()
        .filter_map(|l| l.split_once(' '))
        .find(|(_, n)| n.trim_start_matches([' ', '*']) == name)
        .map(|(sum, _)| sum.to_ascii_lowercase())
        .unwrap_or_else(|| {
            panic!(
                "loadlib: {} lists no sum for {name}. Run `.ci/build-prebuilt` again, \
                 remove prebuilt/, or turn off the `embedded-server` feature",
                sums_path.display()
            )
        });
    let bytes = std::fs::read(file).unwrap_or_else(|e| panic!("read {}: {e}", file.display()));
    if !is_i386_executable(name, &bytes) {
        panic!(
            "loadlib: {} is not a 32-bit x86 {} executable",
            file.display(),
            if name.ends_with(".exe") {
                "Windows"
            } else {
                "Linux"
            }
        );
    }
    let actual: String = Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    if actual != expected {
        panic!(
            "loadlib: the prebuilt server {} does not match its checksum: its SHA-256 is \
             {actual}, {} says {expected}. The file is damaged or not the one released: \
             run `.ci/build-prebuilt` again, remove prebuilt/, or turn off the \
             `embedded-server` feature",
            file.display(),
            sums_path.display()
        );
    }
    actual
}

/// Whether `bytes` are an i386 program of the kind `name` says: a PE file (`.exe`) or
/// an ELF file (otherwise).
#[cfg(feature = "embedded-server")]
fn is_i386_executable(name: &str, bytes: &[u8]) -> bool {
    let u16_at = |at: usize| {
        bytes
            .get(at..at + 2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]))
    };
    if name.ends_with(".exe") {
        // `MZ`, the PE header's offset at 0x3c, `PE\0\0`, then the machine: 0x14c (i386).
        let pe = bytes
            .get(0x3c..0x40)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize);
        bytes.starts_with(b"MZ")
            && pe.is_some_and(|pe| {
                bytes.get(pe..pe + 4) == Some(&b"PE\0\0"[..]) && u16_at(pe + 4) == Some(0x14c)
            })
    } else {
        // ELF, 32-bit class, little-endian, machine 3 (EM_386).
        bytes.starts_with(b"\x7fELF\x01\x01") && u16_at(18) == Some(3)
    }
}

#[cfg(not(feature = "embedded-server"))]
fn checked_sum(_dir: &Path, _name: &str, _file: &Path) -> String {
    unreachable!("only called with the `embedded-server` feature")
}
