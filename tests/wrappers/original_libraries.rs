//! The bundled wrappers and declarations, unchanged, against the original tool's own
//! libraries (msl-loadlib 1.1.0's `cpp_lib32`, `fortran_lib32` and `dotnet_lib32.dll`,
//! from its wheels): each gives the values the original tool's tests assert
//! (`tests/common/original.rs`).
//!
//! The libraries are fetched at pinned hashes by `bash .ci/fetch-original` (into
//! `target/msl-loadlib-1.1.0`, or the folder `LOADLIB_ORIGINAL_LIBS` names); so the tests
//! are ignored in a plain `cargo test`, and `.ci/run` runs them
//! (`cargo test --test wrappers original_libraries -- --ignored`), on Linux and as
//! Windows programs under Wine.

use std::path::PathBuf;

use loadlib::{Client64, ServerExe};
use server32::declared::cpp::CppLib;
use server32::declared::fortran::FortranLib;
use server32::wrappers::cpp::CppClient;
use server32::wrappers::fortran::FortranClient;

use crate::common::original;

/// The original library `name` of this platform.
fn library(name: &str) -> String {
    let root = std::env::var_os("LOADLIB_ORIGINAL_LIBS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/msl-loadlib-1.1.0")
        });
    let (dir, ext) = if cfg!(windows) {
        ("windows", "dll")
    } else {
        ("linux", "so")
    };
    let file = match name {
        "dotnet" => "dotnet_lib32.dll".to_owned(),
        other => format!("{other}_lib32.{ext}"),
    };
    let path = root.join(dir).join(file);
    assert!(
        path.is_file(),
        "{} is missing: run `bash .ci/fetch-original`",
        path.display()
    );
    path.display().to_string()
}

#[test]
#[ignore = "needs the original tool's libraries (bash .ci/fetch-original); .ci/run runs it"]
fn the_cpp_wrapper_with_the_original_library() {
    let c = CppClient::start(Client64::builder("cpp").kwarg("lib", library("cpp"))).unwrap();
    assert_eq!(c.client64().unwrap().server_pointer_width(), 32);
    original::cpp_wrapper(&c);
}

#[test]
#[ignore = "needs the original tool's libraries (bash .ci/fetch-original); .ci/run runs it"]
fn the_cpp_declarations_with_the_original_library() {
    let builder = Client64::builder(loadlib::foreign::FOREIGN_MODULE).server(ServerExe::Bundled32);
    // SAFETY: the original tool's cpp_lib32, whose exports `server32::declared::cpp`
    // declares as its cpp_lib.h does.
    let lib = unsafe { CppLib::load_with(builder, library("cpp")) }.unwrap();
    original::cpp_foreign(&lib);
}

#[test]
#[ignore = "needs the original tool's libraries (bash .ci/fetch-original); .ci/run runs it"]
fn the_fortran_wrapper_with_the_original_library() {
    let f = FortranClient::start(Client64::builder("fortran").kwarg("lib", library("fortran")))
        .unwrap();
    assert_eq!(f.client64().unwrap().server_pointer_width(), 32);
    original::fortran_wrapper(&f);
}

#[test]
#[ignore = "needs the original tool's libraries (bash .ci/fetch-original); .ci/run runs it"]
fn the_fortran_declarations_with_the_original_library() {
    let builder = Client64::builder(loadlib::foreign::FOREIGN_MODULE).server(ServerExe::Bundled32);
    // SAFETY: the original tool's fortran_lib32, declared as its fortran_lib.f90 defines
    // its `bind(C)` routines (every argument by reference, default LOGICALs).
    let lib = unsafe { FortranLib::load_with(builder, library("fortran")) }.unwrap();
    // Issue 18's check: a 4-byte LOGICAL false subtracts.
    assert_eq!(
        lib.add_or_subtract(1000, 2000, loadlib::foreign::Logical(false))
            .unwrap(),
        -1000
    );
    original::fortran_foreign(&lib);
}

#[test]
#[cfg(target_os = "linux")] // the dotnet wrapper hosts Mono, on Linux (`dotnet_through_mono`)
#[ignore = "needs the original tool's libraries (bash .ci/fetch-original); .ci/run runs it"]
fn the_dotnet_wrapper_with_the_original_assembly() {
    use server32::wrappers::dotnet::DotNetClient;
    let n = DotNetClient::start(Client64::builder("dotnet").kwarg("assembly", library("dotnet")))
        .unwrap();
    original::dotnet(&n);
}
