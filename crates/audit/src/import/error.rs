use thiserror::Error;

/// Why a log could not be imported. Every message names the file (and the line or row) and
/// what was expected there, so the user can find and fix the input.
#[derive(Debug, Error)]
pub enum ImportError {
    #[error("cannot read `{file}`: {error}")]
    Read { file: String, error: std::io::Error },
    #[error("`{file}` line {line}: expected {expected}, found {found}")]
    Line { file: String, line: usize, expected: String, found: String },
    #[error("`{file}`: {message}")]
    File { file: String, message: String },
    #[error("cannot read the OpenClaw database `{file}`: {message}; pass the agent database (`<state dir>/agents/<agent>/agent/openclaw-agent.sqlite`) or a JSONL dump of its `transcript_events` rows")]
    Database { file: String, message: String },
    #[error("unknown import format `{0}`; expected one of: codex-rollout, claude-transcript, openclaw, codex-otel, sessions")]
    UnknownFormat(String),
}
