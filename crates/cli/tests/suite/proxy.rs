//! `aethelgard proxy mcp` driven as an MCP client drives it, against a scripted MCP server (a
//! small Python program) whose tools really read, run and delete files: the assertions are on
//! those effects and on the messages the client receives, not on the proxy's own logs.

use super::{audit_log, scratch};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::Duration;

/// The scripted server: `Read` (granted for summarising), `exec_command` (runs a shell command;
/// not granted) and `delete_file` (deletes a file; not in any catalog, so not granted), listed
/// over two pages. `test/more_tools` adds `Grep` and `Bash` and announces the change;
/// `test/echo` answers with its params; `test/die` exits without answering.
const SERVER: &str = r#"
import json, os, subprocess, sys
tools = [
    {"name": "Read", "description": "read a file", "inputSchema": {"type": "object"}, "x-vendor": {"kept": True}},
    {"name": "exec_command", "description": "run a shell command", "inputSchema": {"type": "object"}},
    {"name": "delete_file", "description": "delete a file", "inputSchema": {"type": "object"}},
]
def send(message):
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()
for line in sys.stdin:
    message = json.loads(line)
    method, id = message.get("method"), message.get("id")
    if method == "initialize":
        send({"jsonrpc": "2.0", "id": id, "result": {"protocolVersion": "2025-11-25", "capabilities": {"tools": {"listChanged": True}}, "serverInfo": {"name": "scripted", "version": "1"}}})
    elif method == "tools/list":
        if (message.get("params") or {}).get("cursor") is None:
            send({"jsonrpc": "2.0", "id": id, "result": {"tools": tools[:2], "nextCursor": "page-2"}})
        else:
            send({"jsonrpc": "2.0", "id": id, "result": {"tools": tools[2:]}})
    elif method == "tools/call":
        name, args = message["params"]["name"], message["params"].get("arguments", {})
        if name == "Read":
            text = open(args["path"]).read()
        elif name == "exec_command":
            text = subprocess.run(args["cmd"], shell=True, capture_output=True, text=True).stdout
        elif name == "delete_file":
            os.remove(args["path"])
            text = "deleted"
        else:
            text = "unknown tool"
        send({"jsonrpc": "2.0", "id": id, "result": {"content": [{"type": "text", "text": text}], "isError": False}})
    elif method == "test/more_tools":
        tools.append({"name": "Grep", "inputSchema": {"type": "object"}})
        tools.append({"name": "Bash", "inputSchema": {"type": "object"}})
        send({"jsonrpc": "2.0", "method": "notifications/tools/list_changed"})
    elif method == "test/echo":
        send({"jsonrpc": "2.0", "id": id, "result": {"echo": message.get("params")}})
    elif method == "test/die":
        sys.exit(3)
"#;

/// A client session with the proxy.
struct Client {
    child: Child,
    input: Option<ChildStdin>,
    output: BufReader<ChildStdout>,
}

impl Client {
    /// Starts `aethelgard proxy mcp <flags> -- python3 server.py` in `dir`, with no daemon at
    /// the socket it looks for (so a daemon the user runs is not asked).
    fn start(dir: &Path, flags: &[&str]) -> Self {
        Self::start_with_socket(dir, flags, &dir.join("no-daemon.sock"))
    }

    /// [`Client::start`] with `$AETHELGARD_SOCKET` set to `socket`.
    fn start_with_socket(dir: &Path, flags: &[&str], socket: &Path) -> Self {
        std::fs::write(dir.join("server.py"), SERVER).unwrap();
        let mut child = super::command()
            .env("AETHELGARD_SOCKET", socket)
            .args(["proxy", "mcp"])
            .args(flags)
            .args(["--", "python3", "server.py"])
            .current_dir(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let input = child.stdin.take();
        let output = BufReader::new(child.stdout.take().unwrap());
        let mut client = Self {
            child,
            input,
            output,
        };
        let answer = client.ask(json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
            "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "test", "version": "1"}}}));
        assert_eq!(
            answer["result"]["serverInfo"]["name"], "scripted",
            "{answer}"
        );
        client.send_line(
            &json!({"jsonrpc": "2.0", "method": "notifications/initialized"}).to_string(),
        );
        client
    }

    fn send_line(&mut self, line: &str) {
        let input = self.input.as_mut().unwrap();
        input.write_all(line.as_bytes()).unwrap();
        input.write_all(b"\n").unwrap();
        input.flush().unwrap();
    }

    fn receive(&mut self) -> Value {
        let mut line = String::new();
        let read = self.output.read_line(&mut line).unwrap();
        assert!(read > 0, "the proxy closed its output");
        serde_json::from_str(&line).unwrap()
    }

    fn ask(&mut self, message: Value) -> Value {
        self.send_line(&message.to_string());
        self.receive()
    }

    fn call(&mut self, id: u64, tool: &str, arguments: Value) -> Value {
        self.ask(json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": {"name": tool, "arguments": arguments}}))
    }

    /// Every tool name the client is shown, following `nextCursor`.
    fn list_tools(&mut self, id: u64) -> Vec<String> {
        let mut names = Vec::new();
        let mut cursor: Option<String> = None;
        for page in 0..2 {
            let params = cursor
                .as_ref()
                .map_or_else(|| json!({}), |cursor| json!({"cursor": cursor}));
            let answer = self.ask(json!({"jsonrpc": "2.0", "id": id * 10 + page, "method": "tools/list", "params": params}));
            assert_eq!(answer["id"], id * 10 + page, "{answer}");
            names.extend(
                answer["result"]["tools"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|t| t["name"].as_str().unwrap().to_owned()),
            );
            cursor = answer["result"]["nextCursor"].as_str().map(str::to_owned);
            if cursor.is_none() {
                break;
            }
        }
        names
    }

    /// Closes the client side and waits for the proxy.
    fn finish(mut self) -> std::process::Output {
        self.input = None;
        self.child.wait_with_output().unwrap()
    }
}

fn text_of(answer: &Value) -> &str {
    answer["result"]["content"][0]["text"]
        .as_str()
        .unwrap_or_default()
}

#[test]
fn proxy_mcp_filters_the_tool_list_blocks_ungranted_calls_runs_benign_ones_and_audits_them() {
    let dir = scratch("proxy", "governed");
    std::fs::write(dir.join("notes.txt"), "meeting at noon\n").unwrap();
    std::fs::write(dir.join("victim.txt"), "keep me\n").unwrap();
    let db = dir.join("audit.db");
    let mut client = Client::start(
        &dir,
        &[
            "--task-type",
            "summarise",
            "--audit-db",
            db.to_str().unwrap(),
        ],
    );

    assert_eq!(
        client.list_tools(1),
        ["Read"],
        "only the granted tool is offered, across both pages"
    );

    let read = client.call(2, "Read", json!({"path": dir.join("notes.txt")}));
    assert_eq!(read["id"], 2);
    assert_eq!(
        text_of(&read),
        "meeting at noon\n",
        "the benign call ran on the server: {read}"
    );

    let delete = client.call(3, "delete_file", json!({"path": dir.join("victim.txt")}));
    assert_eq!(delete["id"], 3);
    assert_eq!(delete["result"]["isError"], true, "{delete}");
    assert!(
        text_of(&delete).starts_with("Blocked by Aethelgard: "),
        "{delete}"
    );
    assert!(
        text_of(&delete).contains("(rule manifest.not-granted)"),
        "{delete}"
    );
    assert!(
        delete["result"].get("resultType").is_none(),
        "no 2026-07-28 field for a 2025-11-25 client: {delete}"
    );

    let exec = client.call(
        4,
        "exec_command",
        json!({"cmd": format!("rm {}", dir.join("victim.txt").display())}),
    );
    assert_eq!(exec["result"]["isError"], true, "{exec}");
    assert!(
        text_of(&exec).contains("`exec_command` is not granted"),
        "{exec}"
    );

    // Other methods pass through unchanged, with their ids.
    let echo = client.ask(
        json!({"jsonrpc": "2.0", "id": "s-5", "method": "test/echo", "params": {"x": [1, 2]}}),
    );
    assert_eq!(
        echo,
        json!({"jsonrpc": "2.0", "id": "s-5", "result": {"echo": {"x": [1, 2]}}})
    );

    let output = client.finish();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("victim.txt")).unwrap(),
        "keep me\n",
        "the victim file survives"
    );
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("deciding in process (no daemon answers at"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );

    let events = audit_log::events(&db);
    let calls: Vec<(&str, &str)> = events
        .iter()
        .filter(|e| e["kind"] == "tool_call")
        .map(|e| (e["tool"].as_str().unwrap(), e["decision"].as_str().unwrap()))
        .collect();
    assert_eq!(
        calls,
        [
            ("Read", "allow"),
            ("delete_file", "block"),
            ("exec_command", "block")
        ]
    );
    let start = events
        .iter()
        .find(|e| e["kind"] == "session_start")
        .unwrap();
    assert_eq!(start["source"], "proxy-mcp");
    assert_eq!(start["task_type"], "summarise");
}

#[test]
fn proxy_mcp_without_a_task_lists_every_tool_but_still_routes_calls() {
    let dir = scratch("proxy", "untasked");
    std::fs::write(dir.join("victim.txt"), "keep me\n").unwrap();
    let mut client = Client::start(&dir, &["--no-audit"]);
    assert_eq!(
        client.list_tools(1),
        ["Read", "exec_command", "delete_file"]
    );
    let wipe = client.call(2, "exec_command", json!({"cmd": "rm -rf ~"}));
    assert_eq!(wipe["result"]["isError"], true, "{wipe}");
    assert!(
        text_of(&wipe).contains("(rule rm-recursive-outside-workspace)"),
        "{wipe}"
    );
    let touch = client.call(3, "exec_command", json!({"cmd": "touch created.txt"}));
    assert_eq!(touch["result"]["isError"], false, "{touch}");
    assert!(client.finish().status.success());
    assert!(dir.join("created.txt").is_file(), "the allowed command ran");
}

#[test]
fn proxy_mcp_answers_malformed_lines_with_parse_errors_and_carries_on() {
    let dir = scratch("proxy", "malformed");
    let mut client = Client::start(&dir, &["--task-type", "summarise", "--no-audit"]);
    for line in ["not json", "{\"jsonrpc\":\"2.0\",", "\u{1}\u{2}"] {
        client.send_line(line);
        let answer = client.receive();
        assert_eq!(answer["error"]["code"], -32700, "{answer}");
        assert_eq!(answer["id"], Value::Null);
    }
    client.send_line(r#"[{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"exec_command","arguments":{"cmd":"touch batch.txt"}}}]"#);
    assert_eq!(
        client.receive()["error"]["code"],
        -32600,
        "batches are refused"
    );
    let bad = client.ask(
        json!({"jsonrpc": "2.0", "id": 10, "method": "tools/call", "params": {"arguments": {}}}),
    );
    assert_eq!(bad["error"]["code"], -32602, "{bad}");
    // A flood of garbage: each line answered, then the session still works.
    for _ in 0..500 {
        client.send_line("{{{{");
    }
    for _ in 0..500 {
        assert_eq!(client.receive()["error"]["code"], -32700);
    }
    assert_eq!(client.list_tools(2), ["Read"]);
    assert!(client.finish().status.success());
    assert!(!dir.join("batch.txt").exists());
}

#[test]
fn proxy_mcp_filters_again_after_the_server_says_its_tools_changed() {
    let dir = scratch("proxy", "list-changed");
    let mut client = Client::start(&dir, &["--task-type", "summarise", "--no-audit"]);
    assert_eq!(client.list_tools(1), ["Read"]);
    client.send_line(&json!({"jsonrpc": "2.0", "method": "test/more_tools"}).to_string());
    assert_eq!(
        client.receive(),
        json!({"jsonrpc": "2.0", "method": "notifications/tools/list_changed"})
    );
    assert_eq!(
        client.list_tools(2),
        ["Read", "Grep"],
        "the new granted tool is shown, `Bash` is not"
    );
    let bash = client.call(3, "Bash", json!({"command": "touch x"}));
    assert_eq!(bash["result"]["isError"], true, "{bash}");
    assert!(client.finish().status.success());
}

#[test]
fn proxy_mcp_answers_pending_requests_and_exits_non_zero_when_the_server_dies() {
    let dir = scratch("proxy", "server-dies");
    let mut client = Client::start(&dir, &["--no-audit"]);
    let answer = client.ask(json!({"jsonrpc": "2.0", "id": 7, "method": "test/die"}));
    assert_eq!(answer["id"], 7, "{answer}");
    assert_eq!(answer["error"]["code"], -32603, "{answer}");
    let output = client.finish();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("the MCP server `python3 server.py` exited"),
        "{stderr}"
    );
}

/// Added latency per `tools/call`: the same calls direct to the scripted server and through the
/// proxy (`--task-type summarise`, with and without the audit store), p50 of 2,000 calls each.
/// `cargo test --release -p aethelgard-cli --test all proxy_mcp_latency -- --ignored --nocapture`
#[test]
#[ignore = "a measurement; run it by name with --ignored --nocapture"]
fn proxy_mcp_latency() {
    let dir = scratch("proxy", "latency");
    std::fs::write(dir.join("notes.txt"), "x\n").unwrap();
    std::fs::write(dir.join("server.py"), SERVER).unwrap();
    let db = dir.join("audit.db");
    let direct = || {
        let mut child = Command::new("python3")
            .arg("server.py")
            .current_dir(&dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let input = child.stdin.take();
        let output = BufReader::new(child.stdout.take().unwrap());
        Client {
            child,
            input,
            output,
        }
    };
    let path = dir.join("notes.txt");
    let measure = |client: &mut Client| {
        client.list_tools(1);
        let mut times = Vec::new();
        for i in 0..2_200u64 {
            let started = std::time::Instant::now();
            let answer = client.call(100 + i, "Read", json!({"path": path}));
            let elapsed = started.elapsed();
            assert_eq!(answer["result"]["isError"], false);
            if i >= 200 {
                times.push(elapsed.as_nanos() as f64 / 1000.0);
            }
        }
        times.sort_by(f64::total_cmp);
        (times[times.len() / 2], times[times.len() * 99 / 100])
    };
    let mut plain = direct();
    let (direct_p50, direct_p99) = measure(&mut plain);
    plain.finish();
    let mut proxied = Client::start(&dir, &["--task-type", "summarise", "--no-audit"]);
    let (proxy_p50, proxy_p99) = measure(&mut proxied);
    proxied.finish();
    let mut audited = Client::start(
        &dir,
        &[
            "--task-type",
            "summarise",
            "--audit-db",
            db.to_str().unwrap(),
        ],
    );
    let (audit_p50, audit_p99) = measure(&mut audited);
    audited.finish();
    println!("direct:          p50 {direct_p50:.1} us, p99 {direct_p99:.1} us");
    println!(
        "proxy, no audit: p50 {proxy_p50:.1} us, p99 {proxy_p99:.1} us (added p50 {:.1} us)",
        proxy_p50 - direct_p50
    );
    println!(
        "proxy, audited:  p50 {audit_p50:.1} us, p99 {audit_p99:.1} us (added p50 {:.1} us)",
        audit_p50 - direct_p50
    );
}

/// A rule only the daemon's policy has: reading `notes.txt` is refused (the built-in policy
/// allows it when summarising), so a decision shows whose policy made it.
const DAEMON_RULE: &str = r#"[[rules]]
id = "daemon-keeps-notes-closed"
decision = "block"
reason = "the daemon's policy keeps notes.txt closed"
score = 1.0
tool = ["Read"]
args = [{ pointer = "/path", regex = 'notes\.txt$' }]
match = [{ tool = "Read", args = { path = "/w/notes.txt" } }]
not_match = [{ tool = "Read", args = { path = "/w/other.txt" } }]

"#;

/// The default policy with [`DAEMON_RULE`] first among its rules, as a file in `dir`.
fn daemon_policy(dir: &Path) -> std::path::PathBuf {
    let text = String::from_utf8(super::aethelgard(&["policy", "default"]).stdout).unwrap();
    let at = text.find("[[rules]]").unwrap();
    let path = dir.join("daemon-policy.toml");
    std::fs::write(&path, format!("{}{DAEMON_RULE}{}", &text[..at], &text[at..])).unwrap();
    path
}

/// `(tool, decision, source)` of every tool call in `db`, and the session starts.
fn calls_and_starts(db: &Path) -> (Vec<(String, String, String)>, Vec<Value>) {
    audit_log::assert_verifies(db);
    let events = audit_log::events(db);
    let calls = events
        .iter()
        .filter(|e| e["kind"] == "tool_call")
        .map(|e| {
            (
                audit_log::text(e, "tool"),
                audit_log::text(e, "decision"),
                audit_log::text(e, "source"),
            )
        })
        .collect();
    let starts = events
        .into_iter()
        .filter(|e| e["kind"] == "session_start")
        .collect();
    (calls, starts)
}

fn triple(tool: &str, decision: &str, source: &str) -> (String, String, String) {
    (tool.to_owned(), decision.to_owned(), source.to_owned())
}

#[test]
fn proxy_mcp_asks_the_daemon_which_decides_with_its_policy_and_records_in_its_store() {
    let dir = scratch("proxy", "daemon");
    std::fs::write(dir.join("notes.txt"), "meeting at noon\n").unwrap();
    std::fs::write(dir.join("other.txt"), "other\n").unwrap();
    std::fs::write(dir.join("victim.txt"), "keep me\n").unwrap();
    let daemon = super::serve::Daemon::start(&dir, &daemon_policy(&dir));
    let proxy_db = dir.join("proxy.db");
    let mut client = Client::start_with_socket(
        &dir,
        &["--task-type", "summarise", "--audit-db", proxy_db.to_str().unwrap()],
        &daemon.socket,
    );

    assert_eq!(client.list_tools(1), ["Read"], "the daemon's manifest");
    let notes = client.call(2, "Read", json!({"path": dir.join("notes.txt")}));
    assert_eq!(notes["result"]["isError"], true, "{notes}");
    assert!(
        text_of(&notes).contains("(rule daemon-keeps-notes-closed)"),
        "the daemon's own rule decided: {notes}"
    );
    let other = client.call(3, "Read", json!({"path": dir.join("other.txt")}));
    assert_eq!(text_of(&other), "other\n", "{other}");
    let delete = client.call(4, "delete_file", json!({"path": dir.join("victim.txt")}));
    assert!(
        text_of(&delete).contains("(rule manifest.not-granted)"),
        "{delete}"
    );

    let output = client.finish();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "deciding through the daemon at {}",
            daemon.socket.display()
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains("warning: --audit-db applies in process only"),
        "the ignored flag is named: {stderr}"
    );
    assert_eq!(std::fs::read_to_string(dir.join("victim.txt")).unwrap(), "keep me\n");
    assert!(!proxy_db.exists(), "the proxy's own store was never opened");

    let (calls, starts) = calls_and_starts(&dir.join("daemon.db"));
    assert_eq!(
        calls,
        [
            triple("Read", "block", "serve:proxy-mcp"),
            triple("Read", "allow", "serve:proxy-mcp"),
            triple("delete_file", "block", "serve:proxy-mcp"),
        ]
    );
    assert_eq!(starts.len(), 1, "{starts:?}");
    let start = &starts[0];
    assert_eq!(start["source"], "serve:proxy-mcp", "{start}");
    assert_eq!(start["task_type"], "summarise", "{start}");
    assert_eq!(start["granted"], json!(["Read"]), "{start}");
    let session = start["session"].as_str().unwrap();
    assert!(session.starts_with("proxy-mcp-"), "{start}");
    for call in audit_log::tool_calls(&dir.join("daemon.db")) {
        assert_eq!(call["session"], session, "{call}");
    }
    let status = daemon.status();
    assert_eq!(status["calls"]["block"], 2, "{status}");
    assert_eq!(status["calls"]["allow"], 1, "{status}");
}

#[test]
fn proxy_mcp_with_daemon_require_refuses_to_start_without_one() {
    let dir = scratch("proxy", "daemon-require-none");
    std::fs::write(dir.join("server.py"), SERVER).unwrap();
    let output = super::command()
        .env("AETHELGARD_SOCKET", dir.join("nobody.sock"))
        .args(["proxy", "mcp", "--daemon", "require", "--no-audit", "--"])
        .args(["python3", "server.py"])
        .current_dir(&dir)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(
        stderr.contains("`--daemon require`: no daemon answers at")
            && stderr.contains("aethelgard serve"),
        "{stderr}"
    );
    assert!(output.stdout.is_empty());

    let off = super::command()
        .env("AETHELGARD_SOCKET", "off")
        .args(["proxy", "mcp", "--daemon", "require", "--no-audit", "--", "true"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!off.status.success());
    assert!(
        String::from_utf8_lossy(&off.stderr).contains("AETHELGARD_SOCKET=off"),
        "{}",
        String::from_utf8_lossy(&off.stderr)
    );
}

#[test]
fn proxy_mcp_decides_in_process_and_records_after_the_daemon_is_killed() {
    let dir = scratch("proxy", "daemon-killed");
    std::fs::write(dir.join("notes.txt"), "meeting at noon\n").unwrap();
    std::fs::write(dir.join("victim.txt"), "keep me\n").unwrap();
    let mut daemon = super::serve::Daemon::start(&dir, &daemon_policy(&dir));
    let proxy_db = dir.join("proxy.db");
    let retry = Duration::from_millis(400);
    let mut client = Client::start_with_socket(
        &dir,
        &[
            "--task-type",
            "summarise",
            "--audit-db",
            proxy_db.to_str().unwrap(),
            "--daemon-retry",
            "0.4",
        ],
        &daemon.socket,
    );
    assert_eq!(client.list_tools(1), ["Read"]);
    let first = client.call(2, "Read", json!({"path": dir.join("notes.txt")}));
    assert!(text_of(&first).contains("(rule daemon-keeps-notes-closed)"), "{first}");

    daemon.kill();
    // The built-in policy decides now: it allows the read the daemon refused, and still refuses
    // the tool outside the manifest.
    let second = client.call(3, "Read", json!({"path": dir.join("notes.txt")}));
    assert_eq!(text_of(&second), "meeting at noon\n", "{second}");
    let delete = client.call(4, "delete_file", json!({"path": dir.join("victim.txt")}));
    assert!(text_of(&delete).contains("(rule manifest.not-granted)"), "{delete}");

    // The daemon comes back on the same socket and store: once the retry is due, the proxy asks
    // it again, and its rule decides again.
    let daemon = super::serve::Daemon::start(&dir, &daemon_policy(&dir));
    std::thread::sleep(retry + Duration::from_millis(100));
    let third = client.call(5, "Read", json!({"path": dir.join("notes.txt")}));
    assert!(text_of(&third).contains("(rule daemon-keeps-notes-closed)"), "{third}");

    let output = client.finish();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("deciding in process, asking it again every 0.4 s"), "{stderr}");
    assert!(stderr.contains("answers again; deciding through it"), "{stderr}");
    assert_eq!(std::fs::read_to_string(dir.join("victim.txt")).unwrap(), "keep me\n");
    drop(daemon);

    // The daemon's store: both of its decisions, and the session started once.
    let (daemon_calls, daemon_starts) = calls_and_starts(&dir.join("daemon.db"));
    assert_eq!(
        daemon_calls,
        [
            triple("Read", "block", "serve:proxy-mcp"),
            triple("Read", "block", "serve:proxy-mcp"),
        ]
    );
    assert_eq!(daemon_starts.len(), 1, "{daemon_starts:?}");
    let (proxy_calls, starts) = calls_and_starts(&proxy_db);
    assert_eq!(
        proxy_calls,
        [
            triple("Read", "allow", "proxy-mcp"),
            triple("delete_file", "block", "proxy-mcp"),
        ]
    );
    assert_eq!(starts.len(), 1, "{starts:?}");
    assert_eq!(starts[0]["source"], "proxy-mcp");
    assert_eq!(starts[0]["granted"], json!(["Read"]));
}

#[test]
fn proxy_mcp_after_a_lost_daemon_refuses_what_it_cannot_record_or_what_require_forbids() {
    // `auto`, and the proxy's own store cannot be created: under fail-closed the call the
    // built-in policy allows is refused, not run unrecorded.
    let dir = scratch("proxy", "daemon-lost-unrecordable");
    std::fs::write(dir.join("notes.txt"), "meeting at noon\n").unwrap();
    std::fs::write(dir.join("not-a-folder"), "a file where the store's folder should be").unwrap();
    let store = dir.join("not-a-folder").join("audit.db");
    let mut daemon = super::serve::Daemon::start(&dir, &daemon_policy(&dir));
    let mut client = Client::start_with_socket(
        &dir,
        &["--task-type", "summarise", "--audit-db", store.to_str().unwrap()],
        &daemon.socket,
    );
    daemon.kill();
    let read = client.call(2, "Read", json!({"path": dir.join("notes.txt")}));
    assert_eq!(read["result"]["isError"], true, "{read}");
    assert!(text_of(&read).contains("(rule audit.unavailable)"), "{read}");
    assert!(client.finish().status.success());

    // `require`: a lost daemon refuses calls instead of deciding in process.
    let dir = scratch("proxy", "daemon-lost-require");
    std::fs::write(dir.join("notes.txt"), "meeting at noon\n").unwrap();
    let mut daemon = super::serve::Daemon::start(&dir, &daemon_policy(&dir));
    let proxy_db = dir.join("proxy.db");
    let mut client = Client::start_with_socket(
        &dir,
        &[
            "--daemon",
            "require",
            "--audit-db",
            proxy_db.to_str().unwrap(),
        ],
        &daemon.socket,
    );
    let touch = client.call(2, "exec_command", json!({"cmd": "touch before.txt"}));
    assert_eq!(touch["result"]["isError"], false, "{touch}");
    daemon.kill();
    let after = client.call(3, "exec_command", json!({"cmd": "touch after.txt"}));
    assert_eq!(after["result"]["isError"], true, "{after}");
    assert!(text_of(&after).contains("(rule daemon.unavailable)"), "{after}");
    assert!(text_of(&after).contains("--daemon require"), "{after}");
    let output = client.finish();
    assert!(output.status.success());
    assert!(dir.join("before.txt").is_file());
    assert!(!dir.join("after.txt").exists(), "the refused call did not run");
    assert!(!proxy_db.exists(), "require never decides in process");
}
