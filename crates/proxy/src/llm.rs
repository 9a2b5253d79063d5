//! The LLM API proxy: a man in the middle between an agent runtime and its model API, so that
//! layer 1 and layer 3 hold for any runtime whose model base URL can be set, with no hook.
//!
//! What it does to the conversation, and nothing more:
//! - each request loses the tools outside the task's manifest: the `tools` array, the tools a
//!   runtime lists only by name for later loading (Claude Code's and OpenClaw's deferred-tool
//!   lists, the results of Codex's `tool_search` and of Claude Code's `ToolSearch`), MCP
//!   namespaces and Anthropic `mcp_servers` entries;
//! - each tool call in the model's answer is routed before the runtime sees it; a refused call is
//!   replaced by text the model and the user can read ("Aethelgard blocked the call to `exec`:
//!   ..."), and the answer stays valid for the client (`stop_reason` / `finish_reason` say the turn
//!   ended when no call remains; streamed events keep consistent indices);
//! - everything else (headers with the credentials, the query string, paths that are not one of
//!   the three APIs, error answers) passes through unchanged.
//!
//! A call through a runtime's tool bridge (OpenClaw's `tool_call`) is decided with the tool it
//! would run by the gate's router (`aethelgard_router::bridge`), as on every other surface: one
//! decision, recorded once, whose reason names that tool.
//!
//! An escalated call is refused like a blocked one: the model API has no way to ask a person, and
//! letting the runtime run a call the router would not allow would fail open.
//!
//! The protocol handling is pure and testable without I/O: one module per API ([`chat`] for
//! OpenAI Chat Completions, [`responses`] for the OpenAI Responses API, [`messages`] for the
//! Anthropic Messages API), each with a request filter, an answer rewriter and a stream
//! rewriter over [`sse`] events. [`server`] is the HTTP side (axum in front, reqwest behind).
//! What decides is the caller's [`crate::mcp::Gate`], the same one the MCP proxy uses.

pub mod chat;
mod deferred;
pub mod messages;
pub mod responses;
pub mod server;
pub mod sse;

use aethelgard_protocol::{Decision, DecisionKind};
use serde_json::Value;

/// Decides one tool call: the tool's name and its arguments. The caller binds it to its gate and
/// the request's manifest.
pub type Route<'a> = dyn FnMut(&str, Value) -> Decision + 'a;

/// Which tools a request may keep, given every tool it offers: `None` keeps them all.
pub type Grant<'a> = dyn FnMut(&[String]) -> Option<Vec<String>> + 'a;

/// The three APIs the proxy understands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Api {
    /// OpenAI Chat Completions, `POST .../chat/completions`.
    ChatCompletions,
    /// OpenAI Responses, `POST .../responses`.
    Responses,
    /// Anthropic Messages, `POST .../messages` (not `.../messages/count_tokens`).
    Messages,
}

impl Api {
    /// The API a request speaks, from its method and path; `None` passes through untouched.
    #[must_use]
    pub fn of_request(method: &str, path: &str) -> Option<Self> {
        if !method.eq_ignore_ascii_case("POST") {
            return None;
        }
        let path = path.trim_end_matches('/');
        if path.ends_with("/chat/completions") {
            Some(Self::ChatCompletions)
        } else if path.ends_with("/responses") {
            Some(Self::Responses)
        } else if path.ends_with("/messages") {
            Some(Self::Messages)
        } else {
            None
        }
    }

    /// Removes the tools outside the manifest from a request body; returns the manifest the
    /// request's calls are routed against (`None`: every tool kept).
    pub fn filter_request(self, body: &mut Value, grant: &mut Grant<'_>) -> Option<Vec<String>> {
        match self {
            Self::ChatCompletions => chat::filter_request(body, grant),
            Self::Responses => responses::filter_request(body, grant),
            Self::Messages => messages::filter_request(body, grant),
        }
    }

    /// Routes every tool call in a complete (not streamed) answer, replacing the refused ones.
    /// Returns how many calls were refused.
    pub fn rewrite_answer(self, body: &mut Value, route: &mut Route<'_>) -> usize {
        match self {
            Self::ChatCompletions => chat::rewrite_answer(body, route),
            Self::Responses => responses::rewrite_answer(body, route),
            Self::Messages => messages::rewrite_answer(body, route),
        }
    }

    /// A rewriter for a streamed answer in this API.
    #[must_use]
    pub fn stream(self) -> Box<dyn StreamRewriter> {
        match self {
            Self::ChatCompletions => Box::new(chat::Stream::default()),
            Self::Responses => Box::new(responses::Stream::default()),
            Self::Messages => Box::new(messages::Stream::default()),
        }
    }

    /// An error body in this API's own format, so the client shows `message`.
    #[must_use]
    pub fn error_body(self, kind: &str, message: &str) -> Value {
        match self {
            Self::Messages => serde_json::json!({
                "type": "error",
                "error": {"type": kind, "message": message},
            }),
            Self::ChatCompletions | Self::Responses => serde_json::json!({
                "error": {"type": kind, "code": kind, "message": message},
            }),
        }
    }

    /// The same error as one Server-Sent Event, for a stream that fails after it started.
    #[must_use]
    pub fn error_event(self, kind: &str, message: &str) -> String {
        match self {
            Self::Messages => sse::encode(Some("error"), &self.error_body(kind, message)),
            Self::Responses => sse::encode(
                Some("error"),
                &serde_json::json!({"type": "error", "code": kind, "message": message}),
            ),
            Self::ChatCompletions => sse::encode(None, &self.error_body(kind, message)),
        }
    }
}

/// Rewrites a streamed answer one Server-Sent Event at a time: text passes through at once, a
/// tool call is held until its arguments are complete, then decided and emitted or replaced.
pub trait StreamRewriter: Send {
    /// What to send to the client for this event (possibly nothing yet, possibly several).
    fn event(&mut self, event: sse::Event, route: &mut Route<'_>) -> Vec<String>;

    /// The upstream stream ended: whatever is still held, decided or dropped.
    fn finish(&mut self, route: &mut Route<'_>) -> Vec<String>;
}

/// The text that replaces a refused call, or `None` when the call is allowed.
#[must_use]
pub fn refusal(tool: &str, decision: &Decision) -> Option<String> {
    let rule = decision
        .rule
        .as_deref()
        .map(|rule| format!(" [rule {rule}]"))
        .unwrap_or_default();
    match decision.decision {
        DecisionKind::Allow => None,
        DecisionKind::Block => Some(format!(
            "Aethelgard blocked the call to `{tool}`: {}{rule}",
            decision.reason
        )),
        DecisionKind::Escalate => Some(format!(
            "Aethelgard blocked the call to `{tool}`: it needs a person's approval, which the LLM \
             API proxy cannot ask for: {}{rule}",
            decision.reason
        )),
    }
}

/// The arguments of a call sent as a JSON string (OpenAI's `arguments`): the parsed value, or
/// the string itself when it is not JSON (the router still sees what the tool would get).
fn parse_arguments(text: &str) -> Value {
    if text.trim().is_empty() {
        return Value::Object(serde_json::Map::new());
    }
    serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_owned()))
}

/// The entries of the array at `key` (none when there is no such array).
fn entries<'a>(value: &'a Value, key: &str) -> impl Iterator<Item = &'a Value> {
    value
        .get(key)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

/// Removes a `tool_choice` that forces a tool outside `granted` (`name_of` reads the forced
/// tool's name from the choice), so the request does not name a tool it no longer offers.
fn drop_ungranted_choice(
    body: &mut Value,
    granted: &[String],
    name_of: fn(&Value) -> Option<&Value>,
) {
    let chosen = body
        .get("tool_choice")
        .and_then(name_of)
        .and_then(Value::as_str);
    if chosen.is_some_and(|name| !granted.iter().any(|granted| granted == name))
        && let Some(object) = body.as_object_mut()
    {
        object.remove("tool_choice");
    }
}

/// Keeps the entries of `array` whose name (by `name_of`) is granted; an entry without a name
/// is kept (it is not a tool the manifest speaks of).
fn retain_named(
    array: &mut Vec<Value>,
    granted: &[String],
    name_of: &dyn Fn(&Value) -> Option<String>,
) {
    array.retain(|entry| name_of(entry).is_none_or(|name| granted.contains(&name)));
}

#[cfg(test)]
mod test_support;

#[cfg(test)]
#[path = "llm_tests.rs"]
mod tests;
