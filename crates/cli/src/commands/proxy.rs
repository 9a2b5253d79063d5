//! `aethelgard proxy`: the MCP and LLM API proxies (issue 7). Not built yet.

use std::process::ExitCode;

/// Govern an MCP server or a model API at the connection: filter tool lists, route tool calls.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// What to proxy: `mcp` or `llm`.
    pub kind: String,
    /// The rest: see `aethelgard proxy --help` once built.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub rest: Vec<String>,
}

pub fn run(_args: &Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`aethelgard proxy` is not built yet (issue 7)")
}
