//! Finding classes and methods in the loaded assembly.

use std::ffi::c_void;

use loadlib::server::ServerError;

use super::mono::{borrowed_str, MonoClass, MonoMethod, TABLE_TYPEDEF, TOKEN_TYPE_DEF};
use super::DotNetServer;

impl DotNetServer {
    /// Every class defined in the assembly, skipping `<Module>` and compiler-generated ones.
    pub(super) fn load_classes(&self) -> Vec<(String, *mut MonoClass)> {
        let api = self.rt.api;
        // SAFETY: `image` is the loaded assembly's; rows of the TypeDef table are numbered
        // from 1, and `mono_class_get` returns null for one it cannot load.
        let rows = unsafe { (api.image_get_table_rows)(self.image, TABLE_TYPEDEF) };
        (1..=rows.max(0) as u32)
            .filter_map(|row| {
                // SAFETY: as above.
                let class = unsafe { (api.class_get)(self.image, TOKEN_TYPE_DEF | row) };
                let name = api.class_full_name(class);
                (!class.is_null() && !name.contains('<')).then_some((name, class))
            })
            .collect()
    }

    pub(super) fn class(&self, name: &str) -> Result<*mut MonoClass, ServerError> {
        match self.classes.iter().find(|(n, _)| n == name) {
            Some(&(_, class)) => Ok(class),
            None => Err(ServerError::new(
                "ClassNotFound",
                format!(
                    "`{}` has no class `{name}`; it has: {}",
                    self.path,
                    self.class_list().join(", ")
                ),
            )),
        }
    }

    pub(super) fn class_list(&self) -> Vec<String> {
        self.classes.iter().map(|(n, _)| n.clone()).collect()
    }

    /// The methods `name` of `class` and its bases, with their parameter counts, in
    /// declaration order (the class's own first).
    fn methods_named(&self, class: *mut MonoClass, name: &str) -> Vec<(*mut MonoMethod, usize)> {
        let api = self.rt.api;
        let mut found = Vec::new();
        let mut k = class;
        while !k.is_null() {
            let mut iter: *mut c_void = std::ptr::null_mut();
            loop {
                // SAFETY: the documented iteration over the methods of class `k`.
                let m = unsafe { (api.class_get_methods)(k, &mut iter) };
                if m.is_null() {
                    break;
                }
                // SAFETY: a method's name and signature live as long as the method.
                unsafe {
                    let sig = (api.method_signature)(m);
                    if !sig.is_null() && borrowed_str((api.method_get_name)(m)) == name {
                        found.push((m, (api.signature_get_param_count)(sig) as usize));
                    }
                }
            }
            // SAFETY: `k` is a loaded class; its parent is null after System.Object.
            k = unsafe { (api.class_get_parent)(k) };
        }
        found
    }

    /// The overloads of `cname.name` that take `count` parameters (at least one).
    pub(super) fn overloads(
        &self,
        class: *mut MonoClass,
        cname: &str,
        name: &str,
        count: usize,
    ) -> Result<Vec<*mut MonoMethod>, ServerError> {
        let all = self.methods_named(class, name);
        let fit: Vec<_> = all.iter().filter(|m| m.1 == count).map(|m| m.0).collect();
        if !fit.is_empty() {
            return Ok(fit);
        }
        if !all.is_empty() {
            let mut counts: Vec<usize> = all.iter().map(|m| m.1).collect();
            counts.sort_unstable();
            counts.dedup();
            return Err(ServerError::type_error(format!(
                "`{cname}.{name}` takes {counts:?} argument(s), not {count}"
            )));
        }
        let api = self.rt.api;
        let mut names: Vec<String> = Vec::new();
        let mut iter: *mut c_void = std::ptr::null_mut();
        loop {
            // SAFETY: the documented iteration over a class's methods.
            let m = unsafe { (api.class_get_methods)(class, &mut iter) };
            if m.is_null() {
                break;
            }
            // SAFETY: a method's name lives as long as the method.
            let n = unsafe { borrowed_str((api.method_get_name)(m)) };
            if !n.starts_with('.') && !names.contains(&n) {
                names.push(n);
            }
        }
        Err(ServerError::new(
            "MethodNotFound",
            format!(
                "`{cname}` has no method `{name}`; it has: {}",
                names.join(", ")
            ),
        ))
    }
}
