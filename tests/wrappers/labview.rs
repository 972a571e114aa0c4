//! The LabVIEW example library (its Linux stand-in) through real servers of both widths,
//! with its typed client.

use loadlib::Client64;
use server32::wrappers::labview::LabviewClient;

use crate::common::{self, Config};

common::per_config! {
    stdev_of_one_to_nine: shm;
}

/// `weighting` of `stdev`: the sample statistics (divide by n - 1).
const SAMPLE: u16 = 0;
/// `weighting` of `stdev`: the population statistics (divide by n).
const POPULATION: u16 = 1;

fn close(got: f64, want: f64) {
    assert!(
        (got - want).abs() < 1e-12 * want.abs().max(1.0),
        "{got} != {want}"
    );
}

#[test]
fn default_server_is_32_bit() {
    let lv = LabviewClient::start(Client64::builder("labview")).unwrap();
    assert_eq!(common::width(lv.connection()), 32);
}

fn stdev_of_one_to_nine(cfg: &Config) {
    let data: Vec<f64> = (1..=9).map(f64::from).collect();
    let lv = cfg.typed("labview", LabviewClient::from_connection);
    let (mean, variance, std) = lv.stdev(&data, SAMPLE).unwrap();
    close(mean, 5.0);
    close(variance, 7.5);
    close(std, 7.5f64.sqrt());
    assert!((std - 2.7386).abs() < 1e-4);
    let (mean, variance, std) = lv.stdev(&data, POPULATION).unwrap();
    close(mean, 5.0);
    close(variance, 60.0 / 9.0);
    close(std, (60.0f64 / 9.0).sqrt());
    assert!((variance - 6.6667).abs() < 1e-4 && (std - 2.5820).abs() < 1e-4);
    let one = lv.stdev(&[4.0], POPULATION).unwrap();
    assert_eq!(one, (4.0, 0.0, 0.0));
}

#[test]
fn bad_input_is_an_error() {
    let lv = LabviewClient::start(Client64::builder("labview")).unwrap();
    common::assert_server_error(lv.stdev(&[1.0], SAMPLE), "ValueError", "at least 2");
    common::assert_server_error(lv.stdev(&[], POPULATION), "ValueError", "at least 1");
    common::assert_server_error(
        lv.stdev(&[1.0, 2.0], 2),
        "ValueError",
        "weighting must be 0",
    );
    assert_eq!(lv.stdev(&[1.0, 3.0], SAMPLE).unwrap().0, 2.0);
}
