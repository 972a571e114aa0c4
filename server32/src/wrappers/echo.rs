//! `echo`: returns what it was sent, with its type; no library involved.

use loadlib::server::{Kwargs, Reply, Rest, Server32, ServerError};
use loadlib::{Value, ValueRef};

/// Sends values back unchanged.
pub struct Echo {
    kwargs: Kwargs,
}

impl Server32 for Echo {
    const NAME: &'static str = "echo";
    fn new(kwargs: &Kwargs) -> Result<Self, ServerError> {
        Ok(Echo {
            kwargs: kwargs.clone(),
        })
    }
}

loadlib::methods! {
    impl Echo {
        /// One argument comes back as itself (arrays straight from shared memory); several
        /// come back as a list.
        fn echo<'a>(&mut self, args: Rest<'a>) -> Reply<'a> {
            let mut values = args.values;
            if values.len() == 1 {
                Reply::Ref(values.pop().expect("one value"))
            } else {
                Reply::Value(Value::List(values.iter().map(ValueRef::to_value).collect()))
            }
        }

        /// The keyword arguments the server was started with (all strings).
        fn kwargs(&mut self) -> Value {
            Value::Map(self.kwargs.iter().map(|(k, v)| (k.to_owned(), Value::from(v))).collect())
        }

        /// The server's pointer width in bits.
        fn pointer_width(&mut self) -> u32 {
            usize::BITS
        }

        /// Panics with `message` (to show that a panic becomes an error).
        fn panic(&mut self, message: String) {
            panic!("{message}");
        }

        /// Returns a `u8` array of `n` bytes, each `i % 251`.
        fn make_bytes(&mut self, n: u32) -> Vec<u8> {
            (0..n).map(|i| (i % 251) as u8).collect()
        }
    }
}
