//! `echo`: returns what it was sent, with its type; no library involved.

use loadlib::server::{Kwargs, Reply, Rest, Result, Server32};
use loadlib::{Value, ValueRef};

loadlib::interface! {
    /// Sends values back unchanged.
    pub trait Echo => EchoClient {
        /// One argument comes back as itself (arrays straight from shared memory); several
        /// come back as a list.
        fn echo<'a>(args: Rest<'a>) -> Reply<'a>;
        /// The keyword arguments the server was started with (all strings).
        fn kwargs() -> Value;
        /// The server's pointer width in bits.
        fn pointer_width() -> u32;
        /// Panics with `message` (to show that a panic becomes an error).
        fn panic(message: String);
        /// Returns a `u8` array of `n` bytes, each `i % 251`.
        fn make_bytes(n: u32) -> Vec<u8>;
    }
}

/// Serves [`Echo`].
pub struct EchoServer {
    kwargs: Kwargs,
}

impl Server32 for EchoServer {
    const NAME: &'static str = "echo";
    fn new(kwargs: &Kwargs) -> Result<Self> {
        Ok(EchoServer {
            kwargs: kwargs.clone(),
        })
    }
}

impl Echo for EchoServer {
    fn echo<'a>(&mut self, args: Rest<'a>) -> Result<Reply<'a>> {
        let mut values = args.values;
        Ok(if values.len() == 1 {
            Reply::Ref(values.pop().expect("one value"))
        } else {
            Reply::Value(Value::List(values.iter().map(ValueRef::to_value).collect()))
        })
    }

    fn kwargs(&mut self) -> Result<Value> {
        Ok(Value::Map(
            self.kwargs
                .iter()
                .map(|(k, v)| (k.to_owned(), Value::from(v)))
                .collect(),
        ))
    }

    fn pointer_width(&mut self) -> Result<u32> {
        Ok(usize::BITS)
    }

    fn panic(&mut self, message: String) -> Result<()> {
        panic!("{message}");
    }

    fn make_bytes(&mut self, n: u32) -> Result<Vec<u8>> {
        Ok((0..n).map(|i| (i % 251) as u8).collect())
    }
}
