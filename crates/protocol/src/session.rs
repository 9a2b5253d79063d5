use crate::DecisionKind;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One agent session: a line of the session JSONL that `import` writes and `learn` reads.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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
}

/// One call inside a session record.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SessionCall {
    pub tool: String,
    #[serde(default = "empty_object")]
    pub args: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision: Option<DecisionKind>,
}

fn empty_object() -> Value {
    Value::Object(serde_json::Map::new())
}
