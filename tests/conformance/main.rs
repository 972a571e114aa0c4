//! The conformance suite: what a client sees of a wrapper (values, structs, errors,
//! batches, bulk arrays, writable arrays, library paths, threads), each test once per
//! configuration it applies to (`common::per_config!`: both server widths over shared
//! memory and over files, and the wrapper in process), so that each configuration passes
//! or fails alone as `<module>::<test>::<configuration>`; and the decoder under bad input
//! and fuzzing.
//! The same binary runs as a Windows program under Wine.

#[path = "../common/mod.rs"]
mod common;

mod bad_input;
mod batch;
mod bulk;
mod decoder_fuzz;
mod errors;
mod in_place;
mod interface;
mod library_path;
mod load;
mod roundtrip;
mod small_calls;
mod soundness;
mod spill;
mod structs;
mod writable_arrays;
