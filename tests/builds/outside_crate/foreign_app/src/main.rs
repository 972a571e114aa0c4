//! A user's program that calls every function of two 32-bit libraries, the C++ and the
//! Fortran example libraries (their paths in `CPP_LIB32` and `FORTRAN_LIB32`), declared
//! with `loadlib::foreign!` alone, through the server embedded in loadlib. It prints each
//! result, and which server ran.

use loadlib::foreign::Logical;
use loadlib::{foreign, CStruct, ServerExe};

#[derive(CStruct, Clone, Copy)]
#[repr(C)]
struct Point {
    x: f64,
    y: f64,
}

#[derive(CStruct, Clone, Copy)]
#[repr(C)]
struct FourPoints {
    points: [Point; 4],
}

#[derive(CStruct)]
#[repr(C)]
struct NPoints<'a> {
    n: i32,
    points: &'a [Point],
}

foreign! {
    struct Cpp: extern "C" {
        fn add(a: i32, b: i32) -> i32;
        fn subtract(a: f32, b: f32) -> f32;
        fn add_or_subtract(a: f64, b: f64, do_addition: bool) -> f64;
        fn scalar_multiply(a: f64, #[len(n)] xin: *const f64, n: i32, #[out] #[len(n)] xout: *mut f64);
        fn reverse_string_v1(#[len(n)] original: *const c_char, n: i32, #[out] #[len(n + 1)] reversed: *mut c_char);
        #[returns_len(n)]
        fn reverse_string_v2(#[len(n)] original: *const c_char, n: i32) -> *mut c_char;
        fn distance_4_points(p: FourPoints) -> f64;
        fn distance_n_points(p: NPoints) -> f64;
    }
}

foreign! {
    struct Fortran: extern "C" {
        fn sum_8bit(a: &i8, b: &i8) -> i8;
        fn sum_16bit(a: &i16, b: &i16) -> i16;
        fn sum_32bit(a: &i32, b: &i32) -> i32;
        fn sum_64bit(a: &i64, b: &i64) -> i64;
        fn multiply_float32(a: &f32, b: &f32) -> f32;
        fn multiply_float64(a: &f64, b: &f64) -> f64;
        fn is_positive(a: &f64) -> Logical;
        fn add_or_subtract(a: &i32, b: &i32, do_addition: &Logical) -> i32;
        fn factorial(n: &i8) -> f64;
        fn standard_deviation(#[len(n)] a: &[f64], n: &i32) -> f64;
        fn besselj0(x: &f64) -> f64;
        fn reverse_string(#[len(n)] original: *const c_char, n: &i32, #[out] #[len(n + 1)] reversed: *mut c_char);
        fn add_1d_arrays(#[out] #[len(n)] out: &mut [f64], #[len(n)] in1: &[f64], #[len(n)] in2: &[f64], n: &i32);
        fn matrix_multiply(
            #[out] #[len(r1 * c2)] out: &mut [f64],
            #[len(r1 * c1)] a1: &[f64], r1: &i32, c1: &i32,
            #[len(r2 * c2)] a2: &[f64], r2: &i32, c2: &i32,
        );
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes.split(|&b| b == 0).next().unwrap_or(&[])).into_owned()
}

fn main() -> Result<(), loadlib::Error> {
    let var = |v: &str| std::env::var(v).unwrap_or_else(|_| panic!("{v}: a 32-bit library"));
    // SAFETY: the declarations are the libraries' true signatures.
    let (c, f) = unsafe { (Cpp::load(var("CPP_LIB32"))?, Fortran::load(var("FORTRAN_LIB32"))?) };

    println!("add={}", c.add(3, 14)?);
    println!("subtract={}", c.subtract(43.5, 3.25)?);
    println!(
        "add_or_subtract={},{}",
        c.add_or_subtract(10.0, 5.5, true)?,
        c.add_or_subtract(10.0, 5.5, false)?
    );
    let (x, mut y) = ([1.0, 2.0, 3.0], [0.0; 3]);
    c.scalar_multiply(2.0, &x, 3, &mut y)?;
    println!("scalar_multiply={y:?}");
    let mut rev = [0u8; 12];
    c.reverse_string_v1("New Zealand", 11, &mut rev[..])?;
    let v2 = c.reverse_string_v2("New Zealand", 11)?.unwrap_or_default();
    let v2: Vec<u8> = v2.iter().map(|&b| b as u8).collect();
    println!("reverse_string={},{}", text(&rev), text(&v2));
    let p = |x, y| Point { x, y };
    let square = FourPoints {
        points: [p(0.0, 0.0), p(0.0, 1.0), p(1.0, 1.0), p(1.0, 0.0)],
    };
    let triangle = [p(0.0, 0.0), p(3.0, 0.0), p(3.0, 4.0)];
    println!(
        "distance={},{}",
        c.distance_4_points(square)?,
        c.distance_n_points(NPoints {
            n: 3,
            points: &triangle
        })?
    );

    println!(
        "sums={},{},{},{}",
        f.sum_8bit(-50, 110)?,
        f.sum_16bit(i16::MAX, -1)?,
        f.sum_32bit(123456788, 1)?,
        f.sum_64bit(-(1 << 62), 1)?
    );
    println!(
        "products={},{:e}",
        f.multiply_float32(40.0, 2.5)?,
        f.multiply_float64(1e100, 1e200)?
    );
    println!(
        "logicals={},{},{},{}",
        f.is_positive(1.0)?.get(),
        f.is_positive(-1.0)?.get(),
        f.add_or_subtract(1000, 2000, Logical(true))?,
        f.add_or_subtract(1000, 2000, Logical(false))?
    );
    let data: Vec<f64> = (1..=10).map(f64::from).collect();
    println!(
        "factorial={} standard_deviation={:.12} besselj0={:.12}",
        f.factorial(10)?,
        f.standard_deviation(&data, 10)?,
        f.besselj0(8.0)?
    );
    let mut rev = [0u8; 8];
    f.reverse_string("Fortran", 7, &mut rev[..])?;
    let mut sum = [0.0; 3];
    f.add_1d_arrays(&mut sum, &[1.0, 2.0, 3.0], &[10.0, 20.0, 30.0], 3)?;
    let mut m = [0.0; 4];
    let (a1, a2) = ([1.0, 4.0, 2.0, 5.0, 3.0, 6.0], [1.0, 3.0, 5.0, 2.0, 4.0, 6.0]);
    f.matrix_multiply(&mut m, &a1, 2, 3, &a2, 3, 2)?;
    println!("reverse={} add_1d={sum:?} matrix={m:?}", text(&rev));

    println!(
        "server_bits={}",
        c.library().client().server_pointer_width()
    );
    println!("server={}", ServerExe::Bundled32.path()?.display());
    Ok(())
}
