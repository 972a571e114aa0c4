//! Another local user can neither read nor drive a bridge: every segment is 0600 and the
//! file-transport directory 0700, owned by the client's user; a server refuses a segment
//! that is not its parent's, or whose owner or mode is wrong.
#![cfg(target_os = "linux")] // Windows: see `security_unix_owners_and_modes` in main.rs

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use loadlib::{Array, Client64, ServerExe, Transport};
use server32::wrappers::echo::EchoClient;
use server32::wrappers::testlib::TestLibClient;

use crate::common::{self, echo};

/// An unprivileged user to try things as (when the tests run as root).
const NOBODY: u32 = 65534;

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

fn my_uid() -> u32 {
    // SAFETY: as above.
    unsafe { libc::geteuid() }
}

fn shm_path(name: &str) -> PathBuf {
    Path::new("/dev/shm").join(name.trim_start_matches('/'))
}

#[test]
fn main_bulk_and_shared_array_segments_are_owner_only() {
    let client = TestLibClient::start(Client64::builder("testlib")).unwrap();
    let base = client.client64().unwrap().segment_name().to_owned();
    // A large array makes both bulk segments; a shared array makes its own segment.
    let big: Vec<f64> = vec![0.5; 4 << 20];
    let scaled = client.scalar_multiply(2.0, &big).unwrap();
    assert_eq!(scaled[(4 << 20) - 1], 1.0);
    let mut x = client.alloc_array::<f64>(&[1000]).unwrap();
    x.fill(2.0);
    assert_eq!(client.sum(&x).unwrap(), 2000.0);

    let names = common::shm_entries(&base);
    let kinds: Vec<char> = names
        .iter()
        .filter_map(|n| n.rsplit('-').next()?.chars().next())
        .collect();
    assert_eq!(names.len(), 4, "{names:?}");
    for kind in ['q', 'p', 'a'] {
        assert!(kinds.contains(&kind), "no `{kind}` segment in {names:?}");
    }
    for n in &names {
        let meta = std::fs::metadata(shm_path(n)).unwrap();
        assert_eq!(meta.mode() & 0o7777, 0o600, "{n}");
        assert_eq!(meta.uid(), my_uid(), "{n}");
    }
}

#[test]
fn the_file_transport_directory_is_owner_only() {
    let client = EchoClient::start(Client64::builder("echo").transport(Transport::File)).unwrap();
    let back: Array = echo(&client, &[1u8, 2, 3][..]).unwrap();
    assert_eq!(back.as_slice::<u8>(), Some(&[1u8, 2, 3][..]));
    let name = client.client64().unwrap().segment_name();
    let dir = std::env::temp_dir().join(name.trim_start_matches('/'));
    let meta = std::fs::metadata(&dir).unwrap();
    assert!(meta.is_dir());
    assert_eq!(meta.mode() & 0o7777, 0o700, "{}", dir.display());
    assert_eq!(meta.uid(), my_uid());
    // Each message's file is created 0600 and removed once read: after a call the
    // directory is empty.
    let left: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn another_user_can_open_neither_the_segment_nor_the_directory() {
    if !is_root() {
        eprintln!("skipped: needs root to act as another user");
        return;
    }
    use std::os::unix::process::CommandExt;
    for transport in [Transport::SharedMemory, Transport::File] {
        let client =
            EchoClient::start(Client64::builder("echo").transport(transport.clone())).unwrap();
        let name = client.client64().unwrap().segment_name().to_owned();
        let dir = std::env::temp_dir().join(name.trim_start_matches('/'));
        let as_nobody = |cmd: &str| {
            Command::new("sh")
                .args(["-c", cmd])
                .uid(NOBODY)
                .gid(NOBODY)
                .output()
                .unwrap()
        };
        let read = as_nobody(&format!("head -c 8 {}", shm_path(&name).display()));
        assert!(
            !read.status.success(),
            "[{transport:?}] nobody read the segment"
        );
        assert!(
            stderr(&read).contains("Permission denied"),
            "{}",
            stderr(&read)
        );
        // A server run as that user cannot attach either.
        let server = Command::new(ServerExe::Bundled32.path().unwrap())
            .args(["--segment", &name, "--module", "echo"])
            .uid(NOBODY)
            .gid(NOBODY)
            .output()
            .unwrap();
        assert_eq!(server.status.code(), Some(2), "{}", stderr(&server));
        if transport == Transport::File {
            let ls = as_nobody(&format!("ls {}", dir.display()));
            assert!(!ls.status.success(), "nobody listed the file directory");
        }
        assert_eq!(echo::<String>(&client, "ok").unwrap(), "ok");
    }
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Runs `server32` on `segment` with this process as its parent, or through `sh` so
/// that its parent is another process.
fn run_server(segment: &str, via_shell: bool) -> Output {
    let exe = ServerExe::Bundled32.path().unwrap().display().to_string();
    let mut cmd = if via_shell {
        // Not `exec`: sh stays the server's parent.
        let mut c = Command::new("sh");
        c.args(["-c", "\"$0\" \"$@\"; exit $?", &exe]);
        c
    } else {
        Command::new(exe)
    };
    cmd.args(["--segment", segment, "--module", "echo"])
        .output()
        .unwrap()
}

#[test]
fn a_server_started_by_another_process_refuses_the_segment() {
    let client = EchoClient::start(Client64::builder("echo")).unwrap();
    let name = client.client64().unwrap().segment_name().to_owned();
    let out = run_server(&name, true);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains(&format!("belongs to process {}", std::process::id()))
            && err.contains("not to this server's parent"),
        "{err}"
    );
    assert_eq!(echo::<String>(&client, "still mine").unwrap(), "still mine");
}

#[test]
fn a_server_refuses_a_segment_with_a_wrong_mode_or_owner() {
    // Started by this process (the segment's creator), so only the owner and mode checks
    // stand between it and the live client's rings.
    let client = EchoClient::start(Client64::builder("echo")).unwrap();
    let name = client.client64().unwrap().segment_name().to_owned();
    let path = shm_path(&name);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
    let out = run_server(&name, false);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("mode 640; refusing it"),
        "{}",
        stderr(&out)
    );

    if is_root() {
        std::os::unix::fs::chown(&path, Some(NOBODY), None).unwrap();
        let out = run_server(&name, false);
        std::os::unix::fs::chown(&path, Some(0), None).unwrap();
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        assert!(
            stderr(&out).contains(&format!("owner {NOBODY}")),
            "{}",
            stderr(&out)
        );
    }
    assert_eq!(echo::<i32>(&client, 5i32).unwrap(), 5);
}
