//! A library whose own dependency sits in another folder loads once that folder is given
//! with `Builder::library_path`, through real 32- and 64-bit servers. This is the case of
//! a vendor DLL that needs the vendor's other DLLs.

mod common;

use loadlib::Error;

#[test]
fn a_dependency_in_another_folder_is_found_through_library_path() {
    for cfg in common::configs() {
        // Without the folder, the loader cannot find the dependency: a library error.
        let client = cfg.start("testlib");
        match client.call("dep_user_value", ()).unwrap_err() {
            Error::Server32 { name, message, .. } => {
                assert_eq!(name, "LibraryError", "[{}] {message}", cfg.label);
                assert!(
                    message.contains("loadlib_dep_user"),
                    "[{}] {message}",
                    cfg.label
                );
            }
            other => panic!("[{}] {other}", cfg.label),
        }
        let dir: String = client.request32("dep_base_dir", ()).unwrap();
        drop(client);

        let client = cfg.builder("testlib").library_path(&dir).start().unwrap();
        assert_eq!(
            client.request32::<i32>("dep_user_value", ()).unwrap(),
            43,
            "[{}] dependency in {dir}",
            cfg.label
        );
    }
}
