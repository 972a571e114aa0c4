// A foreign function's method takes exactly the declared arguments, of the declared
// types.
loadlib::foreign! {
    struct Lib: extern "C" {
        fn add(a: i32, b: i32) -> i32;
        fn scale(k: f64, #[len(n)] x: &[f64], n: i32, #[out] #[len(n)] y: &mut [f64]);
    }
}

fn main() {
    // SAFETY: never run (this must not compile).
    let lib = unsafe { Lib::load("libm.so.6") }.unwrap();
    let _ = lib.add(1);
    let _ = lib.add(1, 2.5);
    let x = [1.0f32; 4];
    let mut y = [0.0f64; 4];
    let _ = lib.scale(2.0, &x, 4, &mut y);
}
