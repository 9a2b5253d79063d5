//! Aethelgard's own session JSONL (DESIGN.md section 3): one session record a line, checked
//! line by line so a bad record names its line.

use super::lines::{describe, json_lines};
use super::{ImportError, Imported};
use aethelgard_protocol::SessionRecord;

const EXPECTED: &str =
    "a session record (a JSON object with `session`, `task`, `tools` and `calls` of `{\"tool\", \"args\", \"decision\"}`)";

pub(crate) fn import(text: &str, file: &str) -> Result<Imported, ImportError> {
    let mut warnings = Vec::new();
    let mut sessions = Vec::new();
    for line in json_lines(text, file, EXPECTED, &mut warnings)? {
        let invalid = |found: String| ImportError::Line { file: file.to_owned(), line: line.number, expected: EXPECTED.to_owned(), found };
        if !line.value.is_object() {
            return Err(invalid(describe(&line.value)));
        }
        let record: SessionRecord = serde_json::from_value(line.value).map_err(|e| invalid(format!("a record that does not fit ({e})")))?;
        if record.session.trim().is_empty() {
            return Err(invalid("a record with an empty `session` id".to_owned()));
        }
        if let Some(position) = record.calls.iter().position(|call| call.tool.trim().is_empty()) {
            return Err(invalid(format!("call {} with an empty `tool` name", position + 1)));
        }
        sessions.push(record);
    }
    Ok(Imported { sessions, warnings })
}
