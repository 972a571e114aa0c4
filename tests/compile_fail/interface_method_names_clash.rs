// The generated client keeps a few names for itself (`start`, `new`, `METHODS`, …) and
// the generated code the `__loadlib` prefix: an interface method of one of those names is
// a compile error at the method's name, not a clash somewhere in the expansion. So is a
// method declared twice.
loadlib::interface! {
    trait Motor => MotorClient {
        fn start(speed: u32);
        fn stop();
        fn __loadlib_reset();
        fn stop();
    }
}

fn main() {}
