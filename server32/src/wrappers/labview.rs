//! `labview`: the LabVIEW example library. The original is a LabVIEW-built DLL that needs
//! the LabVIEW Run-Time Engine, which does not exist for Linux; `csrc/labview_lib32.c`
//! is a stand-in exporting the same `stdev` function, so this wrapper is the one the
//! real library would need.

use loadlib::server::{Kwargs, Result, Server32, ServerError};

loadlib::library! {
    /// `void stdev(double X[], int32_t lenX, uint16_t Weighting, double* mean,
    /// double* variance, double* standardDeviation)` of csrc/labview_lib32.c.
    struct LabviewLib: extern "C" {
        fn stdev(x: *const f64, n: i32, weighting: u16, mean: *mut f64, variance: *mut f64, std: *mut f64);
    }
}

/// Serves [`Labview`] from `liblabview_lib32.so`, built by `build.rs` for the server's width.
pub struct LabviewServer {
    c: LabviewLib,
}

impl Server32 for LabviewServer {
    const NAME: &'static str = "labview";
    fn new(kwargs: &Kwargs) -> Result<Self> {
        let path = kwargs.get("lib").unwrap_or(env!("LOADLIB_LABVIEW_LIB"));
        // SAFETY: loading runs the library's initialisers (the library this wrapper is
        // for); `stdev` has the declared signature.
        Ok(LabviewServer {
            c: unsafe { LabviewLib::load(path) }?,
        })
    }
}

loadlib::interface! {
    /// The LabVIEW example library's statistics.
    pub trait Labview => LabviewClient {
        /// The mean, variance and standard deviation of `x` as `[mean, variance, std]`;
        /// `weighting` 0 is the sample statistics (n - 1), 1 the population ones (n).
        fn stdev(x: &[f64], weighting: u16) -> (f64, f64, f64);
    }
}

impl Labview for LabviewServer {
    fn stdev(&mut self, x: &[f64], weighting: u16) -> Result<(f64, f64, f64)> {
        let least = match weighting {
            0 => 2,
            1 => 1,
            w => {
                return Err(ServerError::value_error(format!(
                    "weighting must be 0 (sample) or 1 (population), got {w}"
                )))
            }
        };
        if x.len() < least {
            return Err(ServerError::value_error(format!(
                "needs at least {least} values with weighting {weighting}, got {}",
                x.len()
            )));
        }
        let n = i32::try_from(x.len())
            .map_err(|_| ServerError::value_error("more values than an int32 length"))?;
        let (mut mean, mut variance, mut std) = (0.0, 0.0, 0.0);
        // SAFETY: `x` holds `n` doubles (read in place in shared memory); the three
        // outputs are locals the library writes one double each into.
        unsafe {
            self.c
                .stdev(x.as_ptr(), n, weighting, &mut mean, &mut variance, &mut std)
        };
        Ok((mean, variance, std))
    }
}
