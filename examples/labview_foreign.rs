//! Calls the LabVIEW example library's `stdev` with **no server code**: declared here with
//! `loadlib::foreign!`. The same function through a wrapper server: `examples/labview.rs`.
//!
//! The original library is built by LabVIEW and needs the LabVIEW Run-Time Engine, which
//! does not exist for Linux; the bundled stand-in (`server32/csrc/labview_lib32.c`)
//! exports the same function with the same signature.
//!
//! ```text
//! cargo run --example labview_foreign
//! ```

use loadlib::foreign;

foreign! {
    /// `void stdev(double X[], int32_t lenX, uint16_t Weighting, double *mean,
    /// double *variance, double *standardDeviation)`
    struct LabviewLib: extern "C" {
        fn stdev(
            #[len(len_x)] x: &[f64],
            len_x: i32,
            weighting: u16,
            #[out] mean: &mut f64,
            #[out] variance: &mut f64,
            #[out] standard_deviation: &mut f64,
        );
    }
}

fn main() -> loadlib::Result<()> {
    // SAFETY: loading runs the library's initialisers in the server; the declaration is
    // the library's own signature.
    let lv = unsafe { LabviewLib::load(server32::paths::library("labview", 32)) }?;
    let data: Vec<f64> = (1..=9).map(f64::from).collect();
    for (w, name) in [(0u16, "sample"), (1, "population")] {
        let (mut mean, mut variance, mut std) = (0.0, 0.0, 0.0);
        lv.stdev(&data, 9, w, &mut mean, &mut variance, &mut std)?;
        println!("stdev(1..=9, {name}): mean = {mean}, variance = {variance:.6}, std = {std:.6}");
    }
    Ok(())
}
