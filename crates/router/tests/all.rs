#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
//! Integration tests of the router: the labelled corpus gate, obfuscation regressions, and the
//! real runtime payloads.
mod suite;
