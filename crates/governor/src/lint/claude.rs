//! Claude Code `settings.json`, `settings.local.json` and managed settings (integrations.md
//! section 5). Rules merge across these files, so absences (no hook, no secret denies) are
//! judged over every settings file of a folder together.
//!
//! A hook's `allow` skips the prompt but not `deny` or `ask` rules, and deny wins even under
//! `bypassPermissions`: no hook can bypass a deny here. What does walk around a deny is Bash:
//! `Read(...)` denies govern the Read tool, not `cat` run by an allowed Bash rule.

use super::catalog as c;
use super::codex::is_broad_path;
use super::matcher::{self, Matcher};
use super::tree::Node;
use super::Ctx;

/// The tools a governance hook must see.
const WANTED: &[&str] = &["Bash", "Edit", "Write", "WebFetch", "mcp__server__tool"];
const HOOK_FACT: &str = "claude:hook";
/// Secret locations every settings set should deny reading: (fact, what a deny mentions, shown).
const SECRETS: &[(&str, &str, &str)] = &[
    ("claude:deny:env", ".env", "`.env` files (`Read(./.env)`, `Read(./.env.*)`)"),
    ("claude:deny:ssh", ".ssh", "`~/.ssh` (`Read(~/.ssh/**)`)"),
    ("claude:deny:aws", ".aws", "`~/.aws` (`Read(~/.aws/**)`)"),
];
const INTERPRETERS: &[&str] = &[
    "bash", "sh", "zsh", "fish", "dash", "python", "python3", "node", "deno", "bun", "perl", "ruby", "php", "env", "sudo", "xargs", "eval", "exec",
];
/// Bash commands that read any file they are given (`curl -d @.env` and `wget --post-file` too).
const READERS: &[&str] = &["cat", "head", "tail", "less", "more", "grep", "rg", "sed", "awk", "cp", "base64", "xxd", "strings", "tar", "curl", "wget"];

/// A permission rule split into its tool and specifier: `Bash(npm test:*)` → (`Bash`, `npm test:*`).
fn split(rule: &str) -> (&str, Option<&str>) {
    match rule.split_once('(') {
        Some((tool, rest)) => (tool.trim(), Some(rest.strip_suffix(')').unwrap_or(rest).trim())),
        None => (rule.trim(), None),
    }
}

/// The program a `Bash(...)` specifier starts with (`npm run test:*` → `npm`).
fn bash_program(spec: &str) -> &str {
    let first = spec.split([' ', ':']).next().unwrap_or("");
    first.rsplit('/').next().unwrap_or(first)
}

fn is_bash_wildcard(tool: &str, spec: Option<&str>) -> bool {
    tool == "Bash" && spec.is_none_or(|s| matches!(s, "" | "*" | ":*" | "*:*" | "**"))
}

pub(super) fn lint(ctx: &mut Ctx<'_>, root: &Node) {
    let permissions = root.get("permissions");
    let list = |name: &str| permissions.and_then(|p| p.get(name)).map(|n| n.strings().collect::<Vec<_>>()).unwrap_or_default();
    let (allow, deny) = (list("allow"), list("deny"));
    let bypass = permissions.and_then(|p| p.get("defaultMode")).filter(|n| n.as_str() == Some("bypassPermissions"));
    if let Some(node) = bypass {
        ctx.report(&c::CLAUDE_BYPASS_PERMISSIONS, node, "`defaultMode = \"bypassPermissions\"`: every tool call runs without a prompt");
    }
    let mut broad_bash = None;
    for &(rule, node) in &allow {
        let (tool, spec) = split(rule);
        if rule.trim() == "*" || is_bash_wildcard(tool, spec) || rule.starts_with("mcp__*") || rule.starts_with("mcp__.*") {
            ctx.report(&c::CLAUDE_WILDCARD_ALLOW, node, format!("`{rule}` in `allow` approves every call of its kind"));
            if tool == "Bash" || rule.trim() == "*" {
                broad_bash = broad_bash.or(Some(rule));
            }
            continue;
        }
        let program = spec.map(bash_program).unwrap_or("");
        if tool == "Bash" && INTERPRETERS.contains(&program) {
            ctx.report(&c::CLAUDE_ALLOW_SHELL, node, format!("`{rule}` in `allow`: `{program}` runs any code it is given"));
            broad_bash = broad_bash.or(Some(rule));
            continue;
        }
        if tool == "Bash" && READERS.contains(&program) {
            broad_bash = broad_bash.or(Some(rule));
        }
        if (tool == "WebFetch" && spec.is_none_or(|s| matches!(s, "" | "*" | "domain:*"))) || (tool == "Bash" && matches!(program, "curl" | "wget" | "nc")) {
            ctx.report(&c::CLAUDE_NETWORK_UNRESTRICTED, node, format!("`{rule}` in `allow` reaches any host without a prompt"));
        }
        let parts: Vec<&str> = rule.split("__").collect();
        if tool.starts_with("mcp__") && (parts.len() == 2 || parts.get(2) == Some(&"*")) {
            ctx.report(&c::CLAUDE_MCP_WHOLESALE, node, format!("`{rule}` in `allow` approves every tool of MCP server `{}`", parts.get(1).unwrap_or(&"")));
        }
    }
    for &(rule, node) in &deny {
        let (tool, spec) = split(rule);
        if matches!(tool, "Write" | "Glob") && spec.is_some() {
            ctx.report(&c::CLAUDE_DENY_NEVER_CONSULTED, node, format!("`{rule}` in `deny` is not checked for file access; write `Edit({})`", spec.unwrap_or("")));
        }
    }
    secrets(ctx, permissions, &deny);
    let file_deny = deny.iter().find(|(rule, _)| matches!(split(rule), ("Read" | "Edit", Some(_))));
    if let (Some(&(rule, node)), Some(why)) = (file_deny, bypass.map(|_| "`bypassPermissions`").or(broad_bash)) {
        ctx.report(&c::CLAUDE_DENY_BYPASSED_BY_BASH, node, format!("`{rule}` denies the file tool only: with {} Bash can still read it", if why.starts_with('`') { why.to_owned() } else { format!("`{why}` allowed") }));
    }
    for (dir, node) in permissions.and_then(|p| p.get("additionalDirectories")).map(|n| n.strings().collect::<Vec<_>>()).unwrap_or_default() {
        if is_broad_path(dir) {
            ctx.report(&c::CLAUDE_BROAD_DIRECTORY, node, format!("`additionalDirectories` contains `{dir}`"));
        }
    }
    if let Some(node) = root.get("enableAllProjectMcpServers").filter(|n| n.as_bool() == Some(true)) {
        ctx.report(&c::CLAUDE_MCP_ALL_PROJECT, node, "`enableAllProjectMcpServers = true`: every server in a repository's `.mcp.json` starts unasked");
    }
    hooks(ctx, root);
}

fn secrets(ctx: &mut Ctx<'_>, permissions: Option<&Node>, deny: &[(&str, &Node)]) {
    let everything = deny.iter().any(|(rule, _)| matches!(split(rule), ("Read", None | Some("" | "*" | "**" | "//**"))));
    let at = permissions.and_then(|p| p.get("deny")).or(permissions).map_or(0, |n| n.offset);
    for &(fact, needle, shown) in SECRETS {
        if everything || deny.iter().any(|(rule, _)| matches!(split(rule), ("Read", Some(spec)) if spec.contains(needle))) {
            ctx.provide(fact);
        } else {
            ctx.report_missing(&c::CLAUDE_SECRETS_NOT_DENIED, at, format!("no `Read` deny for {shown}"), fact);
        }
    }
}

fn hooks(ctx: &mut Ctx<'_>, root: &Node) {
    if let Some(node) = root.get("disableAllHooks").filter(|n| n.as_bool() == Some(true)) {
        ctx.report(&c::CLAUDE_HOOKS_DISABLED, node, "`disableAllHooks = true`: no hook runs");
        return;
    }
    let groups: Vec<&Node> = root
        .path(&["hooks", "PreToolUse"])
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .filter(|g| g.get("hooks").is_some_and(|h| !h.items().is_empty()))
        .collect();
    if groups.is_empty() {
        let at = root.get("hooks").map_or(0, |n| n.offset);
        ctx.report_missing(&c::CLAUDE_NO_PRETOOLUSE_HOOK, at, "no PreToolUse hook in this settings file (nor in another beside it)", HOOK_FACT);
        return;
    }
    ctx.provide(HOOK_FACT);
    let matchers: Vec<Matcher> = groups.iter().map(|g| Matcher::claude(g.get("matcher").and_then(Node::as_str))).collect();
    let missed = matcher::missed(&matchers, WANTED);
    if !missed.is_empty() {
        let written: Vec<String> = groups.iter().map(|g| g.get("matcher").and_then(Node::as_str).map_or("(none)".to_owned(), |m| format!("`{m}`"))).collect();
        let at = groups.iter().find_map(|g| g.get("matcher")).or(groups.first().copied());
        if let Some(at) = at {
            ctx.report(&c::CLAUDE_HOOK_MATCHER_MISSES, at, format!("PreToolUse matcher {} misses {}", written.join(", "), missed.join(", ")));
        }
    }
}
