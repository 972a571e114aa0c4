//! Reading criterion's results back for the summary tables the benchmarks print.

/// Where criterion writes (`$CARGO_TARGET_DIR`, or `target`).
pub fn target_dir() -> String {
    std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "target".into())
}

/// The median (ns) criterion recorded for a benchmark id in this run.
pub fn median(id: &str) -> Option<f64> {
    let path = format!("{}/criterion/{id}/new/estimates.json", target_dir());
    let text = std::fs::read_to_string(path).ok()?;
    let rest = &text[text.find("\"median\"")?..];
    let p = rest.find("\"point_estimate\":")? + "\"point_estimate\":".len();
    rest[p..].split([',', '}']).next()?.trim().parse().ok()
}

/// A duration in nanoseconds, in the unit that reads best.
pub fn time(ns: f64) -> String {
    match ns {
        n if n < 1e3 => format!("{n:.0} ns"),
        n if n < 1e6 => format!("{:.2} µs", n / 1e3),
        n => format!("{:.2} ms", n / 1e6),
    }
}
