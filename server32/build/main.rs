//! server32's build script: the example and test libraries for the target (`libs`),
//! and, when server32 is built for a 64-bit host as the root package's dev-dependency,
//! the bundled 32-bit servers and the 64-bit twin for its tests, examples and
//! benchmarks (`bundled`).

mod bundled;
mod libs;

use std::path::PathBuf;

fn main() {
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("set by cargo"));
    let target = std::env::var("TARGET").expect("set by cargo");
    libs::build_all(&target, &out, "");
    // A 64-bit build also gets the 32-bit libraries, for tests that name a library to a
    // 32-bit server (foreign calls): `LOADLIB_CPP_LIB_32`, … (`paths::library`).
    let twin = match target.as_str() {
        "x86_64-unknown-linux-gnu" => Some("i686-unknown-linux-gnu"),
        "x86_64-pc-windows-gnu" => Some("i686-pc-windows-gnu"),
        _ => None,
    };
    if let Some(twin) = twin {
        let dir = out.join("lib32");
        std::fs::create_dir_all(&dir).expect("create the 32-bit library folder");
        libs::build_all(twin, &dir, "_32");
    }
    bundled::build(&target);
}
