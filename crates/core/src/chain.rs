//! The hash chain over the event log.
//!
//! Each stored event's hash is SHA-256 over the previous event's hash, its sequence number, the
//! instant it was received, and the SHA-256 of its canonical content. Changing, inserting or
//! removing any stored event breaks the chain at that event, and `casewatch verify` names it.

use sha2::{Digest, Sha256};

/// The hash that precedes the first event: 64 zeros.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The chain hash of one event, hex-encoded.
///
/// `prev` and `content_hash` are hex strings as stored; they are hashed as text so that the
/// computation is the same whichever database held them.
pub fn link_hash(prev: &str, seq: i64, recorded_at_us: i64, content_hash: &str) -> String {
    let mut h = Sha256::new();
    h.update(b"casewatch-event-v1\n");
    h.update(prev.as_bytes());
    h.update(b"\n");
    h.update(seq.to_be_bytes());
    h.update(recorded_at_us.to_be_bytes());
    h.update(content_hash.as_bytes());
    hex::encode(h.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_input_changes_the_hash() {
        let base = link_hash(GENESIS, 1, 10, "ab");
        assert_eq!(base.len(), 64);
        assert_ne!(base, link_hash(GENESIS, 2, 10, "ab"));
        assert_ne!(base, link_hash(GENESIS, 1, 11, "ab"));
        assert_ne!(base, link_hash(GENESIS, 1, 10, "ac"));
        assert_ne!(base, link_hash(&base, 1, 10, "ab"));
        assert_eq!(base, link_hash(GENESIS, 1, 10, "ab"));
    }
}
