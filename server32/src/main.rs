//! `server32`: the 32-bit host process of loadlib. The client starts it with the name
//! of a bundled wrapper (`--module NAME`); see `loadlib::server` for writing your own.

#[global_allocator]
static GLOBAL: server32::alloc_count::Counting = server32::alloc_count::Counting;

use std::process::ExitCode;

use loadlib::server::{entry, host};
use server32::wrappers;

fn main() -> ExitCode {
    host(&[
        entry::<wrappers::echo::Echo>(),
        entry::<wrappers::testlib::TestLib>(),
        entry::<wrappers::cpp::Cpp>(),
        entry::<wrappers::fortran::Fortran>(),
        entry::<wrappers::labview::Labview>(),
        entry::<wrappers::kernel32::Kernel32>(),
        entry::<wrappers::linear_algebra::LinearAlgebra>(),
        entry::<wrappers::dotnet::DotNet>(),
    ])
}
