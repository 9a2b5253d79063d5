//! Codex session rollouts (`$CODEX_HOME/sessions/YYYY/MM/DD/rollout-<time>-<thread id>.jsonl`).
//!
//! Every line is `{"timestamp", "type", "payload"}`. The first is `session_meta` (the thread id
//! and when it started); `response_item` lines carry what went to and came from the model:
//! messages, and tool calls (`function_call`, `custom_tool_call`, `local_shell_call`,
//! `tool_search_call`, hosted `web_search_call`) followed by their outputs (`*_output`, matched
//! by `call_id`). Codex writes a refusal into the output the model reads, so a block is
//! recognised from that text (see [`denial_of`]).

use super::calls::{Calls, Denial};
use super::lines::{arguments_of, describe, json_lines, str_at, text_of};
use super::{ImportError, Imported};
use aethelgard_protocol::{SessionCall, SessionRecord};
use serde_json::Value;

const EXPECTED: &str = "a Codex rollout item (a JSON object with `type` and `payload`)";

/// Texts Codex puts in front of a hook's reason when a PreToolUse hook denies
/// (`core/src/hook_runtime.rs`: "Command blocked by PreToolUse hook: {reason}. Command: {command}"
/// for shell and patch calls, "Tool call blocked by ...: {reason}. Tool: {name}" otherwise).
const HOOK_PREFIXES: [(&str, &str); 2] = [
    ("Command blocked by PreToolUse hook: ", ". Command: "),
    ("Tool call blocked by PreToolUse hook: ", ". Tool: "),
];

/// Parts of the user messages Codex writes itself (environment, AGENTS.md, permissions, skills):
/// the task is the first user text that is none of them.
const INJECTED_PREFIXES: [&str; 10] = [
    "<environment_context>",
    "<user_instructions>",
    "# AGENTS.md instructions",
    "<permissions instructions>",
    "<skills_instructions>",
    "<user_shell_command>",
    "<turn_aborted>",
    "<subagent_notification>",
    "<INSTRUCTIONS>",
    "<collaboration_mode>",
];

pub(crate) fn import(text: &str, file: &str) -> Result<Imported, ImportError> {
    let mut warnings = Vec::new();
    let lines = json_lines(text, file, EXPECTED, &mut warnings)?;
    if lines.is_empty() {
        return Ok(Imported { sessions: Vec::new(), warnings });
    }
    let mut record = SessionRecord { source: Some("codex".to_owned()), ..SessionRecord::default() };
    let mut calls = Calls::default();
    for line in &lines {
        let (Some(kind), Some(payload)) = (line.value.get("type").and_then(Value::as_str), line.value.get("payload"))
        else {
            return Err(ImportError::Line {
                file: file.to_owned(),
                line: line.number,
                expected: EXPECTED.to_owned(),
                found: describe(&line.value),
            });
        };
        let at = str_at(&line.value, "timestamp");
        match kind {
            "session_meta" if record.session.is_empty() => {
                record.session = str_at(payload, "id").or_else(|| str_at(payload, "session_id")).unwrap_or_default().to_owned();
                record.started_at = str_at(payload, "timestamp").or(at).map(str::to_owned);
            }
            "event_msg" if record.task.is_empty() => {
                if let Some(task) = task_of_event(payload) {
                    record.task = task;
                }
            }
            "response_item" => response_item(payload, at, &mut record, &mut calls, &mut warnings, file, line.number),
            _ => {}
        }
    }
    if record.session.is_empty() {
        record.session = session_of_file_name(file);
        warnings.push(format!(
            "`{file}` has no `session_meta` line: the session id `{}` was taken from the file name",
            record.session
        ));
    }
    record.calls = calls.into_vec();
    Ok(Imported { sessions: vec![record], warnings })
}

fn response_item(
    item: &Value,
    at: Option<&str>,
    record: &mut SessionRecord,
    calls: &mut Calls,
    warnings: &mut Vec<String>,
    file: &str,
    number: usize,
) {
    let kind = item.get("type").and_then(Value::as_str).unwrap_or_default();
    if kind == "message" {
        if record.task.is_empty() && item.get("role").and_then(Value::as_str) == Some("user") {
            record.task = user_text(item);
        }
        return;
    }
    let call_id = str_at(item, "call_id");
    if let Some(tool) = kind.strip_suffix("_call") {
        let call = SessionCall {
            at: at.map(str::to_owned),
            ..SessionCall::new(tool_name(item, tool), arguments(item, kind))
        };
        calls.push(call_id, call);
    } else if kind.ends_with("_output")
        && let Some(id) = call_id
    {
        let output = text_of(item.get("output").or_else(|| item.get("tools")).unwrap_or(&Value::Null));
        let command = calls.get_mut(id).and_then(|call| command_of(&call.args));
        let denial = denial_of(&output, command.as_deref());
        if !calls.complete(id, output, denial) {
            warnings.push(format!("`{file}` line {number}: an output for call `{id}`, which the rollout never made; skipped"));
        }
    }
}

/// The tool's name: `name` (joined to its MCP `namespace` when Codex splits them), else the item
/// type without `_call` (`local_shell`, `web_search`, `tool_search`).
fn tool_name(item: &Value, from_type: &str) -> String {
    match str_at(item, "name") {
        Some(name) => qualified_name(name, str_at(item, "namespace")),
        None => from_type.to_owned(),
    }
}

/// A tool name with its namespace, as hooks and policies name it: built-in tools (namespace
/// `functions`, or none) keep their name; MCP tools become `mcp__<server>__<tool>`.
pub(crate) fn qualified_name(name: &str, namespace: Option<&str>) -> String {
    match namespace {
        Some(namespace) if !name.starts_with(namespace) && namespace != "functions" => {
            if namespace.ends_with("__") { format!("{namespace}{name}") } else { format!("{namespace}__{name}") }
        }
        _ => name.to_owned(),
    }
}

/// The call's arguments: a function call's JSON `arguments` string parsed; a custom tool's free
/// text `input` (apply_patch's patch) kept whole as `{"input": ...}`; a shell or hosted call's
/// `action`.
fn arguments(item: &Value, kind: &str) -> Value {
    match kind {
        "custom_tool_call" => serde_json::json!({ "input": item.get("input").cloned().unwrap_or(Value::Null) }),
        _ => match item.get("arguments") {
            Some(arguments) => arguments_of(Some(arguments), "arguments"),
            None => arguments_of(item.get("action"), "action"),
        },
    }
}

/// The command a hook saw for this call, which Codex repeats after the reason in a denial.
fn command_of(args: &Value) -> Option<String> {
    ["cmd", "command", "input"].iter().find_map(|key| match args.get(*key)? {
        Value::String(text) => Some(text.clone()),
        Value::Array(words) => Some(words.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(" ")),
        _ => None,
    })
}

/// Recognises the refusals Codex writes into a tool's output: a PreToolUse hook's deny, its own
/// exec policy (`rejected: blocked by policy`), and a user's rejection of an approval prompt.
/// Anything else, a failed command included, is an allowed call.
pub(crate) fn denial_of(output: &str, command: Option<&str>) -> Option<Denial> {
    for (prefix, separator) in HOOK_PREFIXES {
        if let Some(rest) = output.strip_prefix(prefix) {
            let suffix = command.map(|c| format!("{separator}{c}"));
            let reason = suffix
                .as_deref()
                .and_then(|s| rest.strip_suffix(s))
                .or_else(|| rest.rsplit_once(separator).map(|(reason, _)| reason))
                .unwrap_or(rest);
            return Some(Denial { rule: "hook:PreToolUse".to_owned(), reason: reason.to_owned() });
        }
    }
    if output.contains("rejected: blocked by policy") {
        return Some(Denial { rule: "codex:policy".to_owned(), reason: output.trim().to_owned() });
    }
    if output.starts_with("exec command rejected by user") || output.starts_with("patch rejected by user") {
        return Some(Denial { rule: "codex:user".to_owned(), reason: output.trim().to_owned() });
    }
    None
}

/// The text of a user message, without the parts Codex injects. Newer Codex marks each part's
/// provenance (`harness` for its own); older rollouts are recognised by the parts' openings.
fn user_text(item: &Value) -> String {
    let provenance: Vec<Option<&str>> = item
        .pointer("/internal_chat_message_metadata_passthrough/content_item_metadata")
        .and_then(Value::as_array)
        .map(|parts| parts.iter().map(|m| m.pointer("/provenance/type").and_then(Value::as_str)).collect())
        .unwrap_or_default();
    let Some(parts) = item.get("content").and_then(Value::as_array) else {
        return item.get("content").and_then(Value::as_str).map(str::to_owned).unwrap_or_default();
    };
    let texts: Vec<&str> = parts
        .iter()
        .enumerate()
        .filter(|(i, _)| provenance.get(*i).copied().flatten() != Some("harness"))
        .filter_map(|(_, part)| part.get("text").and_then(Value::as_str))
        .filter(|text| !is_injected(text))
        .collect();
    texts.join("\n").trim().to_owned()
}

fn is_injected(text: &str) -> bool {
    let text = text.trim_start();
    INJECTED_PREFIXES.iter().any(|prefix| text.starts_with(prefix))
}

/// The user's prompt from an event: older Codex logs `user_message` events holding exactly what
/// the user typed.
fn task_of_event(payload: &Value) -> Option<String> {
    match payload.get("type").and_then(Value::as_str)? {
        "user_message" => str_at(payload, "message").filter(|m| !is_injected(m)).map(|m| m.trim().to_owned()),
        _ => None,
    }
}

/// `rollout-2026-11-21T05-59-46-<uuid>.jsonl` -> `<uuid>`; else the file stem.
fn session_of_file_name(file: &str) -> String {
    let stem = std::path::Path::new(file).file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    // The thread id is the last 36 characters (a UUID) of the stem.
    let chars: Vec<char> = stem.chars().collect();
    match chars.len().checked_sub(36) {
        Some(start) if start > 0 => chars.get(start..).map(|c| c.iter().collect()).unwrap_or(stem),
        _ => stem,
    }
}
