//! Tool bridges: a tool whose call runs another tool, named in its arguments. OpenClaw 2026.9's
//! `tool_call` (`{"id": "<tool name or search result id>", "args": {...}}`) runs any tool of the
//! runtime's catalog, `exec` included, whether the model was offered it or not. Deciding the
//! bridge alone would let a granted `tool_call` run an ungranted `exec`, so the tool it names is
//! decided too, with the arguments it would get and the call's task, manifest, session and
//! workspace, and the call gets the strictest of those decisions.
//!
//! Which tools are bridges, and where their arguments name the target, is data: the `bridge`
//! field of a catalog entry ([`aethelgard_policy::Bridge`]). The target is read as OpenClaw reads
//! it (`readToolSearchCallArgs`): a selector (`id`, `toolId`, `name`; every one given is decided,
//! since the runtime may pick any), possibly nested in the arguments object (`args` / `input`);
//! a search result id `openclaw:<owner>:<name>` names `<name>`. A bridge call whose target cannot
//! be read is refused, and a bridge that runs a bridge is followed [`MAX_DEPTH`] deep, no further.

use crate::router::Router;
use aethelgard_policy::Bridge;
use aethelgard_protocol::{Decision, DecisionKind, ToolCall};
use serde_json::{Map, Value};

/// How many bridges deep a call is followed; a deeper one is refused.
pub const MAX_DEPTH: usize = 3;

/// The rule id of a refused bridge call whose target cannot be read.
pub const UNREADABLE_TARGET: &str = "bridge.unreadable-target";
/// The rule id of a refused bridge call nested more than [`MAX_DEPTH`] bridges deep.
pub const TOO_DEEP: &str = "bridge.too-deep";

/// The calls a bridge call makes, as `(tool, arguments)`: empty when its arguments name no tool
/// that can be read.
#[must_use]
pub fn targets(bridge: &Bridge, arguments: &Value) -> Vec<(String, Value)> {
    let Some(outer) = arguments.as_object() else {
        return Vec::new();
    };
    match lifted(bridge, outer) {
        Some(lifted) => read(bridge, &lifted),
        None => read(bridge, outer),
    }
}

/// With no selector beside it, a selector inside the arguments object is lifted out with those
/// arguments (OpenClaw's `prepareToolSearchDispatcherArguments`): `{"args": {"id": "exec",
/// "command": "ls"}}` is `{"id": "exec", "command": "ls"}`.
fn lifted(bridge: &Bridge, outer: &Map<String, Value>) -> Option<Map<String, Value>> {
    if bridge.selectors.iter().any(|key| outer.contains_key(key)) {
        return None;
    }
    let inner = nested(bridge, outer)?.as_object()?;
    let named = bridge
        .selectors
        .iter()
        .any(|key| inner.get(key).and_then(Value::as_str).is_some_and(|name| !name.trim().is_empty()));
    if !named {
        return None;
    }
    let mut lifted: Map<String, Value> = outer
        .iter()
        .filter(|(key, _)| !bridge.arguments.contains(key))
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect();
    lifted.extend(inner.iter().map(|(key, value)| (key.clone(), value.clone())));
    Some(lifted)
}

/// The argument a key written `<arguments key>.<name>` names: `args.path` is `path`.
fn dotted<'a>(bridge: &Bridge, key: &'a str) -> Option<&'a str> {
    bridge.arguments.iter().find_map(|nested| {
        key.strip_prefix(nested.as_str())
            .and_then(|rest| rest.strip_prefix('.'))
            .filter(|name| !name.is_empty())
    })
}

/// The first arguments key present and not null (`args ?? input`).
fn nested<'a>(bridge: &Bridge, params: &'a Map<String, Value>) -> Option<&'a Value> {
    bridge.arguments.iter().find_map(|key| params.get(key).filter(|value| !value.is_null()))
}

/// The targets of a bridge call's arguments once any selector is lifted
/// (OpenClaw's `readToolSearchCallArgs`).
fn read(bridge: &Bridge, params: &Map<String, Value>) -> Vec<(String, Value)> {
    let mut input: Map<String, Value> = params
        .iter()
        .filter_map(|(key, value)| Some((dotted(bridge, key)?.to_owned(), value.clone())))
        .collect();
    let input = match nested(bridge, params) {
        Some(Value::Object(inner)) if !inner.is_empty() => {
            input.extend(inner.iter().map(|(key, value)| (key.clone(), value.clone())));
            Value::Object(input)
        }
        Some(value) if !value.is_object() => value.clone(),
        _ => {
            input.extend(
                params
                    .iter()
                    .filter(|(key, _)| {
                        !bridge.selectors.contains(key) && !bridge.arguments.contains(key) && dotted(bridge, key).is_none()
                    })
                    .map(|(key, value)| (key.clone(), value.clone())),
            );
            Value::Object(input)
        }
    };
    bridge
        .selectors
        .iter()
        .filter_map(|key| params.get(key).and_then(Value::as_str))
        .map(str::trim)
        .filter(|selector| !selector.is_empty())
        .map(|selector| (tool_name(bridge, selector).to_owned(), input.clone()))
        .collect()
}

/// The tool a selector names: with `strip_prefix = "openclaw:*:"`, the search result id
/// `openclaw:core:exec` names `exec`; any other text is taken as the name itself (an unknown id
/// is then not granted).
fn tool_name<'a>(bridge: &Bridge, selector: &'a str) -> &'a str {
    let Some(prefix) = &bridge.strip_prefix else {
        return selector;
    };
    let name = match prefix.split_once('*') {
        None => selector.strip_prefix(prefix.as_str()),
        // The wildcard takes all it can, as OpenClaw's ids put the name after the last separator.
        Some((head, tail)) => selector.strip_prefix(head).and_then(|rest| {
            if tail.is_empty() {
                Some("")
            } else {
                rest.rfind(tail).and_then(|at| rest.get(at + tail.len()..))
            }
        }),
    };
    name.filter(|name| !name.is_empty()).unwrap_or(selector)
}

impl Router {
    /// Decides a call, and when its tool is a bridge, each call the bridge would make: the
    /// strictest decision stands, and its reason names the tool the bridge would run.
    pub(crate) fn decide_bridged(&self, call: &ToolCall, depth: usize) -> Decision {
        let own = self.decide(call);
        let Some(bridge) = self.policy.catalog.get(&call.tool).and_then(|tool| tool.bridge.as_ref()) else {
            return own;
        };
        if own.decision == DecisionKind::Block {
            return own;
        }
        let tool = &call.tool;
        let targets = targets(bridge, &call.args);
        if targets.is_empty() {
            let selectors = bridge.selectors.iter().map(|key| format!("`{key}`")).collect::<Vec<_>>().join(", ");
            return Decision::refused(
                UNREADABLE_TARGET,
                format!("`{tool}` runs another tool, and its arguments name none that can be checked; name the tool in {selectors}"),
            );
        }
        if depth >= MAX_DEPTH {
            return Decision::refused(
                TOO_DEEP,
                format!("`{tool}` runs a tool through {depth} bridges already; call the tool directly"),
            );
        }
        let mut strictest: Option<(String, Decision)> = None;
        for (target, args) in targets {
            let inner = ToolCall { tool: target.clone(), args, ..call.clone() };
            let decision = self.decide_bridged(&inner, depth + 1);
            if strictest.as_ref().is_none_or(|(_, kept)| decision.decision > kept.decision) {
                strictest = Some((target, decision));
            }
        }
        let Some((target, inner)) = strictest else {
            return own;
        };
        if inner.decision > own.decision {
            return Decision { reason: format!("`{tool}` would run `{target}`: {}", inner.reason), ..inner };
        }
        Decision { reason: format!("{} (`{tool}` would run `{target}`: {})", own.reason, inner.reason), ..own }
    }
}


#[cfg(test)]
#[path = "bridge_tests.rs"]
mod tests;
