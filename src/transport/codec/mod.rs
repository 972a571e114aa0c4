//! Encoding and decoding argument blocks (see [`crate::transport::wire`] for the format).

mod decode;
mod encode;
mod packed;
mod placement;

pub use decode::{decode_value, Block, DecodeError, SegmentMap};
pub use encode::{EncodeError, Encoder, Plan};
pub use packed::{
    pack, pack_value, packable, packed_element, packed_value_ref, read_one_raw as read_packed_raw,
    scalar_type, unpacked_value, write_block as write_packed_block, Packed, PackedArgs, BOOL_TYPE,
    NONE_TYPE,
};
pub use placement::{BulkTarget, Placement, Placements};

use crate::transport::wire::PAYLOAD_ALIGN;
use crate::values::value::Value;
use crate::values::value_ref::{Shape, ValueRef};

/// One item of a block being encoded: a borrowed value, an owned one inside a list or
/// map, or a map key.
#[derive(Clone, Copy)]
pub(crate) enum Item<'v> {
    Ref(&'v ValueRef<'v>),
    Val(&'v Value),
    Key(&'v str),
}

/// The items of a nested block (a list, or a map's keys and values).
#[derive(Clone, Copy)]
pub(crate) enum Children<'v> {
    List(&'v [Value]),
    Map(&'v [(String, Value)]),
}

impl<'v> Children<'v> {
    fn iter(self) -> impl Iterator<Item = Item<'v>> + Clone {
        let (list, map): (&[Value], &[(String, Value)]) = match self {
            Children::List(l) => (l, &[]),
            Children::Map(m) => (&[], m),
        };
        list.iter()
            .map(Item::Val)
            .chain(map.iter().flat_map(|(k, v)| [Item::Key(k), Item::Val(v)]))
    }
}

/// What an item carries besides its descriptor.
pub(crate) enum PayloadKind<'v> {
    None,
    /// Bytes and the alignment they need (arrays: [`PAYLOAD_ALIGN`]; text: 1).
    Bytes(&'v [u8], usize),
    Nested(Children<'v>),
    Shared,
    /// A client's writable array: always in the bulk segment (the server writes it there
    /// and the client copies it back), its bytes copied in only when `copy_in`.
    Writable(&'v [u8], bool),
}

impl<'v> Item<'v> {
    fn shape(&self) -> Option<std::borrow::Cow<'_, Shape>> {
        use std::borrow::Cow;
        match self {
            Item::Ref(ValueRef::Array(a)) => Some(Cow::Borrowed(a.shape())),
            Item::Ref(ValueRef::ArrayMut(a)) => Some(Cow::Borrowed(a.shape())),
            Item::Ref(ValueRef::Shared(s)) => Some(Cow::Borrowed(&s.shape)),
            Item::Val(Value::Array(a)) => Shape::new(a.shape()).map(Cow::Owned),
            _ => None,
        }
    }

    /// Whether this is an array argument of the list (whose placement is reported).
    fn is_array_argument(&self) -> bool {
        matches!(
            self,
            Item::Ref(ValueRef::Array(_) | ValueRef::ArrayMut(_) | ValueRef::Shared(_))
        )
    }

    fn rank(&self) -> usize {
        match self {
            Item::Ref(ValueRef::Array(a)) => a.shape().rank(),
            Item::Ref(ValueRef::ArrayMut(a)) => a.shape().rank(),
            Item::Ref(ValueRef::Shared(s)) => s.shape.rank(),
            Item::Val(Value::Array(a)) => a.rank(),
            _ => 0,
        }
    }

    fn payload(&self) -> PayloadKind<'v> {
        match *self {
            Item::Key(k) => PayloadKind::Bytes(k.as_bytes(), 1),
            Item::Ref(v) => match v {
                ValueRef::Str(s) => PayloadKind::Bytes(s.as_bytes(), 1),
                ValueRef::Bytes(b) => PayloadKind::Bytes(b, 1),
                ValueRef::Array(a) => PayloadKind::Bytes(a.as_bytes(), PAYLOAD_ALIGN),
                ValueRef::ArrayMut(a) => PayloadKind::Writable(a.bytes(), a.copies_in()),
                ValueRef::Shared(_) => PayloadKind::Shared,
                ValueRef::List(l) => PayloadKind::Nested(Children::List(l)),
                ValueRef::Map(m) => PayloadKind::Nested(Children::Map(m)),
                _ => PayloadKind::None,
            },
            Item::Val(v) => match v {
                Value::Str(s) => PayloadKind::Bytes(s.as_bytes(), 1),
                Value::Bytes(b) => PayloadKind::Bytes(b, 1),
                Value::Array(a) => PayloadKind::Bytes(a.as_bytes(), PAYLOAD_ALIGN),
                Value::List(l) => PayloadKind::Nested(Children::List(l)),
                Value::Map(m) => PayloadKind::Nested(Children::Map(m)),
                _ => PayloadKind::None,
            },
        }
    }
}
