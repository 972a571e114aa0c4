//! Values of the run-time form ([`ValueRef`], [`Value`]) to and from the server's
//! representation of a C type: numbers range-checked, structs from a list or a map of
//! their fields.

use super::abi::Abi;
use super::ctype::CType;
use super::encode::{Encoder, Place};
use super::values::{CDecode, Logical, Ptr};
use crate::error::{Error, Result};
use crate::values::dtype::DType;
use crate::values::value::Value;
use crate::values::value_ref::ValueRef;

/// The integer a value holds, if it is one.
pub(super) fn int_of(v: &ValueRef<'_>) -> Option<i128> {
    Some(match *v {
        ValueRef::I8(x) => x as i128,
        ValueRef::I16(x) => x as i128,
        ValueRef::I32(x) => x as i128,
        ValueRef::I64(x) => x as i128,
        ValueRef::U8(x) => x as i128,
        ValueRef::U16(x) => x as i128,
        ValueRef::U32(x) => x as i128,
        ValueRef::U64(x) => x as i128,
        ValueRef::Bool(b) => b as i128,
        _ => return None,
    })
}

/// Writes `v` as a `ty` at `at`, converting and range-checking it.
pub(super) fn encode_at(
    enc: &mut Encoder<'_>,
    at: Place,
    ty: &CType,
    v: &ValueRef<'_>,
) -> Result<()> {
    let abi = enc.abi();
    let int = |lo: i128, hi: i128| -> Result<i128> {
        let x = int_of(v).ok_or_else(|| {
            Error::InvalidArgument(format!("{} is not an integer", v.type_name()))
        })?;
        if x < lo || x > hi {
            return Err(Error::InvalidArgument(format!(
                "{x} does not fit {} (range {lo}..={hi})",
                ty.name()
            )));
        }
        Ok(x)
    };
    let ptr_max = if abi.is_32_bit() {
        u32::MAX as i128
    } else {
        u64::MAX as i128
    };
    let float = || -> Result<f64> {
        match *v {
            ValueRef::F64(x) => Ok(x),
            ValueRef::F32(x) => Ok(x as f64),
            _ => int_of(v).map(|x| x as f64).ok_or_else(|| {
                Error::InvalidArgument(format!("{} is not a number", v.type_name()))
            }),
        }
    };
    match ty {
        CType::Bool => match v {
            ValueRef::Bool(b) => enc.write(at, &[*b as u8]),
            _ => enc.write(at, &[int(0, 1)? as u8]),
        },
        CType::Logical => {
            let b = matches!(v, ValueRef::Bool(true)) || int_of(v).is_some_and(|x| x != 0);
            enc.write(at, &(Logical(b).get() as u32).to_le_bytes())
        }
        CType::I8 => enc.write(
            at,
            &(int(i8::MIN.into(), i8::MAX.into())? as i8).to_le_bytes(),
        ),
        CType::U8 => enc.write(at, &(int(0, u8::MAX.into())? as u8).to_le_bytes()),
        CType::I16 => enc.write(
            at,
            &(int(i16::MIN.into(), i16::MAX.into())? as i16).to_le_bytes(),
        ),
        CType::U16 => enc.write(at, &(int(0, u16::MAX.into())? as u16).to_le_bytes()),
        CType::I32 => enc.write(
            at,
            &(int(i32::MIN.into(), i32::MAX.into())? as i32).to_le_bytes(),
        ),
        CType::U32 => enc.write(at, &(int(0, u32::MAX.into())? as u32).to_le_bytes()),
        CType::I64 => enc.write(
            at,
            &(int(i64::MIN.into(), i64::MAX.into())? as i64).to_le_bytes(),
        ),
        CType::U64 => enc.write(at, &(int(0, u64::MAX.into())? as u64).to_le_bytes()),
        CType::F32 => enc.write(at, &(float()? as f32).to_le_bytes()),
        CType::F64 => enc.write(at, &float()?.to_le_bytes()),
        CType::ISize => {
            let half = ptr_max / 2;
            let x = int(-half - 1, half)? as i64;
            enc.write(at, &x.to_le_bytes()[..abi.pointer_size() as usize])
        }
        CType::USize => enc.write_address(at, int(0, ptr_max)? as u64)?,
        CType::Pointer => match v {
            ValueRef::None => enc.write_address(at, 0)?,
            _ => enc.write_address(at, int(0, ptr_max)? as u64)?,
        },
        CType::Array(t, n) => {
            let items = elements(v)?;
            if items.len() != *n as usize {
                return Err(Error::InvalidArgument(format!(
                    "{} values for {}",
                    items.len(),
                    ty.name()
                )));
            }
            let step = t.layout().size(abi);
            for (i, item) in items.iter().enumerate() {
                encode_at(enc, at.offset(i as u32 * step), t, item)?;
            }
        }
        CType::Struct(s) => {
            let fields: Vec<(&str, &CType)> = s.fields().collect();
            let values: Vec<ValueRef<'_>> = match v {
                ValueRef::List(l) if l.len() == fields.len() => {
                    l.iter().map(ValueRef::from).collect()
                }
                ValueRef::Map(m) => fields
                    .iter()
                    .map(|(name, _)| {
                        m.iter()
                            .find(|(k, _)| k == name)
                            .map(|(_, x)| ValueRef::from(x))
                            .ok_or_else(|| Error::InvalidArgument(format!("no field `{name}`")))
                    })
                    .collect::<Result<_>>()?,
                _ => {
                    return Err(Error::InvalidArgument(format!(
                        "{} for {} (give its {} fields as a list or a map)",
                        v.type_name(),
                        ty.name(),
                        fields.len()
                    )))
                }
            };
            for (i, ((_, t), x)) in fields.iter().zip(&values).enumerate() {
                encode_at(enc, at.offset(s.offset(i, abi)), t, x)?;
            }
        }
    }
    Ok(())
}

/// The items of a list-like value.
pub(super) fn elements<'v>(v: &'v ValueRef<'_>) -> Result<Vec<ValueRef<'v>>> {
    match v {
        ValueRef::List(l) => Ok(l.iter().map(ValueRef::from).collect()),
        ValueRef::Array(a) => {
            let size = a.dtype().size();
            Ok(a.as_bytes()
                .chunks_exact(size)
                .map(|c| {
                    let mut bits = [0u8; 8];
                    bits[..size].copy_from_slice(c);
                    ValueRef::from_scalar_bits(a.dtype(), u64::from_le_bytes(bits))
                })
                .collect())
        }
        other => Err(Error::InvalidArgument(format!(
            "{} is not a list",
            other.type_name()
        ))),
    }
}

/// The element type of an array of numbers, to check an array argument against.
pub(super) fn dtype_of(ty: &CType) -> Option<DType> {
    Some(match ty {
        CType::I8 => DType::I8,
        CType::U8 => DType::U8,
        CType::I16 => DType::I16,
        CType::U16 => DType::U16,
        CType::I32 => DType::I32,
        CType::U32 => DType::U32,
        CType::I64 => DType::I64,
        CType::U64 => DType::U64,
        CType::F32 => DType::F32,
        CType::F64 => DType::F64,
        _ => return None,
    })
}

/// Reads a value of `ty` from `bytes`.
pub(super) fn decode(ty: &CType, bytes: &[u8], abi: Abi) -> Value {
    match ty {
        CType::Bool => Value::Bool(bytes[0] != 0),
        CType::Logical => Value::Bool(Logical::decode(abi, bytes).get()),
        CType::I8 => Value::I8(i8::decode(abi, bytes)),
        CType::U8 => Value::U8(u8::decode(abi, bytes)),
        CType::I16 => Value::I16(i16::decode(abi, bytes)),
        CType::U16 => Value::U16(u16::decode(abi, bytes)),
        CType::I32 => Value::I32(i32::decode(abi, bytes)),
        CType::U32 => Value::U32(u32::decode(abi, bytes)),
        CType::I64 => Value::I64(i64::decode(abi, bytes)),
        CType::U64 => Value::U64(u64::decode(abi, bytes)),
        CType::F32 => Value::F32(f32::decode(abi, bytes)),
        CType::F64 => Value::F64(f64::decode(abi, bytes)),
        CType::ISize => Value::I64(isize::decode(abi, bytes) as i64),
        CType::USize | CType::Pointer => Value::U64(Ptr::decode(abi, bytes).0 as u64),
        CType::Array(t, n) => {
            let step = t.layout().size(abi) as usize;
            Value::List(
                (0..*n as usize)
                    .map(|i| decode(t, &bytes[i * step..], abi))
                    .collect(),
            )
        }
        CType::Struct(s) => Value::Map(
            s.fields()
                .enumerate()
                .map(|(i, (name, t))| {
                    (
                        name.to_owned(),
                        decode(t, &bytes[s.offset(i, abi) as usize..], abi),
                    )
                })
                .collect(),
        ),
    }
}
