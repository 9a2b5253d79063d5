//! `aethelgard lint`: check agent configurations for overprovisioning and weak enforcement.
//! The checks live in `aethelgard_governor::lint`; this reads the files and folders, prints the
//! report and picks the exit status.

use aethelgard_governor::lint::{self, Kind, Severity, SourceFile};
use anyhow::Context as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

const EXAMPLES: &str = "\
Examples:
  aethelgard lint ~/.codex ~/.claude
      every known configuration in your Codex and Claude Code homes
  aethelgard lint .claude/settings.json .codex/config.toml .codex/rules/default.rules
      a project's settings, file by file
  aethelgard lint ~/.openclaw/openclaw.json --fail-on warning
      exit 1 on warnings too (CI gates)
  aethelgard lint . --format sarif --output lint.sarif --fail-on never
      SARIF 2.1.0 for GitHub code scanning (github/codeql-action/upload-sarif)

Files it knows: Codex config.toml, NAME.config.toml (profiles), hooks.json and *.rules; Claude Code
settings.json, settings.local.json, managed-settings.json (and managed-settings.d/*.json); OpenClaw
openclaw.json. Other file names are recognised by content when named on the command line. A
folder is searched (4 levels deep, skipping sessions, logs, caches, node_modules and .git) for
those names; outside .codex and .claude folders a generic name counts only when the content is
the runtime's (so .cargo/config.toml or .vscode/settings.json are passed by). Files of one
runtime in one folder are judged together, as the runtime merges them.

Exit status: 0 no finding at or above --fail-on; 1 such a finding; 2 a file that cannot be read or
parsed, or is not a configuration this knows (the message names the file, line and column).
Every check, with why and how to fix it: docs/lint.md.";

/// Check agent configurations for overprovisioning and weak enforcement.
#[derive(Debug, clap::Args)]
#[command(after_long_help = EXAMPLES)]
pub struct Args {
    /// Configuration files or folders (`~/.codex`, `.claude`, `openclaw.json`, ...).
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Exit 1 when a finding at or above this severity exists.
    #[arg(long, value_enum, default_value_t = FailOn::Error)]
    pub fail_on: FailOn,
    /// Write the report to this file instead of stdout.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Grouped by file, with why and fix.
    Text,
    /// One JSON array of findings.
    Json,
    /// SARIF 2.1.0.
    Sarif,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum FailOn {
    Error,
    Warning,
    Note,
    Never,
}

/// Folders a walk never enters: transcripts, logs and caches, not configuration.
const SKIPPED: &[&str] = &[
    "sessions", "archived_sessions", "log", "logs", "cache", ".cache", "node_modules", ".git", "target", "projects", "shell-snapshots", "todos",
    "statsig", "sandboxes", "extensions", "backups",
];
const DEPTH: usize = 4;

pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let mut problems = Vec::new();
    let mut files = Vec::new();
    for path in &args.paths {
        if path.is_dir() {
            let before = files.len();
            walk(path, 0, &mut files, &mut problems);
            if files.len() == before {
                eprintln!("aethelgard lint: no known configuration files in {}", path.display());
            }
        } else {
            match read(path) {
                Ok(text) => match Kind::detect(path, &text) {
                    Some(kind) => files.push(SourceFile { path: path.display().to_string(), kind, text }),
                    None => problems.push(format!(
                        "{}: not a configuration `aethelgard lint` knows (Codex config.toml, *.config.toml, hooks.json, *.rules; Claude Code settings.json; OpenClaw openclaw.json)",
                        path.display()
                    )),
                },
                Err(message) => problems.push(message),
            }
        }
    }
    let report = lint::lint_files(&files);
    let rendered = match args.format {
        Format::Text => lint::text::render(&report.findings, &report.failures, files.len()),
        Format::Json => format!("{}\n", serde_json::to_string_pretty(&report.findings)?),
        Format::Sarif => format!("{}\n", serde_json::to_string_pretty(&lint::sarif::to_sarif(&report.findings, &report.failures))?),
    };
    match &args.output {
        Some(out) => std::fs::write(out, rendered).with_context(|| format!("cannot write {}", out.display()))?,
        None => std::io::stdout().write_all(rendered.as_bytes())?,
    }
    for failure in &report.failures {
        eprintln!("aethelgard lint: {failure}");
    }
    for problem in &problems {
        eprintln!("aethelgard lint: {problem}");
    }
    if !problems.is_empty() || !report.failures.is_empty() {
        return Ok(ExitCode::from(2));
    }
    let threshold = match args.fail_on {
        FailOn::Error => Some(Severity::Error),
        FailOn::Warning => Some(Severity::Warning),
        FailOn::Note => Some(Severity::Note),
        FailOn::Never => None,
    };
    Ok(if threshold.is_some_and(|t| lint::fails(&report.findings, t)) { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

fn read(path: &Path) -> Result<String, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    String::from_utf8(bytes).map_err(|e| format!("cannot read {}: not UTF-8 text (byte {})", path.display(), e.utf8_error().valid_up_to()))
}

/// The files with names a runtime uses, below `dir`, in name order.
fn walk(dir: &Path, depth: usize, files: &mut Vec<SourceFile>, problems: &mut Vec<String>) {
    let mut entries: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(entries) => entries.filter_map(Result::ok).map(|e| e.path()).collect(),
        Err(e) => {
            problems.push(format!("cannot read folder {}: {e}", dir.display()));
            return;
        }
    };
    entries.sort();
    for path in entries {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let is_link = path.symlink_metadata().is_ok_and(|m| m.file_type().is_symlink());
        if path.is_dir() {
            if depth + 1 < DEPTH && !is_link && !SKIPPED.contains(&name) {
                walk(&path, depth + 1, files, problems);
            }
        } else if Kind::from_name(&path).is_some() {
            match read(&path) {
                Ok(text) => {
                    if let Some(kind) = Kind::in_folder(&path, &text) {
                        files.push(SourceFile { path: path.display().to_string(), kind, text });
                    }
                }
                Err(message) => problems.push(message),
            }
        }
    }
}
