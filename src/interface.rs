//! The `interface!` macro: an interface declared once, its server dispatch and its typed
//! client generated from the one declaration.

/// Declares an interface once; from it come a trait the server implements and a typed
/// client with a method for each function.
///
/// Write it in a crate that compiles for both widths (the 32-bit server and the 64-bit
/// program both depend on it). Each function is declared without `self`; in the trait it
/// takes `&mut self` and returns [`server::Result<R>`](crate::server::Result).
///
/// ```
/// loadlib::interface! {
///     /// What my vendor library can do.
///     pub trait Vendor => VendorClient {
///         /// Adds two integers.
///         fn add(a: i32, b: i32) -> i32;
///         /// The sum of an array, read in place.
///         fn total(x: &[f64]) -> f64;
///         /// Scales `x` into `out`, written in place in shared memory.
///         fn scale(k: f64, x: &[f64], out: &mut [f64]);
///     }
/// }
///
/// // The server side: a wrapper implements the trait (and `Server32`, to be hosted).
/// struct Native;
/// impl Vendor for Native {
///     fn add(&mut self, a: i32, b: i32) -> loadlib::server::Result<i32> {
///         a.checked_add(b).ok_or_else(|| loadlib::server::ServerError::overflow("add"))
///     }
///     fn total(&mut self, x: &[f64]) -> loadlib::server::Result<f64> {
///         Ok(x.iter().sum())
///     }
///     fn scale(&mut self, k: f64, x: &[f64], out: &mut [f64]) -> loadlib::server::Result<()> {
///         out.iter_mut().zip(x).for_each(|(o, x)| *o = k * x);
///         Ok(())
///     }
/// }
///
/// // The client side: typed methods, no method names as strings. Here the wrapper runs
/// // in this process; `VendorClient::start(Client64::builder(…))` runs it in a server.
/// let client = VendorClient::in_process(Native)?;
/// assert_eq!(client.add(3, 14)?, 17);
/// assert_eq!(client.total(&[1.0, 2.5])?, 3.5);
/// let mut out = client.alloc_array::<f64>(&[2])?;
/// client.scale(2.0, &[1.0, 2.5], &mut out)?;
/// assert_eq!(out[..], [2.0, 5.0]);
/// # Ok::<(), loadlib::Error>(())
/// ```
///
/// What the generated client's methods accept for each parameter type is in
/// [`Arg`](crate::Arg); what they return, in
/// [`Returns`](crate::Returns).
///
/// The server publishes its wrapper's interface at start-up (the trait's name and a hash
/// of its signatures in a canonical form: method names and order, parameter and return
/// types; not parameter names, lifetimes, paths or spacing, so the hash is the same
/// whatever compiler built either side), and the typed client checks it before its first
/// call: a server built from another version of the declaration gives
/// [`Error::InterfaceMismatch`](crate::Error) naming both. The generic call by name
/// (`client.call("add", (3, 14))`) stays available through
/// [`Connection`](crate::Connection), which the client dereferences to.
///
/// What is generated, besides the trait (which holds the declared methods and nothing
/// else): the client type, with a method per function and its own items `new`, `start`,
/// `in_process`, `from_connection`, `connection`, `into_connection`, `SIGNATURES`,
/// `INTERFACE` and `METHODS` (a method of one of those names is a compile error); and the
/// client type's [`MethodTable`](crate::server::MethodTable), which calls a method, by its
/// index in the declaration, on any implementation of the trait. A server hosts an
/// implementation with [`Entry::of`](crate::server::Entry::of):
/// `serve(Entry::of::<VendorClient, MyServer>())`.
///
/// A function whose result borrows from its arguments names the lifetime:
/// `fn echo<'a>(x: ValueRef<'a>) -> ValueRef<'a>;`.
#[macro_export]
macro_rules! interface {
    // The declaration, after the arm below put the declarations in `$all` too: one token
    // tree, which each method's part of the expansion sees (to find its own index there).
    (
        @with_declarations $all:tt
        $(#[$meta:meta])*
        $vis:vis trait $name:ident => $client:ident {
            $(
                $(#[$fmeta:meta])*
                fn $method:ident $(<$($lt:lifetime),+>)? ($($arg:ident : $argty:ty),* $(,)?) $(-> $ret:ty)?;
            )*
        }
    ) => {
        $(#[$meta])*
        $vis trait $name {
            $(
                $(#[$fmeta])*
                fn $method $(<$($lt),+>)? (&mut self $(, $arg: $argty)*)
                    -> $crate::server::Result<$crate::__interface_ret!($($ret)?)>;
            )*
        }

        // The server side: the interface's methods by index, on any implementation.
        impl<__S: $name> $crate::server::MethodTable<__S> for $client {
            const INTERFACE: $crate::InterfaceId = $client::INTERFACE;
            const METHODS: &'static [&'static str] = $client::METHODS;
            const IN_PLACE: &'static [bool] = &[$($crate::__interface_in_place!($($ret)?)),*];

            #[allow(unused_mut, unused_variables, unused_assignments)]
            fn call<'__a>(
                __server: &mut __S,
                __index: usize,
                __args: &$crate::server::Args<'__a>,
            ) -> $crate::server::Result<$crate::server::Reply<'__a>> {
                match __index {
                    $(
                        $crate::__interface_method_index!($method in $all) => {
                            let mut __taken = 0usize;
                            $(
                                let $arg = $crate::server::FromArg::from_arg(__args, __taken).map_err(
                                    |e: $crate::server::ServerError| {
                                        e.context(format_args!(
                                            "argument `{}` of `{}`",
                                            stringify!($arg),
                                            stringify!($method)
                                        ))
                                    },
                                )?;
                                __taken += 1;
                            )*
                            __args.check_count(stringify!($method), __taken)?;
                            $crate::server::IntoReply::into_reply(
                                <__S as $name>::$method(__server $(, $arg)*),
                            )
                        }
                    )*
                    _ => ::std::result::Result::Err($crate::server::ServerError::new(
                        "ProtocolError",
                        format!("method {} of a table of {}", __index, $client::METHODS.len()),
                    )),
                }
            }

            // The lean path: every argument a packed scalar its parameter takes as it is,
            // and a result `__F` takes (as a `Reply`, or packed), or nothing is called.
            #[allow(unused_mut, unused_variables, unused_assignments)]
            #[inline]
            fn call_lean<'__a, __F: $crate::server::LeanFinish<'__a>>(
                __server: &mut __S,
                __index: usize,
                __args: $crate::__private::codec::PackedArgs<'_>,
            ) -> ::std::option::Option<__F::Out> {
                match __index {
                    $(
                        $crate::__interface_method_index!($method in $all) => {
                            if !__F::takes::<$crate::__interface_ret_static!($($ret)?)>() {
                                return ::std::option::Option::None;
                            }
                            // The count first: then each `get` below is known to be
                            // in bounds of the type bytes.
                            if __args.len() != <[&str]>::len(&[$(stringify!($arg)),*]) {
                                return ::std::option::Option::None;
                            }
                            let mut __taken = 0usize;
                            $(
                                let $arg = $crate::server::FromArg::from_packed(__args.get(__taken)?)?;
                                __taken += 1;
                            )*
                            ::std::option::Option::Some(__F::finish(
                                <__S as $name>::$method(__server $(, $arg)*),
                            ))
                        }
                    )*
                    _ => ::std::option::Option::None,
                }
            }
        }

        #[doc = concat!("The typed client of [`", stringify!($name), "`]: a method for each of its functions.")]
        $vis struct $client {
            conn: $crate::Connection,
        }

        impl $client {
            /// The canonical form of the interface's signatures: its methods in order,
            /// with their parameter and return types (no parameter names, lifetimes or
            /// paths), which [`INTERFACE`](Self::INTERFACE)'s hash is taken over.
            pub const SIGNATURES: &'static str = $crate::__interface_signatures!(
                $(fn $method ($($arg: $argty),*) $(-> $ret)?;)*
            );

            /// The interface this client speaks: the trait's name and a hash of its
            /// signatures' canonical form ([`SIGNATURES`](Self::SIGNATURES)).
            pub const INTERFACE: $crate::InterfaceId =
                $crate::InterfaceId::new(stringify!($name), Self::SIGNATURES);

            /// The names of the interface's functions, in order: a request names one by
            /// its index here.
            pub const METHODS: &'static [&'static str] = &[$(stringify!($method)),*];

            /// A client of a started server; checks that the server's wrapper implements
            /// this interface (as the server said at start-up).
            pub fn new(client: $crate::Client64) -> $crate::Result<Self> {
                Self::from_connection(client.into())
            }

            /// Starts the server `builder` describes and connects to it.
            pub fn start(builder: $crate::Builder) -> $crate::Result<Self> {
                Self::new(builder.start()?)
            }

            /// Runs `server` in this process, with no 32-bit server: for tests, and for a
            /// 64-bit build of the library. Results and errors are those of a server.
            pub fn in_process<S: $name + ::std::marker::Send + 'static>(
                server: S,
            ) -> $crate::Result<Self> {
                Self::from_connection($crate::Connection::in_process(
                    $crate::server::Served::<$client, S>::new(server),
                )?)
            }

            /// A client over `conn`; checks that the wrapper implements this interface.
            pub fn from_connection(conn: $crate::Connection) -> $crate::Result<Self> {
                conn.check_interface(&Self::INTERFACE)?;
                ::std::result::Result::Ok($client { conn })
            }

            /// The connection, for calls by name and shared arrays.
            pub fn connection(&self) -> &$crate::Connection {
                &self.conn
            }

            /// The connection, to shut the server down
            /// (`into_connection().into_client64()`).
            pub fn into_connection(self) -> $crate::Connection {
                self.conn
            }

            $(
                $(#[$fmeta])*
                #[allow(clippy::too_many_arguments, clippy::extra_unused_lifetimes)]
                pub fn $method<'__c $($(, $lt)+)?>(
                    &self
                    $(, $arg: impl $crate::Arg<'__c, fn($crate::__static_lifetimes!($argty))>)*
                ) -> $crate::Result<<$crate::__interface_ret!($($ret)?) as $crate::Returns>::Output> {
                    #[allow(unused_mut)]
                    let mut __list = $crate::__private::client::ArgList::new();
                    $($crate::Arg::push_to($arg, &mut __list);)*
                    self.conn.request_list(
                        stringify!($method),
                        $crate::__interface_method_index!($method in $all),
                        &mut __list,
                    )
                }
            )*
        }

        impl ::std::ops::Deref for $client {
            type Target = $crate::Connection;
            fn deref(&self) -> &$crate::Connection {
                &self.conn
            }
        }
    };
    (
        $(#[$meta:meta])*
        $vis:vis trait $name:ident => $client:ident { $($declarations:tt)* }
    ) => {
        $crate::interface! {
            @with_declarations [$($declarations)*]
            $(#[$meta])*
            $vis trait $name => $client { $($declarations)* }
        }
    };
}

/// The return type of an interface function: `()` when it declares none.
#[doc(hidden)]
#[macro_export]
macro_rules! __interface_ret {
    () => {
        ()
    };
    ($ret:ty) => {
        $ret
    };
}

/// Whether an interface function's result may be written in place
/// ([`OutVec`](crate::server::OutVec)): `false` when it declares none.
#[doc(hidden)]
#[macro_export]
macro_rules! __interface_in_place {
    () => {
        false
    };
    ($ret:ty) => {
        <$crate::__static_lifetimes!($ret) as $crate::server::IntoReply<'static>>::IN_PLACE
    };
}

/// An interface function's result type with every lifetime `'static` (`()` when it
/// declares none): what [`LeanFinish::takes`](crate::server::LeanFinish::takes) looks at.
#[doc(hidden)]
#[macro_export]
macro_rules! __interface_ret_static {
    () => {
        ()
    };
    ($ret:ty) => {
        $crate::__static_lifetimes!($ret)
    };
}

#[cfg(test)]
#[allow(unreachable_pub, dead_code)]
mod tests {
    use crate::values::value_ref::{ArrayRef, Out};

    crate::interface! {
        /// A known interface, whose hash is pinned below.
        pub trait Pinned => PinnedClient {
            fn add(a: i32, b: i32) -> i32;
            fn total(x: &[f64]) -> f64;
            fn scale_into(k: f64, x: ArrayRef<'_>, out: Out<'_, f64>);
            fn name() -> String;
        }
    }

    mod respelled {
        crate::interface! {
            /// The same interface, its parameters renamed and its types spelled otherwise.
            pub trait Pinned => PinnedClient {
                fn add(left: i32, right: core::primitive::i32) -> i32;
                fn total<'x>(values: &'x [ f64 ]) -> f64;
                fn scale_into<'a>(
                    factor: f64,
                    data: crate::values::value_ref::ArrayRef<'a>,
                    result: crate::Out<'a, f64>,
                ) -> ();
                fn name() -> ::std::string::String;
            }
        }
    }

    #[test]
    fn the_hash_of_a_known_interface_is_pinned() {
        assert_eq!(
            PinnedClient::SIGNATURES,
            "loadlib-interface/1:add(i32,i32)->i32;total(&[f64])->f64;\
             scale_into(f64,ArrayRef,Out<f64>)->();name()->String;"
        );
        // FNV-1a of the form above (checked with an independent implementation): a change
        // here means servers built before refuse clients built after, and the other way.
        assert_eq!(PinnedClient::INTERFACE.hash, 0x0628_1eaa_9a70_8747);
        assert_eq!(PinnedClient::INTERFACE.name, "Pinned");
        assert_eq!(
            PinnedClient::INTERFACE.describe(),
            format!("Pinned#{:016x}", PinnedClient::INTERFACE.hash)
        );
    }

    #[test]
    fn renamed_parameters_and_respelled_types_keep_the_hash() {
        assert_eq!(
            respelled::PinnedClient::SIGNATURES,
            PinnedClient::SIGNATURES
        );
        assert_eq!(respelled::PinnedClient::INTERFACE, PinnedClient::INTERFACE);
    }
}
