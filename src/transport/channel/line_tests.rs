//! One-line replies read as their words: a foreign reply as the server writes it
//! (`RawRecord`, as `send_foreign_reply` does) is taken, with its words; anything else
//! is left for the general path.

use zerocopy::IntoBytes;

use super::*;
use crate::foreign::wire::ForeignReply;
use crate::transport::wire::{KIND_ERROR, KIND_FOREIGN_REPLY, KIND_PAD};

/// The first line of a record of `kind` answering `seq`, with `block` as its block, as
/// `RawRecord::write_header` lays it out (the rest of the record zeros), read as words.
fn line(kind: u16, seq: u64, block: &[u8]) -> [u64; LINE_WORDS] {
    let record = RawRecord {
        kind,
        seq,
        method: 0,
        block_len: block.len(),
        names_bulk: false,
    };
    let mut bytes = vec![0u8; record.len()];
    record.write_header(&mut bytes).copy_from_slice(block);
    std::array::from_fn(|i| u64::from_le_bytes(bytes[i * 8..i * 8 + 8].try_into().unwrap()))
}

fn reply(seed: u64) -> ForeignReply {
    ForeignReply {
        ret: [seed.wrapping_mul(0x9E37_79B9_7F4A_7C15), !seed],
        last_error: -(seed as i32) - 1,
        flags: seed as u32 & 1,
        data_len: 0,
        _pad: 0,
    }
}

const LEN: usize = size_of::<ForeignReply>();

#[test]
fn a_foreign_reply_as_the_server_writes_it_is_taken_whole() {
    for seed in 0..100u64 {
        let r = reply(seed);
        let w = line(KIND_FOREIGN_REPLY, 1000 + seed, r.as_bytes());
        let words = reply_line_block(&w, 1000 + seed, KIND_FOREIGN_REPLY, LEN)
            .unwrap_or_else(|| panic!("seed {seed}: not taken"));
        assert_eq!(ForeignReply::from_words(words).as_bytes(), r.as_bytes());
        assert_eq!(r.to_words(), words);
    }
}

#[test]
fn anything_else_is_left_for_the_general_path() {
    let r = reply(7);
    let ok = line(KIND_FOREIGN_REPLY, 5, r.as_bytes());
    assert!(reply_line_block(&ok, 5, KIND_FOREIGN_REPLY, LEN).is_some());
    // Another request's reply, an error, a reply with data after it (two lines), a
    // padding record, a record with a name.
    assert!(reply_line_block(&ok, 4, KIND_FOREIGN_REPLY, LEN).is_none());
    assert!(reply_line_block(&ok, 5, KIND_REPLY, LEN).is_none());
    let error = line(KIND_ERROR, 5, r.as_bytes());
    assert!(reply_line_block(&error, 5, KIND_FOREIGN_REPLY, LEN).is_none());
    let mut longer = r.as_bytes().to_vec();
    longer.extend_from_slice(&[1; 8]);
    let with_data = line(KIND_FOREIGN_REPLY, 5, &longer);
    assert!(reply_line_block(&with_data, 5, KIND_FOREIGN_REPLY, LEN).is_none());
    let pad = line(KIND_PAD, 0, &[]);
    assert!(reply_line_block(&pad, 0, KIND_FOREIGN_REPLY, LEN).is_none());
    let mut named = ok;
    named[2] |= 3; // name_len
    assert!(reply_line_block(&named, 5, KIND_FOREIGN_REPLY, LEN).is_none());
    let mut flagged = ok;
    flagged[0] |= 1 << 48; // the header's flags
    assert!(reply_line_block(&flagged, 5, KIND_FOREIGN_REPLY, LEN).is_none());
}
