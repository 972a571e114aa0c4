//! Binding errors and crashes.

use super::*;

fn missing_symbols(cfg: &Config) {
    let bits = cfg.width;
    // SAFETY: the bundled library; binding fails before anything is called.
    let err = match unsafe { Missing::load_with(builder(bits), path(bits)) } {
        Ok(_) => panic!("bound functions the library does not have"),
        Err(e) => e.to_string(),
    };
    assert!(err.contains("`no_such_function`"), "{err}");
    assert!(err.contains("`nor_this_one`"), "{err}");
    assert!(!err.contains("`add_i32`"), "{err}");
    assert!(err.contains("foreign_abi"), "names the library: {err}");
    // A library that does not exist.
    // SAFETY: nothing is loaded.
    let err = match unsafe { AbiLib::load_with(builder(bits), "no_such_library_here") } {
        Ok(_) => panic!("loaded a library that does not exist"),
        Err(e) => e.to_string(),
    };
    assert!(err.contains("no_such_library_here"), "{err}");
}

fn crash_then_reload(cfg: &Config) {
    let bits = cfg.width;
    let lib = load(bits);
    assert_eq!(lib.add_i32(1, 1).unwrap(), 2);
    let err = lib.crash(0).unwrap_err();
    common::assert_access_violation(&err, &format!("{bits}-bit"));
    assert!(
        lib.add_i32(1, 1).is_err(),
        "the crashed server answers no more"
    );
    let again = load(bits);
    assert_eq!(again.add_i32(20, 22).unwrap(), 42);
    assert_eq!(again.make_idl(1).unwrap(), Idl::make(1));
}

common::per_config! {
    missing_symbols: shm;
    crash_then_reload: shm;
}
