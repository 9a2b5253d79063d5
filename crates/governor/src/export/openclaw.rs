//! OpenClaw `openclaw.json` (JSON5): `tools.allow` lists the granted tools and `tools.deny` the
//! rest, whole groups compressed to `group:<name>`, either globally or for one agent. OpenClaw
//! removes every disallowed tool from what it sends to the model, and deny wins over allow.
//!
//! - `allow` names tools, never groups, so a tool a later OpenClaw release adds to a group is
//!   not granted by accident. It is ours: the export replaces it (the old value is kept in the
//!   record and put back by `uninstall`). When the same scope has `alsoAllow`, which OpenClaw
//!   refuses to combine with `allow`, only `deny` is written.
//! - `deny` is shared with the user: the export adds what the user's entries do not already
//!   cover (aliases `bash`, `apply-patch`, `cron`, `image`, groups and `*` globs understood) and
//!   takes back only its own entries.
//! - MCP servers (`mcp.servers`) expose tools as `<server>__<tool>`: a profile's
//!   `mcp__<server>__<tool>` names and globs are allowed in that form, and a server with nothing
//!   granted is denied as `<server>__*`. A server put behind the proxy (`--mcp-proxy`) is allowed
//!   as `<server>__*` instead: the proxy offers only the task's tools of it, which the export
//!   cannot list without starting the server.
//! - Per agent (`--agent ID`): the keyed `agents.entries.<ID>.tools` of OpenClaw 2026.9, or the
//!   element with that id in a legacy `agents.list`.

use super::json_doc::JsonDoc;
use super::mcp_proxy::{Dialect, Proxied, ProxyCommand, want_proxied};
use super::owned::{Doc, Wants, apply};
use super::{Export, ExportError, Owned, Scope};
use aethelgard_policy::ToolEntry;

/// Older names OpenClaw still accepts, and the tool each stands for.
const ALIASES: &[(&str, &str)] = &[("bash", "exec"), ("apply-patch", "apply_patch"), ("cron", "automations"), ("image", "view_image")];

/// What the export needs besides the manifest.
#[derive(Clone, Copy, Debug, Default)]
pub struct Options<'a> {
    /// One agent's tools instead of the global ones.
    pub agent: Option<&'a str>,
    /// The task profile's tool names and globs (for MCP tools, which the catalog does not list).
    pub profile_tools: &'a [String],
    /// Put every server of `mcp.servers` behind `aethelgard proxy mcp` (`--mcp-proxy`).
    pub proxy: Option<&'a ProxyCommand>,
}

fn canonical(name: &str) -> String {
    let lower = name.to_lowercase();
    ALIASES.iter().find(|(alias, _)| *alias == lower).map_or(lower, |(_, tool)| (*tool).to_owned())
}

fn is_alias(name: &str) -> bool {
    ALIASES.iter().any(|(alias, _)| *alias == name)
}

/// The server part of MCP tool names: characters outside `[A-Za-z0-9_-]` become `-`, lower case,
/// and a name that does not start with a letter gets `mcp-` in front.
pub fn safe_server_name(name: &str) -> String {
    let safe: String = name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' || c == '-' { c.to_ascii_lowercase() } else { '-' }).collect();
    if safe.starts_with(|c: char| c.is_ascii_alphabetic()) { safe } else { format!("mcp-{safe}") }
}

/// The names of the MCP servers an `openclaw.json` configures (`mcp.servers`).
pub fn mcp_servers(text: &str) -> Result<Vec<String>, ExportError> {
    let doc = JsonDoc::parse(Some(text), "openclaw.json")?;
    let servers = doc.node(&["mcp".to_owned(), "servers".to_owned()]).and_then(|n| n.as_object());
    Ok(servers.map(|o| o.properties().iter().filter_map(|p| p.decoded_name()).collect()).unwrap_or_default())
}

/// Where the tool policy lives: globally or for one agent.
fn scope_path(doc: &JsonDoc, agent: Option<&str>) -> Vec<String> {
    let Some(id) = agent else { return vec!["tools".to_owned()] };
    let legacy = doc.node(&["agents".to_owned(), "list".to_owned()]).is_some();
    let keyed = doc.node(&["agents".to_owned(), "entries".to_owned()]).is_some();
    if legacy && !keyed {
        vec!["agents".to_owned(), "list".to_owned(), format!("[id={id}]"), "tools".to_owned()]
    } else {
        vec!["agents".to_owned(), "entries".to_owned(), id.to_owned(), "tools".to_owned()]
    }
}

fn with(path: &[String], last: &str) -> Vec<String> {
    let mut path = path.to_vec();
    path.push(last.to_owned());
    path
}

/// Whether an OpenClaw policy entry (name, alias, `group:x`, `*` glob) covers a tool.
fn covers(entry: &str, tool: &ToolEntry) -> bool {
    let entry = canonical(entry);
    if let Some(group) = entry.strip_prefix("group:") {
        // `group:openclaw` is every built-in tool but the file, shell and canvas ones.
        return tool.group.as_deref() == Some(group)
            || (group == "openclaw" && !["ls", "read", "write", "edit", "apply_patch", "exec", "process", "canvas"].contains(&tool.name.as_str()));
    }
    wildcard(&entry, &tool.name.to_lowercase())
}

fn wildcard(pattern: &str, text: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == text,
        Some((head, tail)) => {
            let Some(rest) = text.strip_prefix(head) else { return false };
            (0..=rest.len()).filter(|i| rest.is_char_boundary(*i)).any(|i| rest.get(i..).is_some_and(|r| wildcard(tail, r)))
        }
    }
}

/// The denied tools as policy entries: `group:<name>` where every tool of a group is denied.
fn compress(denied: &[&ToolEntry], catalog: &[ToolEntry]) -> Vec<String> {
    let mut groups: Vec<&str> = Vec::new();
    for tool in catalog {
        if let Some(group) = tool.group.as_deref()
            && !groups.contains(&group)
        {
            groups.push(group);
        }
    }
    let mut entries = Vec::new();
    let mut covered: Vec<&str> = Vec::new();
    for group in groups {
        let members: Vec<&ToolEntry> = catalog.iter().filter(|t| t.group.as_deref() == Some(group) && !is_alias(&t.name)).collect();
        if members.len() > 1 && members.iter().all(|m| denied.iter().any(|d| d.name == m.name)) {
            entries.push(format!("group:{group}"));
            covered.extend(members.iter().map(|m| m.name.as_str()));
        }
    }
    for tool in denied {
        if !covered.contains(&tool.name.as_str()) && !is_alias(&tool.name) {
            entries.push(tool.name.clone());
        }
    }
    entries
}

/// The file with the task's `allow` and `deny`; `existing` is the file as it is now (`None`: new
/// file), `previous` what an earlier export wrote into it.
pub fn export(scope: &Scope, existing: Option<&str>, previous: &Owned, options: &Options) -> Result<Export, ExportError> {
    let mut doc = JsonDoc::parse(existing, "openclaw.json")?;
    let mut notes = Vec::new();
    let base = scope_path(&doc, options.agent);
    if let Some(agent) = options.agent
        && base.split_last().is_some_and(|(_, agent_path)| doc.node(agent_path).is_none())
    {
        notes.push(format!("agent `{agent}` was not configured; the export adds an entry for it with only its tool policy"));
    }
    let servers = match existing {
        Some(text) => mcp_servers(text)?,
        None => Vec::new(),
    };

    // Allow: the granted tools by name, aliases as their current names, and granted MCP tools.
    let mut allow: Vec<String> = Vec::new();
    let push = |list: &mut Vec<String>, name: String| {
        if !list.contains(&name) {
            list.push(name);
        }
    };
    for name in &scope.manifest.granted {
        if !name.starts_with("mcp__") {
            push(&mut allow, canonical(name));
        }
    }
    // The servers the export puts behind the proxy: it offers only the task's tools of each, so
    // they are allowed whole here, and not denied.
    let mut proxy_wants = Wants::default();
    let proxied = match options.proxy {
        Some(proxy) => {
            let path = ["mcp".to_owned(), "servers".to_owned()];
            want_proxied(&doc, &path, &[], previous, proxy, Dialect::OpenClaw, &mut proxy_wants)
        }
        None => Proxied::default(),
    };
    let mut deny_servers = Vec::new();
    for server in &servers {
        let safe = safe_server_name(server);
        if proxied.servers.contains(server) {
            push(&mut allow, format!("{safe}__*"));
            continue;
        }
        let prefix = format!("mcp__{server}__");
        let mut granted = false;
        for pattern in options.profile_tools.iter().chain(scope.manifest.granted.iter()) {
            let Some(rest) = pattern.strip_prefix(&prefix) else { continue };
            if rest.contains(['?', '[', '{']) {
                notes.push(format!("`{pattern}`: OpenClaw patterns know only `*`; the tools it grants on `{server}` are not allowed"));
                continue;
            }
            push(&mut allow, format!("{safe}__{rest}"));
            granted = true;
        }
        if !granted {
            deny_servers.push(format!("{safe}__*"));
        }
    }

    // Deny: what the user's own entries do not already cover.
    let deny_path = with(&base, "deny");
    let ours_before: Vec<String> = previous.entries.iter().filter(|e| e.path == deny_path).flat_map(|e| e.values.clone()).collect();
    let users: Vec<String> = doc.strings(&deny_path).unwrap_or_default().into_iter().filter(|e| !ours_before.contains(e)).collect();
    let denied: Vec<&ToolEntry> = scope
        .manifest
        .denied
        .iter()
        .filter_map(|name| scope.entry(name))
        .filter(|tool| !users.iter().any(|entry| covers(entry, tool)))
        .collect();
    let mut deny = compress(&denied, scope.tools);
    deny.extend(deny_servers.into_iter().filter(|entry| !users.iter().any(|u| u.eq_ignore_ascii_case(entry))));

    let mut wants = Wants::default();
    let also_allow = doc.node(&with(&base, "alsoAllow")).is_some();
    if also_allow {
        notes.push(format!(
            "`{}.alsoAllow` is set and OpenClaw refuses it together with `allow`: only `deny` is written",
            base.join(".")
        ));
    } else if !allow.is_empty() {
        wants.key_path(with(&base, "allow"), serde_json::Value::from(allow));
    }
    wants.entries(deny_path, deny);
    wants.keys.extend(proxy_wants.keys);
    notes.extend(proxied.notes);
    let (owned, changes) = apply(&mut doc, &wants, previous)?;
    Ok(Export { text: doc.text(), owned, changes, notes })
}

/// Takes back everything `owned` records (for `uninstall` on a file the user edited since).
pub fn revert(existing: &str, owned: &Owned) -> Result<Export, ExportError> {
    let mut doc = JsonDoc::parse(Some(existing), "openclaw.json")?;
    let (owned, changes) = apply(&mut doc, &Wants::default(), owned)?;
    Ok(Export { text: doc.text(), owned, changes, notes: Vec::new() })
}

/// Enables the OpenClaw plugin `id` in `openclaw.json`: `plugins.entries.<id>.enabled = true`
/// (OpenClaw 2026.9 loads a plugin found in its extensions folder only when the config enables or
/// allows it), and `id` added to `plugins.allow` when the user keeps a non-empty allowlist.
/// [`revert`] takes both back.
pub fn enable_plugin(existing: Option<&str>, previous: &Owned, id: &str) -> Result<Export, ExportError> {
    let mut doc = JsonDoc::parse(existing, "openclaw.json")?;
    let mut wants = Wants::default();
    wants.key(&["plugins", "entries", id, "enabled"], true);
    let allow = vec!["plugins".to_owned(), "allow".to_owned()];
    if doc.strings(&allow).is_some_and(|list| !list.is_empty()) {
        wants.entries(allow, vec![id.to_owned()]);
    }
    let mut notes = Vec::new();
    if doc.get(&["plugins".to_owned(), "enabled".to_owned()]) == Some(serde_json::Value::Bool(false)) {
        notes.push(format!("`plugins.enabled` is false: OpenClaw loads no plugin, `{id}` included"));
    }
    if doc.strings(&["plugins".to_owned(), "deny".to_owned()]).is_some_and(|deny| deny.iter().any(|d| d == id)) {
        notes.push(format!("`plugins.deny` names `{id}`, and deny wins: OpenClaw will not load it"));
    }
    let (owned, changes) = apply(&mut doc, &wants, previous)?;
    Ok(Export { text: doc.text(), owned, changes, notes })
}
