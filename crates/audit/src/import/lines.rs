//! Reading JSONL the way agents write it: one JSON value a line, blank lines ignored, and a last
//! line that may still be half-written while the agent runs.

use super::ImportError;
use serde_json::Value;

/// One parsed line and where it was.
#[derive(Debug)]
pub(crate) struct Line {
    /// 1-based line number in the file.
    pub number: usize,
    pub value: Value,
}

/// Parses every non-blank line of `text`.
///
/// A last line that is not valid JSON and has no newline after it is a record the agent has not
/// finished writing (a live session): it is skipped with a warning instead of failing the whole
/// file. Invalid JSON anywhere else is an error naming the line and `expected`.
pub(crate) fn json_lines(
    text: &str,
    file: &str,
    expected: &str,
    warnings: &mut Vec<String>,
) -> Result<Vec<Line>, ImportError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let last_number = text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()).map(|(i, _)| i + 1).last();
    let unterminated = !text.ends_with('\n');
    let mut lines = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let number = index + 1;
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            continue;
        }
        match serde_json::from_str::<Value>(trimmed) {
            Ok(value) => lines.push(Line { number, value }),
            Err(_) if unterminated && Some(number) == last_number => {
                warnings.push(format!(
                    "`{file}` line {number}: skipped a half-written last line (the agent may still be writing this log)"
                ));
            }
            Err(error) => {
                return Err(ImportError::Line {
                    file: file.to_owned(),
                    line: number,
                    expected: expected.to_owned(),
                    found: format!("invalid JSON ({error}): {}", snippet(trimmed)),
                });
            }
        }
    }
    Ok(lines)
}

/// A short description of a JSON value for error messages: its kind and a glimpse of it.
pub(crate) fn describe(value: &Value) -> String {
    match value {
        Value::Object(map) => {
            let keys: Vec<String> = map.keys().take(6).map(|k| format!("`{k}`")).collect();
            if keys.is_empty() {
                "an empty object".to_owned()
            } else {
                format!("an object with {}{}", keys.join(", "), if map.len() > 6 { ", ..." } else { "" })
            }
        }
        Value::Array(items) => format!("an array of {} items", items.len()),
        Value::String(text) => format!("the string {}", snippet(&format!("{text:?}"))),
        Value::Number(n) => format!("the number {n}"),
        Value::Bool(b) => format!("`{b}`"),
        Value::Null => "`null`".to_owned(),
    }
}

/// At most 60 characters of `text`, marked when cut.
pub(crate) fn snippet(text: &str) -> String {
    let mut chars = text.chars();
    let head: String = chars.by_ref().take(60).collect();
    if chars.next().is_some() { format!("{head}...") } else { head }
}

/// The text of a tool output or message content, whatever shape the runtime gave it: a string,
/// an array of parts (`{"type": "text", "text": ...}`, `input_text`, `output_text`), or an object
/// holding `text`, `content` or `output`. Other values are kept as compact JSON so nothing the
/// log held is lost.
pub(crate) fn text_of(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Array(items) => {
            let parts: Vec<String> = items.iter().map(text_of).filter(|t| !t.is_empty()).collect();
            parts.join("\n")
        }
        Value::Object(map) => ["text", "content", "output"]
            .iter()
            .find_map(|key| map.get(*key))
            .map_or_else(|| value.to_string(), text_of),
        Value::Null => String::new(),
        Value::Bool(_) | Value::Number(_) => value.to_string(),
    }
}

/// The string at `key`, if it is a non-empty string.
pub(crate) fn str_at<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    value.get(key).and_then(Value::as_str).filter(|s| !s.is_empty())
}

/// Tool arguments from a value that may be an object or a JSON-encoded string: objects pass
/// through; a string holding JSON is parsed; any other string is kept whole under `raw_key`.
pub(crate) fn arguments_of(value: Option<&Value>, raw_key: &str) -> Value {
    match value {
        None | Some(Value::Null) => Value::Object(serde_json::Map::new()),
        Some(Value::String(text)) if text.trim().is_empty() => Value::Object(serde_json::Map::new()),
        Some(Value::String(text)) => match serde_json::from_str::<Value>(text) {
            Ok(parsed @ Value::Object(_)) => parsed,
            _ => serde_json::json!({ raw_key: text }),
        },
        Some(other) => other.clone(),
    }
}
