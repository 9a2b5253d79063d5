//! Task classification: from the user's request to a task type with a confidence.
//!
//! Two classifiers implement [`Classifier`]: the rule-based one that needs no training
//! ([`rules::RuleClassifier`]) and a linear model over word and character n-grams trained by
//! `aethelgard learn classifier` ([`linear::LinearClassifier`]).

use serde::Serialize;

/// How a task type was decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// The caller named the task type.
    Explicit,
    /// The built-in rules.
    Rules,
    /// A trained model.
    Model,
}

/// A classifier's answer.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Classification {
    pub task_type: String,
    /// 0..=1: how sure the classifier is.
    pub confidence: f64,
    pub method: Method,
}

/// Anything that maps a request to a task type.
pub trait Classifier: Send + Sync {
    fn classify(&self, request: &str) -> Classification;
}

pub mod eval;
pub mod linear;
pub mod rules;
pub mod text;
pub mod train;

/// The trained model that ships with Aethelgard (`data/tasks/classifier.json`), trained on the
/// training prompts only; `docs/classification.md` has its held-out accuracy.
pub const BUILTIN_MODEL: &str = include_str!("../../../../data/tasks/classifier.json");

/// The default classifier: the shipped model, or the rules if it cannot load (a test checks
/// that it loads, so a tested build always has the model).
pub fn builtin() -> Box<dyn Classifier> {
    match linear::LinearClassifier::from_json(BUILTIN_MODEL, "built-in classifier") {
        Ok(model) => Box::new(model),
        Err(_) => Box::new(rules::RuleClassifier::builtin()),
    }
}

/// Loads a trained classifier file (`aethelgard learn classifier --out FILE`).
pub fn load_model(path: &std::path::Path) -> Result<Box<dyn Classifier>, crate::GovernorError> {
    Ok(Box::new(linear::LinearClassifier::load(path)?))
}
