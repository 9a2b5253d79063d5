use super::*;
use crate::hooks::{PermissionDecision, PreToolUseInput, PreToolUseOutput};
use serde_json::json;

#[test]
fn tool_call_round_trips_and_defaults_args() {
    let call: ToolCall = serde_json::from_str(r#"{"tool":"send_email"}"#).unwrap();
    assert_eq!(call.args, json!({}));
    let full = json!({"tool":"send_email","args":{"to":"a@b.c"},"task":"mail Bob","task_type":"communicate",
        "session":"s1","cwd":"/repo","granted":["send_email"]});
    let parsed: ToolCall = serde_json::from_value(full.clone()).unwrap();
    assert_eq!(serde_json::to_value(&parsed).unwrap(), full);
}

#[test]
fn decision_serialises_to_the_route_contract() {
    let decision = Decision {
        decision: DecisionKind::Block,
        stage: Stage::Rules,
        score: 0.95,
        rule: Some("shell.rm-recursive-outside-workspace".into()),
        reason: "recursive delete outside the workspace".into(),
        latency_us: 3,
    };
    let value = serde_json::to_value(&decision).unwrap();
    assert_eq!(
        value,
        json!({"decision":"block","stage":1,"score":0.95,"rule":"shell.rm-recursive-outside-workspace",
               "reason":"recursive delete outside the workspace","latency_us":3})
    );
    let back: Decision = serde_json::from_value(value).unwrap();
    assert_eq!(back, decision);
    assert!(serde_json::from_value::<Decision>(json!({"decision":"allow","stage":3,"score":0.0,
        "rule":null,"reason":"","latency_us":0})).is_err());
}

#[test]
fn strictest_decision_wins() {
    use DecisionKind::*;
    assert_eq!(Allow.strictest(Escalate), Escalate);
    assert_eq!(Block.strictest(Escalate), Block);
    assert_eq!(Allow.strictest(Allow), Allow);
}

#[test]
fn session_record_round_trips() {
    let line = json!({"session":"s1","task":"summarise the README","task_type":"summarise",
        "tools":["read","exec"],"calls":[{"tool":"read","args":{"path":"README.md"},"decision":"allow"}],
        "success":true});
    let record: SessionRecord = serde_json::from_value(line.clone()).unwrap();
    assert_eq!(serde_json::to_value(&record).unwrap(), line);
    let minimal: SessionRecord = serde_json::from_str(r#"{"session":"s","task":"t","success":null}"#)
        .unwrap();
    assert!(minimal.calls.is_empty() && minimal.success.is_none());
}

#[test]
fn manifest_round_trips() {
    let m = Manifest { task_type: "summarise".into(), granted: vec!["read".into()], denied: vec!["exec".into()] };
    let v = serde_json::to_value(&m).unwrap();
    assert_eq!(v, json!({"task_type":"summarise","granted":["read"],"denied":["exec"]}));
}

#[test]
fn risk_tags_parse_and_classify() {
    assert_eq!("exec".parse::<RiskTag>(), Ok(RiskTag::Exec));
    assert!("shell".parse::<RiskTag>().is_err());
    let dangerous: Vec<_> = RiskTag::ALL.into_iter().filter(|t| t.is_dangerous()).collect();
    assert_eq!(dangerous.len(), 5);
}

#[test]
fn hook_input_accepts_codex_and_claude_payloads() {
    let codex = json!({"session_id":"s","turn_id":"t","transcript_path":null,"cwd":"/w","hook_event_name":"PreToolUse",
        "model":"gpt-5.5","permission_mode":"bypassPermissions","tool_name":"Bash",
        "tool_input":{"command":"git status"},"tool_use_id":"call_1"});
    let input: PreToolUseInput = serde_json::from_value(codex).unwrap();
    assert_eq!(input.tool_name, "Bash");
    let claude = json!({"session_id":"s","cwd":"/w","prompt_id":"p","effort":{"level":"medium"},
        "hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"ls"},"tool_use_id":"toolu_1"});
    assert!(serde_json::from_value::<PreToolUseInput>(claude).is_ok());
}

#[test]
fn hook_output_is_the_exact_runtime_json() {
    let out = PreToolUseOutput::deny("");
    assert_eq!(
        serde_json::to_value(&out).unwrap(),
        json!({"hookSpecificOutput":{"hookEventName":"PreToolUse","permissionDecision":"deny",
               "permissionDecisionReason":"blocked by aethelgard policy"}})
    );
    let ask = PreToolUseOutput::new(PermissionDecision::Ask, "needs a human");
    assert_eq!(
        serde_json::to_value(&ask).unwrap()["hookSpecificOutput"]["permissionDecision"],
        json!("ask")
    );
}
