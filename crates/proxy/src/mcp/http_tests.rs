use super::*;

#[test]
fn listen_takes_stdio_and_loopback_and_refuses_the_rest() {
    assert_eq!(parse_listen("stdio", false).unwrap(), None);
    let listen = parse_listen("http://127.0.0.1:8931/mcp", false)
        .unwrap()
        .unwrap();
    assert_eq!(listen.addr, "127.0.0.1:8931".parse().unwrap());
    let localhost = parse_listen("http://localhost:0", false).unwrap().unwrap();
    assert_eq!(localhost.addr, "127.0.0.1:0".parse().unwrap());
    assert_eq!(
        parse_listen("http://[::1]:9000", false)
            .unwrap()
            .unwrap()
            .addr,
        "[::1]:9000".parse().unwrap()
    );
    assert!(matches!(
        parse_listen("http://0.0.0.0:9000", false),
        Err(HttpError::NotLoopback(_))
    ));
    assert!(parse_listen("http://0.0.0.0:9000", true).unwrap().is_some());
    for bad in [
        "https://127.0.0.1:1",
        "http://example.com:80",
        "127.0.0.1:80",
        "http://127.0.0.1",
    ] {
        assert!(
            matches!(parse_listen(bad, false), Err(HttpError::BadListen(_))),
            "{bad}"
        );
    }
}

#[test]
fn upstream_headers_are_name_colon_value() {
    let upstream = parse_upstream(
        "http://127.0.0.1:3001/mcp",
        &["Authorization: Bearer abc".to_owned()],
    )
    .unwrap();
    assert_eq!(upstream.headers.get("authorization").unwrap(), "Bearer abc");
    assert!(matches!(
        parse_upstream("http://127.0.0.1:1/", &["no colon".to_owned()]),
        Err(HttpError::BadHeader(_))
    ));
    assert!(matches!(
        parse_upstream("ftp://127.0.0.1/", &[]),
        Err(HttpError::BadUpstream { .. })
    ));
}

#[test]
fn peek_reads_the_version_and_the_name_a_request_carries() {
    let peeked = peek(br#"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"Read","_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}}"#).unwrap();
    assert_eq!(peeked.id, Some(Value::from(3)));
    assert_eq!(peeked.method.as_deref(), Some("tools/call"));
    assert_eq!(peeked.name.as_deref(), Some("Read"));
    assert_eq!(peeked.version.as_deref(), Some("2026-07-28"));
    assert!(!peeked.response);
    assert!(
        peek(br#"{"jsonrpc":"2.0","id":3,"result":{}}"#)
            .unwrap()
            .response
    );
    assert!(peek(b"[1]").is_none());
}
