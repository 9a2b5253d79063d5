use thiserror::Error;

/// Everything that can go wrong in the audit layer.
#[derive(Debug, Error)]
pub enum AuditError {
    #[error("cannot open the audit store `{path}`: {source}")]
    Open { path: String, source: rusqlite::Error },
    #[error("cannot create the folder for the audit store `{path}`: {source}")]
    CreateDir { path: String, source: std::io::Error },
    #[error("the audit store `{path}` has schema version {found}, newer than this build knows ({known}); upgrade aethelgard")]
    SchemaTooNew { path: String, found: i64, known: i64 },
    #[error("audit store error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("cannot encode an audit record: {0}")]
    Encode(#[from] serde_json::Error),
    #[error("entry {seq} cannot be read: {message}")]
    Corrupt { seq: u64, message: String },
    #[error("the redaction pattern `{name}` is not a valid regex: {message}")]
    Redaction { name: String, message: String },
    #[error("{0}")]
    Import(String),
}
