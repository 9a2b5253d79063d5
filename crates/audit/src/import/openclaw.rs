//! OpenClaw transcripts. OpenClaw keeps each agent's sessions in a SQLite database
//! (`<state dir>/agents/<agent>/agent/openclaw-agent.sqlite`), one row per transcript event in
//! `transcript_events (session_id, seq, event_json, ...)`; since 2026.9.6 a large event is stored
//! zstd-compressed in `event_zstd` with `event_json` NULL. Accepted here: that database, a JSONL
//! dump of its rows (`{"session_id", "seq", "event_json"}` a line), and the older one-file-per-
//! session JSONL whose lines are the events themselves.
//!
//! The events follow the pi agent format: `{"type": "session", "id", "timestamp"}` opens a
//! session; `{"type": "message", "message": {...}}` carries a user message, an assistant message
//! whose `toolCall` blocks (`id`, `name`, `arguments`) are the calls, or a `toolResult` message
//! (`toolCallId`, `content`, `isError`, `details`) answering one. A `before_tool_call` plugin
//! hook that blocks leaves `details: {"status": "blocked", "deniedReason", "reason"}` on the
//! result (all checked against a real OpenClaw 2026.9.6 database). From a database, the tools
//! offered come from the system prompt report OpenClaw keeps per conversation.

use super::calls::{Calls, Denial};
use super::lines::{arguments_of, describe, json_lines, snippet, str_at, text_of};
use super::{ImportError, Imported};
use aethelgard_protocol::{SessionCall, SessionRecord};
use rusqlite::{Connection, OpenFlags};
use serde_json::Value;
use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

/// The first bytes of every SQLite database file.
pub(crate) const SQLITE_HEADER: &[u8] = b"SQLite format 3\0";

const EXPECTED: &str = "an OpenClaw transcript row (a JSON object with `session_id`, `seq` and `event_json`) or event (a JSON object with `type`)";

/// A decompressed event larger than this is refused: it protects the importer, not the data
/// (OpenClaw itself refuses compressed events over 4 MiB).
const MAX_EVENT_BYTES: u64 = 64 * 1024 * 1024;

/// One transcript event as stored, before it is parsed.
struct Row {
    session: String,
    seq: i64,
    /// The event's JSON text, or why there is none.
    event: Result<String, String>,
}

/// Imports a JSONL dump of `transcript_events` rows, or a session file of bare events.
pub(crate) fn import_rows(text: &str, file: &str) -> Result<Imported, ImportError> {
    let mut warnings = Vec::new();
    let lines = json_lines(text, file, EXPECTED, &mut warnings)?;
    let file_session = std::path::Path::new(file).file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let mut rows = Vec::new();
    let mut bare_session: Option<String> = None;
    for line in lines {
        let value = line.value;
        if let (Some(session), Some(seq)) = (str_at(&value, "session_id"), value.get("seq").and_then(Value::as_i64)) {
            let event = match value.get("event_json") {
                Some(Value::String(text)) => Ok(text.clone()),
                Some(Value::Object(_)) => Ok(value.get("event_json").map(Value::to_string).unwrap_or_default()),
                _ if value.get("event_zstd").is_some_and(|z| !z.is_null()) => {
                    Err("the event is zstd-compressed (`event_zstd`), which a JSONL dump cannot carry; import the database itself".to_owned())
                }
                _ => Err("the row has no `event_json`".to_owned()),
            };
            rows.push(Row { session: session.to_owned(), seq, event });
        } else if value.get("type").and_then(Value::as_str).is_some() {
            // A bare event of a legacy session file: the `session` event names the session.
            if value.get("type").and_then(Value::as_str) == Some("session") && bare_session.is_none() {
                bare_session = str_at(&value, "id").map(str::to_owned);
            }
            let session = bare_session.clone().unwrap_or_else(|| file_session.clone());
            let seq = i64::try_from(line.number).unwrap_or(i64::MAX);
            rows.push(Row { session, seq, event: Ok(value.to_string()) });
        } else {
            return Err(ImportError::Line {
                file: file.to_owned(),
                line: line.number,
                expected: EXPECTED.to_owned(),
                found: describe(&value),
            });
        }
    }
    let mut imported = sessions_of_rows(rows, file);
    warnings.append(&mut imported.warnings);
    imported.warnings = warnings;
    Ok(imported)
}

/// Imports every session of an OpenClaw agent database, opened read-only (OpenClaw may be
/// writing it).
pub(crate) fn import_database(path: &Path, file: &str) -> Result<Imported, ImportError> {
    let database = |e: rusqlite::Error| ImportError::Database { file: file.to_owned(), message: e.to_string() };
    let connection =
        Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX).map_err(database)?;
    let _ = connection.busy_timeout(std::time::Duration::from_secs(3));
    let columns: Vec<String> = connection
        .prepare("SELECT name FROM pragma_table_info('transcript_events')")
        .and_then(|mut statement| statement.query_map([], |row| row.get(0))?.collect())
        .map_err(database)?;
    if columns.is_empty() {
        return Err(ImportError::Database { file: file.to_owned(), message: "it has no `transcript_events` table".to_owned() });
    }
    let compressed = if columns.iter().any(|c| c == "event_zstd") { "event_zstd" } else { "NULL" };
    let query = format!("SELECT session_id, seq, event_json, {compressed} FROM transcript_events ORDER BY session_id, seq");
    let mut statement = connection.prepare(&query).map_err(database)?;
    let rows = statement
        .query_map([], |row| {
            let session: String = row.get(0)?;
            let seq: i64 = row.get(1)?;
            let json: Option<String> = row.get(2)?;
            let zstd: Option<Vec<u8>> = row.get(3)?;
            let event = match (json, zstd) {
                (Some(json), _) => Ok(json),
                (None, Some(bytes)) => decompress(&bytes),
                (None, None) => Err("the row has neither `event_json` nor `event_zstd`".to_owned()),
            };
            Ok(Row { session, seq, event })
        })
        .and_then(Iterator::collect::<Result<Vec<Row>, _>>)
        .map_err(database)?;
    let mut imported = sessions_of_rows(rows, file);
    // Row order is by session id; sessions read better in the order they started.
    imported.sessions.sort_by(|a, b| a.started_at.cmp(&b.started_at));
    let offered = tools_offered(&connection);
    for session in &mut imported.sessions {
        if let Some(tools) = offered.get(&session.session) {
            session.tools.clone_from(tools);
        }
    }
    Ok(imported)
}

/// The tools sent to the model, per session, from the report OpenClaw keeps of the system prompt
/// it built (`session_nodes.entry_json` -> `systemPromptReport.tools.entries[].name`). OpenClaw
/// keeps it for each conversation's current session only; older sessions get no tool list. A
/// database without it (older versions) gives none.
fn tools_offered(connection: &Connection) -> HashMap<String, Vec<String>> {
    let entries: Vec<String> = connection
        .prepare("SELECT entry_json FROM session_nodes")
        .and_then(|mut statement| statement.query_map([], |row| row.get(0))?.collect())
        .unwrap_or_default();
    entries
        .iter()
        .filter_map(|text| serde_json::from_str::<Value>(text).ok())
        .filter_map(|entry| {
            let report = entry.get("systemPromptReport")?;
            let session = str_at(report, "sessionId").or_else(|| str_at(&entry, "sessionId"))?.to_owned();
            let names: Vec<String> = report
                .pointer("/tools/entries")?
                .as_array()?
                .iter()
                .filter_map(|tool| str_at(tool, "name").map(str::to_owned))
                .collect();
            Some((session, names))
        })
        .collect()
}

fn decompress(bytes: &[u8]) -> Result<String, String> {
    let decoder = ruzstd::decoding::StreamingDecoder::new(bytes).map_err(|e| format!("the compressed event cannot be read: {e}"))?;
    let mut text = String::new();
    decoder
        .take(MAX_EVENT_BYTES)
        .read_to_string(&mut text)
        .map_err(|e| format!("the compressed event cannot be read: {e}"))?;
    Ok(text)
}

/// One session being assembled.
struct Session {
    record: SessionRecord,
    calls: Calls,
}

/// Session records from rows: grouped by session in order of first appearance, each session's
/// events in `seq` order. An event that cannot be read is skipped with a warning, so one damaged
/// row does not lose the rest of a database.
fn sessions_of_rows(mut rows: Vec<Row>, file: &str) -> Imported {
    let mut first_seen: HashMap<String, usize> = HashMap::new();
    for (position, row) in rows.iter().enumerate() {
        first_seen.entry(row.session.clone()).or_insert(position);
    }
    rows.sort_by_key(|row| (first_seen.get(&row.session).copied().unwrap_or(usize::MAX), row.seq));
    let mut warnings = Vec::new();
    let mut sessions: Vec<Session> = Vec::new();
    for row in rows {
        if sessions.last().is_none_or(|s| s.record.session != row.session) {
            sessions.push(Session {
                record: SessionRecord { session: row.session.clone(), source: Some("openclaw".to_owned()), ..SessionRecord::default() },
                calls: Calls::default(),
            });
        }
        let Some(session) = sessions.last_mut() else { continue };
        let event = match row.event.and_then(|text| {
            serde_json::from_str::<Value>(&text).map_err(|e| format!("`event_json` is not valid JSON ({e}): {}", snippet(&text)))
        }) {
            Ok(event) => event,
            Err(why) => {
                warnings.push(format!("`{file}` session `{}` event {}: {why}; skipped", row.session, row.seq));
                continue;
            }
        };
        apply(&event, session, &mut warnings, file, row.seq);
    }
    let sessions = sessions.into_iter().map(|s| SessionRecord { calls: s.calls.into_vec(), ..s.record }).collect();
    Imported { sessions, warnings }
}

fn apply(event: &Value, session: &mut Session, warnings: &mut Vec<String>, file: &str, seq: i64) {
    let at = str_at(event, "timestamp");
    if session.record.started_at.is_none() {
        session.record.started_at = at.map(str::to_owned);
    }
    if event.get("type").and_then(Value::as_str) != Some("message") {
        return;
    }
    let Some(message) = event.get("message") else { return };
    match message.get("role").and_then(Value::as_str) {
        Some("user") if session.record.task.is_empty() => {
            session.record.task = text_of(message.get("content").unwrap_or(&Value::Null)).trim().to_owned();
        }
        Some("assistant") => {
            for block in message.get("content").and_then(Value::as_array).into_iter().flatten() {
                if block.get("type").and_then(Value::as_str) == Some("toolCall") {
                    let tool = str_at(block, "name").unwrap_or("unknown");
                    let call =
                        SessionCall { at: at.map(str::to_owned), ..SessionCall::new(tool, arguments_of(block.get("arguments"), "arguments")) };
                    session.calls.push(str_at(block, "id"), call);
                }
            }
        }
        Some("toolResult") => {
            let Some(id) = str_at(message, "toolCallId") else { return };
            let output = text_of(message.get("content").unwrap_or(&Value::Null));
            let denial = denial_of(message.get("details"), &output);
            if !session.calls.complete(id, output, denial) {
                warnings.push(format!(
                    "`{file}` session `{}` event {seq}: a result for call `{id}`, which the transcript does not hold; skipped",
                    session.record.session
                ));
            }
        }
        _ => {}
    }
}

/// A call OpenClaw refused: its result's `details` say `status: "blocked"` (a `before_tool_call`
/// hook returned `{block: true, blockReason}`; `deniedReason` names who refused), or `denied`
/// (an approval that was refused).
pub(crate) fn denial_of(details: Option<&Value>, output: &str) -> Option<Denial> {
    let details = details?;
    let status = str_at(details, "status")?;
    if !matches!(status, "blocked" | "denied" | "rejected") {
        return None;
    }
    let rule = str_at(details, "deniedReason").map_or_else(|| format!("openclaw:{status}"), |why| format!("openclaw:{why}"));
    let reason = str_at(details, "reason").map_or_else(|| output.trim().to_owned(), str::to_owned);
    Some(Denial { rule, reason })
}
