//! The typed client's side of Rust types with no wire type of their own: `usize` and
//! `isize` travel as `u64` and `i64`, `char` as `u32`, and `Vec<String>` as a list of
//! strings (copied into the request).
//!
//! | interface type | the client passes | the client gets back |
//! |---|---|---|
//! | `usize`, `isize` | the same | the same (a 64-bit client holds any value a server sends) |
//! | `char` | the same | the same |
//! | `Vec<String>` | `&[String]`, `&Vec<String>`, `&[&str]`, `&[&str; N]` | `Vec<String>` |

use std::borrow::Cow;

use super::typed::{Arg, ArgList, Returns};
use super::FromValue;
use crate::error::{Error, Result};
use crate::values::value::Value;
use crate::values::value_ref::ValueRef;

impl<'c> Arg<'c, fn(usize)> for usize {
    fn push_to(self, args: &mut ArgList<'c>) {
        args.push(ValueRef::U64(self as u64));
    }
}

impl<'c> Arg<'c, fn(isize)> for isize {
    fn push_to(self, args: &mut ArgList<'c>) {
        args.push(ValueRef::I64(self as i64));
    }
}

impl<'c> Arg<'c, fn(char)> for char {
    fn push_to(self, args: &mut ArgList<'c>) {
        args.push(ValueRef::U32(self as u32));
    }
}

/// Strings as the list that carries them.
fn strings<'c, S: AsRef<str>>(items: &[S]) -> ValueRef<'c> {
    ValueRef::List(Cow::Owned(
        items
            .iter()
            .map(|s| Value::Str(s.as_ref().to_owned()))
            .collect(),
    ))
}

impl<'c> Arg<'c, fn(Vec<String>)> for &'c [String] {
    fn push_to(self, args: &mut ArgList<'c>) {
        args.push(strings(self));
    }
}

impl<'c> Arg<'c, fn(Vec<String>)> for &'c Vec<String> {
    fn push_to(self, args: &mut ArgList<'c>) {
        args.push(strings(self));
    }
}

impl<'c> Arg<'c, fn(Vec<String>)> for &'c [&str] {
    fn push_to(self, args: &mut ArgList<'c>) {
        args.push(strings(self));
    }
}

impl<'c, const N: usize> Arg<'c, fn(Vec<String>)> for &'c [&str; N] {
    fn push_to(self, args: &mut ArgList<'c>) {
        args.push(strings(self));
    }
}

fn wrong<T>(expected: &str, v: &Value) -> Result<T> {
    Err(Error::ReplyType {
        expected: expected.into(),
        got: v.type_name(),
    })
}

impl FromValue for usize {
    fn from_value(v: Value) -> Result<Self> {
        u64::from_value(v).and_then(|n| {
            usize::try_from(n).map_err(|_| Error::ReplyType {
                expected: "usize".into(),
                got: format!("{n} (u64)"),
            })
        })
    }
}

impl FromValue for isize {
    fn from_value(v: Value) -> Result<Self> {
        i64::from_value(v).and_then(|n| {
            isize::try_from(n).map_err(|_| Error::ReplyType {
                expected: "isize".into(),
                got: format!("{n} (i64)"),
            })
        })
    }
}

impl FromValue for char {
    fn from_value(v: Value) -> Result<Self> {
        let n = u32::from_value(v)?;
        char::from_u32(n).ok_or_else(|| Error::ReplyType {
            expected: "char".into(),
            got: format!("{n:#x} (u32), not a Unicode scalar value"),
        })
    }
}

impl FromValue for Vec<String> {
    fn from_value(v: Value) -> Result<Self> {
        match v {
            Value::List(items) => items
                .into_iter()
                .map(|s| match s {
                    Value::Str(s) => Ok(s),
                    other => wrong("a list of strings", &other),
                })
                .collect(),
            other => wrong("a list of strings", &other),
        }
    }
}

macro_rules! returns_itself {
    ($($t:ty),*) => {$(
        impl Returns for $t {
            type Output = $t;
        }
    )*};
}
returns_itself!(usize, isize, char, Vec<String>);
