//! One function of a `foreign!` block: its attributes (`#[link_name]`, `#[last_error]`,
//! `#[returns_len]`, and `#[len]`/`#[out]` on parameters) and its classified parameters.

use proc_macro2::TokenStream;
use quote::quote;
use syn::visit_mut::VisitMut;
use syn::{Attribute, Expr, FnArg, ForeignItemFn, Ident, Pat};

use crate::foreign::OWN;
use crate::types::{classify, classify_ret, Kind, RetKind};

/// One parameter, classified.
pub(crate) struct ParamInfo {
    pub(crate) name: Ident,
    pub(crate) kind: Kind,
    pub(crate) len: Option<Expr>,
    pub(crate) out: bool,
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
pub(crate) fn len_data(e: &Expr, params: &[ParamInfo]) -> TokenStream {
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
pub(crate) struct AsValues<'a>(pub(crate) &'a [ParamInfo]);

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

/// One declared function, parsed and checked.
pub(crate) struct Signature {
    /// The C name.
    pub(crate) c_name: String,
    /// The method's name.
    pub(crate) method: Ident,
    /// `#[last_error]`.
    pub(crate) last_error: bool,
    /// `#[returns_len(..)]`.
    pub(crate) ret_len: Option<Expr>,
    /// The doc comments, for the method.
    pub(crate) doc: Vec<Attribute>,
    /// The parameters.
    pub(crate) params: Vec<ParamInfo>,
    /// The result.
    pub(crate) ret: RetKind,
}

/// Parses one function of the block, taking the attributes the macro reads off it.
pub(crate) fn parse(func: &mut ForeignItemFn) -> syn::Result<Signature> {
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
    let doc: Vec<Attribute> = func
        .attrs
        .iter()
        .filter(|a| a.path().is_ident("doc"))
        .cloned()
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
    Ok(Signature {
        c_name,
        method: method_name,
        last_error,
        ret_len,
        doc,
        params,
        ret,
    })
}
