//! `aethelgard proxy mcp` over Streamable HTTP between REAL MCP servers and the official client.
//!
//! What is real: `@modelcontextprotocol/server-everything` 2026.8.31 in its `streamableHttp`
//! mode (run with the Node 24 in `.e2e/`, its listen call pinned to 127.0.0.1 by a two-line
//! preload, since the server itself listens on every interface), a server written with the
//! official Python SDK `mcp` 2.3.0 (`MCPServer`, Streamable HTTP, speaking protocol 2026-07-28
//! stateless), the SDK's Streamable HTTP client (`ClientSession` over `streamable_http_client`,
//! and `Client` in 2026-07-28 mode with `subscriptions/listen`), our binary as the proxy
//! (`--listen http://127.0.0.1:PORT --upstream URL`), and the files the tools touch.
//!
//! The assertions are on what the SDK client received, on files on disk and on what the server
//! disclosed, and on the audit store.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::audit_log;
use crate::harness::{self, TempDir};

const LOOPBACK: &str = r#"
import net from "node:net";
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  if (typeof args[0] === "number" || typeof args[0] === "string") {
    return listen.call(this, { port: Number(args[0]), host: "127.0.0.1" }, ...args.slice(1).filter((a) => typeof a === "function"));
  }
  return listen.apply(this, args);
};
"#;

/// The legacy client (2025-11-25, `initialize`): lists, then calls in order.
const LEGACY_CLIENT: &str = r#"
import asyncio, json, sys
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client
async def main():
    url, calls = sys.argv[1], json.loads(sys.argv[2])
    out = {"calls": []}
    async with streamable_http_client(url) as (read, write):
        async with ClientSession(read, write) as session:
            init = await session.initialize()
            out["server"] = init.server_info.name
            out["version"] = init.protocol_version
            out["tools"] = [t.name for t in (await session.list_tools()).tools]
            for call in calls:
                r = await session.call_tool(call["name"], call["arguments"])
                text = "\n".join(c.text for c in r.content if c.type == "text")
                out["calls"].append({"name": call["name"], "isError": bool(r.is_error), "text": text})
    print(json.dumps(out), flush=True)
asyncio.run(main())
"#;

/// A server on the official Python SDK, 2026-07-28 capable: it reads and deletes files, and
/// `add_wipe_tool` adds a tool and publishes the change to `subscriptions/listen` streams.
const MODERN_SERVER: &str = r#"
import os, sys
from mcp.server.mcpserver import MCPServer, Context
server = MCPServer("modern-files")
@server.tool()
def read_note(path: str) -> str:
    """Read a file."""
    return open(path).read()
@server.tool()
def delete_file(path: str) -> str:
    """Delete a file."""
    os.remove(path)
    return "deleted"
@server.tool()
async def add_wipe_tool(ctx: Context) -> str:
    """Adds a tool and says the list changed."""
    @server.tool()
    def wipe_dir(path: str) -> str:
        """Delete every file in a directory."""
        for name in os.listdir(path):
            os.remove(os.path.join(path, name))
        return "wiped"
    await ctx.notify_tools_changed()
    return "added"
server.run("streamable-http", host="127.0.0.1", port=int(sys.argv[1]))
"#;

/// The 2026-07-28 client: no handshake (`mode="2026-07-28"`), lists, calls, listens for a
/// change, lists again.
const MODERN_CLIENT: &str = r#"
import asyncio, json, sys
import anyio
from mcp import Client
async def main():
    url, note, victim, folder = sys.argv[1:5]
    out = {}
    async with Client(url, mode="2026-07-28") as client:
        out["version"] = client.protocol_version
        out["tools"] = sorted(t.name for t in (await client.list_tools()).tools)
        r = await client.call_tool("read_note", {"path": note})
        out["read"] = [bool(r.is_error), r.content[0].text]
        r = await client.call_tool("delete_file", {"path": victim})
        out["delete"] = [bool(r.is_error), r.content[0].text]
        async with client.listen(tools_list_changed=True) as sub:
            r = await client.call_tool("add_wipe_tool", {})
            out["add"] = [bool(r.is_error), r.content[0].text]
            with anyio.fail_after(20):
                async for event in sub:
                    out["event"] = type(event).__name__
                    break
        out["tools_after"] = sorted(t.name for t in (await client.list_tools()).tools)
        r = await client.call_tool("wipe_dir", {"path": folder})
        out["wipe"] = [bool(r.is_error), r.content[0].text]
    print(json.dumps(out), flush=True)
asyncio.run(main())
"#;

struct Prereqs {
    python: PathBuf,
    node: PathBuf,
    everything: PathBuf,
}

fn prereqs(test: &str) -> Option<Prereqs> {
    let root = harness::repo_root().join(".e2e");
    let node = harness::node24_bin_dir(test)?.join("node");
    let python = harness::installed(test, "the MCP Python SDK", root.join("py/bin/python"))?;
    let everything = harness::installed(
        test,
        "@modelcontextprotocol/server-everything",
        root.join("node_modules/@modelcontextprotocol/server-everything/dist/index.js"),
    )?;
    Some(Prereqs {
        python,
        node,
        everything,
    })
}

/// A child killed when dropped.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn wait_for_port(port: u16, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "{what} did not listen on 127.0.0.1:{port}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// `aethelgard proxy mcp --listen http://127.0.0.1:0 <flags>`; returns it and its MCP URL.
fn start_proxy(flags: &[String]) -> (Running, String) {
    let mut child = Command::new(harness::aethelgard_bin())
        .args(["proxy", "mcp", "--listen", "http://127.0.0.1:0"])
        .args(flags)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the proxy");
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    let base = line
        .trim()
        .strip_prefix("aethelgard proxy: serving MCP on ")
        .unwrap_or_else(|| panic!("the proxy did not start: {line}"))
        .to_owned();
    std::thread::spawn(move || {
        for line in stderr.lines().map_while(Result::ok) {
            eprintln!("[proxy] {line}");
        }
    });
    (Running(child), format!("{base}mcp"))
}

fn run_python(p: &Prereqs, dir: &Path, script: &str, args: &[String]) -> Value {
    let path = dir.join("client.py");
    std::fs::write(&path, script).unwrap();
    let mut cmd = Command::new(&p.python);
    cmd.arg(&path).args(args).current_dir(dir);
    let run = harness::run_bounded(&mut cmd, harness::CHILD_TIMEOUT);
    assert!(
        !run.timed_out && run.status.is_some_and(|s| s.success()),
        "the MCP SDK client failed\n{}",
        run.describe()
    );
    run.last_json_object()
}

fn policy_granting(dir: &Path, tools: &[&str]) -> PathBuf {
    let out = Command::new(harness::aethelgard_bin())
        .args(["policy", "default"])
        .output()
        .unwrap();
    let default = String::from_utf8(out.stdout).unwrap();
    let line = r#"tools = ["web_fetch", "WebFetch"]"#;
    assert_eq!(
        default.matches(line).count(),
        1,
        "the default policy's summarise profile changed; update this test"
    );
    let names = tools
        .iter()
        .map(|t| format!("{t:?}"))
        .collect::<Vec<_>>()
        .join(", ");
    let path = dir.join("policy.toml");
    std::fs::write(
        &path,
        default.replacen(
            line,
            &format!(r#"tools = ["web_fetch", "WebFetch", {names}]"#),
            1,
        ),
    )
    .unwrap();
    path
}

fn s(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

/// server-everything over Streamable HTTP behind the proxy, the SDK's Streamable HTTP client in
/// front, protocol 2025-11-25 with `initialize` and a session: a summarising task sees only
/// `echo`; `get-env`, which would disclose the server's environment, is refused, and the secret
/// in that environment does not reach the client, while the same call straight to the server
/// discloses it.
#[test]
fn mcp_http_everything_server_behind_the_proxy_filters_and_refuses() {
    let test = "mcp_http_everything_server_behind_the_proxy_filters_and_refuses";
    let Some(p) = prereqs(test) else { return };
    let scratch = TempDir::new("mcp-http-everything");
    let dir = scratch.path();
    std::fs::write(dir.join("loopback.mjs"), LOOPBACK).unwrap();
    let port = free_port();
    let secret = "aethelgard-e2e-secret-6d1f";
    let _server = Running(
        Command::new(&p.node)
            .arg("--import")
            .arg(dir.join("loopback.mjs"))
            .arg(&p.everything)
            .arg("streamableHttp")
            .env("PORT", port.to_string())
            .env("AETHELGARD_E2E_SECRET", secret)
            .current_dir(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start server-everything"),
    );
    wait_for_port(port, "server-everything");
    let upstream = format!("http://127.0.0.1:{port}/mcp");
    let calls = r#"[{"name": "echo", "arguments": {"message": "through the proxy"}}, {"name": "get-env", "arguments": {}}]"#;

    let direct = run_python(
        &p,
        dir,
        LEGACY_CLIENT,
        &[upstream.clone(), calls.to_owned()],
    );
    assert!(direct["tools"].as_array().unwrap().len() > 5, "{direct}");
    assert!(
        direct["calls"][1]["text"]
            .as_str()
            .unwrap()
            .contains(secret),
        "get-env straight to the server: {direct}"
    );

    let db = dir.join("audit.db");
    let policy = policy_granting(dir, &["echo"]);
    let (_proxy, url) = start_proxy(&[
        "--task-type".into(),
        "summarise".into(),
        "--policy".into(),
        s(&policy),
        "--audit-db".into(),
        s(&db),
        "--upstream".into(),
        upstream,
    ]);
    let session = run_python(&p, dir, LEGACY_CLIENT, &[url, calls.to_owned()]);
    assert_eq!(
        session["server"], direct["server"],
        "the handshake did not reach the real server"
    );
    assert_eq!(session["version"], "2025-11-25");
    assert_eq!(session["tools"], serde_json::json!(["echo"]), "{session}");
    assert_eq!(session["calls"][0]["isError"], false, "{session}");
    assert_eq!(session["calls"][0]["text"], "Echo: through the proxy");
    let refused = &session["calls"][1];
    assert_eq!(refused["isError"], true, "{session}");
    let text = refused["text"].as_str().unwrap();
    assert!(
        text.starts_with("Blocked by Aethelgard:") && text.contains("manifest.not-granted"),
        "{text}"
    );
    assert!(!text.contains(secret));
    assert_eq!(
        audit_log::decisions(&db),
        [
            ("echo".to_owned(), "allow".to_owned()),
            ("get-env".to_owned(), "block".to_owned())
        ]
    );
}

/// Protocol 2026-07-28, stateless, both ends on the official Python SDK: no handshake, no
/// session. Through the proxy the client sees only the granted tools, reads a real file, cannot
/// delete the victim, learns of a new tool through `subscriptions/listen`, still does not see
/// it (`wipe_dir` is not granted), and its call to it is refused: the folder keeps its files.
#[test]
fn mcp_http_stateless_2026_07_28_python_sdk_both_ends() {
    let test = "mcp_http_stateless_2026_07_28_python_sdk_both_ends";
    let Some(p) = prereqs(test) else { return };
    let scratch = TempDir::new("mcp-http-modern");
    let dir = scratch.path();
    std::fs::write(dir.join("server.py"), MODERN_SERVER).unwrap();
    let port = free_port();
    let _server = Running(
        Command::new(&p.python)
            .arg(dir.join("server.py"))
            .arg(port.to_string())
            .current_dir(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the Python SDK server"),
    );
    wait_for_port(port, "the Python SDK server");
    let note = dir.join("note.txt");
    std::fs::write(&note, "the modern note\n").unwrap();
    let victim = dir.join("victim.txt");
    std::fs::write(&victim, "keep me").unwrap();
    let folder = dir.join("folder");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join("a.txt"), "a").unwrap();
    let db = dir.join("audit.db");
    let policy = policy_granting(dir, &["read_note", "add_wipe_tool"]);
    let (_proxy, url) = start_proxy(&[
        "--task-type".into(),
        "summarise".into(),
        "--policy".into(),
        s(&policy),
        "--audit-db".into(),
        s(&db),
        "--upstream".into(),
        format!("http://127.0.0.1:{port}/mcp"),
    ]);
    let out = run_python(
        &p,
        dir,
        MODERN_CLIENT,
        &[url, s(&note), s(&victim), s(&folder)],
    );
    assert_eq!(out["version"], "2026-07-28", "{out}");
    let tools: BTreeSet<&str> = out["tools"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(
        tools,
        BTreeSet::from(["add_wipe_tool", "read_note"]),
        "{out}"
    );
    assert_eq!(out["read"], serde_json::json!([false, "the modern note\n"]));
    assert_eq!(out["delete"][0], true, "{out}");
    assert!(
        out["delete"][1]
            .as_str()
            .unwrap()
            .starts_with("Blocked by Aethelgard:")
    );
    assert!(victim.exists(), "delete_file ran through the proxy");
    assert_eq!(out["event"], "ToolsListChanged", "{out}");
    assert_eq!(
        out["tools_after"], out["tools"],
        "the new tool was listed: {out}"
    );
    assert_eq!(out["wipe"][0], true, "{out}");
    assert!(
        folder.join("a.txt").exists(),
        "wipe_dir ran through the proxy"
    );
    assert_eq!(
        audit_log::decisions(&db),
        [
            ("read_note".to_owned(), "allow".to_owned()),
            ("delete_file".to_owned(), "block".to_owned()),
            ("add_wipe_tool".to_owned(), "allow".to_owned()),
            ("wipe_dir".to_owned(), "block".to_owned()),
        ]
    );
}
