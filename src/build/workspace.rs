//! Whether the program's own workspace builds a binary under a server's name for 64 bits:
//! a workspace-wide `cargo build` would then put a 64-bit program where the 32-bit server
//! goes, next to the program, every time.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::json::{self, Json};

/// A binary of a workspace member that a 64-bit build of the workspace makes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct HostBinary {
    /// The binary's name.
    pub bin: String,
    /// Its package.
    pub package: String,
    /// The package's `Cargo.toml`.
    pub manifest: PathBuf,
}

/// The binaries named in `names` that members of the workspace of `manifest_dir` build
/// by default (no `required-features`), read from `cargo metadata` (run by `cmd`, a cargo
/// command without arguments). Empty when cargo
/// cannot say (the check is then skipped: the client still refuses a 64-bit server at
/// start).
pub(super) fn host_binaries(
    mut cmd: Command,
    manifest_dir: &Path,
    names: &[&str],
) -> Vec<HostBinary> {
    cmd.args([
        "metadata",
        "--no-deps",
        "--format-version",
        "1",
        "--offline",
    ])
    .arg("--manifest-path")
    .arg(manifest_dir.join("Cargo.toml"));
    match cmd.output() {
        Ok(out) if out.status.success() => find(&String::from_utf8_lossy(&out.stdout), names),
        _ => Vec::new(),
    }
}

/// The binaries named in `names` that `cargo metadata --no-deps` output lists without
/// `required-features`.
fn find(metadata: &str, names: &[&str]) -> Vec<HostBinary> {
    let Some(doc) = json::parse(metadata) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    let packages = doc.get("packages").map(Json::items).unwrap_or_default();
    for p in packages {
        let text = |v: &Json, k: &str| v.get(k).and_then(Json::as_str).unwrap_or("").to_owned();
        for t in p.get("targets").map(Json::items).unwrap_or_default() {
            let is_bin = t
                .get("kind")
                .map(Json::items)
                .unwrap_or_default()
                .iter()
                .any(|k| k.as_str() == Some("bin"));
            let gated = t
                .get("required-features")
                .is_some_and(|f| !f.items().is_empty());
            let name = text(t, "name");
            if is_bin && !gated && names.contains(&name.as_str()) {
                found.push(HostBinary {
                    bin: name,
                    package: text(p, "name"),
                    manifest: PathBuf::from(text(p, "manifest_path")),
                });
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ungated_binary_of_a_member_is_found_and_a_gated_one_is_not() {
        let metadata = r#"{"packages":[
            {"name":"app","manifest_path":"/w/app/Cargo.toml","targets":[
                {"kind":["bin"],"crate_types":["bin"],"name":"app","src_path":"/w/app/src/main.rs"}]},
            {"name":"my-server","manifest_path":"/w/server/Cargo.toml","targets":[
                {"kind":["bin"],"crate_types":["bin"],"name":"my_server","src_path":"/w/server/src/main.rs"},
                {"kind":["bin"],"crate_types":["bin"],"name":"gated","required-features":["bins"],"src_path":"/w/server/src/gated.rs"},
                {"kind":["lib"],"crate_types":["lib"],"name":"my_server_lib","src_path":"/w/server/src/lib.rs"}]}
            ],"workspace_members":[],"version":1}"#;
        assert_eq!(
            find(metadata, &["my_server", "gated", "my_server_lib"]),
            [HostBinary {
                bin: "my_server".into(),
                package: "my-server".into(),
                manifest: "/w/server/Cargo.toml".into(),
            }]
        );
        assert!(find("not json", &["my_server"]).is_empty());
    }
}
