//! `aethelgard proxy llm`: not built yet.

use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct LlmArgs {}

pub fn run(_args: &LlmArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`aethelgard proxy llm` is not built yet")
}
