//! `#[derive(CStruct)]`: a `#[repr(C)]` struct's layout as the 32-bit library sees it,
//! computed at compile time for every ABI, its conversion on the wire for foreign calls,
//! and the `WireStruct` marker that lets it cross `interface!` as bytes.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::{Data, DeriveInput, Fields, GenericParam, Index, Member, Type};

/// Whether a field type is a fat pointer in Rust (a slice or `CStr` reference), whose
/// Rust layout differs from the C pointer it stands for.
fn is_fat(ty: &Type) -> bool {
    match ty {
        Type::Reference(r) => match &*r.elem {
            Type::Slice(_) => true,
            Type::Path(p) => p.path.segments.last().is_some_and(|s| s.ident == "CStr"),
            _ => false,
        },
        Type::Path(p) => {
            // Option<&[T]>
            let seg = p.path.segments.last();
            seg.is_some_and(|s| {
                s.ident == "Option"
                    && matches!(&s.arguments, syn::PathArguments::AngleBracketed(a)
                        if a.args.iter().any(|g| matches!(g, syn::GenericArgument::Type(t) if is_fat(t))))
            })
        }
        _ => false,
    }
}

/// Whether a field type is a pointer to the caller's data, which cannot be read back.
fn is_reference(ty: &Type) -> bool {
    match ty {
        Type::Reference(_) => true,
        Type::Path(p) => p.path.segments.last().is_some_and(|s| {
            s.ident == "Option"
                && matches!(&s.arguments, syn::PathArguments::AngleBracketed(a)
                    if a.args.iter().any(|g| matches!(g, syn::GenericArgument::Type(Type::Reference(_)))))
        }),
        _ => false,
    }
}

pub(crate) fn expand(input: DeriveInput) -> syn::Result<TokenStream> {
    let name = &input.ident;
    let repr_c = input.attrs.iter().any(|a| {
        a.path().is_ident("repr")
            && a.parse_args_with(
                syn::punctuated::Punctuated::<syn::Meta, syn::Token![,]>::parse_terminated,
            )
            .is_ok_and(|m| m.iter().any(|m| m.path().is_ident("C")))
    });
    if !repr_c {
        return Err(syn::Error::new_spanned(
            name,
            "`CStruct` needs `#[repr(C)]`: the struct stands for a C struct",
        ));
    }
    if let Some(g) = input
        .generics
        .params
        .iter()
        .find(|g| !matches!(g, GenericParam::Lifetime(_)))
    {
        return Err(syn::Error::new_spanned(
            g,
            "a `CStruct` may have lifetimes, not type parameters",
        ));
    }
    let Data::Struct(data) = &input.data else {
        return Err(syn::Error::new_spanned(name, "`CStruct` is for structs"));
    };
    let fields: Vec<(Member, &Type)> = match &data.fields {
        Fields::Named(f) => f
            .named
            .iter()
            .map(|f| (Member::Named(f.ident.clone().expect("named")), &f.ty))
            .collect(),
        Fields::Unnamed(f) => f
            .unnamed
            .iter()
            .enumerate()
            .map(|(i, f)| (Member::Unnamed(Index::from(i)), &f.ty))
            .collect(),
        Fields::Unit => return Err(syn::Error::new_spanned(name, "a C struct has fields")),
    };
    let (impl_g, ty_g, where_g) = input.generics.split_for_impl();
    let n = fields.len();
    let types: Vec<&Type> = fields.iter().map(|(_, t)| *t).collect();
    let members: Vec<&Member> = fields.iter().map(|(m, _)| m).collect();
    let names: Vec<String> = members
        .iter()
        .map(|m| match m {
            Member::Named(i) => i.to_string(),
            Member::Unnamed(i) => i.index.to_string(),
        })
        .collect();
    let idx: Vec<usize> = (0..n).collect();
    let name_str = name.to_string();
    let layout = format_ident!("__LOADLIB_LAYOUT");
    // The host check: the layout computed for this crate's own target is the one rustc
    // gave the struct (impossible to check with slice fields, fat pointers in Rust).
    let host_check = (!types.iter().any(|t| is_fat(t))).then(|| {
        quote! {
            const _: () = {
                let host = ::loadlib::foreign::Abi::HOST as usize;
                assert!(
                    #name::#layout.0.size[host] as usize == ::core::mem::size_of::<#name>(),
                    concat!("the computed layout of `", #name_str, "` differs from rustc's")
                );
                #(assert!(
                    #name::#layout.1[host][#idx] as usize == ::core::mem::offset_of!(#name, #members),
                    concat!("the computed offset of `", #name_str, ".", #names, "` differs from rustc's")
                );)*
            };
        }
    });
    let decode = (!types.iter().any(|t| is_reference(t))).then(|| {
        quote! {
            impl #impl_g ::loadlib::foreign::CDecode for #name #ty_g #where_g {
                fn decode(abi: ::loadlib::foreign::Abi, bytes: &[u8]) -> Self {
                    let at = &Self::#layout.1[abi as usize];
                    #name {
                        #(#members: ::loadlib::foreign::CDecode::decode(abi, &bytes[at[#idx] as usize..]),)*
                    }
                }
            }
        }
    });
    // Lifetimes are erased for the host check's `size_of` and `offset_of`.
    let host_check = if input.generics.params.is_empty() {
        host_check
    } else {
        None
    };
    // `&S` and `&mut S` as interface parameters (see `loadlib::server::StructRef`): the
    // where clause names the impl's lifetime, so it is checked where the impl is used,
    // and a struct without zerocopy's traits simply has no such impl.
    let by_reference = input.generics.params.is_empty().then(|| {
        quote! {
            impl<'__a> ::loadlib::server::FromArg<'__a> for &'__a #name
            where
                &'__a #name: ::loadlib::server::StructRef<'__a>,
            {
                fn from_arg(
                    args: &::loadlib::server::Args<'__a>,
                    index: usize,
                ) -> ::core::result::Result<Self, ::loadlib::server::ServerError> {
                    <Self as ::loadlib::server::StructRef<'__a>>::from_arg(args, index)
                }
            }
            impl<'__a> ::loadlib::server::FromArg<'__a> for &'__a mut #name
            where
                &'__a mut #name: ::loadlib::server::StructRef<'__a>,
            {
                fn from_arg(
                    args: &::loadlib::server::Args<'__a>,
                    index: usize,
                ) -> ::core::result::Result<Self, ::loadlib::server::ServerError> {
                    <Self as ::loadlib::server::StructRef<'__a>>::from_arg(args, index)
                }
            }
        }
    });
    Ok(quote! {
        impl #impl_g #name #ty_g #where_g {
            /// The struct's layout and its fields' offsets under every ABI.
            #[doc(hidden)]
            pub const #layout: (::loadlib::foreign::TypeLayout, [[u32; #n]; 4]) =
                ::loadlib::foreign::struct_layout([
                    #(<#types as ::loadlib::foreign::CValue>::LAYOUT),*
                ]);
        }

        #host_check

        impl #impl_g ::loadlib::foreign::CValue for #name #ty_g #where_g {
            const LAYOUT: ::loadlib::foreign::TypeLayout = Self::#layout.0;

            fn ctype() -> ::loadlib::foreign::CType {
                ::loadlib::foreign::CType::Struct(::loadlib::foreign::StructType::new(
                    #name_str,
                    [#((#names, <#types as ::loadlib::foreign::CValue>::ctype())),*],
                ))
            }

            fn encode(
                &self,
                enc: &mut ::loadlib::foreign::Encoder<'_>,
                at: ::loadlib::foreign::Place,
            ) -> ::loadlib::Result<()> {
                let off = &Self::#layout.1[enc.abi() as usize];
                #(::loadlib::foreign::CValue::encode(&self.#members, enc, at.offset(off[#idx]))?;)*
                ::core::result::Result::Ok(())
            }
        }

        #decode

        #by_reference

        impl #impl_g ::loadlib::WireStruct for #name #ty_g #where_g {
            const NAME: &'static str = #name_str;
            const SAME_ON_EVERY_ABI: () = ::core::assert!(
                ::loadlib::foreign::same_on_every_abi(&Self::#layout.0, &Self::#layout.1),
                concat!(
                    "`", #name_str, "` is laid out differently by 32- and 64-bit compilers \
                     (a usize or pointer field, or an 8-byte field that i386 Linux aligns to 4), \
                     or is empty: it cannot cross `interface!` as bytes. Reorder its fields \
                     or pad them explicitly (see `loadlib::WireStruct`)"
                )
            );
        }
    })
}
