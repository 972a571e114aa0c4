//! The `methods!` macro: a wrapper's methods, callable by name.

/// Defines a wrapper's methods and makes each callable by name from the client.
///
/// Each method takes `&mut self` and parameters of any [`FromArg`](crate::server::FromArg)
/// type, and returns any [`IntoReply`](crate::server::IntoReply) type. The macro checks
/// the argument count and types and reports a `TypeError` naming the parameter; an
/// unknown name gives `UnknownMethod`. A method that returns data borrowed from its
/// arguments names the lifetime: `fn echo<'a>(&mut self, x: ValueRef<'a>) -> ValueRef<'a>`.
///
/// See [`server`](crate::server) for a whole example.
#[macro_export]
macro_rules! methods {
    (impl $ty:ty { $(
        $(#[$meta:meta])*
        $vis:vis fn $name:ident $(<$($lt:lifetime),*>)? (&mut $self:ident $(, $arg:ident : $argty:ty)* $(,)?) $(-> $ret:ty)? $body:block
    )* }) => {
        impl $ty {
            $(
                $(#[$meta])*
                $vis fn $name $(<$($lt),*>)? (&mut $self $(, $arg: $argty)*) $(-> $ret)? $body
            )*
        }

        impl $crate::server::Dispatch for $ty {
            #[allow(unused_mut, unused_variables, unused_assignments)]
            fn dispatch<'__a>(
                &mut self,
                method: &str,
                args: &$crate::server::Args<'__a>,
            ) -> ::std::result::Result<$crate::server::Reply<'__a>, $crate::server::ServerError> {
                match method {
                    $(
                        stringify!($name) => {
                            let mut index = 0usize;
                            $(
                                let $arg = $crate::server::FromArg::from_arg(args, index).map_err(
                                    |e: $crate::server::ServerError| {
                                        e.context(format_args!(
                                            "argument `{}` of `{}`",
                                            stringify!($arg),
                                            stringify!($name)
                                        ))
                                    },
                                )?;
                                index += 1;
                            )*
                            args.check_count(stringify!($name), index)?;
                            $crate::server::IntoReply::into_reply(self.$name($($arg),*))
                        }
                    )*
                    _ => ::std::result::Result::Err($crate::server::unknown_method(
                        method,
                        $crate::server::Dispatch::method_names(self),
                    )),
                }
            }

            fn method_names(&self) -> &'static [&'static str] {
                &[$(stringify!($name)),*]
            }
        }
    };
}
