//! Claude Code `settings.json`: every tool the task may not use goes into `permissions.deny` by
//! its bare name, which removes it from the tools Claude Code sends to the model (deferred tools
//! included), and the `PreToolUse` hook is registered so that every call of a granted tool is
//! judged by the router.
//!
//! `permissions.allow` and `permissions.ask` are left to the user: an allow entry would approve
//! calls without a prompt (more privilege, not less), and an ask entry would make headless runs
//! (`claude -p`) refuse the tool outright; the hook already asks a human where the policy
//! escalates.

use super::json_doc::JsonDoc;
use super::owned::{Doc, Wants, apply};
use super::{Export, ExportError, Owned, Scope, glob_may_cover_server};
use jsonc_parser::cst::{CstInputValue, CstNode};

const DENY: [&str; 2] = ["permissions", "deny"];
const RULE_LISTS: [&str; 3] = ["allow", "ask", "deny"];

/// What the export writes besides the permissions.
#[derive(Clone, Copy, Debug, Default)]
pub struct Options<'a> {
    /// The hook command (`/abs/path/aethelgard hook claude`); `None` registers no hook.
    pub hook_command: Option<&'a str>,
    /// The task profile's tool names and globs, to tell whether an MCP server whose tools we
    /// cannot list may hold a granted tool.
    pub profile_tools: &'a [String],
    /// Paths the policy protects (`Governor::protected_paths`): each gets `Read(...)` deny rules.
    pub secret_paths: &'a [String],
}

/// The protected paths whose `Read` denial would not also deny one of `keep` (the user's home,
/// the project): Claude Code's deny rules win over everything, so `Read(//root/**)` would hide
/// a project under `/root` from a user working as root, instruction files included. The
/// router, whose most specific path wins, still protects what is left out here.
pub fn deniable_paths(paths: &[String], home: Option<&std::path::Path>, keep: &[&std::path::Path]) -> Vec<String> {
    paths
        .iter()
        .filter(|path| {
            let absolute = match (path.strip_prefix('~'), home) {
                (Some(rest), Some(home)) => home.join(rest.trim_start_matches('/')),
                (Some(_), None) => return true,
                (None, _) => std::path::PathBuf::from(path.as_str()),
            };
            !absolute.is_absolute() || !keep.iter().chain(home.as_slice().iter()).any(|kept| kept.starts_with(&absolute))
        })
        .cloned()
        .collect()
}

/// `Read` deny rules for the paths the policy protects, in Claude Code's path syntax (`~/x`,
/// `//abs`, `**/name` relative to the project). A path that may be a folder also gets `path/**`,
/// because a rule for a folder is not known to cover what is inside it.
pub fn secret_read_rules(paths: &[String]) -> Vec<String> {
    let mut rules = Vec::new();
    for path in paths {
        let written = match path.strip_prefix('/') {
            Some(rest) => format!("//{rest}"),
            None => path.clone(),
        };
        rules.push(format!("Read({written})"));
        let last = written.rsplit('/').next().unwrap_or("");
        let looks_like_file = last.contains('*') || last.trim_start_matches('.').contains('.');
        if !looks_like_file && !written.starts_with("**/") {
            rules.push(format!("Read({written}/**)"));
        }
    }
    rules
}

/// The MCP tools (`mcp__server__tool`) and servers a settings file names: in its permission
/// rules and in `enabledMcpjsonServers`.
pub fn mcp_names(text: &str) -> Result<(Vec<String>, Vec<String>), ExportError> {
    let doc = JsonDoc::parse(Some(text), "settings.json")?;
    let mut tools = Vec::new();
    let mut servers = Vec::new();
    for list in RULE_LISTS {
        for rule in doc.strings(&path(&["permissions", list])).unwrap_or_default() {
            let Some(rest) = rule.strip_prefix("mcp__") else { continue };
            if rule.contains('(') || rule.contains('*') {
                continue;
            }
            match rest.split_once("__") {
                Some((server, tool)) if !server.is_empty() && !tool.is_empty() => {
                    push_unique(&mut servers, server);
                    push_unique(&mut tools, &rule);
                }
                _ if !rest.is_empty() => push_unique(&mut servers, rest),
                _ => {}
            }
        }
    }
    for server in doc.strings(&path(&["enabledMcpjsonServers"])).unwrap_or_default() {
        push_unique(&mut servers, &server);
    }
    Ok((tools, servers))
}

fn push_unique(list: &mut Vec<String>, value: &str) {
    if !list.iter().any(|v| v == value) {
        list.push(value.to_owned());
    }
}

fn path(segments: &[&str]) -> Vec<String> {
    segments.iter().map(|s| (*s).to_owned()).collect()
}

/// The settings file with the task's denials and the hook; `existing` is the file as it is now
/// (`None` when it does not exist), `previous` what an earlier export wrote into it.
pub fn export(scope: &Scope, existing: Option<&str>, previous: &Owned, options: &Options) -> Result<Export, ExportError> {
    let mut doc = JsonDoc::parse(existing, "settings.json")?;
    let (_, servers) = match existing {
        Some(text) => mcp_names(text)?,
        None => (Vec::new(), Vec::new()),
    };
    let mut deny: Vec<String> = scope.manifest.denied.clone();
    for server in &servers {
        let prefix = format!("mcp__{server}__");
        let granted = scope.manifest.granted.iter().any(|name| name.starts_with(&prefix));
        let may_cover = options.profile_tools.iter().any(|glob| glob_may_cover_server(glob, server));
        if !granted && !may_cover {
            deny.push(format!("mcp__{server}"));
        }
    }
    deny.extend(secret_read_rules(options.secret_paths));
    let mut wants = Wants::default();
    wants.entries(path(&DENY), deny);

    let (mut owned, mut changes) = apply(&mut doc, &wants, previous)?;
    let mut hooks = Vec::new();
    for old in &previous.hooks {
        if Some(old.as_str()) != options.hook_command && remove_hook(&doc, old) {
            changes.push(format!("remove the PreToolUse hook `{old}`"));
        }
    }
    if let Some(command) = options.hook_command {
        if !has_hook(&doc, command) {
            add_hook(&mut doc, command, &mut owned.created)?;
            changes.push(format!("register the PreToolUse hook `{command}`"));
            hooks.push(command.to_owned());
        } else if previous.hooks.iter().any(|h| h == command) {
            hooks.push(command.to_owned());
        }
    }
    owned.hooks = hooks;
    owned.created.sort();
    owned.created.dedup();
    Ok(Export { text: doc.text(), owned, changes, notes: Vec::new() })
}

/// The hook registration and the `Read` denials of secrets, for the user's own settings, where
/// no task type applies.
pub fn hook_only(existing: Option<&str>, previous: &Owned, command: &str, secret_paths: &[String]) -> Result<Export, ExportError> {
    let mut doc = JsonDoc::parse(existing, "settings.json")?;
    let mut wants = Wants::default();
    wants.entries(path(&DENY), secret_read_rules(secret_paths));
    let (mut owned, mut changes) = apply(&mut doc, &wants, previous)?;
    owned.hooks.clone_from(&previous.hooks);
    if !has_hook(&doc, command) {
        add_hook(&mut doc, command, &mut owned.created)?;
        changes.push(format!("register the PreToolUse hook `{command}`"));
        if !owned.hooks.iter().any(|h| h == command) {
            owned.hooks.push(command.to_owned());
        }
    }
    Ok(Export { text: doc.text(), owned, changes, notes: Vec::new() })
}

/// Takes back everything `owned` records (for `uninstall` on a file the user edited since).
pub fn revert(existing: &str, owned: &Owned) -> Result<Export, ExportError> {
    let mut doc = JsonDoc::parse(Some(existing), "settings.json")?;
    let mut changes = Vec::new();
    for command in &owned.hooks {
        if remove_hook(&doc, command) {
            changes.push(format!("remove the PreToolUse hook `{command}`"));
        }
    }
    let bare = Owned { hooks: Vec::new(), ..owned.clone() };
    let (rest, applied) = apply(&mut doc, &Wants::default(), &bare)?;
    changes.extend(applied);
    Ok(Export { text: doc.text(), owned: rest, changes, notes: Vec::new() })
}

fn groups(doc: &JsonDoc) -> Vec<CstNode> {
    doc.node(&path(&["hooks", "PreToolUse"])).and_then(|n| n.as_array()).map(|a| a.elements()).unwrap_or_default()
}

fn handlers(group: &CstNode) -> Vec<CstNode> {
    group.as_object().and_then(|o| o.array_value("hooks")).map(|a| a.elements()).unwrap_or_default()
}

fn command_of(handler: &CstNode) -> Option<String> {
    handler.as_object()?.get("command")?.value()?.as_string_lit()?.decoded_value().ok()
}

fn has_hook(doc: &JsonDoc, command: &str) -> bool {
    groups(doc).iter().flat_map(handlers).any(|handler| command_of(&handler).as_deref() == Some(command))
}

fn add_hook(doc: &mut JsonDoc, command: &str, created: &mut Vec<Vec<String>>) -> Result<(), ExportError> {
    let hooks = doc.object_at(&path(&["hooks"]), created)?;
    if hooks.get("PreToolUse").is_none() {
        created.push(path(&["hooks", "PreToolUse"]));
    }
    let Some(list) = hooks.array_value_or_create("PreToolUse") else {
        return Err(ExportError::Shape { origin: "settings.json".to_owned(), message: "`hooks.PreToolUse` is not a list".to_owned() });
    };
    let handler = CstInputValue::Object(vec![
        ("type".to_owned(), CstInputValue::String("command".to_owned())),
        ("command".to_owned(), CstInputValue::String(command.to_owned())),
    ]);
    list.append(CstInputValue::Object(vec![
        ("matcher".to_owned(), CstInputValue::String("*".to_owned())),
        ("hooks".to_owned(), CstInputValue::Array(vec![handler])),
    ]));
    Ok(())
}

/// Removes every handler running `command`, and a group left with no handler.
fn remove_hook(doc: &JsonDoc, command: &str) -> bool {
    let mut removed = false;
    for group in groups(doc) {
        let handlers = handlers(&group);
        let ours: Vec<CstNode> = handlers.iter().filter(|h| command_of(h).as_deref() == Some(command)).cloned().collect();
        if ours.is_empty() {
            continue;
        }
        removed = true;
        if ours.len() == handlers.len() {
            group.remove();
        } else {
            for handler in ours {
                handler.remove();
            }
        }
    }
    removed
}
