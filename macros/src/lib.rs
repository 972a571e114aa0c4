//! The procedural macros of [loadlib](https://docs.rs/loadlib): `foreign!` declares a
//! 32-bit library's C functions and generates a typed handle; `#[derive(CStruct)]` lays a
//! `#[repr(C)]` struct out as the 32-bit library sees it. Use them through `loadlib`
//! (`loadlib::foreign!`, `loadlib::CStruct`), whose documentation describes them.

mod derive;
mod foreign;
mod types;

use proc_macro::TokenStream;

/// Declares a library's C functions; see `loadlib::foreign!`.
#[proc_macro]
pub fn foreign(input: TokenStream) -> TokenStream {
    let parsed = syn::parse_macro_input!(input as foreign::Foreign);
    foreign::expand(parsed)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Lays a `#[repr(C)]` struct out for foreign calls; see `loadlib::CStruct`.
#[proc_macro_derive(CStruct)]
pub fn derive_cstruct(input: TokenStream) -> TokenStream {
    let parsed = syn::parse_macro_input!(input as syn::DeriveInput);
    derive::expand(parsed)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}
