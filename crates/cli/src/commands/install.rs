//! `aethelgard install`: placeholder, being written this session.

use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {}

pub fn run(_args: &Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`aethelgard install` is not written yet")
}

#[derive(Debug, clap::Args)]
pub struct UninstallArgs {}

pub fn uninstall(_args: &UninstallArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`aethelgard uninstall` is not written yet")
}
