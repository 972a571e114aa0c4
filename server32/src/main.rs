//! `server32`: the 32-bit host process of loadlib. The client starts it with the name
//! of a bundled wrapper (`--module NAME`); see `loadlib::server` for writing your own.

#[global_allocator]
static GLOBAL: server32::alloc_count::Counting = server32::alloc_count::Counting;

use std::process::ExitCode;

use loadlib::server::host;
use server32::wrappers::{
    cpp::{Cpp, CppServer},
    dotnet::{DotNet, DotNetServer},
    echo::{Echo, EchoServer},
    fortran::{Fortran, FortranServer},
    kernel32::{Kernel32, Kernel32Server},
    labview::{Labview, LabviewServer},
    linear_algebra::{LinearAlgebra, LinearAlgebraServer},
    structs::{Structs, StructsServer},
    testlib::{TestLib, TestLibServer},
};

fn main() -> ExitCode {
    host(&[
        EchoServer::entry(),
        TestLibServer::entry(),
        CppServer::entry(),
        FortranServer::entry(),
        LabviewServer::entry(),
        Kernel32Server::entry(),
        LinearAlgebraServer::entry(),
        DotNetServer::entry(),
        StructsServer::entry(),
    ])
}
