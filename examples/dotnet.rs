//! Calls a .NET class library (`dotnet_lib32.dll`, C# compiled by Mono's `mcs`) hosted
//! by the embedded 32-bit Mono runtime in the 32-bit server, through a typed client.
//!
//! ```text
//! cargo run --example dotnet
//! ```
//!
//! Needs Debian's `libmonosgen-2.0-1:i386` (the runtime), `libmono-corlib4.5-cil` (its
//! class library) and `mono-mcs` (to build the C# library).

use std::path::Path;

use loadlib::{Array, Client64, Result, Value};

const BASIC_MATH: &str = "DotNetMSL.BasicMath";
const ARRAYS: &str = "DotNetMSL.ArrayManipulation";
const STRINGS: &str = "DotNetMSL.StringManipulation";
const STATIC: &str = "DotNetMSL.StaticClass";

/// The typed 64-bit face of the `DotNetMSL` classes in `dotnet_lib32.dll`.
///
/// Each method sends `invoke(class, method, args…)` to the server's generic `dotnet`
/// wrapper, which converts the arguments to the .NET parameter types.
pub struct DotNet {
    client: Client64,
}

impl DotNet {
    /// Starts the 32-bit server with the bundled `dotnet_lib32.dll`.
    pub fn new() -> Result<DotNet> {
        Ok(DotNet {
            client: Client64::builder("dotnet").start()?,
        })
    }

    /// Starts the 32-bit server with another .NET Framework class library.
    pub fn with_assembly(path: impl AsRef<Path>) -> Result<DotNet> {
        let client = Client64::builder("dotnet")
            .kwarg("assembly", path.as_ref().display())
            .start()?;
        Ok(DotNet { client })
    }

    /// The underlying client, for generic calls such as `invoke`.
    pub fn client(&self) -> &Client64 {
        &self.client
    }

    /// `BasicMath.add_integers(a, b)`: `a + b` as a .NET `int`.
    pub fn add_integers(&self, a: i32, b: i32) -> Result<i32> {
        self.client
            .request32("invoke", (BASIC_MATH, "add_integers", a, b))
    }

    /// `BasicMath.divide_floats(a, b)`: `a / b` as a .NET `float`.
    pub fn divide_floats(&self, a: f32, b: f32) -> Result<f32> {
        self.client
            .request32("invoke", (BASIC_MATH, "divide_floats", a, b))
    }

    /// `BasicMath.multiply_doubles(a, b)`: `a * b` as a .NET `double`.
    pub fn multiply_doubles(&self, a: f64, b: f64) -> Result<f64> {
        self.client
            .request32("invoke", (BASIC_MATH, "multiply_doubles", a, b))
    }

    /// `BasicMath.add_or_subtract(a, b, do_addition)`: `a + b` if `do_addition`, else `a - b`.
    pub fn add_or_subtract(&self, a: f64, b: f64, do_addition: bool) -> Result<f64> {
        self.client
            .request32("invoke", (BASIC_MATH, "add_or_subtract", a, b, do_addition))
    }

    /// `BasicMath.divide_integers(a, b)`: integer division; `b == 0` makes .NET throw a
    /// `DivideByZeroException`, returned as `Error::Server32` named `DotNetException`.
    pub fn divide_integers(&self, a: i32, b: i32) -> Result<i32> {
        self.client
            .request32("invoke", (BASIC_MATH, "divide_integers", a, b))
    }

    /// `ArrayManipulation.scalar_multiply(a, x)`: `a * x` element-wise (`double[]`).
    pub fn scalar_multiply(&self, a: f64, x: &[f64]) -> Result<Vec<f64>> {
        self.client
            .request32("invoke", (ARRAYS, "scalar_multiply", a, x))
    }

    /// `ArrayManipulation.multiply_matrices(a1, a2)`: the matrix product of two 2-D `f64`
    /// arrays, passed and returned as .NET `double[,]`.
    pub fn multiply_matrices(&self, a1: &Array, a2: &Array) -> Result<Array> {
        self.client
            .request32("invoke", (ARRAYS, "multiply_matrices", a1, a2))
    }

    /// `StringManipulation.reverse_string(s)`: the characters of `s` in reverse order.
    pub fn reverse_string(&self, s: &str) -> Result<String> {
        self.client
            .request32("invoke", (STRINGS, "reverse_string", s))
    }

    /// `StaticClass.add_multiple(a, b, c, d, e)`: the sum of five integers (a static method).
    pub fn add_multiple(&self, a: i32, b: i32, c: i32, d: i32, e: i32) -> Result<i32> {
        self.client
            .request32("invoke", (STATIC, "add_multiple", a, b, c, d, e))
    }

    /// `StaticClass.concatenate(a, b, c, d, e)`: `a + b + c`, then `e` appended if `d`.
    pub fn concatenate(&self, a: &str, b: &str, c: &str, d: bool, e: &str) -> Result<String> {
        self.client
            .request32("invoke", (STATIC, "concatenate", a, b, c, d, e))
    }

    /// The full names of the classes in the assembly, e.g. `DotNetMSL.BasicMath`.
    pub fn class_names(&self) -> Result<Vec<String>> {
        let names: Vec<Value> = self.client.request32("class_names", ())?;
        names
            .into_iter()
            .map(|v| match v {
                Value::Str(s) => Ok(s),
                other => Err(loadlib::Error::ReplyType {
                    expected: "str".into(),
                    got: other.type_name(),
                }),
            })
            .collect()
    }
}

fn main() -> Result<()> {
    let net = DotNet::new()?;
    println!(
        "server32 pid {} is a {}-bit process hosting Mono",
        net.client().server_pid(),
        net.client().server_pointer_width()
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
    match net.divide_integers(1, 0) {
        Err(e) => println!("divide_integers(1, 0) -> {e}"),
        Ok(v) => println!("divide_integers(1, 0) unexpectedly returned {v}"),
    }
    let out = net.client.shutdown_server32()?;
    println!("server exited: {}", out.status);
    Ok(())
}
