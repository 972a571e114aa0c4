//! The summary table: each case's median beside its floor, and an SVG of time against
//! array size.

use std::fmt::Write;

use crate::estimates::{median, target_dir, time};
use crate::{BATCH, SCALAR_SIZES, SOLVE_SIZES};

fn row(case: &str, id: &str, floor_name: &str, floor: Option<f64>) {
    let Some(m) = median(id) else { return };
    let (f, r) = match floor {
        Some(f) => (
            format!("{floor_name} {}", time(f)),
            format!("{:.2}×", m / f),
        ),
        None => ("-".into(), "-".into()),
    };
    println!("| {case} | {} | {f} | {r} |", time(m));
}

/// Prints the table (and writes the plot) from the estimates of this run.
pub fn summary() {
    println!("\n| case | median | floor | ratio |\n|---|---|---|---|");
    let ping = median("floor_pingpong_32bit");
    row(
        "raw atomic ping-pong 64↔32-bit",
        "floor_pingpong_32bit",
        "",
        None,
    );
    row(
        "in-process `add` (64-bit build)",
        "floor_in_process/add",
        "",
        None,
    );
    row(
        "small call `add`, shared memory",
        "small_call/shm",
        "ping-pong",
        ping,
    );
    row(
        "small call `add`, shared memory, typed client",
        "small_call/shm_typed",
        "ping-pong",
        ping,
    );
    row(
        "small call `add`, file",
        "small_call/file",
        "ping-pong",
        ping,
    );
    row(
        "small call `add`, foreign (declared with `foreign!`)",
        "foreign/add",
        "ping-pong",
        ping,
    );
    if let Some((f, t)) = median("foreign/add").zip(median("small_call/shm_typed")) {
        println!(
            "| foreign `add` / typed `add`, this run | {:.2}× | - | - |",
            f / t
        );
    }
    if let Some(m) = median("small_call/shm_pipelined") {
        let per = m / BATCH as f64;
        println!(
            "| pipelined `add`, shared memory (batch of {BATCH}) | {} per call = {:.2} M calls/s | ping-pong | {:.2}× |",
            time(per),
            1e3 / per,
            ping.map_or(f64::NAN, |p| per / p)
        );
    }
    for n in SCALAR_SIZES {
        let floor = median(&format!("floor_in_process/scalar_multiply/{n}"));
        // Copied arrays cross twice at the least (in, and the result out): their floor is
        // the in-process call with the input copied in and the result copied out, in one
        // process and through four buffers as across two.
        let copy_floor = median(&format!("floor_in_process/scalar_multiply_copied/{n}"));
        // A result in a new `Vec` also needs fresh memory for it, in process as well.
        let new_vec_floor = median(&format!("floor_in_process/scalar_multiply_new_vec/{n}"));
        for (v, label, floor_name, floor) in [
            ("shm_shared", "arrays in the segment", "in-process", floor),
            (
                "shm_copy_into",
                "copied arrays, into the caller's buffer",
                "in-process + 2 copies",
                copy_floor,
            ),
            (
                "shm_copy",
                "copied arrays, result in a new Vec",
                "in-process + 2 copies, the 2nd into a new Vec",
                new_vec_floor,
            ),
            ("file", "file", "in-process", floor),
        ] {
            row(
                &format!("scalar_multiply 10^{} f64, {label}", n.ilog10()),
                &format!("scalar_multiply/{v}/{n}"),
                floor_name,
                floor,
            );
        }
        // The same copied call against the least two processes do for it (ping-pong
        // with the 32-bit library's call between, the copies on this side): what moving
        // the arrays between two CPUs adds, which the in-process floor never pays.
        if let Some(two) = median(&format!("floor_two_processes/scalar_multiply_copied/{n}")) {
            row(
                &format!(
                    "scalar_multiply 10^{} f64, copied arrays, into the caller's buffer",
                    n.ilog10()
                ),
                &format!("scalar_multiply/shm_copy_into/{n}"),
                "two processes, no bridge",
                Some(two),
            );
        }
        row(
            &format!("memcpy of 10^{} f64", n.ilog10()),
            &format!("floor_memcpy/{n}"),
            "",
            None,
        );
    }
    // Two floors for `solve`: the same 32-bit LAPACK called in process by a 32-bit program
    // (what isolates the bridge), and Debian's 64-bit LAPACK in process (what a 64-bit
    // build of the library would give: two LAPACK builds, not the bridge).
    for n in SOLVE_SIZES {
        let floor32 = median(&format!("floor_in_process_32bit/solve/{n}"));
        let floor64 = median(&format!("floor_in_process/solve/{n}"));
        for (v, label) in [
            ("shm_shared", "matrix in the segment"),
            ("shm_copy", "copied matrix"),
            ("file", "file"),
        ] {
            row(
                &format!("solve n={n}, {label}"),
                &format!("solve/{v}/{n}"),
                "32-bit in-process",
                floor32,
            );
        }
        row(
            &format!("solve n={n}, 64-bit LAPACK in process (not a floor)"),
            &format!("floor_in_process/solve/{n}"),
            "32-bit in-process",
            floor32,
        );
        let _ = floor64;
    }
    let n = crate::foreign::FOREIGN_SCALAR;
    row(
        &format!(
            "scalar_multiply 10^{} f64, foreign, arrays in the segment",
            n.ilog10()
        ),
        &format!("foreign/scalar_multiply_shared/{n}"),
        "in-process",
        median(&format!("floor_in_process/scalar_multiply/{n}")),
    );
    let n = crate::foreign::FOREIGN_SOLVE;
    row(
        &format!("`dgesv_` n={n}, foreign, matrix in the segment"),
        &format!("foreign/dgesv/{n}"),
        "32-bit in-process",
        median(&format!("floor_in_process_32bit/solve/{n}")),
    );
    match plot() {
        Some(path) => println!("\nplot: {path}"),
        None => println!("\n(no plot: some estimates are missing)"),
    }
}

/// An axis label for 10^e nanoseconds, e.g. `100 µs`.
fn power_of_ten(e: i32) -> String {
    let unit = ["ns", "µs", "ms", "s"][(e / 3).clamp(0, 3) as usize];
    format!("{} {unit}", 10u64.pow((e - 3 * (e / 3).clamp(0, 3)) as u32))
}

/// A log-log SVG of scalar_multiply time against size, one line per variant.
fn plot() -> Option<String> {
    let series = [
        (
            "floor_in_process/scalar_multiply",
            "in-process (64-bit)",
            "#222",
        ),
        (
            "scalar_multiply/shm_shared",
            "bridge, arrays in the segment",
            "#1b7837",
        ),
        (
            "scalar_multiply/shm_copy",
            "bridge, copied arrays",
            "#2166ac",
        ),
        ("scalar_multiply/file", "file transport", "#b2182b"),
    ];
    let (w, h, m) = (680.0, 420.0, 70.0);
    let (x0, x1) = (3.0f64, 7.0f64);
    let mut pts = Vec::new();
    for (id, _, _) in series {
        let v: Option<Vec<f64>> = SCALAR_SIZES
            .iter()
            .map(|n| median(&format!("{id}/{n}")))
            .collect();
        pts.push(v?);
    }
    let all = pts.iter().flatten().map(|v| v.log10());
    let (y0, y1) = all.fold((f64::MAX, f64::MIN), |(a, b), v| {
        (a.min(v.floor()), b.max(v.ceil()))
    });
    let sx = |v: f64| m + (v - x0) / (x1 - x0) * (w - 2.0 * m);
    let sy = |v: f64| h - m - (v - y0) / (y1 - y0) * (h - 2.0 * m);
    let mut s = format!("<svg xmlns='http://www.w3.org/2000/svg' width='{w}' height='{h}' font-family='sans-serif' font-size='12'>\n<rect width='100%' height='100%' fill='white'/>\n");
    let _ = writeln!(s, "<text x='{}' y='20' text-anchor='middle' font-size='14'>scalar_multiply through the 32-bit bridge: median time against array length</text>", w / 2.0);
    for e in 3..=7 {
        let x = sx(e as f64);
        let _ = writeln!(s, "<line x1='{x}' y1='{}' x2='{x}' y2='{}' stroke='#ddd'/><text x='{x}' y='{}' text-anchor='middle'>10^{e}</text>", m, h - m, h - m + 16.0);
    }
    for e in (y0 as i32)..=(y1 as i32) {
        let y = sy(e as f64);
        let _ = writeln!(s, "<line x1='{m}' y1='{y}' x2='{}' y2='{y}' stroke='#ddd'/><text x='{}' y='{}' text-anchor='end'>{}</text>", w - m, m - 6.0, y + 4.0, power_of_ten(e));
    }
    let _ = writeln!(
        s,
        "<text x='{}' y='{}' text-anchor='middle'>f64 elements</text>",
        w / 2.0,
        h - 15.0
    );
    for (k, ((_, label, color), v)) in series.iter().zip(&pts).enumerate() {
        let path: Vec<String> = SCALAR_SIZES
            .iter()
            .zip(v)
            .map(|(n, t)| format!("{:.1},{:.1}", sx((*n as f64).log10()), sy(t.log10())))
            .collect();
        let _ = writeln!(
            s,
            "<polyline fill='none' stroke='{color}' stroke-width='2' points='{}'/>",
            path.join(" ")
        );
        let ly = m + 8.0 + 16.0 * k as f64;
        let _ = writeln!(s, "<line x1='{}' y1='{ly}' x2='{}' y2='{ly}' stroke='{color}' stroke-width='2'/><text x='{}' y='{}'>{label}</text>", m + 10.0, m + 30.0, m + 36.0, ly + 4.0);
    }
    s.push_str("</svg>\n");
    let path = format!("{}/criterion/loadlib-scaling.svg", target_dir());
    std::fs::write(&path, s).ok()?;
    Some(path)
}
