//! A foreign function's declaration as data: what [`foreign!`](crate::foreign!)
//! generates, and what tools and other languages' bindings build at run time.

use super::abi::Abi;
use super::ctype::CType;
use super::frame::{self, FramePlan, RetPlan};
use super::wire::SPEC_LAST_ERROR;
use crate::error::Result;

/// How a parameter passes.
///
/// ```
/// use loadlib::foreign::{CType, Dir, Len, Param};
/// // void scalar_multiply(double a, const double *xin, int n, double *xout)
/// let params = [
///     Param::value("a", CType::F64),
///     Param::array("xin", CType::F64, Dir::In, Len::Param(2)),
///     Param::value("n", CType::I32),
///     Param::array("xout", CType::F64, Dir::Out, Len::Param(2)),
/// ];
/// # let _ = params;
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Param {
    /// The name, for messages.
    pub name: String,
    /// How it passes.
    pub kind: ParamKind,
}

/// What a parameter is.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum ParamKind {
    /// A value passed as it is: a number, `bool`, [`Logical`](super::Logical), a pointer
    /// the library handed out ([`CType::Pointer`]), or a struct.
    Value(CType),
    /// A pointer to data the caller passes: elements of `ty`, which the library reads
    /// ([`Dir::In`]), writes ([`Dir::Out`]) or both.
    Array {
        /// The element type.
        ty: CType,
        /// Whether the library reads, writes, or both.
        dir: Dir,
        /// How many elements the library touches, when the declaration says.
        len: Len,
        /// Whether null is allowed.
        nullable: bool,
    },
    /// A NUL-terminated string the library reads (`const char *`).
    Str {
        /// Whether null is allowed.
        nullable: bool,
    },
}

/// Which way data behind a pointer goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dir {
    /// The library reads it.
    In,
    /// The library only writes it: only its length is sent.
    Out,
    /// The library reads and writes it.
    InOut,
}

/// How many elements a pointer parameter's data must hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Len {
    /// Whatever the caller passes.
    Any,
    /// Exactly one value (a scalar or struct passed by reference).
    One,
    /// At least this many.
    Fixed(usize),
    /// At least the value of integer parameter `i`.
    Param(usize),
    /// At least the value of integer parameter `i` plus `k`.
    ParamPlus(usize, usize),
    /// At least the product of integer parameters `i` and `j` (a matrix).
    Product(usize, usize),
}

/// What a function returns.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Ret {
    /// Nothing.
    Void,
    /// A value, as [`ParamKind::Value`].
    Value(CType),
    /// A NUL-terminated string (`const char *`), copied into the reply; null is `None`.
    Str,
    /// A pointer to `len` elements of `ty` (a buffer the library allocated), copied into
    /// the reply; null is `None`.
    Array {
        /// The element type.
        ty: CType,
        /// How many elements.
        len: Len,
    },
}

/// A function's declaration.
#[derive(Clone, Debug, PartialEq)]
pub struct FunctionDecl {
    /// Its exported name (undecorated).
    pub name: String,
    /// Its parameters, in order.
    pub params: Vec<Param>,
    /// Its result.
    pub ret: Ret,
    /// Whether to read `errno` (Linux) or `GetLastError()` (Windows) right after it.
    pub last_error: bool,
}

impl Param {
    /// A parameter passed by value.
    pub fn value(name: impl Into<String>, ty: CType) -> Param {
        Param {
            name: name.into(),
            kind: ParamKind::Value(ty),
        }
    }

    /// A pointer to elements of `ty` the caller passes.
    pub fn array(name: impl Into<String>, ty: CType, dir: Dir, len: Len) -> Param {
        Param {
            name: name.into(),
            kind: ParamKind::Array {
                ty,
                dir,
                len,
                nullable: false,
            },
        }
    }

    /// A pointer to one value (Fortran's by-reference arguments, a struct the library
    /// fills).
    pub fn by_ref(name: impl Into<String>, ty: CType, dir: Dir) -> Param {
        Self::array(name, ty, dir, Len::One)
    }

    /// A C string the library reads.
    pub fn str(name: impl Into<String>) -> Param {
        Param {
            name: name.into(),
            kind: ParamKind::Str { nullable: false },
        }
    }

    /// The same parameter, allowed to be null.
    pub fn nullable(mut self) -> Param {
        if let ParamKind::Array { nullable, .. } | ParamKind::Str { nullable } = &mut self.kind {
            *nullable = true;
        }
        self
    }

    /// How it sits in the frame: its own type by value, else a pointer.
    fn passed_as(&self) -> CType {
        match &self.kind {
            ParamKind::Value(t) => t.clone(),
            _ => CType::Pointer,
        }
    }
}

impl FunctionDecl {
    /// A function `name` with `params`, returning `ret`.
    pub fn new(name: impl Into<String>, params: Vec<Param>, ret: Ret) -> FunctionDecl {
        FunctionDecl {
            name: name.into(),
            params,
            ret,
            last_error: false,
        }
    }

    /// The same function, reading `errno` / `GetLastError()` after each call.
    pub fn with_last_error(mut self) -> FunctionDecl {
        self.last_error = true;
        self
    }

    /// Lays out its calls under `abi`.
    pub(crate) fn plan(&self, abi: Abi) -> Result<FramePlan> {
        let params: Vec<CType> = self.params.iter().map(Param::passed_as).collect();
        let ret = match &self.ret {
            Ret::Void => None,
            Ret::Value(t) => Some(t.clone()),
            Ret::Str | Ret::Array { .. } => Some(CType::Pointer),
        };
        let mut plan = frame::plan(abi, &params, ret.as_ref()).map_err(|e| match e {
            crate::Error::InvalidArgument(m) => {
                crate::Error::InvalidArgument(format!("`{}`: {m}", self.name))
            }
            other => other,
        })?;
        if self.last_error {
            plan.spec.flags |= SPEC_LAST_ERROR;
        }
        // Numbers and addresses by value place no data beside the frame.
        plan.fixed = !matches!(plan.ret, RetPlan::Hidden { .. })
            && self.params.iter().all(|p| {
                matches!(&p.kind, ParamKind::Value(t) if !matches!(t, CType::Struct(_) | CType::Array(..)))
            });
        plan.scalars = super::scalar_call::scalar_plan(abi, &self.params, &self.ret, &plan);
        Ok(plan)
    }
}
