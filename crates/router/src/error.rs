use thiserror::Error;

/// Why a router could not be built.
#[derive(Debug, Error)]
pub enum RouterError {
    #[error(transparent)]
    Policy(#[from] aethelgard_policy::PolicyError),
    #[error("`{origin}`: rule `{rule}`: {message}")]
    Example { origin: String, rule: String, message: String },
    #[error("`{origin}`: rule `{rule}`: {message}")]
    Compile { origin: String, rule: String, message: String },
    #[error("`{origin}`: `[stage2]`: {source}")]
    Stage2 {
        origin: String,
        #[source]
        source: crate::stage2::ClassifierError,
    },
}
