//! Codex CLI: a profile file (`~/.codex/NAME.config.toml`, selected with `codex --profile NAME`;
//! Codex 0.134 and later read its top-level keys over `config.toml`).
//!
//! What the profile does for a task, key by key:
//! - tools the task may not use are switched off where Codex has a switch for them:
//!   `[features] shell_tool`/`unified_exec` (the shell), `web_search = "disabled"`,
//!   `[tools] view_image`, `[features] multi_agent`/`multi_agent_v2` (sub-agents), `goals`,
//!   `code_mode`, and always `image_generation`, `apps`, `browser_use`, `computer_use` (tools no
//!   catalog lists, so no task is granted them);
//! - MCP servers from the user's `config.toml` keep only their granted tools (`enabled_tools`),
//!   or are switched off (`enabled = false`) when none of their tools is granted; a server put
//!   behind the proxy (`--mcp-proxy`) is left on, since the proxy offers only the task's tools;
//! - writes are made impossible when no granted tool can write: `sandbox_mode = "read-only"` and
//!   `approval_policy = "never"` (so no command is re-run outside the sandbox). Codex 0.169 has no
//!   switch that hides `apply_patch`, so the sandbox is what stops it. We use `sandbox_mode`, not
//!   a `[permissions]` profile with `default_permissions`: Codex lets `sandbox_mode` from any
//!   layer win over permission profiles, and most `config.toml` files set it, so a permission
//!   profile in this file would silently not apply;
//! - the network is closed for shell commands when no granted tool reaches it (the read-only
//!   sandbox has no network; `[sandbox_workspace_write] network_access = false` otherwise);
//! - `shell_environment_policy` passes commands only the core variables (`inherit = "core"`)
//!   and excludes secret-looking names on top of Codex's defaults.

use super::mcp_proxy::{Dialect, Proxied, ProxyCommand, want_proxied};
use super::owned::{Wants, apply};
use super::toml_doc::{TomlDoc, to_json};
use super::{Export, ExportError, Owned, Scope, glob_may_cover_server, mcp_tool_name};
use aethelgard_protocol::RiskTag;
use serde_json::{Value, json};

/// The shell tools of the Codex catalog: any of them granted keeps the shell on.
const SHELL_TOOLS: &[&str] = &["Bash", "exec_command", "write_stdin", "shell", "shell_command", "local_shell", "container.exec"];
const GOAL_TOOLS: &[&str] = &["get_goal", "create_goal", "update_goal"];
/// The code-mode tool (freeform JavaScript that can call every other tool).
const CODE_MODE_TOOL: &str = "exec";
/// Features whose tools no catalog lists, so that no task is ever granted them.
const ALWAYS_OFF: &[&str] = &["image_generation", "apps", "browser_use", "computer_use"];
/// Names kept from commands on top of Codex's default excludes (`*KEY*`, `*SECRET*`, `*TOKEN*`).
pub const SECRET_ENV: &[&str] = &[
    "*KEY*", "*SECRET*", "*TOKEN*", "*PASSWORD*", "*PASSWD*", "*CREDENTIAL*", "*PRIVATE*", "*SESSION*", "*COOKIE*",
    "AWS_*", "AZURE_*", "GOOGLE_*", "GCP_*", "CLOUDSDK_*", "GITHUB_*", "GH_*", "GITLAB_*", "NPM_*", "DOCKER_*",
    "KUBECONFIG", "VAULT_*", "OPENAI_*", "ANTHROPIC_*", "DATABASE_URL", "SSH_AUTH_SOCK",
];

/// An MCP server from the user's `config.toml`, with the tool names it lists.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct McpServer {
    pub name: String,
    /// Tool names from `enabled_tools`, `disabled_tools` and `[mcp_servers.NAME.tools.*]`.
    pub tools: Vec<String>,
    /// Whether `enabled_tools` lists every tool the server may register.
    pub complete: bool,
}

impl McpServer {
    /// The qualified names (`mcp__<server>__<tool>`) the governor judges.
    pub fn qualified(&self) -> Vec<String> {
        self.tools.iter().map(|tool| mcp_tool_name(&self.name, tool)).collect()
    }
}

/// The MCP servers of a `config.toml`.
pub fn mcp_servers(config: &str) -> Result<Vec<McpServer>, ExportError> {
    let doc = TomlDoc::parse(Some(config), "config.toml")?;
    let Some(servers) = doc.doc.get("mcp_servers").and_then(|item| item.as_table_like()) else { return Ok(Vec::new()) };
    let mut out = Vec::new();
    for (name, server) in servers.iter() {
        let Some(server) = server.as_table_like() else { continue };
        let strings = |key: &str| -> Vec<String> {
            server
                .get(key)
                .and_then(|item| item.as_array())
                .map(|array| array.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
                .unwrap_or_default()
        };
        let enabled = strings("enabled_tools");
        let complete = server.get("enabled_tools").is_some();
        let mut tools = enabled;
        for tool in strings("disabled_tools") {
            if !tools.contains(&tool) {
                tools.push(tool);
            }
        }
        if let Some(table) = server.get("tools").and_then(|item| item.as_table_like()) {
            for (tool, _) in table.iter() {
                if !tools.iter().any(|t| t == tool) {
                    tools.push(tool.to_owned());
                }
            }
        }
        out.push(McpServer { name: name.to_owned(), tools, complete });
    }
    Ok(out)
}

/// The MCP server entries of a `config.toml` as JSON, by name (for `--mcp-proxy`: a profile
/// rewrites them over the main config).
pub fn mcp_server_entries(config: &str) -> Result<Vec<(String, Value)>, ExportError> {
    let doc = TomlDoc::parse(Some(config), "config.toml")?;
    let Some(servers) = doc.doc.get("mcp_servers").and_then(|item| item.as_table_like()) else { return Ok(Vec::new()) };
    Ok(servers.iter().filter_map(|(name, item)| Some((name.to_owned(), to_json(item)?))).collect())
}

/// Whether a `config.toml` selects a permission profile (`default_permissions`).
pub fn uses_permission_profiles(config: &str) -> bool {
    TomlDoc::parse(Some(config), "config.toml").is_ok_and(|doc| doc.doc.get("default_permissions").is_some())
}

/// What the export needs besides the manifest.
#[derive(Clone, Copy, Debug, Default)]
pub struct Options<'a> {
    /// The profile's name (`codex --profile NAME`), for the header of a new file.
    pub profile_name: &'a str,
    /// The MCP servers of the user's `config.toml`.
    pub servers: &'a [McpServer],
    /// The task profile's tool names and globs (to tell whether a server we cannot list may hold
    /// a granted tool).
    pub profile_tools: &'a [String],
    /// The user's `config.toml` selects a permission profile.
    pub main_uses_permissions: bool,
    /// Put every MCP server behind `aethelgard proxy mcp` (`--mcp-proxy`).
    pub proxy: Option<&'a ProxyCommand>,
    /// The MCP server entries of the user's `config.toml` ([`mcp_server_entries`]), which the
    /// profile rewrites for the proxy; entries of the edited file itself are rewritten too.
    pub main_entries: &'a [(String, Value)],
}

fn granted_any(scope: &Scope, names: &[&str]) -> bool {
    names.iter().any(|name| scope.is_granted(name))
}

/// The keys the profile sets for this task, in file order, and notes for the user. `proxied`
/// are the MCP servers behind the proxy, whose tools the proxy filters.
fn wants(scope: &Scope, options: &Options, proxied: &[String]) -> (Wants, Vec<String>) {
    let mut wants = Wants::default();
    let mut notes = Vec::new();
    let writes = scope.grants_tag(RiskTag::Write);
    if writes {
        wants.key(&["sandbox_mode"], "workspace-write");
    } else {
        wants.key(&["sandbox_mode"], "read-only");
        wants.key(&["approval_policy"], "never");
    }
    if !scope.is_granted("web_search") {
        wants.key(&["web_search"], "disabled");
    }
    if writes {
        // The shell carries the `network` tag because it can reach the network, so it says
        // nothing about whether the task needs to: sandboxed commands get the network only
        // when the task is also granted a tool whose job is the network (web search, fetch).
        let network = scope
            .manifest
            .granted
            .iter()
            .filter(|name| !SHELL_TOOLS.contains(&name.as_str()))
            .filter_map(|name| scope.entry(name))
            .any(|tool| tool.risk.contains(&RiskTag::Network) && !tool.risk.contains(&RiskTag::Exec));
        wants.key(&["sandbox_workspace_write", "network_access"], network);
    }
    if !granted_any(scope, SHELL_TOOLS) {
        wants.key(&["features", "shell_tool"], false);
        wants.key(&["features", "unified_exec"], false);
    }
    let spawns = scope.manifest.granted.iter().filter_map(|name| scope.entry(name)).any(|tool| tool.risk.contains(&RiskTag::Spawn));
    if !spawns {
        wants.key(&["features", "multi_agent"], false);
        wants.key(&["features", "multi_agent_v2"], false);
    }
    if !granted_any(scope, GOAL_TOOLS) {
        wants.key(&["features", "goals"], false);
    }
    if !scope.is_granted(CODE_MODE_TOOL) {
        wants.key(&["features", "code_mode"], false);
    }
    for feature in ALWAYS_OFF {
        wants.key(&["features", feature], false);
    }
    if !scope.is_granted("view_image") {
        // Accepted by Codex 0.169 but without effect (docs/enforcement.md); kept for the
        // versions that honour it.
        wants.key(&["tools", "view_image"], false);
    }
    if !scope.is_granted("request_user_input") {
        wants.key(&["tools", "experimental_request_user_input", "enabled"], false);
    }
    wants.key(&["shell_environment_policy", "inherit"], "core");
    wants.key(&["shell_environment_policy", "ignore_default_excludes"], false);
    wants.key(&["shell_environment_policy", "exclude"], json!(SECRET_ENV));
    for server in options.servers {
        if proxied.contains(&server.name) {
            // Disabled for want of granted names, the proxy's filtering would never be reached.
            continue;
        }
        let granted: Vec<String> =
            server.tools.iter().filter(|tool| scope.is_granted(&mcp_tool_name(&server.name, tool))).cloned().collect();
        let may_cover = options.profile_tools.iter().any(|glob| glob_may_cover_server(glob, &server.name));
        let path = vec!["mcp_servers".to_owned(), server.name.clone()];
        if !granted.is_empty() {
            let mut key = path.clone();
            key.push("enabled_tools".to_owned());
            wants.key_path(key, Value::from(granted));
            if may_cover && !server.complete {
                notes.push(format!(
                    "MCP server `{}`: the task profile grants tools by a pattern, but config.toml does not list all the server's tools in `enabled_tools`; only the listed ones stay enabled",
                    server.name
                ));
            }
        } else if may_cover && !server.complete {
            notes.push(format!(
                "MCP server `{}` left as it is: the task profile may grant some of its tools, but config.toml does not list them; list them in `enabled_tools` to have the profile filter them",
                server.name
            ));
        } else {
            let mut key = path.clone();
            key.push("enabled".to_owned());
            wants.key_path(key, false);
        }
    }
    if options.main_uses_permissions {
        notes.push(
            "config.toml selects a permission profile (`default_permissions`); this profile sets `sandbox_mode`, which Codex lets win over permission profiles while it is selected".to_owned(),
        );
    }
    (wants, notes)
}

/// The profile file for the task; `existing` is the file as it is now (`None`: new file),
/// `previous` what an earlier export wrote into it.
pub fn export(scope: &Scope, existing: Option<&str>, previous: &Owned, options: &Options) -> Result<Export, ExportError> {
    let mut doc = TomlDoc::parse(existing, "the Codex profile")?;
    let mut proxy_wants = Wants::default();
    let proxied = match options.proxy {
        Some(proxy) => {
            let servers = ["mcp_servers".to_owned()];
            want_proxied(&doc, &servers, options.main_entries, previous, proxy, Dialect::Codex, &mut proxy_wants)
        }
        None => Proxied::default(),
    };
    let (mut wants, mut notes) = wants(scope, options, &proxied.servers);
    wants.keys.extend(proxy_wants.keys);
    notes.extend(proxied.notes);
    let (owned, changes) = apply(&mut doc, &wants, previous)?;
    let mut text = doc.text();
    if existing.is_none_or(|t| t.trim().is_empty()) {
        text = format!("{}{text}", header(scope, options.profile_name));
    }
    notes.push(
        "Codex 0.169 cannot hide `apply_patch`; the sandbox above is what stops its writes for a task without write tools".to_owned(),
    );
    if scope.grants_tag(RiskTag::Write) && !scope.is_granted("apply_patch") {
        notes.push(format!(
            "task `{}` grants no file-editing tool, but its shell can write, so the sandbox allows writes in the workspace and `apply_patch` stays usable there; the PreToolUse hook sees every `apply_patch` call",
            scope.manifest.task_type
        ));
    }
    Ok(Export { text, owned, changes, notes })
}

/// Takes back everything `owned` records (for `uninstall` on a file the user edited since).
pub fn revert(existing: &str, owned: &Owned) -> Result<Export, ExportError> {
    let mut doc = TomlDoc::parse(Some(existing), "the Codex file")?;
    let (owned, changes) = apply(&mut doc, &Wants::default(), owned)?;
    Ok(Export { text: doc.text(), owned, changes, notes: Vec::new() })
}

fn header(scope: &Scope, profile_name: &str) -> String {
    let name = if profile_name.is_empty() { format!("aethelgard-{}", scope.manifest.task_type) } else { profile_name.to_owned() };
    format!(
        "# Aethelgard task profile for `{task}` tasks: `codex --profile {name}`.\n\
         # Written by `aethelgard export codex`; the keys it set are rewritten by the next export and\n\
         # the rest of this file is left alone. Granted tools: {granted}.\n\n",
        task = scope.manifest.task_type,
        granted = if scope.manifest.granted.is_empty() { "none".to_owned() } else { scope.manifest.granted.join(", ") },
    )
}

/// The `hooks.json` registration of the PreToolUse hook, and its trust entry.
pub mod hooks {
    use super::super::json_doc::JsonDoc;
    use super::super::owned::{Wants, apply};
    use super::super::toml_doc::TomlDoc;
    use super::super::{Export, ExportError, Owned};
    use jsonc_parser::cst::CstInputValue;
    use serde_json::json;
    use sha2::{Digest, Sha256};

    /// Every tool call goes through the hook (Codex matches `*` like any regex).
    pub const MATCHER: &str = "*";
    pub const TIMEOUT_S: u64 = 30;

    /// The hash Codex keys hook trust to: SHA-256 of the compact, key-sorted JSON of the hook
    /// group as Codex normalises it (on 0.169 the handler includes `"type":"command"`).
    pub fn trusted_hash(command: &str) -> String {
        // serde_json's map is sorted unless `preserve_order` is on; the keys are written sorted
        // here so the text does not depend on that.
        let canonical = format!(
            "{{\"event_name\":\"pre_tool_use\",\"hooks\":[{{\"async\":false,\"command\":{},\"timeout\":{TIMEOUT_S},\"type\":\"command\"}}],\"matcher\":{}}}",
            json!(command),
            json!(MATCHER)
        );
        let digest = Sha256::digest(canonical.as_bytes());
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        format!("sha256:{hex}")
    }

    /// `hooks.json` with our PreToolUse group, and the group's index (for the trust key).
    pub fn hooks_json(existing: Option<&str>, previous: &Owned, command: &str) -> Result<(Export, usize), ExportError> {
        let doc = JsonDoc::parse(existing, "hooks.json")?;
        let groups = || doc.node(&["hooks".to_owned(), "PreToolUse".to_owned()]).and_then(|n| n.as_array()).map(|a| a.elements()).unwrap_or_default();
        let ours = |group: &jsonc_parser::cst::CstNode| {
            group
                .as_object()
                .and_then(|o| o.array_value("hooks"))
                .map(|a| a.elements())
                .unwrap_or_default()
                .iter()
                .any(|h| h.as_object().and_then(|o| o.get("command")).and_then(|p| p.value()).and_then(|v| v.as_string_lit()).and_then(|s| s.decoded_value().ok()).as_deref() == Some(command))
        };
        let mut owned = previous.clone();
        let mut changes = Vec::new();
        if let Some(index) = groups().iter().position(ours) {
            return Ok((Export { text: doc.text(), owned, changes, notes: Vec::new() }, index));
        }
        let hooks = doc.object_at(&["hooks".to_owned()], &mut owned.created)?;
        if hooks.get("PreToolUse").is_none() {
            owned.created.push(vec!["hooks".to_owned(), "PreToolUse".to_owned()]);
        }
        let list = hooks.array_value_or_create("PreToolUse").ok_or_else(|| ExportError::Shape {
            origin: "hooks.json".to_owned(),
            message: "`hooks.PreToolUse` is not a list".to_owned(),
        })?;
        let index = list.elements().len();
        list.append(CstInputValue::Object(vec![
            ("matcher".to_owned(), CstInputValue::String(MATCHER.to_owned())),
            (
                "hooks".to_owned(),
                CstInputValue::Array(vec![CstInputValue::Object(vec![
                    ("type".to_owned(), CstInputValue::String("command".to_owned())),
                    ("command".to_owned(), CstInputValue::String(command.to_owned())),
                    ("timeout".to_owned(), CstInputValue::Number(TIMEOUT_S.to_string())),
                ])]),
            ),
        ]));
        owned.hooks.push(command.to_owned());
        changes.push(format!("register the PreToolUse hook `{command}`"));
        Ok((Export { text: doc.text(), owned, changes, notes: Vec::new() }, index))
    }

    /// `config.toml` with `[features] hooks = true` and the trust entry of our hook group.
    pub fn trust(existing: Option<&str>, previous: &Owned, hooks_json_path: &str, group: usize, command: &str) -> Result<Export, ExportError> {
        let mut doc = TomlDoc::parse(existing, "config.toml")?;
        let mut wants = Wants::default();
        wants.key(&["features", "hooks"], true);
        let state = format!("{hooks_json_path}:pre_tool_use:{group}:0");
        wants.key_path(vec!["hooks".to_owned(), "state".to_owned(), state, "trusted_hash".to_owned()], trusted_hash(command));
        let (owned, changes) = apply(&mut doc, &wants, previous)?;
        Ok(Export { text: doc.text(), owned, changes, notes: Vec::new() })
    }

    /// Removes our hook group from `hooks.json` (for `uninstall` on a file edited since).
    pub fn revert_hooks_json(existing: &str, owned: &Owned) -> Result<Export, ExportError> {
        let mut doc = JsonDoc::parse(Some(existing), "hooks.json")?;
        let mut changes = Vec::new();
        for command in &owned.hooks {
            let groups = doc.node(&["hooks".to_owned(), "PreToolUse".to_owned()]).and_then(|n| n.as_array()).map(|a| a.elements()).unwrap_or_default();
            for group in groups {
                let handlers = group.as_object().and_then(|o| o.array_value("hooks")).map(|a| a.elements()).unwrap_or_default();
                let all_ours = !handlers.is_empty()
                    && handlers.iter().all(|h| {
                        h.as_object().and_then(|o| o.get("command")).and_then(|p| p.value()).and_then(|v| v.as_string_lit()).and_then(|s| s.decoded_value().ok()).as_deref()
                            == Some(command.as_str())
                    });
                if all_ours {
                    group.remove();
                    changes.push(format!("remove the PreToolUse hook `{command}`"));
                }
            }
        }
        let bare = Owned { hooks: Vec::new(), ..owned.clone() };
        let (rest, applied) = apply(&mut doc, &Wants::default(), &bare)?;
        changes.extend(applied);
        Ok(Export { text: doc.text(), owned: rest, changes, notes: Vec::new() })
    }
}
