//! The calls of one session as an importer assembles them: a call is recorded when the model
//! makes it and completed when its result appears, matched by the runtime's call id.

use aethelgard_protocol::{DecisionKind, SessionCall};
use std::collections::HashMap;

/// Why a runtime refused to run a call, as recognised from what it logged.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Denial {
    /// Who refused: `hook:PreToolUse`, `codex:policy`, `openclaw:plugin-before-tool-call`, ...
    pub rule: String,
    /// The refusal's own words (the hook's reason where it can be cut out of the runtime's text).
    pub reason: String,
}

/// Calls in the order the model made them.
#[derive(Debug, Default)]
pub(crate) struct Calls {
    calls: Vec<SessionCall>,
    by_id: HashMap<String, usize>,
}

impl Calls {
    /// Records a call. A call id seen before is ignored: some runtimes log the same call twice
    /// (Claude Code repeats a streamed message per content block).
    pub fn push(&mut self, id: Option<&str>, call: SessionCall) {
        if let Some(id) = id {
            if self.by_id.contains_key(id) {
                return;
            }
            self.by_id.insert(id.to_owned(), self.calls.len());
        }
        self.calls.push(SessionCall { decision: Some(DecisionKind::Allow), ..call });
    }

    /// Completes the call `id` with its output and, when the runtime refused it, the denial.
    /// Returns false when no call has that id (a result whose call the log does not hold).
    pub fn complete(&mut self, id: &str, output: String, denial: Option<Denial>) -> bool {
        let Some(call) = self.by_id.get(id).and_then(|&slot| self.calls.get_mut(slot)) else {
            return false;
        };
        let denial = denial.or_else(|| proxy_denial(&output));
        call.output = Some(output);
        if let Some(denial) = denial {
            call.decision = Some(DecisionKind::Block);
            call.rule = Some(denial.rule);
            call.reason = Some(denial.reason);
        }
        true
    }

    /// The call `id`, for importers that learn more about it later.
    pub fn get_mut(&mut self, id: &str) -> Option<&mut SessionCall> {
        self.by_id.get(id).and_then(|&slot| self.calls.get_mut(slot))
    }

    pub fn into_vec(self) -> Vec<SessionCall> {
        self.calls
    }
}

/// What our MCP proxy answers a refused `tools/call` with (`aethelgard_proxy::mcp`): a tool error
/// whose text begins with these words.
const PROXY_REFUSAL: &str = "Blocked by Aethelgard: ";

/// Recognises a call our MCP proxy refused, from the result the runtime logged: the refusal's
/// text alone (after the `Wall time: ...\nOutput:\n` header Codex puts on a tool's output), or
/// the MCP result (or its content list) as JSON. Only a result that *begins* with the refusal
/// counts, so a file that merely mentions it is not a denial.
pub(crate) fn proxy_denial(output: &str) -> Option<Denial> {
    let mut text = output.trim_start();
    if text.starts_with("Wall time:") {
        text = text.split_once("\nOutput:\n").map_or(text, |(_, rest)| rest.trim_start());
    }
    let refusal = if text.starts_with(PROXY_REFUSAL) {
        Some(text.to_owned())
    } else if text.starts_with('{') || text.starts_with('[') {
        let value: serde_json::Value = serde_json::from_str(text).ok()?;
        let content = value.get("content").unwrap_or(&value);
        let first = content.as_array().and_then(|blocks| blocks.first()).unwrap_or(content);
        first
            .get("text")
            .and_then(serde_json::Value::as_str)
            .filter(|t| t.starts_with(PROXY_REFUSAL))
            .map(str::to_owned)
    } else {
        None
    }?;
    let reason = refusal.get(PROXY_REFUSAL.len()..).unwrap_or_default().trim().to_owned();
    Some(Denial { rule: "aethelgard:proxy-mcp".to_owned(), reason })
}

#[cfg(test)]
#[path = "calls_tests.rs"]
mod tests;
