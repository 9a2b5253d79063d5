//! The Anthropic Messages API (`POST /v1/messages`), as Claude Code speaks it.
//!
//! Tools are `tools[].name` (deferred ones, `defer_loading: true`, among them); an MCP connector
//! server in `mcp_servers` offers `mcp__<server>__<tool>` for each of its `allowed_tools`, or is
//! one tool `mcp__<server>` when it lists none. Claude Code names most tools only in a system
//! message ("...deferred tools are now available via ToolSearch...") and hands them over in
//! `ToolSearch` results as `tool_reference` blocks: both are filtered too.
//!
//! Calls are `tool_use` content blocks. A refused call is replaced, at the same index, by a text
//! block with the refusal, so a stream keeps its indices; with no `tool_use` left, `stop_reason`
//! becomes `end_turn`. In a stream, a `tool_use` block's events are held from
//! `content_block_start` to `content_block_stop` (its `input_json_delta`s add up to the input).

use super::{
    Grant, Route, StreamRewriter, deferred, drop_ungranted_choice, entries, parse_arguments,
    refusal, retain_named, sse,
};
use serde_json::{Value, json};
use std::collections::BTreeMap;

fn tool_name(tool: &Value) -> Option<String> {
    tool.get("name").and_then(Value::as_str).map(str::to_owned)
}

/// The tools one `mcp_servers` entry offers.
fn server_tools(server: &Value) -> Vec<String> {
    let name = server
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or_default();
    match server
        .get("tool_configuration")
        .and_then(|config| config.get("allowed_tools"))
        .and_then(Value::as_array)
    {
        Some(allowed) => allowed
            .iter()
            .filter_map(Value::as_str)
            .map(|tool| format!("mcp__{name}__{tool}"))
            .collect(),
        None => vec![format!("mcp__{name}")],
    }
}

/// Every `tool_reference` block in the request's tool results.
fn references(body: &mut Value) -> impl Iterator<Item = &mut Vec<Value>> {
    body.get_mut("messages")
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
        .filter_map(|message| message.get_mut("content").and_then(Value::as_array_mut))
        .flatten()
        .filter(|block| block.get("type").and_then(Value::as_str) == Some("tool_result"))
        .filter_map(|block| block.get_mut("content").and_then(Value::as_array_mut))
}

fn reference_name(block: &Value) -> Option<String> {
    if block.get("type").and_then(Value::as_str) != Some("tool_reference") {
        return None;
    }
    block
        .get("tool_name")
        .and_then(Value::as_str)
        .map(str::to_owned)
}

/// See [`super::Api::filter_request`].
pub fn filter_request(body: &mut Value, grant: &mut Grant<'_>) -> Option<Vec<String>> {
    let mut available: Vec<String> = Vec::new();
    available.extend(entries(body, "tools").filter_map(tool_name));
    available.extend(entries(body, "mcp_servers").flat_map(server_tools));
    for key in ["system", "messages"] {
        if let Some(value) = body.get(key) {
            available.extend(deferred::names_in(value));
        }
    }
    for blocks in references(body) {
        available.extend(blocks.iter().filter_map(reference_name));
    }
    available.dedup();
    let granted = grant(&available)?;
    if let Some(Value::Array(tools)) = body.get_mut("tools") {
        retain_named(tools, &granted, &tool_name);
    }
    if let Some(Value::Array(servers)) = body.get_mut("mcp_servers") {
        for server in servers.iter_mut() {
            let name = server
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            if let Some(Value::Array(allowed)) = server
                .get_mut("tool_configuration")
                .and_then(|config| config.get_mut("allowed_tools"))
            {
                allowed.retain(|tool| {
                    tool.as_str()
                        .is_some_and(|tool| granted.contains(&format!("mcp__{name}__{tool}")))
                });
            }
        }
        servers.retain(|server| {
            let tools = server_tools(server);
            !tools.is_empty() && tools.iter().all(|tool| granted.contains(tool))
        });
    }
    for blocks in references(body) {
        retain_named(blocks, &granted, &reference_name);
    }
    drop_ungranted_choice(body, &granted, |choice| choice.get("name"));
    for key in ["system", "messages"] {
        if let Some(value) = body.get_mut(key) {
            deferred::remove_in(value, &granted);
        }
    }
    Some(granted)
}

fn text_block(text: &str) -> Value {
    json!({"type": "text", "text": text})
}

/// See [`super::Api::rewrite_answer`].
pub fn rewrite_answer(body: &mut Value, route: &mut Route<'_>) -> usize {
    let mut refused = 0;
    let mut kept = 0;
    for block in body
        .get_mut("content")
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
    {
        if block.get("type").and_then(Value::as_str) != Some("tool_use") {
            continue;
        }
        let name = block
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let input = block.get("input").cloned().unwrap_or_else(|| json!({}));
        match refusal(&name, &route(&name, input)) {
            Some(text) => {
                *block = text_block(&text);
                refused += 1;
            }
            None => kept += 1,
        }
    }
    if refused > 0
        && kept == 0
        && body.get("stop_reason") == Some(&json!("tool_use"))
        && let Some(object) = body.as_object_mut()
    {
        object.insert("stop_reason".to_owned(), json!("end_turn"));
    }
    refused
}

/// A `tool_use` block being streamed.
#[derive(Debug, Default)]
struct HeldBlock {
    events: Vec<String>,
    name: String,
    /// The input of `content_block_start` (usually `{}`), replaced by the deltas when there are
    /// any.
    start_input: Value,
    partial_json: String,
}

/// See [`StreamRewriter`].
#[derive(Debug, Default)]
pub struct Stream {
    held: BTreeMap<u64, HeldBlock>,
    refused: usize,
    kept: usize,
}

impl StreamRewriter for Stream {
    fn event(&mut self, event: sse::Event, route: &mut Route<'_>) -> Vec<String> {
        let Some(mut data) = event.json() else {
            return vec![event.raw];
        };
        let kind = data
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let index = data.get("index").and_then(Value::as_u64);
        match (kind.as_str(), index) {
            ("content_block_start", Some(index)) => {
                let block = data.get("content_block").unwrap_or(&Value::Null);
                if block.get("type").and_then(Value::as_str) != Some("tool_use") {
                    return vec![event.raw];
                }
                let held = HeldBlock {
                    name: block
                        .get("name")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned(),
                    start_input: block.get("input").cloned().unwrap_or_else(|| json!({})),
                    events: vec![event.raw],
                    partial_json: String::new(),
                };
                self.held.insert(index, held);
                Vec::new()
            }
            ("content_block_delta", Some(index)) => match self.held.get_mut(&index) {
                Some(held) => {
                    if let Some(partial) = data
                        .get("delta")
                        .and_then(|delta| delta.get("partial_json"))
                        .and_then(Value::as_str)
                    {
                        held.partial_json.push_str(partial);
                    }
                    held.events.push(event.raw);
                    Vec::new()
                }
                None => vec![event.raw],
            },
            ("content_block_stop", Some(index)) => {
                let Some(mut held) = self.held.remove(&index) else {
                    return vec![event.raw];
                };
                let input = if held.partial_json.trim().is_empty() {
                    held.start_input
                } else {
                    parse_arguments(&held.partial_json)
                };
                match refusal(&held.name, &route(&held.name, input)) {
                    None => {
                        self.kept += 1;
                        held.events.push(event.raw);
                        held.events
                    }
                    Some(text) => {
                        self.refused += 1;
                        vec![
                            sse::encode(
                                Some("content_block_start"),
                                &json!({"type": "content_block_start", "index": index, "content_block": {"type": "text", "text": ""}}),
                            ),
                            sse::encode(
                                Some("content_block_delta"),
                                &json!({"type": "content_block_delta", "index": index, "delta": {"type": "text_delta", "text": text}}),
                            ),
                            sse::encode(
                                Some("content_block_stop"),
                                &json!({"type": "content_block_stop", "index": index}),
                            ),
                        ]
                    }
                }
            }
            ("message_delta", _) => {
                let stops_for_tools = data.get("delta").and_then(|delta| delta.get("stop_reason"))
                    == Some(&json!("tool_use"));
                if !(stops_for_tools && self.refused > 0 && self.kept == 0) {
                    return vec![event.raw];
                }
                if let Some(delta) = data.get_mut("delta").and_then(Value::as_object_mut) {
                    delta.insert("stop_reason".to_owned(), json!("end_turn"));
                }
                vec![sse::encode(Some("message_delta"), &data)]
            }
            _ => vec![event.raw],
        }
    }

    fn finish(&mut self, _route: &mut Route<'_>) -> Vec<String> {
        // A block whose `content_block_stop` never came is incomplete: nothing to run.
        self.held.clear();
        Vec::new()
    }
}

#[cfg(test)]
#[path = "messages_tests.rs"]
mod tests;
