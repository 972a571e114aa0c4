// Declarations the macro refuses, each with a message that says what to write instead.
loadlib::foreign! {
    struct Lib: extern "fastcall" {
        fn f();
    }
}

loadlib::foreign! {
    struct Clash: extern "C" {
        fn load(path: *const c_char) -> i32;
    }
}

loadlib::foreign! {
    struct Long: extern "C" {
        fn labs(x: c_long) -> c_long;
    }
}

loadlib::foreign! {
    struct NotAnArray: extern "C" {
        fn f(#[len(n)] x: f64, n: i32);
    }
}

#[derive(loadlib::CStruct)]
struct NotReprC {
    x: f64,
}

fn main() {}
