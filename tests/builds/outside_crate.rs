//! A crate outside this repository uses loadlib as a user would: its build script
//! builds its own 32-bit server with `loadlib::build`, and its program finds the server
//! next to itself. Once with loadlib by path, once with the crate `cargo package` makes.
//! And a program that only makes foreign calls depends on the packaged crate with the
//! prebuilt server a release adds, and needs nothing else.
//!
//! The fixtures are in `tests/builds/outside_crate/` (`Cargo.toml.in` with `@LOADLIB@`
//! for loadlib's path). The builds take minutes, so the tests are not part of the default
//! run: CI runs them in a step of its own
//! (`cargo test --test builds outside_crate -- --ignored`). Linux only: it runs cargo,
//! which a Windows program under Wine does not have (see `outside_crate_with_cargo` in
//! main.rs).
#![cfg(unix)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/builds/outside_crate");

/// cargo, without the settings cargo gave this test (they are for this package).
fn cargo(dir: &Path, target_dir: &Path) -> Command {
    let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    for (k, _) in std::env::vars_os() {
        let k = k.to_string_lossy();
        if k.starts_with("CARGO_") && k != "CARGO_HOME" || k.starts_with("RUSTC_") {
            cmd.env_remove(&*k);
        }
    }
    // The registry's crates are already in cargo's cache: no network.
    cmd.current_dir(dir)
        .env("CARGO_NET_OFFLINE", "true")
        .env("CARGO_TARGET_DIR", target_dir);
    cmd
}

fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Copies a fixture package to `to`, with loadlib's path filled in and this
/// repository's lock file (the same crate versions, all cached).
fn copy_package(name: &str, to: &Path, loadlib: &Path) {
    let from = Path::new(FIXTURES).join(name);
    for file in ["build.rs", "src/main.rs"] {
        if from.join(file).exists() {
            let dst = to.join(file);
            std::fs::create_dir_all(dst.parent().unwrap()).unwrap();
            std::fs::copy(from.join(file), dst).unwrap();
        }
    }
    let manifest = std::fs::read_to_string(from.join("Cargo.toml.in")).unwrap();
    // loadlib's macros sit beside it: in the repository, and in the unpacked packages.
    let macros = match loadlib.join("macros").exists() {
        true => loadlib.join("macros"),
        false => loadlib.with_file_name(format!("loadlib-macros-{}", env!("CARGO_PKG_VERSION"))),
    };
    let manifest = manifest
        .replace("@LOADLIB@", &loadlib.display().to_string())
        .replace("@LOADLIB_MACROS@", &macros.display().to_string());
    std::fs::write(to.join("Cargo.toml"), manifest).unwrap();
    let lock = Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.lock");
    std::fs::copy(lock, to.join("Cargo.lock")).unwrap();
}

/// Builds and runs the app against `loadlib` and returns what it printed.
fn build_and_run_app(root: &Path, variant: &str, loadlib: &Path) -> String {
    let dir = root.join(variant);
    let _ = std::fs::remove_dir_all(&dir);
    copy_package("app", &dir.join("app"), loadlib);
    copy_package("server", &dir.join("server"), loadlib);
    let out = run(cargo(&dir.join("app"), &root.join("target")).args(["run", "-q"]));
    String::from_utf8(out.stdout).unwrap()
}

fn root() -> PathBuf {
    let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("outside_crate");
    std::fs::create_dir_all(&root).unwrap();
    root
}

const EXPECTED: &str = "add=17 server_bits=32 client_bits=64\n";

/// One test, the two variants in turn: they share a target directory (the
/// registry's crates build once) and the server's place next to the program.
#[test]
#[ignore = "cargo builds of crates outside the repository: minutes; CI runs it in its own step"]
fn a_crate_builds_its_own_server_with_loadlib_build_by_path_and_packaged() {
    let root = root();
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    assert_eq!(build_and_run_app(&root, "by_path", manifest_dir), EXPECTED);
    // The server sits next to the program, where a deployed program finds it too.
    let server = root.join("target/debug/outside_server");
    let head = std::fs::read(&server).unwrap();
    assert_eq!(
        &head[..5],
        b"\x7fELF\x01",
        "{} is a 32-bit ELF",
        server.display()
    );

    assert_a_server_in_the_apps_workspace_is_refused(&root, manifest_dir);

    let loadlib = package_loadlib(&root);
    // The packaged crate's build script runs no other program (it only embeds a
    // prebuilt server, if the package has one): depending on it builds loadlib alone.
    let build_rs = std::fs::read_to_string(loadlib.join("build.rs")).unwrap();
    assert!(!build_rs.contains("Command"));
    assert!(loadlib.join("src/build/mod.rs").exists());
    assert_eq!(build_and_run_app(&root, "packaged", &loadlib), EXPECTED);
}

/// The same two packages as members of one workspace: a workspace build would build the
/// server for 64 bits and put it where the 32-bit one goes, so `loadlib::build` refuses,
/// before any nested build, naming the package and what to change.
fn assert_a_server_in_the_apps_workspace_is_refused(root: &Path, loadlib: &Path) {
    let dir = root.join("member");
    let _ = std::fs::remove_dir_all(&dir);
    copy_package("app", &dir.join("app"), loadlib);
    copy_package("server", &dir.join("server"), loadlib);
    for p in ["app", "server"] {
        let manifest = dir.join(p).join("Cargo.toml");
        let text = std::fs::read_to_string(&manifest).unwrap();
        let member = text.replace("\n[workspace]\n", "\n");
        assert_ne!(
            member,
            text,
            "{} has its own [workspace]",
            manifest.display()
        );
        std::fs::write(&manifest, member).unwrap();
    }
    std::fs::write(
        dir.join("Cargo.toml"),
        "[workspace]\nmembers = [\"app\", \"server\"]\nresolver = \"2\"\n",
    )
    .unwrap();
    std::fs::rename(dir.join("app/Cargo.lock"), dir.join("Cargo.lock")).unwrap();
    let out = cargo(&dir, &root.join("target"))
        .args(["build", "-p", "outside-app"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains("the binary `outside_server` of package `outside-server` (",)
            && stderr.contains(
                "is built for 64 bits by this workspace (the package is a member and the binary \
             has no `required-features`)"
            ),
        "{stderr}"
    );
    // Refused before the nested build: nothing was built for 32 bits.
    assert!(!stderr.contains("[server]    Compiling"), "{stderr}");
}

/// `cargo package` of loadlib, unpacked: the directory of the crate users download.
fn package_loadlib(root: &Path) -> PathBuf {
    let pkg_target = root.join("package-target");
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    run(cargo(manifest_dir, &pkg_target).args([
        "package",
        "-p",
        "loadlib-macros",
        "-p",
        "loadlib",
        "--no-verify",
        "--allow-dirty",
    ]));
    let version = env!("CARGO_PKG_VERSION");
    let unpacked = root.join("unpacked");
    let _ = std::fs::remove_dir_all(&unpacked);
    std::fs::create_dir_all(&unpacked).unwrap();
    for name in ["loadlib-macros", "loadlib"] {
        let krate = pkg_target.join(format!("package/{name}-{version}.crate"));
        run(Command::new("tar")
            .arg("xzf")
            .arg(&krate)
            .arg("-C")
            .arg(&unpacked));
    }
    // A package's files carry the time stamp it gives them, not the time they changed:
    // stamp them now, or cargo takes the last run's build of them for fresh.
    touch_all(&unpacked);
    unpacked.join(format!("loadlib-{version}"))
}

/// Sets the modification time of every file under `dir` to now.
fn touch_all(dir: &Path) {
    let now = std::time::SystemTime::now();
    for entry in std::fs::read_dir(dir).unwrap().map(Result::unwrap) {
        let path = entry.path();
        if entry.file_type().unwrap().is_dir() {
            touch_all(&path);
        } else {
            let file = std::fs::File::options().append(true).open(&path).unwrap();
            file.set_modified(now).unwrap();
        }
    }
}

/// The generic server the tests' build made (`target/<profile>/loadlib-server`, 32-bit):
/// what a release puts in `prebuilt/`.
fn fresh_generic_server() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe.parent().and_then(Path::parent).unwrap();
    let server = profile_dir.join("loadlib-server");
    let head = std::fs::read(&server).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (built by server32's build script)",
            server.display()
        )
    });
    assert_eq!(
        &head[..5],
        b"\x7fELF\x01",
        "{} is a 32-bit ELF",
        server.display()
    );
    server
}

/// Puts `server` in the unpacked crate `loadlib` as a release does (`.ci/build-prebuilt`):
/// `prebuilt/<name>` (`loadlib-server-i686-unknown-linux-gnu`, or
/// `loadlib-server-i686-pc-windows-gnu.exe`) and its line in `prebuilt/SHA256SUMS`.
/// Returns the sum.
fn add_prebuilt_server(loadlib: &Path, server: &Path, name: &str) -> String {
    let prebuilt = loadlib.join("prebuilt");
    let _ = std::fs::remove_dir_all(&prebuilt);
    std::fs::create_dir_all(&prebuilt).unwrap();
    std::fs::copy(server, prebuilt.join(name)).unwrap();
    let out = run(Command::new("sha256sum").arg(name).current_dir(&prebuilt));
    std::fs::write(prebuilt.join("SHA256SUMS"), &out.stdout).unwrap();
    let line = String::from_utf8(out.stdout).unwrap();
    line.split_whitespace().next().unwrap().to_owned()
}

/// Every folder under `dir` whose name starts with `i686-` (a 32-bit build's).
fn i686_dirs(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().map(Result::unwrap) {
        let path = entry.path();
        if entry.file_type().unwrap().is_dir() {
            if entry.file_name().to_string_lossy().starts_with("i686-") {
                found.push(path);
            } else {
                found.extend(i686_dirs(&path));
            }
        }
    }
    found
}

/// What the foreign app prints for the bundled C++ and Fortran libraries (the original
/// tool's values), before the line naming its server.
const FOREIGN_EXPECTED: &str = "add=17
subtract=40.25
add_or_subtract=15.5,4.5
scalar_multiply=[2.0, 4.0, 6.0]
reverse_string=dnalaeZ weN,dnalaeZ weN
distance=4,12
sums=60,32766,123456789,-4611686018427387903
products=100,1e300
logicals=true,false,3000,-1000
factorial=3628800 standard_deviation=3.027650354097 besselj0=0.171650807138
reverse=nartroF add_1d=[11.0, 22.0, 33.0] matrix=[22.0, 49.0, 28.0, 64.0]
server_bits=32
";

/// The user path for foreign calls: the app depends on the packaged loadlib alone (no
/// build script, no server crate) and calls a 32-bit library's functions through the
/// server embedded in loadlib, which nothing built for 32 bits.
#[test]
#[ignore = "cargo builds of crates outside the repository: minutes; CI runs it in its own step"]
fn foreign_calls_need_only_loadlib_and_its_embedded_server() {
    let root = root().join("foreign");
    std::fs::create_dir_all(&root).unwrap();
    let loadlib = package_loadlib(&root);
    let server = fresh_generic_server();
    let sum = add_prebuilt_server(&loadlib, &server, "loadlib-server-i686-unknown-linux-gnu");

    let app = root.join("foreign_app");
    let _ = std::fs::remove_dir_all(&app);
    copy_package("foreign_app", &app, &loadlib);
    let target = root.join("target");
    let build = run(cargo(&app, &target).args(["build", "-v"]));
    let log = String::from_utf8_lossy(&build.stderr);
    // loadlib's build script ran (it embeds the server) ...
    assert!(
        log.contains("build-script-build") && log.contains("/build/loadlib-"),
        "{log}"
    );
    // ... and nothing was built for another target, here or in a nested build.
    assert!(!log.contains("--target") && !log.contains("i686"), "{log}");
    assert_eq!(i686_dirs(&target), Vec::<PathBuf>::new());
    let exe = target.join("debug/foreign-app");
    assert!(!target.join("debug/server32").exists());

    // The embedded server is written to the user's cache folder and started from there.
    let cache = root.join("cache");
    let _ = std::fs::remove_dir_all(&cache);
    let written = cache
        .join("loadlib")
        .join(&sum[..16])
        .join("loadlib-server");
    let expected = format!("{FOREIGN_EXPECTED}server={}\n", written.display());
    for _first_then_reused in 0..2 {
        let out = run(Command::new(&exe)
            .env("CPP_LIB32", server32::paths::library("cpp", 32))
            .env("FORTRAN_LIB32", server32::paths::library("fortran", 32))
            .env("XDG_CACHE_HOME", &cache)
            .env_remove("LOADLIB_SERVER32"));
        assert_eq!(String::from_utf8(out.stdout).unwrap(), expected);
        assert_eq!(
            std::fs::read(&written).unwrap(),
            std::fs::read(&server).unwrap()
        );
    }
}

/// A path as a Windows program under Wine sees it (the host's root is drive `Z:`).
fn wine_path(p: &Path) -> String {
    format!("Z:{}", p.display().to_string().replace('/', "\\"))
}

/// The same app, built for 64-bit Windows against the packaged loadlib with the 32-bit
/// Windows server in its `prebuilt/`, run under Wine: every value of the two libraries
/// (32-bit DLLs built by mingw-w64) through the embedded server.
#[test]
#[ignore = "needs Wine and the mingw-w64 cross compilers (bash .ci/install-wine); .ci/run runs it"]
fn foreign_calls_on_windows_need_only_loadlib_and_its_embedded_server() {
    let root = root().join("foreign_windows");
    std::fs::create_dir_all(&root).unwrap();
    let loadlib = package_loadlib(&root);
    // What a release builds: the generic server for 32-bit Windows. server32's build
    // script makes the example DLLs for that target beside it.
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let server_target = root.join("server-target");
    run(cargo(manifest_dir, &server_target).args([
        "build",
        "-p",
        "server32",
        "--features",
        "bins",
        "--bin",
        "loadlib-server",
        "--target",
        "i686-pc-windows-gnu",
    ]));
    let built = server_target.join("i686-pc-windows-gnu/debug");
    let server = built.join("loadlib-server.exe");
    let out_dir = std::fs::read_dir(built.join("build"))
        .unwrap()
        .map(|e| e.unwrap().path().join("out"))
        .find(|d| d.join("cpp_lib32.dll").exists())
        .expect("server32's build script built the DLLs");
    add_prebuilt_server(&loadlib, &server, "loadlib-server-i686-pc-windows-gnu.exe");

    let app = root.join("foreign_app");
    let _ = std::fs::remove_dir_all(&app);
    copy_package("foreign_app", &app, &loadlib);
    let target = root.join("target");
    run(cargo(&app, &target).args(["build", "--target", "x86_64-pc-windows-gnu"]));
    assert_eq!(i686_dirs(&target), Vec::<PathBuf>::new());
    let exe = target.join("x86_64-pc-windows-gnu/debug/foreign-app.exe");
    for _first_then_reused in 0..2 {
        let out = run(Command::new("wine")
            .arg(&exe)
            .env("WINEDEBUG", "-all")
            .env("CPP_LIB32", wine_path(&out_dir.join("cpp_lib32.dll")))
            .env(
                "FORTRAN_LIB32",
                wine_path(&out_dir.join("fortran_lib32.dll")),
            )
            .env_remove("LOADLIB_SERVER32"));
        let printed = String::from_utf8(out.stdout).unwrap();
        let (values, server) = printed
            .split_once("server=")
            .unwrap_or_else(|| panic!("{printed}"));
        assert_eq!(values, FOREIGN_EXPECTED);
        assert!(
            server.contains("\\loadlib\\") && server.trim_end().ends_with("loadlib-server.exe"),
            "the embedded server's copy ran: {server}"
        );
    }
}
