//! A library whose own dependency sits in another folder loads once that folder is given
//! with `Builder::library_path`, through real 32- and 64-bit servers. This is the case of
//! a vendor DLL that needs the vendor's other DLLs.

use loadlib::Error;
use server32::wrappers::testlib::TestLibClient;

use crate::common::{self, Config};

common::per_config! {
    a_dependency_in_another_folder_is_found_through_library_path: servers;
}

fn a_dependency_in_another_folder_is_found_through_library_path(cfg: &Config) {
    // Without the folder, the loader cannot find the dependency: a library error.
    let client = TestLibClient::new(cfg.start("testlib")).unwrap();
    match client.dep_user_value().unwrap_err() {
        Error::Server32 { name, message, .. } => {
            assert_eq!(name, "LibraryError", "[{}] {message}", cfg.label);
            assert!(
                message.contains("loadlib_dep_user"),
                "[{}] {message}",
                cfg.label
            );
            // The missing dependency is named: by the loader on Linux, from the DLL's
            // import table on Windows (where the loader says only 126).
            let missing = if cfg!(windows) {
                "exists, but a DLL it needs was not found: `loadlib_dep_base.dll`"
            } else {
                "libloadlib_dep_base.so: cannot open shared object file"
            };
            assert!(message.contains(missing), "[{}] {message}", cfg.label);
        }
        other => panic!("[{}] {other}", cfg.label),
    }
    let dir: String = client.dep_base_dir().unwrap();
    drop(client);

    let client = TestLibClient::start(cfg.builder("testlib").library_path(&dir)).unwrap();
    assert_eq!(
        client.dep_user_value().unwrap(),
        43,
        "[{}] dependency in {dir}",
        cfg.label
    );
}

/// A DLL whose initialisation fails (as a LabVIEW-built DLL's does without the LabVIEW
/// Run-Time Engine) is an error that says what it probably needs, not just 1114.
#[test]
#[cfg(windows)]
fn a_dll_whose_initialisation_fails_names_the_run_time_it_needs() {
    use loadlib::foreign::{Convention, ForeignLibrary};
    let dll = server32::paths::INIT_FAILS_LIB_32.expect("built for Windows targets");
    // SAFETY: the DLL's initialisation only returns FALSE (csrc/init_fails.c).
    let err = unsafe { ForeignLibrary::load(dll, Convention::C, Vec::new()) }
        .err()
        .expect("its initialisation fails");
    let message = err.to_string();
    assert!(message.contains("init_fails.dll"), "{message}");
    assert!(message.contains("(os error 1114)"), "{message}");
    assert!(
        message.contains(
            "its initialisation (DllMain) failed. It is a LabVIEW-built DLL: it needs the \
             LabVIEW Run-Time Engine (32-bit)"
        ),
        "{message}"
    );
}
