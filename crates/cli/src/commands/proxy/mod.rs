//! `aethelgard proxy`: govern an agent at its connections. `proxy mcp` sits between the agent and
//! one MCP server (stdio or Streamable HTTP); `proxy llm` sits between the agent and its model
//! API. The protocol handling is in `aethelgard-proxy`; these commands supply its gate (the
//! governor's manifest, the router's decision, the audit store).

mod gate;
mod llm;
mod mcp;

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
    Mcp(mcp::McpArgs),
    /// Run an LLM API proxy (not yet built).
    #[command(hide = true)]
    Llm(llm::LlmArgs),
}

pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    match &args.kind {
        Kind::Mcp(args) => mcp::run(args),
        Kind::Llm(args) => llm::run(args),
    }
}

