use crate::{DecisionKind, Stage};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One agent session: a line of the session JSONL that `import` writes and `learn` reads.
///
/// The fields of the design's contract (`session`, `task`, `task_type`, `tools`, `calls`,
/// `success`) come first; the optional fields after them extend it and are left out of the JSON
/// when unknown, so a reader of the original contract sees exactly what it expects.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SessionRecord {
    pub session: String,
    pub task: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_type: Option<String>,
    /// Names of the tools available in this session.
    #[serde(default)]
    pub tools: Vec<String>,
    #[serde(default)]
    pub calls: Vec<SessionCall>,
    /// Whether the task succeeded; null when unknown.
    #[serde(default)]
    pub success: Option<bool>,
    /// The tools the governor granted; absent when nothing was scoped (then every available
    /// tool counts as granted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub granted: Option<Vec<String>>,
    /// The tools the task needs, where ground truth is known (the gym knows it; logs do not).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub needed: Option<Vec<String>>,
    /// Where the record came from: `codex`, `claude`, `openclaw`, `route`, `gym`, ...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// When the session started, RFC 3339.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
}

impl SessionRecord {
    /// The granted tools: the explicit grant, or every available tool when nothing was scoped.
    pub fn granted_or_available(&self) -> &[String] {
        self.granted.as_deref().unwrap_or(&self.tools)
    }
}

/// One call inside a session record.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SessionCall {
    pub tool: String,
    #[serde(default = "empty_object")]
    pub args: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision: Option<DecisionKind>,
    /// Which router stage decided, when Aethelgard decided.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<Stage>,
    /// The rule that decided, or for imported logs the runtime's own rule or denial source.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// Risk score in 0..=1, when a router scored the call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    /// Why the call was decided as it was (the denial text for imported blocks).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// What the tool returned, as text, when the log has it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<String>,
    /// When the call was made, RFC 3339.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
}

impl SessionCall {
    /// A call with only a tool name and arguments, as the design's contract writes it.
    pub fn new(tool: impl Into<String>, args: Value) -> Self {
        Self { tool: tool.into(), args, ..Self::default() }
    }
}

fn empty_object() -> Value {
    Value::Object(serde_json::Map::new())
}
