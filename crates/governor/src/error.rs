use thiserror::Error;

/// What can go wrong in layer 1.
#[derive(Debug, Error)]
pub enum GovernorError {
    #[error("unknown task type `{name}`; known: {known}")]
    UnknownTaskType { name: String, known: String },
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
}
