//! `foreign!`: a library's functions declared once in the 64-bit program; a typed handle
//! with one method per function comes out.

use proc_macro2::TokenStream;
use quote::quote;
use syn::parse::{Parse, ParseStream};
use syn::{braced, Attribute, ForeignItemFn, Ident, LitStr, Token, Visibility};

/// The whole declaration.
pub(crate) struct Foreign {
    attrs: Vec<Attribute>,
    vis: Visibility,
    name: Ident,
    abi: LitStr,
    functions: Vec<ForeignItemFn>,
}

impl Parse for Foreign {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis = input.parse()?;
        input.parse::<Token![struct]>()?;
        let name = input.parse()?;
        input.parse::<Token![:]>()?;
        input.parse::<Token![extern]>()?;
        let abi: LitStr = input.parse()?;
        let body;
        braced!(body in input);
        let mut functions = Vec::new();
        while !body.is_empty() {
            functions.push(body.parse()?);
        }
        Ok(Foreign {
            attrs,
            vis,
            name,
            abi,
            functions,
        })
    }
}

/// Names the generated handle defines itself.
pub(crate) const OWN: [&str; 6] = [
    "declarations",
    "load",
    "load_with",
    "bind",
    "library",
    "into_library",
];

/// Generates the handle.
pub(crate) fn expand(f: Foreign) -> syn::Result<TokenStream> {
    let Foreign {
        attrs,
        vis,
        name,
        abi,
        functions,
    } = f;
    let convention = match abi.value().as_str() {
        "C" => quote!(::loadlib::foreign::Convention::C),
        "system" => quote!(::loadlib::foreign::Convention::System),
        "stdcall" => quote!(::loadlib::foreign::Convention::Stdcall),
        other => {
            return Err(syn::Error::new_spanned(
                &abi,
                format!("extern \"{other}\": write \"C\", \"system\" or \"stdcall\""),
            ))
        }
    };
    let mut decls = Vec::new();
    let mut methods = Vec::new();
    for (index, mut func) in functions.into_iter().enumerate() {
        let sig = crate::signature::parse(&mut func)?;
        let (decl, method) = crate::function::generate(index, &sig)?;
        decls.push(decl);
        methods.push(method);
    }
    let doc_load = format!(
        "Starts a server for foreign calls and loads the library at `path` there, \
         binding every function `{name}` declares (each missing one is named in the error)."
    );
    Ok(quote! {
        #(#attrs)*
        #vis struct #name {
            __lib: ::loadlib::foreign::ForeignLibrary,
        }

        #[allow(dead_code, clippy::too_many_arguments, non_snake_case)]
        impl #name {
            /// The functions this handle declares, as data (the run-time form).
            #vis fn declarations() -> ::std::vec::Vec<::loadlib::foreign::FunctionDecl> {
                ::std::vec![#(#decls),*]
            }

            #[doc = #doc_load]
            ///
            /// # Safety
            /// Loading runs the library's initialisers in the server, and each declaration
            /// must be the function's true signature (see
            /// [`ForeignLibrary::bind`](::loadlib::foreign::ForeignLibrary::bind)).
            #vis unsafe fn load(path: impl ::core::convert::AsRef<str>) -> ::loadlib::Result<Self> {
                // SAFETY: the caller's promise.
                let lib = unsafe {
                    ::loadlib::foreign::ForeignLibrary::load(path.as_ref(), #convention, Self::declarations())
                }?;
                ::core::result::Result::Ok(#name { __lib: lib })
            }

            /// As [`load`](Self::load), with the server `builder` describes.
            ///
            /// # Safety
            /// As for [`load`](Self::load).
            #vis unsafe fn load_with(
                builder: ::loadlib::Builder,
                path: impl ::core::convert::AsRef<str>,
            ) -> ::loadlib::Result<Self> {
                // SAFETY: the caller's promise.
                let lib = unsafe {
                    ::loadlib::foreign::ForeignLibrary::load_with(builder, path.as_ref(), #convention, Self::declarations())
                }?;
                ::core::result::Result::Ok(#name { __lib: lib })
            }

            /// As [`load`](Self::load), in the server of a client that already runs
            /// (several libraries can share one server).
            ///
            /// # Safety
            /// As for [`load`](Self::load).
            #vis unsafe fn bind(
                client: ::std::sync::Arc<::loadlib::Client64>,
                path: impl ::core::convert::AsRef<str>,
            ) -> ::loadlib::Result<Self> {
                // SAFETY: the caller's promise.
                let lib = unsafe {
                    ::loadlib::foreign::ForeignLibrary::bind(client, path.as_ref(), #convention, Self::declarations())
                }?;
                ::core::result::Result::Ok(#name { __lib: lib })
            }

            /// The bound library: its client, and calls by name.
            #vis fn library(&self) -> &::loadlib::foreign::ForeignLibrary {
                &self.__lib
            }

            /// The bound library, to shut its server down.
            #vis fn into_library(self) -> ::loadlib::foreign::ForeignLibrary {
                self.__lib
            }

            #(#methods)*
        }
    })
}
