//! Between the log and session records: a session record becomes events to append, and the
//! events of a log become session records again (for `audit export`, reports and learning).

use crate::{CallEvent, Entry, Event, Outcome, SessionStart};
use aethelgard_protocol::SessionRecord;
use std::collections::HashMap;

/// The events that record a whole session: its start, each call, and its outcome when known.
pub fn events_of(record: &SessionRecord, source: Option<&str>) -> Vec<Event> {
    let mut events = Vec::with_capacity(record.calls.len() + 2);
    events.push(Event::SessionStart(SessionStart {
        session: record.session.clone(),
        task: record.task.clone(),
        task_type: record.task_type.clone(),
        source: record.source.clone().or_else(|| source.map(str::to_owned)),
        tools: record.tools.clone(),
        granted: record.granted.clone(),
        needed: record.needed.clone(),
        started_at: record.started_at.clone(),
    }));
    for call in &record.calls {
        events.push(Event::ToolCall(CallEvent {
            session: Some(record.session.clone()),
            call: call.clone(),
            latency_us: None,
            source: source.map(str::to_owned),
        }));
    }
    if record.success.is_some() {
        events.push(Event::Outcome(Outcome { session: record.session.clone(), success: record.success }));
    }
    events
}

/// Session records assembled from log entries, in the order each session first appears.
///
/// A session seen only through its calls (a hook knows the session id but not the task) gets an
/// empty task and no tool list. Calls recorded without a session are grouped per source under
/// `unsessioned:<source>`. Times the log recorded fill in `at` and `started_at` where the event
/// itself did not carry one.
pub fn sessions_of(entries: &[Entry]) -> Vec<SessionRecord> {
    let mut order: Vec<SessionRecord> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for entry in entries {
        let id = match &entry.event {
            Event::ToolCall(call) => call.session.clone().unwrap_or_else(|| {
                format!("unsessioned:{}", call.source.as_deref().unwrap_or("unknown"))
            }),
            other => other.session().unwrap_or_default().to_owned(),
        };
        let slot = *index.entry(id.clone()).or_insert_with(|| {
            order.push(SessionRecord {
                session: id,
                started_at: Some(crate::time::rfc3339(entry.at_ms)),
                ..SessionRecord::default()
            });
            order.len() - 1
        });
        let Some(record) = order.get_mut(slot) else { continue };
        match &entry.event {
            Event::SessionStart(start) => {
                record.task.clone_from(&start.task);
                record.task_type.clone_from(&start.task_type);
                record.source.clone_from(&start.source);
                record.tools.clone_from(&start.tools);
                record.granted.clone_from(&start.granted);
                record.needed.clone_from(&start.needed);
                if start.started_at.is_some() {
                    record.started_at.clone_from(&start.started_at);
                }
            }
            Event::ToolCall(call) => {
                let mut session_call = call.call.clone();
                if session_call.at.is_none() {
                    session_call.at = Some(crate::time::rfc3339(entry.at_ms));
                }
                if record.source.is_none() {
                    record.source.clone_from(&call.source);
                }
                record.calls.push(session_call);
            }
            Event::Outcome(outcome) => record.success = outcome.success,
        }
    }
    order
}
