//! `aethelgard report`: the metrics per task type in the terminal, and a self-contained HTML
//! report with charts. The numbers come from `aethelgard_audit::metrics`, the same module every
//! other command and the learning layer use.

use aethelgard_audit::metrics::task_type_of;
use aethelgard_audit::report::{self, Options};
use aethelgard_protocol::SessionRecord;
use anyhow::Context;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

const EXAMPLES: &str = "\
Examples:
  aethelgard report
      the summary of everything in the audit store
  aethelgard report --since 2026-11-01 --until 2026-11-08 --html week.html
      one week, and an HTML report with charts (one file, opens offline)
  aethelgard report --task-type deploy
      only deployment sessions (sessions without a task type are `unlabelled`)
  aethelgard report --sessions sessions.jsonl --html report.html
      from a session JSONL file (what `aethelgard import --out` or `audit export` writes)

What it shows, per task type and overall: SER (tools called and granted / tools granted), always
beside task success and the required-tool denial rate; overprovision (granted / called); attack
surface reduction (1 - granted / available); blocked and escalated calls; blocks by rule; tools
granted but never called. Session metrics are means over the sessions where they are defined;
`n/a` means undefined (for example SER when nothing was granted). Definitions: docs/metrics.md.";

/// Metrics per task type in the terminal, and an HTML report with charts.
#[derive(Debug, clap::Args)]
#[command(after_long_help = EXAMPLES)]
pub struct Args {
    /// The audit store (default: the policy's `[audit] store`, else $AETHELGARD_AUDIT_DB, else
    /// ~/.local/share/aethelgard/audit.db).
    #[arg(long, value_name = "PATH")]
    pub audit_db: Option<PathBuf>,
    /// The policy whose `[audit] store` names the store.
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// Read sessions from this session JSONL file instead of the audit store.
    #[arg(long, value_name = "FILE.jsonl", conflicts_with = "audit_db")]
    pub sessions: Option<PathBuf>,
    /// Also write the HTML report here (one self-contained file).
    #[arg(long, value_name = "OUT.html")]
    pub html: Option<PathBuf>,
    /// Only sessions that started at or after this time: a date (2026-11-20, midnight UTC) or
    /// RFC 3339.
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// Only sessions that started before this time: a date or RFC 3339.
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
    /// Only sessions of this task type (`unlabelled` for sessions without one).
    #[arg(long, value_name = "TYPE")]
    pub task_type: Option<String>,
    /// The report's title.
    #[arg(long, default_value = "Aethelgard report")]
    pub title: String,
    /// How many rules the "by rule" table shows.
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub top_rules: usize,
}

pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let since = super::audit::parse_time(args.since.as_deref(), "--since")?;
    let until = super::audit::parse_time(args.until.as_deref(), "--until")?;
    if let (Some(since), Some(until)) = (since, until)
        && since >= until
    {
        anyhow::bail!("--since must be before --until");
    }
    let (sessions, source) = match &args.sessions {
        Some(file) => (crate::audit::sessions_in_file(file)?, file.display().to_string()),
        None => {
            let (sessions, path) = crate::audit::sessions_in_store(args.audit_db.as_deref(), args.policy.as_deref())?;
            (sessions, path.display().to_string())
        }
    };
    let (mut sessions, untimed) = within(sessions, since, until);
    if untimed > 0 {
        eprintln!("note: {untimed} session(s) have no time and are left out of the range");
    }
    if let Some(wanted) = &args.task_type {
        sessions.retain(|session| task_type_of(session) == wanted);
    }
    let options = Options {
        title: args.title.clone(),
        top_rules: args.top_rules,
        generated_at: Some(aethelgard_audit::time::rfc3339(aethelgard_audit::time::now_ms())),
        source: Some(source),
        ..Options::default()
    };
    let mut text = report::terminal(&sessions, &options);
    if let Some(out) = &args.html {
        write_html(out, &report::html(&sessions, &options))?;
        text.push_str(&format!("\nHTML report: {}\n", out.display()));
    }
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()) {
        // A reader that stopped early (`| head`) is not an error.
        Err(error) if error.kind() != std::io::ErrorKind::BrokenPipe => Err(error).context("cannot write the report"),
        _ => Ok(ExitCode::SUCCESS),
    }
}

/// The sessions that started in `[since, until)` (`started_at`, else their first call's time),
/// and how many had no time (left out when a range is asked for). The calls a hook recorded
/// without a session are grouped as one `unsessioned:…` record spanning any time, so those are
/// kept call by call instead.
pub(crate) fn within(sessions: Vec<SessionRecord>, since: Option<i64>, until: Option<i64>) -> (Vec<SessionRecord>, usize) {
    if since.is_none() && until.is_none() {
        return (sessions, 0);
    }
    let in_range = |at: i64| since.is_none_or(|s| at >= s) && until.is_none_or(|u| at < u);
    let time = |text: &String| aethelgard_audit::time::parse_ms(text);
    let mut untimed = 0;
    let mut kept = Vec::new();
    for mut session in sessions {
        if session.session.starts_with("unsessioned:") {
            session.calls.retain(|call| call.at.as_ref().and_then(time).is_some_and(in_range));
            if !session.calls.is_empty() {
                kept.push(session);
            }
            continue;
        }
        let start = session.started_at.iter().chain(session.calls.iter().filter_map(|call| call.at.as_ref())).find_map(time);
        match start {
            Some(at) if in_range(at) => kept.push(session),
            Some(_) => {}
            None => untimed += 1,
        }
    }
    (kept, untimed)
}

fn write_html(out: &Path, page: &str) -> anyhow::Result<()> {
    if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).with_context(|| format!("cannot create the folder `{}`", parent.display()))?;
    }
    std::fs::write(out, page).with_context(|| format!("cannot write the HTML report to `{}`", out.display()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
    use super::*;

    fn record(id: &str, started_at: Option<&str>) -> SessionRecord {
        SessionRecord { session: id.into(), started_at: started_at.map(str::to_owned), ..SessionRecord::default() }
    }

    #[test]
    fn the_range_is_half_open_and_untimed_sessions_are_counted() {
        let at = |t: &str| aethelgard_audit::time::parse_ms(t);
        let sessions = vec![
            record("before", Some("2026-03-01T23:59:59Z")),
            record("first", Some("2026-03-02T00:00:00Z")),
            record("last", Some("2026-03-02T23:59:59Z")),
            record("after", Some("2026-03-03T00:00:00Z")),
            record("untimed", None),
        ];
        let (kept, untimed) = within(sessions, at("2026-03-02"), at("2026-03-03"));
        let ids: Vec<&str> = kept.iter().map(|s| s.session.as_str()).collect();
        assert_eq!(ids, ["first", "last"]);
        assert_eq!(untimed, 1);
    }

    #[test]
    fn calls_without_a_session_are_kept_one_by_one() {
        let at = |t: &str| aethelgard_audit::time::parse_ms(t);
        let call = |time: &str| aethelgard_protocol::SessionCall {
            at: Some(time.to_owned()),
            ..aethelgard_protocol::SessionCall::new("Bash", serde_json::json!({}))
        };
        let group = SessionRecord {
            calls: vec![call("2026-03-01T10:00:00Z"), call("2026-03-02T10:00:00Z"), call("2026-03-03T10:00:00Z")],
            ..record("unsessioned:hook:codex", Some("2026-03-01T10:00:00Z"))
        };
        let (kept, _) = within(vec![group], at("2026-03-02"), at("2026-03-03"));
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].calls.len(), 1);
        let (all, untimed) = within(vec![record("x", None)], None, None);
        assert_eq!((all.len(), untimed), (1, 0), "no range keeps everything");
    }

    #[test]
    fn a_bad_sessions_file_names_the_file_and_the_line() {
        let dir = std::env::temp_dir().join(format!("aethelgard-report-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("bad.jsonl");
        std::fs::write(&file, "{\"session\":\"a\",\"task\":\"t\"}\n[1, 2]\n{\"session\":\"b\",\"task\":\"t\"}\n").unwrap();
        let error = crate::audit::sessions_in_file(&file).unwrap_err().to_string();
        assert!(error.contains("bad.jsonl") && error.contains("line 2"), "{error}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
