//! `loadlib::build` says what is wrong before running any build: no package named, not
//! in a build script, a Rust target that is not installed. (What a failed build's output
//! says is missing is checked on sample outputs in `src/build/error.rs`.)

use loadlib::build::{BuildError, ServerBuild};

fn scratch() -> std::path::PathBuf {
    std::env::temp_dir().join(format!("loadlib-build-errors-{}", std::process::id()))
}

#[test]
fn a_server_without_its_package_is_refused() {
    let err = ServerBuild::new("my_server")
        .target("i686-unknown-linux-gnu")
        .dest_dir(scratch())
        .build()
        .unwrap_err();
    assert!(matches!(err, BuildError::Config(_)), "{err:?}");
    assert!(
        err.to_string().contains("ServerBuild::package(..)"),
        "{err}"
    );
}

#[test]
fn outside_a_build_script_the_missing_variable_is_named() {
    // Tests run without the variables cargo gives build scripts.
    assert!(std::env::var_os("TARGET").is_none());
    let err = ServerBuild::new("my_server")
        .package("p")
        .build()
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "TARGET is not set: loadlib::build runs in a build script (or give the target, \
         target directory and destination explicitly)"
    );
}

#[test]
#[cfg(target_os = "linux")] // runs rustc, which a Windows test under Wine has not
fn a_rust_target_that_is_not_installed_names_the_rustup_command() {
    let err = ServerBuild::new("my_server")
        .package("p")
        .target("i586-unknown-linux-gnu")
        .dest_dir(scratch())
        .build()
        .unwrap_err();
    assert!(
        matches!(err, BuildError::MissingRustTarget { .. }),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "the Rust target `i586-unknown-linux-gnu` is not installed: run \
         `rustup target add i586-unknown-linux-gnu`"
    );
}
