use super::*;
use aethelgard_protocol::Stage;

fn decision(kind: DecisionKind, rule: Option<&str>) -> Decision {
    Decision {
        decision: kind,
        stage: Stage::Rules,
        score: 1.0,
        rule: rule.map(str::to_owned),
        reason: "because".to_owned(),
        latency_us: 0,
    }
}

#[test]
fn the_three_apis_are_known_by_method_and_path() {
    assert_eq!(
        Api::of_request("POST", "/v1/chat/completions"),
        Some(Api::ChatCompletions)
    );
    assert_eq!(
        Api::of_request("POST", "/openai/v1/responses/"),
        Some(Api::Responses)
    );
    assert_eq!(Api::of_request("POST", "/v1/messages"), Some(Api::Messages));
    assert_eq!(Api::of_request("POST", "/v1/messages/count_tokens"), None);
    assert_eq!(Api::of_request("GET", "/v1/responses"), None);
    assert_eq!(Api::of_request("POST", "/v1/models"), None);
}

#[test]
fn refusals_name_the_tool_the_reason_and_the_rule() {
    assert_eq!(refusal("exec", &decision(DecisionKind::Allow, None)), None);
    assert_eq!(
        refusal("exec", &decision(DecisionKind::Block, Some("r1"))).unwrap(),
        "Aethelgard blocked the call to `exec`: because [rule r1]"
    );
    let escalated = refusal("exec", &decision(DecisionKind::Escalate, None)).unwrap();
    assert!(
        escalated.contains("a person's approval") && escalated.ends_with("because"),
        "{escalated}"
    );
}

#[test]
fn arguments_that_are_not_json_reach_the_router_as_text() {
    assert_eq!(parse_arguments(""), serde_json::json!({}));
    assert_eq!(parse_arguments("{\"a\":1}"), serde_json::json!({"a": 1}));
    assert_eq!(parse_arguments("{\"a\":"), serde_json::json!("{\"a\":"));
}

#[test]
fn error_bodies_follow_each_api() {
    assert_eq!(Api::Messages.error_body("k", "m")["error"]["message"], "m");
    assert_eq!(Api::Messages.error_body("k", "m")["type"], "error");
    assert_eq!(Api::Responses.error_body("k", "m")["error"]["code"], "k");
}
