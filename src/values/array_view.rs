//! Views of numeric arrays: read-only ([`ArrayRef`]) and writable ([`ArrayMut`]), with
//! their [`Shape`], and references to client-allocated shared arrays.

use std::marker::PhantomData;

use zerocopy::FromBytes;

use crate::transport::wire::MAX_RANK;
use crate::values::dtype::{DType, Element};
use crate::values::value::{Array, ArrayData};

/// Dimensions held inline; a shape of higher rank keeps its extents on the heap.
const INLINE_RANK: usize = 4;

/// The extents of an array's dimensions (rank at most 32): up to 4 inline, so a value
/// that holds a shape stays small (it is moved on every call); more on the heap.
///
/// ```
/// use loadlib::Shape;
/// let s = Shape::new(&[2, 3]).unwrap();
/// assert_eq!(s.dims(), &[2, 3]);
/// assert_eq!(s.elements(), Some(6));
/// ```
#[derive(PartialEq, Eq)]
pub struct Shape {
    dims: smallvec::SmallVec<[usize; INLINE_RANK]>,
}

// Made by copying the extents (`SmallVec::from_slice`), not by collecting an iterator:
// the generic `extend` behind `collect` and the derived `clone` took about 60
// instructions for one extent, several times a call with an array.
impl Clone for Shape {
    #[inline]
    fn clone(&self) -> Self {
        Shape {
            dims: smallvec::SmallVec::from_slice(&self.dims),
        }
    }
}

impl Shape {
    /// A shape from extents; `None` if the rank exceeds 32.
    #[inline]
    pub fn new(dims: &[usize]) -> Option<Shape> {
        if dims.len() > MAX_RANK {
            return None;
        }
        Some(Shape {
            dims: smallvec::SmallVec::from_slice(dims),
        })
    }

    /// A shape from `u64` extents, as the wire holds them; `None` if the rank exceeds 32
    /// or an extent does not fit in a `usize` (above 2^32 - 1 in a 32-bit process).
    pub fn from_u64(dims: impl ExactSizeIterator<Item = u64>) -> Option<Shape> {
        if dims.len() > MAX_RANK {
            return None;
        }
        // Pushed one by one (not collected: the generic `extend` behind `collect` cost
        // about 60 instructions for one extent), every extent the iterator yields.
        let mut out = smallvec::SmallVec::new();
        for d in dims {
            out.push(usize::try_from(d).ok()?);
        }
        Some(Shape { dims: out })
    }

    /// A 1-D shape.
    pub fn vector(len: usize) -> Shape {
        Self::new(&[len]).expect("rank 1")
    }

    /// The extents.
    pub fn dims(&self) -> &[usize] {
        &self.dims
    }

    /// Number of dimensions.
    pub fn rank(&self) -> usize {
        self.dims.len()
    }

    /// Product of the extents, or `None` on overflow.
    pub fn elements(&self) -> Option<usize> {
        self.dims()
            .iter()
            .try_fold(1usize, |a, &d| a.checked_mul(d))
    }

    /// The extents, owned.
    pub fn to_vec(&self) -> Vec<usize> {
        self.dims.to_vec()
    }
}

impl std::fmt::Debug for Shape {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.dims().fmt(f)
    }
}

/// A read-only view of a numeric array: the caller's data on the client, the shared
/// segment on the server.
///
/// ```
/// use loadlib::ArrayRef;
/// let data = [1.0f64, 2.0, 3.0, 4.0, 5.0, 6.0];
/// let m = ArrayRef::new(&data, &[2, 3]).unwrap();
/// assert_eq!(m.shape().dims(), &[2, 3]);
/// assert_eq!(m.as_slice::<f64>(), Some(&data[..]));
/// ```
#[derive(Clone, Debug)]
pub struct ArrayRef<'a> {
    dtype: DType,
    shape: Shape,
    bytes: &'a [u8],
}

impl<'a> ArrayRef<'a> {
    /// A view of `data` with `shape`; `None` if the shape does not match its length.
    pub fn new<T: Element>(data: &'a [T], shape: &[usize]) -> Option<Self> {
        let shape = Shape::new(shape)?;
        (shape.elements()? == data.len()).then(|| ArrayRef {
            dtype: T::DTYPE,
            shape,
            bytes: zerocopy::IntoBytes::as_bytes(data),
        })
    }

    /// A 1-D view.
    pub fn from_slice<T: Element>(data: &'a [T]) -> Self {
        ArrayRef {
            dtype: T::DTYPE,
            shape: Shape::vector(data.len()),
            bytes: zerocopy::IntoBytes::as_bytes(data),
        }
    }

    /// A view of raw bytes; the caller guarantees the shape matches.
    pub(crate) fn from_raw(dtype: DType, shape: Shape, bytes: &'a [u8]) -> Self {
        ArrayRef {
            dtype,
            shape,
            bytes,
        }
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
        self.bytes.len() / self.dtype.size()
    }

    /// Whether there are no elements.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The elements' bytes.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// The elements, if they are of type `T` (and aligned for it, as payloads always are).
    pub fn as_slice<T: Element>(&self) -> Option<&'a [T]> {
        if T::DTYPE != self.dtype {
            return None;
        }
        <[T]>::ref_from_bytes(self.bytes).ok()
    }

    /// An owned copy.
    pub fn to_array(&self) -> Array {
        let data = ArrayData::copy_from_bytes(self.dtype, self.bytes);
        Array::from_data(self.shape.to_vec(), data).expect("shape checked on construction")
    }
}

/// A writable numeric array.
///
/// A server method gets one for an argument the client passed writable: a
/// [`SharedArray`](crate::SharedArray) passed with `&mut` (writes land in the caller's
/// array with no copy), or a plain `&mut` slice, which travels in the request and is
/// copied back into the caller's slice when the reply arrives.
///
/// On the client, [`from_slice`](Self::from_slice) (copied there and back) and
/// [`output`](Self::output) (copied back only) make one from a slice:
/// ```
/// let mut y = vec![0.0f64; 4];
/// let arg = loadlib::ArrayMut::output(&mut y[..]);
/// assert_eq!(arg.shape().dims(), [4]);
/// ```
#[derive(Debug)]
pub struct ArrayMut<'a> {
    dtype: DType,
    shape: Shape,
    ptr: *mut u8,
    len: usize,
    /// Client side: whether the array's contents travel to the server too.
    copy_in: bool,
    _borrow: PhantomData<&'a mut [u8]>,
}

impl<'a> ArrayMut<'a> {
    /// A writable argument made from the caller's slice: its contents go to the server,
    /// and the server's writes come back into it (as with a pointer argument called in
    /// process).
    pub fn from_slice<T: Element>(data: &'a mut [T]) -> Self {
        Self::of_slice(data, true)
    }

    /// An output argument made from the caller's slice: only its length goes to the
    /// server, which gets a buffer of that size with unspecified contents (not the
    /// caller's), and what the server writes comes back into the slice.
    pub fn output<T: Element>(data: &'a mut [T]) -> Self {
        Self::of_slice(data, false)
    }

    fn of_slice<T: Element>(data: &'a mut [T], copy_in: bool) -> Self {
        let len = std::mem::size_of_val(data);
        ArrayMut {
            dtype: T::DTYPE,
            shape: Shape::vector(data.len()),
            ptr: data.as_mut_ptr().cast(),
            len,
            copy_in,
            _borrow: PhantomData,
        }
    }

    /// Whether the contents travel to the server (client side).
    pub(crate) fn copies_in(&self) -> bool {
        self.copy_in
    }

    /// Bytes of the array.
    pub(crate) fn byte_len(&self) -> usize {
        self.len
    }

    /// Copies the server's result back into the caller's array.
    ///
    /// # Safety
    /// `src` must be readable for [`byte_len`](Self::byte_len) bytes and not overlap the
    /// array, and no other reference to the array may be live (the argument list that
    /// holds this view borrows the caller's slice mutably; nothing else reads it now).
    pub(crate) unsafe fn copy_back(&self, src: *const u8) {
        // SAFETY: the caller's guarantees; `ptr..ptr+len` is the caller's `&mut` slice.
        unsafe { std::ptr::copy_nonoverlapping(src, self.ptr, self.len) };
    }
    /// # Safety
    /// `ptr..ptr+len` must be writable, aligned for `dtype`'s elements, overlap no other
    /// live view, and stay mapped and untouched by anything else for `'a`; `len` must be
    /// the shape's element count times the element size.
    pub(crate) unsafe fn from_raw(dtype: DType, shape: Shape, ptr: *mut u8, len: usize) -> Self {
        ArrayMut {
            dtype,
            shape,
            ptr,
            len,
            copy_in: true,
            _borrow: PhantomData,
        }
    }

    /// The element type.
    pub fn dtype(&self) -> DType {
        self.dtype
    }

    /// The shape.
    pub fn shape(&self) -> &Shape {
        &self.shape
    }

    /// The elements' bytes, read-only, for as long as this view is borrowed (no `Shape`
    /// cloned, as [`as_ref`](Self::as_ref) does: the encoder asks for them several times
    /// a call).
    #[inline]
    pub(crate) fn bytes(&self) -> &[u8] {
        // SAFETY: valid, exclusive for 'a (see `from_raw`); shared reborrow of self.
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }

    /// A read-only view.
    pub fn as_ref(&self) -> ArrayRef<'_> {
        // SAFETY: valid, exclusive for 'a (see `from_raw`); shared reborrow of self.
        let bytes = unsafe { std::slice::from_raw_parts(self.ptr, self.len) };
        ArrayRef::from_raw(self.dtype, self.shape.clone(), bytes)
    }

    /// A read-only view for the whole of `'a`, consuming the writable one.
    pub fn into_ref(self) -> ArrayRef<'a> {
        // SAFETY: valid for 'a (see `from_raw`); `self` is consumed, so no writable view
        // of these bytes remains.
        let bytes = unsafe { std::slice::from_raw_parts(self.ptr, self.len) };
        ArrayRef::from_raw(self.dtype, self.shape.clone(), bytes)
    }

    /// The elements, writable, if they are of type `T`.
    pub fn into_slice<T: Element>(self) -> Option<&'a mut [T]> {
        if T::DTYPE != self.dtype {
            return None;
        }
        // SAFETY: see `from_raw`; `self` is consumed, so this is the only view.
        let bytes = unsafe { std::slice::from_raw_parts_mut(self.ptr, self.len) };
        <[T]>::mut_from_bytes(bytes).ok()
    }
}

/// A shared array lent to one call (or batch), as sent in a request: made from
/// `&'a SharedArray` (the server reads it) or `&'a mut SharedArray` (the server may write
/// it), whose borrow it keeps for `'a`.
///
/// It cannot be cloned, and the array cannot be used while it lives: a writable one holds
/// the `&mut` it came from. A shorter one for the same array comes from
/// [`reborrow`](Self::reborrow) (with the same access) or [`read_only`](Self::read_only);
/// a server refuses a call that names one array writable twice.
#[derive(Debug)]
pub struct SharedRef<'a> {
    pub(crate) id: u32,
    pub(crate) dtype: DType,
    pub(crate) shape: Shape,
    pub(crate) len: u64,
    pub(crate) writable: bool,
    /// The client (or in-process connection) that allocated the array: its segment is
    /// named after that client's, and only that one's server maps it.
    pub(crate) owner: u64,
    pub(crate) _borrow: PhantomData<&'a ()>,
}

impl SharedRef<'_> {
    /// The element type.
    pub fn dtype(&self) -> DType {
        self.dtype
    }

    /// The shape.
    pub fn shape(&self) -> &Shape {
        &self.shape
    }

    /// Bytes of the array.
    pub fn byte_len(&self) -> u64 {
        self.len
    }

    /// Whether the server may write it.
    pub fn is_writable(&self) -> bool {
        self.writable
    }

    /// A read-only reference to the same array, for as long as this one is borrowed.
    pub fn read_only(&self) -> SharedRef<'_> {
        SharedRef {
            writable: false,
            ..self.reborrow()
        }
    }

    /// A reference to the same array with the same access, for as long as this one is
    /// borrowed.
    pub fn reborrow(&self) -> SharedRef<'_> {
        SharedRef {
            id: self.id,
            dtype: self.dtype,
            shape: self.shape.clone(),
            len: self.len,
            writable: self.writable,
            owner: self.owner,
            _borrow: PhantomData,
        }
    }
}

/// An output array parameter: the server method writes it, and nothing is sent in.
///
/// Declare a parameter `out: Out<'_, T>` in an [`interface!`](crate::interface) for a
/// library function that only writes its array (a result buffer). The client passes a
/// `&mut` slice (or `&mut Vec`, `&mut [T; N]`), of which only the length is sent and into
/// which the result is copied back, or a `&mut SharedArray` (written in place). The
/// server method gets the buffer, whose contents on entry are unspecified: it must write
/// every element it means to return. A parameter the library also reads is `&mut [T]`.
///
/// ```
/// let mut buf = [0.0f64; 3];
/// let mut out = loadlib::Out::new(&mut buf[..]);
/// out[1] = 2.5;
/// assert_eq!(out.len(), 3);
/// assert_eq!(buf, [0.0, 2.5, 0.0]);
/// ```
#[derive(Debug)]
pub struct Out<'a, T>(&'a mut [T]);

impl<'a, T> Out<'a, T> {
    /// Wraps a buffer.
    pub fn new(buf: &'a mut [T]) -> Self {
        Out(buf)
    }

    /// The buffer, for the whole of `'a`.
    pub fn into_slice(self) -> &'a mut [T] {
        self.0
    }
}

impl<T> std::ops::Deref for Out<'_, T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        self.0
    }
}

impl<T> std::ops::DerefMut for Out<'_, T> {
    fn deref_mut(&mut self) -> &mut [T] {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shape_read_from_the_wire_keeps_every_extent_at_every_rank() {
        // Inline (up to 4) and spilled: read back as `Shape::new` makes them, and a
        // clone is equal.
        for rank in [0usize, 1, 3, 4, 5, 9, MAX_RANK] {
            let dims: Vec<usize> = (0..rank).map(|i| i * 7 + 1).collect();
            let read = Shape::from_u64(dims.iter().map(|&d| d as u64)).expect("a shape");
            assert_eq!(read.dims(), &dims[..], "rank {rank}");
            assert_eq!(
                read.clone(),
                Shape::new(&dims).expect("a shape"),
                "rank {rank}"
            );
        }
        assert!(Shape::from_u64(vec![1u64; MAX_RANK + 1].into_iter()).is_none());
    }
}
