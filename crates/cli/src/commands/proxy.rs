//! `aethelgard proxy mcp`: an MCP server behind Aethelgard, over stdio. The protocol handling is
//! in `aethelgard-proxy`; this command supplies its gate: the governor's manifest for the task,
//! the router's decision for each call, and the audit store.

use crate::audit::Recorder;
use aethelgard_audit::{Event, SessionStart};
use aethelgard_governor::Governor;
use aethelgard_protocol::{Decision, ToolCall};
use aethelgard_router::Router;
use anyhow::Context;
use serde_json::Value;
use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;

/// Govern an MCP server or a model API at the connection: filter tool lists, route tool calls.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub kind: Kind,
}

#[derive(Debug, clap::Subcommand)]
pub enum Kind {
    /// Run an MCP server (stdio) behind the proxy: `tools/list` answers keep only the task's
    /// tools, every `tools/call` is routed (a refused call gets a tool error with the reason),
    /// everything else passes through unchanged. Put this command where the runtime's MCP
    /// configuration names the server.
    Mcp(McpArgs),
}

#[derive(Debug, clap::Args)]
pub struct McpArgs {
    /// The user's request: the governor classifies it and scopes the tools.
    #[arg(long)]
    pub task: Option<String>,
    /// The task type, instead of classifying a request (`summarise`, `implement`, ...). Without
    /// `--task` or `--task-type` every tool is listed, but calls are still routed.
    #[arg(long)]
    pub task_type: Option<String>,
    /// Policy file (default: see `aethelgard --help`).
    #[arg(long)]
    pub policy: Option<PathBuf>,
    /// The audit store (default: the policy's `[audit] store`, else the user's data folder).
    #[arg(long)]
    pub audit_db: Option<PathBuf>,
    /// Record nothing.
    #[arg(long)]
    pub no_audit: bool,
    /// The MCP server's command and its arguments, after `--`.
    #[arg(last = true, required = true, value_name = "COMMAND")]
    pub command: Vec<OsString>,
}

pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    match &args.kind {
        Kind::Mcp(args) => mcp(args),
    }
}

fn mcp(args: &McpArgs) -> anyhow::Result<ExitCode> {
    let policy = args.policy.as_deref();
    let router = crate::load::router(policy).context("cannot load the policy")?;
    let scoped = args.task.is_some() || args.task_type.is_some();
    let governor = if scoped {
        Some(crate::load::governor(policy, None).context("cannot load the governor")?)
    } else {
        None
    };
    let recorder = Recorder::open(
        args.audit_db.as_deref(),
        router.audit_settings(),
        args.no_audit,
        "proxy-mcp",
    )?;
    let gate = Governed {
        router,
        governor,
        task: args.task.clone(),
        task_type: args.task_type.clone(),
        recorder,
        session: format!(
            "proxy-mcp-{}-{}",
            aethelgard_audit::time::now_ms(),
            std::process::id()
        ),
        started: false,
    };
    match aethelgard_proxy::mcp::stdio::run(&args.command, gate) {
        Ok(ended) => match ended.server {
            Some(status) if status.success() => Ok(ExitCode::SUCCESS),
            Some(status) => {
                eprintln!("aethelgard proxy: the MCP server exited with {status}");
                Ok(ExitCode::FAILURE)
            }
            None => {
                eprintln!(
                    "aethelgard proxy: the MCP server did not exit after its input closed; it was killed"
                );
                Ok(ExitCode::FAILURE)
            }
        },
        Err(error) => {
            eprintln!("aethelgard proxy: {error}");
            Ok(ExitCode::FAILURE)
        }
    }
}

/// The proxy's gate: layer 1 (the manifest) and layer 3 (the router), recorded in the audit
/// store before the decision is acted on.
struct Governed {
    router: Router,
    governor: Option<Governor>,
    task: Option<String>,
    task_type: Option<String>,
    recorder: Option<Recorder>,
    session: String,
    started: bool,
}

impl aethelgard_proxy::mcp::Gate for Governed {
    fn granted(&mut self, available: &[String]) -> Option<Vec<String>> {
        let governor = self.governor.as_ref()?;
        match governor.scope(
            self.task.as_deref(),
            self.task_type.as_deref(),
            Some(available),
        ) {
            Ok(scoped) => Some(scoped.manifest.granted),
            Err(error) => {
                // A task the governor cannot scope grants nothing: fail closed.
                eprintln!("aethelgard proxy: cannot scope the task ({error}); no tool is granted");
                Some(Vec::new())
            }
        }
    }

    fn route(&mut self, tool: &str, arguments: Value, granted: Option<Vec<String>>) -> Decision {
        let mut call = ToolCall::new(tool, arguments);
        call.task = self.task.clone();
        call.task_type = self.task_type.clone();
        call.session = Some(self.session.clone());
        call.granted = granted;
        let decision = self.router.route(&call);
        let Some(recorder) = &mut self.recorder else {
            return decision;
        };
        let starts = if self.started {
            Vec::new()
        } else {
            vec![Event::SessionStart(SessionStart {
                session: self.session.clone(),
                task: self.task.clone().unwrap_or_default(),
                task_type: self.task_type.clone(),
                source: Some("proxy-mcp".to_owned()),
                granted: call.granted.clone(),
                ..SessionStart::default()
            })]
        };
        let decided = [(call, decision)];
        match recorder.record_batch_with(&starts, &decided) {
            Ok(_) => {
                self.started = true;
                let [(_, decision)] = decided;
                decision
            }
            Err(error) => {
                // Nothing unaudited runs.
                eprintln!(
                    "aethelgard proxy: cannot record the decision ({error:#}); the call is refused"
                );
                crate::audit::unrecorded(format!("the audit store could not record this call: {error}"), 0)
            }
        }
    }
}
