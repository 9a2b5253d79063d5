//! Wire types only: what crosses a process boundary, in JSON.
//!
//! Every other crate depends on this one and it depends on no other crate of ours. The types
//! mirror the fixed contracts of the design (section 3): tool-call records in and decisions out of
//! `aethelgard route`, session records that `import` writes and `learn` reads, manifests that
//! `scope` prints, and the hook payloads of each runtime exactly as that runtime defines them.
//! No logic lives here beyond small constructors and conversions.

mod call;
mod decision;
pub mod hooks;
mod manifest;
mod risk;
mod session;

pub use call::ToolCall;
pub use decision::{Decision, DecisionKind, Stage};
pub use manifest::Manifest;
pub use risk::RiskTag;
pub use session::{SessionCall, SessionRecord};

#[cfg(test)]
#[path = "lib_tests.rs"]
mod tests;
