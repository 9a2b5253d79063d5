use super::*;

#[test]
fn events_split_across_chunks_come_out_whole_with_their_raw_text() {
    let mut parser = Parser::default();
    assert!(
        parser
            .push(b"event: message_start\ndata: {\"a\":")
            .unwrap()
            .is_empty()
    );
    let events = parser
        .push(b"1}\n\ndata: [DONE]\r\n\r\n: keep-alive\n\n")
        .unwrap();
    assert_eq!(events.len(), 3);
    assert_eq!(events[0].name.as_deref(), Some("message_start"));
    assert_eq!(events[0].data, "{\"a\":1}");
    assert_eq!(events[0].raw, "event: message_start\ndata: {\"a\":1}\n\n");
    assert_eq!(events[1].data, "[DONE]");
    assert_eq!(events[1].raw, "data: [DONE]\r\n\r\n");
    assert_eq!(events[2].data, "");
    assert_eq!(parser.finish().unwrap(), None);
}

#[test]
fn multi_line_data_is_joined_and_an_unterminated_last_event_is_kept() {
    let mut parser = Parser::default();
    let events = parser
        .push(b"data: one\ndata: two\n\ndata: {\"end\":true}")
        .unwrap();
    assert_eq!(events[0].data, "one\ntwo");
    let last = parser.finish().unwrap().unwrap();
    assert_eq!(last.json(), Some(serde_json::json!({"end": true})));
}

#[test]
fn an_event_that_never_ends_is_bounded() {
    let mut parser = Parser::default();
    let chunk = vec![b'x'; 1024 * 1024];
    let mut result = Ok(Vec::new());
    for _ in 0..=MAX_EVENT / chunk.len() {
        result = parser.push(&chunk);
        if result.is_err() {
            break;
        }
    }
    assert_eq!(result, Err(SseError::TooLong));
}

#[test]
fn encode_writes_a_named_event() {
    let text = encode(Some("ping"), &serde_json::json!({"type": "ping"}));
    assert_eq!(text, "event: ping\ndata: {\"type\":\"ping\"}\n\n");
    assert_eq!(Event::parse(text).name.as_deref(), Some("ping"));
}
