//! Deferred tools: the tools a runtime names only in its prompt text and loads on demand (through
//! a tool-search tool), so they never appear in `tools` until the model asks for them. The proxy
//! reads those lists to tell the governor what is on offer, and removes the names the manifest
//! does not grant, so the model never learns of them.
//!
//! The lists seen in the real runtimes:
//! - Claude Code 2.1: "...deferred tools are now available via ToolSearch...:" then one name a
//!   line, up to a blank line;
//! - OpenClaw 2026.9: "Available deferred-schema tools:" then `- name: description` lines.
//!
//! OpenClaw 2026.9 also names every tool of its `tools` array in its system prompt, under
//! "## Tooling" ("Tools policy-filtered. Names case-sensitive; call exact." then `- name: what
//! it does` or `- name` lines): read and filtered the same way, or the model would learn of the
//! tools removed from `tools`.

use serde_json::Value;

/// A list of deferred tools in prompt text: the sentence before it and how its lines read.
struct List {
    heading: &'static str,
    /// The list begins after this text, which follows the heading.
    opener: &'static str,
    bulleted: bool,
}

const LISTS: [List; 3] = [
    List {
        heading: "deferred tools are now available via ToolSearch",
        opener: ":\n",
        bulleted: false,
    },
    List {
        heading: "Available deferred-schema tools:",
        opener: "",
        bulleted: true,
    },
    List {
        heading: "Tools policy-filtered. Names case-sensitive; call exact.",
        opener: "",
        bulleted: true,
    },
];

/// The name a list line gives, or `None` when the line ends the list.
fn line_name(line: &str, bulleted: bool) -> Option<&str> {
    if bulleted {
        let rest = line.strip_prefix("- ")?;
        rest.split([' ', ':'])
            .next()
            .filter(|name| !name.is_empty())
    } else {
        let name = line.trim();
        (!name.is_empty()).then_some(name)
    }
}

/// The deferred tools named in `text`.
pub fn names(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    for list in &LISTS {
        let Some((_, after)) = text.split_once(list.heading) else {
            continue;
        };
        let Some((_, body)) = after.split_once(list.opener) else {
            continue;
        };
        let body = if list.bulleted {
            body.trim_start_matches(['\n', '\r', ' '])
        } else {
            body
        };
        names.extend(
            body.lines()
                .map_while(|line| line_name(line, list.bulleted))
                .map(str::to_owned),
        );
    }
    names
}

/// `text` without the list lines whose tool is not granted; `None` when nothing changes.
pub fn remove(text: &str, granted: &[String]) -> Option<String> {
    let mut changed = false;
    let mut out = text.to_owned();
    for list in &LISTS {
        let Some(heading_at) = out.find(list.heading) else {
            continue;
        };
        let after_heading = heading_at + list.heading.len();
        let Some(opener_at) = out
            .get(after_heading..)
            .and_then(|rest| rest.find(list.opener))
        else {
            continue;
        };
        let body_start = after_heading + opener_at + list.opener.len();
        let Some(body) = out.get(body_start..) else {
            continue;
        };
        let mut kept = String::with_capacity(body.len());
        let mut in_list = true;
        let mut leading = list.bulleted;
        for line in body.split_inclusive('\n') {
            if in_list && leading && line.trim().is_empty() {
                kept.push_str(line);
                continue;
            }
            leading = false;
            if in_list {
                match line_name(line.trim_end_matches(['\n', '\r']), list.bulleted) {
                    Some(name) if !granted.iter().any(|granted| granted == name) => {
                        changed = true;
                        continue;
                    }
                    Some(_) => {}
                    None => in_list = false,
                }
            }
            kept.push_str(line);
        }
        out.truncate(body_start);
        out.push_str(&kept);
    }
    changed.then_some(out)
}

/// Every deferred tool named anywhere in `value`'s strings.
pub fn names_in(value: &Value) -> Vec<String> {
    let mut found = Vec::new();
    visit_strings(value, &mut |text| found.extend(names(text)));
    found
}

/// Removes the ungranted names from every deferred list in `value`'s strings.
pub fn remove_in(value: &mut Value, granted: &[String]) {
    match value {
        Value::String(text) => {
            if let Some(kept) = remove(text, granted) {
                *text = kept;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|item| remove_in(item, granted)),
        Value::Object(map) => map.values_mut().for_each(|item| remove_in(item, granted)),
        _ => {}
    }
}

fn visit_strings(value: &Value, visit: &mut dyn FnMut(&str)) {
    match value {
        Value::String(text) => visit(text),
        Value::Array(items) => items.iter().for_each(|item| visit_strings(item, visit)),
        Value::Object(map) => map.values().for_each(|item| visit_strings(item, visit)),
        _ => {}
    }
}

#[cfg(test)]
#[path = "deferred_tests.rs"]
mod tests;
