//! The demo's layers 1, 3 and 4: the built-in scenarios (`data/scenarios/demo.jsonl`, agent
//! sessions with their attempted calls and no decisions) are scoped by the governor, judged call
//! by call by the router, recorded in a fresh audit store, verified, tampered with in a copy to show what `audit verify` finds, and
//! reported with the metrics, in the terminal and as `report.html`.

use aethelgard_audit::import::{import_text, Format};
use aethelgard_audit::report::{self, Options};
use aethelgard_audit::{events_of, sessions_of, time, AuditStore, Filter, Redactor, SqliteStore, Sync};
use aethelgard_protocol::{DecisionKind, SessionRecord, ToolCall};
use aethelgard_router::Router;
use anyhow::Context;
use std::path::{Path, PathBuf};

const SCENARIOS: &str = include_str!("../../../../data/scenarios/demo.jsonl");

/// Seconds between the calls of a scenario: the file gives each session a start time only.
const CALL_SPACING_MS: i64 = 20_000;

/// What the audit part of the demo produced.
pub struct Outcome {
    pub sessions: usize,
    pub calls: usize,
    pub blocked: usize,
    pub escalated: usize,
    pub store: PathBuf,
    pub entries: u64,
    pub head: String,
    /// The entry edited in the tampered copy, and what `verify` said about the copy.
    pub tampered: (u64, Option<(u64, String)>),
    pub html: PathBuf,
    pub terminal: String,
    /// Layer 1: how the scenarios were scoped.
    pub scoping: super::demo_governor::Outcome,
}

pub fn run(router: &Router, workspace: &str, out: &Path) -> anyhow::Result<Outcome> {
    let mut sessions = import_text(Format::Sessions, SCENARIOS, "data/scenarios/demo.jsonl")?.sessions;
    let governor = aethelgard_governor::Governor::builtin()?;
    let scoping = super::demo_governor::scope(&governor, &mut sessions)?;
    let (mut blocked, mut escalated, mut calls) = (0, 0, 0);
    for session in &mut sessions {
        judge(router, workspace, session);
        for call in &session.calls {
            calls += 1;
            match call.decision {
                Some(DecisionKind::Block) => blocked += 1,
                Some(DecisionKind::Escalate) => escalated += 1,
                _ => {}
            }
        }
    }

    let store_path = out.join("audit.db");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", store_path.display()));
    }
    let redactor = Redactor::new(true, &[])?;
    {
        let mut store = SqliteStore::open(&store_path, Sync::Normal)?;
        for session in &mut sessions {
            for call in &mut session.calls {
                redactor.redact(&mut call.args);
            }
            store.append(&events_of(session, Some("demo")))?;
        }
    }
    let store = SqliteStore::open_read_only(&store_path)?;
    let verification = store.verify()?;
    anyhow::ensure!(verification.is_intact(), "the demo's own audit log does not verify: {:?}", verification.first_bad);
    let recorded = sessions_of(&store.entries(&Filter::default())?);
    drop(store);
    let tampered = tamper_copy(&store_path, out)?;

    let options = Options {
        title: "Aethelgard demo: the built-in scenarios".to_owned(),
        source: Some(format!("{} (data/scenarios/demo.jsonl, judged by the built-in policy)", store_path.display())),
        ..Options::default()
    };
    let html_path = out.join("report.html");
    std::fs::write(&html_path, report::html(&recorded, &options)).with_context(|| format!("cannot write `{}`", html_path.display()))?;
    Ok(Outcome {
        sessions: recorded.len(),
        calls,
        blocked,
        escalated,
        store: store_path,
        entries: verification.checked,
        head: verification.head,
        tampered,
        html: html_path,
        terminal: report::terminal(&recorded, &options),
        scoping,
    })
}

/// Routes every call of the session and writes the decision into it, with a time.
fn judge(router: &Router, workspace: &str, session: &mut SessionRecord) {
    let start_ms = session.started_at.as_deref().and_then(time::parse_ms).unwrap_or(0);
    let mut at_ms = start_ms;
    for call in &mut session.calls {
        let request = ToolCall {
            tool: call.tool.clone(),
            args: call.args.clone(),
            task: Some(session.task.clone()),
            task_type: session.task_type.clone(),
            session: Some(session.session.clone()),
            cwd: Some(workspace.to_owned()),
            granted: session.granted.clone(),
            context: None,
            untrusted: None,
        };
        let decision = router.route(&request);
        at_ms += CALL_SPACING_MS;
        call.decision = Some(decision.decision);
        call.stage = Some(decision.stage);
        call.rule = decision.rule;
        call.score = Some(decision.score);
        call.reason = Some(decision.reason);
        call.at = Some(time::rfc3339(at_ms));
    }
}

/// Copies the store, edits one recorded block in the copy as an intruder covering their tracks
/// would (turning it into an allow), and verifies the copy.
fn tamper_copy(store: &Path, out: &Path) -> anyhow::Result<(u64, Option<(u64, String)>)> {
    let copy = out.join("audit-tampered.db");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", copy.display()));
    }
    std::fs::copy(store, &copy).with_context(|| format!("cannot copy `{}`", store.display()))?;
    let raw = rusqlite::Connection::open(&copy)?;
    let target: u64 = raw
        .query_row(
            "SELECT seq FROM entries WHERE kind = 'tool_call' AND body LIKE '%\"decision\":\"block\"%' ORDER BY seq LIMIT 1",
            [],
            |row| row.get::<_, i64>(0),
        )
        .map(|seq| u64::try_from(seq).unwrap_or(0))?;
    raw.execute_batch(&format!(
        "DROP TRIGGER entries_no_update;
         UPDATE entries SET body = replace(body, '\"decision\":\"block\"', '\"decision\":\"allow\"') WHERE seq = {target};"
    ))?;
    drop(raw);
    let verification = SqliteStore::open_read_only(&copy)?.verify()?;
    Ok((target, verification.first_bad))
}
