//! Foreign calls: declare a 32-bit library's C functions in the 64-bit program and call
//! them through a server, with no 32-bit code of your own.
//!
//! The client lays each call out exactly as the library's compiler would under the
//! server's [`Abi`] (i386 cdecl and stdcall, x86-64 System V and Windows): the frame of
//! arguments, structs in the library's layout, pointers to data placed in shared memory.
//! The server copies the frame onto its stack and calls the function (a trampoline of a
//! few instructions), then sends back the registers holding the result. Arrays the
//! library reads are read in place in the request; a [`SharedArray`](crate::SharedArray)
//! is read and written in place with no copy at all.
//!
//! Declare functions with [`foreign!`](crate::foreign!) for a typed handle, or as data
//! ([`FunctionDecl`]) for [`ForeignLibrary::call`] with values.
//!
//! In the run-time form, a parameter by value takes a number, `bool`, or (for a struct)
//! a list or map of its fields; an array parameter takes an array, bytes, a list, a
//! shared array, or for one value passed by reference the value itself; a writable one
//! takes an [`ArrayMut`](crate::ArrayMut) or a `&mut SharedArray`. Results come back as
//! [`Value`](crate::Value)s: numbers as themselves, a struct as a map of its fields, a
//! returned string as `Str` (or `Bytes` if not UTF-8), null as `None`.

mod abi;
mod args;
mod convert;
mod ctype;
mod decl;
mod dynamic;
pub(crate) mod encode;
pub(crate) mod frame;
mod library;
mod returned;
pub(crate) mod scalar_call;
mod values;
pub(crate) mod wire;

pub use abi::{same_on_every_abi, struct_layout, Abi, TypeLayout, ABIS};
#[doc(hidden)]
pub use args::{check_len, put_mut, put_opt_str, put_ref, put_str};
pub use args::{CStrArg, InArray, OutArray};
pub use ctype::{CType, StructType};
pub use decl::{Dir, FunctionDecl, Len, Param, ParamKind, Ret};
pub use encode::{Encoder, Place};
pub use library::{Convention, ForeignLibrary, Lease, FOREIGN_MODULE};
pub use returned::{Returned, Step};
#[doc(hidden)]
pub use scalar_call::ScalarReturn;
pub use values::{CDecode, CValue, Logical, Ptr};
