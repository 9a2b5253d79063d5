//! The OpenAI Responses API (`POST /v1/responses`), as the Codex CLI speaks it.
//!
//! A tool is named by its `name`, or by its `type` when it has none (`tool_search`,
//! `web_search`, `local_shell`); a `namespace` tool (MCP servers) holds tools named
//! `<namespace>__<name>`, and a hosted `mcp` tool is `mcp__<server_label>`. Codex also defers
//! tools behind `tool_search`: what a search returned comes back in `input` as a
//! `tool_search_output` item, whose `tools` are filtered the same way.
//!
//! Calls are `output` items: `function_call` (arguments as a JSON string), `custom_tool_call`
//! (free-form `input`, e.g. `apply_patch`), `local_shell_call` and `tool_search_call`. A refused
//! call is replaced, at the same `output_index`, by an assistant `message` item with the refusal.
//! In a stream, a call's events are held from `response.output_item.added` to
//! `response.output_item.done`; the final `response.completed` gets the same replacements, and
//! every event's `sequence_number` is renumbered so the stream stays consistent.

use super::{
    Grant, Route, StreamRewriter, drop_ungranted_choice, entries, parse_arguments, refusal,
    retain_named, sse,
};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};

/// The name the manifest knows a tool by.
fn tool_name(tool: &Value) -> Option<String> {
    let kind = tool.get("type").and_then(Value::as_str);
    if kind == Some("mcp") {
        let label = tool.get("server_label").and_then(Value::as_str)?;
        return Some(format!("mcp__{label}"));
    }
    tool.get("name")
        .and_then(Value::as_str)
        .or(kind)
        .map(str::to_owned)
}

/// The full name of a tool in a namespace.
fn qualified(namespace: &str, name: &str) -> String {
    if namespace.ends_with("__") || name.starts_with(namespace) {
        format!(
            "{namespace}{}",
            name.strip_prefix(namespace).unwrap_or(name)
        )
    } else {
        format!("{namespace}__{name}")
    }
}

/// Every tool name a `tools` array offers (a namespace's own tools, not the namespace).
fn names(tools: &[Value], out: &mut Vec<String>) {
    for tool in tools {
        if tool.get("type").and_then(Value::as_str) == Some("namespace") {
            let namespace = tool.get("name").and_then(Value::as_str).unwrap_or_default();
            for inner in entries(tool, "tools") {
                out.extend(tool_name(inner).map(|name| qualified(namespace, &name)));
            }
        } else {
            out.extend(tool_name(tool));
        }
    }
}

/// Keeps the granted tools of a `tools` array; a namespace keeps its granted tools and goes when
/// none is left.
fn retain(tools: &mut Vec<Value>, granted: &[String]) {
    for tool in tools.iter_mut() {
        if tool.get("type").and_then(Value::as_str) != Some("namespace") {
            continue;
        }
        let namespace = tool
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        if let Some(Value::Array(inner)) = tool.get_mut("tools") {
            retain_named(inner, granted, &|tool| {
                tool_name(tool).map(|name| qualified(&namespace, &name))
            });
        }
    }
    tools.retain(|tool| {
        if tool.get("type").and_then(Value::as_str) == Some("namespace") {
            tool.get("tools")
                .and_then(Value::as_array)
                .is_some_and(|inner| !inner.is_empty())
        } else {
            tool_name(tool).is_none_or(|name| granted.contains(&name))
        }
    });
}

fn search_outputs(body: &mut Value) -> impl Iterator<Item = &mut Vec<Value>> {
    body.get_mut("input")
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
        .filter(|item| item.get("type").and_then(Value::as_str) == Some("tool_search_output"))
        .filter_map(|item| item.get_mut("tools").and_then(Value::as_array_mut))
}

/// See [`super::Api::filter_request`].
pub fn filter_request(body: &mut Value, grant: &mut Grant<'_>) -> Option<Vec<String>> {
    let mut available = Vec::new();
    if let Some(tools) = body.get("tools").and_then(Value::as_array) {
        names(tools, &mut available);
    }
    for tools in search_outputs(body) {
        names(tools, &mut available);
    }
    if let Some(instructions) = body.get("instructions") {
        available.extend(super::deferred::names_in(instructions));
    }
    available.dedup();
    let granted = grant(&available)?;
    if let Some(Value::Array(tools)) = body.get_mut("tools") {
        retain(tools, &granted);
    }
    for tools in search_outputs(body) {
        retain(tools, &granted);
    }
    drop_ungranted_choice(body, &granted, |choice| choice.get("name"));
    if let Some(instructions) = body.get_mut("instructions") {
        super::deferred::remove_in(instructions, &granted);
    }
    Some(granted)
}

/// The tool and arguments of an output item that is a call the runtime would run.
fn call_of(item: &Value) -> Option<(String, Value)> {
    let kind = item.get("type").and_then(Value::as_str)?;
    let text = |key: &str| {
        item.get(key)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    match kind {
        "function_call" => {
            let name = text("name");
            let name = match item.get("namespace").and_then(Value::as_str) {
                Some(namespace) => qualified(namespace, &name),
                None => name,
            };
            Some((name, parse_arguments(&text("arguments"))))
        }
        "custom_tool_call" => Some((text("name"), json!({"input": text("input")}))),
        "tool_search_call" => Some((
            "tool_search".to_owned(),
            item.get("arguments").cloned().unwrap_or(Value::Null),
        )),
        "local_shell_call" => {
            let action = item.get("action").cloned().unwrap_or(Value::Null);
            let words: Vec<&str> = action
                .get("command")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            Some((
                "local_shell".to_owned(),
                json!({"command": words.join(" "), "action": action}),
            ))
        }
        _ => None,
    }
}

/// The key a call is known by in both its streamed item and the final response.
fn call_key(item: &Value) -> Option<String> {
    item.get("call_id")
        .or_else(|| item.get("id"))
        .and_then(Value::as_str)
        .map(str::to_owned)
}

/// The message item that stands in for a refused call.
fn refusal_item(call: &Value, text: &str) -> Value {
    let id = format!("msg_aethelgard_{}", call_key(call).unwrap_or_default());
    json!({
        "type": "message",
        "id": id,
        "role": "assistant",
        "status": "completed",
        "content": [{"type": "output_text", "text": text, "annotations": []}],
    })
}

/// Replaces the refused calls of an `output` array; `decided` holds the refusals already made
/// for calls seen earlier in a stream (by [`call_key`]), so a call is never routed twice.
fn rewrite_output(
    output: &mut [Value],
    decided: &mut HashMap<String, Option<String>>,
    route: &mut Route<'_>,
) -> usize {
    let mut refused = 0;
    for item in output.iter_mut() {
        let Some((tool, arguments)) = call_of(item) else {
            continue;
        };
        let key = call_key(item).unwrap_or_default();
        let text = match decided.get(&key) {
            Some(text) => text.clone(),
            None => {
                let text = refusal(&tool, &route(&tool, arguments));
                decided.insert(key, text.clone());
                text
            }
        };
        if let Some(text) = text {
            *item = refusal_item(item, &text);
            refused += 1;
        }
    }
    refused
}

/// See [`super::Api::rewrite_answer`].
pub fn rewrite_answer(body: &mut Value, route: &mut Route<'_>) -> usize {
    match body.get_mut("output").and_then(Value::as_array_mut) {
        Some(output) => rewrite_output(output, &mut HashMap::new(), route),
        None => 0,
    }
}

/// See [`StreamRewriter`].
#[derive(Debug, Default)]
pub struct Stream {
    /// The events of calls not yet complete, by `output_index`.
    held: BTreeMap<u64, Vec<Value>>,
    /// The refusal (or `None`: allowed) of each call decided so far, by [`call_key`].
    decided: HashMap<String, Option<String>>,
    /// The next `sequence_number` to write.
    sequence: u64,
}

impl Stream {
    /// Writes one event, numbered in this stream's sequence when the upstream numbered it.
    fn emit(&mut self, mut data: Value) -> String {
        if let Some(object) = data.as_object_mut()
            && object.contains_key("sequence_number")
        {
            object.insert("sequence_number".to_owned(), json!(self.sequence));
            self.sequence += 1;
        }
        let name = data.get("type").and_then(Value::as_str).map(str::to_owned);
        sse::encode(name.as_deref(), &data)
    }

    /// The events that announce `item` (a finished message) at `output_index`.
    fn message_events(
        &mut self,
        output_index: u64,
        item: &Value,
        numbered: bool,
        text: &str,
    ) -> Vec<String> {
        let id = item.get("id").cloned().unwrap_or(Value::Null);
        let mut started = item.clone();
        if let Some(object) = started.as_object_mut() {
            object.insert("status".to_owned(), json!("in_progress"));
            object.insert("content".to_owned(), json!([]));
        }
        let part = json!({"type": "output_text", "text": text, "annotations": []});
        let empty_part = json!({"type": "output_text", "text": "", "annotations": []});
        let at = |extra: Value| {
            let mut event = json!({"output_index": output_index});
            if let (Some(event), Value::Object(extra)) = (event.as_object_mut(), extra) {
                event.extend(extra);
                if numbered {
                    event.insert("sequence_number".to_owned(), json!(0));
                }
            }
            event
        };
        let events = [
            at(json!({"type": "response.output_item.added", "item": started})),
            at(
                json!({"type": "response.content_part.added", "item_id": id, "content_index": 0, "part": empty_part}),
            ),
            at(
                json!({"type": "response.output_text.delta", "item_id": id, "content_index": 0, "delta": text}),
            ),
            at(
                json!({"type": "response.output_text.done", "item_id": id, "content_index": 0, "text": text}),
            ),
            at(
                json!({"type": "response.content_part.done", "item_id": id, "content_index": 0, "part": part}),
            ),
            at(json!({"type": "response.output_item.done", "item": item})),
        ];
        events.into_iter().map(|event| self.emit(event)).collect()
    }

    /// A held call is complete: send it, or its refusal in its place.
    fn release(&mut self, output_index: u64, done: Value, route: &mut Route<'_>) -> Vec<String> {
        let held = self.held.remove(&output_index).unwrap_or_default();
        let item = done.get("item").cloned().unwrap_or(Value::Null);
        let Some((tool, arguments)) = call_of(&item) else {
            let mut out: Vec<String> = held.into_iter().map(|event| self.emit(event)).collect();
            out.push(self.emit(done));
            return out;
        };
        let text = refusal(&tool, &route(&tool, arguments));
        self.decided
            .insert(call_key(&item).unwrap_or_default(), text.clone());
        match text {
            None => {
                let mut out: Vec<String> = held.into_iter().map(|event| self.emit(event)).collect();
                out.push(self.emit(done));
                out
            }
            Some(text) => {
                let numbered = done.get("sequence_number").is_some();
                self.message_events(output_index, &refusal_item(&item, &text), numbered, &text)
            }
        }
    }
}

impl StreamRewriter for Stream {
    fn event(&mut self, event: sse::Event, route: &mut Route<'_>) -> Vec<String> {
        let Some(data) = event.json() else {
            return vec![event.raw];
        };
        let kind = data
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let output_index = data.get("output_index").and_then(Value::as_u64);
        match (kind.as_str(), output_index) {
            ("response.output_item.added", Some(index))
                if data.get("item").and_then(call_of).is_some() =>
            {
                self.held.insert(index, vec![data]);
                Vec::new()
            }
            ("response.output_item.done", Some(index))
                if data.get("item").and_then(call_of).is_some() =>
            {
                self.release(index, data, route)
            }
            (_, Some(index)) if self.held.contains_key(&index) => {
                if let Some(held) = self.held.get_mut(&index) {
                    held.push(data);
                }
                Vec::new()
            }
            (
                "response.completed" | "response.done" | "response.incomplete" | "response.failed",
                _,
            ) => {
                // A call that never finished is not sent: it cannot be decided whole.
                self.held.clear();
                let mut data = data;
                if let Some(output) = data
                    .get_mut("response")
                    .and_then(|response| response.get_mut("output"))
                    .and_then(Value::as_array_mut)
                {
                    let mut decided = std::mem::take(&mut self.decided);
                    rewrite_output(output, &mut decided, route);
                    self.decided = decided;
                }
                vec![self.emit(data)]
            }
            _ if data.get("sequence_number").is_some() => vec![self.emit(data)],
            _ => vec![event.raw],
        }
    }

    fn finish(&mut self, _route: &mut Route<'_>) -> Vec<String> {
        // Calls whose `output_item.done` never came are incomplete: nothing to run.
        self.held.clear();
        Vec::new()
    }
}

#[cfg(test)]
#[path = "responses_tests.rs"]
mod tests;
