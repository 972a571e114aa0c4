//! Foreign calls (`foreign!` and declarations as data, no wrapper): the ABI conformance
//! suite over `csrc/foreign_abi.c`, the example libraries declared alone, the run-time
//! form, and calls that block, crash or cannot be made; each check once per server
//! width (`<module>::<test>::shm_server32`, `…::shm_server64`). Under Wine the same
//! binary checks the Windows conventions.

#[path = "../common/mod.rs"]
mod common;

mod abi;
mod cpp;
mod fortran;
mod lifecycle;
mod runtime;
