//! The `dotnet` wrapper through the real 32-bit server with its typed client: the bundled
//! C# library, another assembly compiled here with `mcs`, and the errors (.NET exceptions,
//! lookups, arguments, start-up).
#![cfg(target_os = "linux")] // Windows: see `dotnet_through_mono` in main.rs

use std::path::{Path, PathBuf};
use std::process::Command;

use loadlib::{Array, Client64, Error, FromValue, IntoArgs, ServerExe, Value, ValueRef};
use server32::wrappers::dotnet::DotNetClient;

use crate::common::original::{self, ARRAYS, BASIC_MATH, STATIC, STRINGS};
use crate::common::server_error;

fn net() -> DotNetClient {
    DotNetClient::start(Client64::builder("dotnet")).expect("start the dotnet server")
}

fn with_assembly(path: &Path) -> loadlib::Result<DotNetClient> {
    DotNetClient::start(Client64::builder("dotnet").kwarg("assembly", path.display()))
}

/// `class.method(args…)` in the assembly (the typed client's `invoke`), its result
/// converted to `R`.
fn invoke<'a, R: FromValue>(
    net: &DotNetClient,
    class: &str,
    method: &str,
    args: impl IntoArgs<'a>,
) -> loadlib::Result<R> {
    let args = args.into_args();
    let rest: Vec<ValueRef<'_>> = args.as_ref().iter().map(ValueRef::reborrow).collect();
    R::from_value(net.invoke(class, method, rest)?)
}

/// The class names, each checked to be a string.
fn class_names_of(net: &DotNetClient) -> Vec<String> {
    let names = net.class_names().unwrap();
    names
        .into_iter()
        .map(|v| String::from_value(v).unwrap())
        .collect()
}

#[test]
fn basic_math() {
    let net = net();
    assert_eq!(net.client64().unwrap().server_pointer_width(), 32);
    assert_eq!(
        invoke::<i32>(&net, BASIC_MATH, "add_integers", (4, 5)).unwrap(),
        9
    );
    assert_eq!(
        invoke::<i32>(
            &net,
            BASIC_MATH,
            "add_integers",
            (-2_000_000_000, -147_483_648)
        )
        .unwrap(),
        i32::MIN
    );
    assert_eq!(
        invoke::<f32>(&net, BASIC_MATH, "divide_floats", (4.0f32, 5.0f32)).unwrap(),
        0.8f32
    );
    assert_eq!(
        invoke::<f64>(&net, BASIC_MATH, "multiply_doubles", (872.24, 525.525)).unwrap(),
        872.24 * 525.525
    );
    assert_eq!(
        invoke::<f64>(&net, BASIC_MATH, "add_or_subtract", (99.0, 9.0, true)).unwrap(),
        108.0
    );
    assert_eq!(
        invoke::<f64>(&net, BASIC_MATH, "add_or_subtract", (99.0, 9.0, false)).unwrap(),
        90.0
    );
}

#[test]
fn arrays() {
    let net = net();
    let x: Vec<f64> = (0..1000).map(|i| i as f64 * 0.25).collect();
    let y: Vec<f64> = invoke(&net, ARRAYS, "scalar_multiply", (-2.0, &x)).unwrap();
    assert_eq!(y, x.iter().map(|v| -2.0 * v).collect::<Vec<_>>());
    assert_eq!(
        invoke::<Vec<f64>>(&net, ARRAYS, "scalar_multiply", (3.0, &[0.0f64; 0])).unwrap(),
        Vec::<f64>::new()
    );

    let a1 = Array::from_rows(&[vec![1.0, 2.0, 3.0], vec![4.0, 5.0, 6.0]]).unwrap();
    let a2 = Array::from_rows(&[vec![1.0, 2.0], vec![3.0, 4.0], vec![5.0, 6.0]]).unwrap();
    let m: Array = invoke(&net, ARRAYS, "multiply_matrices", (&a1, &a2)).unwrap();
    assert_eq!(m.shape(), &[2, 2]);
    assert_eq!(
        m.to_rows::<f64>().unwrap(),
        vec![vec![22.0, 28.0], vec![49.0, 64.0]]
    );
    let m: Array = invoke(&net, ARRAYS, "multiply_matrices", (&a2, &a1)).unwrap();
    assert_eq!(m.shape(), &[3, 3]);
    assert_eq!(m.as_slice::<f64>().unwrap()[..3], [9.0, 12.0, 15.0]);

    // Shapes that do not multiply: as the original, an empty matrix (and a message on
    // the server's stdout).
    let m: Array = invoke(&net, ARRAYS, "multiply_matrices", (&a1, &a1)).unwrap();
    assert_eq!(m.shape(), &[0, 0]);
}

#[test]
fn the_original_tools_values() {
    original::dotnet(&net());
}

#[test]
fn strings_and_static_methods() {
    let net = net();
    assert_eq!(
        invoke::<String>(&net, STRINGS, "reverse_string", ("New Zealand",)).unwrap(),
        "dnalaeZ weN"
    );
    assert_eq!(
        invoke::<String>(&net, STRINGS, "reverse_string", ("",)).unwrap(),
        ""
    );
    assert_eq!(
        invoke::<String>(&net, STRINGS, "reverse_string", ("añb∑",)).unwrap(),
        "∑bña"
    );
    assert_eq!(
        invoke::<i32>(&net, STATIC, "add_multiple", (11, -22, 33, -44, 55)).unwrap(),
        33
    );
    assert_eq!(
        invoke::<String>(
            &net,
            STATIC,
            "concatenate",
            ("Hello", "World", "!", false, "...")
        )
        .unwrap(),
        "HelloWorld!"
    );
    assert_eq!(
        invoke::<String>(
            &net,
            STATIC,
            "concatenate",
            ("Hello", "World", "!", true, "...")
        )
        .unwrap(),
        "HelloWorld!..."
    );
}

#[test]
fn class_names() {
    let names = class_names_of(&net());
    assert_eq!(
        names,
        [
            "DotNetMSL.BasicMath",
            "DotNetMSL.ArrayManipulation",
            "StringManipulation",
            "StaticClass",
        ]
    );
}

#[test]
fn dotnet_exceptions_become_server_errors() {
    // The bundled library throws nothing of its own (as the original): another assembly.
    let dll = other_assembly();
    let other = with_assembly(&dll).unwrap();
    let (name, message) = server_error(invoke::<i32>(&other, "Counter", "Divide", (1, 0)));
    assert_eq!(name, "DotNetException");
    assert!(
        message.contains("Counter.Divide")
            && message.contains("System.DivideByZeroException")
            && message.contains("Attempted to divide by zero"),
        "{message}"
    );
    assert_eq!(
        invoke::<i32>(&other, "Counter", "Divide", (7, 2)).unwrap(),
        3
    );
    // A null string dereferenced in .NET: a NullReferenceException, not a crash.
    let net = net();
    let r = invoke::<Value>(&net, STRINGS, "reverse_string", ((),));
    let (name, message) = server_error(r);
    assert_eq!(name, "DotNetException");
    assert!(
        message.contains("System.NullReferenceException"),
        "{message}"
    );
    // The server is still serving.
    assert_eq!(
        invoke::<i32>(&net, BASIC_MATH, "add_integers", (7, 2)).unwrap(),
        9
    );
}

#[test]
fn lookup_and_argument_errors() {
    let net = net();
    let c = &net;
    let (name, message) = server_error(invoke::<Value>(c, "DotNetMSL.BasicMath", "nope", (1i32,)));
    assert_eq!(name, "MethodNotFound");
    assert!(
        message.contains("`nope`") && message.contains("add_integers"),
        "{message}"
    );

    let (name, message) = server_error(invoke::<Value>(c, "DotNetMSL.Missing", "f", ()));
    assert_eq!(name, "ClassNotFound");
    assert!(message.contains("DotNetMSL.BasicMath"), "{message}");

    let (name, message) = server_error(invoke::<Value>(
        c,
        "DotNetMSL.BasicMath",
        "add_integers",
        (1i32,),
    ));
    assert_eq!(name, "TypeError");
    assert!(
        message.contains("takes [2] argument(s), not 1"),
        "{message}"
    );

    let (name, message) = server_error(invoke::<Value>(
        c,
        "DotNetMSL.BasicMath",
        "add_integers",
        ("4", 5i32),
    ));
    assert_eq!(name, "TypeError");
    assert!(
        message.contains("argument 1") && message.contains("got str"),
        "{message}"
    );

    let (name, message) = server_error(invoke::<Value>(
        c,
        "DotNetMSL.BasicMath",
        "add_integers",
        (1i64 << 31, 5i32),
    ));
    assert_eq!(name, "TypeError", "{message}");
    let big = 3_000_000_000i64;
    let (name, _) = server_error(invoke::<Value>(
        c,
        "DotNetMSL.BasicMath",
        "add_integers",
        (big, 5i32),
    ));
    assert_eq!(name, "TypeError");

    // Lossless conversions are accepted: i64 to int, i32 to double, exact f64 to float.
    let sum: i32 = invoke(c, "DotNetMSL.BasicMath", "add_integers", (4i64, 5u8)).unwrap();
    assert_eq!(sum, 9);
    let p: f64 = invoke(c, "DotNetMSL.BasicMath", "multiply_doubles", (6i32, 7i32)).unwrap();
    assert_eq!(p, 42.0);
    let q: f32 = invoke(c, "DotNetMSL.BasicMath", "divide_floats", (1.0f64, 4.0f64)).unwrap();
    assert_eq!(q, 0.25);
    let (name, _) = server_error(invoke::<Value>(
        c,
        "DotNetMSL.BasicMath",
        "divide_floats",
        (0.1f64, 4.0f64),
    ));
    assert_eq!(name, "TypeError");

    // Arrays must have the parameter's element type and rank.
    let (name, message) = server_error(invoke::<Value>(
        c,
        "DotNetMSL.ArrayManipulation",
        "scalar_multiply",
        (2.0, &[1i32, 2][..]),
    ));
    assert_eq!(name, "TypeError");
    assert!(message.contains("1-D array of System.Double"), "{message}");
    let flat = [1.0f64; 4];
    let (name, _) = server_error(invoke::<Value>(
        c,
        "DotNetMSL.ArrayManipulation",
        "multiply_matrices",
        (&flat[..], &flat[..]),
    ));
    assert_eq!(name, "TypeError");

    // Static classes have no instance.
    let (name, message) = server_error(invoke::<Value>(c, "StaticClass", "ToString", ()));
    assert_eq!(name, "TypeError");
    assert!(message.contains("only its static methods"), "{message}");
}

fn startup_stderr(r: loadlib::Result<Client64>) -> String {
    match r {
        Err(Error::StartupFailed { stderr, .. }) => stderr,
        Err(other) => panic!("expected StartupFailed, got {other}"),
        Ok(_) => panic!("expected StartupFailed, the server started"),
    }
}

#[test]
fn bad_assembly_path_fails_at_startup() {
    let path = "/no/such/dir/missing_assembly.dll";
    let stderr = startup_stderr(Client64::builder("dotnet").kwarg("assembly", path).start());
    assert!(
        stderr.contains(path) && stderr.contains("does not exist"),
        "{stderr}"
    );

    // A file that is not a .NET assembly.
    let not_dll = concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml");
    let stderr = startup_stderr(
        Client64::builder("dotnet")
            .kwarg("assembly", not_dll)
            .start(),
    );
    assert!(
        stderr.contains(not_dll) && stderr.contains("cannot load"),
        "{stderr}"
    );

    let stderr = startup_stderr(Client64::builder("dotnet").kwarg("colour", "red").start());
    assert!(
        stderr.contains("unknown keyword argument `colour`"),
        "{stderr}"
    );
}

#[test]
fn the_64_bit_server_says_it_needs_32_bit_mono() {
    let r = Client64::builder("dotnet")
        .server(ServerExe::Bundled64)
        .start();
    let stderr = startup_stderr(r);
    assert!(stderr.contains("meant for the 32-bit server"), "{stderr}");
}

const OTHER_CS: &str = r#"
using System;
public enum Colour { Red = 1, Green = 2, Blue = 40 }
public class Counter {
    private long count;
    public void Add(long n) { count += n; }
    public long Count() { return count; }
    public static string[] Words(string s) { return s.Split(' '); }
    public static bool IsBlue(Colour c) { return c == Colour.Blue; }
    public static Colour Next(Colour c) { return c == Colour.Red ? Colour.Green : Colour.Blue; }
    public static char First(string s) { return s[0]; }
    public static int[,] Grid(int rows, int cols) {
        int[,] g = new int[rows, cols];
        for (int r = 0; r < rows; r++) for (int c = 0; c < cols; c++) g[r, c] = 10 * r + c;
        return g;
    }
    public static byte[] Bytes(byte[] b) { Array.Reverse(b); return b; }
    public static object[] Mixed() {
        return new object[] { "a", null, new double[] { 1.5 }, true };
    }
    public static int Divide(int a, int b) { return a / b; }
    public static int Twice(int x) { return 2 * x; }
    public static double Twice(double x) { return 2 * x; }
    public static void Squares(double[] a) { for (int i = 0; i < a.Length; i++) a[i] = i * i; }
    public static void Transpose(int[,] m) {
        if (m.GetLength(0) != m.GetLength(1)) throw new ArgumentException("not square");
        for (int r = 0; r < m.GetLength(0); r++)
            for (int c = 0; c < r; c++) { int t = m[r, c]; m[r, c] = m[c, r]; m[c, r] = t; }
    }
    public static T Def<T>() { return default(T); }
    public static T Id<T>(T x) { return x; }
    public static System.Collections.Generic.List<int> L() {
        return new System.Collections.Generic.List<int>();
    }
    public static decimal Dec(decimal d) { return d; }
    public static void Crash() {
        System.Runtime.InteropServices.Marshal.ReadInt32(System.IntPtr.Zero);
    }
    public class Inner { public static string Hello() { return "nested"; } }
}
public class Grumpy {
    public Grumpy() { throw new InvalidOperationException("no thanks"); }
    public int Value() { return 1; }
}
"#;

/// Compiles `OTHER_CS` into a fresh assembly with `mcs`, once for all tests.
fn other_assembly() -> PathBuf {
    static DLL: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    DLL.get_or_init(|| {
        // Under cargo's folder for test files (not removed: another test may load it).
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("dotnet-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (src, dll) = (dir.join("other.cs"), dir.join("other.dll"));
        std::fs::write(&src, OTHER_CS).unwrap();
        let status = Command::new("mcs")
            .arg("-target:library")
            .arg("-nologo")
            .arg(format!("-out:{}", dll.display()))
            .arg(&src)
            .status()
            .expect("run mcs");
        assert!(status.success());
        dll
    })
    .clone()
}

#[test]
fn any_class_library() {
    let dll = other_assembly();
    let net = with_assembly(&dll).unwrap();
    let c = &net;
    assert_eq!(
        class_names_of(&net),
        ["Colour", "Counter", "Counter+Inner", "Grumpy"]
    );
    let inv = |class: &str, method: &str, args: Vec<loadlib::ValueRef<'_>>| -> Value {
        invoke(c, class, method, args).unwrap()
    };
    // The instance is made once and keeps its state; void returns None.
    assert_eq!(inv("Counter", "Add", vec![5i64.into()]), Value::None);
    inv("Counter", "Add", vec![7i32.into()]);
    assert_eq!(inv("Counter", "Count", vec![]), Value::I64(12));
    assert_eq!(
        inv("Counter", "Words", vec!["a bc def".into()]),
        Value::List(vec!["a".into(), "bc".into(), "def".into()])
    );
    assert_eq!(
        inv("Counter", "IsBlue", vec![40i32.into()]),
        Value::Bool(true)
    );
    assert_eq!(inv("Counter", "Next", vec![1i32.into()]), Value::I32(2));
    assert_eq!(
        inv("Counter", "First", vec!["Ωmega".into()]),
        Value::Str("Ω".into())
    );
    let grid: Array =
        loadlib::FromValue::from_value(inv("Counter", "Grid", vec![2i32.into(), 3i32.into()]))
            .unwrap();
    assert_eq!(
        grid.to_rows::<i32>().unwrap(),
        vec![vec![0, 1, 2], vec![10, 11, 12]]
    );
    assert_eq!(
        inv("Counter", "Bytes", vec![loadlib::ValueRef::bytes(b"abc")]),
        Value::Array(Array::from_vec(b"cba".to_vec()))
    );
    assert_eq!(
        inv("Counter", "Mixed", vec![]),
        Value::List(vec![
            "a".into(),
            Value::None,
            Value::Array(Array::from_vec(vec![1.5f64])),
            Value::Bool(true),
        ])
    );
    assert_eq!(
        inv("Counter+Inner", "Hello", vec![]),
        Value::Str("nested".into())
    );
    // Overloads: the one the arguments match exactly, else the first they convert to.
    assert_eq!(inv("Counter", "Twice", vec![21i32.into()]), Value::I32(42));
    assert_eq!(
        inv("Counter", "Twice", vec![2.5f64.into()]),
        Value::F64(5.0)
    );
    assert_eq!(inv("Counter", "Twice", vec![21i64.into()]), Value::I32(42));
    assert_eq!(
        inv("Counter", "Twice", vec![0.5f32.into()]),
        Value::F64(1.0)
    );
    let (name, message) = server_error(invoke::<Value>(c, "Counter", "Twice", ("x",)));
    assert_eq!(name, "TypeError");
    assert!(message.contains("none of the 2 overloads"), "{message}");
    // Writable shared arrays see the .NET method's changes in place.
    let mut squares = c.alloc_array::<f64>(&[5]).unwrap();
    invoke::<Value>(c, "Counter", "Squares", (&mut squares,)).unwrap();
    assert_eq!(squares[..], [0.0, 1.0, 4.0, 9.0, 16.0]);
    let mut m = c.alloc_array::<i32>(&[2, 2]).unwrap();
    m.copy_from_slice(&[1, 2, 3, 4]);
    invoke::<Value>(c, "Counter", "Transpose", (&mut m,)).unwrap();
    assert_eq!(m[..], [1, 3, 2, 4]);
    // Read-only shared arrays are copied in and never written.
    let ro = c.alloc_array::<f64>(&[3]).unwrap();
    invoke::<Value>(c, "Counter", "Squares", (&ro,)).unwrap();
    assert_eq!(ro[..], [0.0; 3]);
    // A constructor that throws.
    let (name, message) = server_error(invoke::<Value>(c, "Grumpy", "Value", ()));
    assert_eq!(name, "DotNetException");
    assert!(
        message.contains("constructor of `Grumpy`") && message.contains("no thanks"),
        "{message}"
    );
    // Returning the object itself is not supported: a TypeError, not a crash.
    let (name, message) = server_error(invoke::<Value>(c, "Counter", "GetType", ()));
    assert_eq!(name, "TypeError", "{message}");
    // What loadlib cannot convert or call gives a TypeError, and .NET faults an exception.
    for (method, arg, name, text) in [
        ("Def", None, "TypeError", "is a generic method"),
        ("Id", Some(1i32), "TypeError", "is a generic method"),
        ("L", None, "TypeError", "System.Collections.Generic.List`1"),
        ("Dec", Some(1i32), "TypeError", "System.Decimal"),
        (
            "Crash",
            None,
            "DotNetException",
            "System.NullReferenceException",
        ),
    ] {
        let args: Vec<loadlib::ValueRef<'_>> =
            arg.map(loadlib::ValueRef::from).into_iter().collect();
        let (n, message) = server_error(invoke::<Value>(c, "Counter", method, args));
        assert_eq!(n, name, "{method}: {message}");
        assert!(message.contains(text), "{method}: {message}");
    }
    assert_eq!(inv("Counter", "Count", vec![]), Value::I64(12));
}

/// Many calls with fresh managed strings and arrays: the garbage collector runs (and
/// moves objects) while arguments and results are in flight.
#[test]
fn many_calls_under_garbage_collection() {
    let net = net();
    let x: Vec<f64> = (0..20_000).map(f64::from).collect();
    for i in 0..300 {
        let s = format!("call number {i} {}", "x".repeat(i));
        let r: String = s.chars().rev().collect();
        assert_eq!(
            invoke::<String>(&net, STRINGS, "reverse_string", (&s,)).unwrap(),
            r
        );
        let y: Vec<f64> = invoke(&net, ARRAYS, "scalar_multiply", (i as f64, &x)).unwrap();
        assert_eq!(y[19_999], 19_999.0 * i as f64);
        assert_eq!(
            invoke::<String>(&net, STATIC, "concatenate", (&s, "-", &s, i % 2 == 0, "!"))
                .unwrap()
                .len(),
            2 * s.len() + 1 + usize::from(i % 2 == 0)
        );
    }
    let big: Vec<f64> = (0..2_000_000).map(|i| i as f64).collect();
    let y: Vec<f64> = invoke(&net, ARRAYS, "scalar_multiply", (0.5, &big)).unwrap();
    assert_eq!(y.len(), big.len());
    assert_eq!(y[1_999_999], 999_999.5);
}
