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
    libs::build_all(&target, &out);
    bundled::build(&target);
}
