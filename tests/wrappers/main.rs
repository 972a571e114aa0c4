//! The bundled example wrappers (C++, Fortran, .NET, kernel32, LabVIEW, linear algebra)
//! through real servers with their typed clients, each check once per server width
//! (`<module>::<test>::shm_server32`, `…::shm_server64`); the original tool's libraries
//! (ignored by default: CI fetches them); a user's own server binary; `library!`; and the
//! benchmarks' floors for copied arrays, which `examples/array_floors` times beside the
//! bridge.

#[path = "../common/mod.rs"]
mod common;

mod cpp;
mod dotnet;
mod floors;
mod fortran;
mod kernel32;
mod labview;
mod library_macro;
mod linear_algebra;
mod original_libraries;
mod own_server;

common::not_on_windows! {
    dotnet_through_mono: "dotnet.rs hosts Mono; a .NET assembly on Windows needs the .NET \
        Framework, which Wine does not provide on these machines";
}
