//! Opening the audit store and recording decisions into it: one place for the CLI, the hook and
//! the importers, so every command finds the same store the same way.

use aethelgard_audit::{AuditStore, CallEvent, Event, Receipt, Redactor, SqliteStore, Sync};
use aethelgard_policy::{AuditSection, AuditSync, FailMode};
use aethelgard_protocol::{Decision, DecisionKind, SessionCall, SessionRecord, ToolCall};
use anyhow::Context;
use std::path::{Path, PathBuf};

/// `--audit-db`, else the policy's `[audit] store`, else `$AETHELGARD_AUDIT_DB`, else the user's
/// data folder.
pub fn store_path(flag: Option<&Path>, settings: Option<&AuditSection>) -> anyhow::Result<PathBuf> {
    if let Some(path) = flag {
        return Ok(path.to_path_buf());
    }
    if let Some(store) = settings.and_then(|s| s.store.as_deref()) {
        return Ok(expand_home(store));
    }
    aethelgard_audit::default_path()
        .context("cannot find a data folder for the audit store; pass --audit-db or set AETHELGARD_AUDIT_DB")
}

fn expand_home(path: &str) -> PathBuf {
    match (path.strip_prefix("~/"), dirs::home_dir()) {
        (Some(rest), Some(home)) => home.join(rest),
        _ => PathBuf::from(path),
    }
}

/// The `[audit]` section of the policy in effect, for commands that read the store without
/// routing (a policy that fails to parse leaves the defaults).
pub fn settings_of_policy(flag: Option<&Path>) -> Option<AuditSection> {
    match crate::load::resolve(flag) {
        crate::load::Source::Builtin => None,
        crate::load::Source::File(path) => {
            let text = std::fs::read_to_string(&path).ok()?;
            let (file, _) = aethelgard_policy::parse_trusted(&text, &path.display().to_string(), path.parent()).ok()?;
            Some(file.audit)
        }
    }
}

/// Opens the store for reading and appending (created on first use).
pub fn open(flag: Option<&Path>, settings: Option<&AuditSection>) -> anyhow::Result<SqliteStore> {
    let path = store_path(flag, settings)?;
    let sync = match settings.map(|s| s.sync) {
        Some(AuditSync::Fast) => Sync::Fast,
        Some(AuditSync::Full) => Sync::Full,
        Some(AuditSync::Normal) | None => Sync::Normal,
    };
    Ok(SqliteStore::open(&path, sync)?)
}

/// Opens an existing store for reading, with a clear message when there is none yet.
pub fn open_existing(flag: Option<&Path>, settings: Option<&AuditSection>) -> anyhow::Result<SqliteStore> {
    let path = store_path(flag, settings)?;
    if !path.is_file() {
        anyhow::bail!(
            "there is no audit store at `{}` yet: nothing has been recorded (run `aethelgard route`, a hook, or `aethelgard import`), or pass --audit-db",
            path.display()
        );
    }
    Ok(SqliteStore::open_read_only(&path)?)
}

/// Records decisions as they are made.
pub struct Recorder {
    store: Box<dyn AuditStore + Send>,
    redactor: Redactor,
    source: String,
}

impl Recorder {
    /// A recorder for the store the flag and the policy name, or `None` when recording is off.
    pub fn open(flag: Option<&Path>, settings: &AuditSection, no_audit: bool, source: &str) -> anyhow::Result<Option<Self>> {
        if no_audit || !settings.enabled {
            return Ok(None);
        }
        let store = open(flag, Some(settings))?;
        let extra: Vec<(String, String)> = settings.redact.iter().map(|r| (r.name.clone(), r.pattern.clone())).collect();
        let redactor = Redactor::new(settings.redact_builtin, &extra)?;
        Ok(Some(Self { store: Box::new(store), redactor, source: source.to_owned() }))
    }

    /// Appends one decided call; returns once it is durable.
    pub fn record(&mut self, call: &ToolCall, decision: &Decision) -> anyhow::Result<Receipt> {
        let event = self.event(call, decision);
        let receipts = self.store.append(std::slice::from_ref(&event))?;
        receipts.into_iter().next().context("the store acknowledged no entry")
    }

    /// Appends other events (session starts) and then many decided calls, in one transaction.
    pub fn record_batch_with(&mut self, first: &[Event], decided: &[(ToolCall, Decision)]) -> anyhow::Result<Vec<Receipt>> {
        let mut events = first.to_vec();
        events.extend(decided.iter().map(|(call, decision)| self.event(call, decision)));
        Ok(self.store.append(&events)?)
    }

    fn event(&self, call: &ToolCall, decision: &Decision) -> Event {
        let mut args = call.args.clone();
        self.redactor.redact(&mut args);
        Event::ToolCall(CallEvent {
            session: call.session.clone(),
            call: SessionCall {
                decision: Some(decision.decision),
                stage: Some(decision.stage),
                rule: decision.rule.clone(),
                score: Some(decision.score),
                reason: Some(decision.reason.clone()),
                ..SessionCall::new(call.tool.clone(), args)
            },
            latency_us: Some(decision.latency_us),
            source: Some(self.source.clone()),
        })
    }
}

/// Every session in the audit store that `--audit-db` or the policy names, and the store's path.
/// Not filtered by the time an entry was recorded: an imported session is recorded long after it
/// ran.
pub fn sessions_in_store(audit_db: Option<&Path>, policy: Option<&Path>) -> anyhow::Result<(Vec<SessionRecord>, PathBuf)> {
    let settings = settings_of_policy(policy);
    let path = store_path(audit_db, settings.as_ref())?;
    let store = open_existing(Some(&path), settings.as_ref())?;
    let entries = store.entries(&aethelgard_audit::Filter::default())?;
    Ok((aethelgard_audit::sessions_of(&entries), path))
}

/// Every session in a session JSONL file, its warnings printed; a bad line is an error naming the
/// file and the line.
pub fn sessions_in_file(file: &Path) -> anyhow::Result<Vec<SessionRecord>> {
    let imported = aethelgard_audit::import::import_file(aethelgard_audit::import::Format::Sessions, file)?;
    for warning in &imported.warnings {
        eprintln!("warning: {warning}");
    }
    Ok(imported.sessions)
}

/// The one rule for a call whose decision the audit store could not record, used by the daemon,
/// the hook and the proxies alike. Under a policy that fails closed (`fail_mode = "closed"`, the
/// default) the call is blocked with rule `audit.unavailable`: nothing unaudited runs, and an
/// escalation is blocked too, since the person who approves it would approve an unaudited call.
/// Under `fail_mode = "open"` the decision stands; the caller warns that it went unrecorded.
pub fn unrecorded(mode: FailMode, decision: Decision, error: &str) -> Decision {
    let what = match (mode, decision.decision) {
        (FailMode::Open, _) | (_, DecisionKind::Block) => return decision,
        (FailMode::Closed, DecisionKind::Allow) => "allowed",
        (FailMode::Closed, DecisionKind::Escalate) => "escalated",
    };
    Decision {
        latency_us: decision.latency_us,
        ..Decision::refused(
            "audit.unavailable",
            format!("the call was {what} but cannot be recorded in the audit log ({error}); refusing an unaudited action"),
        )
    }
}

#[cfg(test)]
#[path = "audit_tests.rs"]
mod tests;
