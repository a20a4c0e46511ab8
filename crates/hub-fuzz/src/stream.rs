//! The two stream decoders upstream bytes go through: server-sent events and Bedrock's
//! eventstream framing. Each must read the same items whether a body comes whole or in
//! chunks split anywhere.

use hub_providers::fuzzing::{eventstream_messages, sse_events};

/// A stream target's input as body chunks: the first byte, `seed`, picks the chunk lengths,
/// each from 1 to `seed` bytes (pseudo-random, so that boundaries fall everywhere); a `seed`
/// of 0 sends the body whole, and 1 byte by byte.
pub fn split(data: &[u8]) -> Vec<&[u8]> {
    let Some((&seed, mut body)) = data.split_first() else {
        return Vec::new();
    };
    if seed == 0 {
        return vec![body];
    }

    let mut state = u32::from(seed).wrapping_mul(0x9E37_79B9) | 1;
    let mut pieces = Vec::new();
    while !body.is_empty() {
        // xorshift32: cheap, and the same boundaries for the same input on every run.
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let length = 1 + usize::try_from(state % u32::from(seed)).unwrap_or(0);
        let (piece, rest) = body.split_at(length.min(body.len()));
        pieces.push(piece);
        body = rest;
    }
    pieces
}

pub(crate) fn sse(data: &[u8]) {
    let pieces = split(data);
    let whole = pieces.concat();
    assert_eq!(
        sse_events(&pieces),
        sse_events(&[&whole]),
        "chunks: {pieces:?}"
    );
}

pub(crate) fn eventstream(data: &[u8]) {
    let pieces = split(data);
    let whole = pieces.concat();
    assert_eq!(
        eventstream_messages(&pieces),
        eventstream_messages(&[&whole]),
        "chunks: {pieces:?}"
    );
}
