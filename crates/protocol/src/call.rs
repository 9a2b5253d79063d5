use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One tool call as the router sees it: the input line of `aethelgard route`.
///
/// Only `tool` is required. `args` defaults to an empty object; everything else is context that
/// rules and the stage 2 classifier may use when it is present.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ToolCall {
    pub tool: String,
    #[serde(default = "empty_object")]
    pub args: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<String>,
    /// The workspace root: relative paths in the call resolve against it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cwd: Option<String>,
    /// The tools granted for this task (layer 1's manifest); a call outside it is refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub granted: Option<Vec<String>>,
    /// Trusted context beyond the request: what the user said earlier in the session, names and
    /// addresses the user gave. Stage 2 checks whether a call's recipients, hosts and paths are
    /// grounded in it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<Vec<String>>,
    /// Untrusted text the agent has seen: tool outputs, fetched pages, emails. A recipient or host
    /// that appears only here, and not in the request, is a sign of injected instructions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub untrusted: Option<Vec<String>>,
}

fn empty_object() -> Value {
    Value::Object(serde_json::Map::new())
}

impl ToolCall {
    /// A call with just a tool name and arguments.
    pub fn new(tool: impl Into<String>, args: Value) -> Self {
        Self {
            tool: tool.into(),
            args,
            task: None,
            task_type: None,
            session: None,
            cwd: None,
            granted: None,
            context: None,
            untrusted: None,
        }
    }

    /// Sets the workspace root.
    #[must_use]
    pub fn with_cwd(mut self, cwd: impl Into<String>) -> Self {
        self.cwd = Some(cwd.into());
        self
    }
}
