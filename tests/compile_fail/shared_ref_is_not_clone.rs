// A writable reference to a shared array is the only way to it while it lives, as the
// `&mut` it came from: it cannot be cloned into a second writable one.
fn main() {
    let client = loadlib::Client64::new("testlib").unwrap();
    let mut out = client.alloc_array::<f64>(&[4]).unwrap();
    let w: loadlib::SharedRef<'_> = (&mut out).into();
    let again = w.clone();
    drop((w, again));
}
