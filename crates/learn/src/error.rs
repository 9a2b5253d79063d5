use thiserror::Error;

/// What can go wrong in layer 2.
#[derive(Debug, Error)]
pub enum LearnError {
    #[error("{origin}: {message}")]
    Invalid { origin: String, message: String },
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write {path}: {source}")]
    Write {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("model: {0}")]
    Model(#[from] candle_core::Error),
    #[error("nothing to learn from: {0}")]
    Empty(String),
}

impl LearnError {
    pub fn invalid(origin: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid { origin: origin.into(), message: message.into() }
    }
}
