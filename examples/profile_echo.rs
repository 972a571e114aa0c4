//! Times echoes of an f64 array through the 32-bit server, one call at a time, and prints
//! the median (and the 10th and 90th percentiles) and the page faults a call of each
//! process, beside the same process's own copy of the array into a new `Vec`: a quick
//! look at one size, under Wine or not. Arguments: bytes, calls, and optionally the spin
//! window in microseconds (`Builder::spin`). With `PROFILE_ECHO_KEEP=1` this program's
//! allocator keeps the last freed large block for the next allocation of its size, as
//! glibc's `malloc` does and Windows' process heap does not (it hands blocks of about
//! 512 KiB and more back to the system when freed, so the next one faults in afresh).
//!
//! ```text
//! cargo run --release --example profile_echo -- 1048576 400
//! WINEDEBUG=-all cargo run --release --example profile_echo --target x86_64-pc-windows-gnu -- 1048576 400
//! ```

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use loadlib::{Array, Client64, FromValue};
use server32::wrappers::echo::EchoClient;

/// The system allocator, keeping one freed block of at least [`KEEP_FROM`] bytes for the
/// next allocation of the same layout when [`KEEP`] is set.
struct KeepOne;

/// Whether `KeepOne` keeps a block (`PROFILE_ECHO_KEEP=1`).
static KEEP: AtomicBool = AtomicBool::new(false);
/// Blocks this large or larger are kept.
const KEEP_FROM: usize = 256 << 10;
/// The kept block: its address, size (0 when none) and alignment.
static KEPT: Mutex<(usize, usize, usize)> = Mutex::new((0, 0, 1));

impl KeepOne {
    fn keeps(layout: &Layout) -> bool {
        // Relaxed: a switch set once before the measured calls, on this thread.
        KEEP.load(Ordering::Relaxed) && layout.size() >= KEEP_FROM
    }
}

// SAFETY: every block comes from `System` and goes back to it with the layout it was
// allocated with: a kept block is handed out again only for a layout of the same size and
// alignment, and one that is not reused is freed with the layout it was kept with.
unsafe impl GlobalAlloc for KeepOne {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if Self::keeps(&layout) {
            let mut kept = KEPT.lock().unwrap_or_else(|e| e.into_inner());
            let (ptr, size, align) = std::mem::replace(&mut *kept, (0, 0, 1));
            if size == layout.size() && align == layout.align() {
                return ptr as *mut u8;
            }
            if size != 0 {
                // SAFETY: kept from a `System` allocation of this size and alignment.
                unsafe {
                    System.dealloc(
                        ptr as *mut u8,
                        Layout::from_size_align_unchecked(size, align),
                    )
                };
            }
        }
        // SAFETY: the caller's layout has a non-zero size (GlobalAlloc's contract).
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if Self::keeps(&layout) {
            let mut kept = KEPT.lock().unwrap_or_else(|e| e.into_inner());
            if kept.1 == 0 {
                *kept = (ptr as usize, layout.size(), layout.align());
                return;
            }
        }
        // SAFETY: allocated by `alloc` above with this layout, so by `System`.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: KeepOne = KeepOne;

fn main() -> Result<(), loadlib::Error> {
    if std::env::var_os("PROFILE_ECHO_KEEP").is_some_and(|v| v == "1") {
        // Relaxed: read by this thread's allocations that follow.
        KEEP.store(true, Ordering::Relaxed);
    }
    let mut args = std::env::args().skip(1);
    let bytes: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(1 << 20);
    let n: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(400);
    let mut builder = Client64::builder("echo");
    if let Some(us) = args.next().and_then(|s| s.parse().ok()) {
        builder = builder.spin(Duration::from_micros(us));
    }
    let client = EchoClient::start(builder)?;
    let data: Vec<f64> = (0..bytes / 8).map(|i| i as f64).collect();
    let echo = || -> Result<(), loadlib::Error> {
        let back = Array::from_value(client.echo(vec![(&data).into()])?)?;
        assert_eq!(back.len(), data.len());
        Ok(())
    };
    for _ in 0..n / 10 + 1 {
        echo()?;
    }
    let (client_pid, server_pid) = pids();
    let sample = || [counts(&client_pid), counts(&server_pid)];
    let before = sample();
    let mut times = Vec::with_capacity(n);
    for _ in 0..n {
        let t0 = Instant::now();
        echo()?;
        times.push(t0.elapsed());
    }
    let after = sample();
    report(&format!("echo {bytes} B"), &mut times);
    for (who, (b, a)) in ["client", "server"].iter().zip(before.iter().zip(&after)) {
        match (b, a) {
            (Some(b), Some(a)) => println!(
                "{who}: {:.2} minor page faults, {:.2} blocking waits a call",
                (a[0] - b[0]) as f64 / n as f64,
                (a[1] - b[1]) as f64 / n as f64
            ),
            _ => println!("{who}: no counts (no /proc)"),
        }
    }
    // The same process copying the array into a new Vec: allocation, faults and memcpy.
    let mut times = Vec::with_capacity(n);
    for _ in 0..n {
        let t0 = Instant::now();
        let copy = std::hint::black_box(data.clone());
        drop(copy);
        times.push(t0.elapsed());
    }
    report("new Vec + copy", &mut times);
    // A copy into a buffer that stays allocated: memcpy alone.
    let mut buf = vec![0f64; data.len()];
    let mut times = Vec::with_capacity(n);
    for _ in 0..n {
        let t0 = Instant::now();
        buf.copy_from_slice(std::hint::black_box(&data));
        std::hint::black_box(&mut buf);
        times.push(t0.elapsed());
    }
    report("memcpy", &mut times);
    Ok(())
}

/// The Linux pids of this process and of its server, found in `/proc` (under Wine too:
/// its processes are Linux processes, and it shows the host's `/proc` on drive Z:). Under
/// Wine `/proc/self` would be the wineserver, which opens files for its clients, so the
/// client is the process running `profile_echo.exe` (run one at a time); the server is the
/// one whose segment is named after this process's id.
fn pids() -> (Option<String>, Option<String>) {
    let me = if cfg!(windows) {
        None
    } else {
        Some("self".to_string())
    };
    let tag = format!("loadlib-{}-", std::process::id());
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return (me, None);
    };
    let (mut client, mut server) = (me, None);
    for e in dir.flatten() {
        let Ok(pid) = e.file_name().into_string() else {
            continue;
        };
        if !pid.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let Ok(cmd) = std::fs::read(format!("/proc/{pid}/cmdline")) else {
            continue;
        };
        let cmd = String::from_utf8_lossy(&cmd);
        if cmd.contains(&tag) {
            server = Some(pid);
        } else if client.is_none()
            && cmd.starts_with(|c: char| c != 's')
            && cmd.contains("profile_echo.exe")
        {
            client = Some(pid);
        }
    }
    (client, server)
}

/// Minor page faults and voluntary context switches (blocking waits) of process `pid` so
/// far.
fn counts(pid: &Option<String>) -> Option<[u64; 2]> {
    let pid = pid.as_ref()?;
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let faults = stat
        .rsplit(')')
        .next()?
        .split_whitespace()
        .nth(7)?
        .parse()
        .ok()?;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let waits = status
        .lines()
        .find_map(|l| l.strip_prefix("voluntary_ctxt_switches:"))?
        .trim()
        .parse()
        .ok()?;
    Some([faults, waits])
}

fn report(what: &str, times: &mut [Duration]) {
    times.sort();
    let at = |q: f64| times[((times.len() - 1) as f64 * q) as usize];
    println!(
        "{what}: median {:?} (p10 {:?}, p90 {:?}, {} calls)",
        at(0.5),
        at(0.1),
        at(0.9),
        times.len()
    );
}
