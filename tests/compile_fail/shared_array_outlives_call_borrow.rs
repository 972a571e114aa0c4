// A shared array cannot be dropped (unmapped) while a batch still holds it, nor be made
// inside the batch (it would be dropped before the batch waits for its call).
fn main() {
    let client = loadlib::Client64::new("testlib").unwrap();
    let mut out = client.alloc_array::<f64>(&[4]).unwrap();
    client
        .batch(|b| {
            b.submit("sleep_then_fill", (100i32, &mut out, 1.0f64))?;
            drop(out);
            let mut inner = client.alloc_array::<f64>(&[4])?;
            b.submit("sleep_then_fill", (100i32, &mut inner, 1.0f64))
        })
        .unwrap();
}
