//! Calls the C++ example library (`server32/csrc/cpp_lib32.cpp`, a 32-bit shared library)
//! from this 64-bit program with **no server code**: its functions are declared with
//! `loadlib::foreign!` (`server32/src/declared/cpp.rs`, its structs with
//! `#[derive(CStruct)]`), and the bundled server calls them as declared.
//!
//! The same functions through a wrapper server: `examples/cpp.rs`.
//!
//! ```text
//! cargo run --example cpp_foreign
//! cargo run --example cpp_foreign -- /path/to/msl/examples/loadlib/cpp_lib32.so
//! ```
//!
//! The second form runs it against the original tool's own library (from the
//! `msl-loadlib` wheel).

use server32::declared::cpp::{CppLib, FourPoints, NPoints, Point};

fn main() -> loadlib::Result<()> {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| server32::paths::library("cpp", 32).to_owned());
    // SAFETY: loading runs the library's initialisers in the server; the declarations
    // above are the library's own signatures.
    let cpp = unsafe { CppLib::load(&path) }?;
    println!(
        "{path} in a {}-bit server, called through declarations alone",
        cpp.library().client().server_pointer_width()
    );
    println!("add(3, 14) = {}", cpp.add(3, 14)?);
    println!("subtract(43.2, 3.2) = {}", cpp.subtract(43.2, 3.2)?);
    println!(
        "add_or_subtract(10.0, 5.0, true) = {}, (…, false) = {}",
        cpp.add_or_subtract(10.0, 5.0, true)?,
        cpp.add_or_subtract(10.0, 5.0, false)?
    );
    let x = [0.0, 1.0, 2.0, 3.0, 4.0];
    let mut y = [0.0; 5];
    cpp.scalar_multiply(2.0, &x, 5, &mut y)?;
    println!("scalar_multiply(2.0, {x:?}) = {y:?}");
    // With the arrays in shared memory the library reads and writes them in place.
    let client = cpp.library().client();
    let mut xs = client.alloc_array::<f64>(&[5])?;
    xs.copy_from_slice(&x);
    let mut ys = client.alloc_array::<f64>(&[5])?;
    cpp.scalar_multiply(3.0, &xs, 5, &mut ys)?;
    println!("scalar_multiply(3.0, …) in shared memory = {:?}", &ys[..]);
    let s = "New Zealand";
    let mut buf = vec![0u8; s.len()];
    cpp.reverse_string_v1(s, s.len() as i32, &mut buf[..])?;
    println!(
        "reverse_string_v1({s:?}) = {:?}",
        String::from_utf8_lossy(&buf)
    );
    let v2 = cpp
        .reverse_string_v2(s, s.len() as i32)?
        .unwrap_or_default();
    let v2: String = v2.iter().map(|&c| c as u8 as char).collect();
    println!("reverse_string_v2({s:?}) = {v2:?}");
    let p = |x, y| Point { x, y };
    let square = FourPoints {
        points: [p(0.0, 0.0), p(0.0, 1.0), p(1.0, 1.0), p(1.0, 0.0)],
    };
    println!(
        "distance_4_points(unit square) = {}",
        cpp.distance_4_points(square)?
    );
    let triangle = [p(0.0, 0.0), p(3.0, 0.0), p(3.0, 4.0)];
    println!(
        "distance_n_points(3-4-5 triangle) = {}",
        cpp.distance_n_points(NPoints {
            n: 3,
            points: &triangle
        })?
    );
    Ok(())
}
