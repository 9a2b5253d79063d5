//! Every real PreToolUse payload in `tests/fixtures/` through the hook adapters: the exact text
//! each runtime would read on stdout.

use aethelgard_router::hook::{respond, Runtime};
use aethelgard_router::{Environment, Examples, Router};

fn fixture(path: &str) -> String {
    let full = format!("{}/../../tests/fixtures/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("cannot read {full}: {e}"))
}

fn router() -> Router {
    Router::builtin(Environment::new("/home/dev", "/"), Examples::Trust).unwrap()
}

fn answers(runtime: Runtime, text: &str) -> Vec<String> {
    let router = router();
    let inputs: Vec<&str> = if text.trim_start().starts_with('{') && runtime == Runtime::Claude {
        vec![text]
    } else {
        text.lines().filter(|l| !l.trim().is_empty()).collect()
    };
    inputs
        .into_iter()
        .map(|input| respond(runtime, input.as_bytes(), Ok(&router)).stdout.unwrap_or_else(|| "<no opinion>".to_owned()))
        .collect()
}

#[test]
fn codex_exec_command_payloads() {
    insta::assert_snapshot!(answers(Runtime::Codex, &fixture("codex/pretooluse_exec_command.jsonl")).join("\n"));
}

#[test]
fn codex_mcp_payloads() {
    insta::assert_snapshot!(answers(Runtime::Codex, &fixture("codex/pretooluse_mcp.jsonl")).join("\n"));
}

#[test]
fn codex_code_mode_payloads() {
    insta::assert_snapshot!(answers(Runtime::Codex, &fixture("codex/pretooluse_codemode.jsonl")).join("\n"));
}

#[test]
fn claude_bash_payload() {
    insta::assert_snapshot!(answers(Runtime::Claude, &fixture("claude/pretooluse_bash.json")).join("\n"));
}

#[test]
fn every_answer_is_valid_runtime_json_with_a_reason() {
    for (runtime, file) in [
        (Runtime::Codex, "codex/pretooluse_exec_command.jsonl"),
        (Runtime::Codex, "codex/pretooluse_mcp.jsonl"),
        (Runtime::Codex, "codex/pretooluse_codemode.jsonl"),
        (Runtime::Claude, "claude/pretooluse_bash.json"),
    ] {
        for answer in answers(runtime, &fixture(file)) {
            let value: serde_json::Value = serde_json::from_str(&answer).unwrap();
            let output = &value["hookSpecificOutput"];
            assert_eq!(output["hookEventName"], "PreToolUse");
            assert_eq!(output["permissionDecision"], "deny");
            assert!(!output["permissionDecisionReason"].as_str().unwrap().is_empty());
        }
    }
}

#[test]
fn benign_codex_call_gets_no_opinion_and_escalation_never_asks_codex() {
    let router = router();
    let benign = r#"{"session_id":"s","turn_id":"t","transcript_path":null,"cwd":"/home/dev/w","hook_event_name":"PreToolUse","model":"gpt-5.5","permission_mode":"default","tool_name":"Bash","tool_input":{"command":"cargo test"},"tool_use_id":"c"}"#;
    assert_eq!(respond(Runtime::Codex, benign.as_bytes(), Ok(&router)).stdout, None);
    let escalates = benign.replace("cargo test", "$cmd -rf ~");
    let codex = respond(Runtime::Codex, escalates.as_bytes(), Ok(&router)).stdout.unwrap();
    assert!(codex.contains("\"permissionDecision\":\"deny\""), "{codex}");
    let claude = respond(Runtime::Claude, escalates.as_bytes(), Ok(&router)).stdout.unwrap();
    assert!(claude.contains("\"permissionDecision\":\"ask\""), "{claude}");
}

#[test]
fn garbage_and_unloadable_policy_are_denied() {
    let router = router();
    for input in [&b""[..], b"null", b"{}", b"\xff\xfe", b"{\"tool_name\": 3}", b"[1,2]"] {
        let out = respond(Runtime::Codex, input, Ok(&router)).stdout.unwrap();
        assert!(out.contains("\"deny\""), "{out}");
    }
    let payload = fixture("claude/pretooluse_bash.json");
    let out = respond(Runtime::Claude, payload.as_bytes(), Err("cannot load the policy: boom")).stdout.unwrap();
    assert!(out.contains("\"deny\"") && out.contains("boom"), "{out}");
}

#[test]
fn other_events_get_no_opinion() {
    let post = r#"{"hook_event_name":"PostToolUse","tool_name":"Bash","tool_input":{"command":"rm -rf ~"}}"#;
    assert_eq!(respond(Runtime::Codex, post.as_bytes(), Ok(&router())).stdout, None);
}

/// OpenClaw's `before_tool_call` event (captured from OpenClaw 2026.9.6) routed as a tool call:
/// its `exec` tool is in the built-in OpenClaw catalog with the command at `/command`.
#[test]
fn openclaw_before_tool_call_event_is_judged() {
    let text = fixture("openclaw/before_tool_call_event_ctx.json");
    let value: serde_json::Value = serde_json::from_str(&text).unwrap();
    let event = &value["event"];
    let call = aethelgard_protocol::ToolCall::new(event["toolName"].as_str().unwrap(), event["params"].clone())
        .with_cwd("/home/dev/runs_oc/local_plugin_dir/state/workspace");
    let decision = router().route(&call);
    assert_eq!(decision.decision, aethelgard_protocol::DecisionKind::Block);
    assert_eq!(decision.rule.as_deref(), Some("rm-recursive-outside-workspace"));
}
