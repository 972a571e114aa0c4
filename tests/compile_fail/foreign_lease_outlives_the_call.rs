// A shared array lent to a foreign call must stay borrowed until the call returns: one
// borrowed inside the call's steps (here from a lock that another thread could take while
// the library writes the array) cannot be lent.
use loadlib::foreign::{ForeignLibrary, OutArray, Step};
use loadlib::SharedArray;
use std::sync::Mutex;

fn lend(lib: &ForeignLibrary, m: &Mutex<SharedArray<f64>>) -> loadlib::Result<()> {
    lib.invoke(0, &mut |step, lease| match step {
        Step::Encode(enc) => {
            let mut guard = m.lock().unwrap();
            let array: &mut SharedArray<f64> = &mut guard;
            OutArray::<f64>::put(&array, enc, 0, false, lease)
        }
        Step::Decode(_) => Ok(()),
    })
}

fn main() {}
