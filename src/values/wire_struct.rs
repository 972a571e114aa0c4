//! `#[repr(C)]` structs that cross [`interface!`](crate::interface) as their bytes: the
//! marker [`WireStruct`] and the checked conversions between a struct and its bytes that
//! the client and the server share.

use zerocopy::{FromBytes, Immutable, IntoBytes};

/// A `#[repr(C)]` struct that can be an [`interface!`](crate::interface) parameter or
/// result: by value, by reference (`&S`, `&mut S`), in slices (`&[S]`, `&mut [S]`,
/// `Out<'_, S>`) and as `Vec<S>`. Its bytes travel as they are, as a `u8` array, and are
/// read in place on the other side.
///
/// [`#[derive(CStruct)]`](crate::CStruct) implements it. A struct that crosses also
/// derives zerocopy's `FromBytes`, `IntoBytes` and `Immutable` (add `zerocopy = { version =
/// "0.8", features = ["derive"] }` to the crate that declares it), which prove for each
/// width it is compiled for that it has no padding and that any bytes are a valid value.
/// Its layout must be the same for 32- and 64-bit compilers, on Linux and Windows: a
/// `usize` or pointer field, or an `f64`/`i64` that i386 Linux would place differently
/// (after an odd number of 4-byte fields), is a compile error where the struct is used
/// in an interface ("`S` is laid out differently by 32- and 64-bit compilers"). Reorder
/// the fields, or pad them explicitly (`_pad: u32`).
///
/// ```
/// use loadlib::CStruct;
/// use zerocopy::{FromBytes, Immutable, IntoBytes};
///
/// #[derive(CStruct, FromBytes, IntoBytes, Immutable, Clone, Copy, Debug, PartialEq)]
/// #[repr(C)]
/// pub struct Point { pub x: f64, pub y: f64 }
///
/// loadlib::interface! {
///     pub trait Geometry => GeometryClient {
///         fn mirror(p: Point) -> Point;                  // by value
///         fn norm(p: &Point) -> f64;                     // by reference
///         fn centre(ps: &[Point]) -> Point;              // a slice, read in place
///     }
/// }
///
/// struct Native;
/// impl Geometry for Native {
///     fn mirror(&mut self, p: Point) -> loadlib::server::Result<Point> {
///         Ok(Point { x: p.y, y: p.x })
///     }
///     fn norm(&mut self, p: &Point) -> loadlib::server::Result<f64> {
///         Ok(p.x.hypot(p.y))
///     }
///     fn centre(&mut self, ps: &[Point]) -> loadlib::server::Result<Point> {
///         let n = ps.len() as f64;
///         Ok(Point { x: ps.iter().map(|p| p.x).sum::<f64>() / n,
///                    y: ps.iter().map(|p| p.y).sum::<f64>() / n })
///     }
/// }
///
/// let client = GeometryClient::in_process(Native)?;
/// let p = Point { x: 3.0, y: 4.0 };
/// assert_eq!(client.mirror(&p)?, Point { x: 4.0, y: 3.0 });   // the client lends `&p`
/// assert_eq!(client.norm(&p)?, 5.0);
/// assert_eq!(client.centre(&[p, Point { x: 5.0, y: 6.0 }])?, Point { x: 4.0, y: 5.0 });
/// # Ok::<(), loadlib::Error>(())
/// ```
///
/// A struct that 32- and 64-bit compilers lay out differently does not build where an
/// interface uses it (here `len` is 4 bytes in the 32-bit server and 8 in the client):
///
/// ```compile_fail,E0080
/// use loadlib::CStruct;
/// use zerocopy::{FromBytes, Immutable, IntoBytes};
///
/// #[derive(CStruct, FromBytes, IntoBytes, Immutable, Clone, Copy)]
/// #[repr(C)]
/// pub struct Buffer { pub len: usize, pub checksum: u64 }
///
/// loadlib::interface! {
///     pub trait Check => CheckClient { fn checksum(b: Buffer) -> u64; }
/// }
/// struct Native;
/// impl Check for Native {
///     fn checksum(&mut self, b: Buffer) -> loadlib::server::Result<u64> { Ok(b.checksum) }
/// }
/// let client = CheckClient::in_process(Native).unwrap();
/// client.checksum(&Buffer { len: 1, checksum: 2 }).unwrap();
/// ```
pub trait WireStruct: Sized {
    /// The struct's name, for error messages.
    const NAME: &'static str;

    /// `()` when the struct is laid out the same under every ABI; a compile-time error
    /// (evaluated where the struct is used in an interface) when not.
    #[doc(hidden)]
    const SAME_ON_EVERY_ABI: ();
}

/// Bytes that are not the structs asked for: what was expected, and what came.
#[derive(Debug)]
pub(crate) struct Mismatch {
    pub(crate) expected: String,
    pub(crate) got: String,
}

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "expected {}, got {}", self.expected, self.got)
    }
}

/// A copy of the struct in `bytes`, which must be exactly its size (any alignment).
pub(crate) fn read<T: WireStruct + FromBytes>(bytes: &[u8]) -> Result<T, Mismatch> {
    T::read_from_bytes(bytes).map_err(|_| not_one::<T>(bytes.len()))
}

/// The structs in `bytes`, in place: a whole number of them, aligned for `T` (array
/// payloads start on a 64-byte boundary, so they are).
pub(crate) fn slice<T: WireStruct + FromBytes + Immutable>(bytes: &[u8]) -> Result<&[T], Mismatch> {
    let (len, at) = (bytes.len(), bytes.as_ptr() as usize);
    <[T]>::ref_from_bytes(bytes).map_err(|_| not_many::<T>(len, at))
}

/// As [`slice`], writable.
pub(crate) fn slice_mut<T: WireStruct + FromBytes + IntoBytes>(
    bytes: &mut [u8],
) -> Result<&mut [T], Mismatch> {
    let (len, at) = (bytes.len(), bytes.as_ptr() as usize);
    <[T]>::mut_from_bytes(bytes).map_err(|_| not_many::<T>(len, at))
}

/// The one struct in `bytes`, in place.
pub(crate) fn one<T: WireStruct + FromBytes + Immutable>(bytes: &[u8]) -> Result<&T, Mismatch> {
    match slice::<T>(bytes) {
        Ok([one]) => Ok(one),
        _ => Err(not_one::<T>(bytes.len())),
    }
}

/// As [`one`], writable.
pub(crate) fn one_mut<T: WireStruct + FromBytes + IntoBytes>(
    bytes: &mut [u8],
) -> Result<&mut T, Mismatch> {
    let len = bytes.len();
    match slice_mut::<T>(bytes) {
        Ok([one]) => Ok(one),
        _ => Err(not_one::<T>(len)),
    }
}

/// Copies of the structs in `bytes` (any alignment): a whole number of them.
pub(crate) fn to_vec<T: WireStruct + FromBytes>(bytes: &[u8]) -> Result<Vec<T>, Mismatch> {
    let size = size_of::<T>();
    if size == 0 || !bytes.len().is_multiple_of(size) {
        return Err(not_many::<T>(bytes.len(), 0));
    }
    Ok(bytes
        .chunks_exact(size)
        .map(|c| T::read_from_bytes(c).expect("one struct's bytes"))
        .collect())
}

fn not_one<T: WireStruct>(len: usize) -> Mismatch {
    Mismatch {
        expected: format!("a {} ({} bytes)", T::NAME, size_of::<T>()),
        got: format!("{len} bytes"),
    }
}

fn not_many<T: WireStruct>(len: usize, at: usize) -> Mismatch {
    let size = size_of::<T>();
    if size == 0 || !len.is_multiple_of(size) {
        Mismatch {
            expected: format!("{} structs of {size} bytes each", T::NAME),
            got: format!("{len} bytes"),
        }
    } else {
        Mismatch {
            expected: format!("{} structs aligned to {} bytes", T::NAME, align_of::<T>()),
            got: format!("bytes at {at:#x}"),
        }
    }
}
