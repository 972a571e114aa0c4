//! A steady stream of calls for a profiler: small calls (`add`) and 10^6-element array calls
//! (`scalar_multiply`), through the 32-bit server, with the typed client; `foreign` makes
//! the small calls through a `foreign!` declaration instead; `batch` pipelines the small
//! calls (`Client64::batch`, by name).
//!
//! ```text
//! cargo build --release --example profile_calls
//! valgrind --tool=callgrind target/release/examples/profile_calls small 100000
//! valgrind --tool=callgrind target/release/examples/profile_calls foreign 100000
//! ```

use loadlib::Client64;
use server32::wrappers::testlib::TestLibClient;

fn main() -> Result<(), loadlib::Error> {
    let mut args = std::env::args().skip(1);
    let what = args.next().unwrap_or_else(|| "small".into());
    let n: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(100_000);
    // `PROFILE_SERVER64=1`: the 64-bit server, which valgrind can follow
    // (`--trace-children=yes`) where it cannot start the 32-bit one.
    let (exe, bits) = match std::env::var_os("PROFILE_SERVER64") {
        Some(_) => (loadlib::ServerExe::Bundled64, 64),
        None => (loadlib::ServerExe::Bundled32, 32),
    };
    let client = TestLibClient::start(Client64::builder("testlib").server(exe.clone()))?;
    if what == "foreign" {
        let builder = Client64::builder(loadlib::foreign::FOREIGN_MODULE).server(exe);
        let path = server32::paths::library("test", bits);
        // SAFETY: the bundled test library, declared as defined in csrc/loadlib_test.c.
        let lib = unsafe { server32::declared::testlib::TestLib::load_with(builder, path) }?;
        let t0 = std::time::Instant::now();
        for i in 0..n as i32 {
            assert_eq!(lib.add(i, 1)?, i + 1);
        }
        println!("{n} foreign calls, {:?} per call", t0.elapsed() / n as u32);
        return Ok(());
    }
    let t0 = std::time::Instant::now();
    match what.as_str() {
        "small" => {
            for i in 0..n as i32 {
                assert_eq!(client.add(i, 1)?, i + 1);
            }
        }
        "array" => {
            let x: Vec<f64> = (0..1_000_000).map(|i| i as f64).collect();
            for _ in 0..n {
                let y = client.scalar_multiply(2.0, &x)?;
                assert_eq!(y.len(), x.len());
            }
        }
        "batch" => {
            // Pipelined: batches of 10,000 calls by name.
            let c = client.client64().expect("a server");
            for start in (0..n as i32).step_by(10_000) {
                let end = (start + 10_000).min(n as i32);
                let replies = c.batch(|b| {
                    for i in start..end {
                        b.submit("add", (i, 1))?;
                    }
                    Ok(())
                })?;
                for (i, r) in (start..end).zip(replies) {
                    assert_eq!(r?, loadlib::Value::I32(i + 1));
                }
            }
        }
        other => panic!("unknown workload {other}: use small, batch or array"),
    }
    let per = t0.elapsed() / n as u32;
    println!("{n} {what} calls, {per:?} per call");
    // Minor page faults of each process (field 10 of /proc/PID/stat).
    let server_pid = client.client64().expect("a server").server_pid();
    for (who, pid) in [
        ("client", "self".to_string()),
        ("server", server_pid.to_string()),
    ] {
        if let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) {
            let after = stat.rsplit(')').next().unwrap_or("");
            let minflt = after.split_whitespace().nth(7).unwrap_or("?");
            println!("{who}: {minflt} minor page faults");
        }
    }
    Ok(())
}
