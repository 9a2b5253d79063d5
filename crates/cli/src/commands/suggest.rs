//! `aethelgard suggest`: the feedback loop. Reads what the audit store recorded (or a session
//! file), proposes policy changes with their evidence, and writes the ones a person accepts.
//! Without `--accept` or `--interactive` it changes nothing.

use aethelgard_learn::episode::{ToolBook, ToolSpec};
use aethelgard_learn::suggest::{self, LabelledDecision, SuggestConfig, Suggestion};
use aethelgard_protocol::{DecisionKind, SessionRecord};
use anyhow::Context as _;
use std::io::{BufRead as _, IsTerminal as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

const EXAMPLES: &str = "\
Examples:
  aethelgard suggest --policy policy.toml
      read the audit store, print what could change and why; nothing is written
  aethelgard suggest --policy policy.toml --accept narrow:summarise:web_fetch,relax:curl-pipe-shell
      write exactly those two changes into policy.toml (comments and layout kept; a copy of the
      old file is left at policy.toml.bak)
  aethelgard suggest --policy policy.toml --interactive
      ask yes or no for each suggestion
  aethelgard suggest --sessions sessions.jsonl --labels data/corpus/calls.jsonl --json
      from a session file, with labelled calls as evidence about rules; machine-readable

Kinds of suggestion:
  narrow:TYPE:TOOL   granted to TYPE in at least --min-sessions scoped sessions, never called
                     -> add TOOL to [profiles.TYPE] deny
  widen:TYPE:TOOL    the agent called TOOL, the manifest denied it and the task failed (or the
                     session's ground truth needed it) in at least --min-evidence sessions
                     -> add TOOL to [profiles.TYPE] tools (and the risk tags it needs)
  relax:RULE         the rule stopped at least --min-blocks calls, all known benign (labelled
                     benign in --labels, or escalations a person approved), none known malicious
                     -> decision = \"escalate\" instead of \"block\"

To start from the built-in defaults: aethelgard policy default > policy.toml";

/// Propose policy changes from the audit log, with evidence; write the ones a person accepts.
#[derive(Debug, clap::Args)]
#[command(after_long_help = EXAMPLES)]
pub struct Args {
    /// The policy file to judge against and to write accepted changes into (default: see
    /// `aethelgard --help`).
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// The audit store (default: the policy's `[audit] store`, else $AETHELGARD_AUDIT_DB, else
    /// ~/.local/share/aethelgard/audit.db).
    #[arg(long, value_name = "PATH")]
    pub audit_db: Option<PathBuf>,
    /// Read sessions from a session JSONL file instead of the audit store.
    #[arg(long, value_name = "FILE.jsonl", conflicts_with = "audit_db")]
    pub sessions: Option<PathBuf>,
    /// Labelled tool calls (the corpus format of data/corpus/calls.jsonl): routed through the
    /// policy, they show which rules stop benign calls.
    #[arg(long, value_name = "FILE.jsonl")]
    pub labels: Option<PathBuf>,
    /// Accept these suggestions by id (comma-separated), or `all`, and write them.
    #[arg(long, value_name = "IDS", value_delimiter = ',')]
    pub accept: Vec<String>,
    /// Ask yes or no for each suggestion (needs a terminal).
    #[arg(long, conflicts_with = "accept")]
    pub interactive: bool,
    /// Print the suggestions as JSON lines.
    #[arg(long)]
    pub json: bool,
    /// Scoped sessions granted a tool that none called, before narrowing.
    #[arg(long, value_name = "N", default_value_t = SuggestConfig::default().min_sessions)]
    pub min_sessions: usize,
    /// Sessions that needed a denied tool, before widening.
    #[arg(long, value_name = "N", default_value_t = SuggestConfig::default().min_evidence)]
    pub min_evidence: usize,
    /// Benign calls a rule stopped (and nothing known malicious), before relaxing it.
    #[arg(long, value_name = "N", default_value_t = SuggestConfig::default().min_blocks)]
    pub min_blocks: usize,
}

pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let records = match &args.sessions {
        Some(file) => crate::audit::sessions_in_file(file)?,
        None => crate::audit::sessions_in_store(args.audit_db.as_deref(), args.policy.as_deref())?.0,
    };
    let governor = crate::load::governor(args.policy.as_deref(), None)?;
    let (file, catalog, _) = crate::load::policy(args.policy.as_deref())?;
    let mut book = ToolBook::new();
    book.extend(catalog.tools().iter().map(ToolSpec::from));
    let mut labelled = suggest::approvals(&records);
    if let Some(path) = &args.labels {
        labelled.extend(route_labels(args.policy.as_deref(), path)?);
    }
    // Only `[[rules]]` entries can be relaxed by editing their decision; built-in checks
    // (`manifest.*`, `filesystem:*`, the shell analysis) are changed elsewhere in the policy.
    labelled.retain(|label| file.rules.iter().any(|rule| rule.id == label.rule));
    let type_of = |record: &SessionRecord| -> String {
        if let Some(task_type) = &record.task_type {
            return task_type.clone();
        }
        governor.classify(Some(&record.task), None).map_or_else(|_| "unknown".to_owned(), |c| c.task_type)
    };
    let profile_risk = |task_type: &str| file.profiles.get(task_type).map(|profile| profile.risk.clone());
    let config = SuggestConfig { min_sessions: args.min_sessions, min_evidence: args.min_evidence, min_blocks: args.min_blocks };
    let found = suggest::suggest(&records, &type_of, &labelled, &book, &profile_risk, &config);

    print_suggestions(&found, records.len(), labelled.len(), args.json)?;
    let accepted = choose(args, &found)?;
    if accepted.is_empty() {
        if !found.is_empty() && !args.json && !args.interactive {
            eprintln!("nothing written; accept with --accept ID[,ID...] or --interactive");
        }
        return Ok(ExitCode::SUCCESS);
    }
    let path = match crate::load::resolve(args.policy.as_deref()) {
        crate::load::Source::File(path) => path,
        crate::load::Source::Builtin => anyhow::bail!(
            "the built-in policy cannot be edited; write it to a file first (aethelgard policy default > policy.toml) and pass --policy policy.toml"
        ),
    };
    write_accepted(&path, &accepted)?;
    Ok(ExitCode::SUCCESS)
}

/// Each labelled call the policy's router stops becomes evidence about the rule that stopped it.
fn route_labels(policy: Option<&Path>, path: &Path) -> anyhow::Result<Vec<LabelledDecision>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let calls = aethelgard_router::stage2::linear::eval::parse_corpus(&text, &path.display().to_string())?;
    let router = crate::load::router(policy)?;
    let mut labels = Vec::new();
    for labelled in &calls {
        let decision = router.route(&labelled.call());
        if matches!(decision.decision, DecisionKind::Block | DecisionKind::Escalate)
            && let Some(rule) = decision.rule
        {
            labels.push(LabelledDecision {
                rule,
                benign: !labelled.is_malicious(),
                source: format!("{} `{}` ({}): {}", labelled.id, labelled.tool, labelled.label, decision.decision.as_str()),
            });
        }
    }
    Ok(labels)
}

fn print_suggestions(found: &[Suggestion], sessions: usize, labels: usize, json: bool) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    if json {
        for suggestion in found {
            writeln!(out, "{}", serde_json::to_string(suggestion)?)?;
        }
        return Ok(());
    }
    writeln!(out, "{} suggestion(s) from {sessions} session(s) and {labels} labelled decision(s)", found.len())?;
    for suggestion in found {
        writeln!(out, "\n  {}\n    {}", suggestion.id, suggestion.summary)?;
        for line in &suggestion.evidence {
            writeln!(out, "      - {line}")?;
        }
    }
    Ok(())
}

fn choose<'a>(args: &Args, found: &'a [Suggestion]) -> anyhow::Result<Vec<&'a Suggestion>> {
    if args.interactive {
        let stdin = std::io::stdin();
        if !stdin.is_terminal() {
            anyhow::bail!("--interactive needs a terminal; use --accept ID[,ID...] in scripts");
        }
        let mut accepted = Vec::new();
        let mut lines = stdin.lock().lines();
        for suggestion in found {
            eprint!("accept {}? [y/N] ", suggestion.id);
            std::io::stderr().flush()?;
            let answer = lines.next().transpose()?.unwrap_or_default();
            if matches!(answer.trim(), "y" | "Y" | "yes") {
                accepted.push(suggestion);
            }
        }
        return Ok(accepted);
    }
    if args.accept.iter().any(|id| id == "all") {
        return Ok(found.iter().collect());
    }
    let mut accepted = Vec::new();
    for id in &args.accept {
        let suggestion = found.iter().find(|s| &s.id == id).with_context(|| {
            let known: Vec<&str> = found.iter().map(|s| s.id.as_str()).collect();
            format!("no suggestion `{id}` (this run has: {})", if known.is_empty() { "none".to_owned() } else { known.join(", ") })
        })?;
        accepted.push(suggestion);
    }
    Ok(accepted)
}

/// Applies the accepted changes, checks that the result still loads, keeps a copy of the old
/// file, and replaces it.
fn write_accepted(path: &Path, accepted: &[&Suggestion]) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let updated = suggest::apply(&text, accepted).with_context(|| format!("cannot apply to {}", path.display()))?;
    aethelgard_policy::parse(&updated, &path.display().to_string(), path.parent())
        .with_context(|| format!("the edited policy would not load, so {} was left unchanged", path.display()))?;
    if updated == text {
        eprintln!("{} already has these changes", path.display());
        return Ok(());
    }
    let backup = path.with_extension("toml.bak");
    std::fs::write(&backup, &text).with_context(|| format!("cannot write {}", backup.display()))?;
    let temp = path.with_extension("toml.tmp");
    std::fs::write(&temp, &updated).with_context(|| format!("cannot write {}", temp.display()))?;
    std::fs::rename(&temp, path).with_context(|| format!("cannot replace {}", path.display()))?;
    for suggestion in accepted {
        eprintln!("applied {}", suggestion.id);
    }
    eprintln!("wrote {} (the old file is at {})", path.display(), backup.display());
    Ok(())
}
