//! Calls the LabVIEW example library's `stdev` from this 64-bit program through the
//! `labview` wrapper of the 32-bit server.
//!
//! The original library is built by LabVIEW and needs the LabVIEW Run-Time Engine, which
//! does not exist for Linux. The server therefore loads a stand-in C library
//! (`server32/csrc/labview_lib32.c`) that exports the same function with the same
//! signature: `void stdev(double X[], int32_t lenX, uint16_t Weighting, double* mean,
//! double* variance, double* standardDeviation)`.
//!
//! ```text
//! cargo run --example labview
//! ```

use loadlib::{Client64, ServerExe};

/// Which standard deviation `stdev` computes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Weighting {
    /// The sample statistics: divide by `n - 1`.
    Sample = 0,
    /// The population statistics: divide by `n`.
    Population = 1,
}

/// The mean, variance and standard deviation of some data.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Stats {
    /// The arithmetic mean.
    pub mean: f64,
    /// The variance.
    pub variance: f64,
    /// The standard deviation (the square root of the variance).
    pub std: f64,
}

/// The LabVIEW library (a stand-in on Linux, see the module documentation), called
/// through a 32-bit server.
pub struct Labview {
    client: Client64,
}

impl Labview {
    /// Starts the bundled 32-bit server with the LabVIEW library loaded.
    pub fn new() -> loadlib::Result<Labview> {
        Labview::with_server(ServerExe::Bundled32)
    }

    /// Starts the given server executable (e.g. [`ServerExe::Bundled64`]) instead.
    pub fn with_server(exe: ServerExe) -> loadlib::Result<Labview> {
        let client = Client64::builder("labview").server(exe).start()?;
        Ok(Labview { client })
    }

    /// The underlying client (for its pointer width, or a call by name).
    pub fn client(&self) -> &Client64 {
        &self.client
    }

    /// The mean, variance and standard deviation of `x` with the given weighting (at
    /// least two values for [`Weighting::Sample`], one for [`Weighting::Population`]).
    pub fn stdev(&self, x: &[f64], weighting: Weighting) -> loadlib::Result<Stats> {
        let (mean, variance, std) = self.client.request32("stdev", (x, weighting as u16))?;
        Ok(Stats {
            mean,
            variance,
            std,
        })
    }
}

fn main() -> loadlib::Result<()> {
    let lv = Labview::new()?;
    println!(
        "labview_lib32 (stand-in) in a {}-bit server",
        lv.client().server_pointer_width()
    );
    let data: Vec<f64> = (1..=9).map(f64::from).collect();
    for w in [Weighting::Sample, Weighting::Population] {
        let s = lv.stdev(&data, w)?;
        println!(
            "stdev(1..=9, {w:?}): mean = {}, variance = {:.6}, std = {:.6}",
            s.mean, s.variance, s.std
        );
    }
    Ok(())
}
