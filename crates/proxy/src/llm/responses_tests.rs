use super::*;
use crate::llm::sse::Event;
use crate::llm::test_support::block_when;
use aethelgard_protocol::Decision;

fn block_exec(tool: &str, _: Value) -> Decision {
    block_when(tool.contains("exec") || tool == "mcp__gh__delete_repo")
}

#[test]
fn namespaces_and_hosted_mcp_tools_are_filtered_by_their_full_names() {
    let mut body = json!({"tools": [
        {"type": "namespace", "name": "mcp__gh__", "tools": [{"type": "function", "name": "get_issue"}, {"type": "function", "name": "delete_repo"}]},
        {"type": "namespace", "name": "mcp__fs", "tools": [{"type": "function", "name": "write"}]},
        {"type": "mcp", "server_label": "docs"},
        {"type": "web_search"}
    ], "tool_choice": {"type": "function", "name": "mcp__fs__write"}});
    filter_request(&mut body, &mut |available| {
        assert_eq!(
            available,
            [
                "mcp__gh__get_issue",
                "mcp__gh__delete_repo",
                "mcp__fs__write",
                "mcp__docs",
                "web_search"
            ]
        );
        Some(vec![
            "mcp__gh__get_issue".to_owned(),
            "web_search".to_owned(),
        ])
    });
    assert_eq!(
        body["tools"],
        json!([
            {"type": "namespace", "name": "mcp__gh__", "tools": [{"type": "function", "name": "get_issue"}]},
            {"type": "web_search"}
        ])
    );
    assert!(body.get("tool_choice").is_none());
}

#[test]
fn blocked_calls_of_every_kind_become_messages_at_their_place() {
    let mut body = json!({"output": [
        {"type": "function_call", "call_id": "a", "name": "exec_command", "arguments": "{\"cmd\":\"ls\"}"},
        {"type": "function_call", "call_id": "b", "namespace": "mcp__gh__", "name": "delete_repo", "arguments": "{}"},
        {"type": "custom_tool_call", "call_id": "c", "name": "apply_patch", "input": "*** Begin Patch"},
        {"type": "local_shell_call", "call_id": "d", "action": {"type": "exec", "command": ["rm", "-r", "/x"]}}
    ]});
    assert_eq!(rewrite_answer(&mut body, &mut block_exec), 2);
    let kinds: Vec<&str> = body["output"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["message", "message", "custom_tool_call", "local_shell_call"]
    );
    assert_eq!(
        body["output"][1]["content"][0]["text"],
        "Aethelgard blocked the call to `mcp__gh__delete_repo`: no"
    );
}

#[test]
fn a_streamed_call_is_decided_once_and_the_completed_response_agrees() {
    let mut stream = Stream::default();
    let mut routed = Vec::new();
    let mut route = |tool: &str, args: Value| {
        routed.push(tool.to_owned());
        block_exec(tool, args)
    };
    let call = json!({"type": "function_call", "id": "fc", "call_id": "a", "name": "exec_command", "arguments": "{}"});
    let event = |data: Value| Event::parse(sse::encode(data["type"].as_str(), &data));
    let mut out = Vec::new();
    for data in [
        json!({"type": "response.output_item.added", "output_index": 0, "item": call}),
        json!({"type": "response.function_call_arguments.delta", "output_index": 0, "delta": "{}"}),
        json!({"type": "response.output_item.done", "output_index": 0, "item": call}),
        json!({"type": "response.completed", "response": {"output": [call]}}),
    ] {
        out.extend(stream.event(event(data), &mut route));
    }
    assert_eq!(routed, ["exec_command"]);
    let events: Vec<Value> = out
        .into_iter()
        .filter_map(|text| Event::parse(text).json())
        .collect();
    assert!(
        events
            .iter()
            .all(|e| e["type"] != "response.function_call_arguments.delta")
    );
    let done = events
        .iter()
        .find(|e| e["type"] == "response.output_item.done")
        .unwrap();
    assert_eq!(done["item"]["type"], "message");
    let completed = events.last().unwrap();
    assert_eq!(completed["response"]["output"][0], done["item"]);
}
