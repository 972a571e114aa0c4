//! Names in a `loadlib::interface!` declaration: each method's index (what a typed
//! client's request carries and the generated dispatch matches on), and the names the
//! generated client keeps for itself, which no method may take.

use std::collections::HashSet;

use proc_macro2::{Literal, TokenStream, TokenTree};
use syn::parse::{Parse, ParseStream};
use syn::{Ident, Token};

/// The generated client's own associated items: a method of the same name would clash
/// with one of them.
pub(crate) const RESERVED: &[&str] = &[
    "new",
    "start",
    "in_process",
    "from_connection",
    "connection",
    "into_connection",
    "SIGNATURES",
    "INTERFACE",
    "METHODS",
];

/// Refuses a method named as one of the client's own items or with the generated code's
/// `__loadlib` prefix, and a method declared twice, each error at the method's name.
pub(crate) fn check<'a>(names: impl IntoIterator<Item = &'a Ident>) -> syn::Result<()> {
    let mut seen = HashSet::new();
    let mut errors: Option<syn::Error> = None;
    let mut report = |e: syn::Error| match &mut errors {
        Some(all) => all.combine(e),
        None => errors = Some(e),
    };
    for name in names {
        let text = name.to_string();
        let text = text.strip_prefix("r#").unwrap_or(&text);
        if RESERVED.contains(&text) {
            report(syn::Error::new(
                name.span(),
                format!(
                    "an interface method cannot be named `{text}`: the generated client has an \
                     item of that name (its own are {}); rename the method",
                    RESERVED.join(", ")
                ),
            ));
        } else if text.starts_with("__loadlib") {
            report(syn::Error::new(
                name.span(),
                format!("`{text}`: names starting with `__loadlib` are kept for generated code"),
            ));
        } else if !seen.insert(text.to_owned()) {
            report(syn::Error::new(
                name.span(),
                format!("the interface declares `{text}` twice"),
            ));
        }
    }
    errors.map_or(Ok(()), Err)
}

/// `method in [declarations]`: which method, and the interface's declarations as
/// `interface!` received them.
pub(crate) struct MethodIndex {
    method: Ident,
    declarations: TokenStream,
}

impl Parse for MethodIndex {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let method: Ident = input.parse()?;
        input.parse::<Token![in]>()?;
        let inner;
        syn::bracketed!(inner in input);
        Ok(MethodIndex {
            method,
            declarations: inner.parse()?,
        })
    }
}

/// The index of the method among the declarations (each `fn NAME` at the top level, in
/// order; attributes, parameters and types are token groups, never at the top level), as
/// an unsuffixed integer literal: a pattern in the dispatch's `match`, a `u32` in a
/// request.
pub(crate) fn index(m: MethodIndex) -> syn::Result<TokenStream> {
    let mut count = 0usize;
    let mut after_fn = false;
    for tt in m.declarations {
        match tt {
            TokenTree::Ident(i) if after_fn => {
                if i == m.method {
                    return Ok(TokenTree::Literal(Literal::usize_unsuffixed(count)).into());
                }
                count += 1;
                after_fn = false;
            }
            TokenTree::Ident(i) => after_fn = i == "fn",
            _ => after_fn = false,
        }
    }
    Err(syn::Error::new(
        m.method.span(),
        format!("`{}` is not a method of this interface", m.method),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index_of(method: &str, decls: &str) -> String {
        let m: MethodIndex = syn::parse_str(&format!("{method} in [{decls}]")).unwrap();
        index(m)
            .map(|t| t.to_string())
            .unwrap_or_else(|e| e.to_string())
    }

    #[test]
    fn methods_count_in_declaration_order() {
        let decls = "/// Adds.\n fn add(a: i32, b: i32) -> i32; \
                     fn apply<'a>(f: fn(i32) -> i32, x: &'a [f64; 3]) -> Option<fn()>; \
                     #[doc = \"fn hidden\"] fn total(x: &[f64]) -> f64;";
        assert_eq!(index_of("add", decls), "0");
        assert_eq!(index_of("apply", decls), "1");
        assert_eq!(index_of("total", decls), "2");
        assert_eq!(
            index_of("hidden", decls),
            "`hidden` is not a method of this interface"
        );
    }

    #[test]
    fn reserved_prefixed_and_repeated_names_are_refused() {
        let ids = |names: &[&str]| -> Vec<Ident> {
            names.iter().map(|n| syn::parse_str(n).unwrap()).collect()
        };
        assert!(check(&ids(&["add", "total", "r#type"])).is_ok());
        let e = check(&ids(&["start"])).unwrap_err().to_string();
        assert!(
            e.starts_with("an interface method cannot be named `start`"),
            "{e}"
        );
        let e = check(&ids(&["__loadlib_call"])).unwrap_err().to_string();
        assert!(e.contains("kept for generated code"), "{e}");
        let e = check(&ids(&["add", "add"])).unwrap_err().to_string();
        assert_eq!(e, "the interface declares `add` twice");
        assert_eq!(
            check(&ids(&["new", "METHODS"]))
                .unwrap_err()
                .into_iter()
                .count(),
            2
        );
    }
}
