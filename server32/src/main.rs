//! `server32`: the 32-bit host process of loadlib's bundled example wrappers. The client
//! starts it with the name of a wrapper (`--module NAME`); see `loadlib::server` for
//! writing your own. Built with the `testkit` feature (loadlib's own tests), it also hosts
//! the `testlib` wrapper and counts its heap allocations.

#[cfg(feature = "testkit")]
#[global_allocator]
static GLOBAL: server32::testkit::alloc_count::Counting = server32::testkit::alloc_count::Counting;

use std::process::ExitCode;

use loadlib::server::{host, Entry};
use server32::wrappers::{
    cpp::{CppClient, CppServer},
    dotnet::{DotNetClient, DotNetServer},
    echo::{EchoClient, EchoServer},
    fortran::{FortranClient, FortranServer},
    kernel32::{Kernel32Client, Kernel32Server},
    labview::{LabviewClient, LabviewServer},
    linear_algebra::{LinearAlgebraClient, LinearAlgebraServer},
    structs::{StructsClient, StructsServer},
};

fn main() -> ExitCode {
    let examples = [
        Entry::of::<EchoClient, EchoServer>(),
        Entry::of::<CppClient, CppServer>(),
        Entry::of::<FortranClient, FortranServer>(),
        Entry::of::<LabviewClient, LabviewServer>(),
        Entry::of::<Kernel32Client, Kernel32Server>(),
        Entry::of::<LinearAlgebraClient, LinearAlgebraServer>(),
        Entry::of::<DotNetClient, DotNetServer>(),
        Entry::of::<StructsClient, StructsServer>(),
    ];
    #[cfg(feature = "testkit")]
    {
        use server32::wrappers::testlib::{TestLibClient, TestLibServer};
        let mut all = examples.to_vec();
        all.push(Entry::of::<TestLibClient, TestLibServer>());
        host(&all)
    }
    #[cfg(not(feature = "testkit"))]
    host(&examples)
}
