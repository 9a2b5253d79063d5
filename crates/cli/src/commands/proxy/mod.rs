//! `aethelgard proxy`: govern an agent at its connections. `proxy mcp` sits between the agent and
//! one MCP server (stdio or Streamable HTTP); `proxy llm` sits between the agent and its model
//! API. The protocol handling is in `aethelgard-proxy`; these commands supply its gate (the
//! governor's manifest, the router's decision, the audit store).

mod gate;
mod through_daemon;
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
    /// Put an MCP server behind the proxy: `tools/list` answers keep only the task's tools,
    /// every `tools/call` is routed (a refused call gets a tool error with the reason), and
    /// everything else passes through unchanged. The server is a command after `--` (stdio) or
    /// `--upstream URL` (Streamable HTTP); the client speaks stdio, or Streamable HTTP with
    /// `--listen http://127.0.0.1:PORT`. Protocols 2025-11-25 (with `initialize`) and
    /// 2026-07-28 (stateless). Put this command where the runtime's MCP configuration names
    /// the server (`aethelgard export ... --mcp-proxy` rewrites the entries). See docs/proxy.md.
    ///
    /// Example: `aethelgard proxy mcp --task-type summarise -- npx -y
    /// @modelcontextprotocol/server-filesystem .`
    Mcp(mcp::McpArgs),
    /// Run a model API proxy on 127.0.0.1: point the runtime's model base URL at it
    /// (`ANTHROPIC_BASE_URL`, Codex's `base_url`, OpenClaw's `baseUrl`) and give it the real API
    /// as `--upstream`. It speaks OpenAI Chat Completions (`/v1/chat/completions`), Responses
    /// (`/v1/responses`) and Anthropic Messages (`/v1/messages`), streamed or not: each request
    /// loses the tools outside the task's manifest (in `tools`, deferred-tool lists, tool-search
    /// results, MCP servers), and each tool call in the model's answer is routed before the
    /// runtime sees it; a refused call becomes text ("Aethelgard blocked the call to `exec`:
    /// ..."). Everything else (credentials, other paths) passes through. See docs/llm-proxy.md.
    ///
    /// Example: `aethelgard proxy llm --upstream https://api.anthropic.com --listen
    /// 127.0.0.1:8788 --task-type summarise`, then `ANTHROPIC_BASE_URL=http://127.0.0.1:8788
    /// claude`.
    Llm(llm::LlmArgs),
}

pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    match &args.kind {
        Kind::Mcp(args) => mcp::run(args),
        Kind::Llm(args) => llm::run(args),
    }
}

