//! Tests that build with cargo or rustc: what `loadlib::build` says before a build, a
//! crate outside this repository that uses loadlib as a user would (`outside_crate`),
//! and the loom model check of the lock-free core (`model_check`, ignored by default:
//! CI runs it in a step of its own). Linux only: a Windows program under Wine has no
//! cargo.

#[path = "../common/mod.rs"]
mod common;

mod build_errors;
mod model_check;
mod outside_crate;

common::not_on_windows! {
    model_check_loom: "model_check.rs checks the memory orderings of the ring and the \
        handshake, which are the same code on every platform; it runs once, on Linux, not \
        again under Wine";
    outside_crate_with_cargo: "outside_crate.rs builds and runs a crate outside this \
        repository with cargo, which a Windows test under Wine has not; loadlib::build and \
        the lookup next to the program are the same code for Windows targets, and the Wine \
        run uses both for the bundled servers; the embedded server's copy is written and \
        started under Wine by the unit tests in src/client/embedded.rs";
}
