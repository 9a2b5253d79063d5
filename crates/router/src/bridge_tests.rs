use super::*;
use serde_json::json;

#[test]
fn openclaw_tool_call_names_its_target_as_openclaw_reads_it() {
    let rm = json!({"command": "rm -r /victim"});
    assert_eq!(targets("exec", &rm), None);
    assert_eq!(
        targets("tool_call", &json!({"id": "exec", "args": rm})),
        Some(vec![("exec".to_owned(), rm.clone())])
    );
    assert_eq!(
        targets(
            "tool_call",
            &json!({"id": "openclaw:core:exec", "input": rm})
        ),
        Some(vec![("exec".to_owned(), rm.clone())])
    );
    // The selector nested in `args`, and the arguments flattened beside the selector.
    assert_eq!(
        targets(
            "tool_call",
            &json!({"args": {"toolId": "exec", "command": "ls"}})
        ),
        Some(vec![("exec".to_owned(), json!({"command": "ls"}))])
    );
    assert_eq!(
        targets(
            "tool_call",
            &json!({"name": "write", "args.path": "x", "content": "y"})
        ),
        Some(vec![(
            "write".to_owned(),
            json!({"path": "x", "content": "y"})
        )])
    );
    // Every selector given is a target; none, or no object, is a bridge with no readable target.
    assert_eq!(
        targets("tool_call", &json!({"id": "read", "name": "exec"})).map(|t| t.len()),
        Some(2)
    );
    assert_eq!(targets("tool_call", &json!({"args": {}})), Some(vec![]));
    assert_eq!(targets("tool_call", &json!("exec")), Some(vec![]));
    assert_eq!(
        targets("tool_call", &json!({"id": "mcp:server:exec"})),
        Some(vec![("mcp:server:exec".to_owned(), json!({}))])
    );
}

fn decision(kind: DecisionKind, reason: &str) -> Decision {
    Decision {
        decision: kind,
        stage: Stage::Rules,
        score: 1.0,
        rule: None,
        reason: reason.to_owned(),
        latency_us: 0,
    }
}

/// Grants `tool_call` and `read`, nothing else; records every call it decides.
fn gate(seen: &mut Vec<String>) -> impl FnMut(&str, Value) -> Decision + '_ {
    move |tool, _| {
        seen.push(tool.to_owned());
        if ["tool_call", "read"].contains(&tool) {
            decision(DecisionKind::Allow, "granted")
        } else {
            decision(DecisionKind::Block, &format!("`{tool}` is not granted"))
        }
    }
}

#[test]
fn a_granted_bridge_cannot_run_an_ungranted_tool() {
    let mut seen = Vec::new();
    let blocked = route(
        &mut gate(&mut seen),
        "tool_call",
        json!({"id": "exec", "args": {"command": "rm -r /v"}}),
    );
    assert_eq!(blocked.decision, DecisionKind::Block);
    assert_eq!(blocked.reason, "it would run `exec`: `exec` is not granted");
    let allowed = route(
        &mut gate(&mut seen),
        "tool_call",
        json!({"id": "openclaw:core:read", "args": {"path": "a"}}),
    );
    assert_eq!(allowed.decision, DecisionKind::Allow);
    let unread = route(
        &mut gate(&mut seen),
        "tool_call",
        json!({"args": {"path": "a"}}),
    );
    assert_eq!(unread.rule.as_deref(), Some("proxy.bridge-target-unread"));
    let direct = route(&mut gate(&mut seen), "exec", json!({}));
    assert_eq!(direct.decision, DecisionKind::Block);
    assert_eq!(
        seen,
        [
            "tool_call",
            "exec",
            "tool_call",
            "read",
            "tool_call",
            "exec"
        ]
    );
}
