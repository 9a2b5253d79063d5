//! What the log records: session starts, tool calls and outcomes, each stamped and chained.

use aethelgard_protocol::SessionCall;
use serde::{Deserialize, Serialize};

/// One thing that happened, as the store keeps it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Event {
    /// A session began: the task, what was available and what was granted.
    SessionStart(SessionStart),
    /// A tool call and what was decided about it.
    ToolCall(CallEvent),
    /// How a session ended.
    Outcome(Outcome),
}

impl Event {
    /// The event kind as stored in the `kind` column.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::SessionStart(_) => "session_start",
            Self::ToolCall(_) => "tool_call",
            Self::Outcome(_) => "outcome",
        }
    }

    /// The session the event belongs to, if any.
    pub fn session(&self) -> Option<&str> {
        match self {
            Self::SessionStart(start) => Some(&start.session),
            Self::ToolCall(call) => call.session.as_deref(),
            Self::Outcome(outcome) => Some(&outcome.session),
        }
    }
}

/// The start of a session.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SessionStart {
    pub session: String,
    pub task: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_type: Option<String>,
    /// Where the session ran: `codex`, `claude`, `openclaw`, `route`, `gym`, ...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// The tools available.
    #[serde(default)]
    pub tools: Vec<String>,
    /// The tools the governor granted; absent when nothing was scoped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub granted: Option<Vec<String>>,
    /// The tools the task needs, where ground truth is known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub needed: Option<Vec<String>>,
    /// When the session started (RFC 3339), if it started before it was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
}

/// A tool call with its decision.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CallEvent {
    /// The session, when the caller named one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<String>,
    #[serde(flatten)]
    pub call: SessionCall,
    /// How long the router took, in microseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_us: Option<u64>,
    /// Who recorded it: `route`, `hook:codex`, `hook:claude`, `import:codex-rollout`, ...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// The end of a session.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    pub session: String,
    /// Whether the task succeeded; null when unknown.
    #[serde(default)]
    pub success: Option<bool>,
}

/// An event as stored: its place in the chain, when it was recorded, and the hashes that link it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// Position in the log, from 1, without gaps.
    pub seq: u64,
    /// When the store recorded it, milliseconds since the Unix epoch.
    pub at_ms: i64,
    pub event: Event,
    /// The hash of the entry before (64 zeros for the first).
    pub prev_hash: String,
    /// SHA-256 over this entry's fields and `prev_hash`, hex.
    pub hash: String,
}

/// What `append` hands back: proof that an event is in the log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Receipt {
    pub seq: u64,
    pub hash: String,
}
