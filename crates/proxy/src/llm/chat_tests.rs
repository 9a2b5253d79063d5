use super::*;
use crate::llm::sse::Event;
use crate::llm::test_support::block_when;
use aethelgard_protocol::Decision;

/// Blocks `exec`, allows the rest; records every call.
fn router(calls: &mut Vec<(String, Value)>) -> impl FnMut(&str, Value) -> Decision + '_ {
    move |tool, arguments| {
        calls.push((tool.to_owned(), arguments));
        block_when(tool == "exec")
    }
}

#[test]
fn requests_keep_only_granted_tools_and_drop_what_needs_removed_ones() {
    let mut body = json!({
        "tools": [{"type": "function", "function": {"name": "exec"}}],
        "tool_choice": {"type": "function", "function": {"name": "exec"}},
        "parallel_tool_calls": true,
        "messages": [],
    });
    let granted = filter_request(&mut body, &mut |available| {
        assert_eq!(available, ["exec"]);
        Some(vec!["read".to_owned()])
    });
    assert_eq!(granted, Some(vec!["read".to_owned()]));
    assert_eq!(body, json!({"messages": []}));

    let mut untouched = json!({"tools": [{"type": "function", "function": {"name": "exec"}}]});
    assert_eq!(filter_request(&mut untouched, &mut |_| None), None);
    assert_eq!(untouched["tools"][0]["function"]["name"], "exec");
}

#[test]
fn a_blocked_call_becomes_content_and_the_choice_stops() {
    let mut body = json!({"choices": [{"index": 0, "finish_reason": "tool_calls", "message": {"role": "assistant", "content": "Sure.",
        "tool_calls": [{"id": "1", "type": "function", "function": {"name": "exec", "arguments": "{\"command\":\"rm -r /x\"}"}}]}}]});
    let mut calls = Vec::new();
    assert_eq!(rewrite_answer(&mut body, &mut router(&mut calls)), 1);
    assert_eq!(calls, [("exec".to_owned(), json!({"command": "rm -r /x"}))]);
    let choice = &body["choices"][0];
    assert_eq!(choice["finish_reason"], "stop");
    assert!(choice["message"].get("tool_calls").is_none());
    assert_eq!(
        choice["message"]["content"],
        "Sure.\n\nAethelgard blocked the call to `exec`: no"
    );
}

fn data(chunk: &Value) -> Event {
    Event::parse(format!("data: {chunk}\n\n"))
}

fn feed(stream: &mut Stream, chunks: &[Value], calls: &mut Vec<(String, Value)>) -> Vec<Value> {
    let mut route = router(calls);
    let mut out: Vec<String> = chunks
        .iter()
        .flat_map(|chunk| stream.event(data(chunk), &mut route))
        .collect();
    out.extend(stream.event(Event::parse("data: [DONE]\n\n".into()), &mut route));
    assert_eq!(out.last().map(String::as_str), Some("data: [DONE]\n\n"));
    out.iter()
        .filter_map(|text| Event::parse(text.clone()).json())
        .collect()
}

#[test]
fn streamed_calls_are_held_until_the_choice_finishes_then_reindexed() {
    let chunk = |delta: Value, finish: Value| json!({"id": "c", "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]});
    let mut calls = Vec::new();
    let out = feed(
        &mut Stream::default(),
        &[
            chunk(json!({"content": "hi"}), Value::Null),
            chunk(
                json!({"tool_calls": [{"index": 0, "id": "a", "type": "function", "function": {"name": "exec", "arguments": "{\"command\":"}}]}),
                Value::Null,
            ),
            chunk(
                json!({"tool_calls": [{"index": 0, "function": {"arguments": "\"ls\"}"}}]}),
                Value::Null,
            ),
            chunk(
                json!({"tool_calls": [{"index": 1, "id": "b", "type": "function", "function": {"name": "read", "arguments": "{}"}}]}),
                Value::Null,
            ),
            chunk(json!({}), json!("tool_calls")),
        ],
        &mut calls,
    );
    assert_eq!(calls[0], ("exec".to_owned(), json!({"command": "ls"})));
    assert_eq!(out[0]["choices"][0]["delta"]["content"], "hi");
    let kept: Vec<&Value> = out
        .iter()
        .filter_map(|c| c["choices"][0]["delta"].get("tool_calls"))
        .collect();
    assert_eq!(kept.len(), 1);
    assert_eq!(
        kept[0],
        &json!([{"index": 0, "id": "b", "type": "function", "function": {"name": "read", "arguments": "{}"}}])
    );
    assert!(out.iter().any(|c| {
        c["choices"][0]["delta"]["content"]
            .as_str()
            .is_some_and(|t| t.contains("blocked the call to `exec`"))
    }));
    assert_eq!(
        out.last().unwrap()["choices"][0]["finish_reason"],
        "tool_calls"
    );
}

/// OpenClaw keeps a streamed refusal as the whole of the assistant's text when the model wrote
/// none: it must not start with a blank line; two refusals are set apart by one.
#[test]
fn a_streamed_refusal_with_no_text_before_it_is_the_content_itself() {
    let chunk = |delta: Value, finish: Value| json!({"id": "c", "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]});
    let call = |index: u64, id: &str| json!({"tool_calls": [{"index": index, "id": id, "type": "function", "function": {"name": "exec", "arguments": "{}"}}]});
    let mut calls = Vec::new();
    let out = feed(
        &mut Stream::default(),
        &[
            chunk(json!({"role": "assistant", "content": null}), Value::Null),
            chunk(call(0, "a"), Value::Null),
            chunk(call(1, "b"), Value::Null),
            chunk(json!({}), json!("tool_calls")),
        ],
        &mut calls,
    );
    let content: String = out
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["content"].as_str())
        .collect();
    let refusal = "Aethelgard blocked the call to `exec`: no";
    assert_eq!(content, format!("{refusal}\n\n{refusal}"));
    assert_eq!(out.last().unwrap()["choices"][0]["finish_reason"], "stop");
}

#[test]
fn a_stream_without_calls_passes_through_byte_for_byte() {
    let mut stream = Stream::default();
    let raw = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"x\"},\"finish_reason\":null}]}\n\n";
    let mut route = |_: &str, _: Value| -> Decision { unreachable!() };
    assert_eq!(
        stream.event(Event::parse(raw.to_owned()), &mut route),
        [raw]
    );
}
