//! The hash chain: how an entry's hash is computed and how a sequence of entries is checked.
//!
//! Each hash covers the entry's position, time, kind, session, body and the previous hash, so
//! editing any field, deleting an entry or swapping two breaks the chain at that entry. Removing
//! entries from the *end* leaves a valid shorter chain; compare against an anchored head
//! (`aethelgard audit head`) to catch that.

use sha2::{Digest, Sha256};
use std::fmt::Write as _;

/// The `prev_hash` of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The fields of one stored row, as the hash sees them.
#[derive(Clone, Copy, Debug)]
pub struct Row<'a> {
    pub seq: u64,
    pub at_ms: i64,
    pub kind: &'a str,
    pub session: Option<&'a str>,
    pub body: &'a str,
    pub prev_hash: &'a str,
}

/// SHA-256 over the row, each field length-prefixed so no two rows hash the same bytes.
pub fn hash(row: &Row<'_>) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"aethelgard-audit-v1\0");
    hasher.update(row.seq.to_be_bytes());
    hasher.update(row.at_ms.to_be_bytes());
    for field in [Some(row.kind), row.session, Some(row.body), Some(row.prev_hash)] {
        match field {
            Some(text) => {
                hasher.update([1u8]);
                hasher.update((text.len() as u64).to_be_bytes());
                hasher.update(text.as_bytes());
            }
            None => hasher.update([0u8]),
        }
    }
    let digest = hasher.finalize();
    let mut hex = String::with_capacity(64);
    for byte in digest {
        let _ = write!(hex, "{byte:02x}");
    }
    hex
}

/// Why an entry fails verification.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Break {
    /// The position is not the one after the previous entry: an entry was deleted or inserted.
    Sequence { expected: u64 },
    /// `prev_hash` is not the previous entry's hash: entries were removed or reordered.
    Link,
    /// The stored hash is not the hash of the stored fields: the entry was edited.
    Hash,
    /// The body is not a valid event.
    Body(String),
}

impl std::fmt::Display for Break {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Sequence { expected } => {
                write!(f, "expected entry {expected} here: an entry before it was deleted, or one was inserted")
            }
            Self::Link => f.write_str("its previous-hash does not match the entry before it: entries were removed or reordered"),
            Self::Hash => f.write_str("its hash does not match its contents: the entry was edited"),
            Self::Body(message) => write!(f, "its body is not a valid audit event: {message}"),
        }
    }
}

/// Checks rows in order, remembering what the next row must link to.
#[derive(Debug)]
pub struct Verifier {
    expected_seq: u64,
    prev_hash: String,
}

impl Default for Verifier {
    fn default() -> Self {
        Self { expected_seq: 1, prev_hash: GENESIS.to_owned() }
    }
}

impl Verifier {
    /// Checks the next row and its stored hash.
    pub fn check(&mut self, row: &Row<'_>, stored_hash: &str) -> Result<(), Break> {
        if row.seq != self.expected_seq {
            return Err(Break::Sequence { expected: self.expected_seq });
        }
        if row.prev_hash != self.prev_hash {
            return Err(Break::Link);
        }
        if hash(row) != stored_hash {
            return Err(Break::Hash);
        }
        if let Err(error) = serde_json::from_str::<crate::Event>(row.body) {
            return Err(Break::Body(error.to_string()));
        }
        self.expected_seq += 1;
        stored_hash.clone_into(&mut self.prev_hash);
        Ok(())
    }

    /// How many rows passed.
    pub fn checked(&self) -> u64 {
        self.expected_seq - 1
    }

    /// The hash of the last row that passed.
    pub fn head(&self) -> &str {
        &self.prev_hash
    }
}
