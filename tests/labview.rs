//! The LabVIEW example library (its Linux stand-in) through real servers of both widths,
//! with its typed client.

use loadlib::{Client64, Error, ServerExe};
use server32::wrappers::labview::LabviewClient;

/// `weighting` of `stdev`: the sample statistics (divide by n - 1).
const SAMPLE: u16 = 0;
/// `weighting` of `stdev`: the population statistics (divide by n).
const POPULATION: u16 = 1;

fn start(exe: ServerExe) -> LabviewClient {
    LabviewClient::start(Client64::builder("labview").server(exe)).unwrap()
}

fn width(lv: &LabviewClient) -> u32 {
    lv.client64().expect("a server").server_pointer_width()
}

fn close(got: f64, want: f64) {
    assert!(
        (got - want).abs() < 1e-12 * want.abs().max(1.0),
        "{got} != {want}"
    );
}

#[test]
fn default_server_is_32_bit() {
    let lv = LabviewClient::start(Client64::builder("labview")).unwrap();
    assert_eq!(width(&lv), 32);
}

#[test]
fn stdev_of_one_to_nine() {
    let data: Vec<f64> = (1..=9).map(f64::from).collect();
    for (exe, w) in [(ServerExe::Bundled32, 32), (ServerExe::Bundled64, 64)] {
        let lv = start(exe);
        assert_eq!(width(&lv), w);
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
}

#[test]
fn bad_input_is_an_error() {
    let lv = LabviewClient::start(Client64::builder("labview")).unwrap();
    let value_error = |r: loadlib::Result<_>, needle: &str| match r {
        Err(Error::Server32 { name, message, .. }) => {
            assert_eq!(name, "ValueError", "{message}");
            assert!(message.contains(needle), "{message:?} lacks {needle:?}");
        }
        other => panic!("expected a ValueError, got {other:?}"),
    };
    value_error(lv.stdev(&[1.0], SAMPLE), "at least 2");
    value_error(lv.stdev(&[], POPULATION), "at least 1");
    value_error(lv.stdev(&[1.0, 2.0], 2), "weighting must be 0");
    assert_eq!(lv.stdev(&[1.0, 3.0], SAMPLE).unwrap().0, 2.0);
}
