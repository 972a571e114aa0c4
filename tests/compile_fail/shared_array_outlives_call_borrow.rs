// A shared array cannot be dropped (unmapped) while a batch still holds it.
fn main() {
    let client = loadlib::Client64::new("testlib").unwrap();
    let mut out = client.alloc_array::<f64>(&[4]).unwrap();
    let mut batch = client.batch();
    batch.submit("sleep_then_fill", (100i32, &mut out, 1.0f64)).unwrap();
    drop(out);
    batch.finish().unwrap();
}
