//! Layer 1 of Aethelgard, the Capability Governor: classify a task, decide which tools it may
//! see (a manifest), and enforce that in each runtime's own configuration.

pub mod classify;
mod error;
pub mod export;
pub mod learned;
pub mod lint;
mod manifest;
pub mod tasks;

pub use error::GovernorError;
pub use manifest::{Governor, ResolvedProfile, Scoped, Verdict, Why};
