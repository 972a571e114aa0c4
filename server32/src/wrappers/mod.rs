//! The bundled wrappers, one per library.

pub mod echo;
pub mod linear_algebra;
pub mod testlib;
