//! Result arrays a wrapper writes in place in the reply's shared memory: [`OutVec`].
//!
//! While a request's wrapper runs a method whose result may be an `OutVec`, the serve
//! loop lends its bulk segment (where a large reply's arrays go) through a thread-local
//! arena. An `OutVec` made then, too large to go inline in a ring record, when the
//! client has released every earlier reply, is the start of that segment: the library
//! writes its result there, and the reply names it where it is, with no copy. Anywhere
//! else (a small array, a pipelined call whose earlier replies are still being read, the
//! file transport, the in-process mode, another thread, a second `OutVec` in one call)
//! it is an ordinary `Vec`, copied into the reply as a returned `Vec` is.

use std::cell::RefCell;
use std::fmt;
use std::mem::size_of;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use super::{IntoReply, Reply, ServerError};
use crate::transport::bulk::BulkWriter;
use crate::transport::ring::DrainProbe;
use crate::transport::shm::Segment;
use crate::values::array_view::{ArrayRef, Shape};
use crate::values::dtype::{DType, Element};
use crate::values::value::Array;

thread_local! {
    /// The serve loop's bulk segment, lent while a wrapper runs on this thread.
    static ARENA: RefCell<Option<Arena>> = const { RefCell::new(None) };
}

/// What the serve loop lends while a wrapper runs.
struct Arena {
    bulk: BulkWriter,
    /// Whether the client has released every record the server sent before this call.
    drained: DrainProbe,
    /// Arrays up to this many bytes go inline in the reply's record: they are not lent
    /// (they would be copied into the ring anyway).
    inline_limit: usize,
    /// Whether an `OutVec` of this call took the segment already.
    lent: bool,
}

/// Runs `call` (a request's wrapper) with `bulk` lent to the [`OutVec`]s it makes, when
/// `lend` says how to tell that the client is done with earlier replies, and the
/// channel's inline limit (`None`: no shared memory, so nothing is lent).
///
/// # Safety
/// The ring the probe came from stays mapped until this returns, and nothing is sent on
/// it while `call` runs.
pub(crate) unsafe fn with_result_arena<R>(
    bulk: &mut BulkWriter,
    lend: Option<(DrainProbe, usize)>,
    call: impl FnOnce() -> R,
) -> R {
    let Some((drained, inline_limit)) = lend else {
        return call();
    };
    /// Puts the writer back, and the arena that was there before (none, unless a serve
    /// loop runs inside a wrapper), also when `call` unwinds.
    struct Restore<'b> {
        bulk: &'b mut BulkWriter,
        outer: Option<Arena>,
    }
    impl Drop for Restore<'_> {
        fn drop(&mut self) {
            let ours = ARENA.with(|a| a.replace(self.outer.take()));
            if let Some(arena) = ours {
                *self.bulk = arena.bulk;
            }
        }
    }
    let arena = Arena {
        bulk: std::mem::take(bulk),
        drained,
        inline_limit,
        lent: false,
    };
    let outer = ARENA.with(|a| a.replace(Some(arena)));
    let _restore = Restore { bulk, outer };
    call()
}

/// The start of the lent bulk segment, `bytes` long, if it can be lent now.
fn lend(bytes: usize) -> Option<Arc<Segment>> {
    ARENA.with(|a| {
        let mut a = a.borrow_mut();
        let a = a.as_mut()?;
        // SAFETY: the arena is set only within `with_result_arena`, whose caller keeps the
        // ring mapped meanwhile.
        if a.lent || bytes <= a.inline_limit || !unsafe { a.drained.is_drained() } {
            return None;
        }
        // A segment that cannot be made (no room in /dev/shm, no address space) leaves
        // the result to the heap, which says what it lacks if it fails too.
        let (segment, _) = a.bulk.lend(bytes).ok()?;
        a.lent = true;
        Some(segment)
    })
}

/// An array a wrapper returns, written in place in the reply's shared memory when it
/// can be: the client receives a `Vec<T>`, as for a returned `Vec<T>`, but the server
/// makes no copy of it (the library writes straight into the memory the client reads).
///
/// Declare it as a function's result in an [`interface!`](crate::interface)
/// (`fn read(n: i32) -> OutVec<f64>;`; the client's method returns `Vec<f64>`), and make
/// it with [`filled`](Self::filled) (the library writes every element),
/// [`zeroed`](Self::zeroed), or from a `Vec`. It is in place when it is made while the
/// server answers a call whose earlier replies the client has released (every call
/// but a pipelined one) over shared memory, by a method whose declared result is an
/// `OutVec` (or a `Result` or `Option` of one; a method declared to return `Reply` or
/// `Value` gets no memory lent), when it is the first `OutVec` of the call and too
/// large to go inline in the reply's ring record (a quarter of the ring, at most
/// 64 KiB); otherwise it is an ordinary `Vec` and is copied into the reply, with the
/// same result.
///
/// ```
/// use loadlib::server::{OutVec, ServerError};
/// # unsafe extern "C" fn iota(n: i32, out: *mut f64) {
/// #     for i in 0..n as usize { unsafe { out.add(i).write(i as f64) } }
/// # }
/// // SAFETY: `iota(n, out)` writes `n` doubles at `out`.
/// let out: OutVec<f64> = unsafe {
///     OutVec::filled(1000, |out| {
///         iota(1000, out);
///         Ok(())
///     })
/// }?;
/// assert_eq!(out[999], 999.0);
/// let zeros = OutVec::<i32>::zeroed(3)?;
/// assert_eq!(&zeros[..], &[0, 0, 0]);
/// # Ok::<(), ServerError>(())
/// ```
pub struct OutVec<T: Element> {
    storage: Storage<T>,
}

enum Storage<T> {
    /// The first `len` elements of the lent segment, which the `Arc` keeps mapped.
    InPlace {
        segment: Arc<Segment>,
        len: usize,
    },
    Heap(Vec<T>),
}

impl<T: Element> OutVec<T> {
    /// `len` elements that `fill` writes, given where: in the reply's shared memory when
    /// it can be, else on the heap. A `MemoryError` naming the size when neither has
    /// room; `fill`'s error is returned as it is.
    ///
    /// # Safety
    ///
    /// When `fill` returns `Ok`, it has written all `len` elements at the pointer it was
    /// given (valid for writes of `len` elements and aligned for `T`). When it returns an
    /// error or panics, none of the elements is read.
    pub unsafe fn filled(
        len: usize,
        fill: impl FnOnce(*mut T) -> Result<(), ServerError>,
    ) -> Result<Self, ServerError> {
        // A size past the address space goes to the heap, which reports it.
        if let Some(segment) = len.checked_mul(size_of::<T>()).and_then(lend) {
            // The segment is page-aligned and holds at least `len` elements (`BulkWriter::
            // lend` checks its length), and nothing else reaches them (it is lent).
            fill(segment.as_ptr().cast::<T>())?;
            return Ok(OutVec {
                storage: Storage::InPlace { segment, len },
            });
        }
        // SAFETY: this function's contract, passed on.
        let v = unsafe { super::filled_vec(len, fill) }?;
        Ok(OutVec {
            storage: Storage::Heap(v),
        })
    }

    /// `len` zeros, for a result the library writes only in part.
    pub fn zeroed(len: usize) -> Result<Self, ServerError> {
        // SAFETY: `write_bytes` writes all `len` elements (zero is a valid value of every
        // element type).
        unsafe {
            Self::filled(len, |out| {
                out.write_bytes(0, len);
                Ok(())
            })
        }
    }
}

impl<T: Element> From<Vec<T>> for OutVec<T> {
    /// An `OutVec` on the heap, copied into the reply.
    fn from(v: Vec<T>) -> Self {
        OutVec {
            storage: Storage::Heap(v),
        }
    }
}

impl<T: Element> Deref for OutVec<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        match &self.storage {
            // SAFETY: the segment holds `len` elements at its start, initialised
            // (`filled`), aligned (page-aligned), and kept mapped by the `Arc`; the
            // writer writes in it only when this is dropped or sent, which takes it.
            Storage::InPlace { segment, len } => unsafe {
                std::slice::from_raw_parts(segment.as_ptr().cast::<T>(), *len)
            },
            Storage::Heap(v) => v,
        }
    }
}

impl<T: Element> DerefMut for OutVec<T> {
    fn deref_mut(&mut self) -> &mut [T] {
        match &mut self.storage {
            // SAFETY: as in `deref`; `&mut self` makes this the only reference.
            Storage::InPlace { segment, len } => unsafe {
                std::slice::from_raw_parts_mut(segment.as_ptr().cast::<T>(), *len)
            },
            Storage::Heap(v) => v,
        }
    }
}

impl<T: Element> fmt::Debug for OutVec<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<'a, T: Element> IntoReply<'a> for OutVec<T> {
    const IN_PLACE: bool = true;
    fn into_reply(self) -> Result<Reply<'a>, ServerError> {
        Ok(Reply::Out(match self.storage {
            Storage::InPlace { segment, len } => OutArray(Erased::InPlace {
                segment,
                dtype: T::DTYPE,
                len,
            }),
            Storage::Heap(v) => OutArray(Erased::Heap(Array::from_vec(v))),
        }))
    }
}

/// An [`OutVec`] as a [`Reply`] carries it, of any element type.
pub struct OutArray(Erased);

enum Erased {
    InPlace {
        segment: Arc<Segment>,
        dtype: DType,
        len: usize,
    },
    Heap(Array),
}

impl OutArray {
    /// A view of the array.
    pub fn as_array_ref(&self) -> ArrayRef<'_> {
        match &self.0 {
            Erased::InPlace {
                segment,
                dtype,
                len,
            } => {
                // SAFETY: the first `len` elements of the segment, initialised by the
                // `OutVec` this came from and kept mapped by the `Arc`; nothing writes
                // them while this is borrowed (the writer only once this is dropped or
                // while it sends this very array, which it does not write).
                let bytes =
                    unsafe { std::slice::from_raw_parts(segment.as_ptr(), len * dtype.size()) };
                ArrayRef::from_raw(*dtype, Shape::vector(*len), bytes)
            }
            Erased::Heap(a) => ArrayRef::from(a),
        }
    }

    /// The segment it is at the start of, if it is in place.
    pub(crate) fn segment(&self) -> Option<&Arc<Segment>> {
        match &self.0 {
            Erased::InPlace { segment, .. } => Some(segment),
            Erased::Heap(_) => None,
        }
    }
}

impl fmt::Debug for OutArray {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("OutArray")
            .field(&self.as_array_ref())
            .finish()
    }
}
