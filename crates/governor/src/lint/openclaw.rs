//! OpenClaw `openclaw.json` (JSON5; integrations.md section 7 and the docs OpenClaw ships).
//! Tool policy: a base profile, then `allow` (an allow-list) or `alsoAllow` (additions), then
//! `deny`, which wins; the same keys per agent under `agents.list[]` or `agents.entries.*`.

use super::catalog as c;
use super::tree::Node;
use super::Ctx;

/// Plugin ids or paths that name a tool-call governance plugin.
const GOVERNANCE_MARKERS: &[&str] = &["aethelgard", "governance", "governor", "guard", "policy"];

/// The tools of a group, as far as these checks need them.
fn group_of(tool: &str) -> &'static str {
    match tool {
        "exec" | "process" | "code_execution" => "group:runtime",
        "read" | "write" | "edit" | "apply_patch" => "group:fs",
        _ => "",
    }
}

/// `*` globs, case-insensitive, `bash` an alias of `exec`.
fn entry_matches(entry: &str, tool: &str) -> bool {
    let entry = entry.trim().to_ascii_lowercase();
    let entry = if entry == "bash" { "exec".to_owned() } else { entry };
    if entry == tool || entry == group_of(tool) || entry == "*" {
        return true;
    }
    match entry.split_once('*') {
        Some((prefix, suffix)) => tool.starts_with(prefix) && tool.ends_with(suffix.trim_start_matches('*')) && !prefix.starts_with("group:"),
        None => false,
    }
}

/// One scope's tool policy (global `tools`, or an agent's over it).
struct Scope<'a> {
    profile: Option<&'a str>,
    allow: Option<Vec<(&'a str, &'a Node)>>,
    also_allow: Vec<(&'a str, &'a Node)>,
    deny: Vec<(&'a str, &'a Node)>,
}

impl<'a> Scope<'a> {
    fn of(tools: Option<&'a Node>, parent: Option<&Scope<'a>>) -> Self {
        let list = |key: &str| tools.and_then(|t| t.get(key)).map(|n| n.strings().collect::<Vec<_>>());
        let profile = tools.and_then(|t| t.get("profile")).and_then(Node::as_str).or(parent.and_then(|p| p.profile));
        let allow = list("allow").or_else(|| parent.and_then(|p| p.allow.clone()));
        let also_allow = list("alsoAllow").or_else(|| parent.map(|p| p.also_allow.clone())).unwrap_or_default();
        let mut deny = parent.map(|p| p.deny.clone()).unwrap_or_default();
        deny.extend(list("deny").unwrap_or_default());
        Self { profile, allow, also_allow, deny }
    }

    fn denied(&self, tool: &str) -> bool {
        self.deny.iter().any(|(e, _)| entry_matches(e, tool))
    }

    fn available(&self, tool: &str) -> bool {
        if self.denied(tool) {
            return false;
        }
        if let Some(allow) = &self.allow {
            return allow.iter().any(|(e, _)| entry_matches(e, tool));
        }
        let by_profile = match self.profile {
            None | Some("full" | "coding") => true,
            Some(_) => false,
        };
        by_profile || self.also_allow.iter().any(|(e, _)| entry_matches(e, tool))
    }
}

pub(super) fn lint(ctx: &mut Ctx<'_>, root: &Node) {
    let tools = root.get("tools");
    let global = Scope::of(tools, None);
    let sandboxed = root.path(&["agents", "defaults", "sandbox", "mode"]).and_then(Node::as_str) == Some("all");
    if global.profile.is_none_or(|p| p == "full") && global.allow.is_none() {
        let at = tools.and_then(|t| t.get("profile")).or(tools).map_or(0, |n| n.offset);
        let what = if global.profile.is_some() { "`tools.profile = \"full\"`" } else { "no `tools.profile`" };
        ctx.report_at(&c::OPENCLAW_UNRESTRICTED_TOOLS, at, format!("{what} and no `tools.allow`: every tool is offered"));
    }
    scope(ctx, tools, &global, "tools", sandboxed);
    let workspace_only = tools.and_then(|t| t.path(&["fs", "workspaceOnly"])).and_then(Node::as_bool) == Some(true);
    if !sandboxed && !workspace_only && global.available("read") {
        let at = tools.and_then(|t| t.get("fs")).or(tools).map_or(0, |n| n.offset);
        ctx.report_at(&c::OPENCLAW_SECRETS_READABLE, at, "`read` is available and `tools.fs.workspaceOnly` is not true");
    }
    if let Some(elevated) = tools.and_then(|t| t.get("elevated")).filter(|e| e.get("enabled").and_then(Node::as_bool) == Some(true)) {
        for (channel, senders) in elevated.get("allowFrom").map(Node::entries).unwrap_or_default() {
            if let Some((_, node)) = senders.strings().find(|(s, _)| s.trim() == "*") {
                ctx.report(&c::OPENCLAW_ELEVATED_OPEN, node, format!("`tools.elevated.allowFrom.{channel}` contains `*`: any sender may run elevated exec"));
            }
        }
    }
    for (id, agent) in agents(root) {
        let Some(agent_tools) = agent.get("tools") else { continue };
        let own = Scope::of(Some(agent_tools), Some(&global));
        if let Some(node) = agent_tools.get("profile").filter(|n| n.as_str() == Some("full")) {
            ctx.report(&c::OPENCLAW_UNRESTRICTED_TOOLS, node, format!("agent `{id}`: `tools.profile = \"full\"` offers every tool"));
        }
        let agent_sandboxed = agent.path(&["sandbox", "mode"]).and_then(Node::as_str).map_or(sandboxed, |m| m == "all");
        scope(ctx, Some(agent_tools), &own, &format!("agent `{id}`"), agent_sandboxed);
    }
    mcp(ctx, root);
    plugins(ctx, root);
}

/// The agents and their ids, from `agents.list[]` (older) and `agents.entries.*` (newer).
fn agents(root: &Node) -> Vec<(String, &Node)> {
    let listed = root.path(&["agents", "list"]).map(Node::items).unwrap_or_default().iter().enumerate().map(|(i, a)| {
        (a.get("id").and_then(Node::as_str).map_or_else(|| format!("#{i}"), str::to_owned), a)
    });
    let entries = root.path(&["agents", "entries"]).map(Node::entries).unwrap_or_default().iter().map(|(k, a)| (k.clone(), a));
    listed.chain(entries).collect()
}

/// Checks on the keys written in one scope (`tools` or an agent's `tools`).
fn scope(ctx: &mut Ctx<'_>, tools: Option<&Node>, policy: &Scope<'_>, name: &str, sandboxed: bool) {
    let Some(tools) = tools else { return };
    for key in ["allow", "alsoAllow"] {
        for (entry, node) in tools.get(key).map(|n| n.strings().collect::<Vec<_>>()).unwrap_or_default() {
            if entry.trim() == "*" {
                ctx.report(&c::OPENCLAW_WILDCARD_ALLOW, node, format!("{name}: `\"*\"` in `{key}` allows every tool"));
            }
        }
    }
    if let Some(exec) = tools.get("exec").filter(|_| !sandboxed && policy.available("exec")) {
        let mode = exec.get("mode").filter(|n| n.as_str() == Some("full"));
        let security = exec.get("security").filter(|n| n.as_str() == Some("full"));
        let ask_off = exec.get("ask").and_then(Node::as_str).is_none_or(|a| a == "off");
        if let Some(node) = mode {
            ctx.report(&c::OPENCLAW_EXEC_NO_APPROVAL, node, format!("{name}: `exec.mode = \"full\"` with `exec` available"));
        } else if let Some(node) = security.filter(|_| ask_off) {
            ctx.report(&c::OPENCLAW_EXEC_NO_APPROVAL, node, format!("{name}: `exec.security = \"full\"` and `ask` off with `exec` available"));
        }
    }
    for (entry, node) in tools.get("deny").map(|n| n.strings().collect::<Vec<_>>()).unwrap_or_default() {
        let entry = entry.trim().to_ascii_lowercase();
        let left: Vec<&str> = match entry.as_str() {
            "write" | "edit" => ["apply_patch"].into_iter().filter(|t| policy.available(t)).collect(),
            "exec" | "bash" => ["process", "code_execution"].into_iter().filter(|t| policy.available(t)).collect(),
            _ => Vec::new(),
        };
        if !left.is_empty() {
            ctx.report(&c::OPENCLAW_DENY_BYPASSED, node, format!("{name}: `deny` has `{entry}` but `{}` stays available", left.join("`, `")));
        }
    }
}

fn mcp(ctx: &mut Ctx<'_>, root: &Node) {
    for (name, server) in root.path(&["mcp", "servers"]).map(Node::entries).unwrap_or_default() {
        let enabled = server.get("enabled").and_then(Node::as_bool) != Some(false);
        if enabled && server.path(&["toolFilter", "include"]).is_none() {
            ctx.report(&c::OPENCLAW_MCP_NO_TOOL_FILTER, server, format!("MCP server `{name}` has no `toolFilter.include`: every tool it offers is exposed"));
        }
    }
}

fn plugins(ctx: &mut Ctx<'_>, root: &Node) {
    let plugins = root.get("plugins");
    if let Some(node) = plugins.and_then(|p| p.get("enabled")).filter(|n| n.as_bool() == Some(false)) {
        ctx.report(&c::OPENCLAW_NO_GOVERNANCE_PLUGIN, node, "`plugins.enabled = false`: no plugin, so no `before_tool_call` governance, runs");
        return;
    }
    let governance = |name: &str| {
        let name = name.to_ascii_lowercase();
        GOVERNANCE_MARKERS.iter().any(|m| name.contains(m))
    };
    let denied = |name: &str| plugins.and_then(|p| p.get("deny")).is_some_and(|d| d.strings().any(|(s, _)| s == name));
    let by_entry = plugins
        .and_then(|p| p.get("entries"))
        .map(Node::entries)
        .unwrap_or_default()
        .iter()
        .any(|(id, entry)| governance(id) && entry.get("enabled").and_then(Node::as_bool) != Some(false) && !denied(id));
    let by_path = plugins.and_then(|p| p.path(&["load", "paths"])).is_some_and(|paths| paths.strings().any(|(p, _)| governance(p)));
    if !by_entry && !by_path {
        let at = plugins.map_or(0, |n| n.offset);
        ctx.report_at(&c::OPENCLAW_NO_GOVERNANCE_PLUGIN, at, "no governance plugin in `plugins.load.paths` or `plugins.entries`");
    }
}
