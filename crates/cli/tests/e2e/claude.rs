//! Drives the real Claude Code (`claude -p`) against a scripted Anthropic Messages server, with
//! our PreToolUse hook installed through a `--settings` file.

use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};

use super::audit_log;
use super::harness::{self, RunOutput, Sandbox};
use super::model_server::{ModelServer, Request, Response};

pub const TOOL_USE_ID: &str = "toolu_e2e_1";
pub const FINAL_TEXT: &str = "E2E-FINAL: done.";

pub struct ClaudeRun {
    pub output: RunOutput,
    pub requests: Vec<Request>,
}

impl ClaudeRun {
    /// The `/v1/messages` requests (not `count_tokens`), in order.
    pub fn model_requests(&self) -> Vec<Value> {
        self.requests
            .iter()
            .filter(|r| r.method == "POST" && r.path() == "/v1/messages")
            .filter_map(Request::json)
            .collect()
    }

    /// The `tool_result` block for `tool_use_id` in the first model request carrying one:
    /// `(text, is_error)`, i.e. what the model was told after its tool call.
    pub fn tool_result(&self, tool_use_id: &str) -> Option<(String, bool)> {
        self.model_requests().iter().find_map(|body| {
            body["messages"].as_array()?.iter().find_map(|m| {
                m["content"].as_array()?.iter().find_map(|block| {
                    (block["type"] == "tool_result" && block["tool_use_id"] == tool_use_id).then(
                        || {
                            (
                                harness::flatten_text(&block["content"]),
                                block["is_error"].as_bool().unwrap_or(false),
                            )
                        },
                    )
                })
            })
        })
    }

    pub fn describe(&self) -> String {
        let reqs: Vec<String> = self.requests.iter().map(Request::summary).collect();
        format!(
            "claude run: {}\nmodel server saw {} request(s): {reqs:#?}",
            self.output.describe(),
            self.requests.len()
        )
    }
}

/// The PreToolUse payload Claude Code sends for a Bash call (shape of the 2.1.329 fixture), for
/// asking our hook directly what it will decide.
pub fn pretooluse_payload(cwd: &Path, command: &str) -> Value {
    json!({
        "session_id": "00000000-0000-0000-0000-000000000000",
        "transcript_path": "/dev/null",
        "cwd": cwd,
        "permission_mode": "bypassPermissions",
        "hook_event_name": "PreToolUse",
        "tool_name": "Bash",
        "tool_input": {"command": command, "description": "e2e command"},
        "tool_use_id": TOOL_USE_ID,
    })
}

/// Runs `claude -p` once: the scripted model first calls `Bash` with `command`, then answers with
/// a final message once the conversation holds an assistant turn.
pub fn run(claude: &Path, sandbox: &Sandbox, command: &str) -> ClaudeRun {
    let server = ModelServer::start(responder(command.to_owned()));

    let settings = json!({
        "hooks": {
            "PreToolUse": [{
                "matcher": "*",
                "hooks": [{"type": "command", "command": harness::hook_command("claude", sandbox), "timeout": 30}]
            }]
        }
    });
    let settings_path = sandbox.root.join("settings.json");
    std::fs::write(
        &settings_path,
        serde_json::to_string_pretty(&settings).expect("json"),
    )
    .expect("write settings.json");

    let mut cmd = Command::new(claude);
    cmd.args(["-p", "Run the command I need, then report.", "--settings"])
        .arg(&settings_path)
        .args([
            "--output-format",
            "stream-json",
            "--verbose",
            // Without it `-p` mode refuses many commands by itself, and the test would not prove
            // that our hook did the blocking.
            "--dangerously-skip-permissions",
        ]);
    model_env(harness::sandboxed(&mut cmd, sandbox), &server.base_url());
    if running_as_root() {
        // As root, --dangerously-skip-permissions is refused unless the process says it is in a
        // sandbox.
        cmd.env("IS_SANDBOX", "1");
    }
    let output = harness::run_bounded(&mut cmd, harness::CHILD_TIMEOUT);
    let requests = server.requests();
    drop(server);
    ClaudeRun { output, requests }
}

/// Points Claude Code at the scripted model and turns off everything that would reach a network.
pub fn model_env<'a>(cmd: &'a mut Command, base_url: &str) -> &'a mut Command {
    cmd.env("ANTHROPIC_BASE_URL", base_url)
        .env("ANTHROPIC_API_KEY", "dummy")
        .env("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1")
        .env("DISABLE_TELEMETRY", "1")
        .env("DISABLE_ERROR_REPORTING", "1")
        .env("DISABLE_AUTOUPDATER", "1")
}

fn running_as_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(1).map(|uid| uid == "0"))
        })
        .unwrap_or_else(|| {
            Command::new("id")
                .arg("-u")
                .output()
                .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        })
}

/// The scripted model. A request offering the `Bash` tool with no assistant turn yet gets the
/// tool call; every other messages request (the follow-up, or any side query Claude Code makes)
/// gets a final text answer.
/// The body of a Messages API request, or the answer to give anything else: token counts are
/// answered, other paths are 404 and a body that is not JSON is 400.
pub fn messages_body(req: &Request) -> Result<Value, Response> {
    let path = req.path();
    if req.method == "POST" && path.ends_with("/count_tokens") {
        return Err(Response::json(200, &json!({"input_tokens": 10})));
    }
    if req.method != "POST" || path != "/v1/messages" {
        return Err(Response::json(
            404,
            &json!({"type": "error", "error": {"type": "not_found_error", "message": "not found in the e2e mock"}}),
        ));
    }
    req.json().ok_or_else(|| {
        Response::json(
            400,
            &json!({"type": "error", "error": {"type": "invalid_request_error", "message": "body is not JSON"}}),
        )
    })
}

fn responder(command: String) -> impl Fn(&Request) -> Response + Send + Sync + 'static {
    move |req| {
        let body = match messages_body(req) {
            Ok(body) => body,
            Err(answer) => return answer,
        };
        let model = body["model"].as_str().unwrap_or("claude-e2e").to_owned();
        let stream = body["stream"].as_bool().unwrap_or(false);
        let offers_bash = body["tools"]
            .as_array()
            .is_some_and(|tools| tools.iter().any(|t| t["name"] == "Bash"));
        let assistant_turns = body["messages"].as_array().map_or(0, |msgs| {
            msgs.iter().filter(|m| m["role"] == "assistant").count()
        });
        let block = if offers_bash && assistant_turns == 0 {
            json!({
                "type": "tool_use", "id": TOOL_USE_ID, "name": "Bash",
                "input": {"command": command, "description": "e2e command"}
            })
        } else {
            json!({"type": "text", "text": FINAL_TEXT})
        };
        if stream {
            stream_message(&model, &block)
        } else {
            let stop = if block["type"] == "tool_use" {
                "tool_use"
            } else {
                "end_turn"
            };
            Response::json(
                200,
                &json!({
                    "id": "msg_e2e", "type": "message", "role": "assistant", "model": model,
                    "content": [block], "stop_reason": stop, "stop_sequence": null,
                    "usage": {"input_tokens": 10, "output_tokens": 5}
                }),
            )
        }
    }
}

/// One streamed Messages API answer holding `block` (a `tool_use` or a `text` block).
pub fn stream_message(model: &str, block: &Value) -> Response {
    let is_tool = block["type"] == "tool_use";
    let (start_block, delta) = if is_tool {
        (
            json!({"type": "tool_use", "id": block["id"], "name": block["name"], "input": {}}),
            json!({"type": "input_json_delta", "partial_json": block["input"].to_string()}),
        )
    } else {
        (
            json!({"type": "text", "text": ""}),
            json!({"type": "text_delta", "text": block["text"]}),
        )
    };
    Response::sse(&[
        (
            "message_start",
            json!({"type": "message_start", "message": {
                "id": "msg_e2e", "type": "message", "role": "assistant", "model": model,
                "content": [], "stop_reason": null, "stop_sequence": null,
                "usage": {"input_tokens": 10, "output_tokens": 1}
            }}),
        ),
        (
            "content_block_start",
            json!({"type": "content_block_start", "index": 0, "content_block": start_block}),
        ),
        (
            "content_block_delta",
            json!({"type": "content_block_delta", "index": 0, "delta": delta}),
        ),
        (
            "content_block_stop",
            json!({"type": "content_block_stop", "index": 0}),
        ),
        (
            "message_delta",
            json!({"type": "message_delta",
                   "delta": {"stop_reason": if is_tool { "tool_use" } else { "end_turn" }, "stop_sequence": null},
                   "usage": {"output_tokens": 5}}),
        ),
        ("message_stop", json!({"type": "message_stop"})),
    ])
}

/// The hook surface with an MCP server and the audit store: Claude Code runs server-filesystem
/// directly (no proxy; the server may touch the whole sandbox), with our hook recording into the
/// sandbox's store. The scripted model calls `mcp__files__write_file` on the victim outside the
/// workspace, then `mcp__files__read_text_file` on a workspace file. The hook resolves the
/// qualified names through the built-in `mcp` catalog: the write is blocked by the filesystem
/// policy (the victim survives, the model gets the reason), the read runs; the store holds both
/// decisions and verifies; the imported transcript gives the same calls and decisions.
#[test]
fn claude_hook_judges_mcp_tools_records_them_and_the_transcript_agrees() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let test = "claude_hook_judges_mcp_tools_records_them_and_the_transcript_agrees";
    let Some(claude_bin) = harness::runtime("claude", test) else { return };
    let Some(node) = harness::node24_bin_dir(test).map(|d| d.join("node")) else { return };
    let entry = harness::repo_root().join(".e2e/node_modules/@modelcontextprotocol/server-filesystem/dist/index.js");
    let Some(entry) = harness::installed(test, "@modelcontextprotocol/server-filesystem", entry) else { return };
    let sandbox = Sandbox::new("claude-hook-mcp");
    let notes = sandbox.work.join("notes.txt");
    std::fs::write(&notes, "hook e2e notes\n").unwrap();
    let victim = sandbox.victim_file.to_string_lossy().into_owned();
    let script = vec![
        ("mcp__files__write_file", json!({"path": victim, "content": "overwritten\n"})),
        ("mcp__files__read_text_file", json!({"path": notes.to_string_lossy()})),
    ];
    let steps = script.clone();
    let next = AtomicUsize::new(0);
    let server = ModelServer::start(move |req: &Request| {
        let body = match messages_body(req) {
            Ok(body) => body,
            Err(answer) => return answer,
        };
        let model = body["model"].as_str().unwrap_or("claude-e2e").to_owned();
        let offers = body["tools"].as_array().is_some_and(|t| t.iter().any(|t| t["name"] == "mcp__files__read_text_file"));
        let has_result = |id: &str| {
            body["messages"].as_array().into_iter().flatten().any(|m| {
                m["content"].as_array().into_iter().flatten().any(|b| b["type"] == "tool_result" && b["tool_use_id"] == id)
            })
        };
        let k = next.load(Ordering::SeqCst);
        let due = offers && (k == 0 || has_result(&format!("toolu_hookmcp_{}", k - 1)));
        let block = match steps.get(k).filter(|_| due) {
            Some((name, input)) => {
                next.store(k + 1, Ordering::SeqCst);
                json!({"type": "tool_use", "id": format!("toolu_hookmcp_{k}"), "name": name, "input": input})
            }
            None => json!({"type": "text", "text": FINAL_TEXT}),
        };
        stream_message(&model, &block)
    });
    let settings = json!({"hooks": {"PreToolUse": [{"matcher": "*",
        "hooks": [{"type": "command", "command": harness::hook_command("claude", &sandbox), "timeout": 30}]}]}});
    let settings_path = sandbox.root.join("settings.json");
    std::fs::write(&settings_path, settings.to_string()).unwrap();
    let mcp_config = sandbox.root.join("mcp.json");
    let server_args = vec![entry.to_string_lossy().into_owned(), sandbox.root.to_string_lossy().into_owned()];
    std::fs::write(&mcp_config, json!({"mcpServers": {"files": {"command": node, "args": server_args}}}).to_string()).unwrap();
    let mut cmd = Command::new(&claude_bin);
    cmd.args(["-p", "Summarise notes.txt.", "--settings"])
        .arg(&settings_path)
        .arg("--mcp-config")
        .arg(&mcp_config)
        .args(["--strict-mcp-config", "--output-format", "stream-json", "--verbose", "--dangerously-skip-permissions"]);
    model_env(harness::sandboxed(&mut cmd, &sandbox), &server.base_url()).env("ENABLE_TOOL_SEARCH", "false").env("IS_SANDBOX", "1");
    let output = harness::run_bounded(&mut cmd, harness::CHILD_TIMEOUT);
    let run = ClaudeRun { output, requests: server.requests() };
    drop(server);
    let describe = || run.describe();
    assert!(run.output.status.is_some_and(|s| s.success()), "{}", describe());

    // The write is blocked by the hook, with the filesystem rule the catalog's path pointer reached.
    assert_eq!(std::fs::read_to_string(&sandbox.victim_file).ok().as_deref(), Some("do not delete\n"), "THE MCP WRITE RAN\n{}", describe());
    let (write, write_error) = run.tool_result("toolu_hookmcp_0").unwrap_or_else(|| panic!("no write result\n{}", describe()));
    eprintln!("{test}: the model received for write_file: {write}");
    assert!(write_error && write.contains("PreToolUse:mcp__files__write_file hook") && write.contains("filesystem.outside-writable"), "{write}");
    let (read, read_error) = run.tool_result("toolu_hookmcp_1").unwrap_or_else(|| panic!("no read result\n{}", describe()));
    assert!(!read_error && read.contains("hook e2e notes"), "{read}\n{}", describe());

    // (d) The hook's store: both decisions, the chain verifies.
    let audited = audit_log::verified_calls_from(&sandbox.audit_db(), "hook:claude");
    let expected: Vec<(String, Value, String)> =
        script.iter().zip(["block", "allow"]).map(|((tool, args), decision)| ((*tool).to_owned(), args.clone(), decision.to_owned())).collect();
    assert_eq!(audited, expected);

    // (e) The transcript, imported: the same calls with the same decisions.
    let out = Command::new(harness::aethelgard_bin())
        .args(["import", "claude-transcript"])
        .arg(sandbox.home.join(".claude/projects"))
        .args(["--out", "-"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let sessions: Vec<aethelgard_protocol::SessionRecord> =
        String::from_utf8_lossy(&out.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(sessions.len(), 1);
    let imported: Vec<(String, Value, String)> = sessions[0]
        .calls
        .iter()
        .map(|c| (c.tool.clone(), c.args.clone(), c.decision.map(|d| format!("{d:?}").to_lowercase()).unwrap_or_default()))
        .collect();
    assert_eq!(imported, expected, "{:#?}", sessions[0].calls);
}
