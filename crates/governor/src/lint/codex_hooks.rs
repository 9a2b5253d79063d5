//! Codex hooks: inline `[[hooks.PreToolUse]]` in config.toml and `hooks.json`, whether they can
//! run at all (`[features] hooks`), which tools their matchers reach, and whether Codex trusts
//! them (integrations.md 1.1-1.3). An untrusted or changed hook is skipped silently, so a hook
//! that looks installed may never run.

use super::catalog as c;
use super::finding::Finding;
use super::matcher::{self, Matcher};
use super::tree::{Lines, Node};
use super::{Ctx, Linted};
use sha2::{Digest, Sha256};
use std::path::Path;

/// The tool names a governance hook must see: every shell call, every edit, every MCP tool.
const WANTED: &[&str] = &["Bash", "apply_patch", "mcp__server__tool"];
const HOOK_FACT: &str = "codex:hook";

/// One command handler of a PreToolUse group: `(group index, handler index)` as Codex keys trust.
struct Handler<'a> {
    group: usize,
    index: usize,
    node: &'a Node,
    matcher: Option<&'a Node>,
}

fn handlers(groups: &Node) -> Vec<Handler<'_>> {
    let mut out = Vec::new();
    for (group, entry) in groups.items().iter().enumerate() {
        let matcher = entry.get("matcher");
        for (index, handler) in entry.get("hooks").map(Node::items).unwrap_or_default().iter().enumerate() {
            let kind = handler.get("type").and_then(Node::as_str).unwrap_or("command");
            if kind == "command" && handler.get("command").is_some() {
                out.push(Handler { group, index, node: handler, matcher });
            }
        }
    }
    out
}

pub(super) fn lint_config(ctx: &mut Ctx<'_>, root: &Node, is_profile: bool) {
    let features = root.get("features");
    let disabled = ["hooks", "codex_hooks"].iter().find_map(|k| features.and_then(|f| f.get(k)).filter(|n| n.as_bool() == Some(false)).map(|n| (*k, n)));
    if let Some((key, node)) = disabled {
        ctx.report(&c::CODEX_HOOKS_DISABLED, node, format!("`[features] {key} = false`: no hook runs"));
    }
    let groups = root.path(&["hooks", "PreToolUse"]);
    let found = groups.map(handlers).unwrap_or_default();
    if found.is_empty() {
        if !is_profile && disabled.is_none() {
            let offset = root.get("hooks").map_or(0, |n| n.offset);
            ctx.report_missing(&c::CODEX_NO_PRETOOLUSE_HOOK, offset, "no PreToolUse hook in this file (and none in a `hooks.json` beside it)", HOOK_FACT);
        }
        return;
    }
    ctx.provide(HOOK_FACT);
    coverage(ctx, &found);
    let file_name = Path::new(ctx.file).file_name().and_then(|n| n.to_str()).unwrap_or("config.toml").to_owned();
    let state = root.path(&["hooks", "state"]);
    for handler in &found {
        let suffix = format!("{file_name}:pre_tool_use:{}:{}", handler.group, handler.index);
        let entry = state.map(Node::entries).unwrap_or_default().iter().find(|(k, _)| k.ends_with(&suffix)).map(|(_, v)| v);
        if let Some((rule, message)) = judge_trust(handler, entry, &suffix) {
            ctx.report(rule, handler.node, message);
        }
    }
}

pub(super) fn lint_hooks_json(ctx: &mut Ctx<'_>, root: &Node) {
    let found = root.path(&["hooks", "PreToolUse"]).map(handlers).unwrap_or_default();
    if found.is_empty() {
        ctx.report_missing(&c::CODEX_NO_PRETOOLUSE_HOOK, 0, "hooks.json registers no PreToolUse hook", HOOK_FACT);
        return;
    }
    ctx.provide(HOOK_FACT);
    coverage(ctx, &found);
}

fn coverage(ctx: &mut Ctx<'_>, found: &[Handler<'_>]) {
    let matchers: Vec<Matcher> = found.iter().map(|h| Matcher::codex(h.matcher.and_then(Node::as_str))).collect();
    let missed = matcher::missed(&matchers, WANTED);
    if missed.is_empty() {
        return;
    }
    let written: Vec<String> = found.iter().map(|h| h.matcher.and_then(Node::as_str).map_or("(none)".to_owned(), |m| format!("`{m}`"))).collect();
    let invalid: Vec<&str> = matchers.iter().filter_map(|m| if let Matcher::Invalid(e) = m { Some(e.as_str()) } else { None }).collect();
    let mut message = format!("PreToolUse matcher {} misses {}", written.join(", "), missed.join(", "));
    if !invalid.is_empty() {
        message.push_str(&format!(" (not a valid regex: {})", invalid.join("; ")));
    }
    let at = found.iter().find_map(|h| h.matcher).unwrap_or(found.first().map_or(&EMPTY, |h| h.node));
    ctx.report(&c::CODEX_HOOK_MATCHER_MISSES, at, message);
}

static EMPTY: Node = Node { offset: 0, value: super::tree::Value::Other };

/// Untrusted or stale, and why; `None` when trusted (or when the hash cannot be recomputed
/// because the handler uses fields whose normalised form we have not checked).
fn judge_trust(handler: &Handler<'_>, entry: Option<&Node>, key: &str) -> Option<(&'static super::Rule, String)> {
    let command = handler.node.get("command").and_then(Node::as_str).unwrap_or("");
    let Some(trusted) = entry.and_then(|e| e.get("trusted_hash")).and_then(Node::as_str) else {
        return Some((&c::CODEX_HOOK_UNTRUSTED, format!("hook `{command}` has no `[hooks.state.\"…{key}\"] trusted_hash`: Codex skips it")));
    };
    match expected_hash(handler) {
        Some(expected) if expected != trusted => {
            Some((&c::CODEX_HOOK_TRUST_STALE, format!("hook `{command}`: `trusted_hash` is {trusted}, the hook as written hashes to {expected}")))
        }
        _ => None,
    }
}

/// The hash Codex keys trust to (checked against Codex 0.169's `hooks/list` currentHash by the
/// e2e tests): SHA-256 of the compact, key-sorted JSON of the normalised handler with its event
/// and matcher. Only for handlers made of `type`, `command`, `timeout` and `async`.
fn expected_hash(handler: &Handler<'_>) -> Option<String> {
    let matcher = handler.matcher?.as_str()?;
    let known = ["type", "command", "timeout", "async"];
    if handler.node.entries().iter().any(|(k, _)| !known.contains(&k.as_str())) {
        return None;
    }
    let command = handler.node.get("command")?.as_str()?;
    let timeout: u64 = handler.node.get("timeout")?.as_number()?.parse().ok()?;
    let asynchronous = handler.node.get("async").map_or(Some(false), Node::as_bool)?;
    let canonical = format!(
        "{{\"event_name\":\"pre_tool_use\",\"hooks\":[{{\"async\":{asynchronous},\"command\":{},\"timeout\":{timeout},\"type\":\"command\"}}],\"matcher\":{}}}",
        serde_json::Value::from(command),
        serde_json::Value::from(matcher)
    );
    let hex: String = Sha256::digest(canonical.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
    Some(format!("sha256:{hex}"))
}

/// Trust of the handlers in a `hooks.json`, from the `[hooks.state]` of the config.toml files
/// beside it.
pub(super) fn trust_of_hooks_json(file: &Linted, configs: &[&Linted]) -> Vec<Finding> {
    let Some(groups) = file.root.as_ref().and_then(|r| r.path(&["hooks", "PreToolUse"])) else { return Vec::new() };
    let lines = Lines::new(&file.text);
    let mut findings = Vec::new();
    for handler in handlers(groups) {
        let suffix = format!("hooks.json:pre_tool_use:{}:{}", handler.group, handler.index);
        let entry = configs
            .iter()
            .filter_map(|config| config.root.as_ref()?.path(&["hooks", "state"]))
            .flat_map(Node::entries)
            .find(|(k, _)| k.ends_with(&suffix))
            .map(|(_, v)| v);
        if let Some((rule, message)) = judge_trust(&handler, entry, &suffix) {
            findings.push(rule.at(lines.location(&file.path, handler.node.offset), message));
        }
    }
    findings
}
