//! `aethelgard export`: a task's manifest written into a runtime's own configuration.
//!
//! The exporters are pure functions in `aethelgard_governor::export`; this command reads the
//! files, keeps a backup of the original (`PATH.aethelgard.bak`, first edit only) and the record
//! of what it wrote (`PATH.aethelgard.json`), and writes the result.

use aethelgard_governor::export::{self, Export, Owned, Scope};
use aethelgard_governor::{Governor, Scoped};
use aethelgard_policy::{Catalog, ToolEntry};
use anyhow::Context as _;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

const EXAMPLES: &str = "\
Examples:
  aethelgard export claude --task-type summarise
      print the .claude/settings.json a summarising task would get
  aethelgard export claude --task \"Summarise docs/design.md\" --file .claude/settings.json
      classify the request and edit the project's settings in place
  aethelgard export codex --task-type review --file ~/.codex/aethelgard-review.config.toml
      a Codex profile (`codex --profile aethelgard-review`); MCP servers come from ~/.codex/config.toml
  aethelgard export codex-rules --file ~/.codex/rules/aethelgard.rules
      the policy's prefix rules as Codex execpolicy rules
  aethelgard export openclaw --task-type research --file ~/.openclaw/openclaw.json --agent main
      one OpenClaw agent's tools.allow / tools.deny
  aethelgard export agents-md --task-type implement --file AGENTS.md
      the plain-words section between <!-- aethelgard:begin --> and <!-- aethelgard:end -->
  aethelgard export codex --task-type summarise --file ~/.codex/aethelgard-summarise.config.toml --mcp-proxy
      also run every MCP server of ~/.codex/config.toml through `aethelgard proxy mcp` in that profile
  aethelgard export claude --task-type summarise --file .claude/settings.json --mcp-proxy
      also rewrite the servers of the project's .mcp.json to run through the proxy

With --file the file is edited in place (created with its folders when missing): comments, layout
and keys the exporter does not own are kept, the original is kept once as PATH.aethelgard.bak,
what the export wrote is recorded in PATH.aethelgard.json, and exporting twice changes nothing.
What changed is printed to stderr. Without --file the whole file is printed to stdout. See
docs/export.md.";

/// Which configuration to write.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Target {
    /// A Codex profile file (`~/.codex/NAME.config.toml`, `codex --profile NAME`).
    Codex,
    /// Codex execpolicy rules (`~/.codex/rules/*.rules`) from the policy's prefix rules.
    CodexRules,
    /// Claude Code `settings.json`.
    Claude,
    /// OpenClaw `openclaw.json`.
    Openclaw,
    /// The AGENTS.md section the model reads.
    AgentsMd,
}

/// Write the manifest of a task into a runtime's own configuration.
#[derive(Debug, clap::Args)]
#[command(after_long_help = EXAMPLES)]
pub struct Args {
    #[arg(value_enum)]
    pub target: Target,
    /// The task type (`summarise`, `implement`, ...).
    #[arg(long, conflicts_with = "task")]
    pub task_type: Option<String>,
    /// The user's request, classified into a task type.
    #[arg(long)]
    pub task: Option<String>,
    /// Edit this file in place instead of printing the result.
    #[arg(long, value_name = "PATH")]
    pub file: Option<PathBuf>,
    /// Policy file (default: see `aethelgard --help`).
    #[arg(long)]
    pub policy: Option<PathBuf>,
    /// A learned policy file (`aethelgard learn --out`), overriding the policy's `[governor] learned`.
    #[arg(long, value_name = "FILE")]
    pub learned: Option<PathBuf>,
    /// codex: the main config.toml whose MCP servers the profile filters (default:
    /// $CODEX_HOME/config.toml, else ~/.codex/config.toml, when it exists).
    #[arg(long, value_name = "PATH")]
    pub codex_config: Option<PathBuf>,
    /// openclaw: write the policy of this agent (`agents.entries.<ID>.tools`, or the element of a
    /// legacy `agents.list`) instead of the global `tools`.
    #[arg(long, value_name = "ID")]
    pub agent: Option<String>,
    /// agents-md: name only this runtime's tools (default: every catalog of the policy).
    #[arg(long, value_enum)]
    pub runtime: Option<super::scope::Runtime>,
    /// codex, claude, openclaw: rewrite every MCP server entry to run through `aethelgard proxy
    /// mcp` for this task (a URL server with `--upstream`). `--mcp-proxy=PATH` names the
    /// aethelgard binary the entries run (default: this one, by absolute path).
    #[arg(long, value_name = "AETHELGARD", num_args = 0..=1, require_equals = true)]
    pub mcp_proxy: Option<Option<PathBuf>>,
    /// claude: the MCP configuration `--mcp-proxy` rewrites (default: `.mcp.json` in the project
    /// that --file belongs to).
    #[arg(long, value_name = "PATH", requires = "mcp_proxy")]
    pub mcp_config: Option<PathBuf>,
}

/// An exporter run over a file's current text and the record of an earlier export.
type Edit = Box<dyn FnOnce(Option<&str>, &Owned) -> anyhow::Result<Export>>;

/// How a file is edited, for taking our changes back (`uninstall`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FileKind {
    Toml,
    Json,
    CodexHooks,
    Markdown,
    /// A file we generate whole (`.rules`).
    Whole,
}

/// The record kept of one file we edited: enough to take our changes back exactly.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct FileState {
    pub version: u32,
    pub kind: FileKind,
    /// The file did not exist before our first edit.
    pub created: bool,
    /// The backup of the original this record made (none when the file was created, or when a
    /// backup already existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backup: Option<PathBuf>,
    /// SHA-256 of the text we last wrote: when the file still has it, `uninstall` restores the
    /// backup byte for byte; otherwise it removes only what `owned` lists.
    pub written_sha256: String,
    #[serde(default)]
    pub owned: Owned,
}

pub fn sha256(text: &str) -> String {
    crate::load::sha256_hex(text.as_bytes())
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

pub fn backup_path(path: &Path) -> PathBuf {
    with_suffix(path, ".aethelgard.bak")
}

pub fn state_path(path: &Path) -> PathBuf {
    with_suffix(path, ".aethelgard.json")
}

/// The file's text, `None` when it does not exist.
pub fn read_optional(path: &Path) -> anyhow::Result<Option<String>> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}

/// Writes through a temporary file and a rename, keeping the old file's permissions.
pub fn write_atomic(path: &Path, text: &str) -> anyhow::Result<()> {
    let tmp = with_suffix(path, ".aethelgard.tmp");
    std::fs::write(&tmp, text).with_context(|| format!("cannot write {}", tmp.display()))?;
    if let Ok(metadata) = std::fs::metadata(path) {
        let _ = std::fs::set_permissions(&tmp, metadata.permissions());
    }
    std::fs::rename(&tmp, path).with_context(|| format!("cannot replace {}", path.display()))
}

/// Creates the missing folders above `path`; returns those it created, outermost first.
pub fn create_parents(path: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut missing = Vec::new();
    let mut dir = path.parent();
    while let Some(d) = dir {
        if d.as_os_str().is_empty() || d.exists() {
            break;
        }
        missing.push(d.to_path_buf());
        dir = d.parent();
    }
    missing.reverse();
    for d in &missing {
        std::fs::create_dir(d).with_context(|| format!("cannot create {}", d.display()))?;
    }
    Ok(missing)
}

/// One edit of one file: `edit` gets the text as it is and what an earlier edit owned, and
/// returns the new text. Keeps a backup of the original on the first edit. Returns the export,
/// the new record, and the folders it created.
pub fn edit_file(
    path: &Path,
    kind: FileKind,
    previous: Option<&FileState>,
    edit: impl FnOnce(Option<&str>, &Owned) -> anyhow::Result<Export>,
) -> anyhow::Result<(Export, FileState, Vec<PathBuf>)> {
    let existing = read_optional(path)?;
    let owned = previous.map(|s| s.owned.clone()).unwrap_or_default();
    let export = edit(existing.as_deref(), &owned)?;
    let mut state = match previous {
        Some(state) => state.clone(),
        None => FileState { version: 1, kind, created: existing.is_none(), backup: None, written_sha256: String::new(), owned: Owned::default() },
    };
    state.owned = export.owned.clone();
    let mut dirs = Vec::new();
    if existing.as_deref() != Some(export.text.as_str()) {
        dirs = create_parents(path)?;
        if let Some(original) = &existing {
            let backup = backup_path(path);
            if previous.is_none() && !backup.exists() {
                std::fs::write(&backup, original).with_context(|| format!("cannot write the backup {}", backup.display()))?;
                state.backup = Some(backup);
            }
        }
        write_atomic(path, &export.text)?;
    }
    state.written_sha256 = sha256(&export.text);
    Ok((export, state, dirs))
}

/// Prints what an export changed (or that it changed nothing) and its notes, to stderr.
pub fn report(path: &Path, export: &Export) {
    if export.changes.is_empty() {
        eprintln!("{}: unchanged", path.display());
    } else {
        eprintln!("{}:", path.display());
        for change in &export.changes {
            eprintln!("  {change}");
        }
    }
    for note in &export.notes {
        eprintln!("note: {note}");
    }
}

/// The command the hooks run: this binary, by absolute path.
pub fn hook_command(runtime: &str) -> anyhow::Result<String> {
    let exe = std::env::current_exe().context("cannot find the path of the aethelgard binary")?;
    let exe = exe.canonicalize().unwrap_or(exe);
    let text = exe.to_string_lossy().into_owned();
    let quoted = if text.chars().all(|c| c.is_ascii_alphanumeric() || "/._-+".contains(c)) {
        text
    } else {
        format!("'{}'", text.replace('\'', "'\\''"))
    };
    Ok(format!("{quoted} hook {runtime}"))
}

/// The command rewritten MCP entries run: `--mcp-proxy=PATH` (made absolute) or this binary.
fn proxy_command(args: &Args) -> anyhow::Result<Option<export::ProxyCommand>> {
    let Some(given) = &args.mcp_proxy else { return Ok(None) };
    let program = match given {
        Some(path) if path.is_absolute() => path.clone(),
        Some(path) => std::env::current_dir().context("cannot find the current folder")?.join(path),
        None => {
            let exe = std::env::current_exe().context("cannot find the path of the aethelgard binary")?;
            exe.canonicalize().unwrap_or(exe)
        }
    };
    let task = match (&args.task, &args.task_type) {
        (Some(task), _) => export::ProxyTask::Task(task.clone()),
        (None, Some(task_type)) => export::ProxyTask::TaskType(task_type.clone()),
        (None, None) => anyhow::bail!("--mcp-proxy needs --task-type or --task"),
    };
    Ok(Some(export::ProxyCommand { program: program.to_string_lossy().into_owned(), task }))
}

/// The default Codex folder: `$CODEX_HOME`, else `~/.codex`.
pub fn codex_home() -> Option<PathBuf> {
    std::env::var_os("CODEX_HOME").filter(|v| !v.is_empty()).map(PathBuf::from).or_else(|| dirs::home_dir().map(|h| h.join(".codex")))
}

/// A task's scope over one runtime's catalog plus the extra (MCP) tool names.
pub struct Scoping {
    pub scoped: Scoped,
    pub description: String,
    pub profile_tools: Vec<String>,
    pub tools: Vec<ToolEntry>,
}

impl Scoping {
    pub fn new(governor: &Governor, task: Option<&str>, task_type: Option<&str>, tools: Vec<ToolEntry>, extra: &[String]) -> anyhow::Result<Self> {
        let mut available: Vec<String> = tools.iter().map(|t| t.name.clone()).collect();
        available.extend(extra.iter().cloned());
        // Judge each tool by this runtime's entry: a name several runtimes share (view_image)
        // is a different tool in each.
        let mut catalog = Catalog::default();
        catalog.extend(tools.iter().cloned());
        let scoped = governor.scope_in(&catalog, task, task_type, Some(&available))?;
        let profile = governor.profile(&scoped.profile);
        Ok(Self {
            description: profile.map(|p| p.description.clone()).unwrap_or_default(),
            profile_tools: profile.map(|p| p.tools.clone()).unwrap_or_default(),
            scoped,
            tools,
        })
    }

    pub fn scope(&self) -> Scope<'_> {
        Scope { manifest: &self.scoped.manifest, description: &self.description, tools: &self.tools }
    }
}

fn runtime_tools(name: &str) -> anyhow::Result<Vec<ToolEntry>> {
    Ok(Catalog::builtin(name)?)
}

pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    if args.target == Target::CodexRules {
        return run_rules(args);
    }
    if args.task.is_none() && args.task_type.is_none() {
        anyhow::bail!("give the task type with --task-type or the request with --task; see `aethelgard export --help`");
    }
    if args.agent.is_some() && args.target != Target::Openclaw {
        anyhow::bail!("--agent applies to `export openclaw` only");
    }
    if args.mcp_proxy.is_some() && !matches!(args.target, Target::Codex | Target::Claude | Target::Openclaw) {
        anyhow::bail!("--mcp-proxy applies to `export codex`, `export claude` and `export openclaw` only");
    }
    if args.mcp_config.is_some() && args.target != Target::Claude {
        anyhow::bail!("--mcp-config applies to `export claude` only (Codex: --codex-config; OpenClaw: the servers of --file)");
    }
    let proxy = proxy_command(args)?;
    // Claude Code keeps its MCP servers apart from settings.json: a second file, edited in place.
    let mut mcp_edit: Option<(PathBuf, Edit)> = None;
    let governor = crate::load::governor(args.policy.as_deref(), args.learned.as_deref())?;
    let file = args.file.as_deref();
    let previous = match file {
        Some(path) => read_state(path)?,
        None => None,
    };
    let existing = match file {
        Some(path) => read_optional(path)?,
        None => None,
    };
    let task = args.task.as_deref();
    let task_type = args.task_type.as_deref();
    let (kind, edit): (FileKind, Edit) = match args.target {
        Target::AgentsMd => {
            let tools = match args.runtime {
                Some(runtime) => runtime_tools(runtime.catalog_name())?,
                None => governor.catalog().tools().to_vec(),
            };
            let scoping = Scoping::new(&governor, task, task_type, tools, &[])?;
            (FileKind::Markdown, Box::new(move |text, _| Ok(export::agents_md::export(&scoping.scope(), text)?)))
        }
        Target::Claude => {
            let (mcp_tools, _) = match &existing {
                Some(text) => export::claude::mcp_names(text)?,
                None => (Vec::new(), Vec::new()),
            };
            let scoping = Scoping::new(&governor, task, task_type, runtime_tools("claude")?, &mcp_tools)?;
            let command = hook_command("claude")?;
            // The project this settings file belongs to (`<project>/.claude/settings.json`), else
            // the current folder: its own files must stay readable.
            let project = file
                .and_then(Path::parent)
                .map(|dir| if dir.ends_with(".claude") { dir.parent().unwrap_or(dir) } else { dir })
                .map(Path::to_path_buf)
                .or_else(|| std::env::current_dir().ok())
                .map(|dir| dir.canonicalize().unwrap_or(dir));
            if let Some(proxy) = proxy.clone() {
                if file.is_none() {
                    anyhow::bail!("`export claude --mcp-proxy` edits the MCP configuration in place: give --file (the settings.json to edit)");
                }
                let mcp_path = match (&args.mcp_config, &project) {
                    (Some(path), _) => path.clone(),
                    (None, Some(project)) => project.join(".mcp.json"),
                    (None, None) => anyhow::bail!("cannot find the project folder; give --mcp-config PATH"),
                };
                mcp_edit = Some((mcp_path, Box::new(move |text, owned| Ok(export::mcp_proxy::claude(text, owned, &proxy)?))));
            }
            let home = dirs::home_dir();
            let secrets = export::claude::deniable_paths(governor.protected_paths(), home.as_deref(), project.as_deref().as_slice());
            (
                FileKind::Json,
                Box::new(move |text, owned| {
                    let options = export::claude::Options {
                        hook_command: Some(&command),
                        profile_tools: &scoping.profile_tools,
                        secret_paths: &secrets,
                    };
                    Ok(export::claude::export(&scoping.scope(), text, owned, &options)?)
                }),
            )
        }
        Target::Codex => {
            let main = match &args.codex_config {
                Some(path) => Some(read_optional(path)?.with_context(|| format!("{} does not exist", path.display()))?),
                None => match codex_home().map(|h| h.join("config.toml")) {
                    Some(path) if file.is_none_or(|f| f != path) => read_optional(&path)?,
                    _ => None,
                },
            };
            let servers = match &main {
                Some(text) => export::codex::mcp_servers(text)?,
                None => Vec::new(),
            };
            let uses_permissions = main.as_deref().is_some_and(export::codex::uses_permission_profiles);
            let main_entries = match (&main, &proxy) {
                (Some(text), Some(_)) => export::codex::mcp_server_entries(text)?,
                _ => Vec::new(),
            };
            let proxy = proxy.clone();
            let extra: Vec<String> = servers.iter().flat_map(export::codex::McpServer::qualified).collect();
            let scoping = Scoping::new(&governor, task, task_type, runtime_tools("codex")?, &extra)?;
            let profile_name = file
                .and_then(|f| f.file_name())
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_suffix(".config.toml"))
                .map(str::to_owned)
                .unwrap_or_else(|| format!("aethelgard-{}", scoping.scoped.manifest.task_type));
            (
                FileKind::Toml,
                Box::new(move |text, owned| {
                    let options = export::codex::Options {
                        profile_name: &profile_name,
                        servers: &servers,
                        profile_tools: &scoping.profile_tools,
                        main_uses_permissions: uses_permissions,
                        proxy: proxy.as_ref(),
                        main_entries: &main_entries,
                    };
                    Ok(export::codex::export(&scoping.scope(), text, owned, &options)?)
                }),
            )
        }
        Target::Openclaw => {
            let scoping = Scoping::new(&governor, task, task_type, runtime_tools("openclaw")?, &[])?;
            let agent = args.agent.clone();
            let proxy = proxy.clone();
            (
                FileKind::Json,
                Box::new(move |text, owned| {
                    let options =
                        export::openclaw::Options { agent: agent.as_deref(), profile_tools: &scoping.profile_tools, proxy: proxy.as_ref() };
                    Ok(export::openclaw::export(&scoping.scope(), text, owned, &options)?)
                }),
            )
        }
        Target::CodexRules => return run_rules(args),
    };
    let code = finish(file, kind, previous.as_ref(), edit)?;
    if let Some((path, edit)) = mcp_edit {
        if path.exists() {
            let previous = read_state(&path)?;
            finish(Some(&path), FileKind::Json, previous.as_ref(), edit)?;
        } else {
            eprintln!("note: {} does not exist: no Claude Code MCP server to put behind the proxy (name another with --mcp-config)", path.display());
        }
    }
    Ok(code)
}

/// Prints the result, or edits the file and records what was written.
fn finish(
    file: Option<&Path>,
    kind: FileKind,
    previous: Option<&FileState>,
    edit: Edit,
) -> anyhow::Result<ExitCode> {
    let Some(path) = file else {
        let export = edit(None, &Owned::default())?;
        print!("{}", export.text);
        for note in &export.notes {
            eprintln!("note: {note}");
        }
        return Ok(ExitCode::SUCCESS);
    };
    let (export, state, _) = edit_file(path, kind, previous, edit)?;
    write_state(path, &state)?;
    report(path, &export);
    Ok(ExitCode::SUCCESS)
}

fn run_rules(args: &Args) -> anyhow::Result<ExitCode> {
    let (policy, _, _) = crate::load::policy(args.policy.as_deref())?;
    let rules = export::codex_rules::export(&policy.rules);
    for (id, why) in &rules.skipped {
        eprintln!("note: block rule `{id}` is left to the hook: {why}");
    }
    let text = rules.text;
    let edit: Edit =
        Box::new(move |existing, _| {
            let changes = if existing == Some(text.as_str()) { Vec::new() } else { vec!["write the Codex rules".to_owned()] };
            Ok(Export { text, owned: Owned::default(), changes, notes: Vec::new() })
        });
    let file = args.file.as_deref();
    let previous = match file {
        Some(path) => read_state(path)?,
        None => None,
    };
    finish(file, FileKind::Whole, previous.as_ref(), edit)
}

/// The record beside a file edited with `--file`, if any.
pub fn read_state(path: &Path) -> anyhow::Result<Option<FileState>> {
    let state_file = state_path(path);
    match read_optional(&state_file)? {
        Some(text) => Ok(Some(
            serde_json::from_str(&text).with_context(|| format!("cannot read the export record {}; delete it to start afresh", state_file.display()))?,
        )),
        None => Ok(None),
    }
}

fn write_state(path: &Path, state: &FileState) -> anyhow::Result<()> {
    let state_file = state_path(path);
    let text = format!("{}\n", serde_json::to_string_pretty(state)?);
    if read_optional(&state_file)?.as_deref() == Some(text.as_str()) {
        return Ok(());
    }
    write_atomic(&state_file, &text)
}
