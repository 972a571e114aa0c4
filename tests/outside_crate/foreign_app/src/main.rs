//! Calls two functions of a 32-bit C++ library (its path in `CPP_LIB32`) through the
//! server embedded in loadlib, and prints the results and which server ran.

use loadlib::foreign::{CType, Convention, Dir, ForeignLibrary, FunctionDecl, Len, Param, Ret};
use loadlib::{ArrayMut, ServerExe, Value};

fn main() -> Result<(), loadlib::Error> {
    let path = std::env::var("CPP_LIB32").expect("CPP_LIB32: the 32-bit library");
    let decls = vec![
        FunctionDecl::new(
            "add",
            vec![Param::value("a", CType::I32), Param::value("b", CType::I32)],
            Ret::Value(CType::I32),
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
    // SAFETY: the declarations are the library's true signatures (cpp_lib32.cpp).
    let lib = unsafe { ForeignLibrary::load(&path, Convention::C, decls) }?;
    let Value::I32(sum) = lib.call("add", (3, 14))? else {
        panic!("add returns an int")
    };
    let x = [1.0, 2.0, 3.0];
    let mut y = [0.0; 3];
    let out = ArrayMut::output(&mut y[..]);
    lib.call("scalar_multiply", &[2.0.into(), (&x[..]).into(), 3.into(), out.into()][..])?;
    println!(
        "add={sum} scalar_multiply={y:?} server_bits={}",
        lib.client().server_pointer_width()
    );
    println!("server={}", ServerExe::Bundled32.path()?.display());
    Ok(())
}
