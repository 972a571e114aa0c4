//! Side by side with the original Python tool, in the same run: msl-loadlib 1.1.0's own
//! example client (`Cpp64`) and 32-bit server with its C++ library time `add` and
//! `scalar_multiply` of 10^3..10^6 doubles, next to ours. Needs
//! `pip install msl-loadlib==1.1.0`; without Python or the package the table says so.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::estimates::{median, time};

/// Times the original tool from Python; prints `add NS` and `scalar_multiply N NS` lines
/// (medians), or `missing REASON`.
const SCRIPT: &str = r#"
import statistics, sys, time
try:
    from msl.examples.loadlib import Cpp64
except Exception as e:
    print("missing", e)
    sys.exit(0)
c = Cpp64()
try:
    ts = []
    for _ in range(7):
        t = time.perf_counter()
        for _ in range(100):
            assert c.add(1, 2) == 3
        ts.append((time.perf_counter() - t) / 100)
    print("add", statistics.median(ts) * 1e9)
    for n in (1000, 10000, 100000, 1000000):
        x = [float(i) for i in range(n)]
        ts = []
        for _ in range(5 if n < 1000000 else 3):
            t = time.perf_counter()
            y = c.scalar_multiply(2.0, x)
            ts.append(time.perf_counter() - t)
        assert y[-1] == 2.0 * (n - 1)
        print("scalar_multiply", n, statistics.median(ts) * 1e9)
finally:
    c.shutdown_server32()
"#;

/// How long the Python side may take in all.
const DEADLINE: Duration = Duration::from_secs(300);

/// The script's output, or why there is none.
fn run_original() -> Result<String, String> {
    let mut child = Command::new("python3")
        .args(["-c", SCRIPT])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("python3 not found ({e})"))?;
    let mut stdout = child.stdout.take().expect("piped");
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    let start = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if start.elapsed() > DEADLINE => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("the Python side took over {DEADLINE:?}"));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(50)),
            Err(e) => return Err(e.to_string()),
        }
    }
    let out = reader.join().unwrap_or_default();
    match out.strip_prefix("missing") {
        Some(why) => Err(format!("msl-loadlib is not installed ({})", why.trim())),
        None => Ok(out),
    }
}

/// Prints the side-by-side table.
pub fn side_by_side() {
    println!("\n**Against the original tool** (msl-loadlib 1.1.0, from Python, same run)\n");
    let out = match run_original() {
        Ok(out) => out,
        Err(why) => {
            println!("skipped: {why}; `pip install msl-loadlib==1.1.0` adds this table");
            return;
        }
    };
    println!("| case | loadlib | msl-loadlib 1.1.0 | msl-loadlib / loadlib |\n|---|---|---|---|");
    for line in out.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        let (case, ours, theirs) = match words[..] {
            ["add", ns] => (
                "`add` round trip".to_owned(),
                median("small_call/shm_typed"),
                ns,
            ),
            ["scalar_multiply", n, ns] => (
                format!("scalar_multiply {n} f64 (copied arrays)"),
                median(&format!("scalar_multiply/shm_copy/{n}")),
                ns,
            ),
            _ => continue,
        };
        let Ok(theirs) = theirs.parse::<f64>() else {
            continue;
        };
        match ours {
            Some(ours) => println!(
                "| {case} | {} | {} | {:.0}× |",
                time(ours),
                time(theirs),
                theirs / ours
            ),
            None => println!("| {case} | (not run) | {} | - |", time(theirs)),
        }
    }
}
