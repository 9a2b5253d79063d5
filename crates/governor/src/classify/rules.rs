//! The rule-based classifier: placeholder until the keyword rules land (this session).

use super::{Classification, Classifier, Method};

/// Classifies by keyword rules; needs no training.
#[derive(Clone, Debug, Default)]
pub struct RuleClassifier;

impl RuleClassifier {
    pub fn builtin() -> Self {
        Self
    }
}

impl Classifier for RuleClassifier {
    fn classify(&self, _request: &str) -> Classification {
        Classification { task_type: crate::tasks::UNKNOWN.to_owned(), confidence: 0.0, method: Method::Rules }
    }
}
