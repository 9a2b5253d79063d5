//! Tests of the `aethelgard` binary as a user and a runtime drive it (the real runtimes are in
//! `e2e.rs`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod suite;
