use super::*;
use crate::llm::sse::Event;
use crate::llm::test_support::block_when;
use aethelgard_protocol::Decision;

fn block_bash(tool: &str, _: Value) -> Decision {
    block_when(tool == "Bash")
}

#[test]
fn requests_lose_tools_mcp_servers_and_tool_references_outside_the_manifest() {
    let mut body = json!({
        "tools": [{"name": "Bash"}, {"name": "Read"}, {"name": "WebFetch", "defer_loading": true}],
        "mcp_servers": [
            {"type": "url", "name": "gh", "tool_configuration": {"allowed_tools": ["get_issue", "delete_repo"]}},
            {"type": "url", "name": "all"}
        ],
        "tool_choice": {"type": "tool", "name": "Bash"},
        "messages": [{"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t", "content": [
            {"type": "tool_reference", "tool_name": "CronCreate"}, {"type": "tool_reference", "tool_name": "WebFetch"}]}]}],
    });
    let granted = ["Read", "WebFetch", "mcp__gh__get_issue"]
        .map(str::to_owned)
        .to_vec();
    filter_request(&mut body, &mut |available| {
        assert_eq!(
            available,
            [
                "Bash",
                "Read",
                "WebFetch",
                "mcp__gh__get_issue",
                "mcp__gh__delete_repo",
                "mcp__all",
                "CronCreate",
                "WebFetch"
            ]
        );
        Some(granted.clone())
    });
    assert_eq!(
        body["tools"],
        json!([{"name": "Read"}, {"name": "WebFetch", "defer_loading": true}])
    );
    assert_eq!(
        body["mcp_servers"],
        json!([{"type": "url", "name": "gh", "tool_configuration": {"allowed_tools": ["get_issue"]}}])
    );
    assert!(body.get("tool_choice").is_none());
    assert_eq!(
        body["messages"][0]["content"][0]["content"],
        json!([{"type": "tool_reference", "tool_name": "WebFetch"}])
    );
}

#[test]
fn a_blocked_tool_use_becomes_text_in_place() {
    let mut body = json!({"stop_reason": "tool_use", "content": [{"type": "text", "text": "ok"}, {"type": "tool_use", "id": "t", "name": "Bash", "input": {}}]});
    assert_eq!(rewrite_answer(&mut body, &mut block_bash), 1);
    assert_eq!(
        body["content"][1],
        json!({"type": "text", "text": "Aethelgard blocked the call to `Bash`: no"})
    );
    assert_eq!(body["stop_reason"], "end_turn");
}

#[test]
fn streamed_tool_use_is_held_until_its_block_stops() {
    let mut stream = Stream::default();
    let mut route = block_bash;
    let event = |name: &str, data: Value| Event::parse(sse::encode(Some(name), &data));
    let start = event(
        "content_block_start",
        json!({"type": "content_block_start", "index": 0, "content_block": {"type": "tool_use", "id": "t", "name": "Read", "input": {}}}),
    );
    assert!(stream.event(start.clone(), &mut route).is_empty());
    let delta = event(
        "content_block_delta",
        json!({"type": "content_block_delta", "index": 0, "delta": {"type": "input_json_delta", "partial_json": "{}"}}),
    );
    assert!(stream.event(delta.clone(), &mut route).is_empty());
    let stop = event(
        "content_block_stop",
        json!({"type": "content_block_stop", "index": 0}),
    );
    assert_eq!(
        stream.event(stop.clone(), &mut route),
        [start.raw, delta.raw, stop.raw]
    );
    let message_delta = event(
        "message_delta",
        json!({"type": "message_delta", "delta": {"stop_reason": "tool_use"}}),
    );
    assert_eq!(
        stream.event(message_delta.clone(), &mut route),
        [message_delta.raw]
    );
}
