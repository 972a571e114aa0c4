//! A wrapper served through the dispatch function an [`interface!`](crate::interface)
//! generates for it.

use super::{Args, Dispatch, Reply, ServerError};

/// The dispatch function of an interface, for implementation `S`.
pub type DispatchFn<S> = for<'a> fn(&mut S, &str, &Args<'a>) -> Result<Reply<'a>, ServerError>;

/// An implementation of an [`interface!`](crate::interface) trait, callable by name.
/// Made by the trait's `into_served`; the host and the in-process client use it.
pub struct Served<S> {
    inner: S,
    dispatch: DispatchFn<S>,
    methods: &'static [&'static str],
}

impl<S> Served<S> {
    /// `inner` with its interface's dispatch function and method names.
    pub fn new(inner: S, dispatch: DispatchFn<S>, methods: &'static [&'static str]) -> Self {
        Served {
            inner,
            dispatch,
            methods,
        }
    }

    /// The implementation.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }
}

impl<S> Dispatch for Served<S> {
    fn dispatch<'a>(&mut self, method: &str, args: &Args<'a>) -> Result<Reply<'a>, ServerError> {
        (self.dispatch)(&mut self.inner, method, args)
    }

    fn method_names(&self) -> &'static [&'static str] {
        self.methods
    }
}
