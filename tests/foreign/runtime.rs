//! The run-time form of foreign calls: declarations as data, arguments as values.

use loadlib::foreign::{CType, Convention, Dir, ForeignLibrary, FunctionDecl, Len, Param, Ret};
use loadlib::{ArrayMut, Value};
use std::sync::Arc;

use crate::common::{self, Config};

common::per_config! {
    the_cpp_library_through_declarations_as_data: shm;
    a_returned_string_longer_than_the_ring_comes_back_whole: shm;
}

/// The C library of the server's platform, which has `strchr`.
const LIBC: &str = if cfg!(windows) {
    "msvcrt.dll"
} else {
    "libc.so.6"
};

fn a_returned_string_longer_than_the_ring_comes_back_whole(cfg: &Config) {
    let client = Arc::new(cfg.start("foreign"));
    let decls = vec![FunctionDecl::new(
        "strchr",
        vec![Param::str("s"), Param::value("c", CType::I32)],
        Ret::Str,
    )];
    // SAFETY: the C library's `strchr(const char *, int) -> char *`.
    let lib = unsafe { ForeignLibrary::bind(client, LIBC, Convention::C, decls) }.unwrap();
    // The argument goes to the bulk segment; the returned pointer into it is copied
    // into a reply twice as long as the default ring, which travels through the server's
    // bulk segment. Then a short one, through the ring.
    for (len, at) in [(300_000usize, 1_000usize), (64, 10), (1_500_000, 7)] {
        let s: String = (0..len).map(|i| (b'a' + (i % 23) as u8) as char).collect();
        let c = s.as_bytes()[at] as i32;
        let first = s.find(s.as_bytes()[at] as char).unwrap();
        let got = lib.call("strchr", (s.as_str(), c)).unwrap();
        let Value::Str(got) = got else {
            panic!("[{}] not a string: {got}", cfg.label)
        };
        assert_eq!(got.len(), len - first, "[{}]", cfg.label);
        assert_eq!(got, s[first..], "[{}]", cfg.label);
    }
}

fn the_cpp_library_through_declarations_as_data(cfg: &Config) {
    let client = Arc::new(cfg.start("foreign"));
    let decls = vec![
        FunctionDecl::new(
            "add",
            vec![Param::value("a", CType::I32), Param::value("b", CType::I32)],
            Ret::Value(CType::I32),
        ),
        FunctionDecl::new(
            "subtract",
            vec![Param::value("a", CType::F32), Param::value("b", CType::F32)],
            Ret::Value(CType::F32),
        ),
        FunctionDecl::new(
            "add_or_subtract",
            vec![
                Param::value("a", CType::F64),
                Param::value("b", CType::F64),
                Param::value("d", CType::Bool),
            ],
            Ret::Value(CType::F64),
        ),
        FunctionDecl::new(
            "scalar_multiply",
            vec![
                Param::value("a", CType::F64),
                Param::array("xin", CType::F64, Dir::In, Len::Param(2)),
                Param::value("n", CType::I32),
                Param::array("xout", CType::F64, Dir::Out, Len::Param(2)),
            ],
            Ret::Void,
        ),
    ];
    // SAFETY: the bundled library, declared as defined in csrc/cpp_lib32.cpp.
    let lib =
        unsafe { ForeignLibrary::bind(client, cfg.library("cpp"), Convention::C, decls) }.unwrap();
    assert_eq!(lib.call("add", (3, 14)).unwrap(), Value::I32(17));
    assert_eq!(
        lib.call("subtract", (43.5f32, 3.25f32)).unwrap(),
        Value::F32(40.25)
    );
    assert_eq!(
        lib.call("add_or_subtract", (10.0, 5.5, false)).unwrap(),
        Value::F64(4.5)
    );
    let x = vec![1.0, 2.0, 3.0];
    let mut y = vec![0.0; 3];
    lib.call(
        "scalar_multiply",
        &[
            2.0.into(),
            (&x).into(),
            3.into(),
            loadlib::ValueRef::ArrayMut(ArrayMut::output(&mut y[..])),
        ][..],
    )
    .unwrap();
    assert_eq!(y, [2.0, 4.0, 6.0]);
}
