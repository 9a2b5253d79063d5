//! The PreToolUse hook payloads of Codex CLI and Claude Code, exactly as each runtime defines them.
//!
//! Input types are lenient: the runtime's schema marks most fields required, but a hook must
//! answer whatever arrives, so everything except the tool name and input may be missing. Unknown
//! fields are accepted (both runtimes add fields between releases). Output types are strict and
//! serialise to the exact JSON each runtime reads.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The stdin of a PreToolUse hook. Codex and Claude Code share this shape; Codex adds `turn_id`
/// and `model`, Claude Code adds `prompt_id` and `effort`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PreToolUseInput {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub turn_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transcript_path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cwd: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hook_event_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permission_mode: Option<String>,
    pub tool_name: String,
    #[serde(default)]
    pub tool_input: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_use_id: Option<String>,
}

/// The permission decision a PreToolUse hook may return.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PermissionDecision {
    Allow,
    Deny,
    /// Claude Code only: the user is asked. Codex fails open on it, so it is never sent to Codex.
    Ask,
}

/// `hookSpecificOutput` of a PreToolUse answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PreToolUseSpecificOutput {
    pub hook_event_name: String,
    pub permission_decision: PermissionDecision,
    pub permission_decision_reason: String,
}

/// The JSON a hook prints on stdout (exit 0) to decide a call.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PreToolUseOutput {
    pub hook_specific_output: PreToolUseSpecificOutput,
}

impl PreToolUseOutput {
    /// A decision with its reason; an empty reason is replaced, because both runtimes treat a
    /// deny without a reason as a failed hook and let the call run.
    pub fn new(decision: PermissionDecision, reason: &str) -> Self {
        let reason = if reason.trim().is_empty() {
            "blocked by aethelgard policy".to_owned()
        } else {
            reason.to_owned()
        };
        Self {
            hook_specific_output: PreToolUseSpecificOutput {
                hook_event_name: "PreToolUse".to_owned(),
                permission_decision: decision,
                permission_decision_reason: reason,
            },
        }
    }

    pub fn deny(reason: &str) -> Self {
        Self::new(PermissionDecision::Deny, reason)
    }
}
