//! The stage 2 interface: a learned classifier for the calls rules cannot decide.

use aethelgard_protocol::{DecisionKind, ToolCall};
use thiserror::Error;

/// A classifier's judgement.
#[derive(Clone, Debug, PartialEq)]
pub struct Stage2Verdict {
    pub decision: DecisionKind,
    /// Risk in 0..=1.
    pub score: f64,
    pub reason: String,
}

/// Why a classifier could not judge; the router then applies the policy's fail mode.
#[derive(Debug, Error)]
#[error("stage 2 classifier `{classifier}` failed: {message}")]
pub struct ClassifierError {
    pub classifier: String,
    pub message: String,
}

/// A stage 2 backend (the built-in linear model, an embedding model, an LLM endpoint).
pub trait Classifier: Send + Sync {
    /// A short name for reasons and logs.
    fn name(&self) -> &str;
    /// Judges a call stage 1 left undecided.
    fn classify(&self, call: &ToolCall) -> Result<Stage2Verdict, ClassifierError>;
}

pub mod backend;
pub mod embedding;
pub mod features;
pub mod linear;
pub mod llm;
