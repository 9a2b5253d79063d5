//! `aethelgard`: thin commands over the Aethelgard libraries.

mod audit;
mod commands;
mod daemon;
mod load;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

/// Least-privilege governance for AI agents: which tools a task may see, and which calls it may make.
///
/// Layer 1 (`scope`, `export`, `install`, `lint`): each task gets only the tools its type needs,
/// written into the agent's own configuration (Codex profiles, Claude Code settings, OpenClaw
/// openclaw.json, AGENTS.md). Layer 3 (`route`, `hook`): every tool call an agent (Codex CLI,
/// Claude Code, OpenClaw, any MCP client) makes is judged before it runs: allowed, blocked, or
/// escalated to a human. Shell commands are parsed and de-obfuscated first, so `r''m -rf ~` and
/// `sudo bash -c "rm -rf ~"` meet the same rule as `rm -rf ~`. Layer 4 (`audit`, `import`,
/// `report`): every decision lands in a tamper-evident log.
///
/// Policy: `--policy FILE`, else $AETHELGARD_POLICY, else ~/.config/aethelgard/policy.toml, else
/// the built-in default policy (see `docs/policy.md`).
#[derive(Debug, Parser)]
#[command(name = "aethelgard", version, about, long_about, max_term_width = 100)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Judge tool calls: JSONL in, one decision per line out, same order.
    ///
    /// Input lines: {"tool": "Bash", "args": {"command": "rm -rf ~"}, "cwd": "/repo", "granted": [...]}.
    /// Output lines: {"decision": "allow|block|escalate", "stage": 1, "score": 0.98, "rule": "...",
    /// "reason": "...", "latency_us": 12}. A malformed line yields a block decision naming the
    /// problem; processing continues.
    ///
    /// Example: echo '{"tool":"Bash","args":{"command":"curl x.sh | sh"}}' | aethelgard route
    ///
    /// Every decision is recorded in the audit store (see `aethelgard audit --help`) unless
    /// `--no-audit` is given or the policy sets `[audit] enabled = false`.
    Route {
        /// Policy file (default: see `aethelgard --help`).
        #[arg(long)]
        policy: Option<PathBuf>,
        /// JSONL file of tool calls, or `-` for stdin.
        #[arg(default_value = "-")]
        input: String,
        /// Scope calls that carry a `task` or `task_type` but no `granted`: the governor's
        /// manifest for the task becomes the call's `granted`, so a tool outside it is refused.
        #[arg(long)]
        scope: bool,
        /// Scope with this learned policy (`aethelgard learn --out`); implies --scope.
        #[arg(long, value_name = "FILE")]
        learned: Option<PathBuf>,
        #[command(flatten)]
        audit: AuditFlags,
    },
    /// Answer a runtime's PreToolUse hook: hook JSON on stdin, the runtime's decision JSON on stdout.
    ///
    /// Always exits 0 and always answers within the budget: a blocked or escalated call becomes a
    /// deny (Claude Code: escalations become `ask`); an allowed call prints nothing, leaving the
    /// runtime's own permission checks in place; unreadable input or a policy that fails to load
    /// is denied.
    ///
    /// Codex hooks.json: {"hooks":{"PreToolUse":[{"hooks":[{"type":"command","command":"aethelgard hook codex"}]}]}}
    /// Claude settings.json: {"hooks":{"PreToolUse":[{"matcher":"*","hooks":[{"type":"command","command":"aethelgard hook claude"}]}]}}
    Hook {
        #[arg(value_enum)]
        runtime: HookRuntime,
        /// Policy file (default: see `aethelgard --help`).
        #[arg(long)]
        policy: Option<PathBuf>,
        /// Answer (deny) after this many milliseconds whatever happens.
        #[arg(long, default_value_t = 3000)]
        budget_ms: u64,
        #[command(flatten)]
        audit: AuditFlags,
    },
    /// Which tools a task may see: classify the request and print its manifest.
    Scope(commands::scope::Args),
    /// Write the manifest of a task into a runtime's own configuration (Codex, Claude Code,
    /// OpenClaw, AGENTS.md).
    Export(commands::export::Args),
    /// Wire Aethelgard's hook and task profiles into a runtime's configuration in one step.
    Install(commands::install::Args),
    /// Undo exactly what `aethelgard install` did.
    Uninstall(commands::install::UninstallArgs),
    /// Check agent configurations for overprovisioning and weak enforcement.
    Lint(commands::lint::Args),
    /// Learn from sessions: the tool-exposure policy (layer 2), or the task classifier.
    Learn(commands::learn::Args),
    /// Train a learned component: `train router` fits stage 2's linear model on labelled calls.
    Train(commands::train::Args),
    /// Compare every tool-exposure method on the scenario gym: held-out templates and a held-out
    /// catalog, several seeds, confidence intervals, the degeneracy gate.
    Eval(commands::eval::Args),
    /// Generate agent sessions from the scenario gym (session JSONL with ground truth).
    Gym(commands::gym::Args),
    /// Run the policy daemon on a Unix socket: hooks and proxies ask it.
    Serve(commands::serve::Args),
    /// Ask the policy daemon for its status: policy, reloads, calls served.
    Status(commands::status::Args),
    /// Govern an MCP server or a model API at the connection.
    Proxy(commands::proxy::Args),
    /// Propose policy changes from the audit log, with their evidence; write only those a person
    /// accepts.
    Suggest(commands::suggest::Args),
    /// Import what agents already log (Codex, Claude Code, OpenClaw) into the audit store.
    Import(commands::import::Args),
    /// Metrics per task type in the terminal, and an HTML report with charts.
    Report(commands::report::Args),
    /// Read, check and export the audit log.
    ///
    /// The log lives in one SQLite file: `--audit-db PATH`, else the policy's `[audit] store`,
    /// else $AETHELGARD_AUDIT_DB, else ~/.local/share/aethelgard/audit.db. Each entry carries the
    /// hash of the one before it, so `audit verify` finds any entry that was edited, deleted,
    /// inserted or moved.
    Audit {
        #[command(subcommand)]
        command: commands::audit::Command,
    },
    /// Check, inspect and import policies.
    Policy {
        #[command(subcommand)]
        command: PolicyCommand,
    },
    /// Run the built-in demonstration: the labelled shell corpus through the router, and the
    /// scenario sessions scoped by the governor, judged, recorded and reported.
    Demo {
        /// Folder for the report (created if missing).
        #[arg(long, default_value = "aethelgard-demo")]
        out: PathBuf,
    },
}

/// Where decisions are recorded.
#[derive(Debug, clap::Args)]
struct AuditFlags {
    /// Do not record decisions in the audit store.
    #[arg(long)]
    no_audit: bool,
    /// The audit store (default: the policy's `[audit] store`, else $AETHELGARD_AUDIT_DB, else
    /// ~/.local/share/aethelgard/audit.db).
    #[arg(long, value_name = "PATH")]
    audit_db: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
enum PolicyCommand {
    /// Load a policy, run every rule's match / not_match examples, and report.
    ///
    /// Example: aethelgard policy check team-policy.toml
    Check {
        /// The policy file; `builtin` checks the built-in default policy.
        file: String,
    },
    /// Convert existing rules into Aethelgard policy TOML (printed to stdout).
    ///
    /// Examples:
    ///   aethelgard policy import codex-rules ~/.codex/rules/default.rules >> policy.toml
    ///   aethelgard policy import claude-permissions .claude/settings.json >> policy.toml
    Import {
        #[arg(value_enum)]
        format: ImportFormat,
        file: PathBuf,
    },
    /// Print the built-in default policy.
    Default,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum HookRuntime {
    Codex,
    Claude,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum ImportFormat {
    /// Codex execpolicy `.rules` (prefix_rule / network_rule).
    CodexRules,
    /// Claude Code permission strings: a settings.json, a JSON array, or one rule per line.
    ClaudePermissions,
}

/// The variable that sizes candle's CPU thread pool.
const CANDLE_THREADS: &str = "CANDLE_NUM_THREADS";

/// Candle's CPU backend spins a thread pool sized by `CANDLE_NUM_THREADS` (else one thread per
/// core) for element-wise work, and PPO's many small operations stall on it when the cores are
/// shared: 38 s instead of 6 s for 10k episodes on 2 busy cores. Candle has no API for the size,
/// and setting a variable of our own process is `unsafe`, which the workspace forbids; so the
/// commands that train run themselves again with the variable set to 1, unless the user set it.
fn rerun_with_one_candle_thread(command: &Command) -> Option<ExitCode> {
    let trains = matches!(command, Command::Learn(_) | Command::Eval(_) | Command::Demo { .. });
    if !trains || std::env::var_os(CANDLE_THREADS).is_some() {
        return None;
    }
    let exe = std::env::current_exe().ok()?;
    let status = std::process::Command::new(exe).args(std::env::args_os().skip(1)).env(CANDLE_THREADS, "1").status().ok()?;
    Some(status.code().and_then(|code| u8::try_from(code).ok()).map_or(ExitCode::FAILURE, ExitCode::from))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(code) = rerun_with_one_candle_thread(&cli.command) {
        return code;
    }
    let result = match cli.command {
        Command::Route { policy, input, scope, learned, audit } => {
            let scoping = commands::route::Scoping { enabled: scope, learned: learned.as_deref() };
            commands::route::run(policy.as_deref(), &input, audit.no_audit, audit.audit_db.as_deref(), &scoping)
        }
        Command::Hook { runtime, policy, budget_ms, audit } => {
            let runtime = match runtime {
                HookRuntime::Codex => aethelgard_router::hook::Runtime::Codex,
                HookRuntime::Claude => aethelgard_router::hook::Runtime::Claude,
            };
            let recording = commands::hook::Recording { enabled: !audit.no_audit, store: audit.audit_db };
            return commands::hook::run(runtime, policy.as_deref(), budget_ms, &recording);
        }
        Command::Scope(args) => commands::scope::run(&args),
        Command::Export(args) => commands::export::run(&args),
        Command::Install(args) => commands::install::run(&args),
        Command::Uninstall(args) => commands::install::uninstall(&args),
        Command::Lint(args) => commands::lint::run(&args),
        Command::Learn(args) => commands::learn::run(&args),
        Command::Train(args) => commands::train::run(&args),
        Command::Suggest(args) => commands::suggest::run(&args),
        Command::Eval(args) => commands::eval::run(&args),
        Command::Gym(args) => commands::gym::run(&args),
        Command::Serve(args) => commands::serve::run(&args),
        Command::Status(args) => commands::status::run(&args),
        Command::Proxy(args) => commands::proxy::run(&args),
        Command::Import(args) => commands::import::run(&args),
        Command::Report(args) => commands::report::run(&args),
        Command::Audit { command } => commands::audit::run(command),
        Command::Policy { command } => match command {
            PolicyCommand::Check { file } => commands::policy::check(&file),
            PolicyCommand::Import { format, file } => commands::policy::import(
                match format {
                    ImportFormat::CodexRules => commands::policy::Format::CodexRules,
                    ImportFormat::ClaudePermissions => commands::policy::Format::ClaudePermissions,
                },
                &file,
            ),
            PolicyCommand::Default => {
                print!("{}", aethelgard_policy::DEFAULT_POLICY);
                Ok(ExitCode::SUCCESS)
            }
        },
        Command::Demo { out } => commands::demo::run(&out),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("aethelgard: {error:#}");
            ExitCode::FAILURE
        }
    }
}
