//! A library bound in a server: its functions, laid out for the server's ABI, called by
//! index (generated code) or by name with values (the run-time form).

use std::sync::Arc;

use super::decl::FunctionDecl;
use super::frame::FramePlan;
use super::returned::Step;
use super::wire::FunctionSpec;
use crate::client::{Builder, Client64};
use crate::error::{Error, Result};
use crate::values::value::Value;
use crate::values::value_ref::IntoArgs;

/// The name a client gives to start a server with no wrapper, for foreign calls only.
pub const FOREIGN_MODULE: &str = "foreign";

/// How a library's functions take their arguments (its exports' calling convention).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Convention {
    /// `cdecl`, C's own (ctypes' `CDLL`).
    C,
    /// `stdcall` (`WINAPI`; ctypes' `WinDLL`): the callee pops its arguments, and a
    /// 32-bit DLL may export `f` as `_f@N` or `f@N`, which binding finds.
    Stdcall,
    /// What the platform's API uses: `stdcall` on 32-bit Windows, C elsewhere
    /// (`extern "system"`).
    System,
}

/// One bound function.
pub(super) struct Bound {
    pub(super) decl: FunctionDecl,
    pub(super) plan: FramePlan,
    pub(super) id: u32,
}

/// A library loaded in a server, with its declared functions bound: call them by name
/// with values ([`call`](Self::call)), or through the typed handle
/// [`foreign!`](crate::foreign!) generates.
///
/// ```no_run
/// use loadlib::foreign::{CType, Convention, ForeignLibrary, FunctionDecl, Param, Ret};
/// let add = FunctionDecl::new(
///     "add",
///     vec![Param::value("a", CType::I32), Param::value("b", CType::I32)],
///     Ret::Value(CType::I32),
/// );
/// // SAFETY: the library is trusted and `add` is declared as it is defined.
/// let lib = unsafe { ForeignLibrary::load("cpp_lib32.so", Convention::C, vec![add]) }?;
/// assert_eq!(lib.call("add", (3, 14))?, loadlib::Value::I32(17));
/// # Ok::<(), loadlib::Error>(())
/// ```
pub struct ForeignLibrary {
    client: Arc<Client64>,
    path: String,
    functions: Vec<Bound>,
}

impl ForeignLibrary {
    /// Starts a server for foreign calls (the bundled 32-bit one) and binds `decls` of the
    /// library at `path` in it (see [`bind`](Self::bind)).
    ///
    /// # Safety
    /// As for [`bind`](Self::bind).
    pub unsafe fn load(
        path: &str,
        convention: Convention,
        decls: Vec<FunctionDecl>,
    ) -> Result<ForeignLibrary> {
        let client = Arc::new(Client64::builder(FOREIGN_MODULE).start()?);
        // SAFETY: the caller's promise.
        unsafe { Self::bind(client, path, convention, decls) }
    }

    /// Starts the server `builder` describes and binds `decls` of the library at `path`.
    ///
    /// # Safety
    /// As for [`bind`](Self::bind).
    pub unsafe fn load_with(
        builder: Builder,
        path: &str,
        convention: Convention,
        decls: Vec<FunctionDecl>,
    ) -> Result<ForeignLibrary> {
        let client = Arc::new(builder.start()?);
        // SAFETY: the caller's promise.
        unsafe { Self::bind(client, path, convention, decls) }
    }

    /// Loads the library at `path` (a path, or a name the server's loader searches for,
    /// with the builder's `library_path` folders) in `client`'s server and looks up every
    /// declared function there; all missing ones are named in one error.
    ///
    /// # Safety
    /// Loading runs the library's initialisers, which may do anything in the server, and
    /// each declaration must be the function's true signature and convention. A wrong
    /// one can crash or corrupt only the server, with one exception: an array declared
    /// read-only (`&[T]`) that the function writes, passed as a `SharedArray`, changes
    /// memory this process may be reading.
    pub unsafe fn bind(
        client: Arc<Client64>,
        path: &str,
        convention: Convention,
        decls: Vec<FunctionDecl>,
    ) -> Result<ForeignLibrary> {
        let abi = client.abi();
        let plans = decls
            .iter()
            .map(|d| d.plan(abi))
            .collect::<Result<Vec<_>>>()?;
        let mut names = Vec::new();
        for d in &decls {
            if d.name.contains('\0') || d.name.is_empty() {
                return Err(Error::InvalidArgument(format!(
                    "`{}` is not a function name",
                    d.name.escape_debug()
                )));
            }
            names.extend_from_slice(d.name.as_bytes());
            names.push(0);
        }
        let specs: Vec<FunctionSpec> = plans.iter().map(|p| p.spec).collect();
        let stdcall = convention == Convention::Stdcall
            || (convention == Convention::System && abi.is_32_bit());
        let first = client.bind_foreign(path, stdcall, &names, &specs)?;
        let functions = decls
            .into_iter()
            .zip(plans)
            .enumerate()
            .map(|(i, (decl, plan))| Bound {
                decl,
                plan,
                id: first + i as u32,
            })
            .collect();
        Ok(ForeignLibrary {
            client,
            path: path.to_owned(),
            functions,
        })
    }

    /// The client whose server the library is loaded in.
    pub fn client(&self) -> &Arc<Client64> {
        &self.client
    }

    /// The path it was loaded from.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The declarations, in the order bound.
    pub fn functions(&self) -> impl Iterator<Item = &FunctionDecl> {
        self.functions.iter().map(|f| &f.decl)
    }

    /// The index of function `name`.
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.functions.iter().position(|f| f.decl.name == name)
    }

    /// Calls function `name` with `args` (converted to the declared types, each checked)
    /// and returns its result as a [`Value`]: see the [module](super) for how each type
    /// maps.
    pub fn call<'a>(&self, name: &str, args: impl IntoArgs<'a>) -> Result<Value> {
        let i = self.index_of(name).ok_or_else(|| {
            Error::InvalidArgument(format!("`{}` declares no function `{name}`", self.path))
        })?;
        super::dynamic::call(self, i, args.into_args().as_ref())
    }

    /// The declaration of function `i`.
    pub(crate) fn decl(&self, i: usize) -> &FunctionDecl {
        &self.functions[i].decl
    }

    /// Function `i`, if there is one.
    #[inline(always)]
    pub(super) fn function(&self, i: usize) -> Option<&Bound> {
        self.functions.get(i)
    }

    /// Calls function `i`: `call` writes the arguments when given [`Step::Encode`]
    /// (twice: to measure, then into the record) and reads the result when given
    /// [`Step::Decode`]. What generated handles call.
    ///
    /// The [`Lease`] that `call` gets with each step lets it lend shared arrays to the
    /// call ([`Encoder::shared`](super::Encoder::shared)) that stay borrowed until
    /// `invoke` returns: `'call` outlives this call, so a borrow made inside `call` cannot
    /// be lent.
    #[doc(hidden)]
    pub fn invoke<'call>(
        &self,
        i: usize,
        call: &mut dyn FnMut(Step<'_, '_>, Lease<'call>) -> Result<()>,
    ) -> Result<()> {
        let f = &self.functions[i];
        let lease = Lease {
            owner: self.client.array_owner(),
            _call: std::marker::PhantomData,
        };
        self.client
            .foreign_call(f.id, &f.decl.name, &f.plan, &mut |step| call(step, lease))
    }
}

/// Proof, given to the steps of one foreign call, that borrows of lifetime `'call` last
/// until the call has returned (the server is done with it by then, or ended): a shared
/// array lent to the call must be borrowed for `'call`.
///
/// Made only by [`ForeignLibrary::invoke`] (and the run-time form); `'call` is invariant,
/// so it cannot be shortened to a borrow made during the call.
#[derive(Clone, Copy, Debug)]
pub struct Lease<'call> {
    /// The client whose shared arrays may be lent (see `Client64::array_owner`).
    pub(crate) owner: u64,
    _call: std::marker::PhantomData<fn(&'call ()) -> &'call ()>,
}
