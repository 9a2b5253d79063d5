//! `aethelgard proxy mcp`: an MCP server behind Aethelgard, over stdio or Streamable HTTP on
//! either side.

use super::gate::Governed;
use crate::audit::Recorder;
use aethelgard_proxy::mcp::http;
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
    /// Where the client connects: `stdio` (the default; the runtime starts the proxy as the
    /// server) or `http://127.0.0.1:PORT` (Streamable HTTP on any path; port 0 picks one, and the
    /// address is printed on stderr).
    #[arg(long, default_value = "stdio", value_name = "stdio|URL")]
    pub listen: String,
    /// Serve `--listen` on an address other than loopback (anyone who reaches it can use the
    /// server through the proxy).
    #[arg(long)]
    pub allow_non_loopback: bool,
    /// A Streamable HTTP MCP server to proxy, instead of a command.
    #[arg(long, value_name = "URL", conflicts_with = "command")]
    pub upstream: Option<String>,
    /// A header to send with every request to `--upstream` (`Name: value`; repeatable), such as
    /// `Authorization: Bearer ...`. A client's own headers pass through too.
    #[arg(long = "header", value_name = "NAME: VALUE", requires = "upstream")]
    pub headers: Vec<String>,
    /// The MCP server's command and its arguments, after `--`.
    #[arg(
        last = true,
        required_unless_present = "upstream",
        value_name = "COMMAND"
    )]
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
    let listen = http::parse_listen(&args.listen, args.allow_non_loopback)?;
    let upstream = args
        .upstream
        .as_deref()
        .map(|url| http::parse_upstream(url, &args.headers))
        .transpose()?;
    match (listen, upstream) {
        (None, None) => stdio(&args.command, gate),
        (None, Some(upstream)) => ended(http::bridge(upstream, gate)),
        (Some(listen), upstream) => {
            let upstream = match upstream {
                Some(upstream) => http::Upstream::Http(upstream),
                None => http::Upstream::Command(args.command.clone()),
            };
            ended(http::serve(listen, upstream, gate, |addr| {
                eprintln!("aethelgard proxy: serving MCP on http://{addr}/");
            }))
        }
    }
}

fn ended(outcome: Result<(), http::HttpError>) -> anyhow::Result<ExitCode> {
    match outcome {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(error) => {
            eprintln!("aethelgard proxy: {error}");
            Ok(ExitCode::FAILURE)
        }
    }
}

fn stdio(command: &[OsString], gate: Governed) -> anyhow::Result<ExitCode> {
    match aethelgard_proxy::mcp::stdio::run(command, gate) {
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
