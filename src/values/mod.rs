//! The value model: what crosses a call. Every public type here is re-exported at the
//! crate root, which is its one path.
//!
//! * [`dtype`]: element types ([`DType`](crate::DType), [`Element`](crate::Element));
//! * [`value`]: owned values ([`Value`](crate::Value), [`Array`](crate::Array));
//! * [`array_view`]: borrowed arrays ([`ArrayRef`](crate::ArrayRef),
//!   [`ArrayMut`](crate::ArrayMut), [`Out`](crate::Out), [`SharedRef`](crate::SharedRef));
//! * [`value_ref`]: borrowed values and argument lists ([`ValueRef`](crate::ValueRef),
//!   [`IntoArgs`](crate::IntoArgs)).

pub(crate) mod array_view;
pub(crate) mod dtype;
pub(crate) mod value;
pub(crate) mod value_ref;
pub(crate) mod wire_struct;
