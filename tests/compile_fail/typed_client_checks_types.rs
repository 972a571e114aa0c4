// A typed client's methods take the interface's parameter types: a string for an `i32`
// is a compile error, not a `TypeError` at run time.
loadlib::interface! {
    trait Adder => AdderClient {
        fn add(a: i32, b: i32) -> i32;
    }
}

fn call(client: &AdderClient) -> loadlib::Result<i32> {
    client.add("three", 14)
}

fn main() {}
