//! A wrapper served through the method table an [`interface!`](crate::interface)
//! generates for it.

use std::marker::PhantomData;

use super::dispatch::{AsReply, AsScalar, LeanFinish};
#[cfg(doc)]
use super::FromArg;
use super::{Args, Dispatch, Entry, Method, Reply, ScalarReply, Server32, ServerError};
use crate::transport::codec::PackedArgs;
use crate::InterfaceId;

/// The method table of an [`interface!`](crate::interface) for an implementation `S` of
/// its trait: what the interface is, and how a method, by index, is called on `S`.
///
/// `interface!` implements it for the interface's client type (`VendorClient` for
/// `trait Vendor => VendorClient`), for every `S` that implements the trait; that type
/// names the interface in [`Entry::of`] and [`Served`]. There is nothing to implement by
/// hand.
pub trait MethodTable<S>: 'static {
    /// The interface's name and signature hash.
    const INTERFACE: InterfaceId;
    /// The interface's methods in declaration order: a request's method index counts here.
    const METHODS: &'static [&'static str];
    /// Whether each method's result may be written in place
    /// ([`OutVec`](super::OutVec)), by index (missing: no).
    #[doc(hidden)]
    const IN_PLACE: &'static [bool] = &[];

    /// Calls method `index` (of [`METHODS`](Self::METHODS)) on `server` with `args`; an
    /// index past the table gives an `UnknownMethod` error.
    fn call<'a>(server: &mut S, index: usize, args: &Args<'a>) -> Result<Reply<'a>, ServerError>;

    /// Calls method `index` on `server` if every argument is a packed scalar its
    /// parameter takes as it is (see [`FromArg::from_packed`]) and `F` takes its result
    /// ([`LeanFinish::takes`]), and gives the result as `F` makes it; `None`, with nothing
    /// called, for anything else (which [`call`](Self::call) then handles).
    #[doc(hidden)]
    #[inline]
    fn call_lean<'a, F: LeanFinish<'a>>(
        server: &mut S,
        index: usize,
        args: PackedArgs<'_>,
    ) -> Option<F::Out> {
        let _ = (server, index, args);
        None
    }
}

/// Implementation `S` of the interface `I` names (its client type), callable by the
/// server and the in-process client: a [`Dispatch`] over `I`'s method table.
///
/// ```
/// use loadlib::server::{Dispatch, Result, Served};
///
/// loadlib::interface! {
///     /// Adds.
///     pub trait Adder => AdderClient {
///         fn add(a: i32, b: i32) -> i32;
///     }
/// }
///
/// struct Native;
/// impl Adder for Native {
///     fn add(&mut self, a: i32, b: i32) -> Result<i32> {
///         Ok(a + b)
///     }
/// }
///
/// let served = Served::<AdderClient, _>::new(Native);
/// assert_eq!(served.method_names(), ["add"]);
/// assert_eq!(served.interface().map(|i| i.name), Some("Adder"));
/// ```
pub struct Served<I, S> {
    server: S,
    interface: PhantomData<fn() -> I>,
}

impl<I: MethodTable<S>, S> Served<I, S> {
    /// `server`, served as interface `I`.
    pub fn new(server: S) -> Self {
        Served {
            server,
            interface: PhantomData,
        }
    }

    /// The implementation.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.server
    }

    /// The implementation, no longer served.
    pub fn into_inner(self) -> S {
        self.server
    }
}

impl<I: MethodTable<S>, S> Dispatch for Served<I, S> {
    fn method_names(&self) -> &'static [&'static str] {
        I::METHODS
    }

    fn dispatch<'a>(
        &mut self,
        method: Method<'_>,
        args: &Args<'a>,
    ) -> Result<Reply<'a>, ServerError> {
        match method.index() {
            Some(index) => I::call(&mut self.server, index, args),
            None => Err(method.unknown()),
        }
    }

    #[inline]
    fn dispatch_packed<'a>(
        &mut self,
        index: usize,
        args: PackedArgs<'_>,
    ) -> Option<Result<Reply<'a>, ServerError>> {
        I::call_lean::<AsReply>(&mut self.server, index, args)
    }

    #[inline]
    fn dispatch_scalar(&mut self, index: usize, args: PackedArgs<'_>) -> ScalarReply {
        I::call_lean::<AsScalar>(&mut self.server, index, args).unwrap_or(ScalarReply::NotCalled)
    }

    fn interface(&self) -> Option<InterfaceId> {
        Some(I::INTERFACE)
    }

    #[inline]
    fn may_write_in_place(&self, method: Method<'_>) -> bool {
        let index = method.index();
        index.is_some_and(|i| I::IN_PLACE.get(i).copied().unwrap_or(false))
    }
}

impl Entry {
    /// The host entry of wrapper `S` serving the interface `I` names (its client type),
    /// for [`serve`](super::serve) and [`host`](super::host).
    ///
    /// ```no_run
    /// # loadlib::interface! { pub trait Vendor => VendorClient { fn add(a: i32, b: i32) -> i32; } }
    /// # struct VendorServer;
    /// # impl Vendor for VendorServer {
    /// #     fn add(&mut self, a: i32, b: i32) -> loadlib::server::Result<i32> { Ok(a + b) }
    /// # }
    /// # impl loadlib::server::Server32 for VendorServer {
    /// #     const NAME: &'static str = "vendor";
    /// #     fn new(_: &loadlib::server::Kwargs) -> loadlib::server::Result<Self> { Ok(VendorServer) }
    /// # }
    /// use loadlib::server::{serve, Entry};
    ///
    /// fn main() -> std::process::ExitCode {
    ///     serve(Entry::of::<VendorClient, VendorServer>())
    /// }
    /// ```
    pub fn of<I, S>() -> Entry
    where
        I: MethodTable<S>,
        S: Server32,
    {
        Entry::new(S::NAME, |kwargs| {
            let server = S::new(kwargs)?;
            Ok(Box::new(Served::<I, S>::new(server)))
        })
    }
}
