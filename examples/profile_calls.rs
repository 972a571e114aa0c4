//! A steady stream of calls for a profiler: small calls (`add`) and array calls
//! (`scalar_multiply`, 10^6 f64 unless a third argument says how many, the result in a
//! new `Vec` for `array`, in the caller's buffer for `into`), through the 32-bit server,
//! with the typed client; `foreign` makes the small calls through a `foreign!`
//! declaration instead; `name` makes them by name (`request32`); `batch` pipelines the
//! small calls (`Client64::batch`, by name).
//! `PROFILE_RING=bytes` sets the ring size.
//!
//! ```text
//! cargo build --release --example profile_calls
//! valgrind --tool=callgrind target/release/examples/profile_calls small 100000
//! valgrind --tool=callgrind target/release/examples/profile_calls foreign 100000
//! target/release/examples/profile_calls into 1000 100000
//! ```

use loadlib::Client64;
use server32::wrappers::testlib::TestLibClient;

fn main() -> Result<(), loadlib::Error> {
    let mut args = std::env::args().skip(1);
    let what = args.next().unwrap_or_else(|| "small".into());
    let n: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(100_000);
    // `PROFILE_SERVER64=1`: the 64-bit server. `PROFILE_SERVER32=path`: a 32-bit server
    // of this source built elsewhere, as `benches/instructions.sh` builds one that
    // valgrind can follow (`--trace-children=yes`), which the bundled one is not.
    let (exe, bits) = match (
        std::env::var_os("PROFILE_SERVER64"),
        std::env::var_os("PROFILE_SERVER32"),
    ) {
        (Some(_), _) => (loadlib::ServerExe::Bundled64, 64),
        (None, Some(path)) => (loadlib::ServerExe::Path(path.into()), 32),
        (None, None) => (loadlib::ServerExe::Bundled32, 32),
    };
    let elements: usize = args
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let mut builder = Client64::builder("testlib").server(exe.clone());
    if let Some(ring) = std::env::var("PROFILE_RING")
        .ok()
        .and_then(|s| s.parse().ok())
    {
        builder = builder.ring_size(ring);
    }
    let client = TestLibClient::start(builder)?;
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
        "name" => {
            // The same small call by name (`request32`).
            let c = client.client64().expect("a server");
            for i in 0..n as i32 {
                assert_eq!(c.request32::<i32>("add", (i, 1))?, i + 1);
            }
        }
        "array" => {
            let x: Vec<f64> = (0..elements).map(|i| i as f64).collect();
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
        "into" => {
            let x: Vec<f64> = (0..elements).map(|i| i as f64).collect();
            let mut y = vec![0.0f64; elements];
            for _ in 0..n {
                client.scalar_multiply_into(2.0, &x, &mut y)?;
            }
            assert_eq!(y.last(), x.last().map(|v| 2.0 * v).as_ref());
        }
        "floor" | "floor_new" => {
            // The floor of `into`: the in-process 64-bit call with two copies, through
            // buffers in shared memory (as benches/limits/floors.rs); `floor_new` copies
            // the result into a new `Vec` instead, as `array` returns it.
            return floor(n, elements, what == "floor_new");
        }
        other => {
            panic!("unknown workload {other}: use small, foreign, batch, array, into, floor or floor_new")
        }
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

/// `n` calls of the in-process floor with two copies over `elements` doubles, the second
/// into a new `Vec` when `new_vec`.
fn floor(n: usize, elements: usize, new_vec: bool) -> Result<(), loadlib::Error> {
    use loadlib::__private::shm::{self, Segment};
    // SAFETY: our own test library; the symbol type is its C signature.
    let lib = unsafe { libloading::Library::new(server32::paths::TEST_LIB) }.expect("test lib");
    // SAFETY: see above.
    let scalar_multiply = unsafe {
        *lib.get::<unsafe extern "C" fn(f64, *const f64, i32, *mut f64)>(b"scalar_multiply")
            .expect("scalar_multiply")
    };
    let segment = || {
        let name = format!("{}-fl", shm::new_base_name().expect("a name"));
        let seg = Segment::create(&name, (8 * elements).max(4096)).expect("a segment");
        shm::unlink_all(&name);
        seg
    };
    let (a, b) = (segment(), segment());
    // SAFETY: each mapping is page-aligned, zero-filled, at least 8 * elements bytes, and
    // used only through these slices.
    let (a, b) = unsafe {
        (
            std::slice::from_raw_parts_mut(a.as_ptr().cast::<f64>(), elements),
            std::slice::from_raw_parts_mut(b.as_ptr().cast::<f64>(), elements),
        )
    };
    let x: Vec<f64> = (0..elements).map(|i| i as f64).collect();
    let mut y = vec![0.0f64; elements];
    let t0 = std::time::Instant::now();
    for _ in 0..n {
        a.copy_from_slice(std::hint::black_box(&x));
        // SAFETY: both buffers hold `elements` doubles.
        unsafe { scalar_multiply(2.0, a.as_ptr(), elements as i32, b.as_mut_ptr()) };
        if new_vec {
            // As the client makes a large result's new `Vec` (huge pages asked for).
            let mut v = Vec::with_capacity(elements);
            if 8 * elements >= loadlib::__private::HUGE_COPY {
                loadlib::__private::prefer_huge_pages(v.spare_capacity_mut());
            }
            v.extend_from_slice(b);
            std::hint::black_box(v);
        } else {
            y.copy_from_slice(b);
            std::hint::black_box(&mut y);
        }
    }
    println!("{n} floor calls, {:?} per call", t0.elapsed() / n as u32);
    Ok(())
}
