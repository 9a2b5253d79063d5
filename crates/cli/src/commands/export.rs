//! `aethelgard export`: placeholder, being written this session.

use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {}

pub fn run(_args: &Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`aethelgard export` is not written yet")
}
