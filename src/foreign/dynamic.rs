//! The run-time form of a call: arguments as [`ValueRef`]s checked against the
//! declaration, the result as a [`Value`].

use smallvec::SmallVec;

use super::abi::Abi;
use super::convert::{decode, dtype_of, encode_at, int_of};
use super::ctype::CType;
use super::decl::{Dir, FunctionDecl, Len, ParamKind, Ret};
use super::encode::Encoder;
use super::library::{ForeignLibrary, Lease};
use super::returned::{Returned, Step};
use super::wire::RET_STRING;
use crate::error::{Error, Result};
use crate::values::value::{Array, ArrayData, Value};
use crate::values::value_ref::ValueRef;

fn bad(decl: &FunctionDecl, k: usize, msg: impl std::fmt::Display) -> Error {
    let name = decl.params.get(k).map_or("?", |p| p.name.as_str());
    Error::InvalidArgument(format!("argument `{name}` of `{}`: {msg}", decl.name))
}

/// How many elements of `ty` an argument holds.
fn count(ty: &CType, v: &ValueRef<'_>, abi: Abi) -> Option<usize> {
    let size = (ty.layout().size(abi) as usize).max(1);
    match v {
        ValueRef::Array(a) => Some(a.as_bytes().len() / size),
        ValueRef::ArrayMut(m) => Some(m.byte_len() / size),
        ValueRef::Shared(s) => Some(s.len as usize / size),
        ValueRef::Bytes(b) => Some(b.len() / size),
        ValueRef::Str(s) => Some(s.len() / size),
        ValueRef::List(l) => Some(l.len()),
        ValueRef::None => None,
        _ => Some(1),
    }
}

/// Checks the arguments' count, lengths and nulls before anything is sent.
fn check(decl: &FunctionDecl, args: &[ValueRef<'_>], abi: Abi) -> Result<()> {
    if args.len() != decl.params.len() {
        return Err(Error::InvalidArgument(format!(
            "`{}` takes {} arguments, {} given",
            decl.name,
            decl.params.len(),
            args.len()
        )));
    }
    let int_arg = |j: usize| -> Result<usize> {
        let x = args.get(j).and_then(int_of).unwrap_or(-1);
        usize::try_from(x).map_err(|_| bad(decl, j, format!("{x} is not a length")))
    };
    for (k, (p, v)) in decl.params.iter().zip(args).enumerate() {
        match &p.kind {
            ParamKind::Array {
                ty,
                len,
                nullable,
                dir,
            } => {
                if matches!(v, ValueRef::None) {
                    if !nullable {
                        return Err(bad(decl, k, "may not be null"));
                    }
                    continue;
                }
                if let (Some(want), ValueRef::Array(a)) = (dtype_of(ty), v) {
                    if a.dtype() != want {
                        return Err(bad(
                            decl,
                            k,
                            format!("an array of {:?} for {}", a.dtype(), ty.name()),
                        ));
                    }
                }
                if *dir != Dir::In && !matches!(v, ValueRef::ArrayMut(_) | ValueRef::Shared(_)) {
                    return Err(bad(decl, k, "the library writes it: pass a writable array"));
                }
                let need = match *len {
                    Len::Any => 0,
                    Len::One => 1,
                    Len::Fixed(n) => n,
                    Len::Param(j) => int_arg(j)?,
                    Len::ParamPlus(j, add) => int_arg(j)? + add,
                    Len::Product(i, j) => int_arg(i)? * int_arg(j)?,
                };
                let have = count(ty, v, abi).unwrap_or(0);
                if have < need {
                    return Err(bad(
                        decl,
                        k,
                        format!("holds {have} elements where {need} are needed"),
                    ));
                }
            }
            ParamKind::Str { nullable } => match v {
                ValueRef::None if !nullable => return Err(bad(decl, k, "may not be null")),
                ValueRef::None | ValueRef::Str(_) | ValueRef::Bytes(_) => {}
                other => {
                    return Err(bad(
                        decl,
                        k,
                        format!("{} is not a string", other.type_name()),
                    ))
                }
            },
            ParamKind::Value(_) => {}
        }
    }
    Ok(())
}

/// Writes argument `k` for parameter `k`.
fn encode_arg<'call>(
    enc: &mut Encoder<'_>,
    decl: &FunctionDecl,
    k: usize,
    v: &'call ValueRef<'call>,
    lease: Lease<'call>,
) -> Result<()> {
    let wrap = |e: Error| match e {
        Error::InvalidArgument(m) => bad(decl, k, m),
        other => other,
    };
    match &decl.params[k].kind {
        ParamKind::Value(ty) => {
            let size = ty.layout().size(enc.abi());
            enc.arg_with(k, size, &mut |e, at| encode_at(e, at, ty, v))
                .map_err(wrap)
        }
        ParamKind::Str { .. } => {
            let slot = enc.slot(k);
            match v {
                ValueRef::Str(s) => enc.pointer_to_cstr(slot, s.as_bytes()),
                ValueRef::Bytes(b) => enc.pointer_to_cstr(slot, b),
                _ => enc.write_address(slot, 0),
            }
            .map_err(wrap)
        }
        ParamKind::Array { ty, dir, len, .. } => {
            encode_pointed(enc, k, ty, *dir, *len, v, lease).map_err(wrap)
        }
    }
}

/// Writes argument `k`, a pointer parameter to elements of `ty`: the data in the record
/// (or a shared array in place), its address in the parameter's slot.
fn encode_pointed<'call>(
    enc: &mut Encoder<'_>,
    k: usize,
    ty: &CType,
    dir: Dir,
    len: Len,
    v: &'call ValueRef<'call>,
    lease: Lease<'call>,
) -> Result<()> {
    let slot = enc.slot(k);
    let abi = enc.abi();
    let align = ty.layout().align(abi);
    // One struct passed by reference may be given as the list of its fields.
    let one_struct = len == Len::One && matches!(ty, CType::Struct(_));
    match v {
        ValueRef::None => enc.write_address(slot, 0),
        ValueRef::Shared(s) => {
            if dir != Dir::In && !s.writable {
                return Err(Error::InvalidArgument(
                    "the library writes it: pass `&mut SharedArray`".into(),
                ));
            }
            // Read-only when the library only reads it: nothing to take back after.
            enc.shared_as(slot, s, dir != Dir::In, lease)
        }
        ValueRef::ArrayMut(m) if dir != Dir::In => {
            let a = m.as_ref();
            let contents = (dir == Dir::InOut).then(|| a.as_bytes());
            enc.buffer(slot, a.as_bytes().len(), contents, align)
        }
        ValueRef::ArrayMut(m) => enc.pointer_to_bytes_aligned(slot, m.bytes(), align),
        ValueRef::Array(a) => enc.pointer_to_bytes_aligned(slot, a.as_bytes(), align),
        ValueRef::Bytes(b) => enc.pointer_to_bytes_aligned(slot, b, align),
        ValueRef::Str(s) => enc.pointer_to_bytes_aligned(slot, s.as_bytes(), align),
        ValueRef::List(l) if !one_struct => {
            let step = ty.layout().size(abi);
            let at = enc.alloc(step * l.len() as u32, align.max(8));
            for (i, x) in l.iter().enumerate() {
                encode_at(enc, at.offset(i as u32 * step), ty, &x.into())?;
            }
            enc.point_at(slot, at);
            Ok(())
        }
        one => {
            let at = enc.alloc(ty.layout().size(abi), align.max(8));
            encode_at(enc, at, ty, one)?;
            enc.point_at(slot, at);
            Ok(())
        }
    }
}

/// Calls function `i` of `lib` with `args`.
pub(crate) fn call(lib: &ForeignLibrary, i: usize, args: &[ValueRef<'_>]) -> Result<Value> {
    let decl = lib.decl(i);
    let abi = lib.client().abi();
    check(decl, args, abi)?;
    let ret_copy = match &decl.ret {
        Ret::Str => RET_STRING,
        Ret::Array { ty, len } => {
            let n = match *len {
                Len::Fixed(n) => n,
                Len::Param(j) => args.get(j).and_then(int_of).unwrap_or(0).max(0) as usize,
                Len::ParamPlus(j, k) => {
                    args.get(j).and_then(int_of).unwrap_or(0).max(0) as usize + k
                }
                Len::Product(a, b) => {
                    let v = |j: usize| args.get(j).and_then(int_of).unwrap_or(0).max(0) as usize;
                    v(a) * v(b)
                }
                Len::One | Len::Any => 1,
            };
            u32::try_from(n * ty.layout().size(abi) as usize)
                .map_err(|_| Error::InvalidArgument(format!("{n} returned elements")))?
        }
        _ => 0,
    };
    let mut value = None;
    lib.invoke(i, &mut |step, lease| match step {
        Step::Encode(enc) => {
            for (k, arg) in args.iter().enumerate() {
                encode_arg(enc, decl, k, arg, lease)?;
            }
            enc.set_ret_copy(ret_copy);
            Ok(())
        }
        Step::Decode(ret) => {
            value = Some(decode_result(decl, args, ret, abi)?);
            Ok(())
        }
    })?;
    value.ok_or_else(|| Error::Protocol("a call with no result".into()))
}

/// Copies what the library wrote into the writable arguments and reads the result.
fn decode_result(
    decl: &FunctionDecl,
    args: &[ValueRef<'_>],
    ret: &Returned<'_>,
    abi: Abi,
) -> Result<Value> {
    let mut back = 0;
    for (p, v) in decl.params.iter().zip(args) {
        if let ParamKind::Array { dir, .. } = p.kind {
            if dir == Dir::In {
                continue;
            }
            match v {
                ValueRef::ArrayMut(m) => {
                    ret.read_back_array(back, m)?;
                    back += 1;
                }
                ValueRef::Shared(_) => back += 1,
                _ => {}
            }
        }
    }
    Ok(match &decl.ret {
        Ret::Void => Value::None,
        Ret::Value(t) => decode(t, &ret.value_bytes(t.layout().size(abi) as usize)?, abi),
        Ret::Str => match ret.returned_bytes() {
            None => Value::None,
            Some(b) => match String::from_utf8(b.to_vec()) {
                Ok(s) => Value::Str(s),
                Err(e) => Value::Bytes(e.into_bytes()),
            },
        },
        Ret::Array { ty, .. } => match ret.returned_bytes() {
            None => Value::None,
            Some(b) => match dtype_of(ty) {
                Some(d) => Value::Array(
                    Array::from_data(vec![b.len() / d.size()], ArrayData::copy_from_bytes(d, b))
                        .ok_or_else(|| Error::Protocol("a returned array of odd length".into()))?,
                ),
                None => {
                    let step = ty.layout().size(abi) as usize;
                    let n = b.len() / step.max(1);
                    let items: SmallVec<[Value; 4]> =
                        (0..n).map(|i| decode(ty, &b[i * step..], abi)).collect();
                    Value::List(items.into_vec())
                }
            },
        },
    })
}
