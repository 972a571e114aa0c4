//! The LabVIEW example (its Linux stand-in library) through real servers of both widths.

#[allow(dead_code)]
#[path = "../examples/labview.rs"]
mod labview;

use labview::{Labview, Weighting};
use loadlib::{Error, ServerExe};

fn close(got: f64, want: f64) {
    assert!(
        (got - want).abs() < 1e-12 * want.abs().max(1.0),
        "{got} != {want}"
    );
}

#[test]
fn default_server_is_32_bit() {
    let lv = Labview::new().unwrap();
    assert_eq!(lv.client().server_pointer_width(), 32);
}

#[test]
fn stdev_of_one_to_nine() {
    let data: Vec<f64> = (1..=9).map(f64::from).collect();
    for (exe, width) in [(ServerExe::Bundled32, 32), (ServerExe::Bundled64, 64)] {
        let lv = Labview::with_server(exe).unwrap();
        assert_eq!(lv.client().server_pointer_width(), width);
        let s = lv.stdev(&data, Weighting::Sample).unwrap();
        close(s.mean, 5.0);
        close(s.variance, 7.5);
        close(s.std, 7.5f64.sqrt());
        assert!((s.std - 2.7386).abs() < 1e-4);
        let p = lv.stdev(&data, Weighting::Population).unwrap();
        close(p.mean, 5.0);
        close(p.variance, 60.0 / 9.0);
        close(p.std, (60.0f64 / 9.0).sqrt());
        assert!((p.variance - 6.6667).abs() < 1e-4 && (p.std - 2.5820).abs() < 1e-4);
        let one = lv.stdev(&[4.0], Weighting::Population).unwrap();
        assert_eq!((one.mean, one.variance, one.std), (4.0, 0.0, 0.0));
    }
}

#[test]
fn bad_input_is_an_error() {
    let lv = Labview::new().unwrap();
    let value_error = |r: loadlib::Result<_>, needle: &str| match r {
        Err(Error::Server32 { name, message, .. }) => {
            assert_eq!(name, "ValueError", "{message}");
            assert!(message.contains(needle), "{message:?} lacks {needle:?}");
        }
        other => panic!("expected a ValueError, got {other:?}"),
    };
    value_error(
        lv.stdev(&[1.0], Weighting::Sample).map(|_| ()),
        "at least 2",
    );
    value_error(
        lv.stdev(&[], Weighting::Population).map(|_| ()),
        "at least 1",
    );
    value_error(
        lv.client().request32::<()>("stdev", (&[1.0f64, 2.0], 2u16)),
        "weighting must be 0",
    );
    assert_eq!(lv.stdev(&[1.0, 3.0], Weighting::Sample).unwrap().mean, 2.0);
}
