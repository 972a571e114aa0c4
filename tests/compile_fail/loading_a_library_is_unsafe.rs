// Loading a library runs its initialisers: it is `unsafe`, as in libloading.
fn main() {
    let _ = loadlib::server::Library::cdll("libm.so.6");
}
