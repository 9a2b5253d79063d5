//! OpenAI Chat Completions (`POST /v1/chat/completions`), as OpenAI and every OpenAI-compatible
//! server speak it (OpenClaw's `openai-completions` provider among the runtimes).
//!
//! Tools are `tools[].function.name` (and the legacy `functions[].name`); calls are
//! `choices[].message.tool_calls[]` with `arguments` as a JSON string. A refused call is removed
//! from `tool_calls` and its refusal appended to the message's `content`; with no call left,
//! `finish_reason` becomes `stop`. In a stream, a call's deltas are held until its choice
//! finishes (only then are its arguments known to be complete), the kept calls are re-indexed
//! from 0, and each refusal goes out as a content delta.

use super::{
    Grant, Route, StreamRewriter, deferred, drop_ungranted_choice, entries, parse_arguments,
    refusal, retain_named, sse,
};
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, BTreeSet};

fn tool_name(tool: &Value) -> Option<String> {
    let kind = tool
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("function");
    tool.get(kind)
        .and_then(|inner| inner.get("name"))
        .or_else(|| tool.get("name"))
        .and_then(Value::as_str)
        .map(str::to_owned)
}

fn legacy_name(function: &Value) -> Option<String> {
    function
        .get("name")
        .and_then(Value::as_str)
        .map(str::to_owned)
}

/// See [`super::Api::filter_request`].
pub fn filter_request(body: &mut Value, grant: &mut Grant<'_>) -> Option<Vec<String>> {
    let mut available: Vec<String> = Vec::new();
    available.extend(entries(body, "tools").filter_map(tool_name));
    available.extend(entries(body, "functions").filter_map(legacy_name));
    if let Some(messages) = body.get("messages") {
        available.extend(deferred::names_in(messages));
    }
    // OpenClaw names each tool twice (in `tools` and in its prompt's list).
    let mut seen = BTreeSet::new();
    available.retain(|name| seen.insert(name.clone()));
    let granted = grant(&available)?;
    let Some(object) = body.as_object_mut() else {
        return Some(granted);
    };
    for (key, name_of) in [
        ("tools", &tool_name as &dyn Fn(&Value) -> Option<String>),
        ("functions", &legacy_name),
    ] {
        let Some(Value::Array(array)) = object.get_mut(key) else {
            continue;
        };
        retain_named(array, &granted, name_of);
        // OpenAI refuses an empty `tools` array, and `tool_choice` or `parallel_tool_calls`
        // without tools.
        if array.is_empty() {
            object.remove(key);
            object.remove("tool_choice");
            object.remove("parallel_tool_calls");
            object.remove("function_call");
        }
    }
    drop_ungranted_choice(body, &granted, |choice| choice.get("function")?.get("name"));
    if let Some(messages) = body.get_mut("messages") {
        deferred::remove_in(messages, &granted);
    }
    Some(granted)
}

/// The text a message gets with `refusals` appended.
fn with_refusals(content: Option<&Value>, refusals: &[String]) -> Value {
    let mut text = content
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    for refusal in refusals {
        if !text.is_empty() {
            text.push_str("\n\n");
        }
        text.push_str(refusal);
    }
    Value::String(text)
}

/// See [`super::Api::rewrite_answer`].
pub fn rewrite_answer(body: &mut Value, route: &mut Route<'_>) -> usize {
    let mut refused = 0;
    for choice in body
        .get_mut("choices")
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
    {
        let Some(message) = choice.get_mut("message").and_then(Value::as_object_mut) else {
            continue;
        };
        let mut refusals = Vec::new();
        let mut had_calls = false;
        let mut kept_calls = 0;
        if let Some(Value::Array(calls)) = message.get_mut("tool_calls") {
            had_calls = !calls.is_empty();
            calls.retain(|call| {
                let function = call.get("function").unwrap_or(&Value::Null);
                let name = function
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                let arguments = function
                    .get("arguments")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                match refusal(name, &route(name, parse_arguments(arguments))) {
                    Some(text) => {
                        refusals.push(text);
                        false
                    }
                    None => true,
                }
            });
            kept_calls = calls.len();
            if calls.is_empty() {
                message.remove("tool_calls");
            }
        }
        if let Some(function) = message.get("function_call") {
            had_calls = true;
            let name = function
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            let arguments = function
                .get("arguments")
                .and_then(Value::as_str)
                .unwrap_or_default();
            match refusal(&name, &route(&name, parse_arguments(arguments))) {
                Some(text) => {
                    refusals.push(text);
                    message.remove("function_call");
                }
                None => kept_calls += 1,
            }
        }
        if refusals.is_empty() {
            continue;
        }
        refused += refusals.len();
        let content = with_refusals(message.get("content"), &refusals);
        message.insert("content".to_owned(), content);
        if had_calls
            && kept_calls == 0
            && let Some(object) = choice.as_object_mut()
        {
            object.insert("finish_reason".to_owned(), json!("stop"));
        }
    }
    refused
}

/// A streamed call, as its deltas add up.
#[derive(Debug, Default)]
struct HeldCall {
    id: Option<Value>,
    kind: Option<Value>,
    name: String,
    arguments: String,
}

/// See [`StreamRewriter`].
#[derive(Debug, Default)]
pub struct Stream {
    /// Calls held per choice index, by their upstream index.
    held: BTreeMap<u64, BTreeMap<u64, HeldCall>>,
    /// The last chunk's envelope (`id`, `model`, ...), for the chunks the proxy writes itself.
    envelope: Map<String, Value>,
    /// Whether an event used `data:` only (OpenAI) or named events.
    name: Option<String>,
    /// The choices whose content has text so far: a refusal is set off from that text by a
    /// blank line, and otherwise starts the content.
    texted: BTreeSet<u64>,
}

impl Stream {
    fn chunk(&self, choice: Value) -> String {
        let mut chunk = self.envelope.clone();
        chunk.insert("choices".to_owned(), json!([choice]));
        sse::encode(self.name.as_deref(), &Value::Object(chunk))
    }

    /// Decides the held calls of one choice: the chunks to send (kept calls re-indexed from 0,
    /// refusals as content), and whether any call was kept.
    fn release(&mut self, index: u64, route: &mut Route<'_>) -> (Vec<String>, Option<bool>) {
        let Some(calls) = self.held.remove(&index) else {
            return (Vec::new(), None);
        };
        let mut kept = Vec::new();
        let mut out = Vec::new();
        for call in calls.into_values() {
            match refusal(
                &call.name,
                &route(&call.name, parse_arguments(&call.arguments)),
            ) {
                Some(text) => {
                    let separator = if self.texted.insert(index) {
                        ""
                    } else {
                        "\n\n"
                    };
                    out.push(self.chunk(json!({
                        "index": index,
                        "delta": {"role": "assistant", "content": format!("{separator}{text}")},
                        "finish_reason": null,
                    })));
                }
                None => {
                    let mut delta = Map::new();
                    delta.insert("index".to_owned(), json!(kept.len()));
                    if let Some(id) = call.id {
                        delta.insert("id".to_owned(), id);
                    }
                    delta.insert(
                        "type".to_owned(),
                        call.kind.unwrap_or_else(|| json!("function")),
                    );
                    delta.insert(
                        "function".to_owned(),
                        json!({"name": call.name, "arguments": call.arguments}),
                    );
                    kept.push(Value::Object(delta));
                }
            }
        }
        let any_kept = !kept.is_empty();
        if any_kept {
            out.insert(
                0,
                self.chunk(json!({
                    "index": index,
                    "delta": {"role": "assistant", "tool_calls": kept},
                    "finish_reason": null,
                })),
            );
        }
        (out, Some(any_kept))
    }

    /// Takes the tool-call deltas out of one choice, holding them.
    fn hold(&mut self, index: u64, delta: &mut Map<String, Value>) {
        let Some(Value::Array(calls)) = delta.remove("tool_calls") else {
            return;
        };
        let held = self.held.entry(index).or_default();
        for call in calls {
            let call_index = call.get("index").and_then(Value::as_u64).unwrap_or(0);
            let entry = held.entry(call_index).or_default();
            if let Some(id) = call.get("id").filter(|id| !id.is_null()) {
                entry.id = Some(id.clone());
            }
            if let Some(kind) = call.get("type").filter(|kind| !kind.is_null()) {
                entry.kind = Some(kind.clone());
            }
            if let Some(function) = call.get("function") {
                if let Some(name) = function.get("name").and_then(Value::as_str) {
                    entry.name.push_str(name);
                }
                if let Some(arguments) = function.get("arguments").and_then(Value::as_str) {
                    entry.arguments.push_str(arguments);
                }
            }
        }
    }
}

impl StreamRewriter for Stream {
    fn event(&mut self, event: sse::Event, route: &mut Route<'_>) -> Vec<String> {
        if event.data.trim() == "[DONE]" {
            let mut out = self.finish(route);
            out.push(event.raw);
            return out;
        }
        let Some(Value::Object(mut chunk)) = event.json() else {
            return vec![event.raw];
        };
        let Some(Value::Array(choices)) = chunk.remove("choices") else {
            return vec![event.raw];
        };
        for choice in &choices {
            let texted = choice
                .get("delta")
                .and_then(|delta| delta.get("content"))
                .and_then(Value::as_str)
                .is_some_and(|text| !text.is_empty());
            if texted {
                self.texted
                    .insert(choice.get("index").and_then(Value::as_u64).unwrap_or(0));
            }
        }
        let holds_calls = choices.iter().any(|choice| {
            choice
                .get("delta")
                .and_then(|delta| delta.get("tool_calls"))
                .is_some()
                || choice
                    .get("finish_reason")
                    .is_some_and(|reason| !reason.is_null())
        });
        if !holds_calls {
            return vec![event.raw];
        }
        self.name = event.name;
        self.envelope = chunk.clone();
        self.envelope.remove("usage");
        let mut out = Vec::new();
        let mut passed = Vec::new();
        for mut choice in choices {
            let index = choice.get("index").and_then(Value::as_u64).unwrap_or(0);
            if let Some(Value::Object(delta)) = choice.get_mut("delta") {
                self.hold(index, delta);
            }
            let finishing = choice
                .get("finish_reason")
                .is_some_and(|reason| !reason.is_null());
            if finishing {
                let (released, kept) = self.release(index, route);
                out.extend(released);
                if kept == Some(false)
                    && choice.get("finish_reason") == Some(&json!("tool_calls"))
                    && let Some(object) = choice.as_object_mut()
                {
                    object.insert("finish_reason".to_owned(), json!("stop"));
                }
            }
            let empty = choice
                .get("delta")
                .and_then(Value::as_object)
                .is_none_or(|delta| {
                    delta.values().all(Value::is_null) || delta.keys().all(|k| k == "role")
                });
            if !finishing && empty {
                continue;
            }
            passed.push(choice);
        }
        if !passed.is_empty() || chunk.get("usage").is_some_and(|usage| !usage.is_null()) {
            chunk.insert("choices".to_owned(), Value::Array(passed));
            out.push(sse::encode(self.name.as_deref(), &Value::Object(chunk)));
        }
        out
    }

    fn finish(&mut self, route: &mut Route<'_>) -> Vec<String> {
        let indices: Vec<u64> = self.held.keys().copied().collect();
        indices
            .into_iter()
            .flat_map(|index| self.release(index, route).0)
            .collect()
    }
}

#[cfg(test)]
#[path = "chat_tests.rs"]
mod tests;
