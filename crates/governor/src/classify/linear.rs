//! The trainable classifier: placeholder until the linear model lands (this session).

use super::{Classification, Classifier, Method};
use crate::GovernorError;

/// A linear model over word and character n-grams.
#[derive(Clone, Debug, Default)]
pub struct LinearClassifier;

impl LinearClassifier {
    pub fn load(path: &std::path::Path) -> Result<Self, GovernorError> {
        Err(GovernorError::Invalid { origin: path.display().to_string(), message: "the linear classifier is not written yet".to_owned() })
    }
}

impl Classifier for LinearClassifier {
    fn classify(&self, _request: &str) -> Classification {
        Classification { task_type: crate::tasks::UNKNOWN.to_owned(), confidence: 0.0, method: Method::Model }
    }
}
