//! AGENTS.md: the semantic half of layer 1, a section in plain words that tells the model which
//! tools exist for this task and that no other does.
//!
//! The section sits between two HTML comments that Markdown renderers hide; an export replaces
//! what is between them and leaves the rest of the file as it was.

use super::{Export, ExportError, Owned, Scope};
use aethelgard_protocol::RiskTag;

pub const BEGIN: &str = "<!-- aethelgard:begin -->";
pub const END: &str = "<!-- aethelgard:end -->";

/// What a denied tool could have done, most dangerous first; a tool is listed under the first
/// that fits.
const KINDS: &[(RiskTag, &str)] = &[
    (RiskTag::Exec, "run commands or code"),
    (RiskTag::Spawn, "start or direct other agents"),
    (RiskTag::Credential, "handle credentials"),
    (RiskTag::Payment, "move money"),
    (RiskTag::Message, "send messages"),
    (RiskTag::Destructive, "delete or destroy"),
    (RiskTag::Write, "change files or state"),
    (RiskTag::Network, "reach the network"),
    (RiskTag::Read, "read"),
];

/// The section, markers included, with `\n` line endings and no final newline.
pub fn section(scope: &Scope) -> String {
    let manifest = scope.manifest;
    let mut lines = vec![
        BEGIN.to_owned(),
        "## Tools for this task".to_owned(),
        String::new(),
        "<!-- Written by `aethelgard export agents-md`; the next export replaces everything between these markers. -->".to_owned(),
        String::new(),
    ];
    let description = scope.description.trim().trim_end_matches('.');
    if description.is_empty() {
        lines.push(format!("This task is of type `{}`.", manifest.task_type));
    } else {
        lines.push(format!("This task is of type `{}`: {}.", manifest.task_type, lower_first(description)));
    }
    lines.push(String::new());
    if manifest.granted.is_empty() {
        lines.push("No tool exists for this task. Answer from what you already know and what the user gave you.".to_owned());
    } else {
        lines.push("These tools exist for this task, and only these:".to_owned());
        lines.push(String::new());
        lines.push(format!("- {}", code_list(&manifest.granted)));
    }
    lines.push(String::new());
    lines.push(
        "Every other tool does not exist for this task. Do not call one, do not ask for one, and do not reach the same \
         effect another way (through a shell, a script or another tool): calls to any other tool are refused and recorded."
            .to_owned(),
    );
    let groups = denied_by_kind(scope);
    if !groups.is_empty() {
        lines.push(String::new());
        lines.push("Among the tools that do not exist for this task:".to_owned());
        lines.push(String::new());
        for (kind, names) in groups {
            lines.push(format!("- to {kind}: {}", code_list(&names)));
        }
    }
    lines.push(String::new());
    lines.push(
        "If the task cannot be done with the tools above, stop and tell the user which tool is missing and why.".to_owned(),
    );
    lines.push(END.to_owned());
    lines.join("\n")
}

fn lower_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        // Keep names and acronyms (`MCP`, `OpenClaw`) as written.
        Some(first) if chars.clone().next().is_some_and(char::is_lowercase) => first.to_lowercase().chain(chars).collect(),
        _ => text.to_owned(),
    }
}

fn code_list(names: &[String]) -> String {
    names.iter().map(|name| format!("`{name}`")).collect::<Vec<_>>().join(", ")
}

fn denied_by_kind(scope: &Scope) -> Vec<(&'static str, Vec<String>)> {
    let mut groups: Vec<(&'static str, Vec<String>)> = KINDS.iter().map(|(_, kind)| (*kind, Vec::new())).collect();
    let mut other = Vec::new();
    for name in &scope.manifest.denied {
        let tags = scope.entry(name).map(|tool| tool.risk.as_slice()).unwrap_or_default();
        let kind = KINDS.iter().position(|(tag, _)| tags.contains(tag));
        match kind.and_then(|index| groups.get_mut(index)) {
            Some((_, names)) => names.push(name.clone()),
            None => other.push(name.clone()),
        }
    }
    groups.push(("do other things", other));
    groups.retain(|(_, names)| !names.is_empty());
    groups
}

/// The file with the section added or replaced; the rest of the file is kept byte for byte.
pub fn export(scope: &Scope, existing: Option<&str>) -> Result<Export, ExportError> {
    let existing = existing.unwrap_or("");
    let crlf = existing.contains("\r\n");
    let mut section = section(scope);
    if crlf {
        section = section.replace('\n', "\r\n");
    }
    let newline = if crlf { "\r\n" } else { "\n" };
    let begin = existing.find(BEGIN);
    let end = existing.find(END);
    let (text, change) = match (begin, end) {
        (Some(begin), Some(end)) if end > begin => {
            let after = end + END.len();
            let before = existing.get(..begin).unwrap_or("");
            let rest = existing.get(after..).unwrap_or("");
            let text = format!("{before}{section}{rest}");
            let change = (text != existing).then(|| "replace the Aethelgard section".to_owned());
            (text, change)
        }
        (None, None) if existing.trim().is_empty() => (format!("{section}{newline}"), Some("write the Aethelgard section".to_owned())),
        (None, None) => {
            let separator = if existing.ends_with(&format!("{newline}{newline}")) {
                ""
            } else if existing.ends_with('\n') {
                newline
            } else {
                "\n\n"
            };
            let separator = if crlf && separator == "\n\n" { "\r\n\r\n" } else { separator };
            (format!("{existing}{separator}{section}{newline}"), Some("append the Aethelgard section".to_owned()))
        }
        _ => {
            return Err(ExportError::Shape {
                origin: "AGENTS.md".to_owned(),
                message: format!("`{BEGIN}` and `{END}` must both be present, in that order; fix or remove the markers"),
            });
        }
    };
    Ok(Export { text, owned: Owned::default(), changes: change.into_iter().collect(), notes: Vec::new() })
}
