//! `aethelgard serve`: the policy daemon (issue 7). Not built yet.

use std::path::PathBuf;
use std::process::ExitCode;

/// Run the policy daemon: compiled policy, stage 2 model and audit writer in one process the agent
/// cannot change, answering hooks and proxies on a Unix socket.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Policy file (default: see `aethelgard --help`).
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
}

pub fn run(_args: &Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`aethelgard serve` is not built yet (issue 7)")
}
