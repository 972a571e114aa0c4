//! Arrays allocated in shared memory by the client: passed to the server with no copy.

use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::error::{Error, Result};
use crate::transport::bulk::segment_name;
use crate::transport::shm::Segment;
use crate::transport::wire::location;
use crate::values::dtype::{DType, Element};
use crate::values::value_ref::{Shape, SharedRef, ValueRef};

/// A numeric array of `T` in its own shared-memory segment, zero-initialised. It derefs
/// to `[T]`.
///
/// Pass `&array` for a read-only argument or `&mut array` for one the server writes in
/// place; either way no byte of it is copied. The borrow lasts as long as the server may
/// use the array: the call, or the whole [`Batch`](crate::Batch) it was submitted in. A
/// call that passed shared arrays and timed out ends the server, so nothing can write an
/// array after its borrow has ended.
///
/// ```no_run
/// let client = loadlib::Client64::new("testlib")?;
/// let mut x = client.alloc_array::<f64>(&[1000])?;
/// x.fill(1.5);
/// let sum: f64 = client.request32("sum", (&x,))?;
/// assert_eq!(sum, 1500.0);
/// # Ok::<(), loadlib::Error>(())
/// ```
pub struct SharedArray<T: Element> {
    segment: Segment,
    id: u32,
    shape: Shape,
    len: usize,
    freed: Arc<FreedIds>,
    _element: PhantomData<T>,
}

impl<T: Element> SharedArray<T> {
    pub(crate) fn create(
        base: &str,
        id: u32,
        shape: &[usize],
        limit: Option<u64>,
        freed: Arc<FreedIds>,
    ) -> Result<SharedArray<T>> {
        let shape =
            Shape::new(shape).ok_or_else(|| Error::InvalidArgument("rank above 32".into()))?;
        let len = shape
            .elements()
            .and_then(|n| n.checked_mul(size_of::<T>()))
            .map(|n| n as u64)
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
            shape,
            len: len as usize,
            freed,
            _element: PhantomData,
        })
    }

    /// The element type.
    pub fn dtype(&self) -> DType {
        T::DTYPE
    }

    /// The shape.
    pub fn shape(&self) -> &Shape {
        &self.shape
    }

    fn reference(&self, writable: bool) -> SharedRef<'_> {
        // SAFETY: a read-only reference borrows `self` for its lifetime; a writable one
        // is made only from `&mut self` (see the `From` impls).
        unsafe { self.lent(writable) }
    }

    /// A reference to this array for `'l`.
    ///
    /// # Safety
    /// The array must stay borrowed for `'l` — mutably if `writable` (nothing else reads
    /// or writes it), else shared (nothing writes it) — as by a `&'l SharedArray` or a
    /// `&'l mut SharedArray` that is not used while the reference lives.
    pub(crate) unsafe fn lent<'l>(&self, writable: bool) -> SharedRef<'l> {
        SharedRef {
            id: self.id,
            dtype: T::DTYPE,
            shape: self.shape.clone(),
            len: self.len as u64,
            writable,
            owner: self.freed.owner,
            _borrow: PhantomData,
        }
    }
}

impl<T: Element> Deref for SharedArray<T> {
    type Target = [T];

    fn deref(&self) -> &[T] {
        // SAFETY: the mapping holds at least `len` bytes. The server touches them only
        // while a call or batch that passed this array is in flight, and that call holds
        // a borrow of it; a timed-out one ends the server first (see the type's docs).
        let bytes = unsafe { std::slice::from_raw_parts(self.segment.as_ptr(), self.len) };
        // The mapping is page-aligned and `len` a whole number of elements.
        <[T] as zerocopy::FromBytes>::ref_from_bytes(bytes).expect("aligned whole elements")
    }
}

impl<T: Element> DerefMut for SharedArray<T> {
    fn deref_mut(&mut self) -> &mut [T] {
        // SAFETY: as in `deref`; `&mut self` makes this the only view in this process.
        let bytes = unsafe { std::slice::from_raw_parts_mut(self.segment.as_ptr(), self.len) };
        <[T] as zerocopy::FromBytes>::mut_from_bytes(bytes).expect("aligned whole elements")
    }
}

impl<T: Element> std::fmt::Debug for SharedArray<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedArray")
            .field("dtype", &T::DTYPE)
            .field("shape", &self.shape)
            .finish_non_exhaustive()
    }
}

impl<T: Element> Drop for SharedArray<T> {
    fn drop(&mut self) {
        // The segment unlinks itself; tell the server to unmap it with the next call.
        self.freed.push(self.id);
    }
}

/// Largest payload total sent to a 32-bit server, whose address space is 4 GiB at most.
pub(super) const MAX_PAYLOAD_32: u64 = 1 << 31;

/// The shared arrays of one client (or in-process connection): where they are made, what
/// they are numbered, which were dropped, and what each call may pass.
pub(super) struct SharedArrays {
    /// The prefix of the arrays' segment names.
    base: String,
    next_id: AtomicU32,
    freed: Arc<FreedIds>,
    /// The most bytes one call may put into shared memory (a 32-bit server's), if any.
    limit: Option<u64>,
}

impl SharedArrays {
    /// The arrays of a client whose segments are named after `base`, whose server maps at
    /// most `limit` bytes of them.
    pub(super) fn new(base: &str, limit: Option<u64>) -> SharedArrays {
        SharedArrays {
            base: base.to_owned(),
            next_id: AtomicU32::new(1),
            freed: Arc::new(FreedIds::new()),
            limit,
        }
    }

    /// A zeroed array of `T` with `shape`.
    pub(super) fn alloc<T: Element>(&self, shape: &[usize]) -> Result<SharedArray<T>> {
        // Relaxed: only uniqueness is needed, which the read-modify-write gives.
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        SharedArray::create(&self.base, id, shape, self.limit, Arc::clone(&self.freed))
    }

    /// Refuses shared arrays of another client, and arguments the server could not map.
    pub(super) fn check_args(&self, args: &[ValueRef<'_>]) -> Result<()> {
        for a in args {
            if let ValueRef::Shared(s) = a {
                self.freed.check_owner(s)?;
            }
        }
        if let Some(limit) = self.limit {
            let total: u64 = args.iter().map(payload_bytes).sum();
            if total > limit {
                return Err(Error::InvalidArgument(format!(
                    "{total} bytes of arguments exceed what a 32-bit server can map ({limit} bytes)"
                )));
            }
        }
        Ok(())
    }

    /// Whether any array was dropped since the last [`take_freed`](Self::take_freed).
    #[inline]
    pub(super) fn any_freed(&self) -> bool {
        // Acquire: pairs with the Release store in `FreedIds::push` (see `take`).
        self.freed.any.load(Ordering::Acquire)
    }

    /// Ids of arrays dropped since the last call.
    #[inline]
    pub(super) fn take_freed(&self) -> Vec<u32> {
        self.freed.take()
    }

    /// The number the arrays carry (see `FreedIds::owner`).
    pub(super) fn owner(&self) -> u64 {
        self.freed.owner
    }
}

/// Bytes a value puts into shared memory.
fn payload_bytes(v: &ValueRef<'_>) -> u64 {
    match v {
        ValueRef::Str(s) => s.len() as u64,
        ValueRef::Bytes(b) => b.len() as u64,
        ValueRef::Array(a) => a.as_bytes().len() as u64,
        ValueRef::Shared(s) => s.len,
        ValueRef::ArrayMut(a) => a.byte_len() as u64,
        _ => 0,
    }
}

/// Ids of shared arrays dropped since the last call, and a flag that lets every call
/// check for them without taking the lock; also which client the arrays belong to.
pub(crate) struct FreedIds {
    any: AtomicBool,
    ids: Mutex<Vec<u32>>,
    /// A number for the client (or in-process connection) that owns this list and the
    /// arrays that report to it, unique in the process: a call checks that every shared
    /// array it passes is its own, since another client's server would map the wrong
    /// segment (ids are counted per client).
    pub(crate) owner: u64,
}

impl FreedIds {
    /// The list of a new client.
    pub(crate) fn new() -> FreedIds {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        FreedIds {
            any: AtomicBool::new(false),
            ids: Mutex::new(Vec::new()),
            // Relaxed: only uniqueness is needed, which the read-modify-write gives.
            owner: NEXT.fetch_add(1, Ordering::Relaxed),
        }
    }

    /// Refuses a shared array of another client.
    pub(crate) fn check_owner(&self, array: &SharedRef<'_>) -> Result<()> {
        if array.owner != self.owner {
            return Err(Error::InvalidArgument(
                "a shared array of another client: pass each client arrays it allocated (alloc_array)".into(),
            ));
        }
        Ok(())
    }

    fn push(&self, id: u32) {
        self.ids.lock().unwrap_or_else(|p| p.into_inner()).push(id);
        // Release: pairs with the Acquire load in `take`, after the push.
        self.any.store(true, Ordering::Release);
    }

    /// The ids pushed since the last call (no allocation or lock when there are none).
    #[inline]
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

impl<'a, T: Element> From<&'a SharedArray<T>> for SharedRef<'a> {
    fn from(a: &'a SharedArray<T>) -> Self {
        a.reference(false)
    }
}

impl<'a, T: Element> From<&'a mut SharedArray<T>> for SharedRef<'a> {
    fn from(a: &'a mut SharedArray<T>) -> Self {
        a.reference(true)
    }
}

impl<'a, T: Element> From<&'a SharedArray<T>> for ValueRef<'a> {
    fn from(a: &'a SharedArray<T>) -> Self {
        ValueRef::Shared(a.into())
    }
}

impl<'a, T: Element> From<&'a mut SharedArray<T>> for ValueRef<'a> {
    fn from(a: &'a mut SharedArray<T>) -> Self {
        ValueRef::Shared(a.into())
    }
}
