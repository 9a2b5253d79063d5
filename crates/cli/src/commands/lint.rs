//! `aethelgard lint`: placeholder, being written this session.

use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {}

pub fn run(_args: &Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`aethelgard lint` is not written yet")
}
