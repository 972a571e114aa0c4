//! `foreign!`: a library's functions declared once in the 64-bit program; a typed handle
//! with one method per function comes out.

use proc_macro2::TokenStream;
use quote::quote;
use syn::parse::{Parse, ParseStream};
use syn::visit_mut::VisitMut;
use syn::{braced, Attribute, Expr, FnArg, ForeignItemFn, Ident, LitStr, Pat, Token, Visibility};

use crate::types::{classify, classify_ret, ctype, Kind, RetKind};

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
const OWN: [&str; 6] = [
    "declarations",
    "load",
    "load_with",
    "bind",
    "library",
    "into_library",
];

/// One parameter, classified.
struct ParamInfo {
    name: Ident,
    kind: Kind,
    len: Option<Expr>,
    out: bool,
}

/// Takes `#[name(..)]` / `#[name = ..]` out of `attrs`: the expression inside.
fn take_expr(attrs: &mut Vec<Attribute>, name: &str) -> syn::Result<Option<Expr>> {
    let Some(i) = attrs.iter().position(|a| a.path().is_ident(name)) else {
        return Ok(None);
    };
    let a = attrs.remove(i);
    Ok(Some(match &a.meta {
        syn::Meta::List(l) => l.parse_args()?,
        syn::Meta::NameValue(nv) => nv.value.clone(),
        syn::Meta::Path(_) => {
            return Err(syn::Error::new_spanned(
                a,
                format!("`#[{name}(..)]` needs a length"),
            ))
        }
    }))
}

/// Takes the flag `#[name]` out of `attrs`.
fn take_flag(attrs: &mut Vec<Attribute>, name: &str) -> bool {
    match attrs.iter().position(|a| a.path().is_ident(name)) {
        Some(i) => {
            attrs.remove(i);
            true
        }
        None => false,
    }
}

/// A length expression over the parameters, as the run-time form's `Len` when it has one
/// of its shapes.
fn len_data(e: &Expr, params: &[ParamInfo]) -> TokenStream {
    let index = |e: &Expr| -> Option<usize> {
        let Expr::Path(p) = e else { return None };
        let id = p.path.get_ident()?;
        params.iter().position(|q| q.name == *id)
    };
    let lit = |e: &Expr| -> Option<usize> {
        match e {
            Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Int(i),
                ..
            }) => i.base10_parse().ok(),
            _ => None,
        }
    };
    if let Some(i) = index(e) {
        return quote!(::loadlib::foreign::Len::Param(#i));
    }
    if let Some(n) = lit(e) {
        return quote!(::loadlib::foreign::Len::Fixed(#n));
    }
    if let Expr::Binary(b) = e {
        match (&b.op, index(&b.left), index(&b.right), lit(&b.right)) {
            (syn::BinOp::Add(_), Some(i), _, Some(k)) => {
                return quote!(::loadlib::foreign::Len::ParamPlus(#i, #k))
            }
            (syn::BinOp::Mul(_), Some(i), Some(j), _) => {
                return quote!(::loadlib::foreign::Len::Product(#i, #j))
            }
            _ => {}
        }
    }
    quote!(::loadlib::foreign::Len::Any)
}

/// Rewrites a length expression so each parameter name reads as its value, an `i128`.
struct AsValues<'a>(&'a [ParamInfo]);

impl VisitMut for AsValues<'_> {
    fn visit_expr_mut(&mut self, e: &mut Expr) {
        if let Expr::Path(p) = e {
            if let Some(id) = p.path.get_ident() {
                if let Some(q) = self.0.iter().find(|q| q.name == *id) {
                    let name = &q.name;
                    *e = match &q.kind {
                        Kind::Ref(t) => syn::parse_quote!(
                            (*::core::borrow::Borrow::<#t>::borrow(&#name) as i128)
                        ),
                        _ => syn::parse_quote!((#name as i128)),
                    };
                    return;
                }
            }
        }
        syn::visit_mut::visit_expr_mut(self, e);
    }
}

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
        let (decl, method) = function(index, &mut func)?;
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

/// The declaration data and the method of function `index`.
fn function(index: usize, func: &mut ForeignItemFn) -> syn::Result<(TokenStream, TokenStream)> {
    let sig = &mut func.sig;
    let c_name = sig.ident.to_string();
    let method = match take_expr(&mut func.attrs, "link_name")? {
        // `#[link_name = "c_name"] fn method(..)`: the method is named otherwise.
        Some(Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(s),
            ..
        })) => (s.value(), sig.ident.clone()),
        Some(other) => return Err(syn::Error::new_spanned(other, "`link_name` takes a string")),
        None => (c_name.clone(), sig.ident.clone()),
    };
    let (c_name, method_name) = method;
    if OWN.contains(&method_name.to_string().as_str()) {
        return Err(syn::Error::new_spanned(
            &method_name,
            format!(
                "`{method_name}` is a method of the handle itself: name the method otherwise \
                 and give the C name with `#[link_name = \"{c_name}\"]`"
            ),
        ));
    }
    if sig.variadic.is_some() || !sig.generics.params.is_empty() {
        return Err(syn::Error::new_spanned(
            &*sig,
            "variadic and generic functions cannot be declared",
        ));
    }
    let last_error = take_flag(&mut func.attrs, "last_error");
    let ret_len = take_expr(&mut func.attrs, "returns_len")?;
    let doc: Vec<&Attribute> = func
        .attrs
        .iter()
        .filter(|a| a.path().is_ident("doc"))
        .collect();
    if let Some(a) = func.attrs.iter().find(|a| !a.path().is_ident("doc")) {
        return Err(syn::Error::new_spanned(
            a,
            "a function takes `#[last_error]`, `#[returns_len(..)]`, `#[link_name = \"..\"]` and doc comments",
        ));
    }

    let mut params = Vec::new();
    for arg in sig.inputs.iter_mut() {
        let FnArg::Typed(pt) = arg else {
            return Err(syn::Error::new_spanned(arg, "a C function has no `self`"));
        };
        let Pat::Ident(id) = &*pt.pat else {
            return Err(syn::Error::new_spanned(&pt.pat, "name each parameter"));
        };
        let len = take_expr(&mut pt.attrs, "len")?;
        let out = take_flag(&mut pt.attrs, "out");
        if let Some(a) = pt.attrs.first() {
            return Err(syn::Error::new_spanned(
                a,
                "a parameter takes `#[len(..)]` and `#[out]`",
            ));
        }
        let kind = classify(&pt.ty, len.is_some())?;
        let writes = matches!(
            kind,
            Kind::RefMut(_) | Kind::SliceMut(_) | Kind::OptSliceMut(_)
        );
        if out && !writes {
            return Err(syn::Error::new_spanned(
                &pt.ty,
                "`#[out]` is for a pointer the library writes: `&mut T`, `&mut [T]` or `*mut T`",
            ));
        }
        if len.is_some()
            && !matches!(
                kind,
                Kind::Slice(_) | Kind::SliceMut(_) | Kind::OptSlice(_) | Kind::OptSliceMut(_)
            )
        {
            return Err(syn::Error::new_spanned(
                &pt.ty,
                "`#[len(..)]` is for an array: `&[T]`, `&mut [T]`, `*const T` or `*mut T`",
            ));
        }
        params.push(ParamInfo {
            name: id.ident.clone(),
            kind,
            len,
            out,
        });
    }
    let ret_ty = match &sig.output {
        syn::ReturnType::Default => None,
        syn::ReturnType::Type(_, t) => Some(&**t),
    };
    let ret = classify_ret(ret_ty, ret_len.is_some())?;
    if ret_len.is_some() && !matches!(ret, RetKind::Array(_)) {
        return Err(syn::Error::new_spanned(
            &sig.output,
            "`#[returns_len(..)]` is for a returned pointer to elements",
        ));
    }

    // The declaration as data.
    let decl_params = params.iter().map(|p| {
        let n = p.name.to_string();
        let dir = match (&p.kind, p.out) {
            (Kind::RefMut(_) | Kind::SliceMut(_) | Kind::OptSliceMut(_), true) => {
                quote!(::loadlib::foreign::Dir::Out)
            }
            (Kind::RefMut(_) | Kind::SliceMut(_) | Kind::OptSliceMut(_), false) => {
                quote!(::loadlib::foreign::Dir::InOut)
            }
            _ => quote!(::loadlib::foreign::Dir::In),
        };
        let len = p
            .len
            .as_ref()
            .map_or(quote!(::loadlib::foreign::Len::Any), |e| {
                len_data(e, &params)
            });
        match &p.kind {
            Kind::Value(t) => {
                let c = ctype(t);
                quote!(::loadlib::foreign::Param::value(#n, #c))
            }
            Kind::Opaque => {
                quote!(::loadlib::foreign::Param::value(#n, ::loadlib::foreign::CType::Pointer))
            }
            Kind::Ref(t) | Kind::RefMut(t) => {
                let c = ctype(t);
                quote!(::loadlib::foreign::Param::by_ref(#n, #c, #dir))
            }
            Kind::OptRef(t) => {
                let c = ctype(t);
                quote!(::loadlib::foreign::Param::by_ref(#n, #c, #dir).nullable())
            }
            Kind::Slice(t) | Kind::SliceMut(t) => {
                let c = ctype(t);
                quote!(::loadlib::foreign::Param::array(#n, #c, #dir, #len))
            }
            Kind::OptSlice(t) | Kind::OptSliceMut(t) => {
                let c = ctype(t);
                quote!(::loadlib::foreign::Param::array(#n, #c, #dir, #len).nullable())
            }
            Kind::Str => quote!(::loadlib::foreign::Param::str(#n)),
            Kind::OptStr => quote!(::loadlib::foreign::Param::str(#n).nullable()),
        }
    });
    let decl_ret = match &ret {
        RetKind::Void => quote!(::loadlib::foreign::Ret::Void),
        RetKind::Value(t) => {
            let c = ctype(t);
            quote!(::loadlib::foreign::Ret::Value(#c))
        }
        RetKind::Str => quote!(::loadlib::foreign::Ret::Str),
        RetKind::Array(t) => {
            let c = ctype(t);
            let len = ret_len
                .as_ref()
                .map_or(quote!(::loadlib::foreign::Len::Any), |e| {
                    len_data(e, &params)
                });
            quote!(::loadlib::foreign::Ret::Array { ty: #c, len: #len })
        }
    };
    let with_error = last_error.then(|| quote!(.with_last_error()));
    let decl = quote! {
        ::loadlib::foreign::FunctionDecl::new(#c_name, ::std::vec![#(#decl_params),*], #decl_ret) #with_error
    };

    // The method.
    let mut inputs = Vec::new();
    let mut checks = Vec::new();
    let mut puts = Vec::new();
    let mut backs = Vec::new();
    for (i, p) in params.iter().enumerate() {
        let n = &p.name;
        let copy_in = !p.out;
        let null = quote!(__enc.arg(#i, &::loadlib::foreign::Ptr::NULL)?;);
        inputs.push(match &p.kind {
            Kind::Value(t) => quote!(#n: #t),
            Kind::Opaque => quote!(#n: ::loadlib::foreign::Ptr),
            Kind::Ref(t) => quote!(#n: impl ::core::borrow::Borrow<#t>),
            Kind::RefMut(t) => quote!(#n: &mut #t),
            Kind::Slice(t) => quote!(#n: impl ::loadlib::foreign::InArray<#t>),
            Kind::SliceMut(t) => quote!(mut #n: impl ::loadlib::foreign::OutArray<#t>),
            Kind::Str => quote!(#n: impl ::loadlib::foreign::CStrArg),
            Kind::OptRef(t) => quote!(#n: ::core::option::Option<&#t>),
            Kind::OptSlice(t) => quote!(#n: ::core::option::Option<&[#t]>),
            Kind::OptSliceMut(t) => quote!(mut #n: ::core::option::Option<&mut [#t]>),
            Kind::OptStr => quote!(#n: ::core::option::Option<&str>),
        });
        puts.push(match &p.kind {
            Kind::Value(_) | Kind::Opaque => quote!(__enc.arg(#i, &#n)?;),
            Kind::Ref(t) => quote!(::loadlib::foreign::put_ref::<#t>(__enc, #i, &#n)?;),
            Kind::RefMut(_) => quote!(::loadlib::foreign::put_mut(__enc, #i, &*#n, #copy_in)?;),
            Kind::Slice(t) => quote!(::loadlib::foreign::InArray::<#t>::put(&#n, __enc, #i, __lease)?;),
            Kind::SliceMut(t) => quote!(::loadlib::foreign::OutArray::<#t>::put(&#n, __enc, #i, #copy_in, __lease)?;),
            Kind::Str => quote!(::loadlib::foreign::put_str(__enc, #i, &#n)?;),
            Kind::OptRef(t) => quote!(match #n {
                ::core::option::Option::Some(__x) => ::loadlib::foreign::put_ref::<#t>(__enc, #i, __x)?,
                ::core::option::Option::None => { #null }
            }),
            Kind::OptSlice(t) => quote!(match #n {
                ::core::option::Option::Some(__x) => ::loadlib::foreign::InArray::<#t>::put(&__x, __enc, #i, __lease)?,
                ::core::option::Option::None => { #null }
            }),
            Kind::OptSliceMut(t) => quote!(match &#n {
                ::core::option::Option::Some(__x) => ::loadlib::foreign::OutArray::<#t>::put(__x, __enc, #i, #copy_in, __lease)?,
                ::core::option::Option::None => { #null }
            }),
            Kind::OptStr => quote!(::loadlib::foreign::put_opt_str(__enc, #i, #n.as_ref())?;),
        });
        match &p.kind {
            Kind::RefMut(t) => backs.push(quote! {
                *#n = __ret.read_back_value::<#t>(__k)?;
                __k += 1;
            }),
            Kind::SliceMut(t) => backs.push(quote! {
                ::loadlib::foreign::OutArray::<#t>::take_back(&mut #n, &__ret, __k)?;
                __k += 1;
            }),
            Kind::OptSliceMut(t) => backs.push(quote! {
                if let ::core::option::Option::Some(__x) = &mut #n {
                    ::loadlib::foreign::OutArray::<#t>::take_back(__x, &__ret, __k)?;
                    __k += 1;
                }
            }),
            _ => {}
        }
        if let Some(len) = &p.len {
            let mut need = len.clone();
            AsValues(&params).visit_expr_mut(&mut need);
            let text = quote!(#len).to_string();
            let pname = n.to_string();
            let have = match &p.kind {
                Kind::Slice(t) => {
                    quote!(::core::option::Option::Some(::loadlib::foreign::InArray::<#t>::len(&#n)))
                }
                Kind::SliceMut(t) => {
                    quote!(::core::option::Option::Some(::loadlib::foreign::OutArray::<#t>::len(&#n)))
                }
                Kind::OptSlice(_) | Kind::OptSliceMut(_) => {
                    quote!(#n.as_ref().map(|__x| __x.len()))
                }
                _ => unreachable!("checked above"),
            };
            let fname = method_name.to_string();
            checks.push(quote! {
                ::loadlib::foreign::check_len(#fname, #pname, #have, #need, #text)?;
            });
        }
    }
    let (ret_put, ret_value, ret_ty) = match &ret {
        RetKind::Void => (quote!(), quote!(()), quote!(())),
        RetKind::Value(t) => (quote!(), quote!(__ret.value::<#t>()?), quote!(#t)),
        RetKind::Str => (
            quote!(__enc.return_string();),
            quote!(__ret.returned_string()?),
            quote!(::core::option::Option<::std::ffi::CString>),
        ),
        RetKind::Array(t) => {
            let mut need = ret_len.clone().expect("checked above");
            AsValues(&params).visit_expr_mut(&mut need);
            (
                quote!(__enc.return_values::<#t>(#need)?;),
                quote!(__ret.returned_values::<#t>()?),
                quote!(::core::option::Option<::std::vec::Vec<#t>>),
            )
        }
    };
    let (out_ty, out_value) = if last_error {
        (
            quote!((#ret_ty, i32)),
            quote!((__value, __ret.last_error())),
        )
    } else {
        (ret_ty, quote!(__value))
    };
    let uses_k = !backs.is_empty();
    let k = uses_k.then(|| quote!(let mut __k = 0usize;));
    let k_end = uses_k.then(|| quote!(let _ = __k;));
    let call_doc = if doc.is_empty() {
        let text = format!("Calls `{c_name}` in the server.");
        quote!(#[doc = #text])
    } else {
        quote!(#(#doc)*)
    };
    let method = quote! {
        #call_doc
        pub fn #method_name(&self #(, #inputs)*) -> ::loadlib::Result<#out_ty> {
            #(#checks)*
            let mut __out = ::core::option::Option::None;
            self.__lib.invoke(#index, &mut |__step, __lease| match __step {
                ::loadlib::foreign::Step::Encode(__enc) => {
                    #(#puts)*
                    #ret_put
                    ::core::result::Result::Ok(())
                }
                ::loadlib::foreign::Step::Decode(__ret) => {
                    #k
                    #(#backs)*
                    #k_end
                    let __value = #ret_value;
                    __out = ::core::option::Option::Some(#out_value);
                    ::core::result::Result::Ok(())
                }
            })?;
            __out.ok_or_else(|| ::loadlib::Error::Protocol(::std::string::String::from("a foreign call without a result")))
        }
    };
    Ok((decl, method))
}
