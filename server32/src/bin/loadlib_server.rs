//! `loadlib-server`: the generic server, with no wrapper of its own. A client starts it
//! with module `foreign` (`loadlib::foreign::FOREIGN_MODULE`) and declares the library's
//! functions itself (foreign calls), so it serves any library.
//!
//! This is the server `.ci/build-prebuilt` builds for `i686-unknown-linux-gnu` and
//! `i686-pc-windows-gnu` and a release puts in `prebuilt/`, where loadlib's build script
//! embeds it (`ServerExe::Bundled32` falls back to it). No test instrumentation here.

fn main() -> std::process::ExitCode {
    loadlib::server::host(&[])
}
