//! `aethelgard proxy mcp`: an MCP server behind Aethelgard, over stdio.

use super::gate::Governed;
use crate::audit::Recorder;
use anyhow::Context;
use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;

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

pub fn run(args: &McpArgs) -> anyhow::Result<ExitCode> {
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
        source: "proxy-mcp",
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

