//! Calls the LabVIEW example library's `stdev` from this 64-bit program through the
//! `labview` wrapper of the 32-bit server.
//!
//! The original library is built by LabVIEW and needs the LabVIEW Run-Time Engine, which
//! does not exist for Linux. The server therefore loads a stand-in C library
//! (`server32/csrc/labview_lib32.c`) that exports the same function with the same
//! signature: `void stdev(double X[], int32_t lenX, uint16_t Weighting, double* mean,
//! double* variance, double* standardDeviation)`.
//!
//! `LabviewClient` is the typed client `loadlib::interface!` generates from the wrapper's
//! declaration (`server32/src/wrappers/labview.rs`).
//!
//! ```text
//! cargo run --example labview
//! ```

use loadlib::Client64;
use server32::wrappers::labview::LabviewClient;

/// Which standard deviation `stdev` computes (its `weighting` parameter).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Weighting {
    /// The sample statistics: divide by `n - 1`.
    Sample = 0,
    /// The population statistics: divide by `n`.
    Population = 1,
}

fn main() -> loadlib::Result<()> {
    // `.server(ServerExe::Bundled64)` on the builder would run a 64-bit server instead.
    let lv = LabviewClient::start(Client64::builder("labview"))?;
    if let Some(server) = lv.client64() {
        println!(
            "labview_lib32 (stand-in) in a {}-bit server",
            server.server_pointer_width()
        );
    }
    let data: Vec<f64> = (1..=9).map(f64::from).collect();
    for w in [Weighting::Sample, Weighting::Population] {
        let (mean, variance, std) = lv.stdev(&data, w as u16)?;
        println!("stdev(1..=9, {w:?}): mean = {mean}, variance = {variance:.6}, std = {std:.6}");
    }
    Ok(())
}
