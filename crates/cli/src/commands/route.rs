//! `aethelgard route`: JSONL tool calls in, one decision per line out, same order.
//!
//! Decisions are recorded in batches: lines already waiting in the input buffer are judged
//! together and committed in one transaction, and their output lines are printed only after the
//! commit, so every decision the caller has read is in the log. When the input pauses (an
//! interactive pipe), the batch so far is committed and printed at once.

use crate::audit::Recorder;
use aethelgard_audit::{Event, SessionStart};
use aethelgard_protocol::{Decision, ToolCall};
use anyhow::Context;
use std::collections::HashSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::ExitCode;

/// Most decisions held back before a commit.
const BATCH: usize = 512;

/// How calls without a `granted` list are scoped.
pub struct Scoping<'a> {
    /// Scope calls that carry a `task` or `task_type` but no `granted` with the governor.
    pub enabled: bool,
    /// A learned policy (layer 2) for the governor; implies `enabled`.
    pub learned: Option<&'a Path>,
}

pub fn run(policy: Option<&Path>, input: &str, no_audit: bool, audit_db: Option<&Path>, scoping: &Scoping<'_>) -> anyhow::Result<ExitCode> {
    let router = crate::load::router(policy).context("cannot load the policy")?;
    let governor = if scoping.enabled || scoping.learned.is_some() {
        Some(crate::load::governor(policy, scoping.learned).context("cannot load the governor for --scope")?)
    } else {
        None
    };
    let mut recorder = Recorder::open(audit_db, router.audit_settings(), no_audit, "route")?;
    let reader: Box<dyn Read> = if input == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        Box::new(std::fs::File::open(input).with_context(|| format!("cannot open `{input}`"))?)
    };
    let mut reader = BufReader::new(reader);
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut sessions = Sessions::new();
    let mut pending: Vec<(ToolCall, Decision)> = Vec::new();
    let mut line = Vec::new();
    let mut number = 0usize;
    loop {
        line.clear();
        let read = reader.read_until(b'\n', &mut line).with_context(|| format!("cannot read `{input}`"))?;
        if read == 0 {
            break;
        }
        number += 1;
        let (call, decision) = match serde_json::from_slice::<ToolCall>(trim(&line)) {
            Ok(mut call) => {
                if let Some(governor) = &governor {
                    scope(governor, &mut call);
                }
                let decision = router.route(&call);
                (call, decision)
            }
            Err(error) => (malformed_call(), malformed(number, &error)),
        };
        pending.push((call, decision));
        if pending.len() >= BATCH || reader.buffer().is_empty() {
            commit(&mut recorder, &mut sessions, &mut pending, &mut out)?;
        }
    }
    commit(&mut recorder, &mut sessions, &mut pending, &mut out)?;
    Ok(ExitCode::SUCCESS)
}

/// Gives a call with a task but no manifest the governor's manifest for that task: the policy's
/// catalog plus the called tool are the tools available. A task the governor cannot scope (an
/// unknown `task_type`) gets an empty manifest, so the call is refused as not granted.
fn scope(governor: &aethelgard_governor::Governor, call: &mut ToolCall) {
    if call.granted.is_some() || (call.task.is_none() && call.task_type.is_none()) {
        return;
    }
    let mut available: Vec<String> = governor.catalog().tools().iter().map(|tool| tool.name.clone()).collect();
    if !available.contains(&call.tool) {
        available.push(call.tool.clone());
    }
    let granted = governor
        .scope(call.task.as_deref(), call.task_type.as_deref(), Some(&available))
        .map(|scoped| scoped.manifest.granted)
        .unwrap_or_default();
    call.granted = Some(granted);
}

/// Records the pending decisions (when recording), then prints them.
fn commit(
    recorder: &mut Option<Recorder>,
    sessions: &mut Sessions,
    pending: &mut Vec<(ToolCall, Decision)>,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    if pending.is_empty() {
        return Ok(());
    }
    if let Some(recorder) = recorder {
        for (call, _) in pending.iter_mut() {
            sessions.assign(call);
        }
        let starts = sessions.take_starts();
        recorder.record_batch_with(&starts, pending).context("cannot record decisions in the audit log")?;
    }
    for (_, decision) in pending.drain(..) {
        serde_json::to_writer(&mut *out, &decision)?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(())
}

/// Session bookkeeping for the log: calls without a session belong to this run's session, and
/// the first call that names a task opens its session with a start record.
struct Sessions {
    run_id: String,
    started: HashSet<String>,
    starts: Vec<Event>,
}

impl Sessions {
    fn new() -> Self {
        let run_id = format!("route-{}-{}", aethelgard_audit::time::now_ms(), std::process::id());
        Self { run_id, started: HashSet::new(), starts: Vec::new() }
    }

    fn assign(&mut self, call: &mut ToolCall) {
        let session = call.session.get_or_insert_with(|| self.run_id.clone()).clone();
        if self.started.contains(&session) || (call.task.is_none() && call.task_type.is_none() && call.granted.is_none()) {
            return;
        }
        self.started.insert(session.clone());
        self.starts.push(Event::SessionStart(SessionStart {
            session,
            task: call.task.clone().unwrap_or_default(),
            task_type: call.task_type.clone(),
            source: Some("route".to_owned()),
            granted: call.granted.clone(),
            ..SessionStart::default()
        }));
    }

    fn take_starts(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.starts)
    }
}

fn trim(line: &[u8]) -> &[u8] {
    let end = line.iter().rposition(|b| !b.is_ascii_whitespace()).map_or(0, |i| i + 1);
    line.get(..end).unwrap_or(&[])
}

/// The placeholder call a malformed line is recorded as.
fn malformed_call() -> ToolCall {
    ToolCall::new("(malformed input)", serde_json::Value::Object(serde_json::Map::new()))
}

/// A line that is not a tool call is refused, not skipped: the output stays aligned with the input.
fn malformed(number: usize, error: &serde_json::Error) -> Decision {
    Decision::refused(
        "input.malformed",
        format!("line {number} is not a tool call (expected {{\"tool\": \"name\", \"args\": {{...}}}}): {error}"),
    )
}
