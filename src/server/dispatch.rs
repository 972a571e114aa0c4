//! Calling a wrapper's method: the [`Dispatch`] trait, the [`Method`] a request names, and
//! the one place a wrapper is called from (the server and the in-process mode both), which
//! turns a panic into an error.

use std::panic::{catch_unwind, AssertUnwindSafe};

use super::{Args, IntoReply, Reply, ServerError};
use crate::transport::bulk::SegmentCache;
use crate::transport::codec::{Block, PackedArgs};
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

    /// Calls method `index` (of [`method_names`](Self::method_names)) if every argument
    /// is a packed scalar it takes as it is: the server's lean path. `None` (the default),
    /// with nothing called, sends the call to [`dispatch`](Self::dispatch).
    #[doc(hidden)]
    #[inline]
    fn dispatch_packed<'a>(
        &mut self,
        index: usize,
        args: PackedArgs<'_>,
    ) -> Option<Result<Reply<'a>, ServerError>> {
        let _ = (index, args);
        None
    }

    /// Calls method `index` if its result is always one packed scalar
    /// ([`IntoReply::PACKED`](super::IntoReply)) and every argument is a packed scalar it
    /// takes as it is: a small call answered with no [`Reply`] made. `NotCalled` (the
    /// default), with nothing called, sends the call to
    /// [`dispatch_packed`](Self::dispatch_packed).
    #[doc(hidden)]
    #[inline]
    fn dispatch_scalar(&mut self, index: usize, args: PackedArgs<'_>) -> ScalarReply {
        let _ = (index, args);
        ScalarReply::NotCalled
    }

    /// The interface the wrapper implements, which the server publishes at start-up for
    /// typed clients to check. `None` (the default) for a hand-written wrapper.
    fn interface(&self) -> Option<InterfaceId> {
        None
    }

    /// Whether `method`'s result may be an [`OutVec`](super::OutVec), for which the
    /// server lends the memory of its reply while the method runs. `true` (the default)
    /// for a hand-written wrapper; an `interface!` one knows from the result types.
    #[doc(hidden)]
    #[inline]
    fn may_write_in_place(&self, method: Method<'_>) -> bool {
        let _ = method;
        true
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
    catch_unwind(AssertUnwindSafe(|| wrapper.dispatch(method, &args)))
        .unwrap_or_else(|payload| Err(panicked(method.name(), payload)))
}

/// What [`Dispatch::dispatch_scalar`] did: small enough to come back in registers (an
/// error, rare, is boxed).
#[doc(hidden)]
pub enum ScalarReply {
    /// Nothing was called: the method's result is not always a packed scalar, or an
    /// argument is not one its parameter takes.
    NotCalled,
    /// The method's result: its type byte and bits.
    Packed(u8, u64),
    /// The method's error (or its panic).
    Failed(Box<ServerError>),
}

/// How the lean path hands a method's result back: what it takes (by the method's
/// result type `R`, every lifetime `'static`), and what it makes of the method's
/// `Result`. `interface!`'s [`MethodTable::call_lean`](super::MethodTable::call_lean)
/// is generic over it, so each argument's conversion is written (and each wrong
/// parameter type reported) once.
#[doc(hidden)]
pub trait LeanFinish<'a> {
    /// What a call gives.
    type Out;
    /// Whether a method whose result is `R` is called this way at all.
    fn takes<R: IntoReply<'static>>() -> bool;
    /// The method's result, as this way gives it.
    fn finish<R: IntoReply<'a>>(r: Result<R, ServerError>) -> Self::Out;
}

/// The result as a [`Reply`] (the lean path by name, and of results that are not
/// scalars): not for a result written in place, which needs the memory the general path
/// lends.
#[doc(hidden)]
pub struct AsReply;

impl<'a> LeanFinish<'a> for AsReply {
    type Out = Result<Reply<'a>, ServerError>;
    #[inline(always)]
    fn takes<R: IntoReply<'static>>() -> bool {
        !R::IN_PLACE
    }
    #[inline(always)]
    fn finish<R: IntoReply<'a>>(r: Result<R, ServerError>) -> Self::Out {
        r.into_reply()
    }
}

/// The result packed ([`ScalarReply`]): only for a result that always packs
/// ([`IntoReply::PACKED`](super::IntoReply)).
#[doc(hidden)]
pub struct AsScalar;

impl<'a> LeanFinish<'a> for AsScalar {
    type Out = ScalarReply;
    #[inline(always)]
    fn takes<R: IntoReply<'static>>() -> bool {
        R::PACKED
    }
    #[inline(always)]
    fn finish<R: IntoReply<'a>>(r: Result<R, ServerError>) -> ScalarReply {
        match r {
            Ok(v) => {
                let (ty, bits) = v.into_packed();
                ScalarReply::Packed(ty, bits)
            }
            Err(e) => ScalarReply::Failed(Box::new(e)),
        }
    }
}

/// Calls method `index` the scalar way (see [`Dispatch::dispatch_scalar`]), turning a
/// panic into a `Panic` error.
#[inline]
pub(crate) fn call_scalar(
    wrapper: &mut dyn Dispatch,
    index: usize,
    args: PackedArgs<'_>,
) -> ScalarReply {
    catch_unwind(AssertUnwindSafe(|| wrapper.dispatch_scalar(index, args))).unwrap_or_else(
        |payload| {
            let name = wrapper.method_names().get(index).copied().unwrap_or("?");
            ScalarReply::Failed(Box::new(panicked(name, payload)))
        },
    )
}

/// Calls method `index` the lean way (see [`Dispatch::dispatch_packed`]), turning a panic
/// into a `Panic` error; `None` when the call must go the general way ([`call_block`]).
#[inline]
pub(crate) fn call_packed<'a>(
    wrapper: &mut dyn Dispatch,
    index: usize,
    args: PackedArgs<'_>,
) -> Option<Result<Reply<'a>, ServerError>> {
    catch_unwind(AssertUnwindSafe(|| wrapper.dispatch_packed(index, args))).unwrap_or_else(
        |payload| {
            let name = wrapper.method_names().get(index).copied().unwrap_or("?");
            Some(Err(panicked(name, payload)))
        },
    )
}

/// The `Panic` error of method `name`, whose call panicked with `payload`.
#[cold]
fn panicked(name: &str, payload: Box<dyn std::any::Any + Send>) -> ServerError {
    let msg = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "non-string panic payload".into());
    ServerError::new("Panic", format!("`{name}` panicked: {msg}"))
}

/// Makes the server's panic message one line on stderr (`<program>: panicked at …`), with
/// a backtrace only when `LOADLIB_SERVER_BACKTRACE` is set (and not `0`).
///
/// The client gets every wrapper panic as a `Panic` error (see [`call_block`]); stderr
/// is for the person reading a crash report. `RUST_BACKTRACE` is not honoured here: with
/// it set, printing the backtrace crashes a 32-bit Windows server under Wine (an access
/// violation in ucrtbase.dll), which would turn a reported panic into a crash.
pub(super) fn report_panics_briefly() {
    let backtrace = std::env::var_os("LOADLIB_SERVER_BACKTRACE").is_some_and(|v| v != "0");
    std::panic::set_hook(Box::new(move |info| {
        super::watchdog::say(format_args!("{}: {info}", super::watchdog::program_name()));
        if backtrace {
            super::watchdog::say(std::backtrace::Backtrace::force_capture());
        }
    }));
}
