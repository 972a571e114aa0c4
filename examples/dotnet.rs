//! Calls a .NET class library (`dotnet_lib32.dll`, C# compiled by Mono's `mcs`) hosted
//! by the embedded 32-bit Mono runtime in the 32-bit server, through a typed client.
//!
//! ```text
//! cargo run --example dotnet [-- path/to/dotnet_lib32.dll]
//! ```
//!
//! The classes and methods are those of the original tool's `dotnet_lib32.dll`
//! (`DotNetMSL.BasicMath`, `DotNetMSL.ArrayManipulation`, and `StringManipulation` and
//! `StaticClass` at the top level): pass its path to run this against it unchanged.
//!
//! Needs Debian's `libmonosgen-2.0-1:i386` (the runtime), `libmono-corlib4.5-cil` (its
//! class library) and `mono-mcs` (to build the C# library).

use std::path::Path;

use loadlib::{Array, Client64, FromValue, Result, ServerOutput, ValueRef};
use server32::wrappers::dotnet::DotNetClient;

const BASIC_MATH: &str = "DotNetMSL.BasicMath";
const ARRAYS: &str = "DotNetMSL.ArrayManipulation";
const STRINGS: &str = "StringManipulation";
const STATIC: &str = "StaticClass";

/// The typed 64-bit face of the classes in `dotnet_lib32.dll`.
///
/// The server's `dotnet` wrapper is generic: its typed client, [`DotNetClient`], has
/// `invoke(class, method, args…)`, which finds the .NET method and converts the arguments
/// to its parameter types. This struct puts a Rust signature on each .NET method.
pub struct DotNet {
    client: DotNetClient,
}

impl DotNet {
    /// Starts the 32-bit server with the bundled `dotnet_lib32.dll`.
    pub fn new() -> Result<DotNet> {
        Ok(DotNet {
            client: DotNetClient::start(Client64::builder("dotnet"))?,
        })
    }

    /// Starts the 32-bit server with another .NET Framework class library.
    pub fn with_assembly(path: impl AsRef<Path>) -> Result<DotNet> {
        let builder = Client64::builder("dotnet").kwarg("assembly", path.as_ref().display());
        Ok(DotNet {
            client: DotNetClient::start(builder)?,
        })
    }

    /// The typed client of the generic wrapper: `invoke` any method of any class,
    /// `class_names`, `assembly_path`.
    pub fn client(&self) -> &DotNetClient {
        &self.client
    }

    /// The server (its pid and pointer width).
    pub fn server(&self) -> &Client64 {
        self.client.client64().expect("started as a server")
    }

    /// Stops the server and returns what it printed.
    pub fn shutdown(self) -> Result<ServerOutput> {
        let server = self.client.into_connection().into_client64();
        server.expect("started as a server").shutdown_server32()
    }

    /// `class.method(args…)`, its result converted to `R`.
    fn invoke<R: FromValue>(&self, class: &str, method: &str, args: Vec<ValueRef>) -> Result<R> {
        R::from_value(self.client.invoke(class, method, args)?)
    }

    /// `BasicMath.add_integers(a, b)`: `a + b` as a .NET `int`.
    pub fn add_integers(&self, a: i32, b: i32) -> Result<i32> {
        self.invoke(BASIC_MATH, "add_integers", vec![a.into(), b.into()])
    }

    /// `BasicMath.divide_floats(a, b)`: `a / b` as a .NET `float`.
    pub fn divide_floats(&self, a: f32, b: f32) -> Result<f32> {
        self.invoke(BASIC_MATH, "divide_floats", vec![a.into(), b.into()])
    }

    /// `BasicMath.multiply_doubles(a, b)`: `a * b` as a .NET `double`.
    pub fn multiply_doubles(&self, a: f64, b: f64) -> Result<f64> {
        self.invoke(BASIC_MATH, "multiply_doubles", vec![a.into(), b.into()])
    }

    /// `BasicMath.add_or_subtract(a, b, do_addition)`: `a + b` if `do_addition`, else `a - b`.
    pub fn add_or_subtract(&self, a: f64, b: f64, do_addition: bool) -> Result<f64> {
        let args = vec![a.into(), b.into(), do_addition.into()];
        self.invoke(BASIC_MATH, "add_or_subtract", args)
    }

    /// `ArrayManipulation.scalar_multiply(a, x)`: `a * x` element-wise (`double[]`).
    pub fn scalar_multiply(&self, a: f64, x: &[f64]) -> Result<Vec<f64>> {
        self.invoke(ARRAYS, "scalar_multiply", vec![a.into(), x.into()])
    }

    /// `ArrayManipulation.multiply_matrices(a1, a2)`: the matrix product of two 2-D `f64`
    /// arrays, passed and returned as .NET `double[,]` (an empty 0 × 0 one, with a message
    /// on the server's stdout, when the shapes do not multiply).
    pub fn multiply_matrices(&self, a1: &Array, a2: &Array) -> Result<Array> {
        self.invoke(ARRAYS, "multiply_matrices", vec![a1.into(), a2.into()])
    }

    /// `StringManipulation.reverse_string(s)`: the characters of `s` in reverse order.
    pub fn reverse_string(&self, s: &str) -> Result<String> {
        self.invoke(STRINGS, "reverse_string", vec![s.into()])
    }

    /// `StaticClass.add_multiple(a, b, c, d, e)`: the sum of five integers (a static method).
    pub fn add_multiple(&self, a: i32, b: i32, c: i32, d: i32, e: i32) -> Result<i32> {
        let args = vec![a.into(), b.into(), c.into(), d.into(), e.into()];
        self.invoke(STATIC, "add_multiple", args)
    }

    /// `StaticClass.concatenate(a, b, c, d, e)`: `a + b + c`, then `e` appended if `d`.
    pub fn concatenate(&self, a: &str, b: &str, c: &str, d: bool, e: &str) -> Result<String> {
        let args = vec![a.into(), b.into(), c.into(), d.into(), e.into()];
        self.invoke(STATIC, "concatenate", args)
    }

    /// The full names of the classes in the assembly, e.g. `DotNetMSL.BasicMath`.
    pub fn class_names(&self) -> Result<Vec<String>> {
        self.client
            .class_names()?
            .into_iter()
            .map(String::from_value)
            .collect()
    }
}

fn main() -> Result<()> {
    let net = match std::env::args_os().nth(1) {
        Some(assembly) => DotNet::with_assembly(assembly)?,
        None => DotNet::new()?,
    };
    println!(
        "server32 pid {} is a {}-bit process hosting Mono",
        net.server().server_pid(),
        net.server().server_pointer_width()
    );
    println!("classes: {:?}", net.class_names()?);
    println!("add_integers(4, 5) = {}", net.add_integers(4, 5)?);
    println!("divide_floats(4, 5) = {}", net.divide_floats(4.0, 5.0)?);
    println!(
        "multiply_doubles(872.24, 525.525) = {}",
        net.multiply_doubles(872.24, 525.525)?
    );
    println!(
        "add_or_subtract(99, 9, true) = {}",
        net.add_or_subtract(99.0, 9.0, true)?
    );
    println!(
        "add_or_subtract(99, 9, false) = {}",
        net.add_or_subtract(99.0, 9.0, false)?
    );
    let x: Vec<f64> = (0..10).map(f64::from).collect();
    println!(
        "scalar_multiply(2, {x:?}) = {:?}",
        net.scalar_multiply(2.0, &x)?
    );
    let a1 = Array::from_rows(&[vec![1.0, 2.0, 3.0], vec![4.0, 5.0, 6.0]]).expect("2x3");
    let a2 = Array::from_rows(&[vec![1.0, 2.0], vec![3.0, 4.0], vec![5.0, 6.0]]).expect("3x2");
    let m = net.multiply_matrices(&a1, &a2)?;
    println!(
        "multiply_matrices(2x3, 3x2) = {:?}",
        m.to_rows::<f64>().expect("a 2-D f64 array")
    );
    println!(
        "reverse_string(\"New Zealand\") = {:?}",
        net.reverse_string("New Zealand")?
    );
    println!(
        "add_multiple(11, -22, 33, -44, 55) = {}",
        net.add_multiple(11, -22, 33, -44, 55)?
    );
    println!(
        "concatenate(\"Hello\", \"World\", \"!\", false, \"...\") = {:?}",
        net.concatenate("Hello", "World", "!", false, "...")?
    );
    println!(
        "concatenate(\"Hello\", \"World\", \"!\", true, \"...\") = {:?}",
        net.concatenate("Hello", "World", "!", true, "...")?
    );
    // A .NET exception is an error, not a crash: `reverse_string(null)` dereferences null.
    match net
        .client()
        .invoke(STRINGS, "reverse_string", vec![ValueRef::None])
    {
        Err(e) => println!("reverse_string(null) -> {e}"),
        Ok(v) => println!("reverse_string(null) unexpectedly returned {v}"),
    }
    let out = net.shutdown()?;
    println!("server exited: {}", out.status);
    Ok(())
}
