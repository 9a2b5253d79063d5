//! `aethelgard proxy llm` driven as a runtime drives it: a plain HTTP client in front, a scripted
//! model API behind (the e2e suite's recording server, on 127.0.0.1). The assertions are on the
//! requests the model API received and the answers the client got, and on the audit store.

use super::{aethelgard, audit_log, command, scratch};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::Duration;

#[allow(dead_code)]
#[path = "../e2e/model_server.rs"]
mod model_server;

use model_server::{ModelServer, Request, Response};

/// The proxy as a child process, killed on drop.
struct Proxy {
    child: Child,
    address: String,
    db: PathBuf,
    /// The line saying which way the gate decides (through a daemon or in process).
    mode: String,
}

impl Proxy {
    /// The proxy with no daemon at the socket it looks for (a daemon the user runs is not asked).
    fn start(upstream: &str, dir: &Path, extra: &[&str]) -> Self {
        Self::start_with_socket(upstream, dir, extra, &dir.join("no-daemon.sock"))
    }

    /// [`Proxy::start`] with `$AETHELGARD_SOCKET` set to `socket`.
    fn start_with_socket(upstream: &str, dir: &Path, extra: &[&str], socket: &Path) -> Self {
        let db = dir.join("audit.db");
        let mut child = command()
            .env("AETHELGARD_SOCKET", socket)
            .args([
                "proxy",
                "llm",
                "--upstream",
                upstream,
                "--listen",
                "127.0.0.1:0",
                "--audit-db",
            ])
            .arg(&db)
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stderr = BufReader::new(child.stderr.take().unwrap());
        let mut line = String::new();
        stderr.read_line(&mut line).unwrap();
        let address = line
            .split("listening on http://")
            .nth(1)
            .and_then(|rest| rest.split(',').next())
            .unwrap_or_else(|| panic!("the proxy did not say where it listens: {line:?}"))
            .to_owned();
        let mut mode = String::new();
        stderr.read_line(&mut mode).unwrap();
        // Keep draining stderr so the proxy never blocks on a full pipe.
        std::thread::spawn(move || {
            let mut rest = String::new();
            let _ = stderr.read_to_string(&mut rest);
            eprint!("{rest}");
        });
        Self {
            child,
            address,
            db,
            mode,
        }
    }

    /// The audit store's events, after the chain is verified.
    fn audit(&self) -> Vec<Value> {
        audit_log::assert_verifies(&self.db);
        audit_log::events(&self.db)
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One HTTP/1.1 exchange: `(status, headers, body)`; a chunked body is decoded.
fn http(
    address: &str,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, String, String) {
    let mut stream = TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut head = format!(
        "{method} {target} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    let _ = stream.write_all(body);
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    let raw = String::from_utf8_lossy(&raw).into_owned();
    let (head, rest) = raw
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("no HTTP answer: {raw:?}"));
    let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(rest)
    } else {
        rest.to_owned()
    };
    (status, head.to_owned(), body)
}

fn dechunk(mut rest: &str) -> String {
    let mut body = String::new();
    while let Some((size, after)) = rest.split_once("\r\n") {
        let size = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        body.push_str(&after[..size]);
        rest = &after[size + 2..];
    }
    body
}

fn post(proxy: &Proxy, path: &str, body: &Value) -> (u16, String) {
    let (status, _, body) = http(
        &proxy.address,
        "POST",
        path,
        &[("content-type", "application/json")],
        body.to_string().as_bytes(),
    );
    (status, body)
}

/// The JSON `data:` of each event of an SSE body (`[DONE]` left out).
fn events(body: &str) -> Vec<Value> {
    body.split("\n\n")
        .filter_map(|event| event.lines().find_map(|line| line.strip_prefix("data: ")))
        .filter(|data| *data != "[DONE]")
        .map(|data| serde_json::from_str(data).unwrap_or_else(|e| panic!("{e}: {data}")))
        .collect()
}

fn last_request(server: &ModelServer) -> Value {
    server
        .requests()
        .last()
        .and_then(Request::json)
        .expect("the model API received no JSON request")
}

fn names(tools: &Value, key: &dyn Fn(&Value) -> Option<String>) -> Vec<String> {
    tools
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(key)
        .collect()
}

/// A victim directory outside the workspace: the command that would delete it.
const DELETE: &str = "rm -r /home/someone/victim";

// ---------------------------------------------------------------------------------------------
// OpenAI Chat Completions (OpenClaw's shape)

fn chat_request(stream: bool) -> Value {
    json!({
        "model": "mock-model",
        "stream": stream,
        "messages": [
            {"role": "system", "content": "You are helpful.\n\nAvailable deferred-schema tools:\n- web_fetch: fetch a page\n- cron: schedule jobs\n\nUse tool_search."},
            {"role": "user", "content": "Summarise README.md"}
        ],
        "tools": [
            {"type": "function", "function": {"name": "read", "parameters": {"type": "object"}}},
            {"type": "function", "function": {"name": "exec", "parameters": {"type": "object"}}},
            {"type": "function", "function": {"name": "write", "parameters": {"type": "object"}}}
        ],
        "tool_choice": "auto"
    })
}

fn chat_call(id: &str, name: &str, arguments: &Value) -> Value {
    json!({"id": id, "type": "function", "function": {"name": name, "arguments": arguments.to_string()}})
}

#[test]
fn chat_completions_filters_tools_and_refuses_a_call_outside_the_manifest() {
    let server = ModelServer::start(|_| {
        Response::json(
            200,
            &json!({
                "id": "chatcmpl-1", "object": "chat.completion", "model": "mock-model",
                "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {"role": "assistant", "content": null, "tool_calls": [
                    chat_call("call_exec", "exec", &json!({"command": DELETE})),
                    chat_call("call_read", "read", &json!({"path": "README.md"})),
                ]}}]
            }),
        )
    });
    let dir = scratch("proxy_llm", "chat");
    let proxy = Proxy::start(&server.base_url(), &dir, &["--task-type", "summarise"]);
    let (status, body) = post(&proxy, "/v1/chat/completions", &chat_request(false));
    assert_eq!(status, 200, "{body}");

    let sent = last_request(&server);
    let offered = names(&sent["tools"], &|t| {
        t["function"]["name"].as_str().map(str::to_owned)
    });
    assert_eq!(offered, ["read"], "{sent}");
    let system = sent["messages"][0]["content"].as_str().unwrap();
    assert!(
        system.contains("- web_fetch: fetch a page") && !system.contains("cron"),
        "{system}"
    );
    assert!(system.ends_with("\n\nUse tool_search."), "{system}");

    let answer: Value = serde_json::from_str(&body).unwrap();
    let message = &answer["choices"][0]["message"];
    let calls = names(&message["tool_calls"], &|c| {
        c["function"]["name"].as_str().map(str::to_owned)
    });
    assert_eq!(calls, ["read"], "{answer}");
    assert_eq!(answer["choices"][0]["finish_reason"], "tool_calls");
    let content = message["content"].as_str().unwrap();
    assert!(
        content.starts_with("Aethelgard blocked the call to `exec`:"),
        "{content}"
    );

    let events = proxy.audit();
    let decided: Vec<(&str, &str, &str)> = events
        .iter()
        .filter(|e| e["kind"] == "tool_call")
        .map(|e| {
            (
                e["tool"].as_str().unwrap(),
                e["decision"].as_str().unwrap(),
                e["source"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        decided,
        [
            ("exec", "block", "proxy-llm"),
            ("read", "allow", "proxy-llm")
        ],
        "{events:?}"
    );
}

#[test]
fn chat_completions_stream_replaces_the_only_call_and_ends_the_turn() {
    let server = ModelServer::start(|_| {
        let arguments = json!({"command": DELETE}).to_string();
        let (first, second) = arguments.split_at(10);
        let chunk = |delta: Value, finish: Value| json!({"id": "c1", "object": "chat.completion.chunk", "model": "m", "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]});
        Response::sse_data(&[
            chunk(
                json!({"role": "assistant", "content": "Let me look."}),
                Value::Null,
            ),
            chunk(
                json!({"tool_calls": [{"index": 0, "id": "call_1", "type": "function", "function": {"name": "exec", "arguments": first}}]}),
                Value::Null,
            ),
            chunk(
                json!({"tool_calls": [{"index": 0, "function": {"arguments": second}}]}),
                Value::Null,
            ),
            chunk(json!({}), json!("tool_calls")),
        ])
    });
    let dir = scratch("proxy_llm", "chat_stream");
    let proxy = Proxy::start(&server.base_url(), &dir, &["--task-type", "summarise"]);
    let (status, body) = post(&proxy, "/v1/chat/completions", &chat_request(true));
    assert_eq!(status, 200, "{body}");
    assert!(body.trim_end().ends_with("data: [DONE]"), "{body}");
    let chunks = events(&body);
    let text: String = chunks
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["content"].as_str())
        .collect();
    assert!(
        text.starts_with("Let me look.") && text.contains("Aethelgard blocked the call to `exec`"),
        "{body}"
    );
    assert!(
        !body.contains("tool_calls\":[{"),
        "a call reached the client: {body}"
    );
    let finish: Vec<&Value> = chunks
        .iter()
        .map(|c| &c["choices"][0]["finish_reason"])
        .filter(|f| !f.is_null())
        .collect();
    assert_eq!(finish, [&json!("stop")], "{body}");
}

// ---------------------------------------------------------------------------------------------
// OpenAI Responses (Codex's shape)

#[test]
fn responses_stream_filters_deferred_tools_and_replaces_a_blocked_call_with_a_message() {
    let server = ModelServer::start(|_| {
        let call = json!({"type": "function_call", "id": "fc_1", "call_id": "call_1", "name": "exec_command",
                          "arguments": json!({"cmd": DELETE}).to_string(), "status": "completed"});
        let text = json!({"type": "message", "id": "msg_0", "role": "assistant", "status": "in_progress", "content": []});
        Response::sse(&[
            (
                "response.created",
                json!({"type": "response.created", "sequence_number": 0, "response": {"id": "resp_1"}}),
            ),
            (
                "response.output_item.added",
                json!({"type": "response.output_item.added", "sequence_number": 1, "output_index": 0, "item": text}),
            ),
            (
                "response.output_text.delta",
                json!({"type": "response.output_text.delta", "sequence_number": 2, "output_index": 0, "item_id": "msg_0", "content_index": 0, "delta": "Deleting."}),
            ),
            (
                "response.output_item.added",
                json!({"type": "response.output_item.added", "sequence_number": 3, "output_index": 1, "item": call}),
            ),
            (
                "response.function_call_arguments.delta",
                json!({"type": "response.function_call_arguments.delta", "sequence_number": 4, "output_index": 1, "item_id": "fc_1", "delta": "{}"}),
            ),
            (
                "response.output_item.done",
                json!({"type": "response.output_item.done", "sequence_number": 5, "output_index": 1, "item": call}),
            ),
            (
                "response.completed",
                json!({"type": "response.completed", "sequence_number": 6, "response": {"id": "resp_1", "output": [call]}}),
            ),
        ])
    });
    let dir = scratch("proxy_llm", "responses_stream");
    let proxy = Proxy::start(&server.base_url(), &dir, &["--task-type", "summarise"]);
    let request = json!({
        "model": "gpt-5.5", "stream": true,
        "input": [
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "summarise"}]},
            {"type": "tool_search_call", "call_id": "ts_1", "arguments": {"query": "agent"}},
            {"type": "tool_search_output", "call_id": "ts_1", "tools": [
                {"type": "function", "name": "spawn_agent"}, {"type": "function", "name": "view_image"}]}
        ],
        "tools": [
            {"type": "function", "name": "exec_command"}, {"type": "custom", "name": "apply_patch"},
            {"type": "function", "name": "view_image"}, {"type": "tool_search"}, {"type": "web_search"}
        ]
    });
    let (status, body) = post(&proxy, "/v1/responses", &request);
    assert_eq!(status, 200, "{body}");

    let sent = last_request(&server);
    let name = |t: &Value| t["name"].as_str().or(t["type"].as_str()).map(str::to_owned);
    assert_eq!(
        names(&sent["tools"], &name),
        ["view_image", "tool_search"],
        "{sent}"
    );
    assert_eq!(
        names(&sent["input"][2]["tools"], &name),
        ["view_image"],
        "{sent}"
    );

    let events = events(&body);
    let sequence: Vec<u64> = events
        .iter()
        .map(|e| e["sequence_number"].as_u64().unwrap())
        .collect();
    assert_eq!(
        sequence,
        (0..sequence.len() as u64).collect::<Vec<_>>(),
        "{body}"
    );
    assert!(
        !body.contains("\"function_call\""),
        "the call reached the client: {body}"
    );
    let done: Vec<&Value> = events
        .iter()
        .filter(|e| e["type"] == "response.output_item.done")
        .map(|e| &e["item"])
        .collect();
    assert_eq!(done.len(), 1, "{body}");
    assert_eq!(done[0]["type"], "message");
    let refusal = done[0]["content"][0]["text"].as_str().unwrap();
    assert!(
        refusal.starts_with("Aethelgard blocked the call to `exec_command`"),
        "{refusal}"
    );
    let completed = events
        .iter()
        .find(|e| e["type"] == "response.completed")
        .unwrap();
    assert_eq!(
        completed["response"]["output"][0]["content"][0]["text"],
        refusal
    );
    assert!(body.contains("Deleting."), "text must pass through: {body}");
}

// ---------------------------------------------------------------------------------------------
// Anthropic Messages (Claude Code's shape)

#[test]
fn messages_stream_replaces_a_blocked_tool_use_and_keeps_an_allowed_one() {
    let server = ModelServer::start(|_| {
        let start = |index: u64, id: &str, name: &str| json!({"type": "content_block_start", "index": index, "content_block": {"type": "tool_use", "id": id, "name": name, "input": {}}});
        let delta = |index: u64, json: &str| json!({"type": "content_block_delta", "index": index, "delta": {"type": "input_json_delta", "partial_json": json}});
        let stop = |index: u64| json!({"type": "content_block_stop", "index": index});
        let bash = json!({"command": DELETE}).to_string();
        Response::sse(&[
            (
                "message_start",
                json!({"type": "message_start", "message": {"id": "msg_1", "type": "message", "role": "assistant", "content": [], "stop_reason": null}}),
            ),
            (
                "content_block_start",
                json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
            ),
            (
                "content_block_delta",
                json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "On it."}}),
            ),
            ("content_block_stop", stop(0)),
            ("content_block_start", start(1, "toolu_bash", "Bash")),
            ("content_block_delta", delta(1, &bash[..8])),
            ("content_block_delta", delta(1, &bash[8..])),
            ("content_block_stop", stop(1)),
            ("content_block_start", start(2, "toolu_read", "Read")),
            (
                "content_block_delta",
                delta(2, r#"{"file_path": "README.md"}"#),
            ),
            ("content_block_stop", stop(2)),
            (
                "message_delta",
                json!({"type": "message_delta", "delta": {"stop_reason": "tool_use"}, "usage": {"output_tokens": 5}}),
            ),
            ("message_stop", json!({"type": "message_stop"})),
        ])
    });
    let dir = scratch("proxy_llm", "messages_stream");
    let proxy = Proxy::start(&server.base_url(), &dir, &["--task-type", "summarise"]);
    let request = json!({
        "model": "claude", "stream": true, "max_tokens": 100,
        "system": [{"type": "text", "text": "You are Claude Code."}],
        "messages": [{"role": "user", "content": [
            {"type": "text", "text": "<system-reminder>\nThe following deferred tools are now available via ToolSearch:\nWebFetch\nCronCreate\n\n</system-reminder>"},
            {"type": "text", "text": "Summarise README.md"}]}],
        "tools": [{"name": "Bash", "input_schema": {}}, {"name": "Read", "input_schema": {}}, {"name": "Write", "input_schema": {}}, {"name": "ToolSearch", "input_schema": {}}]
    });
    let (status, body) = post(&proxy, "/v1/messages?beta=true", &request);
    assert_eq!(status, 200, "{body}");

    let sent = last_request(&server);
    assert_eq!(
        server.requests().last().unwrap().target,
        "/v1/messages?beta=true"
    );
    assert_eq!(
        names(&sent["tools"], &|t| t["name"].as_str().map(str::to_owned)),
        ["Read", "ToolSearch"],
        "{sent}"
    );
    let reminder = sent["messages"][0]["content"][0]["text"].as_str().unwrap();
    assert!(
        reminder.contains("ToolSearch:\nWebFetch\n\n") && !reminder.contains("CronCreate"),
        "{reminder}"
    );

    let events = events(&body);
    let starts: Vec<(u64, &str)> = events
        .iter()
        .filter(|e| e["type"] == "content_block_start")
        .map(|e| {
            (
                e["index"].as_u64().unwrap(),
                e["content_block"]["type"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        starts,
        [(0, "text"), (1, "text"), (2, "tool_use")],
        "{body}"
    );
    let refusal = events
        .iter()
        .find(|e| e["type"] == "content_block_delta" && e["index"] == 1)
        .map(|e| e["delta"]["text"].as_str().unwrap())
        .unwrap();
    assert!(
        refusal.starts_with("Aethelgard blocked the call to `Bash`") && refusal.contains("rule"),
        "{refusal}"
    );
    let stop = events
        .iter()
        .find(|e| e["type"] == "message_delta")
        .unwrap();
    assert_eq!(
        stop["delta"]["stop_reason"], "tool_use",
        "Read is still called: {body}"
    );
}

#[test]
fn messages_answer_without_calls_left_ends_the_turn() {
    let server = ModelServer::start(|_| {
        Response::json(
            200,
            &json!({"id": "msg_1", "type": "message", "role": "assistant", "stop_reason": "tool_use",
            "content": [{"type": "tool_use", "id": "toolu_1", "name": "Bash", "input": {"command": DELETE}}]}),
        )
    });
    let dir = scratch("proxy_llm", "messages_answer");
    // No task: every tool stays, but the call is still routed (and blocked by the rules).
    let proxy = Proxy::start(&server.base_url(), &dir, &[]);
    let request = json!({"model": "claude", "max_tokens": 10, "messages": [{"role": "user", "content": "hi"}],
                         "tools": [{"name": "Bash", "input_schema": {}}]});
    let (status, body) = post(&proxy, "/v1/messages", &request);
    assert_eq!(status, 200, "{body}");
    assert_eq!(last_request(&server)["tools"][0]["name"], "Bash");
    let answer: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(answer["stop_reason"], "end_turn", "{answer}");
    assert_eq!(answer["content"][0]["type"], "text");
    let text = answer["content"][0]["text"].as_str().unwrap();
    assert!(text.contains("rm-recursive-outside-workspace"), "{text}");
}

// ---------------------------------------------------------------------------------------------
// Everything else passes through

#[test]
fn other_paths_headers_and_query_pass_through_unchanged() {
    let server =
        ModelServer::start(|request| Response::json(200, &json!({"seen": request.target})));
    let dir = scratch("proxy_llm", "passthrough");
    let proxy = Proxy::start(&server.base_url(), &dir, &["--task-type", "summarise"]);
    let (status, _, body) = http(
        &proxy.address,
        "GET",
        "/v1/models?limit=2",
        &[("authorization", "Bearer sk-test"), ("x-api-key", "key-1")],
        b"",
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap(),
        json!({"seen": "/v1/models?limit=2"})
    );
    let seen = server.requests();
    let request = seen.last().unwrap();
    assert_eq!(request.header("authorization"), Some("Bearer sk-test"));
    assert_eq!(request.header("x-api-key"), Some("key-1"));
    // A token count is not a model answer: forwarded as is.
    let count = json!({"model": "claude", "messages": [], "tools": [{"name": "Bash"}]});
    let (status, _) = post(&proxy, "/v1/messages/count_tokens", &count);
    assert_eq!(status, 200);
    assert_eq!(last_request(&server), count);
}

// ---------------------------------------------------------------------------------------------
// Faults

#[test]
fn upstream_down_500_or_garbage_gets_a_clear_error_and_the_proxy_stays_up() {
    let dir = scratch("proxy_llm", "faults");
    // A port nobody listens on: bind, read the port, close.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let down = Proxy::start(
        &format!("http://{closed}"),
        &dir.join("down").tap_create(),
        &[],
    );
    let (status, body) = post(
        &down,
        "/v1/messages",
        &json!({"model": "m", "messages": []}),
    );
    assert_eq!(status, 502, "{body}");
    let error: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(error["type"], "error", "Anthropic's error shape: {body}");
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("cannot reach the model API"),
        "{body}"
    );

    let server = ModelServer::start(|request| match request.path() {
        "/v1/chat/completions" => Response::json(500, &json!({"error": {"message": "overloaded"}})),
        "/v1/responses" => Response {
            status: 200,
            content_type: "application/json",
            body: b"<html>not json".to_vec(),
        },
        _ => Response::json(200, &json!({"ok": true})),
    });
    let proxy = Proxy::start(&server.base_url(), &dir.join("up").tap_create(), &[]);
    let (status, body) = post(
        &proxy,
        "/v1/chat/completions",
        &json!({"model": "m", "messages": []}),
    );
    assert_eq!(
        (status, body.as_str()),
        (500, r#"{"error":{"message":"overloaded"}}"#)
    );
    let (status, body) = post(&proxy, "/v1/responses", &json!({"model": "m", "input": []}));
    assert_eq!(status, 502, "{body}");
    assert!(body.contains("not JSON"), "{body}");

    // A malformed request body: refused before it is forwarded.
    let before = server.requests().len();
    let (status, _, body) = http(
        &proxy.address,
        "POST",
        "/v1/chat/completions",
        &[],
        b"{\"model\": ",
    );
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("not JSON"), "{body}");
    assert_eq!(
        server.requests().len(),
        before,
        "a malformed body was forwarded"
    );

    // An oversize body is bounded: refused, not buffered without end.
    let huge = vec![b' '; 33 * 1024 * 1024];
    let (status, _, _) = http(&proxy.address, "POST", "/v1/chat/completions", &[], &huge);
    assert_eq!(status, 413);

    // And the proxy still answers.
    let (status, body) = post(&proxy, "/v1/other", &json!({}));
    assert_eq!((status, body.as_str()), (200, r#"{"ok":true}"#));
}

#[test]
fn listening_beyond_loopback_is_refused() {
    let out = aethelgard(&[
        "proxy",
        "llm",
        "--upstream",
        "http://127.0.0.1:9",
        "--listen",
        "0.0.0.0:0",
        "--no-audit",
    ]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("loopback"), "{stderr}");
}

trait TapCreate {
    fn tap_create(self) -> Self;
}

impl TapCreate for PathBuf {
    fn tap_create(self) -> Self {
        std::fs::create_dir_all(&self).unwrap();
        self
    }
}

/// A rule only the daemon's policy has: reading `README.md` is refused (the built-in policy
/// allows it when summarising), so a decision shows whose policy made it.
const DAEMON_RULE: &str = r#"[[rules]]
id = "daemon-keeps-readme-closed"
decision = "block"
reason = "the daemon's policy keeps README.md closed"
score = 1.0
tool = ["read"]
args = [{ pointer = "/path", regex = 'README\.md$' }]
match = [{ tool = "read", args = { path = "README.md" } }]
not_match = [{ tool = "read", args = { path = "NOTES.md" } }]

"#;

#[test]
fn chat_completions_through_the_daemon_use_its_policy_and_its_store() {
    let server = ModelServer::start(|_| {
        Response::json(
            200,
            &json!({
                "id": "chatcmpl-1", "object": "chat.completion", "model": "mock-model",
                "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {"role": "assistant", "content": null, "tool_calls": [
                    chat_call("call_readme", "read", &json!({"path": "README.md"})),
                    chat_call("call_notes", "read", &json!({"path": "NOTES.md"})),
                ]}}]
            }),
        )
    });
    let dir = scratch("proxy_llm", "daemon");
    let text = String::from_utf8(aethelgard(&["policy", "default"]).stdout).unwrap();
    let at = text.find("[[rules]]").unwrap();
    let policy = dir.join("daemon-policy.toml");
    std::fs::write(&policy, format!("{}{DAEMON_RULE}{}", &text[..at], &text[at..])).unwrap();
    let daemon = super::serve::Daemon::start(&dir, &policy);
    let proxy = Proxy::start_with_socket(
        &server.base_url(),
        &dir,
        &["--task-type", "summarise"],
        &daemon.socket,
    );
    assert!(
        proxy.mode.contains(&format!(
            "deciding through the daemon at {}",
            daemon.socket.display()
        )),
        "{}",
        proxy.mode
    );
    let (status, body) = post(&proxy, "/v1/chat/completions", &chat_request(false));
    assert_eq!(status, 200, "{body}");
    let offered = names(&last_request(&server)["tools"], &|t| {
        t["function"]["name"].as_str().map(str::to_owned)
    });
    assert_eq!(offered, ["read"], "the daemon's manifest");

    let answer: Value = serde_json::from_str(&body).unwrap();
    let message = &answer["choices"][0]["message"];
    let kept: Vec<&str> = message["tool_calls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(kept, ["call_notes"], "{answer}");
    let content = message["content"].as_str().unwrap();
    assert!(
        content.contains("the daemon's policy keeps README.md closed"),
        "{content}"
    );

    assert!(!proxy.db.exists(), "the proxy's own store was never opened");
    let db = dir.join("daemon.db");
    audit_log::assert_verifies(&db);
    let events = audit_log::events(&db);
    let decided: Vec<(String, String, String)> = events
        .iter()
        .filter(|e| e["kind"] == "tool_call")
        .map(|e| {
            (
                audit_log::text(e, "decision"),
                e["args"]["path"].as_str().unwrap_or_default().to_owned(),
                audit_log::text(e, "source"),
            )
        })
        .collect();
    let expected = |decision: &str, path: &str| {
        (decision.to_owned(), path.to_owned(), "serve:proxy-llm".to_owned())
    };
    assert_eq!(
        decided,
        [expected("block", "README.md"), expected("allow", "NOTES.md")],
        "{events:?}"
    );
    let start = events
        .iter()
        .find(|e| e["kind"] == "session_start")
        .unwrap();
    assert_eq!(start["source"], "serve:proxy-llm", "{start}");
    // The manifest over every tool the request named, the deferred `web_fetch` among them.
    assert_eq!(start["granted"], json!(["read", "web_fetch"]), "{start}");
}
