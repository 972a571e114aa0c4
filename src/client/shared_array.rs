//! Arrays allocated in shared memory by the client: passed to the server with no copy.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use crate::bulk::segment_name;
use crate::dtype::{DType, Element};
use crate::error::{Error, Result};
use crate::shm::Segment;
use crate::value_ref::{Shape, SharedRef, ValueRef};
use crate::wire::location;

/// A numeric array in its own shared-memory segment, zero-initialised.
///
/// Pass `&array` for a read-only argument or `&mut array` for one the server writes in
/// place; either way no byte of it is copied.
///
/// ```no_run
/// let client = loadlib::Client64::new("echo")?;
/// let mut x = client.alloc_array::<f64>(&[1000])?;
/// x.as_mut_slice::<f64>().unwrap().fill(1.5);
/// let sum: f64 = client.request32("sum", (&x,))?;
/// # Ok::<(), loadlib::Error>(())
/// ```
pub struct SharedArray {
    segment: Segment,
    id: u32,
    dtype: DType,
    shape: Shape,
    len: usize,
    freed: Arc<FreedIds>,
}

impl SharedArray {
    pub(crate) fn create<T: Element>(
        base: &str,
        id: u32,
        shape: &[usize],
        limit: Option<u64>,
        freed: Arc<FreedIds>,
    ) -> Result<SharedArray> {
        let shape =
            Shape::new(shape).ok_or_else(|| Error::InvalidArgument("rank above 32".into()))?;
        let len = shape
            .elements()
            .and_then(|n| n.checked_mul(size_of::<T>() as u64))
            .ok_or_else(|| Error::InvalidArgument("array size overflows".into()))?;
        if let Some(limit) = limit.filter(|&l| len > l) {
            return Err(Error::InvalidArgument(format!(
                "an array of {len} bytes exceeds what a 32-bit server can map ({limit} bytes)"
            )));
        }
        let name = segment_name(base, location::SHARED, id);
        let segment = Segment::create(&name, (len as usize).max(1))?;
        Ok(SharedArray {
            segment,
            id,
            dtype: T::DTYPE,
            shape,
            len: len as usize,
            freed,
        })
    }

    /// The element type.
    pub fn dtype(&self) -> DType {
        self.dtype
    }

    /// The shape.
    pub fn shape(&self) -> &Shape {
        &self.shape
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.len / self.dtype.size()
    }

    /// Whether there are no elements.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn bytes(&self) -> &[u8] {
        // SAFETY: the mapping holds at least `len` bytes; between calls only this process
        // touches it (the server writes only while a call that passed it is in flight,
        // and that call borrows the array).
        unsafe { std::slice::from_raw_parts(self.segment.as_ptr(), self.len) }
    }

    /// The elements, if they are of type `T`.
    pub fn as_slice<T: Element>(&self) -> Option<&[T]> {
        (T::DTYPE == self.dtype)
            .then(|| <[T] as zerocopy::FromBytes>::ref_from_bytes(self.bytes()).ok())?
    }

    /// The elements, writable, if they are of type `T`.
    pub fn as_mut_slice<T: Element>(&mut self) -> Option<&mut [T]> {
        if T::DTYPE != self.dtype {
            return None;
        }
        // SAFETY: as in `bytes`; `&mut self` makes this the only view in this process.
        let b = unsafe { std::slice::from_raw_parts_mut(self.segment.as_ptr(), self.len) };
        <[T] as zerocopy::FromBytes>::mut_from_bytes(b).ok()
    }

    fn reference(&self, writable: bool) -> SharedRef {
        SharedRef {
            id: self.id,
            dtype: self.dtype,
            shape: self.shape,
            len: self.len as u64,
            writable,
        }
    }
}

impl Drop for SharedArray {
    fn drop(&mut self) {
        // The segment unlinks itself; tell the server to unmap it with the next call.
        self.freed.push(self.id);
    }
}

/// Ids of shared arrays dropped since the last call, and a flag that lets every call
/// check for them without taking the lock.
#[derive(Default)]
pub(crate) struct FreedIds {
    any: AtomicBool,
    ids: Mutex<Vec<u32>>,
}

impl FreedIds {
    fn push(&self, id: u32) {
        self.ids.lock().unwrap_or_else(|p| p.into_inner()).push(id);
        // Release: pairs with the Acquire load in `take`, after the push.
        self.any.store(true, Ordering::Release);
    }

    /// The ids pushed since the last call (no allocation or lock when there are none).
    pub(crate) fn take(&self) -> Vec<u32> {
        // Acquire: pairs with the Release store in `push`.
        if !self.any.load(Ordering::Acquire) {
            return Vec::new();
        }
        let mut ids = self.ids.lock().unwrap_or_else(|p| p.into_inner());
        self.any.store(false, Ordering::Relaxed); // under the lock, before taking
        std::mem::take(&mut *ids)
    }
}

impl<'a> From<&'a SharedArray> for ValueRef<'a> {
    fn from(a: &'a SharedArray) -> Self {
        ValueRef::Shared(a.reference(false))
    }
}

impl<'a> From<&'a mut SharedArray> for ValueRef<'a> {
    fn from(a: &'a mut SharedArray) -> Self {
        ValueRef::Shared(a.reference(true))
    }
}
