//! Linux: signals, `/proc` and `/dev/shm`.

use std::time::Duration;

use loadlib::Error;

/// Names in /dev/shm that start with `prefix` (without the leading slash).
pub fn shm_entries(prefix: &str) -> Vec<String> {
    let prefix = prefix.trim_start_matches('/');
    std::fs::read_dir("/dev/shm")
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with(prefix))
                .collect()
        })
        .unwrap_or_default()
}

/// Runs the test `child` of the module at `module_path` (`module_path!()`) again, in a
/// private mount namespace whose `/dev/shm` is a tmpfs of `room_mib` MiB, with `env` set
/// (a child half returns at once without it); asserts that it passed and printed `passed`,
/// and returns what it printed. `None`, having said it is skipped, when this is not root
/// (the mount namespace needs it, as in CI).
pub fn run_with_own_dev_shm(
    room_mib: u64,
    module_path: &str,
    child: &str,
    env: &str,
    passed: &str,
) -> Option<String> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("skipped: a private mount namespace with its own /dev/shm needs root");
        return None;
    }
    let script = format!("mount -t tmpfs -o size={room_mib}m tmpfs /dev/shm && exec \"$0\" \"$@\"");
    let out = std::process::Command::new("unshare")
        .args(["-m", "--propagation", "private", "sh", "-c", &script])
        .arg(std::env::current_exe().unwrap())
        .args(super::only_test(module_path, child))
        .env(env, "1")
        .output()
        .expect("run unshare (util-linux)");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stdout.contains(passed),
        "child failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    Some(stdout)
}

/// Bytes of the shared-memory object `name` (as `shm_entries` gives it).
pub fn shm_size(name: &str) -> u64 {
    std::fs::metadata(format!("/dev/shm/{name}"))
        .map(|m| m.len())
        .unwrap_or(0)
}

/// Whether a process exists and is not a zombie.
pub fn process_running(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(s) => {
            // The state is the field after the parenthesised command name.
            let state = s
                .rsplit(')')
                .next()
                .and_then(|r| r.split_whitespace().next());
            !matches!(state, Some("Z") | Some("X") | None)
        }
        Err(_) => false,
    }
}

fn signal(pid: u32, sig: i32) {
    // SAFETY: sending a signal to a process id has no memory-safety requirements.
    let r = unsafe { libc::kill(pid as i32, sig) };
    assert_eq!(r, 0, "kill({pid}, {sig})");
}

/// Ends a process at once, as `kill -9` does.
pub fn kill(pid: u32) {
    signal(pid, libc::SIGKILL);
}

/// Freezes a process (SIGSTOP).
pub fn suspend(pid: u32) {
    signal(pid, libc::SIGSTOP);
}

/// Lets a frozen process go on (SIGCONT).
pub fn resume(pid: u32) {
    signal(pid, libc::SIGCONT);
}

/// Asserts `err` reports a server ended by [`kill`].
pub fn assert_killed(err: &Error, label: &str) {
    match err {
        Error::ServerCrashed { signal, how, .. } => {
            assert_eq!(*signal, Some(9), "[{label}] {how}");
            assert!(how.contains("SIGKILL"), "[{label}] {how}");
        }
        other => panic!("[{label}] expected a crash by SIGKILL, got {other}"),
    }
}

/// Asserts `err` reports a server that dereferenced NULL in the library.
pub fn assert_access_violation(err: &Error, label: &str) {
    match err {
        Error::ServerCrashed { signal, how, .. } => {
            assert_eq!(*signal, Some(11), "[{label}] {how}");
            assert!(how.contains("SIGSEGV"), "[{label}] {how}");
        }
        other => panic!("[{label}] expected a crash by SIGSEGV, got {other}"),
    }
}

/// Asserts `err` reports a server whose library called `abort()`.
pub fn assert_aborted(err: &Error) {
    match err {
        Error::ServerCrashed { signal, how, .. } => {
            assert_eq!(*signal, Some(6), "{how}");
            assert!(how.contains("SIGABRT"), "{how}");
        }
        other => panic!("expected a crash by SIGABRT, got {other}"),
    }
}

/// User + system CPU time of a process (`None` for this one).
pub fn cpu_time(pid: Option<u32>) -> Duration {
    let who = pid.map_or("self".to_owned(), |p| p.to_string());
    let stat = std::fs::read_to_string(format!("/proc/{who}/stat")).unwrap();
    let after = stat.rsplit(')').next().unwrap();
    let f: Vec<&str> = after.split_whitespace().collect();
    // Fields after the command: state is f[0]; utime and stime are fields 14 and 15 of
    // the whole line, i.e. f[11] and f[12], in clock ticks.
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as u64;
    let ticks = f[11].parse::<u64>().unwrap() + f[12].parse::<u64>().unwrap();
    Duration::from_micros(ticks * 1_000_000 / hz)
}

/// What the loader says of a library of the other width.
pub const WRONG_WIDTH: &str = "wrong ELF class";
/// A clean exit as `ExitStatus` shows it.
pub const SUCCESS_STATUS: &str = "exit status: 0";

/// The pointer width of an ELF executable (checked to be x86 or x86-64).
pub fn exe_bits(path: &std::path::Path) -> u32 {
    let bytes = std::fs::read(path).unwrap();
    let path = path.display();
    assert_eq!(&bytes[..4], b"\x7fELF", "{path}");
    let machine = u16::from_le_bytes([bytes[18], bytes[19]]);
    match (bytes[4], machine) {
        (1, 3) => 32,  // ELFCLASS32, EM_386
        (2, 62) => 64, // ELFCLASS64, EM_X86_64
        other => panic!("{path}: class and machine {other:?}"),
    }
}
