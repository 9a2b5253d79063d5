use super::*;

#[test]
fn events_split_across_chunks_keep_their_fields() {
    let mut parser = Parser::default();
    let mut events = parser.push(b"id: 7\r\nevent: mess").unwrap();
    assert!(events.is_empty());
    events.extend(
        parser
            .push(b"age\ndata: {\"a\":\ndata: 1}\n\n: ping\n\ndata:x\n\n")
            .unwrap(),
    );
    assert_eq!(
        events,
        vec![
            Event {
                id: Some("7".into()),
                event: Some("message".into()),
                retry: None,
                data: Some(b"{\"a\":\n1}".to_vec()),
            },
            Event {
                data: Some(b"x".to_vec()),
                ..Event::default()
            },
        ]
    );
    let again = Parser::default().push(&events[0].to_bytes()).unwrap();
    assert_eq!(again, vec![events[0].clone()]);
}

#[test]
fn a_priming_event_with_empty_data_survives_a_round_trip() {
    let events = Parser::default().push(b"id: abc\ndata:\n\n").unwrap();
    assert_eq!(events[0].data.as_deref(), Some(&b""[..]));
    assert_eq!(events[0].to_bytes(), b"id: abc\ndata: \n\n".to_vec());
}

#[test]
fn an_endless_event_is_refused_once_it_passes_the_limit() {
    let mut parser = Parser::default();
    let chunk = vec![b'x'; 1024 * 1024];
    parser.push(b"data: ").unwrap();
    let mut refused = false;
    for _ in 0..20 {
        if parser.push(&chunk) == Err(TooLong) {
            refused = true;
            break;
        }
    }
    assert!(refused);
}
