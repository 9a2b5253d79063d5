//! `aethelgard scope`: which tools a task may see (DESIGN.md section 3).

use aethelgard_governor::{Governor, Scoped, Verdict};
use anyhow::Context as _;
use serde::{Deserialize, Serialize};
use std::io::{BufRead as _, Write as _};
use std::path::PathBuf;
use std::process::ExitCode;

const EXAMPLES: &str = "\
Examples:
  aethelgard scope --task \"Summarise docs/design.md\"
      classify the request and print its manifest over every tool the policy's catalogs know
  aethelgard scope --task \"Summarise docs/design.md\" --runtime openclaw --explain
      only OpenClaw's tools, with the reason for each grant and denial
  aethelgard scope --task-type review --tools Read,Grep,Bash,Write
      a named task type over the tools you list
  aethelgard scope --batch requests.jsonl
      one manifest per line: input lines are {\"task\": \"...\", \"tools\": [\"available\", ...]}
      (\"task_type\" optional); output lines are in the same order

Output: {\"task_type\": \"summarise\", \"confidence\": 0.82, \"method\": \"rules\", \"granted\": [...],
\"denied\": [...]}. A request the classifier is unsure of (confidence below the policy's
`[governor] min_confidence`) becomes `unknown`, which gets the tightest profile. Profiles:
docs/governor.md.";

/// Which tools a task may see: classify the request, then apply its task profile.
#[derive(Debug, clap::Args)]
#[command(after_long_help = EXAMPLES)]
pub struct Args {
    /// The user's request.
    #[arg(long, conflicts_with = "batch")]
    pub task: Option<String>,
    /// The task type, instead of classifying the request (`summarise`, `implement`, ...).
    #[arg(long, conflicts_with = "batch")]
    pub task_type: Option<String>,
    /// A JSONL file (or `-` for stdin) of {"task", "tools", "task_type"?} lines.
    #[arg(long, value_name = "FILE")]
    pub batch: Option<String>,
    /// The tools available, comma-separated (default: every tool in the policy's catalogs).
    #[arg(long, value_delimiter = ',', conflicts_with_all = ["runtime", "batch"])]
    pub tools: Option<Vec<String>>,
    /// The tools of one runtime's built-in catalog.
    #[arg(long, value_enum, conflicts_with = "batch")]
    pub runtime: Option<Runtime>,
    /// Also print each tool's verdict and why.
    #[arg(long)]
    pub explain: bool,
    /// Policy file (default: see `aethelgard --help`).
    #[arg(long)]
    pub policy: Option<PathBuf>,
    /// A learned policy file (`aethelgard learn --out`), overriding the policy's `[governor] learned`.
    #[arg(long, value_name = "FILE")]
    pub learned: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum Runtime {
    Codex,
    Claude,
    Openclaw,
}

impl Runtime {
    pub fn catalog_name(self) -> &'static str {
        match self {
            Self::Codex => "codex",
            Self::Claude => "claude",
            Self::Openclaw => "openclaw",
        }
    }
}

/// One output line.
#[derive(Debug, Serialize)]
struct Output<'a> {
    task_type: &'a str,
    confidence: f64,
    method: aethelgard_governor::classify::Method,
    granted: &'a [String],
    denied: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    verdicts: Option<&'a [Verdict]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

impl<'a> Output<'a> {
    fn of(scoped: &'a Scoped, explain: bool) -> Self {
        Self {
            task_type: &scoped.manifest.task_type,
            confidence: scoped.classification.confidence,
            method: scoped.classification.method,
            granted: &scoped.manifest.granted,
            denied: &scoped.manifest.denied,
            verdicts: explain.then_some(scoped.verdicts.as_slice()),
            error: None,
        }
    }
}

/// What to scope: one `--batch` line, and the body of the daemon's scope request.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScopeRequest {
    #[serde(default)]
    pub task: Option<String>,
    #[serde(default)]
    pub task_type: Option<String>,
    #[serde(default)]
    pub tools: Option<Vec<String>>,
}

pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let governor = crate::load::governor(args.policy.as_deref(), args.learned.as_deref())?;
    if let Some(batch) = &args.batch {
        return run_batch(&governor, batch, args.explain);
    }
    if args.task.is_none() && args.task_type.is_none() {
        anyhow::bail!("give the request with --task \"...\", a task type with --task-type, or a file with --batch; see `aethelgard scope --help`");
    }
    let scoped = match (&args.tools, args.runtime) {
        (None, Some(runtime)) => {
            // The runtime's own entries: a name several runtimes share means a different tool in each.
            let mut catalog = aethelgard_policy::Catalog::default();
            catalog.extend(aethelgard_policy::Catalog::builtin(runtime.catalog_name())?);
            governor.scope_in(&catalog, args.task.as_deref(), args.task_type.as_deref(), None)?
        }
        (tools, _) => governor.scope(args.task.as_deref(), args.task_type.as_deref(), tools.as_deref())?,
    };
    println!("{}", serde_json::to_string(&Output::of(&scoped, args.explain))?);
    Ok(ExitCode::SUCCESS)
}

fn run_batch(governor: &Governor, input: &str, explain: bool) -> anyhow::Result<ExitCode> {
    let reader: Box<dyn std::io::BufRead> = if input == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        Box::new(std::io::BufReader::new(std::fs::File::open(input).with_context(|| format!("cannot open {input}"))?))
    };
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut failures = 0usize;
    for (index, line) in reader.lines().enumerate() {
        let line = line.with_context(|| format!("reading {input}"))?;
        if line.trim().is_empty() {
            continue;
        }
        let text = match scope_line(governor, &line, explain) {
            Ok(text) => text,
            Err(message) => {
                failures += 1;
                // The same order as the input, always: a bad line gets the tightest answer.
                let manifest = governor.manifest(aethelgard_governor::tasks::UNKNOWN, Some(&[]));
                let output = Output {
                    task_type: &manifest.task_type,
                    confidence: 0.0,
                    method: aethelgard_governor::classify::Method::Rules,
                    granted: &manifest.granted,
                    denied: &manifest.denied,
                    verdicts: None,
                    error: Some(format!("line {}: {message}", index + 1)),
                };
                serde_json::to_string(&output)?
            }
        };
        writeln!(out, "{text}")?;
    }
    out.flush()?;
    if failures > 0 {
        eprintln!("aethelgard scope: {failures} line(s) could not be read; their output lines carry \"error\" and grant nothing");
    }
    Ok(ExitCode::SUCCESS)
}

fn scope_line(governor: &Governor, line: &str, explain: bool) -> Result<String, String> {
    let parsed: ScopeRequest = serde_json::from_str(line)
        .map_err(|e| format!("expected {{\"task\": \"...\", \"tools\": [...]}}: {e}"))?;
    if parsed.task.is_none() && parsed.task_type.is_none() {
        return Err("the line has neither \"task\" nor \"task_type\"".to_owned());
    }
    let scoped = governor
        .scope(parsed.task.as_deref(), parsed.task_type.as_deref(), parsed.tools.as_deref())
        .map_err(|e| e.to_string())?;
    serde_json::to_string(&Output::of(&scoped, explain)).map_err(|e| e.to_string())
}
