//! The bundled wrappers, one per library.

pub mod echo;
pub mod testlib;
