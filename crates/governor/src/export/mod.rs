//! Exporters: a task's manifest written into each runtime's own configuration, so that the tools
//! a task may not use are gone before the model sees them (layer 1, enforced twice: in the
//! runtime's configuration and in the words the model reads).
//!
//! Every exporter is a pure function from the manifest, the runtime's catalog and the text of the
//! file as it is now (plus the record of what an earlier export wrote there) to the new text. The
//! CLI does the reading, writing and backups. Each exporter edits in place: the user's comments,
//! layout and keys it does not own stay byte for byte, and exporting twice changes nothing.
//!
//! | target | file | what it owns |
//! |---|---|---|
//! | [`codex`] | a Codex profile file (`~/.codex/NAME.config.toml`) | tool toggles, the sandbox, `shell_environment_policy`, MCP `enabled_tools` |
//! | [`codex_rules`] | a Codex `.rules` file | the whole file (generated from the policy's prefix rules) |
//! | [`claude`] | `.claude/settings.json` | the entries it adds to `permissions.deny`, its `PreToolUse` hook |
//! | [`openclaw`] | `openclaw.json` (JSON5) | `tools.allow` and the entries it adds to `tools.deny` (or one agent's) |
//! | [`agents_md`] | `AGENTS.md` | the text between its two markers |
//! | [`mcp_proxy`] | the runtime's MCP server entries (with `--mcp-proxy`) | each entry's `command`, `args` and transport keys |
//!
//! What each exporter owns is recorded in [`Owned`], which the CLI keeps beside the file, so that a
//! later export with another task type takes back only its own entries, and `uninstall` can
//! remove them from a file the user has edited since.

pub mod agents_md;
pub mod claude;
pub mod codex;
pub mod codex_rules;
mod json_doc;
pub mod mcp_proxy;
pub mod openclaw;
mod owned;
mod toml_doc;

pub use mcp_proxy::{ProxyCommand, ProxyTask};
pub use owned::{Owned, OwnedEntries, OwnedKey};

use aethelgard_policy::ToolEntry;
use aethelgard_protocol::{Manifest, RiskTag};
use thiserror::Error;

/// What can go wrong while exporting.
#[derive(Debug, Error)]
pub enum ExportError {
    #[error("cannot parse {origin}: {message}; fix the file or export to another one with --file")]
    Parse { origin: String, message: String },
    #[error("{origin}: {message}")]
    Shape { origin: String, message: String },
}

/// What an exporter needs to know about the task.
#[derive(Clone, Copy, Debug)]
pub struct Scope<'a> {
    pub manifest: &'a Manifest,
    /// The task profile's description (one sentence, for the words the model reads).
    pub description: &'a str,
    /// The catalog entries of the runtime's tools: their risk tags and groups.
    pub tools: &'a [ToolEntry],
}

impl Scope<'_> {
    pub fn entry(&self, name: &str) -> Option<&ToolEntry> {
        self.tools.iter().find(|tool| tool.name == name)
    }

    pub fn is_granted(&self, name: &str) -> bool {
        self.manifest.granted.iter().any(|granted| granted == name)
    }

    /// Whether any granted tool carries `tag`.
    pub fn grants_tag(&self, tag: RiskTag) -> bool {
        self.manifest.granted.iter().filter_map(|name| self.entry(name)).any(|tool| tool.risk.contains(&tag))
    }
}

/// An exporter's answer: the new text, what it owns in it, and what it changed.
#[derive(Clone, Debug, PartialEq)]
pub struct Export {
    pub text: String,
    pub owned: Owned,
    /// One line per change, for the user (empty when the file already said all this).
    pub changes: Vec<String>,
    /// Things the user should know: what could not be enforced and why.
    pub notes: Vec<String>,
}

/// The MCP tool names a profile can know: `mcp__<server>__<tool>`.
pub fn mcp_tool_name(server: &str, tool: &str) -> String {
    format!("mcp__{server}__{tool}")
}

/// Whether a tool-name glob could grant a tool of an MCP server we cannot list: its literal
/// start is a prefix of `mcp__<server>__` or the other way round.
pub(crate) fn glob_may_cover_server(glob: &str, server: &str) -> bool {
    let literal: String = glob.chars().take_while(|c| !matches!(c, '*' | '?' | '[' | '{')).collect();
    if literal.len() == glob.len() {
        return false;
    }
    let prefix = format!("mcp__{server}__");
    prefix.starts_with(&literal) || literal.starts_with(&prefix)
}
