//! The code `foreign!` generates for one function: its declaration as data, and its
//! typed method.

use proc_macro2::TokenStream;
use quote::quote;
use syn::visit_mut::VisitMut;

use crate::signature::{len_data, AsValues, Signature};
use crate::types::{ctype, Kind, RetKind};

/// The declaration data and the method of function `index`.
pub(crate) fn generate(index: usize, sig: &Signature) -> syn::Result<(TokenStream, TokenStream)> {
    let Signature {
        c_name,
        method: method_name,
        last_error,
        ret_len,
        doc,
        params,
        ret,
    } = sig;
    let (last_error, params) = (*last_error, params.as_slice());
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
                len_data(e, params)
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
                    len_data(e, params)
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
            AsValues(params).visit_expr_mut(&mut need);
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
            AsValues(params).visit_expr_mut(&mut need);
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
    // Scalars in, the result in registers: first the scalar call's own path, which
    // declines (nothing sent) whatever it does not cover.
    let all_scalar = params
        .iter()
        .all(|p| matches!(p.kind, Kind::Value(_) | Kind::Opaque));
    let scalar_path = match &ret {
        RetKind::Void | RetKind::Value(_) if all_scalar => {
            let names = params.iter().map(|p| &p.name);
            let bits: Vec<_> = (0..params.len())
                .map(|i| quote::format_ident!("__bits{}", i))
                .collect();
            let value = match &ret {
                RetKind::Value(t) => quote!(__ret.value::<#t>()?),
                _ => quote!(()),
            };
            // Each argument's bits, when its type gives them: a match the compiler
            // settles from the types alone (a struct by value gives none, and its
            // function never takes the path).
            Some(quote! {
                match (#(::loadlib::foreign::CValue::scalar_bits(&#names),)*) {
                    (#(::core::option::Option::Some(#bits),)*) => {
                        let mut __ret = ::loadlib::foreign::ScalarReturn::EMPTY;
                        if let ::core::option::Option::Some(__sent) =
                            self.__lib.call_scalars(#index, &[#(#bits),*], &mut __ret)
                        {
                            ::loadlib::foreign::ScalarReturn::sent(__sent)?;
                            let __value = #value;
                            return ::core::result::Result::Ok(#out_value);
                        }
                    }
                    #[allow(unreachable_patterns)]
                    _ => {}
                }
            })
        }
        _ => None,
    };
    let method = quote! {
        #call_doc
        pub fn #method_name(&self #(, #inputs)*) -> ::loadlib::Result<#out_ty> {
            #(#checks)*
            #scalar_path
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
