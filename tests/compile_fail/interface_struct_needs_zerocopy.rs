// A struct crosses `interface!` only when it also derives zerocopy's `FromBytes`,
// `IntoBytes` and `Immutable`: without them, the error says so, on both sides.
use loadlib::CStruct;

#[derive(CStruct, Clone, Copy)]
#[repr(C)]
pub struct Point {
    pub x: f64,
    pub y: f64,
}

loadlib::interface! {
    pub trait Geometry => GeometryClient {
        fn norm(p: &Point) -> f64;
    }
}

fn call(client: &GeometryClient) -> loadlib::Result<f64> {
    client.norm(&Point { x: 3.0, y: 4.0 })
}

fn main() {}
