//! Tool bridges: a tool whose call runs another tool, named in its arguments. OpenClaw 2026.9's
//! `tool_call` (`{"id": "<tool name or search result id>", "args": {...}}`) runs any tool of the
//! runtime's catalog, `exec` included, whether the model was offered it or not. Deciding the
//! bridge alone would let a granted `tool_call` run an ungranted `exec`, so the tool it names is
//! decided too, with the arguments it would get, and the call stands only when both are allowed.
//!
//! The target is read as OpenClaw reads it (`readToolSearchCallArgs`): the selector is `id`,
//! `toolId` or `name` (every one given is decided, since the runtime may pick any), possibly
//! nested in `args` / `input`; a search result id `openclaw:<owner>:<name>` names `<name>`. A
//! bridge call whose target cannot be read is refused.

use aethelgard_protocol::{Decision, DecisionKind, Stage};
use serde_json::{Map, Value};

use super::Route;

/// The bridge tools, by the name the model calls.
const BRIDGES: [&str; 1] = ["tool_call"];
/// The keys that name the target, in the order OpenClaw reads them.
const SELECTORS: [&str; 3] = ["id", "toolId", "name"];
/// The keys that hold the target's arguments.
const NESTED: [&str; 2] = ["args", "input"];

/// The calls a bridge call makes: `None` when `tool` is not a bridge, an empty list when it is
/// but names no tool that can be read.
#[must_use]
pub fn targets(tool: &str, arguments: &Value) -> Option<Vec<(String, Value)>> {
    if !BRIDGES.contains(&tool) {
        return None;
    }
    let Some(outer) = arguments.as_object() else {
        return Some(Vec::new());
    };
    let nested = NESTED
        .iter()
        .find_map(|key| outer.get(*key).filter(|value| !value.is_null()));
    // A selector only inside the nested arguments is lifted out, with them, as OpenClaw does.
    let lifted = match nested.and_then(Value::as_object) {
        Some(inner) if !SELECTORS.iter().any(|key| outer.contains_key(*key)) => Some(inner),
        _ => None,
    };
    let input = match (lifted, nested) {
        (None, Some(Value::Object(inner))) if !inner.is_empty() => Value::Object(inner.clone()),
        (None, Some(value)) if !value.is_object() => value.clone(),
        _ => Value::Object(
            lifted
                .unwrap_or(outer)
                .iter()
                .filter(|(key, _)| {
                    !SELECTORS.contains(&key.as_str()) && !NESTED.contains(&key.as_str())
                })
                .map(|(key, value)| {
                    (
                        key.strip_prefix("args.").unwrap_or(key).to_owned(),
                        value.clone(),
                    )
                })
                .collect::<Map<String, Value>>(),
        ),
    };
    let outer = lifted.unwrap_or(outer);
    Some(
        SELECTORS
            .iter()
            .filter_map(|key| outer.get(*key).and_then(Value::as_str))
            .map(str::trim)
            .filter(|selector| !selector.is_empty())
            .map(|selector| (tool_name(selector).to_owned(), input.clone()))
            .collect(),
    )
}

/// The tool a selector names: a search result id `openclaw:<owner>:<name>` names `<name>`; any
/// other text is taken as the name itself (an unknown id is then not granted).
fn tool_name(selector: &str) -> &str {
    selector
        .strip_prefix("openclaw:")
        .and_then(|rest| rest.rsplit(':').next())
        .filter(|name| !name.is_empty())
        .unwrap_or(selector)
}

/// Decides a call, and when it goes through a bridge, the call the bridge would make: the first
/// decision that is not an allow stands.
pub fn route(route: &mut Route<'_>, tool: &str, arguments: Value) -> Decision {
    let Some(targets) = targets(tool, &arguments) else {
        return route(tool, arguments);
    };
    let bridge = route(tool, arguments);
    if bridge.decision != DecisionKind::Allow {
        return bridge;
    }
    if targets.is_empty() {
        return Decision {
            decision: DecisionKind::Block,
            stage: Stage::Rules,
            score: 1.0,
            rule: Some("proxy.bridge-target-unread".to_owned()),
            reason: format!(
                "`{tool}` runs another tool, and its arguments name none that can be checked; pass the tool in `id` and its arguments in `args`"
            ),
            latency_us: bridge.latency_us,
        };
    }
    for (target, input) in targets {
        let decision = route(&target, input);
        if decision.decision != DecisionKind::Allow {
            return Decision {
                reason: format!("it would run `{target}`: {}", decision.reason),
                ..decision
            };
        }
    }
    bridge
}

#[cfg(test)]
#[path = "bridge_tests.rs"]
mod tests;
