//! `aethelgard report`: metrics tables for a terminal and a self-contained HTML report.
//! (Being built: the report work replaces this file.)

use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The audit store (default: see `aethelgard audit --help`).
    #[arg(long)]
    pub audit_db: Option<std::path::PathBuf>,
}

pub fn run(_args: &Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`aethelgard report` is not built yet")
}
