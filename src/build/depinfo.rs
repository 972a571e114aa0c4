//! `cargo:rerun-if-changed` lines for a built binary's sources, read from the dep-info
//! file (`NAME.d`) cargo writes next to it.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The source files a dep-info file lists for its target (the first rule).
pub(super) fn parse(text: &str) -> Vec<PathBuf> {
    let Some(line) = text.lines().next() else {
        return Vec::new();
    };
    let Some(i) = line.find(": ") else {
        return Vec::new();
    };
    let mut files = Vec::new();
    let mut current = String::new();
    let mut chars = line[i + 2..].chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            // Make escapes a space in a path as `\ `.
            '\\' if chars.peek() == Some(&' ') => {
                current.push(' ');
                chars.next();
            }
            ' ' => {
                if !current.is_empty() {
                    files.push(PathBuf::from(std::mem::take(&mut current)));
                }
            }
            c => current.push(c),
        }
    }
    if !current.is_empty() {
        files.push(PathBuf::from(current));
    }
    files
}

/// The files whose change should rebuild the server: its sources outside `skip`
/// (the registry, the nested target directory), and the `Cargo.toml` and `build.rs` of
/// each package they belong to.
pub(super) fn watched(sources: &[PathBuf], skip: &[&Path]) -> BTreeSet<PathBuf> {
    let mut out = BTreeSet::new();
    for src in sources {
        if skip.iter().any(|s| src.starts_with(s)) {
            continue;
        }
        out.insert(src.clone());
        if let Some(pkg) = src
            .ancestors()
            .skip(1)
            .find(|d| d.join("Cargo.toml").is_file())
        {
            out.insert(pkg.join("Cargo.toml"));
            let build = pkg.join("build.rs");
            if build.is_file() {
                out.insert(build);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_rule_is_parsed_with_escaped_spaces() {
        let d = "/t/debug/my_server: /src/main.rs /a\\ b/lib.rs /reg/x.rs\n\n/src/main.rs:\n";
        assert_eq!(
            parse(d),
            [
                PathBuf::from("/src/main.rs"),
                PathBuf::from("/a b/lib.rs"),
                PathBuf::from("/reg/x.rs")
            ]
        );
        assert!(parse("").is_empty());
    }

    #[test]
    fn registry_sources_are_skipped_and_manifests_added() {
        let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
        let lib = crate_dir.join("src/lib.rs");
        let registry = PathBuf::from("/home/u/.cargo/registry/src/x/lib.rs");
        let w = watched(&[lib.clone(), registry], &[Path::new("/home/u/.cargo")]);
        // This crate's build script (which embeds the prebuilt server) is watched too.
        let expected: BTreeSet<PathBuf> = [
            lib,
            crate_dir.join("Cargo.toml"),
            crate_dir.join("build.rs"),
        ]
        .into();
        assert_eq!(w, expected);
    }
}
