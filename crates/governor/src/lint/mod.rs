//! `aethelgard lint`: findings for agent configurations that give an agent more than it needs,
//! or that look enforced and are not.
//!
//! It reads what a runtime reads (Codex `config.toml`, profile files and `.rules`, Codex
//! `hooks.json`, Claude Code `settings.json`, OpenClaw `openclaw.json`) and reports each problem
//! with a stable rule id, a severity, a line and column, why it matters and how to fix it.
//!
//! Everything here is a pure function of file names and texts: [`lint_text`] for one file,
//! [`lint_files`] for a set (a folder), where settings that merge across files are judged
//! together (a hook in `hooks.json` counts for the `config.toml` beside it; a deny rule in
//! `settings.json` counts for `settings.local.json`). Reading files and folders is the CLI's job.
//!
//! It is not a policy engine: it judges configuration as written, and cannot see what a hook
//! program decides or which layers a runtime will merge on another machine.

pub mod catalog;
mod claude;
mod codex;
mod codex_hooks;
mod finding;
mod matcher;
mod openclaw;
mod rules_file;
pub mod sarif;
pub mod text;
mod tree;

pub use finding::{Finding, Location, Rule, Severity};
pub use tree::SyntaxError;

use std::collections::BTreeSet;
use std::path::Path;
use tree::{Lines, Node};

/// Which configuration a file is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// Codex `config.toml` or a profile file `NAME.config.toml`.
    CodexConfig,
    /// Codex `hooks.json`.
    CodexHooks,
    /// Codex execpolicy `.rules` (Starlark `prefix_rule(...)` calls).
    CodexRules,
    /// Claude Code `settings.json`, `settings.local.json`, `managed-settings.json`.
    ClaudeSettings,
    /// OpenClaw `openclaw.json` (JSON5).
    OpenClaw,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Self::CodexConfig => "codex config",
            Self::CodexHooks => "codex hooks",
            Self::CodexRules => "codex rules",
            Self::ClaudeSettings => "claude settings",
            Self::OpenClaw => "openclaw config",
        }
    }

    /// The runtime whose settings merge across files of this kind.
    fn family(self) -> &'static str {
        match self {
            Self::CodexConfig | Self::CodexHooks | Self::CodexRules => "codex",
            Self::ClaudeSettings => "claude",
            Self::OpenClaw => "openclaw",
        }
    }

    /// The kind a file name says, for names the runtimes themselves use. Used for files named
    /// on the command line, where the user has said the file is a configuration.
    pub fn from_name(path: &Path) -> Option<Self> {
        let name = path.file_name()?.to_str()?;
        let in_managed_dir = parent_name(path) == Some("managed-settings.d");
        match name {
            "config.toml" => Some(Self::CodexConfig),
            "hooks.json" => Some(Self::CodexHooks),
            "settings.json" | "settings.local.json" | "managed-settings.json" => Some(Self::ClaudeSettings),
            "openclaw.json" | "openclaw.json5" => Some(Self::OpenClaw),
            _ if name.ends_with(".config.toml") => Some(Self::CodexConfig),
            _ if name.ends_with(".rules") => Some(Self::CodexRules),
            _ if in_managed_dir && name.ends_with(".json") => Some(Self::ClaudeSettings),
            _ => None,
        }
    }

    /// The kind from the name, else from the content (for files named otherwise, such as
    /// copies kept in a repository).
    pub fn detect(path: &Path, text: &str) -> Option<Self> {
        if let Some(kind) = Self::from_name(path) {
            return Some(kind);
        }
        let extension = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        match extension {
            "toml" => looks_like_codex(text, false).then_some(Self::CodexConfig),
            "json" | "json5" | "jsonc" => {
                let root = tree::parse_json(text, false).ok()?;
                let openclaw = OPENCLAW_KEYS.iter().any(|k| root.get(k).is_some());
                if openclaw {
                    Some(Self::OpenClaw)
                } else {
                    CLAUDE_KEYS.iter().any(|k| root.get(k).is_some()).then_some(Self::ClaudeSettings)
                }
            }
            _ => None,
        }
    }

    /// The kind of a file met in a folder walk, or `None` to pass it by. Generic names
    /// (`config.toml`, `settings.json`, `hooks.json`, `*.rules`) count only inside the runtime's
    /// own folder (`.codex`, `.claude`) or when the content is that runtime's: a walk over a
    /// repository must not lint `.cargo/config.toml`, `.vscode/settings.json`, a Claude plugin's
    /// `hooks/hooks.json` or udev rules.
    pub fn in_folder(path: &Path, text: &str) -> Option<Self> {
        let kind = Self::from_name(path)?;
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let parent = parent_name(path).unwrap_or("");
        let own_folder = match kind {
            Self::CodexConfig | Self::CodexHooks => parent == ".codex",
            Self::CodexRules => parent == "rules" && path.parent().and_then(Path::parent).and_then(|p| p.file_name()).is_some_and(|n| n == ".codex"),
            Self::ClaudeSettings => parent == ".claude" || name == "managed-settings.json" || parent == "managed-settings.d",
            Self::OpenClaw => true,
        };
        if own_folder {
            return Some(kind);
        }
        let fits = match kind {
            Self::CodexConfig => looks_like_codex(text, name.ends_with(".config.toml")),
            Self::CodexHooks => parent != "hooks" && tree::parse_json(text, false).is_ok_and(|root| root.entries().len() == 1 && root.get("hooks").is_some()),
            Self::CodexRules => ["prefix_rule(", "network_rule(", "host_executable("].iter().any(|call| text.contains(call)),
            Self::ClaudeSettings => tree::parse_json(text, false).is_ok_and(|root| CLAUDE_KEYS.iter().any(|k| root.get(k).is_some())),
            Self::OpenClaw => true,
        };
        fits.then_some(kind)
    }
}

const CODEX_KEYS: &[&str] = &[
    "sandbox_mode", "approval_policy", "approvals_reviewer", "mcp_servers", "shell_environment_policy", "permissions", "default_permissions",
    "sandbox_workspace_write", "features", "hooks", "projects", "model_provider", "model_providers", "web_search", "allow_login_shell", "notify",
];
const CLAUDE_KEYS: &[&str] = &["permissions", "hooks", "enableAllProjectMcpServers", "disableAllHooks", "enabledMcpjsonServers", "apiKeyHelper"];
const OPENCLAW_KEYS: &[&str] = &["tools", "agents", "plugins", "mcp", "gateway", "channels"];

/// A TOML text with Codex's own top-level keys (`model` too for a profile file).
fn looks_like_codex(text: &str, profile: bool) -> bool {
    tree::parse_toml(text).is_ok_and(|root| CODEX_KEYS.iter().any(|k| root.get(k).is_some()) || (profile && root.get("model").is_some()))
}

fn parent_name(path: &Path) -> Option<&str> {
    path.parent().and_then(Path::file_name).and_then(|n| n.to_str())
}

/// One file to lint: the path as the user gave it (used in findings) and its text.
#[derive(Clone, Debug)]
pub struct SourceFile {
    pub path: String,
    pub kind: Kind,
    pub text: String,
}

/// A file that could not be linted because it does not parse.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}:{column}: cannot parse {kind}: {message}")]
pub struct ParseFailure {
    pub file: String,
    pub kind: &'static str,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// What a set of files produced.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// Sorted by file, line, column, id.
    pub findings: Vec<Finding>,
    pub failures: Vec<ParseFailure>,
}

/// Lints one file on its own.
pub fn lint_text(kind: Kind, path: &str, text: &str) -> Result<Vec<Finding>, ParseFailure> {
    let mut report = lint_files(&[SourceFile { path: path.to_owned(), kind, text: text.to_owned() }]);
    match report.failures.pop() {
        Some(failure) => Err(failure),
        None => Ok(report.findings),
    }
}

/// Lints a set of files; files of one runtime in one folder are judged together.
pub fn lint_files(files: &[SourceFile]) -> Report {
    let mut report = Report::default();
    let mut linted = Vec::new();
    for file in files {
        match lint_one(file) {
            Ok(done) => linted.push(done),
            Err(failure) => report.failures.push(failure),
        }
    }
    let group_of = |l: &Linted| (folder(&l.path), l.kind.family());
    let mut cross = Vec::new();
    for file in linted.iter().filter(|l| l.kind == Kind::CodexHooks) {
        // Trust entries for hooks.json live in the config.toml beside it.
        let configs: Vec<&Linted> = linted.iter().filter(|c| c.kind == Kind::CodexConfig && folder(&c.path) == folder(&file.path) && !is_profile(&c.path)).collect();
        if !configs.is_empty() {
            cross.extend(codex_hooks::trust_of_hooks_json(file, &configs));
        }
    }
    for file in &linted {
        let siblings: BTreeSet<&str> = linted
            .iter()
            .filter(|o| !std::ptr::eq(*o, file) && group_of(o) == group_of(file))
            .flat_map(|o| o.provides.iter().map(String::as_str))
            .collect();
        report.findings.extend(file.findings.iter().filter(|f| f.missing.as_deref().is_none_or(|fact| !siblings.contains(fact))).cloned());
    }
    report.findings.extend(cross);
    report.findings.sort_by(|a, b| (&a.location, a.id).cmp(&(&b.location, b.id)));
    report.findings.dedup();
    report
}

/// A file's own findings and the facts it supplies to its siblings.
pub(crate) struct Linted {
    pub path: String,
    pub kind: Kind,
    pub text: String,
    pub root: Option<Node>,
    pub findings: Vec<Finding>,
    pub provides: BTreeSet<String>,
}

fn lint_one(file: &SourceFile) -> Result<Linted, ParseFailure> {
    let failure = |e: SyntaxError| ParseFailure { file: file.path.clone(), kind: file.kind.name(), line: e.line, column: e.column, message: e.message };
    let mut ctx = Ctx::new(&file.path, &file.text);
    let root = match file.kind {
        Kind::CodexConfig => {
            let root = tree::parse_toml(&file.text).map_err(failure)?;
            codex::lint(&mut ctx, &root, is_profile(&file.path));
            Some(root)
        }
        Kind::CodexHooks => {
            let root = tree::parse_json(&file.text, false).map_err(failure)?;
            codex_hooks::lint_hooks_json(&mut ctx, &root);
            Some(root)
        }
        Kind::CodexRules => {
            let calls = rules_file::parse(&file.text).map_err(failure)?;
            rules_file::lint(&mut ctx, &calls);
            None
        }
        Kind::ClaudeSettings => {
            let strict = tree::parse_json(&file.text, true);
            let root = match strict {
                Ok(root) => root,
                Err(e) => {
                    let root = tree::parse_json(&file.text, false).map_err(failure)?;
                    let at = Location { file: file.path.clone(), line: e.line, column: e.column };
                    ctx.findings.push(catalog::CLAUDE_NOT_STRICT_JSON.at(at, format!("not strict JSON: {}", e.message)));
                    root
                }
            };
            claude::lint(&mut ctx, &root);
            Some(root)
        }
        Kind::OpenClaw => {
            let root = tree::parse_json(&file.text, false).map_err(failure)?;
            openclaw::lint(&mut ctx, &root);
            Some(root)
        }
    };
    Ok(Linted { path: file.path.clone(), kind: file.kind, text: file.text.clone(), root, findings: ctx.findings, provides: ctx.provides })
}

/// A Codex profile file (`NAME.config.toml`) overlays `config.toml`: what it leaves out is not
/// missing.
fn is_profile(path: &str) -> bool {
    Path::new(path).file_name().and_then(|n| n.to_str()).is_some_and(|n| n.ends_with(".config.toml"))
}

fn folder(path: &str) -> String {
    Path::new(path).parent().map(|p| p.to_string_lossy().into_owned()).unwrap_or_default()
}

/// What a linter of one file writes into.
pub(crate) struct Ctx<'a> {
    pub file: &'a str,
    pub lines: Lines<'a>,
    pub findings: Vec<Finding>,
    pub provides: BTreeSet<String>,
}

impl<'a> Ctx<'a> {
    pub fn new(file: &'a str, text: &'a str) -> Self {
        Self { file, lines: Lines::new(text), findings: Vec::new(), provides: BTreeSet::new() }
    }

    pub fn at(&self, offset: usize) -> Location {
        self.lines.location(self.file, offset)
    }

    pub fn report(&mut self, rule: &Rule, node: &Node, message: impl Into<String>) {
        let finding = rule.at(self.at(node.offset), message);
        self.findings.push(finding);
    }

    pub fn report_at(&mut self, rule: &Rule, offset: usize, message: impl Into<String>) {
        let finding = rule.at(self.at(offset), message);
        self.findings.push(finding);
    }

    pub fn report_missing(&mut self, rule: &Rule, offset: usize, message: impl Into<String>, fact: &str) {
        let finding = rule.missing(self.at(offset), message, fact);
        self.findings.push(finding);
    }

    pub fn provide(&mut self, fact: &str) {
        self.provides.insert(fact.to_owned());
    }
}

/// Whether a finding at or above `threshold` exists.
pub fn fails(findings: &[Finding], threshold: Severity) -> bool {
    findings.iter().any(|f| f.severity >= threshold)
}
