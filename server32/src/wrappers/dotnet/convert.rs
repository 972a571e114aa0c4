//! Conversions between loadlib values and .NET values: arguments by the target
//! method's parameter types, results by the returned object's run-time class.

use std::ffi::{c_int, c_void};

use loadlib::server::ServerError;
use loadlib::{Array, ArrayData, ArrayRef, DType, Value, ValueRef};

use super::mono::{
    code, non_null, Api, Handle, MonoClass, MonoDomain, MonoMethod, MonoObject, MonoType,
};

/// How deep nested object arrays (`object[]` holding arrays…) are followed.
const MAX_DEPTH: usize = 32;

/// The embedded runtime: its API, the root domain, and `System.Array.GetLength`.
pub struct Runtime {
    pub api: &'static Api,
    pub domain: *mut MonoDomain,
    pub get_length: *mut MonoMethod,
}

/// The arguments of one call: value-type arguments in `scalars`, objects pinned.
#[derive(Default)]
pub struct Params {
    scalars: Vec<u64>,
    objects: Vec<Handle>,
    slots: Vec<Slot>,
}

enum Slot {
    Scalar(usize),
    Object(usize),
    Null,
}

impl Params {
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
}

/// The loadlib dtype of a primitive .NET type code.
pub fn dtype_of(c: c_int) -> Option<DType> {
    Some(match c {
        code::I1 => DType::I8,
        code::U1 => DType::U8,
        code::I2 => DType::I16,
        code::U2 => DType::U16,
        code::I4 => DType::I32,
        code::U4 => DType::U32,
        code::I8 => DType::I64,
        code::U8 => DType::U64,
        code::R4 => DType::F32,
        code::R8 => DType::F64,
        _ => return None,
    })
}

fn as_int(d: DType, bits: u64) -> Option<i128> {
    Some(match d {
        DType::I8 => bits as u8 as i8 as i128,
        DType::I16 => bits as u16 as i16 as i128,
        DType::I32 => bits as u32 as i32 as i128,
        DType::I64 => bits as i64 as i128,
        DType::U8 => bits as u8 as i128,
        DType::U16 => bits as u16 as i128,
        DType::U32 => bits as u32 as i128,
        DType::U64 => bits as i128,
        DType::F32 | DType::F64 => return None,
    })
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
fn scalar_bits(target: DType, v: &ValueRef<'_>) -> Option<u64> {
    let (d, bits) = v.scalar_bits()?;
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
    pub fn push_arg(
        &self,
        p: &mut Params,
        ty: *mut MonoType,
        v: &ValueRef<'_>,
        what: &str,
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
                    let bits = scalar_bits(d, v)
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
            ValueRef::Array(a) => *a,
            ValueRef::ArrayMut(m) => m.as_ref(),
            ValueRef::Bytes(b) if dtype == DType::U8 => ArrayRef::from_slice(*b),
            _ => return Err(type_error(what, &want(), v)),
        };
        if a.dtype() != dtype || a.shape().rank() != rank {
            return Err(type_error(what, &want(), v));
        }
        let mut dims = a
            .shape()
            .dims()
            .iter()
            .map(|&d| usize::try_from(d).ok().filter(|&d| d <= i32::MAX as usize))
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

    /// The loadlib value of a returned object (`None` for null and void).
    pub fn to_value(&self, obj: Option<Handle>, depth: usize) -> Result<Value, ServerError> {
        let Some(h) = obj else { return Ok(Value::None) };
        let api = self.api;
        // SAFETY: `h` pins a live object; its class is metadata that lives for the process.
        let class = non_null(
            unsafe { (api.object_get_class)(h.get()) },
            "an object's class",
        )?;
        let mut c = api.class_code(class);
        if c == code::VALUETYPE && is_enum(api, class) {
            // SAFETY: `class` is an enum: its base type is a primitive integer.
            c = unsafe {
                (api.type_get_type)(non_null(
                    (api.class_enum_basetype)(class),
                    "an enum's base type",
                )?)
            };
        }
        let unbox = || -> Result<*const u8, ServerError> {
            // SAFETY: `h` is a boxed value type (by its class code).
            Ok(non_null(unsafe { (api.object_unbox)(h.get()) }, "an unboxed value")?.cast::<u8>())
        };
        Ok(match c {
            // SAFETY (all reads below): `unbox` points to the boxed value, of the size
            // its type code says.
            code::BOOLEAN => Value::Bool(unsafe { *unbox()? } != 0),
            code::CHAR => Value::Str(String::from_utf16_lossy(&[unsafe {
                unbox()?.cast::<u16>().read_unaligned()
            }])),
            code::I => Value::I64(unsafe { unbox()?.cast::<isize>().read_unaligned() } as i64),
            code::U => Value::U64(unsafe { unbox()?.cast::<usize>().read_unaligned() } as u64),
            // SAFETY: the class code says `h` is a System.String, pinned.
            code::STRING => Value::Str(unsafe { api.read_string(h.get()) }),
            code::SZARRAY | code::ARRAY => self.array_value(&h, class, c, depth)?,
            _ => match dtype_of(c) {
                Some(d) => {
                    let p = unbox()?;
                    let mut bits = [0u8; 8];
                    // SAFETY: the boxed value has `d.size()` bytes.
                    unsafe { std::ptr::copy_nonoverlapping(p, bits.as_mut_ptr(), d.size()) };
                    Value::from_scalar_bits(d, u64::from_le_bytes(bits))
                }
                None => {
                    return Err(ServerError::type_error(format!(
                        "the result is a `{}`, which loadlib cannot send back (supported: bool, \
                         char, integers, float, double, enums, string, arrays)",
                        api.class_full_name(class)
                    )))
                }
            },
        })
    }

    /// A returned array: numbers as an n-D [`Array`], other rank-1 arrays as a list.
    fn array_value(
        &self,
        h: &Handle,
        class: *mut MonoClass,
        c: c_int,
        depth: usize,
    ) -> Result<Value, ServerError> {
        let api = self.api;
        // SAFETY: `h` pins an array of class `class`.
        let (elem, rank, size, len) = unsafe {
            let elem = (api.class_get_element_class)(class);
            let rank = (api.class_get_rank)(class).max(1) as usize;
            (
                elem,
                rank,
                (api.array_element_size)(class),
                (api.array_length)(h.get()),
            )
        };
        let ecode = api.class_code(elem);
        let shape = if c == code::SZARRAY {
            vec![len]
        } else {
            (0..rank)
                .map(|d| self.array_dim(h, d as i32))
                .collect::<Result<_, _>>()?
        };
        let at = |i: usize| -> Result<*const u8, ServerError> {
            // SAFETY: `i < len` at every call below; elements are `size` bytes apart.
            Ok(non_null(
                unsafe { (api.array_addr_with_size)(h.get(), size, i) },
                "an array element",
            )?
            .cast())
        };
        if let Some(d) = dtype_of(ecode).filter(|d| d.size() as i32 == size) {
            let mut data = ArrayData::zeros(d, len);
            if len > 0 {
                let out = data.as_bytes_mut();
                // SAFETY: the pinned array's `len` elements are contiguous from element 0.
                unsafe { std::ptr::copy_nonoverlapping(at(0)?, out.as_mut_ptr(), out.len()) };
            }
            return Array::from_data(shape, data)
                .map(Value::Array)
                .ok_or_else(|| {
                    ServerError::new("MonoError", "an array's shape does not match its length")
                });
        }
        if rank != 1 || depth >= MAX_DEPTH {
            return Err(ServerError::type_error(format!(
                "the result is a `{}` array, which loadlib cannot send back",
                api.class_full_name(class)
            )));
        }
        let mut items = Vec::with_capacity(len);
        for i in 0..len {
            items.push(match ecode {
                // SAFETY: a bool element is one byte; a char two.
                code::BOOLEAN => Value::Bool(unsafe { *at(i)? } != 0),
                code::CHAR => Value::Str(String::from_utf16_lossy(&[unsafe {
                    at(i)?.cast::<u16>().read_unaligned()
                }])),
                code::STRING | code::OBJECT | code::CLASS | code::SZARRAY | code::ARRAY => {
                    // SAFETY: a reference-type element holds an object pointer (or null),
                    // pinned below before any other Mono call.
                    let obj = unsafe { at(i)?.cast::<*mut MonoObject>().read_unaligned() };
                    let item = if obj.is_null() {
                        None
                    } else {
                        Some(Handle::pin(api, obj, "an array element")?)
                    };
                    self.to_value(item, depth + 1)?
                }
                _ => {
                    return Err(ServerError::type_error(format!(
                        "the result is a `{}` array, which loadlib cannot send back",
                        api.class_full_name(elem)
                    )))
                }
            });
        }
        Ok(Value::List(items))
    }

    /// `array.GetLength(dim)`.
    fn array_dim(&self, h: &Handle, mut dim: i32) -> Result<usize, ServerError> {
        let api = self.api;
        let mut exc: *mut MonoObject = std::ptr::null_mut();
        let mut args = [(&mut dim as *mut i32).cast::<c_void>()];
        // SAFETY: `GetLength(int)` of System.Array on a pinned array, exceptions caught;
        // the boxed int result is read before any other Mono call.
        unsafe {
            let r =
                (api.runtime_invoke)(self.get_length, h.get().cast(), args.as_mut_ptr(), &mut exc);
            if !exc.is_null() {
                return Err(ServerError::new(
                    "MonoError",
                    "System.Array.GetLength threw",
                ));
            }
            let p = non_null(
                (api.object_unbox)(non_null(r, "GetLength's result")?),
                "GetLength's result",
            )?;
            Ok(p.cast::<i32>().read_unaligned().max(0) as usize)
        }
    }
}

fn is_enum(api: &Api, class: *mut MonoClass) -> bool {
    // SAFETY: `class` is a non-null class (checked by the callers).
    unsafe { (api.class_is_enum)(class) != 0 }
}
