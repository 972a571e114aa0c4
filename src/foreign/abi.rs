//! The calling conventions a server can have, and the size and alignment of C types under
//! each: what the client needs to lay out a library's arguments exactly as the library's
//! own compiler would.
//!
//! Measured on the project's machines (gcc 12, mingw-w64 gcc 12): for
//! `struct { char c; double d; long long q; }`, i386 Linux gives 20 bytes with `d` at 4
//! and `q` at 12 (8-byte scalars are 4-aligned inside structs); 32-bit Windows gives 24
//! bytes with `d` at 8 and `q` at 16, as both 64-bit conventions do. Pointers are 4 bytes
//! on both 32-bit targets.

/// The server's instruction set and operating system: how the library expects its
/// arguments, struct layouts and return values.
///
/// A client learns it from the server at start-up
/// ([`Client64::abi`](crate::Client64::abi)); everything else follows from it.
///
/// ```
/// use loadlib::foreign::{Abi, CType};
/// assert_eq!(CType::F64.layout().align(Abi::I386SysV), 4);
/// assert_eq!(CType::F64.layout().align(Abi::I386Windows), 8);
/// assert_eq!(Abi::X64SysV.pointer_size(), 8);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Abi {
    /// 32-bit x86 Linux (i386 System V): 8-byte scalars are 4-aligned in structs, and every
    /// struct is returned through a hidden pointer.
    I386SysV = 0,
    /// 32-bit x86 Windows (the mingw-w64 rules): 8-byte scalars are 8-aligned; structs of
    /// 1, 2, 4 or 8 bytes come back in `eax`/`edx:eax`, or in `st0` when their one field is
    /// a float or double, and any other through a hidden pointer the caller pops. These
    /// are gcc's rules, measured; a DLL built by MSVC may return a struct whose one field
    /// is a float or double in `edx:eax` instead (not tested here: no MSVC).
    I386Windows = 1,
    /// x86-64 Linux (System V AMD64): up to six integer and eight vector registers, structs
    /// of up to 16 bytes classified by eightbyte.
    X64SysV = 2,
    /// x86-64 Windows: four register slots, structs of 1, 2, 4 or 8 bytes by value and
    /// others through a pointer to a copy.
    X64Windows = 3,
}

/// Every ABI, in the order of their discriminants (the index into a [`TypeLayout`]).
pub const ABIS: [Abi; 4] = [
    Abi::I386SysV,
    Abi::I386Windows,
    Abi::X64SysV,
    Abi::X64Windows,
];

impl Abi {
    /// The ABI of a server of `pointer_width` bits on this client's operating system.
    pub fn of_server(pointer_width: u32) -> Abi {
        match (pointer_width, crate::sys::IS_WINDOWS) {
            (32, false) => Abi::I386SysV,
            (32, true) => Abi::I386Windows,
            (_, false) => Abi::X64SysV,
            (_, true) => Abi::X64Windows,
        }
    }

    /// The ABI of code compiled for this crate's own target.
    pub const HOST: Abi = match (cfg!(target_pointer_width = "32"), cfg!(windows)) {
        (true, false) => Abi::I386SysV,
        (true, true) => Abi::I386Windows,
        (false, false) => Abi::X64SysV,
        (false, true) => Abi::X64Windows,
    };

    /// Bytes of a pointer (and of `size_t`).
    pub const fn pointer_size(self) -> u32 {
        match self {
            Abi::I386SysV | Abi::I386Windows => 4,
            Abi::X64SysV | Abi::X64Windows => 8,
        }
    }

    /// Whether this is a 32-bit ABI.
    pub const fn is_32_bit(self) -> bool {
        self.pointer_size() == 4
    }

    /// Bytes of one argument slot on the stack.
    pub const fn stack_slot(self) -> u32 {
        self.pointer_size()
    }
}

/// The size and alignment of a C type under each [`Abi`], indexed by the ABI's
/// discriminant. Computed at compile time for scalars and for
/// [`#[derive(CStruct)]`](crate::CStruct) structs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TypeLayout {
    /// Bytes, a multiple of the alignment.
    pub size: [u32; 4],
    /// Alignment inside structs and arrays.
    pub align: [u32; 4],
}

impl TypeLayout {
    /// A scalar of `size` bytes, aligned to its size, except that 8-byte scalars are
    /// 4-aligned under [`Abi::I386SysV`].
    pub const fn scalar(size: u32) -> TypeLayout {
        let i386 = if size > 4 { 4 } else { size };
        TypeLayout {
            size: [size; 4],
            align: [i386, size, size, size],
        }
    }

    /// A data pointer (or `size_t`): 4 bytes on 32-bit ABIs, 8 on 64-bit ones.
    pub const POINTER: TypeLayout = TypeLayout {
        size: [4, 4, 8, 8],
        align: [4, 4, 8, 8],
    };

    /// `n` elements of this type in a row (a C array inside a struct).
    pub const fn array(self, n: u32) -> TypeLayout {
        let mut size = self.size;
        let mut i = 0;
        while i < 4 {
            size[i] *= n;
            i += 1;
        }
        TypeLayout {
            size,
            align: self.align,
        }
    }

    /// Bytes under `abi`.
    pub const fn size(&self, abi: Abi) -> u32 {
        self.size[abi as usize]
    }

    /// Alignment under `abi`.
    pub const fn align(&self, abi: Abi) -> u32 {
        self.align[abi as usize]
    }
}

/// Rounds `n` up to a multiple of `align` (a power of two).
pub(crate) const fn round_up(n: u32, align: u32) -> u32 {
    (n + align - 1) & !(align - 1)
}

/// The layout of a C struct with fields of the given layouts, in order, under every ABI:
/// the struct's own layout and each field's offset. A `const fn`, so a derived struct's
/// layout is known at compile time.
///
/// ```
/// use loadlib::foreign::{struct_layout, Abi, TypeLayout};
/// // struct { char c; double d; long long q; }
/// let (layout, offsets) =
///     struct_layout([TypeLayout::scalar(1), TypeLayout::scalar(8), TypeLayout::scalar(8)]);
/// assert_eq!(layout.size(Abi::I386SysV), 20);
/// assert_eq!(offsets[Abi::I386SysV as usize], [0, 4, 12]);
/// assert_eq!(layout.size(Abi::I386Windows), 24);
/// assert_eq!(offsets[Abi::I386Windows as usize], [0, 8, 16]);
/// ```
pub const fn struct_layout<const N: usize>(fields: [TypeLayout; N]) -> (TypeLayout, [[u32; N]; 4]) {
    let mut layout = TypeLayout {
        size: [0; 4],
        align: [1; 4],
    };
    let mut offsets = [[0u32; N]; 4];
    let mut abi = 0;
    while abi < 4 {
        let mut at = 0;
        let mut align = 1;
        let mut i = 0;
        while i < N {
            let a = fields[i].align[abi];
            at = round_up(at, a);
            offsets[abi][i] = at;
            at += fields[i].size[abi];
            if a > align {
                align = a;
            }
            i += 1;
        }
        layout.size[abi] = round_up(at, align);
        layout.align[abi] = align;
        abi += 1;
    }
    (layout, offsets)
}

/// Whether a struct with this layout and these field offsets (from [`struct_layout`]) is
/// laid out the same under every ABI and is not empty: then its bytes mean the same to a
/// 32-bit and a 64-bit process, which is what lets a [`WireStruct`](crate::WireStruct)
/// cross [`interface!`](crate::interface) as bytes. A pointer or `usize` field, or an
/// 8-byte field after a 4-byte one (4-aligned in structs by i386 Linux), makes it differ.
///
/// ```
/// use loadlib::foreign::{same_on_every_abi, struct_layout, TypeLayout};
/// let (l, o) = struct_layout([TypeLayout::scalar(8), TypeLayout::scalar(8)]); // {f64, f64}
/// assert!(same_on_every_abi(&l, &o));
/// let (l, o) = struct_layout([TypeLayout::scalar(4), TypeLayout::scalar(8)]); // {i32, f64}
/// assert!(!same_on_every_abi(&l, &o));
/// let (l, o) = struct_layout([TypeLayout::scalar(4), TypeLayout::POINTER]);   // {int, T *}
/// assert!(!same_on_every_abi(&l, &o));
/// ```
pub const fn same_on_every_abi<const N: usize>(
    layout: &TypeLayout,
    offsets: &[[u32; N]; 4],
) -> bool {
    if layout.size[0] == 0 {
        return false;
    }
    let mut abi = 1;
    while abi < 4 {
        if layout.size[abi] != layout.size[0] {
            return false;
        }
        let mut i = 0;
        while i < N {
            if offsets[abi][i] != offsets[0][i] {
                return false;
            }
            i += 1;
        }
        abi += 1;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_measured_struct_has_the_measured_layouts() {
        let (l, o) = struct_layout([
            TypeLayout::scalar(1),
            TypeLayout::scalar(8),
            TypeLayout::scalar(8),
        ]);
        assert_eq!((l.size(Abi::I386SysV), l.align(Abi::I386SysV)), (20, 4));
        assert_eq!(o[Abi::I386SysV as usize], [0, 4, 12]);
        assert_eq!(
            (l.size(Abi::I386Windows), l.align(Abi::I386Windows)),
            (24, 8)
        );
        assert_eq!(o[Abi::I386Windows as usize], [0, 8, 16]);
        assert_eq!(o[Abi::X64SysV as usize], [0, 8, 16]);
        assert_eq!(o[Abi::X64Windows as usize], [0, 8, 16]);
    }

    #[test]
    fn pointers_and_arrays() {
        // struct { int n; Point *points; } and struct { double p[4][2]; }
        let (l, o) = struct_layout([TypeLayout::scalar(4), TypeLayout::POINTER]);
        assert_eq!(l.size, [8, 8, 16, 16]);
        assert_eq!(o[Abi::X64SysV as usize], [0, 8]);
        let four = TypeLayout::scalar(8).array(8);
        assert_eq!(four.size, [64; 4]);
        assert_eq!(four.align, [4, 8, 8, 8]);
    }

    #[test]
    fn the_host_abi_matches_the_compiler() {
        #[repr(C)]
        struct S {
            c: u8,
            d: f64,
            q: i64,
        }
        let (l, o) = struct_layout([
            TypeLayout::scalar(1),
            TypeLayout::scalar(8),
            TypeLayout::scalar(8),
        ]);
        assert_eq!(l.size(Abi::HOST) as usize, size_of::<S>());
        assert_eq!(
            o[Abi::HOST as usize][1] as usize,
            std::mem::offset_of!(S, d)
        );
        assert_eq!(
            o[Abi::HOST as usize][2] as usize,
            std::mem::offset_of!(S, q)
        );
    }
}
