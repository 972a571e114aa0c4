//! Property-based fuzzing of the message decoder: random bytes, hand-built descriptor
//! tables and mutated valid records go through `RecordView::parse`, `Block::parse`,
//! `check_overlaps`, `get(i)`, `decode_value` and the server's argument conversions.
//! Nothing may panic, and every view the decoder hands out must lie inside the record
//! or a mapped segment. Unmutated records must decode to exactly what was encoded.
//!
//! The default run tries a tenth of the full budget (8,500 inputs); CI runs the full
//! budget (85,000) in a step of its own with `LOADLIB_FUZZ=full`. `PROPTEST_CASES=N`
//! sets the cases of every property for a long run
//! (`cargo test --test conformance decoder_fuzz -- --nocapture` prints what the inputs
//! reached).

mod inputs;
mod support;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use support::{exercise, record_for, Counts, Mutation, Segs};

/// Cases for one property: `PROPTEST_CASES` if set; else `full` with `LOADLIB_FUZZ=full`
/// (CI's budget, sized for a debug build), a tenth of it otherwise.
fn runner(full: u32) -> TestRunner {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| match std::env::var("LOADLIB_FUZZ").as_deref() {
            Ok("full") => full,
            _ => full / 10,
        });
    TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    })
}

fn report(name: &str, counts: &Counts) {
    println!("{name}: {counts}");
    assert!(counts.cases() > 0);
}

#[test]
fn random_bytes_never_panic() {
    let counts = Counts::default();
    runner(30_000)
        .run(&prop::collection::vec(any::<u8>(), 0..768), |bytes| {
            let segs = Segs::new(0);
            exercise(&support::aligned(&bytes), &segs, &counts);
            // The same bytes as an argument block with a plausible value count, so that
            // random descriptors get past the count check.
            let mut block = support::aligned(&bytes);
            if block.len() >= 4 {
                let n = (block.len().saturating_sub(8) / 32) as u32;
                block[..4].copy_from_slice(&(u32::from(bytes[0]) % (n + 1)).to_le_bytes());
            }
            support::exercise_block(&block, &segs, &counts);
            Ok(())
        })
        .unwrap();
    report("random bytes", &counts);
}

#[test]
fn hand_built_descriptor_tables_never_panic() {
    let counts = Counts::default();
    runner(20_000)
        .run(&support::descriptor_block(), |block| {
            let segs = Segs::new(512);
            support::exercise_block(&block, &segs, &counts);
            Ok(())
        })
        .unwrap();
    report("descriptor tables", &counts);
    assert!(
        counts.values_ok() > 0,
        "no descriptor ever decoded: {counts}"
    );
}

#[test]
fn valid_records_round_trip_exactly() {
    let counts = Counts::default();
    runner(5_000)
        .run(&support::record_input(), |input| {
            let (record, segs) = record_for(&input);
            let got = exercise(&record, &segs, &counts).expect("a valid record decodes");
            prop_assert_eq!(&got, &input.values);
            Ok(())
        })
        .unwrap();
    report("valid records", &counts);
}

#[test]
fn mutated_records_never_panic() {
    let counts = Counts::default();
    let strategy = (
        support::record_input(),
        prop::collection::vec(any::<Mutation>(), 1..6),
    );
    runner(30_000)
        .run(&strategy, |(input, mutations)| {
            let (mut record, mut segs) = record_for(&input);
            for m in &mutations {
                m.apply(&mut record, &mut segs);
            }
            exercise(&record, &segs, &counts);
            Ok(())
        })
        .unwrap();
    report("mutated records", &counts);
    assert!(
        counts.rejected() > 0,
        "no mutation was ever caught: {counts}"
    );
}
