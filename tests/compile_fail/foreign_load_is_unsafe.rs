// Binding a library runs its initialisers and trusts the declarations: `unsafe`.
loadlib::foreign! {
    struct Lib: extern "C" {
        fn add(a: i32, b: i32) -> i32;
    }
}

fn main() {
    let lib = Lib::load("libm.so.6").unwrap();
    let _ = lib.add(1, 2);
}
