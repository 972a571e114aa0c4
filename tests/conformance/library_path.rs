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
