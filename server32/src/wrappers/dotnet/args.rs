//! Arguments: loadlib values converted to the .NET types of the target method's
//! parameters.

use loadlib::__private::int_value as as_int;
use std::ffi::{c_int, c_void};

use loadlib::server::ServerError;
use loadlib::{ArrayMut, ArrayRef, DType, ValueRef};

use super::mono::{code, dtype_of, is_enum, non_null, Api, Handle, MonoClass, MonoType, Runtime};

/// The arguments of one call: value-type arguments in `scalars`, objects pinned, and
/// the writable shared arrays whose .NET copies are written back after the call.
#[derive(Default)]
pub struct Params<'a> {
    scalars: Vec<u64>,
    objects: Vec<Handle>,
    slots: Vec<Slot>,
    writes: Vec<(usize, ArrayMut<'a>)>,
}

enum Slot {
    Scalar(usize),
    Object(usize),
    Null,
}

impl<'a> Params<'a> {
    fn scalar(&mut self, bits: u64) {
        self.slots.push(Slot::Scalar(self.scalars.len()));
        self.scalars.push(bits);
    }

    fn object(&mut self, h: Handle) {
        self.slots.push(Slot::Object(self.objects.len()));
        self.objects.push(h);
    }

    /// The `void **params` of `mono_runtime_invoke`: a pointer to the value for a value
    /// type, the object itself for a reference type. Valid while `self` is not changed.
    pub fn pointers(&mut self) -> Vec<*mut c_void> {
        let scalars = self.scalars.as_mut_ptr();
        self.slots
            .iter()
            .map(|s| match *s {
                // SAFETY: `i` indexes `scalars`; a u64 slot holds any primitive, its low
                // bytes first (little-endian x86).
                Slot::Scalar(i) => unsafe { scalars.add(i) }.cast(),
                Slot::Object(i) => self.objects[i].get().cast(),
                Slot::Null => std::ptr::null_mut(),
            })
            .collect()
    }

    /// Keeps argument `i` (if it is a writable shared array that became a .NET array) to
    /// write the array back after the call.
    pub fn keep_writable(&mut self, i: usize, v: ValueRef<'a>) {
        if let (ValueRef::ArrayMut(target), Some(&Slot::Object(k))) = (v, self.slots.get(i)) {
            self.writes.push((k, target));
        }
    }

    /// Copies each .NET array made from a writable shared array (a `SharedArray` the
    /// client passed with `&mut`) back into it, so the caller sees in-place changes.
    pub fn write_back(self, api: &Api) -> Result<(), ServerError> {
        for (i, target) in self.writes {
            let len = target.as_ref().as_bytes().len();
            let size = target.dtype().size() as c_int;
            if len == 0 {
                continue;
            }
            // SAFETY: object `i` is the pinned .NET array made from `target`, of the same
            // element type and length (arrays never resize).
            let src = non_null(
                unsafe { (api.array_addr_with_size)(self.objects[i].get(), size, 0) },
                "an array's data",
            )?;
            let dst = writable_bytes(target)?;
            // SAFETY: both hold `len` bytes; the shared array is not .NET memory.
            unsafe { std::ptr::copy_nonoverlapping(src.cast::<u8>(), dst, len) };
        }
        Ok(())
    }
}

/// The first byte of a writable shared array, whatever its element type.
fn writable_bytes(a: ArrayMut<'_>) -> Result<*mut u8, ServerError> {
    macro_rules! by_dtype {
        ($($d:ident => $t:ty),*) => {
            match a.dtype() {
                $(DType::$d => a.into_slice::<$t>().map(|s| s.as_mut_ptr().cast::<u8>()),)*
            }
        };
    }
    by_dtype!(I8 => i8, I16 => i16, I32 => i32, I64 => i64, U8 => u8, U16 => u16,
        U32 => u32, U64 => u64, F32 => f32, F64 => f64)
    .ok_or_else(|| ServerError::new("MonoError", "a writable array is misaligned"))
}

fn as_f64(d: DType, bits: u64) -> Option<f64> {
    match d {
        DType::F32 => Some(f32::from_bits(bits as u32) as f64),
        DType::F64 => Some(f64::from_bits(bits)),
        // Integers convert only while every value is exact (|v| <= 2^53).
        _ => as_int(d, bits)
            .filter(|v| v.unsigned_abs() <= 1 << 53)
            .map(|v| v as f64),
    }
}

/// The bits of scalar `v` as a `target`, if it converts without loss.
fn scalar_bits(target: DType, v: &ValueRef<'_>, exact: bool) -> Option<u64> {
    let (d, bits) = v.scalar_bits()?;
    if exact && d != target {
        return None;
    }
    match target {
        _ if d == target => Some(bits),
        DType::F64 => as_f64(d, bits).map(f64::to_bits),
        DType::F32 => {
            let x = as_f64(d, bits)?;
            let y = x as f32;
            (y as f64 == x || x.is_nan()).then_some(y.to_bits() as u64)
        }
        _ => {
            let x = as_int(d, bits)?;
            let (lo, hi): (i128, i128) = match target {
                DType::I8 => (i8::MIN.into(), i8::MAX.into()),
                DType::I16 => (i16::MIN.into(), i16::MAX.into()),
                DType::I32 => (i32::MIN.into(), i32::MAX.into()),
                DType::I64 => (i64::MIN.into(), i64::MAX.into()),
                DType::U8 => (0, u8::MAX.into()),
                DType::U16 => (0, u16::MAX.into()),
                DType::U32 => (0, u32::MAX.into()),
                _ => (0, u64::MAX.into()),
            };
            (lo..=hi).contains(&x).then_some(x as u64)
        }
    }
}

fn type_error(what: &str, expected: &str, v: &ValueRef<'_>) -> ServerError {
    ServerError::type_error(format!("{what} must be {expected}, got {}", v.type_name()))
}

impl Runtime {
    /// Converts argument `v` for a parameter of type `ty`; `what` names it in errors.
    /// With `exact`, a number must have the parameter's own type (to choose between
    /// overloads); without, any lossless conversion is made.
    pub fn push_arg(
        &self,
        p: &mut Params<'_>,
        ty: *mut MonoType,
        v: &ValueRef<'_>,
        what: &str,
        exact: bool,
    ) -> Result<(), ServerError> {
        let api = self.api;
        // SAFETY: `ty` is a parameter type from the method's signature (non-null).
        let (c, byref, class) = unsafe {
            (
                (api.type_get_type)(ty),
                (api.type_is_byref)(ty) != 0,
                (api.class_from_mono_type)(ty),
            )
        };
        let unsupported = || {
            ServerError::type_error(format!(
                "{what} is a `{}`, which loadlib cannot pass (supported: bool, char, integers, \
                 float, double, enums, string, arrays of numbers)",
                api.class_full_name(class)
            ))
        };
        if byref {
            return Err(unsupported().context("ref and out parameters are not supported"));
        }
        let c = if c == code::VALUETYPE && !class.is_null() && is_enum(api, class) {
            // SAFETY: `class` is an enum, whose base type is a primitive integer.
            unsafe {
                (api.type_get_type)(non_null(
                    (api.class_enum_basetype)(class),
                    "an enum's base type",
                )?)
            }
        } else {
            c
        };
        match (c, v) {
            (code::BOOLEAN, ValueRef::Bool(b)) => p.scalar(*b as u64),
            (code::BOOLEAN, _) => return Err(type_error(what, "a bool", v)),
            (code::CHAR, ValueRef::Str(s)) if s.encode_utf16().count() == 1 => {
                p.scalar(s.encode_utf16().next().unwrap_or(0) as u64)
            }
            (code::CHAR, _) => return Err(type_error(what, "a one-character str", v)),
            (code::STRING | code::OBJECT, ValueRef::Str(s)) => {
                p.object(api.new_string(self.domain, s)?)
            }
            (
                code::STRING | code::OBJECT | code::CLASS | code::SZARRAY | code::ARRAY,
                ValueRef::None,
            ) => p.slots.push(Slot::Null),
            (code::STRING, _) => return Err(type_error(what, "a str or None", v)),
            (code::SZARRAY | code::ARRAY, _) => p.object(self.new_array(class, v, what)?),
            _ => match dtype_of(c) {
                Some(d) => {
                    let bits = scalar_bits(d, v, exact)
                        .ok_or_else(|| type_error(what, &format!("a number that fits {d}"), v))?;
                    p.scalar(bits)
                }
                None => return Err(unsupported()),
            },
        }
        Ok(())
    }

    /// A new .NET array of class `class` (e.g. `double[]`, `double[,]`) holding `v`.
    fn new_array(
        &self,
        class: *mut MonoClass,
        v: &ValueRef<'_>,
        what: &str,
    ) -> Result<Handle, ServerError> {
        let api = self.api;
        let class = non_null(class, "an array parameter's class")?;
        // SAFETY: `class` is an array class: it has an element class and a rank.
        let (elem, rank, size) = unsafe {
            let elem = (api.class_get_element_class)(class);
            (
                elem,
                (api.class_get_rank)(class).max(1) as usize,
                (api.array_element_size)(class),
            )
        };
        let ecode = api.class_code(elem);
        let want = || format!("a {rank}-D array of {}", api.class_full_name(elem));
        let Some(dtype) = dtype_of(ecode).filter(|d| d.size() as i32 == size) else {
            return Err(ServerError::type_error(format!(
                "{what} is a `{}[]`; only arrays of numbers can be passed",
                api.class_full_name(elem)
            )));
        };
        let a: ArrayRef<'_> = match v {
            ValueRef::Array(a) => a.clone(),
            ValueRef::ArrayMut(m) => m.as_ref(),
            ValueRef::Bytes(b) if dtype == DType::U8 => ArrayRef::from_slice(b),
            _ => return Err(type_error(what, &want(), v)),
        };
        if a.dtype() != dtype || a.shape().rank() != rank {
            return Err(type_error(what, &want(), v));
        }
        let mut dims = a
            .shape()
            .dims()
            .iter()
            .map(|&d| (d <= i32::MAX as usize).then_some(d))
            .collect::<Option<Vec<usize>>>()
            .ok_or_else(|| {
                ServerError::value_error(format!("{what} is too large for a .NET array"))
            })?;
        // SAFETY: `class` is this array class and `elem` its element class; `dims` holds
        // `rank` lengths (lower bounds default to 0).
        let obj = unsafe {
            if rank == 1 && api.class_code(class) == code::SZARRAY {
                (api.array_new)(self.domain, elem, dims[0])
            } else {
                (api.array_new_full)(self.domain, class, dims.as_mut_ptr(), std::ptr::null_mut())
            }
        };
        let h = Handle::pin(api, obj, "a new array")?;
        let bytes = a.as_bytes();
        if !bytes.is_empty() {
            // SAFETY: the pinned array holds `a.len()` elements of `size` bytes, stored
            // contiguously in row-major order like `bytes`.
            unsafe {
                let dst = non_null(
                    (api.array_addr_with_size)(h.get(), size, 0),
                    "an array's data",
                )?;
                if (api.array_length)(h.get()) != a.len() {
                    return Err(ServerError::new(
                        "MonoError",
                        "a new array has the wrong length",
                    ));
                }
                std::ptr::copy_nonoverlapping(bytes.as_ptr(), dst.cast::<u8>(), bytes.len());
            }
        }
        Ok(h)
    }
}
