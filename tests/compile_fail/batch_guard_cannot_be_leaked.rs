// Issue 18's program: a batch guard forgotten with `mem::forget` while the server writes
// `out`. There is no guard to forget any more: a batch is a closure's scope.
fn main() -> loadlib::Result<()> {
    let c = loadlib::Client64::new("testlib")?;
    let x = c.alloc_array::<f64>(&[1 << 22])?;
    let mut out = c.alloc_array::<f64>(&[1 << 22])?;
    let mut b = c.batch();
    b.submit("scalar_multiply_into", (2.0, &x, &mut out))?;
    std::mem::forget(b);
    let first = out[0];
    println!("{first}");
    Ok(())
}
