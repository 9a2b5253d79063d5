//! `aethelgard proxy mcp` between REAL MCP servers and an independent client.
//!
//! What is real: the servers `@modelcontextprotocol/server-filesystem` and
//! `@modelcontextprotocol/server-everything` (installed by `scripts/install-e2e.sh` into
//! `<repo>/.e2e/node_modules`, run with the Node 24 it installs there), the official MCP Python
//! SDK as the client (`mcp` from PyPI in `<repo>/.e2e/py`: `stdio_client` and `ClientSession`,
//! which do the handshake, paging and result parsing), our binary as the proxy, and the files
//! the filesystem server reads and writes. Nothing is bound to the network: stdio only.
//!
//! The assertions are on what the SDK client received, on the files on disk, and on the audit
//! store (`aethelgard audit log --json`).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};

use crate::audit_log;
use crate::harness::{self, TempDir};

/// The client: starts the command in `spec` over stdio with the SDK, initialises, lists every
/// tool (following `nextCursor`), makes the calls in order and prints one JSON object.
const CLIENT: &str = r#"
import asyncio, json, sys
from mcp import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.shared.exceptions import MCPError
import mcp.types as types

async def main():
    spec = json.loads(sys.argv[1])
    server = StdioServerParameters(command=spec["command"], args=spec["args"])
    out = {"tools": [], "calls": []}
    async with stdio_client(server) as (read, write):
        async with ClientSession(read, write) as session:
            init = await session.initialize()
            out["server"] = init.model_dump(by_alias=True, mode="json", exclude_none=True).get("serverInfo")
            cursor = None
            while True:
                page = await session.list_tools(params=types.PaginatedRequestParams(cursor=cursor) if cursor else None)
                out["tools"] += [tool.name for tool in page.tools]
                cursor = page.next_cursor
                if not cursor:
                    break
            for call in spec["calls"]:
                try:
                    result = await session.call_tool(call["name"], call["arguments"])
                except MCPError as error:
                    out["calls"].append({"name": call["name"], "rpcError": str(error)})
                    continue
                dumped = result.model_dump(by_alias=True, mode="json", exclude_none=True)
                text = "\n".join(c.get("text", "") for c in dumped.get("content", []) if c.get("type") == "text")
                out["calls"].append({"name": call["name"], "isError": bool(dumped.get("isError")), "text": text})
    print(json.dumps(out), flush=True)

asyncio.run(main())
"#;

/// The filesystem server's tools that only read: what a summarising task may have.
const FS_READ_TOOLS: [&str; 10] = [
    "read_file",
    "read_text_file",
    "read_media_file",
    "read_multiple_files",
    "list_directory",
    "list_directory_with_sizes",
    "directory_tree",
    "search_files",
    "get_file_info",
    "list_allowed_directories",
];

/// The filesystem server's tools that change files: never granted to `summarise`.
const FS_WRITE_TOOLS: [&str; 4] = ["write_file", "edit_file", "move_file", "create_directory"];

const NOTES: &str = "Aethelgard e2e notes: the real contents, line one.\nLine two.\n";

/// Everything these tests need from `.e2e/`.
struct Prereqs {
    python: PathBuf,
    node: PathBuf,
    servers: PathBuf,
}

fn prereqs(test: &str) -> Option<Prereqs> {
    let root = harness::repo_root().join(".e2e");
    let node = harness::node24_bin_dir(test)?.join("node");
    let python = harness::installed(test, "the MCP Python SDK", root.join("py/bin/python"))?;
    let servers = root.join("node_modules/@modelcontextprotocol");
    for server in ["server-filesystem", "server-everything"] {
        let what = format!("the MCP server @modelcontextprotocol/{server}");
        harness::installed(test, &what, servers.join(server).join("dist/index.js"))?;
    }
    Some(Prereqs {
        python,
        node,
        servers,
    })
}

impl Prereqs {
    fn entry(&self, server: &str) -> String {
        self.servers
            .join(server)
            .join("dist/index.js")
            .to_string_lossy()
            .into_owned()
    }
}

/// What the SDK client saw.
struct Session {
    tools: Vec<String>,
    calls: Vec<Value>,
    server: Value,
}

impl Session {
    fn tool_set(&self) -> BTreeSet<&str> {
        self.tools.iter().map(String::as_str).collect()
    }

    fn call(&self, index: usize) -> &Value {
        self.calls
            .get(index)
            .unwrap_or_else(|| panic!("no call #{index} in {:?}", self.calls))
    }
}

/// Runs the Python SDK client against `command args...` (the proxy, or a server directly).
fn run_client(
    p: &Prereqs,
    scratch: &Path,
    command: &str,
    args: &[String],
    calls: &Value,
) -> Session {
    let script = scratch.join("client.py");
    if !script.is_file() {
        std::fs::write(&script, CLIENT).expect("write client.py");
    }
    let spec = json!({"command": command, "args": args, "calls": calls});
    let home = scratch.join("home");
    std::fs::create_dir_all(&home).expect("create home");
    let mut cmd = Command::new(&p.python);
    cmd.arg(&script)
        .arg(spec.to_string())
        .current_dir(scratch)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", &home)
        .env("LANG", "C.UTF-8");
    let run = harness::run_bounded(&mut cmd, harness::CHILD_TIMEOUT);
    assert!(
        !run.timed_out && run.status.is_some_and(|s| s.success()),
        "the MCP SDK client failed against {command} {args:?}\n{}",
        run.describe()
    );
    let v = run.last_json_object();
    Session {
        tools: v["tools"]
            .as_array()
            .expect("tools")
            .iter()
            .map(|t| t.as_str().expect("tool name").to_owned())
            .collect(),
        calls: v["calls"].as_array().expect("calls").clone(),
        server: v["server"].clone(),
    }
}

/// `aethelgard proxy mcp <proxy_args> -- node <entry> <server_args>` as the client's command.
fn proxied(p: &Prereqs, proxy_args: &[String], entry: &str, server_args: &[String]) -> Vec<String> {
    let mut args: Vec<String> = vec!["proxy".into(), "mcp".into()];
    args.extend(proxy_args.iter().cloned());
    args.push("--".into());
    args.push(p.node.to_string_lossy().into_owned());
    args.push(entry.to_owned());
    args.extend(server_args.iter().cloned());
    args
}

fn s(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

/// Under the built-in policy (whose `mcp` catalog describes server-filesystem's tools), a
/// summarising task through the proxy sees only the filesystem server's reading tools, reads a
/// file's real contents, and cannot write: the refused calls come back as tool errors with the
/// reason, the files on disk are untouched, and the audit store holds every decision. The same
/// client straight to the server (no proxy) sees the writing tools and does write, so the
/// refusals are the proxy's.
#[test]
fn mcp_proxy_filesystem_summarise_reads_but_cannot_write() {
    let test = "mcp_proxy_filesystem_summarise_reads_but_cannot_write";
    let Some(p) = prereqs(test) else { return };
    let scratch = TempDir::new("mcp-fs");
    let root = scratch.path();
    let work = root.join("workspace");
    std::fs::create_dir_all(&work).expect("create workspace");
    let notes = work.join("notes.txt");
    std::fs::write(&notes, NOTES).expect("write notes");
    let created = work.join("created-by-agent.txt");
    let moved = work.join("moved.txt");
    let db = root.join("audit.db");
    let entry = p.entry("server-filesystem");
    let server_args = vec![s(&work)];

    // Straight to the server: it has the writing tools, and they work.
    let direct_file = work.join("direct.txt");
    let direct = run_client(
        &p,
        root,
        &s(&p.node),
        &[entry.clone(), s(&work)],
        &json!([{"name": "write_file", "arguments": {"path": s(&direct_file), "content": "direct\n"}}]),
    );
    let direct_tools = direct.tool_set();
    for tool in FS_READ_TOOLS.iter().chain(FS_WRITE_TOOLS.iter()) {
        assert!(
            direct_tools.contains(tool),
            "the server itself lacks {tool}: {direct_tools:?}"
        );
    }
    assert_eq!(direct.call(0)["isError"], false, "{:?}", direct.calls);
    assert_eq!(
        std::fs::read_to_string(&direct_file).ok().as_deref(),
        Some("direct\n"),
        "the unproxied write_file did not write"
    );
    std::fs::remove_file(&direct_file).expect("remove direct.txt");

    // Through the proxy, for a summarising task, under the built-in policy.
    let proxy_args = vec![
        "--task-type".into(),
        "summarise".into(),
        "--audit-db".into(),
        s(&db),
    ];
    let calls = json!([
        {"name": "read_text_file", "arguments": {"path": s(&notes)}},
        {"name": "write_file", "arguments": {"path": s(&created), "content": "written through the proxy\n"}},
        {"name": "edit_file", "arguments": {"path": s(&notes), "edits": [{"oldText": "line one", "newText": "EDITED"}]}},
        {"name": "move_file", "arguments": {"source": s(&notes), "destination": s(&moved)}},
        {"name": "list_directory", "arguments": {"path": s(&work)}},
    ]);
    let session = run_client(
        &p,
        root,
        &s(&harness::aethelgard_bin()),
        &proxied(&p, &proxy_args, &entry, &server_args),
        &calls,
    );
    assert_eq!(
        session.server["name"], direct.server["name"],
        "the handshake did not reach the real server"
    );

    // tools/list: exactly the reading tools, none of the writing ones.
    let listed = session.tool_set();
    let expected: BTreeSet<&str> = FS_READ_TOOLS.iter().copied().collect();
    assert_eq!(
        listed, expected,
        "the tools a summarising task sees through the proxy"
    );
    for tool in FS_WRITE_TOOLS {
        assert!(
            !listed.contains(tool),
            "{tool} was listed for summarise: {listed:?}"
        );
    }

    // The read returns the file's real contents.
    let read = session.call(0);
    assert_eq!(read["isError"], false, "read_text_file failed: {read}");
    assert_eq!(
        read["text"].as_str(),
        Some(NOTES),
        "read_text_file through the proxy: {read}"
    );

    // Every write is refused with the reason, as a tool error the model can read.
    for (i, tool) in [(1, "write_file"), (2, "edit_file"), (3, "move_file")] {
        let call = session.call(i);
        assert_eq!(call["name"], tool);
        assert_eq!(call["isError"], true, "{tool} was not refused: {call}");
        let text = call["text"].as_str().unwrap_or_default();
        assert!(
            text.starts_with("Blocked by Aethelgard:")
                && text.contains(&format!("`{tool}` is not granted"))
                && text.contains("manifest.not-granted"),
            "{tool}'s refusal does not give the reason: {text:?}"
        );
    }
    let listing = session.call(4);
    assert_eq!(
        listing["isError"], false,
        "list_directory failed: {listing}"
    );
    assert!(
        listing["text"]
            .as_str()
            .unwrap_or_default()
            .contains("notes.txt"),
        "list_directory through the proxy: {listing}"
    );

    // Nothing on disk changed.
    assert!(
        !created.exists(),
        "write_file created {} through the proxy",
        created.display()
    );
    assert!(
        !moved.exists(),
        "move_file moved notes.txt through the proxy"
    );
    assert_eq!(
        std::fs::read_to_string(&notes).ok().as_deref(),
        Some(NOTES),
        "notes.txt was modified through the proxy"
    );

    // The audit store holds each decision, in order.
    let audited = audit_log::tool_calls(&db);
    let decisions: Vec<(&str, &str)> = audited
        .iter()
        .map(|e| {
            (
                e["tool"].as_str().unwrap_or(""),
                e["decision"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        decisions,
        [
            ("read_text_file", "allow"),
            ("write_file", "block"),
            ("edit_file", "block"),
            ("move_file", "block"),
            ("list_directory", "allow"),
        ],
        "audited decisions: {audited:#?}"
    );
    for e in &audited {
        assert_eq!(e["source"], "proxy-mcp", "{e}");
        if e["decision"] == "block" {
            assert_eq!(e["rule"], "manifest.not-granted", "{e}");
        }
    }
    assert_eq!(audited[1]["args"]["path"], s(&created), "{}", audited[1]);
}

/// Tools no catalog knows and no profile names are granted to no task: server-everything's tools
/// are in no catalog, so through the proxy a summarising task is listed none of them and its call
/// is refused (the governor fails closed, docs/governor.md).
#[test]
fn mcp_proxy_everything_unknown_tools_are_granted_to_no_summarising_task() {
    let test = "mcp_proxy_everything_unknown_tools_are_granted_to_no_summarising_task";
    let Some(p) = prereqs(test) else { return };
    let scratch = TempDir::new("mcp-everything-summarise");
    let root = scratch.path();
    let db = root.join("audit.db");
    let proxy_args = vec![
        "--task-type".into(),
        "summarise".into(),
        "--audit-db".into(),
        s(&db),
    ];
    let session = run_client(
        &p,
        root,
        &s(&harness::aethelgard_bin()),
        &proxied(&p, &proxy_args, &p.entry("server-everything"), &["stdio".to_owned()]),
        &json!([{"name": "echo", "arguments": {"message": "never echoed"}}]),
    );
    assert!(session.tools.is_empty(), "listed: {:?}", session.tools);
    let echo = session.call(0);
    assert_eq!(echo["isError"], true, "{echo}");
    let text = echo["text"].as_str().unwrap_or_default();
    assert!(
        text.contains("manifest.not-granted") && !text.contains("never echoed"),
        "{echo}"
    );
    let audited = audit_log::tool_calls(&db);
    assert_eq!(audited.len(), 1, "{audited:#?}");
    assert_eq!(audited[0]["tool"], "echo", "{audited:#?}");
    assert_eq!(audited[0]["decision"], "block", "{audited:#?}");
}

/// Without a task the proxy lists every tool `server-everything` has (the same list the client
/// gets from the server directly), and a benign tool works through it.
#[test]
fn mcp_proxy_everything_without_task_lists_every_tool_and_echoes() {
    let test = "mcp_proxy_everything_without_task_lists_every_tool_and_echoes";
    let Some(p) = prereqs(test) else { return };
    let scratch = TempDir::new("mcp-everything");
    let root = scratch.path();
    let db = root.join("audit.db");
    let entry = p.entry("server-everything");
    let stdio = vec!["stdio".to_owned()];

    let direct = run_client(
        &p,
        root,
        &s(&p.node),
        &[entry.clone(), "stdio".into()],
        &json!([]),
    );
    assert!(
        direct.tools.len() >= 5 && direct.tool_set().contains("echo"),
        "server-everything's own tools: {:?}",
        direct.tools
    );

    let message = "governed hello through a real MCP server";
    let session = run_client(
        &p,
        root,
        &s(&harness::aethelgard_bin()),
        &proxied(&p, &["--audit-db".into(), s(&db)], &entry, &stdio),
        &json!([{"name": "echo", "arguments": {"message": message}}]),
    );
    assert_eq!(session.server["name"], direct.server["name"]);
    assert_eq!(
        session.tools, direct.tools,
        "the proxy dropped or reordered tools"
    );

    let echo = session.call(0);
    assert_eq!(echo["isError"], false, "echo failed: {echo}");
    assert_eq!(
        echo["text"].as_str(),
        Some(format!("Echo: {message}").as_str()),
        "{echo}"
    );

    let audited = audit_log::tool_calls(&db);
    assert_eq!(audited.len(), 1, "{audited:#?}");
    assert_eq!(audited[0]["tool"], "echo");
    assert_eq!(audited[0]["decision"], "allow", "{audited:#?}");
    assert_eq!(audited[0]["args"]["message"], message);
}
