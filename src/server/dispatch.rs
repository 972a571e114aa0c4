//! Calling a wrapper's method: the [`Dispatch`] trait, the [`Method`] a request names, and
//! the one place a wrapper is called from (the server and the in-process mode both), which
//! turns a panic into an error.

use std::panic::{catch_unwind, AssertUnwindSafe};

use super::{Args, Reply, ServerError};
use crate::transport::bulk::SegmentCache;
use crate::transport::codec::Block;
use crate::InterfaceId;

/// Calls a wrapper's methods. An [`interface!`](crate::interface) implements it for you
/// (through [`Served`](super::Served)); implement it by hand for a wrapper whose methods
/// are only known at run time.
///
/// A request names its method by its index in [`method_names`](Self::method_names) (what
/// a typed client sends) or by its name, which the server looks up there once; either
/// way [`dispatch`](Self::dispatch) gets both, and a name that is not in the table with
/// no index.
///
/// ```
/// use loadlib::server::{Args, Dispatch, IntoReply, Method, Reply, ServerError};
///
/// /// Doubles an integer.
/// struct Doubler;
///
/// impl Dispatch for Doubler {
///     fn method_names(&self) -> &'static [&'static str] {
///         &["double"]
///     }
///     fn dispatch<'a>(&mut self, method: Method<'_>, args: &Args<'a>) -> Result<Reply<'a>, ServerError> {
///         match method.index() {
///             Some(0) => (2 * args.arg::<i32>(0)?).into_reply(),
///             _ => Err(method.unknown()),
///         }
///     }
/// }
///
/// let conn = loadlib::Connection::in_process(Doubler)?;
/// assert_eq!(conn.request::<i32>("double", (21,))?, 42);
/// let unknown = conn.request::<i32>("triple", (21,)).unwrap_err();
/// assert!(unknown.to_string().contains("no method `triple`; this server has: double"));
/// # Ok::<(), loadlib::Error>(())
/// ```
pub trait Dispatch {
    /// The methods, in the order their indices count: for error messages, for discovery,
    /// and to find a method a request names.
    fn method_names(&self) -> &'static [&'static str];

    /// Calls `method` with `args`. A method it does not have gives
    /// [`method.unknown()`](Method::unknown) (an `UnknownMethod` error).
    fn dispatch<'a>(
        &mut self,
        method: Method<'_>,
        args: &Args<'a>,
    ) -> Result<Reply<'a>, ServerError>;

    /// The interface the wrapper implements, which the server publishes at start-up for
    /// typed clients to check. `None` (the default) for a hand-written wrapper.
    fn interface(&self) -> Option<InterfaceId> {
        None
    }
}

/// The method a request calls: its index in the wrapper's
/// [`method_names`](Dispatch::method_names) when it is there, and its name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Method<'n> {
    index: Option<usize>,
    name: &'n str,
    known: &'static [&'static str],
}

impl<'n> Method<'n> {
    /// The method called `name` in `table` (with no index when it is not there).
    ///
    /// ```
    /// # use loadlib::server::Method;
    /// let table = &["add", "total"];
    /// assert_eq!(Method::named(table, "total").index(), Some(1));
    /// assert_eq!(Method::named(table, "other").index(), None);
    /// ```
    pub fn named(table: &'static [&'static str], name: &'n str) -> Method<'n> {
        Method {
            index: table.iter().position(|m| *m == name),
            name,
            known: table,
        }
    }

    /// Method `index` of `table`, or `None` when the table is shorter.
    pub fn at(table: &'static [&'static str], index: usize) -> Option<Method<'static>> {
        Some(Method {
            index: Some(index),
            name: table.get(index)?,
            known: table,
        })
    }

    /// Its index in the wrapper's table, or `None` for a name that is not there.
    pub fn index(&self) -> Option<usize> {
        self.index
    }

    /// Its name.
    pub fn name(&self) -> &'n str {
        self.name
    }

    /// The `UnknownMethod` error for it, naming the wrapper's methods.
    pub fn unknown(&self) -> ServerError {
        unknown_method(self.name, self.known)
    }
}

/// The error for a method name that does not exist.
pub fn unknown_method(method: &str, known: &[&str]) -> ServerError {
    ServerError::new(
        "UnknownMethod",
        format!(
            "no method `{method}`; this server has: {}",
            known.join(", ")
        ),
    )
}

/// Calls `method` with the arguments in `block`, mapping the shared arrays it names
/// through `cache`, and turns a panic into a `Panic` error. The server and the in-process
/// mode both call wrappers through this.
pub(crate) fn call_block<'a>(
    wrapper: &mut dyn Dispatch,
    method: Method<'_>,
    block: Block<'a>,
    cache: &'a mut SegmentCache,
) -> Result<Reply<'a>, ServerError> {
    cache
        .prepare(&block)
        .map_err(|e| ServerError::new("SharedMemoryError", e.to_string()))?;
    let cache: &'a SegmentCache = cache;
    // SAFETY: these are the only arguments made over `block`, and the wrapper gets
    // nothing else of it; `cache` maps the client's segments (`SegmentMap`).
    let args = unsafe { Args::new(block, cache) }?;
    match catch_unwind(AssertUnwindSafe(|| wrapper.dispatch(method, &args))) {
        Ok(r) => r,
        Err(payload) => {
            let msg = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "non-string panic payload".into());
            Err(ServerError::new(
                "Panic",
                format!("`{}` panicked: {msg}", method.name()),
            ))
        }
    }
}
