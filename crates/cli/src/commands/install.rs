//! `aethelgard install` / `uninstall`: wire the hook and the per-task profiles into a runtime's
//! configuration in one step, and take exactly that back.
//!
//! Every file install touches is recorded in `aethelgard-install.json` in the runtime's folder:
//! whether we created it, the backup of the original, the hash of what we wrote, and what we own
//! in it. Uninstall deletes the files we created, restores the backup of a file nobody changed
//! since (byte for byte), and from a file the user edited since removes only our keys.

use super::export::{self as files, FileKind, FileState, Scoping};
use aethelgard_governor::Governor;
use aethelgard_governor::export::{self, claude, codex, openclaw};
use aethelgard_policy::Catalog;
use anyhow::Context as _;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

const RECORD: &str = "aethelgard-install.json";

const EXAMPLES: &str = "\
Examples:
  aethelgard install codex
      hooks.json and its trust entry in ~/.codex/config.toml ($CODEX_HOME when set), execpolicy
      rules in rules/aethelgard.rules, and a profile per task type: codex --profile aethelgard-review
  aethelgard install claude
      the PreToolUse hook in ~/.claude/settings.json, and a settings file per task type:
      claude --settings ~/.claude/aethelgard/review.settings.json
  aethelgard uninstall codex
      takes back exactly what install did
  aethelgard install claude --home /tmp/h
      the same under another home folder (/tmp/h/.claude)
  aethelgard install openclaw
      the OpenClaw plugin (integrations/openclaw) in ~/.openclaw/extensions/aethelgard
      ($OPENCLAW_STATE_DIR/extensions when set): it asks `aethelgard serve` about every tool call
      and blocks when no daemon answers
  aethelgard install openclaw --dry-run
      says what it would write, writes nothing

See docs/export.md.";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum InstallRuntime {
    Codex,
    Claude,
    Openclaw,
}

/// Wire Aethelgard's hook and task profiles into a runtime's configuration in one step.
#[derive(Debug, clap::Args)]
#[command(after_long_help = EXAMPLES)]
pub struct Args {
    #[arg(value_enum)]
    pub runtime: InstallRuntime,
    /// The home folder holding `.codex`, `.claude` or `.openclaw` (default: your home; for Codex
    /// $CODEX_HOME when it is set).
    #[arg(long, value_name = "DIR")]
    pub home: Option<PathBuf>,
    /// Policy file whose task profiles are written (default: see `aethelgard --help`).
    #[arg(long)]
    pub policy: Option<PathBuf>,
    /// A learned policy file, overriding the policy's `[governor] learned`.
    #[arg(long, value_name = "FILE")]
    pub learned: Option<PathBuf>,
    /// Say what would be written and write nothing (OpenClaw only, for now).
    #[arg(long)]
    pub dry_run: bool,
}

/// Undo exactly what `aethelgard install` did.
#[derive(Debug, clap::Args)]
pub struct UninstallArgs {
    #[arg(value_enum)]
    pub runtime: InstallRuntime,
    /// The home folder given to `install --home`.
    #[arg(long, value_name = "DIR")]
    pub home: Option<PathBuf>,
}

/// What install did, kept in the runtime's folder.
#[derive(Debug, Serialize, Deserialize)]
struct Record {
    version: u32,
    runtime: InstallRuntime,
    /// Folders install created, outermost first.
    #[serde(default)]
    dirs: Vec<PathBuf>,
    files: Vec<Installed>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Installed {
    path: PathBuf,
    #[serde(flatten)]
    state: FileState,
}

impl Record {
    fn state(&self, path: &Path) -> Option<&FileState> {
        self.files.iter().find(|f| f.path == path).map(|f| &f.state)
    }

    fn put(&mut self, path: &Path, state: FileState) {
        match self.files.iter_mut().find(|f| f.path == path) {
            Some(file) => file.state = state,
            None => self.files.push(Installed { path: path.to_path_buf(), state }),
        }
    }
}

fn runtime_dir(runtime: InstallRuntime, home: Option<&Path>) -> anyhow::Result<PathBuf> {
    let folder = match runtime {
        InstallRuntime::Codex => ".codex",
        InstallRuntime::Claude => ".claude",
        InstallRuntime::Openclaw => ".openclaw",
    };
    let dir = match (home, runtime) {
        (Some(home), _) => home.join(folder),
        (None, InstallRuntime::Codex) => files::codex_home().context("cannot find your home folder; give --home")?,
        // OpenClaw's own state folder, where it discovers global plugins (`extensions/`).
        (None, InstallRuntime::Openclaw) if std::env::var_os("OPENCLAW_STATE_DIR").is_some_and(|v| !v.is_empty()) => {
            PathBuf::from(std::env::var_os("OPENCLAW_STATE_DIR").unwrap_or_default())
        }
        (None, _) => dirs::home_dir().context("cannot find your home folder; give --home")?.join(folder),
    };
    Ok(std::path::absolute(&dir).unwrap_or(dir))
}

/// The OpenClaw plugin, embedded so the binary installs the version it was built with.
const OPENCLAW_PLUGIN: [(&str, &str); 3] = [
    ("openclaw.plugin.json", include_str!("../../../../integrations/openclaw/aethelgard/openclaw.plugin.json")),
    ("package.json", include_str!("../../../../integrations/openclaw/aethelgard/package.json")),
    ("index.js", include_str!("../../../../integrations/openclaw/aethelgard/index.js")),
];

/// OpenClaw's config: `openclaw.json` in its state folder, or `$OPENCLAW_CONFIG_PATH` when set (as
/// OpenClaw itself reads it) and no `--home` was given.
fn openclaw_config(dir: &Path, home: Option<&Path>) -> PathBuf {
    match std::env::var_os("OPENCLAW_CONFIG_PATH").filter(|v| !v.is_empty() && home.is_none()) {
        Some(path) => PathBuf::from(path),
        None => dir.join("openclaw.json"),
    }
}

/// Where the plugin goes: OpenClaw loads every plugin folder under its state folder's `extensions`.
fn openclaw_plugin_dir(dir: &Path) -> PathBuf {
    dir.join("extensions").join("aethelgard")
}

/// The task types to write a profile for: the built-in ones and the policy's own, without the
/// profiles that only serve as bases for others.
fn task_types(governor: &Governor) -> Vec<String> {
    let bases: Vec<&String> = governor.profiles().flat_map(|p| p.chain.iter().skip(1)).collect();
    let builtin: Vec<&str> = aethelgard_governor::tasks::ids().collect();
    governor.task_types().into_iter().filter(|t| builtin.contains(&t.as_str()) || !bases.contains(&t)).collect()
}

fn read_record(path: &Path) -> anyhow::Result<Option<Record>> {
    match files::read_optional(path)? {
        Some(text) => Ok(Some(serde_json::from_str(&text).with_context(|| format!("cannot read the install record {}", path.display()))?)),
        None => Ok(None),
    }
}

pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let dir = runtime_dir(args.runtime, args.home.as_deref())?;
    if args.dry_run {
        return dry_run(args.runtime, &dir, args.home.as_deref());
    }
    let governor = crate::load::governor(args.policy.as_deref(), args.learned.as_deref())?;
    let record_path = dir.join(RECORD);
    let mut record = read_record(&record_path)?.unwrap_or(Record { version: 1, runtime: args.runtime, dirs: Vec::new(), files: Vec::new() });
    let mut new_dirs = files::create_parents(&record_path)?;
    let result = match args.runtime {
        InstallRuntime::Codex => install_codex(&governor, &dir, args, &mut record, &mut new_dirs),
        InstallRuntime::Claude => install_claude(&governor, &dir, &mut record, &mut new_dirs),
        InstallRuntime::Openclaw => install_openclaw(&dir, args.home.as_deref(), &mut record, &mut new_dirs),
    };
    // Record what was done even when a later step failed, so uninstall can take it back.
    for d in new_dirs {
        if !record.dirs.contains(&d) {
            record.dirs.push(d);
        }
    }
    files::write_atomic(&record_path, &format!("{}\n", serde_json::to_string_pretty(&record)?))?;
    result?;
    eprintln!("installed; `aethelgard uninstall {}` takes it back (record: {})", name(args.runtime), record_path.display());
    Ok(ExitCode::SUCCESS)
}

fn name(runtime: InstallRuntime) -> &'static str {
    match runtime {
        InstallRuntime::Codex => "codex",
        InstallRuntime::Claude => "claude",
        InstallRuntime::Openclaw => "openclaw",
    }
}

/// One file edit recorded in `record`.
fn edit(
    record: &mut Record,
    new_dirs: &mut Vec<PathBuf>,
    path: &Path,
    kind: FileKind,
    edit: impl FnOnce(Option<&str>, &export::Owned) -> anyhow::Result<export::Export>,
) -> anyhow::Result<()> {
    let previous = record.state(path).cloned();
    let (export, state, dirs) = files::edit_file(path, kind, previous.as_ref(), edit)?;
    new_dirs.extend(dirs);
    record.put(path, state);
    if !export.changes.is_empty() {
        files::report(path, &export);
    }
    Ok(())
}

fn install_codex(governor: &Governor, dir: &Path, args: &Args, record: &mut Record, new_dirs: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    let command = files::hook_command("codex")?;
    let hooks_path = dir.join("hooks.json");
    let mut group = 0;
    edit(record, new_dirs, &hooks_path, FileKind::CodexHooks, |text, owned| {
        let (export, index) = codex::hooks::hooks_json(text, owned, &command)?;
        group = index;
        Ok(export)
    })?;
    let config_path = dir.join("config.toml");
    let hooks_key = hooks_path.to_string_lossy().into_owned();
    edit(record, new_dirs, &config_path, FileKind::Toml, |text, owned| Ok(codex::hooks::trust(text, owned, &hooks_key, group, &command)?))?;

    let (policy, _, _) = crate::load::policy(args.policy.as_deref())?;
    let rules = export::codex_rules::export(&policy.rules).text;
    edit(record, new_dirs, &dir.join("rules").join("aethelgard.rules"), FileKind::Whole, |existing, _| {
        let changes = if existing == Some(rules.as_str()) { Vec::new() } else { vec!["write the Codex rules".to_owned()] };
        Ok(export::Export { text: rules, owned: export::Owned::default(), changes, notes: Vec::new() })
    })?;

    let main = files::read_optional(&config_path)?.unwrap_or_default();
    let servers = codex::mcp_servers(&main)?;
    let extra: Vec<String> = servers.iter().flat_map(codex::McpServer::qualified).collect();
    let uses_permissions = codex::uses_permission_profiles(&main);
    let tools = Catalog::builtin("codex")?;
    let mut written = Vec::new();
    for task_type in task_types(governor) {
        let scoping = Scoping::new(governor, None, Some(&task_type), tools.clone(), &extra)?;
        let profile_name = format!("aethelgard-{task_type}");
        let path = dir.join(format!("{profile_name}.config.toml"));
        edit(record, new_dirs, &path, FileKind::Toml, |text, owned| {
            let options = codex::Options { profile_name: &profile_name, servers: &servers, profile_tools: &scoping.profile_tools, main_uses_permissions: uses_permissions, ..Default::default() };
            let mut export = codex::export(&scoping.scope(), text, owned, &options)?;
            // The same caveats hold for every profile; they are in docs/export.md.
            export.notes.clear();
            Ok(export)
        })?;
        written.push(profile_name);
    }
    eprintln!("Codex profiles: {} (use `codex --profile NAME`)", written.join(", "));
    Ok(())
}

fn install_claude(governor: &Governor, dir: &Path, record: &mut Record, new_dirs: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    let command = files::hook_command("claude")?;
    // What would hide the user's own home (`/root` for root) stays readable: Claude Code's deny
    // rules win over everything, and these settings apply in every project.
    let installed_home: Vec<&Path> = dir.parent().into_iter().collect();
    let secrets = claude::deniable_paths(governor.protected_paths(), dirs::home_dir().as_deref(), &installed_home);
    let settings = dir.join("settings.json");
    edit(record, new_dirs, &settings, FileKind::Json, |text, owned| {
        Ok(claude::hook_only(text, owned, &command, &secrets)?)
    })?;
    let tools = Catalog::builtin("claude")?;
    let mut written = Vec::new();
    for task_type in task_types(governor) {
        let scoping = Scoping::new(governor, None, Some(&task_type), tools.clone(), &[])?;
        let path = dir.join("aethelgard").join(format!("{task_type}.settings.json"));
        edit(record, new_dirs, &path, FileKind::Json, |text, owned| {
            // The hook is in the user's settings already; these files only scope the tools.
            let options = claude::Options { hook_command: None, profile_tools: &scoping.profile_tools, secret_paths: &secrets };
            Ok(claude::export(&scoping.scope(), text, owned, &options)?)
        })?;
        written.push(path.display().to_string());
    }
    eprintln!("Claude Code settings per task type (use `claude --settings FILE`): {}", written.join(", "));
    Ok(())
}

/// `--dry-run`: what install would write, nothing written.
fn dry_run(runtime: InstallRuntime, dir: &Path, home: Option<&Path>) -> anyhow::Result<ExitCode> {
    if runtime != InstallRuntime::Openclaw {
        anyhow::bail!("--dry-run is supported for `install openclaw` only; `aethelgard export {} --dry-run` shows each file", name(runtime));
    }
    let plugin = openclaw_plugin_dir(dir);
    for (file, text) in OPENCLAW_PLUGIN {
        let path = plugin.join(file);
        let verb = match files::read_optional(&path)? {
            Some(existing) if existing == text => "unchanged",
            Some(_) => "would replace",
            None => "would write",
        };
        eprintln!("{}: {verb} ({} bytes)", path.display(), text.len());
    }
    eprintln!(
        "{}: would set plugins.entries.aethelgard.enabled = true (and add it to plugins.allow when that list is in use)",
        openclaw_config(dir, home).display()
    );
    eprintln!("and record it in {}; nothing was written", dir.join(RECORD).display());
    Ok(ExitCode::SUCCESS)
}

/// The plugin's files, written whole into OpenClaw's extensions folder; OpenClaw discovers and
/// enables a plugin found there at its next start.
fn install_openclaw(dir: &Path, home: Option<&Path>, record: &mut Record, new_dirs: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    let plugin = openclaw_plugin_dir(dir);
    for (file, text) in OPENCLAW_PLUGIN {
        edit(record, new_dirs, &plugin.join(file), FileKind::Whole, |existing, _| {
            let changes = if existing == Some(text) { Vec::new() } else { vec![format!("write the Aethelgard plugin's {file}")] };
            Ok(export::Export { text: text.to_owned(), owned: export::Owned::default(), changes, notes: Vec::new() })
        })?;
    }
    let config = openclaw_config(dir, home);
    edit(record, new_dirs, &config, FileKind::Json, |text, owned| Ok(openclaw::enable_plugin(text, owned, "aethelgard")?))?;
    eprintln!(
        "OpenClaw plugin `aethelgard` in {}, enabled in {}: every tool call is asked of `aethelgard serve` and blocked when no daemon answers. \
         Start the daemon before OpenClaw.",
        plugin.display(),
        config.display()
    );
    Ok(())
}

pub fn uninstall(args: &UninstallArgs) -> anyhow::Result<ExitCode> {
    let dir = runtime_dir(args.runtime, args.home.as_deref())?;
    let record_path = dir.join(RECORD);
    let Some(record) = read_record(&record_path)? else {
        eprintln!("nothing to uninstall: {} does not exist", record_path.display());
        return Ok(ExitCode::SUCCESS);
    };
    let mut failures = 0usize;
    for file in record.files.iter().rev() {
        match revert(&file.path, &file.state) {
            Ok(line) => eprintln!("{}: {line}", file.path.display()),
            Err(error) => {
                failures += 1;
                eprintln!("{}: cannot take back: {error:#}", file.path.display());
            }
        }
    }
    if failures > 0 {
        anyhow::bail!("{failures} file(s) could not be restored; the record {} is kept", record_path.display());
    }
    std::fs::remove_file(&record_path).with_context(|| format!("cannot remove {}", record_path.display()))?;
    for d in record.dirs.iter().rev() {
        // Only folders we created and that are empty again.
        if std::fs::read_dir(d).is_ok_and(|mut entries| entries.next().is_none()) {
            let _ = std::fs::remove_dir(d);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Takes our changes out of one file; says what it did.
fn revert(path: &Path, state: &FileState) -> anyhow::Result<String> {
    let backup = state.backup.as_deref();
    let Some(current) = files::read_optional(path)? else {
        if let Some(backup) = backup {
            // The user deleted the file since: leave it deleted, drop our backup.
            let _ = std::fs::remove_file(backup);
        }
        return Ok("already gone".to_owned());
    };
    if files::sha256(&current) == state.written_sha256 {
        if state.created {
            std::fs::remove_file(path).with_context(|| format!("cannot remove {}", path.display()))?;
            return Ok("removed (we created it)".to_owned());
        }
        if let Some(backup) = backup
            && let Some(original) = files::read_optional(backup)?
        {
            files::write_atomic(path, &original)?;
            std::fs::remove_file(backup).with_context(|| format!("cannot remove {}", backup.display()))?;
            return Ok("restored from the backup".to_owned());
        }
    }
    // Edited since (or no backup of ours): remove only what we own.
    let reverted = match state.kind {
        FileKind::Toml => codex::revert(&current, &state.owned)?,
        FileKind::Json => claude::revert(&current, &state.owned)?,
        FileKind::CodexHooks => codex::hooks::revert_hooks_json(&current, &state.owned)?,
        FileKind::Markdown | FileKind::Whole => {
            return Ok("left as it is: changed since install".to_owned());
        }
    };
    files::write_atomic(path, &reverted.text)?;
    if let Some(backup) = backup {
        let _ = std::fs::remove_file(backup);
    }
    Ok(format!("changed since install; took back only our entries ({})", reverted.changes.len()))
}
