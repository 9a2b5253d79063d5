//! `aethelgard audit`: check, read and export the audit log.

use aethelgard_audit::{sessions_of, AuditStore, Entry, Event, Filter};
use anyhow::Context;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Walk the hash chain and report the first entry that was edited, deleted, inserted or moved.
    ///
    /// Exits 0 when the log is intact, 1 when it is not. Deleting entries from the end leaves a
    /// valid shorter chain: anchor the head (`aethelgard audit head`) somewhere the agent cannot
    /// write, and pass it back with --expect-head to catch that too.
    ///
    /// Example: aethelgard audit verify --expect-head 'seq 1042 3f1a…'
    Verify {
        #[command(flatten)]
        store: StoreFlags,
        /// A head printed earlier by `audit head` ("seq N HASH" or just the hash): the log must
        /// still contain that entry, unchanged.
        #[arg(long, value_name = "HEAD")]
        expect_head: Option<String>,
    },
    /// Print the last entry's position and hash, to anchor elsewhere.
    Head {
        #[command(flatten)]
        store: StoreFlags,
    },
    /// Print entries, oldest first, one line each (or JSON lines with --json).
    ///
    /// Example: aethelgard audit log --since 2026-11-20 --session 4162e796
    Log {
        #[command(flatten)]
        store: StoreFlags,
        #[command(flatten)]
        range: RangeFlags,
        /// Only this session.
        #[arg(long)]
        session: Option<String>,
        /// Only blocked and escalated calls.
        #[arg(long)]
        denied: bool,
        /// Whole entries as JSON lines (seq, time, event, hashes).
        #[arg(long)]
        json: bool,
    },
    /// Export sessions as session JSONL (the format `import sessions` and `learn` read).
    ///
    /// --since / --until select whole sessions by when they started (their first call's time
    /// when the start is unknown), as `aethelgard report` does.
    ///
    /// Example: aethelgard audit export --since 2026-11-01 --task-type deploy --out deploy.jsonl
    Export {
        #[command(flatten)]
        store: StoreFlags,
        #[command(flatten)]
        range: RangeFlags,
        /// Only sessions of this task type.
        #[arg(long)]
        task_type: Option<String>,
        /// Output file; `-` (the default) is stdout.
        #[arg(long, default_value = "-")]
        out: String,
    },
}

/// Which store to read.
#[derive(Debug, clap::Args)]
pub struct StoreFlags {
    /// The audit store (default: the policy's `[audit] store`, else $AETHELGARD_AUDIT_DB, else
    /// ~/.local/share/aethelgard/audit.db).
    #[arg(long, value_name = "PATH")]
    audit_db: Option<PathBuf>,
    /// The policy whose `[audit] store` names the store.
    #[arg(long)]
    policy: Option<PathBuf>,
}

/// A time range: dates (`2026-11-20`, midnight UTC) or RFC 3339 times.
#[derive(Debug, clap::Args)]
pub struct RangeFlags {
    /// Only entries recorded at or after this time.
    #[arg(long, value_name = "TIME")]
    since: Option<String>,
    /// Only entries recorded before this time.
    #[arg(long, value_name = "TIME")]
    until: Option<String>,
}

impl RangeFlags {
    fn filter(&self) -> anyhow::Result<Filter> {
        Ok(Filter { since_ms: parse_time(self.since.as_deref(), "--since")?, until_ms: parse_time(self.until.as_deref(), "--until")?, session: None })
    }
}

/// Parses a `--since` / `--until` value, naming the flag when it cannot.
pub fn parse_time(value: Option<&str>, flag: &str) -> anyhow::Result<Option<i64>> {
    value
        .map(|text| {
            aethelgard_audit::time::parse_ms(text)
                .with_context(|| format!("{flag} `{text}` is not a date (2026-11-20) or an RFC 3339 time (2026-11-20T14:00:00Z)"))
        })
        .transpose()
}

fn open(flags: &StoreFlags) -> anyhow::Result<aethelgard_audit::SqliteStore> {
    let settings = crate::audit::settings_of_policy(flags.policy.as_deref());
    crate::audit::open_existing(flags.audit_db.as_deref(), settings.as_ref())
}

pub fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Verify { store, expect_head } => verify(&store, expect_head.as_deref()),
        Command::Head { store } => {
            let store = open(&store)?;
            let verification = store.verify()?;
            println!("seq {} {}", verification.checked, verification.head);
            if let Some((seq, why)) = verification.first_bad {
                eprintln!("warning: the chain breaks at entry {seq} ({why}); this is the last good head");
                return Ok(ExitCode::FAILURE);
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Log { store, range, session, denied, json } => {
            let store = open(&store)?;
            let filter = Filter { session, ..range.filter()? };
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            for entry in store.entries(&filter)? {
                if denied && !is_denied(&entry) {
                    continue;
                }
                if json {
                    serde_json::to_writer(&mut out, &entry)?;
                    writeln!(out)?;
                } else {
                    writeln!(out, "{}", describe(&entry))?;
                }
            }
            out.flush()?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Export { store, range, task_type, out } => {
            let store = open(&store)?;
            // Whole sessions that started in the range, as `report` counts them: filtering entries
            // by their recording time would cut a session that spans the boundary in two.
            let filter = range.filter()?;
            let (mut sessions, untimed) =
                super::report::within(sessions_of(&store.entries(&Filter::default())?), filter.since_ms, filter.until_ms);
            if untimed > 0 {
                eprintln!("note: {untimed} sessions without any time were left out of the range");
            }
            if let Some(wanted) = &task_type {
                sessions.retain(|s| s.task_type.as_deref() == Some(wanted.as_str()));
            }
            let mut text = String::new();
            for session in &sessions {
                text.push_str(&serde_json::to_string(session)?);
                text.push('\n');
            }
            if out == "-" {
                std::io::stdout().lock().write_all(text.as_bytes())?;
            } else {
                std::fs::write(&out, text).with_context(|| format!("cannot write `{out}`"))?;
                eprintln!("exported {} sessions to {out}", sessions.len());
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn verify(flags: &StoreFlags, expect_head: Option<&str>) -> anyhow::Result<ExitCode> {
    let store = open(flags)?;
    let path = store.path().display().to_string();
    let verification = store.verify()?;
    if let Some((seq, why)) = &verification.first_bad {
        println!("TAMPERED: {path}: entry {seq} is the first bad entry: {why}");
        println!("{} entries before it verify", verification.checked);
        return Ok(ExitCode::FAILURE);
    }
    if let Some(expected) = expect_head {
        let (seq, hash) = parse_head(expected)?;
        let entries = store.entries(&Filter::default())?;
        let found = entries.iter().find(|e| e.hash == hash);
        match (found, seq) {
            (Some(entry), Some(seq)) if entry.seq != seq => {
                println!("TAMPERED: {path}: the anchored head is entry {} now, it was entry {seq}", entry.seq);
                return Ok(ExitCode::FAILURE);
            }
            (None, _) => {
                println!(
                    "TAMPERED: {path}: the anchored head {hash} is gone: entries were removed from the end (the log now ends at entry {})",
                    verification.checked
                );
                return Ok(ExitCode::FAILURE);
            }
            _ => {}
        }
    }
    println!("intact: {path}: {} entries, head {}", verification.checked, verification.head);
    Ok(ExitCode::SUCCESS)
}

/// "seq 12 <hash>" or "<hash>".
fn parse_head(text: &str) -> anyhow::Result<(Option<u64>, String)> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let (seq, hash) = match words.as_slice() {
        ["seq", seq, hash] => (Some(seq.parse::<u64>().with_context(|| format!("`{seq}` is not an entry number"))?), *hash),
        [hash] => (None, *hash),
        _ => anyhow::bail!("--expect-head takes what `aethelgard audit head` printed (`seq N HASH`) or a hash"),
    };
    if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        anyhow::bail!("`{hash}` is not a SHA-256 hash (64 hex digits)");
    }
    Ok((seq, hash.to_ascii_lowercase()))
}

fn is_denied(entry: &Entry) -> bool {
    matches!(&entry.event, Event::ToolCall(call) if call.call.decision.is_some_and(|d| d != aethelgard_protocol::DecisionKind::Allow))
}

/// One readable line per entry.
fn describe(entry: &Entry) -> String {
    let at = aethelgard_audit::time::rfc3339(entry.at_ms);
    match &entry.event {
        Event::SessionStart(start) => format!(
            "{:>6} {at} session {} start: {:?} ({}, {} tools{})",
            entry.seq,
            start.session,
            start.task,
            start.task_type.as_deref().unwrap_or("no task type"),
            start.tools.len(),
            start.granted.as_ref().map(|g| format!(", {} granted", g.len())).unwrap_or_default()
        ),
        Event::ToolCall(call) => {
            let decision = call.call.decision.map_or("-", |d| d.as_str());
            let args = serde_json::to_string(&call.call.args).unwrap_or_default();
            let args: String = args.chars().take(120).collect();
            format!(
                "{:>6} {at} {} {decision:<8} {} {args}{}",
                entry.seq,
                call.session.as_deref().unwrap_or("-"),
                call.call.tool,
                call.call.rule.as_deref().map(|r| format!("  [{r}]")).unwrap_or_default()
            )
        }
        Event::Outcome(outcome) => format!(
            "{:>6} {at} session {} outcome: {}",
            entry.seq,
            outcome.session,
            match outcome.success {
                Some(true) => "success",
                Some(false) => "failure",
                None => "unknown",
            }
        ),
    }
}
