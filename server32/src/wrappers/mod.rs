//! The bundled wrappers, one per library.

pub mod dotnet;
pub mod echo;
pub mod testlib;
