// A shared array passed to a batched call cannot be read until the batch ends: the server
// may be writing it. Forgetting the batch changes nothing: the closure only has `&mut`.
fn main() -> loadlib::Result<()> {
    let c = loadlib::Client64::new("testlib")?;
    let x = c.alloc_array::<f64>(&[1 << 22])?;
    let mut out = c.alloc_array::<f64>(&[1 << 22])?;
    c.batch(|b| {
        b.submit("scalar_multiply_into", (2.0, &x, &mut out))?;
        std::mem::forget(b);
        let first = out[0];
        println!("{first}");
        Ok(())
    })?;
    Ok(())
}
