//! `aethelgard proxy mcp` over Streamable HTTP, driven as an MCP client drives it, against a
//! scripted Streamable HTTP server (a small Python program on 127.0.0.1) whose tools really read,
//! run and delete files. The assertions are on those effects, on what the client receives, and
//! on the audit store; the faults (an upstream that dies mid-call, a flood of malformed
//! JSON-RPC, oversize bodies) are ones a real server does not produce on demand.

use super::{audit_log, command, scratch};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The scripted server. `python3 server.py PORT [--sse] [stdio]`: prints `PORT n` once it
/// listens (port 0 picks one). It wants `Authorization: Bearer s3cret` and, after `initialize`,
/// the `Mcp-Session-Id` it gave; a 2026-07-28 request (its `_meta` names the version) needs no
/// session. `--sse` answers every request as an SSE stream; `stdio` speaks newline-delimited
/// JSON-RPC on stdin and stdout instead. `test/more_tools` adds `Grep` and `Bash` and announces
/// it on the GET streams and `subscriptions/listen` streams; `test/die` exits mid-call.
const SERVER: &str = r#"
import json, os, queue, subprocess, sys, threading
from http.server import ThreadingHTTPServer, BaseHTTPRequestHandler
tools = [
    {"name": "Read", "description": "read a file", "inputSchema": {"type": "object"}},
    {"name": "exec_command", "description": "run a shell command", "inputSchema": {"type": "object"}},
    {"name": "delete_file", "description": "delete a file", "inputSchema": {"type": "object"}},
]
SSE = "--sse" in sys.argv
streams = []
lock = threading.Lock()
def notify(message):
    with lock:
        for q in streams:
            q.put(message)
def answer(message):
    method, id = message.get("method"), message.get("id")
    params = message.get("params") or {}
    if method == "initialize":
        return {"protocolVersion": "2025-11-25", "capabilities": {"tools": {"listChanged": True}}, "serverInfo": {"name": "scripted-http", "version": "1"}}
    if method == "tools/list":
        return {"tools": tools}
    if method == "tools/call":
        name, args = params["name"], params.get("arguments", {})
        if name == "Read":
            text = open(args["path"]).read()
        elif name == "exec_command":
            text = subprocess.run(args["cmd"], shell=True, capture_output=True, text=True).stdout
        elif name == "delete_file":
            os.remove(args["path"])
            text = "deleted"
        else:
            text = "unknown tool"
        return {"content": [{"type": "text", "text": text}], "isError": False}
    if method == "test/more_tools":
        tools.append({"name": "Grep", "inputSchema": {"type": "object"}})
        tools.append({"name": "Bash", "inputSchema": {"type": "object"}})
        notify({"jsonrpc": "2.0", "method": "notifications/tools/list_changed"})
        return {}
    if method == "test/die":
        os._exit(3)
    return {"echo": params}
def modern(message):
    meta = (message.get("params") or {}).get("_meta") or {}
    return meta.get("io.modelcontextprotocol/protocolVersion", "") >= "2026-07-28"
if "stdio" in sys.argv:
    def out(message):
        sys.stdout.write(json.dumps(message) + "\n")
        sys.stdout.flush()
    streams.append(type("Q", (), {"put": staticmethod(out)}))
    for line in sys.stdin:
        message = json.loads(line)
        if "id" in message and "method" in message:
            out({"jsonrpc": "2.0", "id": message["id"], "result": answer(message)})
    sys.exit(0)
sessions = set()
class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *args):
        pass
    def reply(self, status, body=b"", headers=()):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def authorised(self):
        if self.headers.get("Authorization") != "Bearer s3cret":
            self.reply(401, b"no credentials")
            return False
        return True
    def stream(self, first, until=None):
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(b"id: prime-1\ndata:\n\n")
        for message in first:
            self.wfile.write(b"data: " + json.dumps(message).encode() + b"\n\n")
        self.wfile.flush()
        if until is None:
            return
        q = queue.Queue()
        with lock:
            streams.append(q)
        while True:
            message = q.get()
            self.wfile.write(b"data: " + json.dumps(until(message)).encode() + b"\n\n")
            self.wfile.flush()
            if message.get("method") == "notifications/tools/list_changed" and until is not None and until.__name__ == "stamp":
                return
    def do_POST(self):
        if not self.authorised():
            return
        message = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        method, id = message.get("method"), message.get("id")
        if method != "initialize" and not modern(message) and self.headers.get("Mcp-Session-Id") not in sessions:
            return self.reply(404, b"unknown session")
        if method is None or id is None:
            return self.reply(202)
        if method == "subscriptions/listen":
            def stamp(m):
                m = dict(m)
                m["params"] = {"_meta": {"io.modelcontextprotocol/subscriptionId": id}}
                return m
            ack = {"jsonrpc": "2.0", "method": "notifications/subscriptions/acknowledged", "params": {"_meta": {"io.modelcontextprotocol/subscriptionId": id}}}
            return self.stream([ack], until=stamp)
        result = {"jsonrpc": "2.0", "id": id, "result": answer(message)}
        if modern(message):
            result["result"]["resultType"] = "complete"
        headers = [("Content-Type", "application/json")]
        if method == "initialize":
            sessions.add("session-1")
            headers.append(("Mcp-Session-Id", "session-1"))
        if SSE and method != "initialize":
            return self.stream([result])
        self.reply(200, json.dumps(result).encode(), headers)
    def do_GET(self):
        if not self.authorised():
            return
        if self.headers.get("Mcp-Session-Id") not in sessions:
            return self.reply(404, b"unknown session")
        self.stream([], until=lambda m: m)
    def do_DELETE(self):
        if not self.authorised():
            return
        sessions.discard(self.headers.get("Mcp-Session-Id"))
        self.reply(200)
class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
server = Server(("127.0.0.1", int(sys.argv[1])), Handler)
print("PORT", server.server_address[1], flush=True)
server.serve_forever()
"#;

const SECRET: &str = "Authorization: Bearer s3cret";

/// A scripted upstream on 127.0.0.1.
struct Upstream {
    child: Child,
    port: u16,
}

impl Upstream {
    fn start(dir: &Path, port: u16, sse: bool) -> Self {
        std::fs::write(dir.join("server.py"), SERVER).unwrap();
        let mut cmd = Command::new("python3");
        cmd.arg("server.py").arg(port.to_string());
        if sse {
            cmd.arg("--sse");
        }
        let mut child = cmd.current_dir(dir).stdout(Stdio::piped()).spawn().unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line.trim().strip_prefix("PORT ").unwrap().parse().unwrap();
        Self { child, port }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}/mcp", self.port)
    }
}

impl Drop for Upstream {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `aethelgard proxy mcp --listen http://127.0.0.1:0 <flags>`, with its stderr kept.
struct Proxy {
    child: Child,
    addr: SocketAddr,
    stderr: Arc<Mutex<String>>,
}

impl Proxy {
    fn start(dir: &Path, flags: &[&str]) -> Self {
        let mut child = command()
            .args(["proxy", "mcp", "--listen", "http://127.0.0.1:0"])
            .args(flags)
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stderr = BufReader::new(child.stderr.take().unwrap());
        let mut line = String::new();
        stderr.read_line(&mut line).unwrap();
        let addr = line
            .trim()
            .strip_prefix("aethelgard proxy: serving MCP on http://")
            .unwrap_or_else(|| panic!("the proxy did not start: {line}"))
            .trim_end_matches('/')
            .parse()
            .unwrap();
        let kept = Arc::new(Mutex::new(String::new()));
        let sink = Arc::clone(&kept);
        std::thread::spawn(move || {
            let mut rest = String::new();
            let _ = stderr.read_to_string(&mut rest);
            sink.lock().unwrap().push_str(&rest);
        });
        Self {
            child,
            addr,
            stderr: kept,
        }
    }

    fn post(&self, headers: &[&str], body: &[u8]) -> Reply {
        request(self.addr, "POST", headers, body)
    }

    /// Initialises a session; returns its id.
    fn initialize(&self) -> String {
        let reply = self.post(
            &[],
            json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
                "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "test", "version": "1"}}})
            .to_string()
            .as_bytes(),
        );
        assert_eq!(reply.status, 200, "{reply:?}");
        assert_eq!(
            reply.messages()[0]["result"]["serverInfo"]["name"],
            "scripted-http"
        );
        let session = reply
            .header("mcp-session-id")
            .expect("a session id")
            .to_owned();
        let done = self.post(
            &[&format!("Mcp-Session-Id: {session}")],
            br#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
        );
        assert_eq!(done.status, 202, "{done:?}");
        session
    }

    fn ask(&self, session: &str, message: Value) -> Value {
        let reply = self.post(
            &[&format!("Mcp-Session-Id: {session}")],
            message.to_string().as_bytes(),
        );
        assert_eq!(reply.status, 200, "{reply:?}");
        let id = &message["id"];
        reply
            .messages()
            .into_iter()
            .find(|m| &m["id"] == id)
            .unwrap_or_else(|| panic!("no answer to {message} in {reply:?}"))
    }

    fn tools(&self, session: &str) -> Vec<String> {
        let answer = self.ask(
            session,
            json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}),
        );
        names(&answer)
    }

    fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap()
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn names(answer: &Value) -> Vec<String> {
    answer["result"]["tools"]
        .as_array()
        .unwrap_or_else(|| panic!("no tools in {answer}"))
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_owned())
        .collect()
}

fn call(id: u64, tool: &str, arguments: Value) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": {"name": tool, "arguments": arguments}})
}

fn text_of(answer: &Value) -> &str {
    answer["result"]["content"][0]["text"]
        .as_str()
        .unwrap_or_default()
}

#[derive(Debug)]
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The JSON-RPC messages of the body: the body itself, or each SSE event's data.
    fn messages(&self) -> Vec<Value> {
        if self
            .header("content-type")
            .is_some_and(|t| t.starts_with("text/event-stream"))
        {
            return self
                .body
                .split("\n\n")
                .filter_map(|event| {
                    let data: Vec<&str> = event
                        .lines()
                        .filter_map(|l| l.strip_prefix("data:").map(str::trim_start))
                        .collect();
                    let data = data.join("\n");
                    (!data.is_empty()).then(|| serde_json::from_str(&data).unwrap())
                })
                .collect();
        }
        vec![serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {self:?}"))]
    }
}

/// One HTTP/1.1 request on a fresh connection, read to its end (`Connection: close`).
fn request(addr: SocketAddr, method: &str, headers: &[&str], body: &[u8]) -> Reply {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut head = format!(
        "{method} /mcp HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nContent-Length: {}\r\n",
        body.len()
    );
    for header in headers {
        head.push_str(header);
        head.push_str("\r\n");
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    // A body the proxy refuses may be cut short: the answer still comes.
    let _ = stream.write_all(body);
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    parse_reply(&raw)
}

fn parse_reply(raw: &[u8]) -> Reply {
    let text = String::from_utf8_lossy(raw).into_owned();
    let (head, body) = text
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("no HTTP answer: {text:?}"));
    let mut lines = head.lines();
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let chunked = headers
        .iter()
        .any(|(n, v)| n.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    let body = if chunked {
        dechunk(body)
    } else {
        body.to_owned()
    };
    Reply {
        status,
        headers,
        body,
    }
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let size = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if size == 0 || rest.len() < size {
            break;
        }
        out.push_str(&rest[..size]);
        body = rest[size..].trim_start_matches("\r\n");
    }
    out
}

fn governed_flags<'a>(upstream: &'a str, db: &'a str) -> Vec<&'a str> {
    vec![
        "--task-type",
        "summarise",
        "--audit-db",
        db,
        "--upstream",
        upstream,
        "--header",
        SECRET,
    ]
}

/// HTTP on both sides, JSON answers and SSE answers alike: the summarising task sees only
/// `Read`, reads a real file, and its `delete_file` and `exec_command` never reach the server
/// (the victim file survives, the command's file is never made); the audit store holds each
/// decision. The session id and the credentials pass through (the server refuses requests
/// without them).
#[test]
fn proxy_http_filters_routes_and_audits_over_json_and_sse_answers() {
    for sse in [false, true] {
        let dir = scratch(
            "proxy_http",
            if sse { "governed_sse" } else { "governed_json" },
        );
        let upstream = Upstream::start(&dir, 0, sse);
        let db = dir.join("audit.db");
        let url = upstream.url();
        let db_text = db.to_string_lossy().into_owned();
        let proxy = Proxy::start(&dir, &governed_flags(&url, &db_text));
        let session = proxy.initialize();
        assert_eq!(proxy.tools(&session), ["Read"], "sse={sse}");

        let notes = dir.join("notes.txt");
        std::fs::write(&notes, "the real notes\n").unwrap();
        let read = proxy.ask(&session, call(2, "Read", json!({"path": notes})));
        assert_eq!(text_of(&read), "the real notes\n", "{read}");

        let victim = dir.join("victim.txt");
        std::fs::write(&victim, "keep me").unwrap();
        let blocked = proxy.ask(&session, call(3, "delete_file", json!({"path": victim})));
        assert_eq!(blocked["result"]["isError"], true, "{blocked}");
        assert!(
            text_of(&blocked).starts_with("Blocked by Aethelgard:"),
            "{blocked}"
        );
        assert!(
            victim.exists(),
            "delete_file ran through the proxy (sse={sse})"
        );
        let made = dir.join("made-by-exec.txt");
        let exec = proxy.ask(
            &session,
            call(
                4,
                "exec_command",
                json!({"cmd": format!("touch {}", made.display())}),
            ),
        );
        assert_eq!(exec["result"]["isError"], true, "{exec}");
        assert!(!made.exists(), "exec_command ran through the proxy");

        let decisions = audit_log::decisions(&db);
        assert_eq!(
            decisions,
            [
                ("Read".to_owned(), "allow".to_owned()),
                ("delete_file".to_owned(), "block".to_owned()),
                ("exec_command".to_owned(), "block".to_owned()),
            ],
            "sse={sse}"
        );

        // Straight to the server, the same delete deletes: the refusal was the proxy's.
        let direct = request(
            format!("127.0.0.1:{}", upstream.port).parse().unwrap(),
            "POST",
            &[SECRET, &format!("Mcp-Session-Id: {session}")],
            call(5, "delete_file", json!({"path": victim}))
                .to_string()
                .as_bytes(),
        );
        assert_eq!(direct.status, 200, "{direct:?}");
        assert!(!victim.exists());
        let end = request(
            proxy.addr,
            "DELETE",
            &[&format!("Mcp-Session-Id: {session}")],
            b"",
        );
        assert_eq!(end.status, 200, "{end:?}");
        let gone = proxy.post(
            &[&format!("Mcp-Session-Id: {session}")],
            call(6, "Read", json!({"path": notes}))
                .to_string()
                .as_bytes(),
        );
        assert_eq!(
            gone.status, 404,
            "DELETE did not end the session upstream: {gone:?}"
        );
    }
}

/// The server announces new tools on its GET stream: the proxy passes the notification on and
/// scopes the next list again (the new `Bash` is not granted, `Grep` is).
#[test]
fn proxy_http_get_stream_passes_list_changed_and_the_next_list_is_filtered_again() {
    let dir = scratch("proxy_http", "list_changed");
    let upstream = Upstream::start(&dir, 0, false);
    let db = dir.join("audit.db").to_string_lossy().into_owned();
    let url = upstream.url();
    let proxy = Proxy::start(&dir, &governed_flags(&url, &db));
    let session = proxy.initialize();
    assert_eq!(proxy.tools(&session), ["Read"]);
    let mut stream = TcpStream::connect(proxy.addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    write!(stream, "GET /mcp HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\nMcp-Session-Id: {session}\r\n\r\n").unwrap();
    std::thread::sleep(Duration::from_millis(300));
    proxy.ask(
        &session,
        json!({"jsonrpc": "2.0", "id": 9, "method": "test/more_tools"}),
    );
    let mut seen = String::new();
    let mut reader = BufReader::new(stream);
    let deadline = Instant::now() + Duration::from_secs(20);
    while !seen.contains("notifications/tools/list_changed") && Instant::now() < deadline {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            break;
        }
        seen.push_str(&line);
    }
    assert!(seen.contains("notifications/tools/list_changed"), "{seen}");
    let mut tools = proxy.tools(&session);
    tools.sort();
    assert_eq!(tools, ["Grep", "Read"]);
}

/// The stdio client in front of an HTTP server (`--upstream` without `--listen`), and the HTTP
/// client in front of a stdio server (`--listen` with a command): both filter and refuse.
#[test]
fn proxy_http_bridges_stdio_clients_to_http_servers_and_http_clients_to_stdio_servers() {
    let dir = scratch("proxy_http", "bridges");
    let upstream = Upstream::start(&dir, 0, true);
    let victim = dir.join("victim.txt");
    std::fs::write(&victim, "keep me").unwrap();
    let mut child = command()
        .args([
            "proxy",
            "mcp",
            "--task-type",
            "summarise",
            "--no-audit",
            "--upstream",
        ])
        .arg(upstream.url())
        .args(["--header", SECRET])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    let mut output = BufReader::new(child.stdout.take().unwrap());
    let mut ask = |message: Value| -> Value {
        writeln!(input, "{message}").unwrap();
        input.flush().unwrap();
        loop {
            let mut line = String::new();
            assert!(output.read_line(&mut line).unwrap() > 0, "the proxy closed");
            let answer: Value = serde_json::from_str(&line).unwrap();
            if answer["id"] == message["id"] {
                return answer;
            }
        }
    };
    let init = ask(
        json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}}),
    );
    assert_eq!(init["result"]["serverInfo"]["name"], "scripted-http");
    assert_eq!(
        names(&ask(
            json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
        )),
        ["Read"]
    );
    let blocked = ask(call(2, "delete_file", json!({"path": victim})));
    assert_eq!(blocked["result"]["isError"], true, "{blocked}");
    assert!(victim.exists());
    let parse = ask(json!({"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {}}));
    assert_eq!(parse["error"]["code"], -32602, "{parse}");
    let _ = child.kill();
    let _ = child.wait();

    std::fs::write(dir.join("server.py"), SERVER).unwrap();
    let proxy = Proxy::start(
        &dir,
        &[
            "--task-type",
            "summarise",
            "--no-audit",
            "--",
            "python3",
            "server.py",
            "0",
            "stdio",
        ],
    );
    let reply = proxy.post(
        &[],
        call(1, "delete_file", json!({"path": victim}))
            .to_string()
            .as_bytes(),
    );
    assert_eq!(reply.messages()[0]["result"]["isError"], true, "{reply:?}");
    assert!(victim.exists());
    let list = proxy.post(&[], br#"{"jsonrpc":"2.0","id":2,"method":"tools/list"}"#);
    assert_eq!(names(&list.messages()[0]), ["Read"]);
}

/// Protocol 2026-07-28, stateless: no `initialize` and no session; each request names its
/// version in `_meta`. `tools/list` is filtered, a refused call carries `resultType`, a header
/// that names another tool than the body is refused before it reaches the server, and a
/// `subscriptions/listen` stream's `list_changed` makes the next list be scoped again.
#[test]
fn proxy_http_stateless_2026_07_28_filters_routes_and_follows_subscriptions() {
    let dir = scratch("proxy_http", "stateless");
    let upstream = Upstream::start(&dir, 0, false);
    let db = dir.join("audit.db").to_string_lossy().into_owned();
    let url = upstream.url();
    let proxy = Proxy::start(&dir, &governed_flags(&url, &db));
    let meta = json!({"io.modelcontextprotocol/protocolVersion": "2026-07-28"});
    let modern = |id: u64, method: &str, mut params: Value| {
        params["_meta"] = meta.clone();
        json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params})
    };
    let headers = ["MCP-Protocol-Version: 2026-07-28"];
    let list = proxy.post(
        &headers,
        modern(1, "tools/list", json!({})).to_string().as_bytes(),
    );
    assert_eq!(names(&list.messages()[0]), ["Read"], "{list:?}");

    let victim = dir.join("victim.txt");
    std::fs::write(&victim, "keep me").unwrap();
    let blocked = proxy.post(
        &[
            "MCP-Protocol-Version: 2026-07-28",
            "Mcp-Method: tools/call",
            "Mcp-Name: delete_file",
        ],
        modern(
            2,
            "tools/call",
            json!({"name": "delete_file", "arguments": {"path": victim}}),
        )
        .to_string()
        .as_bytes(),
    );
    let blocked = &blocked.messages()[0];
    assert_eq!(blocked["result"]["isError"], true, "{blocked}");
    assert_eq!(blocked["result"]["resultType"], "complete", "{blocked}");
    let spoofed = proxy.post(
        &[
            "MCP-Protocol-Version: 2026-07-28",
            "Mcp-Method: tools/call",
            "Mcp-Name: Read",
        ],
        modern(
            3,
            "tools/call",
            json!({"name": "delete_file", "arguments": {"path": victim}}),
        )
        .to_string()
        .as_bytes(),
    );
    assert_eq!(spoofed.status, 400, "{spoofed:?}");
    assert_eq!(spoofed.messages()[0]["error"]["code"], -32020);
    assert!(victim.exists());

    // subscriptions/listen: the answer is an SSE stream; it ends after the first change here.
    let addr = proxy.addr;
    let listen_body = modern(
        4,
        "subscriptions/listen",
        json!({"notifications": {"toolsListChanged": true}}),
    )
    .to_string();
    let listener = std::thread::spawn(move || {
        request(
            addr,
            "POST",
            &["MCP-Protocol-Version: 2026-07-28"],
            listen_body.as_bytes(),
        )
    });
    std::thread::sleep(Duration::from_millis(500));
    proxy.post(
        &headers,
        modern(5, "test/more_tools", json!({}))
            .to_string()
            .as_bytes(),
    );
    let events = listener.join().unwrap().messages();
    assert_eq!(
        events[0]["method"], "notifications/subscriptions/acknowledged",
        "{events:?}"
    );
    assert!(
        events
            .iter()
            .any(|e| e["method"] == "notifications/tools/list_changed"),
        "{events:?}"
    );
    let list = proxy.post(
        &headers,
        modern(6, "tools/list", json!({})).to_string().as_bytes(),
    );
    let mut tools = names(&list.messages()[0]);
    tools.sort();
    assert_eq!(tools, ["Grep", "Read"]);
}

/// The server dies in the middle of a call: the client gets a JSON-RPC error for it, the proxy
/// stays up, and once a server listens again the next session is served.
#[test]
fn proxy_http_upstream_dying_mid_call_gives_an_error_and_the_proxy_serves_the_next_request() {
    let dir = scratch("proxy_http", "upstream_dies");
    let upstream = Upstream::start(&dir, 0, false);
    let port = upstream.port;
    let url = upstream.url();
    let proxy = Proxy::start(
        &dir,
        &["--no-audit", "--upstream", &url, "--header", SECRET],
    );
    let session = proxy.initialize();
    let died = proxy.ask(
        &session,
        json!({"jsonrpc": "2.0", "id": 7, "method": "test/die"}),
    );
    assert_eq!(died["error"]["code"], -32603, "{died}");
    drop(upstream);
    let refused = proxy.ask(
        &session,
        json!({"jsonrpc": "2.0", "id": 8, "method": "test/echo"}),
    );
    assert_eq!(refused["error"]["code"], -32603, "{refused}");

    let _again = Upstream::start(&dir, port, false);
    let session = proxy.initialize();
    let echo = proxy.ask(
        &session,
        json!({"jsonrpc": "2.0", "id": 9, "method": "test/echo", "params": {"x": 1}}),
    );
    assert_eq!(echo["result"]["echo"]["x"], 1, "{echo}");
}

/// A flood of malformed JSON-RPC: each POST gets a parse error or an invalid-request error, the
/// proxy's memory stays within a bound, and it still serves a real request afterwards. A body
/// over 16 MiB is refused with 413 without being held.
#[test]
fn proxy_http_malformed_flood_and_oversize_bodies_are_refused_with_bounded_memory() {
    let dir = scratch("proxy_http", "flood");
    let upstream = Upstream::start(&dir, 0, false);
    let url = upstream.url();
    let proxy = Proxy::start(
        &dir,
        &["--no-audit", "--upstream", &url, "--header", SECRET],
    );
    let session = proxy.initialize();
    let before = proxy.rss_kib();
    let garbage: [&[u8]; 4] = [
        b"{not json",
        b"[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\"}]",
        b"\xff\xfe",
        b"{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{}}",
    ];
    for round in 0..500 {
        let body = garbage[round % garbage.len()];
        let reply = proxy.post(&[&format!("Mcp-Session-Id: {session}")], body);
        let error = &reply.messages()[0]["error"];
        assert!(
            [-32700, -32600, -32602].contains(&error["code"].as_i64().unwrap_or(0)),
            "round {round}: {reply:?}"
        );
    }
    let big = vec![b' '; 17 * 1024 * 1024];
    for _ in 0..3 {
        let reply = proxy.post(&[&format!("Mcp-Session-Id: {session}")], &big);
        assert_eq!(reply.status, 413, "{:?}", reply.status);
    }
    let after = proxy.rss_kib();
    assert!(
        after < before + 64 * 1024,
        "the proxy grew from {before} KiB to {after} KiB"
    );
    let echo = proxy.ask(
        &session,
        json!({"jsonrpc": "2.0", "id": 3, "method": "test/echo", "params": {"ok": true}}),
    );
    assert_eq!(echo["result"]["echo"]["ok"], true);
    assert!(proxy.stderr.lock().unwrap().len() < 1024 * 1024);
}

/// `--listen` on an address other than loopback is refused unless asked for.
#[test]
fn proxy_http_refuses_a_non_loopback_listen_address() {
    let out = command()
        .args([
            "proxy",
            "mcp",
            "--no-audit",
            "--listen",
            "http://0.0.0.0:0",
            "--",
            "true",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("not a loopback address") && stderr.contains("--allow-non-loopback"),
        "{stderr}"
    );
}
