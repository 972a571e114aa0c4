//! `labview`: the LabVIEW example library. The original is a LabVIEW-built DLL that needs
//! the LabVIEW Run-Time Engine, which does not exist for Linux; `csrc/labview_lib32.c`
//! is a stand-in exporting the same `stdev` function, so this wrapper is the one the
//! real library would need.

use loadlib::server::{Kwargs, Library, Server32, ServerError};

/// Wraps `liblabview_lib32.so`, built by `build.rs` for the server's width.
pub struct Labview {
    #[allow(clippy::type_complexity)]
    stdev: unsafe extern "C" fn(*const f64, i32, u16, *mut f64, *mut f64, *mut f64),
    _lib: Library,
}

impl Server32 for Labview {
    const NAME: &'static str = "labview";
    fn new(kwargs: &Kwargs) -> Result<Self, ServerError> {
        // SAFETY: loading runs the library's initialisers; this is the library the
        // wrapper exists for.
        let lib =
            unsafe { Library::cdll(kwargs.get("lib").unwrap_or(env!("LOADLIB_LABVIEW_LIB"))) }?;
        // SAFETY: the type is the signature in csrc/labview_lib32.c: `void stdev(double
        // X[], int32_t lenX, uint16_t Weighting, double* mean, double* variance, double*
        // standardDeviation)`.
        let stdev = unsafe { lib.function(b"stdev")? };
        Ok(Labview { stdev, _lib: lib })
    }
}

loadlib::methods! {
    impl Labview {
        /// The mean, variance and standard deviation of `x` as `[mean, variance, std]`;
        /// `weighting` 0 is the sample statistics (n - 1), 1 the population ones (n).
        fn stdev(&mut self, x: &[f64], weighting: u16) -> Result<(f64, f64, f64), ServerError> {
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
            unsafe { (self.stdev)(x.as_ptr(), n, weighting, &mut mean, &mut variance, &mut std) };
            Ok((mean, variance, std))
        }
    }
}
