//! `aethelgard import FORMAT PATH...`: what agents already log, into the audit store or into
//! session JSONL.

use aethelgard_audit::import::{self, Format, Imported};
use aethelgard_audit::{AuditStore, Event, Filter, Redactor, SqliteStore, events_of};
use aethelgard_protocol::{DecisionKind, SessionRecord};
use anyhow::Context;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

const EXAMPLES: &str = "\
Examples, one per format:
  aethelgard import codex-rollout ~/.codex/sessions
  aethelgard import claude-transcript ~/.claude/projects
  aethelgard import openclaw ~/.openclaw/agents/main/agent/openclaw-agent.sqlite
  aethelgard import codex-otel otel-logs.jsonl --out sessions.jsonl
  aethelgard import sessions gym-sessions.jsonl

A folder is searched, subfolders included, for the format's files: rollout-*.jsonl for Codex,
*.jsonl for Claude Code, *.sqlite and *.jsonl for OpenClaw. A session already imported into the
store (same session id) is skipped, so importing a folder again adds only the new sessions.
What each format holds, and what it cannot tell: docs/import.md.";

/// Import what agents already log: their sessions, tool calls, and which calls were blocked.
///
/// Reads Codex rollouts and OpenTelemetry logs, Claude Code transcripts, OpenClaw transcript
/// events, or session JSONL, and records each session (task, calls with their arguments and
/// output, and the runtime's own decision: a hook's or policy's block, or allow) in the audit
/// store, where `report`, `audit export` and the learning layer find it. Secrets in tasks,
/// arguments and outputs are redacted before they are stored, with the policy's `[audit]`
/// patterns. With --out the sessions are written as session JSONL instead and the store is not
/// touched.
#[derive(Debug, clap::Args)]
#[command(after_long_help = EXAMPLES)]
pub struct Args {
    /// What the files are.
    #[arg(value_enum)]
    pub format: FormatArg,
    /// Files or folders to import.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Write session JSONL to this file (`-` for stdout) instead of recording into the store.
    #[arg(long, value_name = "FILE")]
    pub out: Option<String>,
    /// The audit store (default: the policy's `[audit] store`, else $AETHELGARD_AUDIT_DB, else
    /// ~/.local/share/aethelgard/audit.db).
    #[arg(long, value_name = "PATH")]
    pub audit_db: Option<PathBuf>,
    /// The policy whose `[audit]` section names the store and the redaction patterns.
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
}

/// The formats, as the command line names them.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum FormatArg {
    /// Codex session rollouts: $CODEX_HOME/sessions/YYYY/MM/DD/rollout-*.jsonl.
    CodexRollout,
    /// Claude Code transcripts: ~/.claude/projects/<project>/<session>.jsonl.
    ClaudeTranscript,
    /// OpenClaw's agent database (openclaw-agent.sqlite), or a JSONL dump of its
    /// transcript_events rows.
    Openclaw,
    /// Codex OpenTelemetry logs as OTLP JSON, one export request a line ([otel] log_user_prompt =
    /// true records the tasks).
    CodexOtel,
    /// Session JSONL, as `aethelgard audit export` writes it.
    Sessions,
}

impl FormatArg {
    fn format(self) -> Format {
        match self {
            FormatArg::CodexRollout => Format::CodexRollout,
            FormatArg::ClaudeTranscript => Format::ClaudeTranscript,
            FormatArg::Openclaw => Format::Openclaw,
            FormatArg::CodexOtel => Format::CodexOtel,
            FormatArg::Sessions => Format::Sessions,
        }
    }
}

pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let format = args.format.format();
    let mut imported = Imported::default();
    let mut files = 0usize;
    for path in &args.paths {
        for file in import::files_of(format, path)? {
            imported.absorb(import::import_file(format, &file)?);
            files += 1;
        }
    }
    for warning in &imported.warnings {
        eprintln!("aethelgard: warning: {warning}");
    }
    let (into, skipped) = match args.out.as_deref() {
        Some(out) => (write_jsonl(out, &imported.sessions)?, 0),
        None => record(args, format, &mut imported.sessions)?,
    };
    let calls: usize = imported.sessions.iter().map(|s| s.calls.len()).sum();
    let blocked = imported.sessions.iter().flat_map(|s| &s.calls).filter(|c| c.decision == Some(DecisionKind::Block)).count();
    let skipped = if skipped > 0 { format!("; skipped {skipped} already in the store") } else { String::new() };
    eprintln!(
        "imported {} {}, {calls} {} ({blocked} blocked) from {files} {} into {into}{skipped}",
        imported.sessions.len(),
        plural(imported.sessions.len(), "session", "sessions"),
        plural(calls, "call", "calls"),
        plural(files, "file", "files"),
    );
    Ok(ExitCode::SUCCESS)
}

fn plural(n: usize, one: &'static str, many: &'static str) -> &'static str {
    if n == 1 { one } else { many }
}

/// Writes session JSONL; returns where it went, for the summary.
fn write_jsonl(out: &str, sessions: &[SessionRecord]) -> anyhow::Result<String> {
    let mut text = String::new();
    for session in sessions {
        text.push_str(&serde_json::to_string(session)?);
        text.push('\n');
    }
    if out == "-" {
        let mut stdout = std::io::stdout().lock();
        stdout.write_all(text.as_bytes())?;
        stdout.flush()?;
        return Ok("stdout".to_owned());
    }
    std::fs::write(out, text).with_context(|| format!("cannot write `{out}`"))?;
    Ok(out.to_owned())
}

/// Records the sessions in the store, redacted, skipping those an earlier import already
/// recorded; `sessions` keeps only what was recorded. Returns the store's path and how many
/// sessions were skipped.
fn record(args: &Args, format: Format, sessions: &mut Vec<SessionRecord>) -> anyhow::Result<(String, usize)> {
    let settings = crate::audit::settings_of_policy(args.policy.as_deref());
    let mut store = crate::audit::open(args.audit_db.as_deref(), settings.as_ref())?;
    let redactor = match &settings {
        Some(settings) => {
            let extra: Vec<(String, String)> = settings.redact.iter().map(|r| (r.name.clone(), r.pattern.clone())).collect();
            Redactor::new(settings.redact_builtin, &extra)?
        }
        None => Redactor::new(true, &[])?,
    };
    let source = format!("import:{format}");
    let mut recorded = Vec::with_capacity(sessions.len());
    let mut skipped = 0;
    for mut session in std::mem::take(sessions) {
        if already_imported(&store, &session.session)? {
            skipped += 1;
            eprintln!("aethelgard: skipped session `{}`: the store already holds it from an earlier import", session.session);
            continue;
        }
        redact(&redactor, &mut session);
        store.append(&events_of(&session, Some(&source)))?;
        recorded.push(session);
    }
    *sessions = recorded;
    Ok((store.path().display().to_string(), skipped))
}

/// Whether the store already holds this session as a whole: its start, or calls an import
/// recorded. Calls a hook recorded live (same session id, no start) do not count, so a governed
/// session's own log can still be imported to add its task and the calls the hook did not see.
fn already_imported(store: &SqliteStore, session: &str) -> anyhow::Result<bool> {
    let entries = store.entries(&Filter { session: Some(session.to_owned()), ..Filter::default() })?;
    Ok(entries.iter().any(|entry| match &entry.event {
        Event::SessionStart(_) => true,
        Event::ToolCall(call) => call.source.as_deref().is_some_and(|s| s.starts_with("import:")),
        Event::Outcome(_) => false,
    }))
}

/// Secrets leave the task, the arguments and the outputs before anything is hashed and stored.
fn redact(redactor: &Redactor, session: &mut SessionRecord) {
    if let Some(task) = redactor.redact_text(&session.task) {
        session.task = task;
    }
    for call in &mut session.calls {
        redactor.redact(&mut call.args);
        for text in [&mut call.output, &mut call.reason].into_iter().flatten() {
            if let Some(redacted) = redactor.redact_text(text) {
                *text = redacted;
            }
        }
    }
}
