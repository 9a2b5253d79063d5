use thiserror::Error;

/// Why a policy could not be loaded. Messages name the file and the rule and say how to fix it.
#[derive(Debug, Error)]
pub enum PolicyError {
    #[error("cannot read policy `{path}`: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("`{origin}` is not a valid policy file: {message}")]
    Syntax { origin: String, message: String },
    #[error("`{origin}`: rule `{rule}`: {message}")]
    Rule { origin: String, rule: String, message: String },
    #[error("`{origin}`: {message}")]
    Invalid { origin: String, message: String },
    #[error("catalog `{origin}` line {line}: {message}")]
    Catalog { origin: String, line: usize, message: String },
    #[error("`{origin}` line {line}: {message}")]
    Import { origin: String, line: usize, message: String },
}
