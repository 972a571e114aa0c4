//! Results: a returned .NET object converted by its run-time class.

use std::ffi::{c_int, c_void};

use loadlib::server::ServerError;
use loadlib::{Array, ArrayData, DType, Value};

use super::mono::{code, dtype_of, is_enum, non_null, Handle, MonoClass, MonoObject, Runtime};

/// How deep nested object arrays (`object[]` holding arrays…) are followed.
const MAX_DEPTH: usize = 32;

impl Runtime {
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
        // The `n` bytes of a boxed value type (a primitive, by its class code).
        let read = |n: usize| -> Result<u64, ServerError> {
            // SAFETY: `h` is a pinned boxed value type.
            let p = non_null(unsafe { (api.object_unbox)(h.get()) }, "an unboxed value")?;
            let mut bits = [0u8; 8];
            // SAFETY: the boxed value has at least `n <= 8` bytes (its type code's size).
            unsafe { std::ptr::copy_nonoverlapping(p.cast::<u8>(), bits.as_mut_ptr(), n) };
            Ok(u64::from_le_bytes(bits))
        };
        let native = |signed: bool| match (usize::BITS, signed) {
            (32, true) => DType::I32,
            (32, false) => DType::U32,
            (_, true) => DType::I64,
            (_, false) => DType::U64,
        };
        Ok(match c {
            code::BOOLEAN => Value::Bool(read(1)? != 0),
            code::CHAR => Value::Str(String::from_utf16_lossy(&[read(2)? as u16])),
            code::I | code::U => {
                let d = native(c == code::I);
                Value::from_scalar_bits(d, read(d.size())?)
            }
            // SAFETY: the class code says `h` is a System.String, pinned.
            code::STRING => Value::Str(unsafe { api.read_string(h.get()) }),
            code::SZARRAY | code::ARRAY => self.array_value(&h, class, c, depth)?,
            _ => match dtype_of(c) {
                Some(d) => Value::from_scalar_bits(d, read(d.size())?),
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
