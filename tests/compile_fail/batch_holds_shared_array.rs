// A shared array passed to a batched call cannot be read until the batch ends: the server
// may be writing it.
fn main() {
    let client = loadlib::Client64::new("testlib").unwrap();
    let x = client.alloc_array::<f64>(&[4]).unwrap();
    let mut out = client.alloc_array::<f64>(&[4]).unwrap();
    let mut batch = client.batch();
    batch
        .submit("scalar_multiply_into", (2.0f64, &x, &mut out))
        .unwrap();
    let early = out[0];
    batch.finish().unwrap();
    println!("{early}");
}
