//! Calls the C++ example library (`server32/csrc/cpp_lib32.cpp`, a 32-bit shared library)
//! from this 64-bit program through the `cpp` wrapper of the 32-bit server.
//!
//! `CppClient` is the typed client `loadlib::interface!` generates from the wrapper's
//! declaration (`server32/src/wrappers/cpp.rs`): one method for each library function.
//!
//! ```text
//! cargo run --example cpp
//! ```

use loadlib::{ArrayRef, Client64};
use server32::wrappers::cpp::CppClient;

fn main() -> loadlib::Result<()> {
    // `.server(ServerExe::Bundled64)` on the builder would run a 64-bit server instead.
    let cpp = CppClient::start(Client64::builder("cpp"))?;
    if let Some(server) = cpp.client64() {
        println!(
            "cpp_lib32 in a {}-bit server",
            server.server_pointer_width()
        );
    }
    println!("add(3, 14) = {}", cpp.add(3, 14)?);
    println!("subtract(43.2, 3.2) = {}", cpp.subtract(43.2, 3.2)?);
    println!(
        "add_or_subtract(10.0, 5.0, true) = {}, (…, false) = {}",
        cpp.add_or_subtract(10.0, 5.0, true)?,
        cpp.add_or_subtract(10.0, 5.0, false)?
    );
    // The array travels through shared memory; the library reads it in place.
    println!(
        "scalar_multiply(2.0, [0, 1, 2, 3, 4]) = {:?}",
        cpp.scalar_multiply(2.0, &[0.0, 1.0, 2.0, 3.0, 4.0])?
    );
    let s = "New Zealand";
    // v1: into a buffer the wrapper provides; v2: into one the library allocates.
    println!("reverse_string_v1({s:?}) = {:?}", cpp.reverse_string_v1(s)?);
    println!("reverse_string_v2({s:?}) = {:?}", cpp.reverse_string_v2(s)?);
    // Points as an (n, 2) array of (x, y) rows; the wrapper passes them to the library
    // as a `FourPoints` struct by value, or as an `NPoints` struct.
    let square = [0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 0.0];
    let square = ArrayRef::new(&square, &[4, 2]).expect("four (x, y) points");
    println!(
        "distance_4_points(unit square) = {}",
        cpp.distance_4_points(square)?
    );
    let triangle = [0.0, 0.0, 3.0, 0.0, 3.0, 4.0];
    let triangle = ArrayRef::new(&triangle, &[3, 2]).expect("three (x, y) points");
    println!(
        "distance_n_points(3-4-5 triangle) = {}",
        cpp.distance_n_points(triangle)?
    );
    // Only the radius and n are sent: the server builds the points, the library sums the
    // sides, and the perimeter approaches 2π·radius as n grows.
    println!("circumference of a circle of diameter 1 (≈ π):");
    for i in [2, 4, 8, 12, 16, 20] {
        let n = 1i64 << i;
        let c = cpp.circumference(0.5, n)?;
        println!(
            "  n = 2^{i:<2} → {c:.15} (error {:.1e})",
            std::f64::consts::PI - c
        );
    }
    Ok(())
}
