//! Tool catalogs: what each tool is, what it can do (risk tags), and where in its arguments the
//! router finds a shell command, file paths, URLs or a patch.

use crate::error::PolicyError;
use crate::file::PolicyFile;
use aethelgard_protocol::RiskTag;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

/// The catalogs that ship with Aethelgard, by name.
pub const BUILTIN_CATALOGS: &[(&str, &str)] = &[
    ("codex", include_str!("../../../data/catalogs/codex.jsonl")),
    ("claude", include_str!("../../../data/catalogs/claude.jsonl")),
    ("openclaw", include_str!("../../../data/catalogs/openclaw.jsonl")),
    ("mcp", include_str!("../../../data/catalogs/mcp.jsonl")),
];

/// The start of the `group` of a catalog entry that describes an MCP server's tool (under its
/// bare name, as the server lists it), e.g. `mcp-filesystem`.
pub const MCP_GROUP_PREFIX: &str = "mcp-";

/// The bare tool name inside the name a runtime gives an MCP tool: `mcp__<server>__<tool>`
/// (Codex CLI, Claude Code) or `<server>__<tool>` (OpenClaw). `None` for a name of neither form.
pub fn mcp_bare_name(name: &str) -> Option<&str> {
    let qualified = name.strip_prefix("mcp__").unwrap_or(name);
    let (server, tool) = qualified.split_once("__")?;
    (!server.is_empty() && !tool.is_empty()).then_some(tool)
}

/// Access a path argument needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ArgAccess {
    Read,
    Write,
}

/// One tool: a line of a catalog file. Unknown fields are errors, so a typo (`urlz`) cannot
/// silently switch off the analysis of a tool's arguments.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ToolEntry {
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub risk: Vec<RiskTag>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_schema: Option<serde_json::Value>,
    /// JSON pointers to a shell command (string or argv array); the first present is used.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub shell: Vec<String>,
    /// JSON pointers to file paths, with the access each needs.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub paths: BTreeMap<String, ArgAccess>,
    /// JSON pointers to URLs or hosts.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub urls: Vec<String>,
    /// JSON pointers to an `apply_patch` body whose file headers name the paths written.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub patch: Vec<String>,
    /// Set when the tool is a bridge: its call runs another tool, named in its arguments
    /// (OpenClaw's `tool_call`). The router decides that tool too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bridge: Option<Bridge>,
}

/// Where a bridge tool's arguments name the tool it runs and hold that tool's arguments.
///
/// OpenClaw's `tool_call` is `{"selectors": ["id", "toolId", "name"], "arguments": ["args",
/// "input"], "strip_prefix": "openclaw:*:"}`: `{"id": "openclaw:core:exec", "args": {...}}` runs
/// `exec` with `args`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bridge {
    /// The keys that name the target, in the order the runtime reads them; every one given is
    /// decided, since the runtime may pick any. A selector found only inside the arguments object
    /// is lifted out with it.
    pub selectors: Vec<String>,
    /// The keys that hold the target's arguments, the first present wins; with none present, the
    /// other keys beside the selector are the arguments (`args.<name>` counts as `<name>`).
    #[serde(default)]
    pub arguments: Vec<String>,
    /// Text a selector may start with before the tool's name, `*` standing for any text:
    /// `openclaw:*:` makes the search result id `openclaw:core:exec` name `exec`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strip_prefix: Option<String>,
}

impl Bridge {
    /// A bridge must name where its target is, and its keys must not overlap.
    pub fn check(&self) -> Result<(), String> {
        if self.selectors.is_empty() {
            return Err("`bridge.selectors` is empty; name the argument keys that hold the tool to run (e.g. `[\"id\"]`)".to_owned());
        }
        for key in self.selectors.iter().chain(&self.arguments) {
            if key.trim().is_empty() {
                return Err("`bridge` has an empty key; remove it or name the argument".to_owned());
            }
        }
        if let Some(key) = self.selectors.iter().find(|key| self.arguments.contains(key)) {
            return Err(format!("`bridge`: key `{key}` is both a selector and an arguments key; a key holds either the tool's name or its arguments"));
        }
        if let Some(prefix) = &self.strip_prefix {
            let stars = prefix.matches('*').count();
            if prefix.is_empty() || prefix == "*" || stars > 1 {
                return Err(format!("`bridge.strip_prefix` `{prefix}` must be non-empty text with at most one `*` (e.g. `openclaw:*:`)"));
            }
        }
        Ok(())
    }
}

impl ToolEntry {
    /// Every argument pointer must be an RFC 6901 pointer (start with `/`), and a bridge must be
    /// well formed ([`Bridge::check`]).
    pub fn check_pointers(&self) -> Result<(), String> {
        for pointer in self.shell.iter().chain(self.paths.keys()).chain(&self.urls).chain(&self.patch) {
            if !pointer.starts_with('/') {
                return Err(format!("pointer `{pointer}` of tool `{}` must start with `/` (RFC 6901)", self.name));
            }
        }
        if let Some(bridge) = &self.bridge {
            bridge.check().map_err(|message| format!("tool `{}`: {message}", self.name))?;
        }
        Ok(())
    }

    /// Whether the entry describes an MCP server's tool (its group starts with `mcp-`), so that a
    /// runtime's qualified name for it resolves to it (see [`Catalog::get`]).
    pub fn is_mcp_server_tool(&self) -> bool {
        self.group.as_deref().is_some_and(|group| group.starts_with(MCP_GROUP_PREFIX))
    }

    /// Whether the tool carries any dangerous tag (exec, spawn, credential, destructive, payment).
    pub fn is_dangerous(&self) -> bool {
        self.risk.iter().any(|tag| tag.is_dangerous())
    }
}

/// All tools a policy knows, by name. Later catalogs override earlier ones for the same name.
#[derive(Clone, Debug, Default)]
pub struct Catalog {
    tools: Vec<ToolEntry>,
    by_name: HashMap<String, usize>,
}

impl Catalog {
    /// Parses catalog JSONL. Blank lines and `#` comments are skipped.
    pub fn parse_jsonl(text: &str, origin: &str) -> Result<Vec<ToolEntry>, PolicyError> {
        let mut tools = Vec::new();
        for (index, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let tool: ToolEntry = serde_json::from_str(line).map_err(|e| PolicyError::Catalog {
                origin: origin.to_owned(),
                line: index + 1,
                message: format!("expected a tool object {{\"name\", \"description\", \"risk\": [...]}}: {e}"),
            })?;
            tool.check_pointers()
                .map_err(|message| PolicyError::Catalog { origin: origin.to_owned(), line: index + 1, message })?;
            tools.push(tool);
        }
        Ok(tools)
    }

    /// A built-in catalog by name.
    pub fn builtin(name: &str) -> Result<Vec<ToolEntry>, PolicyError> {
        let (_, text) = BUILTIN_CATALOGS.iter().find(|(n, _)| *n == name).ok_or_else(|| PolicyError::Invalid {
            origin: "catalog".to_owned(),
            message: format!("unknown built-in catalog `{name}`; expected one of codex, claude, openclaw, mcp"),
        })?;
        Self::parse_jsonl(text, &format!("builtin:{name}"))
    }

    /// The catalog a policy file declares.
    pub fn for_policy(file: &PolicyFile, base_dir: Option<&Path>) -> Result<Self, PolicyError> {
        let mut catalog = Self::default();
        for name in &file.catalog.builtin {
            catalog.extend(Self::builtin(name)?);
        }
        for relative in &file.catalog.files {
            let path = base_dir.map_or_else(|| Path::new(relative).to_path_buf(), |dir| dir.join(relative));
            let text = std::fs::read_to_string(&path)
                .map_err(|source| PolicyError::Read { path: path.display().to_string(), source })?;
            catalog.extend(Self::parse_jsonl(&text, &path.display().to_string())?);
        }
        catalog.extend(file.catalog.tools.iter().cloned());
        Ok(catalog)
    }

    pub fn extend(&mut self, tools: impl IntoIterator<Item = ToolEntry>) {
        for tool in tools {
            match self.by_name.get(&tool.name) {
                Some(&index) => {
                    if let Some(slot) = self.tools.get_mut(index) {
                        *slot = tool;
                    }
                }
                None => {
                    self.by_name.insert(tool.name.clone(), self.tools.len());
                    self.tools.push(tool);
                }
            }
        }
    }

    /// The entry for `name`. A runtime's qualified MCP name (`mcp__files__read_text_file`,
    /// OpenClaw's `files__read_text_file`) that has no entry of its own resolves to the MCP
    /// server tool's entry under the bare name (`read_text_file`), so the proxy (which sees bare
    /// names) and the hooks (which see qualified ones) judge the same tool the same way. Only
    /// entries of an MCP group qualify: `mcp__x__Bash` is not Claude Code's `Bash`.
    pub fn get(&self, name: &str) -> Option<&ToolEntry> {
        self.get_exact(name).or_else(|| {
            mcp_bare_name(name).and_then(|bare| self.get_exact(bare)).filter(|tool| tool.is_mcp_server_tool())
        })
    }

    /// The entry named exactly `name`, with no MCP name resolution.
    pub fn get_exact(&self, name: &str) -> Option<&ToolEntry> {
        self.by_name.get(name).and_then(|&index| self.tools.get(index))
    }

    pub fn tools(&self) -> &[ToolEntry] {
        &self.tools
    }

    pub fn len(&self) -> usize {
        self.tools.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tools.is_empty()
    }
}
