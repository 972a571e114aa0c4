//! The run-time form of foreign calls: declarations as data, arguments as values.

use loadlib::foreign::{CType, Convention, Dir, ForeignLibrary, FunctionDecl, Len, Param, Ret};
use loadlib::{ArrayMut, Value};
use std::sync::Arc;

use crate::common::{self, Config};

common::per_config! {
    the_cpp_library_through_declarations_as_data: shm;
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
