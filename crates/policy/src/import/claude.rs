use super::slug;
use crate::error::PolicyError;
use crate::file::{Decision, PathAccess, Rule, ShellCondition};

/// Converts Claude Code permission rules. Accepts a `settings.json` (reads
/// `permissions.allow` / `ask` / `deny`), a JSON array of strings (taken as deny rules), or one
/// rule per line prefixed with `allow:`, `ask:` or `deny:` (deny when there is no prefix).
pub fn claude_permissions(text: &str, origin: &str) -> Result<Vec<Rule>, PolicyError> {
    let mut entries: Vec<(Decision, String, usize)> = Vec::new();
    let trimmed = text.trim_start();
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        let value: serde_json::Value = serde_json::from_str(text).map_err(|e| PolicyError::Import {
            origin: origin.to_owned(),
            line: e.line(),
            message: format!("expected Claude Code settings JSON: {e}"),
        })?;
        if let Some(list) = value.as_array() {
            collect(list, Decision::Block, &mut entries);
        } else {
            let permissions = value.get("permissions").ok_or_else(|| PolicyError::Import {
                origin: origin.to_owned(),
                line: 1,
                message: "no `permissions` object; expected {\"permissions\": {\"allow\": [...], \"ask\": [...], \"deny\": [...]}}".to_owned(),
            })?;
            for (key, decision) in [("deny", Decision::Block), ("ask", Decision::Escalate), ("allow", Decision::Allow)] {
                if let Some(list) = permissions.get(key).and_then(|v| v.as_array()) {
                    collect(list, decision, &mut entries);
                }
            }
        }
    } else {
        for (index, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (decision, rule) = match line.split_once(':') {
                Some(("allow", rest)) => (Decision::Allow, rest.trim()),
                Some(("ask", rest)) => (Decision::Escalate, rest.trim()),
                Some(("deny", rest)) => (Decision::Block, rest.trim()),
                _ => (Decision::Block, line),
            };
            entries.push((decision, rule.to_owned(), index + 1));
        }
    }
    entries
        .into_iter()
        .map(|(decision, text, line)| {
            claude_rule(&text, decision).map_err(|message| PolicyError::Import { origin: origin.to_owned(), line, message })
        })
        .collect()
}

fn collect(list: &[serde_json::Value], decision: Decision, out: &mut Vec<(Decision, String, usize)>) {
    for (i, item) in list.iter().enumerate() {
        if let Some(text) = item.as_str() {
            out.push((decision, text.to_owned(), i + 1));
        }
    }
}

/// One permission string, `Tool` or `Tool(specifier)`.
pub fn claude_rule(text: &str, decision: Decision) -> Result<Rule, String> {
    let (tool, specifier) = match text.split_once('(') {
        Some((tool, rest)) => {
            let spec = rest.strip_suffix(')').ok_or_else(|| format!("`{text}`: missing `)`"))?;
            (tool.trim(), Some(spec.trim()))
        }
        None => (text.trim(), None),
    };
    if tool.is_empty() {
        return Err(format!("`{text}`: empty tool name"));
    }
    let verb = match decision {
        Decision::Allow => "allowed",
        Decision::Escalate => "needs approval",
        Decision::Block => "denied",
    };
    let mut rule = Rule {
        id: format!("claude.{}.{}", decision_word(decision), slug(text)),
        decision,
        reason: format!("{verb} by the imported Claude Code permission `{text}`"),
        score: None,
        tool: Vec::new(),
        risk: Vec::new(),
        args: Vec::new(),
        shell: None,
        hosts: Vec::new(),
        paths: Vec::new(),
        access: None,
        matches: Vec::new(),
        not_match: Vec::new(),
    };
    match (tool, specifier) {
        (_, None) | (_, Some("")) | (_, Some("*")) => {
            // `mcp__server` names a whole server.
            let glob = if tool.starts_with("mcp__") && tool.matches("__").count() == 1 { format!("{tool}__*") } else { tool.to_owned() };
            rule.tool = vec![glob];
        }
        ("Bash", Some(spec)) => {
            rule.tool = vec!["Bash".to_owned()];
            rule.shell = Some(bash_condition(spec));
        }
        ("Read" | "Edit" | "Write" | "MultiEdit" | "NotebookEdit" | "Glob" | "Grep", Some(spec)) => {
            rule.paths = vec![path_glob(spec)];
            rule.access = Some(if tool == "Read" || tool == "Glob" || tool == "Grep" { PathAccess::Read } else { PathAccess::Write });
            // Allow rules stay on the tool they name; deny and ask rules guard the path from
            // every tool, including shell commands that touch it.
            if decision == Decision::Allow {
                rule.tool = vec![tool.to_owned()];
            }
        }
        ("WebFetch", Some(spec)) => {
            let host = spec.strip_prefix("domain:").ok_or_else(|| format!("`{text}`: expected `WebFetch(domain:HOST)`"))?;
            rule.hosts = vec![host.to_owned()];
            if decision == Decision::Allow {
                rule.tool = vec!["WebFetch".to_owned()];
            }
        }
        (other, Some(spec)) => {
            return Err(format!("`{text}`: specifiers for `{other}` are not understood (`{spec}`); use the tool name alone"));
        }
    }
    Ok(rule)
}

fn decision_word(decision: Decision) -> &'static str {
    match decision {
        Decision::Allow => "allow",
        Decision::Escalate => "ask",
        Decision::Block => "deny",
    }
}

/// `npm run test:*` is the legacy prefix form; anything else with `*` is a glob over the whole
/// command; a plain string is an exact command.
fn bash_condition(spec: &str) -> ShellCondition {
    if let Some(prefix) = spec.strip_suffix(":*") {
        // Claude Code's legacy prefix form matches at a word boundary: `npm run test:*` covers
        // `npm run test`, `npm run test --watch` and `npm run test:unit`, not `npm run tests`.
        let words: Vec<&str> = prefix.split_whitespace().collect();
        let program = words.first().map(|w| (*w).to_owned()).unwrap_or_default();
        if words.len() <= 1 {
            return ShellCondition { program: vec![program], ..ShellCondition::default() };
        }
        let exact = escape_glob(&words.join(" "));
        return ShellCondition {
            program: vec![program],
            command: vec![exact.clone(), format!("{exact}[!A-Za-z0-9_]*")],
            ..ShellCondition::default()
        };
    }
    ShellCondition { command: vec![spec.to_owned()], ..ShellCondition::default() }
}

fn escape_glob(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '{' | '}') {
            out.push('[');
            out.push(c);
            out.push(']');
        } else {
            out.push(c);
        }
    }
    out
}

/// Claude Code paths: `//abs` is absolute, `~/x` is in the home, `/x` is relative to the
/// settings root (taken as the workspace), `./x` and bare `x` are relative to the workspace.
fn path_glob(spec: &str) -> String {
    if let Some(abs) = spec.strip_prefix("//") {
        format!("/{abs}")
    } else if spec.starts_with('~') {
        spec.to_owned()
    } else if let Some(rel) = spec.strip_prefix('/') {
        format!("./{rel}")
    } else if spec.starts_with("./") || spec.starts_with("**") {
        spec.to_owned()
    } else {
        format!("./{spec}")
    }
}
