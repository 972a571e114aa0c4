//! Helpers of `loadlib::interface!` (a `macro_rules!` macro): the canonical form of an
//! interface's signatures, which its hash is taken over, and the marker type that stands
//! for a parameter type in the typed client's bounds.

use proc_macro2::TokenStream;
use quote::{quote, ToTokens};
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::visit_mut::VisitMut;
use syn::{GenericArgument, Ident, PathArguments, ReturnType, Token, Type};

/// The version of the canonical form, part of it: a change of form changes every hash.
const FORM: &str = "loadlib-interface/1";

/// `fn name(arg: Type, …) -> Type;` …, as `interface!` passes them (no generics).
pub(crate) struct Signatures(Vec<Signature>);

struct Signature {
    name: Ident,
    params: Vec<Type>,
    ret: ReturnType,
}

impl Signatures {
    /// The methods' names, in order.
    pub(crate) fn names(&self) -> impl Iterator<Item = &Ident> {
        self.0.iter().map(|s| &s.name)
    }
}

impl Parse for Signatures {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let mut v = Vec::new();
        while !input.is_empty() {
            input.parse::<Token![fn]>()?;
            let name: Ident = input.parse()?;
            let inner;
            syn::parenthesized!(inner in input);
            let params =
                Punctuated::<syn::PatType, Token![,]>::parse_terminated_with(&inner, |p| {
                    let pat: syn::Pat = syn::Pat::parse_single(p)?;
                    let colon: Token![:] = p.parse()?;
                    let ty: Type = p.parse()?;
                    Ok(syn::PatType {
                        attrs: Vec::new(),
                        pat: Box::new(pat),
                        colon_token: colon,
                        ty: Box::new(ty),
                    })
                })?;
            let ret: ReturnType = input.parse()?;
            input.parse::<Token![;]>()?;
            v.push(Signature {
                name,
                params: params.into_iter().map(|p| *p.ty).collect(),
                ret,
            });
        }
        Ok(Signatures(v))
    }
}

/// The canonical form: the form's version, then each method in order as
/// `name(type,type)->type;`. Parameter names, lifetimes, paths before a type's last
/// segment, parentheses and token spacing are left out, so neither renaming a parameter
/// nor how the compiler prints tokens changes it.
pub(crate) fn canonical(sigs: &Signatures) -> String {
    let mut s = String::from(FORM);
    s.push(':');
    for sig in &sigs.0 {
        s.push_str(&sig.name.to_string());
        s.push('(');
        for (i, p) in sig.params.iter().enumerate() {
            if i > 0 {
                s.push(',');
            }
            canon(p, &mut s);
        }
        s.push_str(")->");
        match &sig.ret {
            ReturnType::Default => s.push_str("()"),
            ReturnType::Type(_, t) => canon(t, &mut s),
        }
        s.push(';');
    }
    s
}

/// Writes a type's canonical spelling.
fn canon(ty: &Type, s: &mut String) {
    match ty {
        Type::Group(g) => canon(&g.elem, s),
        Type::Paren(p) => canon(&p.elem, s),
        Type::Reference(r) => {
            s.push('&');
            if r.mutability.is_some() {
                s.push_str("mut ");
            }
            canon(&r.elem, s);
        }
        Type::Ptr(p) => {
            s.push_str(if p.mutability.is_some() {
                "*mut "
            } else {
                "*const "
            });
            canon(&p.elem, s);
        }
        Type::Slice(sl) => {
            s.push('[');
            canon(&sl.elem, s);
            s.push(']');
        }
        Type::Array(a) => {
            s.push('[');
            canon(&a.elem, s);
            s.push(';');
            tokens(&a.len, s);
            s.push(']');
        }
        Type::Tuple(t) => {
            s.push('(');
            for (i, e) in t.elems.iter().enumerate() {
                if i > 0 {
                    s.push(',');
                }
                canon(e, s);
            }
            s.push(')');
        }
        Type::Path(p) if p.qself.is_none() => {
            let Some(last) = p.path.segments.last() else {
                return;
            };
            s.push_str(&last.ident.to_string());
            if let PathArguments::AngleBracketed(args) = &last.arguments {
                let kept: Vec<&GenericArgument> = args
                    .args
                    .iter()
                    .filter(|a| !matches!(a, GenericArgument::Lifetime(_)))
                    .collect();
                if !kept.is_empty() {
                    s.push('<');
                    for (i, a) in kept.into_iter().enumerate() {
                        if i > 0 {
                            s.push(',');
                        }
                        match a {
                            GenericArgument::Type(t) => canon(t, s),
                            other => tokens(other, s),
                        }
                    }
                    s.push('>');
                }
            }
        }
        Type::Never(_) => s.push('!'),
        other => tokens(other, s),
    }
}

/// Tokens with no spacing at all (types the canonical form has no rule for).
fn tokens(t: &impl ToTokens, s: &mut String) {
    let text = t.to_token_stream().to_string();
    s.extend(text.chars().filter(|c| !c.is_whitespace()));
}

/// The types of `loadlib` that carry a lifetime a parameter may leave out (`ArrayRef`
/// for `ArrayRef<'_>`), and where it goes among their arguments.
const BORROWING: &[&str] = &["ArrayRef", "ArrayMut", "ValueRef", "Rest", "Out", "Reply"];

/// Every lifetime in a type made `'static`, elided ones included (also those of
/// `loadlib`'s borrowing types written without one): the typed client's marker for a
/// parameter type, which then never is a higher-ranked type.
pub(crate) fn static_lifetimes(mut ty: Type) -> TokenStream {
    struct Statics;
    impl VisitMut for Statics {
        fn visit_lifetime_mut(&mut self, l: &mut syn::Lifetime) {
            *l = syn::Lifetime::new("'static", l.span());
        }
        fn visit_type_reference_mut(&mut self, r: &mut syn::TypeReference) {
            if r.lifetime.is_none() {
                r.lifetime = Some(syn::Lifetime::new("'static", r.and_token.span));
            }
            syn::visit_mut::visit_type_reference_mut(self, r);
        }
        fn visit_path_segment_mut(&mut self, seg: &mut syn::PathSegment) {
            if BORROWING.contains(&seg.ident.to_string().as_str()) {
                let has_lifetime = matches!(&seg.arguments, PathArguments::AngleBracketed(a)
                    if a.args.iter().any(|g| matches!(g, GenericArgument::Lifetime(_))));
                if !has_lifetime {
                    let lt: GenericArgument = syn::parse_quote!('static);
                    match &mut seg.arguments {
                        PathArguments::AngleBracketed(a) => a.args.insert(0, lt),
                        args @ PathArguments::None => {
                            *args = PathArguments::AngleBracketed(syn::parse_quote!(<'static>))
                        }
                        PathArguments::Parenthesized(_) => {}
                    }
                }
            }
            syn::visit_mut::visit_path_segment_mut(self, seg);
        }
    }
    Statics.visit_type_mut(&mut ty);
    quote!(#ty)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(src: &str) -> String {
        canonical(&syn::parse_str::<Signatures>(src).unwrap())
    }

    #[test]
    fn names_lifetimes_paths_and_spacing_do_not_count() {
        let a = form(
            "fn add(a: i32, b: i32) -> i32; fn scale(k: f64, x: ArrayRef<'a>, out: Out<'_, f64>); \
             fn total(x: &[f64]) -> f64;",
        );
        let b = form(
            "fn add(left: i32, right: (i32)) -> i32; \
             fn scale(factor: f64, data: loadlib::ArrayRef<'_>, result: ::loadlib::Out<'x, f64>) -> (); \
             fn total(values: & 'a [ f64 ]) -> f64;",
        );
        assert_eq!(a, b);
        assert_eq!(
            a,
            "loadlib-interface/1:add(i32,i32)->i32;scale(f64,ArrayRef,Out<f64>)->();total(&[f64])->f64;"
        );
    }

    #[test]
    fn types_order_and_names_of_methods_do_count() {
        let base = form("fn f(a: i32, b: f64) -> i32;");
        assert_ne!(base, form("fn f(a: f64, b: i32) -> i32;"));
        assert_ne!(base, form("fn g(a: i32, b: f64) -> i32;"));
        assert_ne!(base, form("fn f(a: i32, b: f64) -> i64;"));
        assert_ne!(base, form("fn f(a: i32, b: &mut [f64]) -> i32;"));
        assert_ne!(
            form("fn f(a: i32); fn g(b: i32);"),
            form("fn g(b: i32); fn f(a: i32);")
        );
    }

    #[test]
    fn markers_have_no_lifetime_left_to_elide() {
        let t = |src: &str| static_lifetimes(syn::parse_str(src).unwrap()).to_string();
        assert_eq!(t("&[f64]"), "& 'static [f64]");
        assert_eq!(t("Out<'_, f64>"), "Out < 'static , f64 >");
        assert_eq!(t("ArrayRef"), "ArrayRef < 'static >");
        assert_eq!(t("Option<&mut [u8]>"), "Option < & 'static mut [u8] >");
        assert_eq!(t("ValueRef<'a>"), "ValueRef < 'static >");
    }
}
