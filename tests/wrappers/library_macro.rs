//! `library!`: a library's functions declared once, looked up together (each missing one
//! reported by name) and called through typed functions.

use loadlib::server::{ErrorKind, Kwargs, Server32};
use server32::wrappers::cpp::CppServer;
use server32::wrappers::testlib::LIBRARY_PATH;

loadlib::library! {
    /// Two functions the test library has and two it has not.
    struct Partly: extern "C" {
        fn add(a: i32, b: i32) -> i32;
        fn no_such_function(x: f64) -> f64;
        fn sum_f64(x: *const f64, n: i32) -> f64;
        fn nor_this_one();
    }
}

loadlib::library! {
    /// What the test library has.
    struct Present: extern "system" {
        fn add(a: i32, b: i32) -> i32;
        fn sum_f64(x: *const f64, n: i32) -> f64;
    }
}

#[test]
fn declared_functions_are_called_through_typed_functions() {
    // SAFETY: the test library's initialisers are harmless; the declarations are its
    // signatures (`extern "system"` is the C convention outside 32-bit Windows).
    let lib = unsafe { Present::load(LIBRARY_PATH) }.unwrap();
    // SAFETY: plain integers.
    assert_eq!(unsafe { lib.add(40, 2) }, 42);
    let x = [1.0, 2.0, 3.5];
    // SAFETY: `x` holds 3 doubles.
    assert_eq!(unsafe { lib.sum_f64(x.as_ptr(), 3) }, 6.5);
    assert_eq!(lib.library().path(), LIBRARY_PATH);
}

#[test]
fn every_missing_function_is_named() {
    // SAFETY: as above; loading fails before any call.
    let err = unsafe { Partly::load(LIBRARY_PATH) }
        .err()
        .expect("two are missing");
    assert_eq!(err.kind(), ErrorKind::LibraryError);
    assert!(
        err.message.ends_with(
            "lacks 2 of the functions `Partly` declares: no_such_function, nor_this_one"
        ),
        "{}",
        err.message
    );
}

#[test]
fn a_missing_file_is_a_library_error_naming_it() {
    // SAFETY: nothing is loaded.
    let err = unsafe { Present::load("/nonexistent/libvendor.so") }
        .err()
        .unwrap();
    assert_eq!(err.kind(), ErrorKind::LibraryError);
    assert!(
        err.message.contains("/nonexistent/libvendor.so"),
        "{}",
        err.message
    );
}

#[test]
fn a_wrapper_pointed_at_the_wrong_library_names_what_it_lacks() {
    let mut kwargs = Kwargs::default();
    kwargs.0.insert("lib".into(), LIBRARY_PATH.into());
    let err = CppServer::new(&kwargs)
        .err()
        .expect("the test library is not cpp_lib32");
    assert_eq!(err.kind(), ErrorKind::LibraryError);
    for f in ["subtract", "reverse_string_v1", "distance_n_points"] {
        assert!(err.message.contains(f), "{}", err.message);
    }
    assert!(!err.message.contains("free_string"), "{}", err.message);
}
