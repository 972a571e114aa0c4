//! The client dies under its server, and (on Linux) segments of crashed runs lie in
//! /dev/shm.
//!
//! A killed client is a child process: this test binary re-run with `CHILD_ENV` set, so
//! that `child_client` starts a client, prints its server's pid and segment name, and
//! sleeps until it is killed.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use loadlib::{Client64, Transport};
use server32::wrappers::echo::EchoClient;
use server32::wrappers::testlib::TestLibClient;

use crate::common::{self, Config};

common::per_config! {
    a_client_killed_mid_call_takes_its_server_and_segment_with_it: widths32;
    a_client_killed_mid_call_ends_its_server_while_the_call_still_blocks: widths32;
    an_idle_killed_clients_segment_is_removed_by_its_server: widths32;
    segments_of_a_client_killed_with_its_server_are_swept_by_the_next_start: widths32;
    #[cfg(target_os = "linux")]
    stale_segments_never_stop_a_start_and_only_dead_ones_of_this_user_are_swept: widths32;
}

common::not_on_windows! {
    stale_segment_sweep: "Windows removes a named mapping with its last handle, so a \
        crashed run leaves nothing to sweep";
}

const CHILD_ENV: &str = "LOADLIB_FAULTS_CHILD";
/// How long the busy child's call blocks in the library.
const BUSY_MS: i32 = 4000;
/// A watchdog on waits, far above what they take; not a deadline.
const HANG: Duration = Duration::from_secs(60);

/// The child's part: a client that reports itself and then waits to be killed. With
/// `busy` in `CHILD_ENV`, a call is blocking inside the library when it is killed.
#[test]
#[ignore = "the child process of the tests below, which run it"]
fn child_client() {
    let Ok(mode) = std::env::var(CHILD_ENV) else {
        return; // Run as a child only.
    };
    let transport = match mode.starts_with("file") {
        true => Transport::File,
        false => Transport::SharedMemory,
    };
    let client = TestLibClient::start(Client64::builder("testlib").transport(transport)).unwrap();
    assert_eq!(client.add(2, 3).unwrap(), 5);
    // Taken first: `server_pid` waits for the client's lock, which a call holds.
    let server = client.client64().unwrap();
    let (pid, segment) = (server.server_pid(), server.segment_name().to_owned());
    let client = std::sync::Arc::new(client);
    if mode.ends_with("busy") {
        let c = std::sync::Arc::clone(&client);
        std::thread::spawn(move || c.sleep_ms(BUSY_MS));
        std::thread::sleep(Duration::from_millis(300));
    }
    println!("CHILD server_pid={pid} segment={segment}");
    std::thread::sleep(HANG);
}

/// A killed child client: its process, its server's pid, and its segment name.
struct Orphaned {
    child: Child,
    server_pid: u32,
    segment: String,
}

fn start_child_client(transport: &str) -> Orphaned {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(common::only_test(module_path!(), "child_client"))
        .env(CHILD_ENV, transport)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let out = BufReader::new(child.stdout.take().unwrap());
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in out.lines().map_while(Result::ok) {
            // libtest may print `test child_client ... ` before it on the same line.
            if let Some(at) = line.find("CHILD ") {
                let _ = tx.send(line[at + 6..].to_owned());
            }
        }
    });
    let Ok(line) = rx.recv_timeout(HANG) else {
        let _ = child.kill();
        let _ = child.wait();
        panic!("the child client never reported");
    };
    let field = |k: &str| {
        line.split_whitespace()
            .find_map(|kv| kv.strip_prefix(k))
            .unwrap_or_else(|| panic!("{k} missing in {line}"))
            .to_owned()
    };
    Orphaned {
        child,
        server_pid: field("server_pid=").parse().unwrap(),
        segment: field("segment="),
    }
}

fn file_dir(segment: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(segment.trim_start_matches('/'))
}

/// The child's mode: its transport, and whether a call is blocking when it is killed.
fn mode(cfg: &Config, busy: bool) -> String {
    let transport = if cfg.is_file() { "file" } else { "shm" };
    format!("{transport}{}", if busy { "-busy" } else { "" })
}

/// Kills the child client alone; the server must exit within `limit`.
fn kill_client_only(mode: &str, limit: Duration) -> Orphaned {
    let mut o = start_child_client(mode);
    assert!(common::process_running(o.server_pid), "[{mode}]");
    assert!(!common::shm_entries(&o.segment).is_empty(), "[{mode}]");
    o.child.kill().unwrap();
    o.child.wait().unwrap();
    assert!(
        common::eventually(limit, || !common::process_running(o.server_pid)),
        "[{mode}] server {} outlived its client by {limit:?}",
        o.server_pid
    );
    o
}

fn gone_within_5_s(o: &Orphaned) -> bool {
    common::eventually(Duration::from_secs(5), || {
        common::shm_entries(&o.segment).is_empty() && !file_dir(&o.segment).exists()
    })
}

fn a_client_killed_mid_call_takes_its_server_and_segment_with_it(cfg: &Config) {
    // The library call blocks the server's main thread: its watchdog thread notices the
    // client is gone and removes the segment (and file directory). The server exits at
    // the latest when the call returns; the next test checks that it does not wait that long.
    let mode = mode(cfg, true);
    let limit = Duration::from_millis(BUSY_MS as u64) + Duration::from_secs(5);
    let o = kill_client_only(&mode, limit);
    assert!(
        gone_within_5_s(&o),
        "[{mode}] left behind: {:?}",
        common::shm_entries(&o.segment)
    );
}

fn a_client_killed_mid_call_ends_its_server_while_the_call_still_blocks(cfg: &Config) {
    kill_client_only(&mode(cfg, true), Duration::from_secs(2));
}

fn an_idle_killed_clients_segment_is_removed_by_its_server(cfg: &Config) {
    let mode = mode(cfg, false);
    let o = kill_client_only(&mode, Duration::from_secs(5));
    assert!(
        gone_within_5_s(&o),
        "[{mode}] left behind: {:?}",
        common::shm_entries(&o.segment)
    );
}

fn segments_of_a_client_killed_with_its_server_are_swept_by_the_next_start(cfg: &Config) {
    let transport = mode(cfg, false);
    let mut o = start_child_client(&transport);
    // Both die at once: nobody is left to remove the segment or the directory.
    common::kill(o.server_pid);
    o.child.kill().unwrap();
    o.child.wait().unwrap();
    assert!(common::eventually(Duration::from_secs(5), || {
        !common::process_running(o.server_pid)
    }));
    // Any start in any process may sweep it from here on (other tests run at once).
    if common::shm_entries(&o.segment).is_empty() {
        eprintln!("[{transport}] already swept by another start");
    }
    // The next start, in any process, sweeps what dead clients left.
    let c = EchoClient::start(Client64::builder("echo")).unwrap();
    let back = c.echo(vec!["next".into()]).unwrap();
    assert_eq!(back, loadlib::Value::Str("next".into()));
    assert!(
        common::shm_entries(&o.segment).is_empty(),
        "[{transport}] not swept: {:?}",
        common::shm_entries(&o.segment)
    );
    assert!(
        !file_dir(&o.segment).exists(),
        "[{transport}] dir not swept"
    );
}

/// A pid that is not in use: a child that has been reaped.
#[cfg(target_os = "linux")]
fn dead_pid() -> u32 {
    let mut c = Command::new("true").spawn().unwrap();
    c.wait().unwrap();
    c.id()
}

#[cfg(target_os = "linux")]
fn make_stale(name: &str, uid: Option<u32>) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = std::path::Path::new("/dev/shm").join(name);
    std::fs::write(&path, vec![0xA5u8; 4096]).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    if let Some(uid) = uid {
        std::os::unix::fs::chown(&path, Some(uid), Some(uid)).unwrap();
    }
    path
}

// Windows: see `stale_segment_sweep` above.
#[cfg(target_os = "linux")]
fn stale_segments_never_stop_a_start_and_only_dead_ones_of_this_user_are_swept(cfg: &Config) {
    use std::os::unix::fs::MetadataExt;
    let (dead, me) = (dead_pid(), std::process::id());
    let mut live = Command::new("sleep").arg("60").spawn().unwrap();
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    let tag = format!("{:x}", rand_tag());
    // A crashed run's segment; one of a live client; one that looks like this process's
    // own names; and, when we can make one, a dead client's segment of another user.
    let crashed = make_stale(&format!("loadlib-{dead}-{tag}"), None);
    let alive = make_stale(&format!("loadlib-{}-{tag}", live.id()), None);
    let mine = make_stale(&format!("loadlib-{me}-{tag}"), None);
    let foreign = root.then(|| make_stale(&format!("loadlib-{dead}-{tag}-other"), Some(65534)));

    let c = EchoClient::new(cfg.start("echo")).unwrap();
    assert_eq!(c.echo(vec![7i32.into()]).unwrap(), loadlib::Value::I32(7));
    let name = c.client64().unwrap().segment_name();
    assert!(name.starts_with(&format!("/loadlib-{me}-")));
    assert!(!crashed.exists(), "the dead client's segment was not swept");
    assert!(alive.exists(), "a live client's segment was removed");
    assert!(
        mine.exists(),
        "a segment named after this live process was removed"
    );
    if let Some(f) = &foreign {
        assert!(f.exists(), "another user's segment was removed");
        assert_eq!(std::fs::metadata(f).unwrap().uid(), 65534);
    }

    for p in [Some(alive), Some(mine), foreign].into_iter().flatten() {
        let _ = std::fs::remove_file(p);
    }
    let _ = live.kill();
    let _ = live.wait();
}

#[cfg(target_os = "linux")]
fn rand_tag() -> u64 {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    t.as_nanos() as u64 ^ u64::from(std::process::id())
}
