//! Codex OpenTelemetry log events, as an OTLP/HTTP JSON collector receives them: one export
//! request (`{"resourceLogs": [{"scopeLogs": [{"logRecords": [...]}]}]}`) a line, or a single
//! JSON document.
//!
//! Attribute names as Codex 0.169.0 really sends them (captured, see
//! `tests/fixtures/codex/otel_logs.jsonl`): every record carries `event.name`,
//! `event.timestamp` and `conversation.id`; `codex.user_prompt` has `prompt` (`[REDACTED]`
//! unless `log_user_prompt = true`); `codex.tool_decision` has `tool_name`, `tool_namespace`,
//! `call_id`, `decision` (`approved`, `denied`, ...) and `source` (`Config`, `User`, ...);
//! `codex.tool_result` has `tool_name`, `tool_namespace`, `call_id`, `arguments`, `output`,
//! `success`, `duration_ms`. A call a PreToolUse hook denies leaves neither a decision nor a
//! result in these logs, so hook blocks cannot be recovered from them (the rollout has them).

use super::calls::Calls;
use super::codex_rollout::qualified_name;
use super::lines::{arguments_of, describe, json_lines, Line};
use super::{ImportError, Imported};
use aethelgard_protocol::{DecisionKind, SessionCall, SessionRecord};
use serde_json::Value;
use std::collections::HashMap;

const EXPECTED: &str = "an OTLP JSON export request (a JSON object with `resourceLogs`)";

/// One conversation being assembled.
#[derive(Default)]
struct Session {
    record: SessionRecord,
    calls: Calls,
}

pub(crate) fn import(text: &str, file: &str) -> Result<Imported, ImportError> {
    let mut warnings = Vec::new();
    // A single (possibly pretty-printed) document, else one request a line.
    let requests = match serde_json::from_str::<Value>(text) {
        Ok(Value::Array(items)) => items.into_iter().map(|value| Line { number: 1, value }).collect(),
        Ok(value) => vec![Line { number: 1, value }],
        Err(_) => json_lines(text, file, EXPECTED, &mut warnings)?,
    };
    let mut order: Vec<Session> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut redacted = false;
    let mut other_signals = 0usize;
    for request in &requests {
        let Some(resource_logs) = request.value.get("resourceLogs").and_then(Value::as_array) else {
            if request.value.get("resourceSpans").is_some() || request.value.get("resourceMetrics").is_some() {
                other_signals += 1;
                continue;
            }
            return Err(ImportError::Line {
                file: file.to_owned(),
                line: request.number,
                expected: EXPECTED.to_owned(),
                found: describe(&request.value),
            });
        };
        let records = resource_logs
            .iter()
            .flat_map(|r| r.get("scopeLogs").and_then(Value::as_array).into_iter().flatten())
            .flat_map(|s| s.get("logRecords").and_then(Value::as_array).into_iter().flatten());
        for record in records {
            let attributes = attributes_of(record);
            let get = |key: &str| attributes.get(key).map(String::as_str).filter(|v| !v.is_empty());
            let Some(event) = get("event.name").filter(|e| e.starts_with("codex.")) else { continue };
            let Some(conversation) = get("conversation.id") else { continue };
            let slot = *index.entry(conversation.to_owned()).or_insert_with(|| {
                order.push(Session {
                    record: SessionRecord {
                        session: conversation.to_owned(),
                        source: Some("codex".to_owned()),
                        ..SessionRecord::default()
                    },
                    calls: Calls::default(),
                });
                order.len() - 1
            });
            let Some(session) = order.get_mut(slot) else { continue };
            let at = get("event.timestamp").map(str::to_owned).or_else(|| time_of(record));
            if session.record.started_at.is_none() || event == "codex.conversation_starts" {
                session.record.started_at.clone_from(&at);
            }
            match event {
                "codex.user_prompt" if session.record.task.is_empty() => match get("prompt") {
                    Some("[REDACTED]") => redacted = true,
                    Some(prompt) => session.record.task = prompt.to_owned(),
                    None => {}
                },
                "codex.tool_decision" | "codex.tool_result" => {
                    let Some(call_id) = get("call_id") else {
                        warnings.push(format!("`{file}`: a `{event}` event without `call_id`; skipped"));
                        continue;
                    };
                    let tool = qualified_name(get("tool_name").unwrap_or("unknown"), get("tool_namespace"));
                    session.calls.push(Some(call_id), SessionCall { at, ..SessionCall::new(tool, Value::Object(serde_json::Map::new())) });
                    let Some(call) = session.calls.get_mut(call_id) else { continue };
                    if event == "codex.tool_result" {
                        call.args = arguments_of(attributes.get("arguments").map(|a| Value::String(a.clone())).as_ref(), "arguments");
                        call.output = attributes.get("output").cloned();
                    } else if let Some(decision) = get("decision") {
                        decide(call, decision, get("source"));
                    }
                }
                _ => {}
            }
        }
    }
    if redacted {
        warnings.push(format!(
            "`{file}`: Codex logged the prompts as `[REDACTED]`, so the tasks are empty; set `[otel] log_user_prompt = true` in Codex's config.toml to record them"
        ));
    }
    if other_signals > 0 {
        warnings.push(format!("`{file}`: skipped {other_signals} trace or metric export requests (only logs carry tool calls)"));
    }
    let sessions = order.into_iter().map(|s| SessionRecord { calls: s.calls.into_vec(), ..s.record }).collect();
    Ok(Imported { sessions, warnings })
}

/// Applies a `codex.tool_decision`: an approval leaves the call allowed, anything else
/// (`denied`, `abort`, `timed_out`) blocks it, named after who decided.
fn decide(call: &mut SessionCall, decision: &str, source: Option<&str>) {
    if decision.starts_with("approved") {
        return;
    }
    let source = source.unwrap_or("unknown");
    call.decision = Some(DecisionKind::Block);
    call.rule = Some(format!("codex:{}", source.to_ascii_lowercase()));
    call.reason = Some(format!("{decision} by {source}"));
}

/// The record's attributes as text (OTLP JSON writes each value as `{"stringValue": ...}`,
/// `{"intValue": "12"}`, `{"boolValue": true}`, ...).
fn attributes_of(record: &Value) -> HashMap<String, String> {
    record
        .get("attributes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|kv| Some((kv.get("key")?.as_str()?.to_owned(), any_value(kv.get("value")?))))
        .collect()
}

fn any_value(value: &Value) -> String {
    let Some((_, inner)) = value.as_object().and_then(|m| m.iter().next()) else { return String::new() };
    match inner {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// The record's time when it has no `event.timestamp`: `timeUnixNano`, else
/// `observedTimeUnixNano` (Codex leaves the first at 0).
fn time_of(record: &Value) -> Option<String> {
    ["timeUnixNano", "observedTimeUnixNano"].iter().find_map(|key| {
        let nanos = match record.get(*key)? {
            Value::String(text) => text.parse::<i64>().ok()?,
            Value::Number(n) => n.as_i64()?,
            _ => return None,
        };
        (nanos > 0).then(|| crate::time::rfc3339(nanos / 1_000_000))
    })
}
