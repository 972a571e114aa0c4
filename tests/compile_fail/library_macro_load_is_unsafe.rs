// Loading a declared library runs its initialisers and trusts its declarations: `unsafe`.
loadlib::library! {
    struct LibM: extern "C" {
        fn cos(x: f64) -> f64;
    }
}

fn main() {
    let _ = LibM::load("libm.so.6");
}
