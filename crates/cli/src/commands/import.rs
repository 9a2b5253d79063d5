//! `aethelgard import FORMAT PATH...`: agent logs into the audit store or session JSONL.
//! (Being built: the importers work replaces this file.)

use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The files to import.
    pub paths: Vec<std::path::PathBuf>,
}

pub fn run(_args: &Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`aethelgard import` is not built yet")
}
