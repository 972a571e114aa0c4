//! Starts its server by name (found next to this program) and prints what it answers.

fn main() -> Result<(), loadlib::Error> {
    // The binary's name, as in build.rs: the server runs its one wrapper.
    let client = loadlib::Client64::own_server("outside_server").start()?;
    let sum: i32 = client.request32("add", (3, 14))?;
    let bits: u32 = client.request32("bits", ())?;
    println!("add={sum} server_bits={bits} client_bits={}", usize::BITS);
    Ok(())
}
