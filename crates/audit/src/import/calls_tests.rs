use super::*;

#[test]
fn a_refusal_of_the_mcp_proxy_is_recognised_as_text_and_as_an_mcp_result() {
    let text = "Blocked by Aethelgard: reads a secrets file (rule fs.secrets)";
    let as_text = proxy_denial(text).unwrap();
    assert_eq!(as_text.rule, "aethelgard:proxy-mcp");
    assert_eq!(as_text.reason, "reads a secrets file (rule fs.secrets)");
    let result = serde_json::json!({"content": [{"type": "text", "text": text}], "isError": true});
    assert_eq!(proxy_denial(&result.to_string()), Some(as_text.clone()));
    let blocks = serde_json::json!([{"type": "text", "text": text}]);
    assert_eq!(proxy_denial(&blocks.to_string()), Some(as_text.clone()));
    let codex = format!("Wall time: 0.0808 seconds\nOutput:\n{text}");
    assert_eq!(proxy_denial(&codex), Some(as_text));
}

#[test]
fn output_that_only_mentions_the_refusal_is_not_a_denial() {
    assert_eq!(proxy_denial("docs: a refused call reads 'Blocked by Aethelgard: ...'"), None);
    assert_eq!(proxy_denial(r#"{"content": [{"type": "text", "text": "hello"}]}"#), None);
    assert_eq!(proxy_denial("{not json"), None);
}

#[test]
fn a_completed_call_refused_by_the_proxy_is_imported_as_blocked() {
    let mut calls = Calls::default();
    calls.push(Some("c1"), SessionCall { tool: "read_text_file".into(), ..SessionCall::default() });
    assert!(calls.complete("c1", "Blocked by Aethelgard: secrets".into(), None));
    let [call] = calls.into_vec().try_into().unwrap();
    assert_eq!(call.decision, Some(DecisionKind::Block));
    assert_eq!(call.rule.as_deref(), Some("aethelgard:proxy-mcp"));
}
