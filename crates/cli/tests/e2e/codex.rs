//! Drives the real Codex CLI (`codex exec`) against a scripted Responses API server, with our
//! PreToolUse hook installed through `$CODEX_HOME/hooks.json` and trusted by hash in config.toml.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::harness::{self, RunOutput, Sandbox};
use super::model_server::{ModelServer, Request, Response};

pub const CALL_ID: &str = "call_e2e_1";
pub const FINAL_TEXT: &str = "E2E-FINAL: done.";
/// The matcher of our hook group; a literal name matches exactly (`Bash` = every shell tool).
const MATCHER: &str = "Bash";
const HOOK_TIMEOUT_S: u64 = 30;

pub struct CodexRun {
    pub output: RunOutput,
    pub requests: Vec<Request>,
}

impl CodexRun {
    /// The `/responses` requests, in order.
    pub fn model_requests(&self) -> Vec<Value> {
        self.requests
            .iter()
            .filter(|r| r.method == "POST" && r.path().ends_with("/responses"))
            .filter_map(Request::json)
            .collect()
    }

    /// The text of the `function_call_output` for `call_id` in the first model request that
    /// carries one, i.e. what the model was told after its tool call.
    pub fn tool_output(&self, call_id: &str) -> Option<String> {
        self.model_requests().iter().find_map(|body| {
            body["input"].as_array()?.iter().find_map(|item| {
                (item["type"] == "function_call_output" && item["call_id"] == call_id)
                    .then(|| harness::flatten_text(&item["output"]))
            })
        })
    }

    pub fn describe(&self) -> String {
        let reqs: Vec<String> = self.requests.iter().map(Request::summary).collect();
        format!(
            "codex run: {}\nmodel server saw {} request(s): {reqs:#?}\n\
             (If the command ran with no hook message, Codex may have skipped the hook as \
             untrusted: compare `trusted_hash` with the `currentHash` that `codex app-server` \
             reports for `hooks/list`.)",
            self.output.describe(),
            self.requests.len()
        )
    }
}

/// The PreToolUse payload Codex sends for an `exec_command` call (shape of the 0.169.0 fixture),
/// for asking our hook directly what it will decide.
pub fn pretooluse_payload(cwd: &Path, command: &str) -> Value {
    json!({
        "session_id": "00000000-0000-0000-0000-000000000000",
        "turn_id": "00000000-0000-0000-0000-000000000001",
        "transcript_path": null,
        "cwd": cwd,
        "hook_event_name": "PreToolUse",
        "model": "gpt-5.5",
        "permission_mode": "bypassPermissions",
        "tool_name": "Bash",
        "tool_input": {"command": command},
        "tool_use_id": CALL_ID,
    })
}

/// Runs `codex exec` once: the scripted model first calls `exec_command` with `command`, then,
/// once the request carries the tool's output, answers with a final message.
///
/// The hook is trusted the way an installer would do it, by its hash in config.toml
/// (`[hooks.state."<hooks.json>:pre_tool_use:0:0"] trusted_hash`), not with
/// `--dangerously-bypass-hook-trust`. An untrusted hook is skipped silently and the tool runs.
pub fn run(codex: &Path, sandbox: &Sandbox, command: &str) -> CodexRun {
    let server = ModelServer::start(responder(command.to_owned()));

    let codex_home = codex_home(sandbox, &server.base_url(), "");

    let mut cmd = Command::new(codex);
    cmd.args(["exec", "--skip-git-repo-check", "--json", "-C"])
        .arg(&sandbox.work)
        .arg("Run the command I need, then report.");
    harness::sandboxed(&mut cmd, sandbox).env("CODEX_HOME", &codex_home);
    let output = harness::run_bounded(&mut cmd, harness::CHILD_TIMEOUT);
    let requests = server.requests();
    drop(server);
    CodexRun { output, requests }
}

/// A CODEX_HOME in the sandbox: the scripted model as provider, our hook in `hooks.json` and
/// trusted by hash in `config.toml`, plus `extra` TOML (appended before the trust table).
pub fn codex_home(sandbox: &Sandbox, base_url: &str, extra: &str) -> PathBuf {
    codex_home_matching(sandbox, base_url, extra, MATCHER)
}

/// [`codex_home`] with the hook group's `matcher` (a literal name matches exactly, anything else
/// is a regex: `^mcp__.*` for every MCP tool).
pub fn codex_home_matching(sandbox: &Sandbox, base_url: &str, extra: &str, matcher: &str) -> PathBuf {
    let codex_home = sandbox.root.join("codex-home");
    std::fs::create_dir_all(&codex_home).expect("create CODEX_HOME");
    let hooks_json = codex_home.join("hooks.json");
    let hook_command = harness::hook_command("codex", sandbox);
    let hooks = json!({
        "hooks": {
            "PreToolUse": [{
                "matcher": matcher,
                "hooks": [{"type": "command", "command": hook_command, "timeout": HOOK_TIMEOUT_S}]
            }]
        }
    });
    std::fs::write(&hooks_json, serde_json::to_string_pretty(&hooks).expect("json")).expect("write hooks.json");

    let mut config = format!(
        r#"model = "gpt-5.5"
model_provider = "mock"
approval_policy = "never"
sandbox_mode = "danger-full-access"

[model_providers.mock]
name = "mock"
base_url = "{base_url}/v1"
wire_api = "responses"
request_max_retries = 0
stream_max_retries = 0

[features]
hooks = true
{extra}"#
    );
    let trust_key = format!("{}:pre_tool_use:0:0", hooks_json.display());
    config.push_str(&format!(
        "\n[hooks.state.{}]\ntrusted_hash = \"sha256:{}\"\n",
        toml_string(&trust_key),
        trusted_hash(&hook_command, matcher)
    ));
    std::fs::write(codex_home.join("config.toml"), config).expect("write config.toml");
    codex_home
}

/// The hash Codex keys hook trust to: SHA-256 of the compact, key-sorted JSON of the normalized
/// hook group. On 0.169.0 the handler object includes `"type":"command"` (checked against the
/// `currentHash` that `codex app-server`'s `hooks/list` reports). Keys are written in sorted order
/// so the text is the same whatever map type serde_json was built with.
pub fn trusted_hash(hook_command: &str, matcher: &str) -> String {
    let canonical = json!({
        "event_name": "pre_tool_use",
        "hooks": [{
            "async": false,
            "command": hook_command,
            "timeout": HOOK_TIMEOUT_S,
            "type": "command",
        }],
        "matcher": matcher,
    })
    .to_string();
    Sha256::digest(canonical.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn toml_string(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// The scripted model: picks its answer by counting the `*_output` items already in `input`.
/// The body of a Responses API request, or the answer to give anything else: other paths are
/// 404 and a body that is not JSON is 400.
pub fn responses_body(req: &Request) -> Result<Value, Response> {
    if req.method != "POST" || !req.path().ends_with("/responses") {
        return Err(Response::json(404, &json!({"error": {"message": "not found in the e2e mock"}})));
    }
    req.json().ok_or_else(|| Response::json(400, &json!({"error": {"message": "body is not JSON"}})))
}

fn responder(command: String) -> impl Fn(&Request) -> Response + Send + Sync + 'static {
    move |req| {
        let body = match responses_body(req) {
            Ok(body) => body,
            Err(answer) => return answer,
        };
        let outputs = body["input"].as_array().map_or(0, |items| {
            items
                .iter()
                .filter(|i| i["type"].as_str().is_some_and(|t| t.ends_with("_output")))
                .count()
        });
        if outputs == 0 {
            function_call_turn(&command)
        } else {
            text_turn(FINAL_TEXT)
        }
    }
}

fn usage() -> Value {
    json!({
        "input_tokens": 10, "input_tokens_details": null,
        "output_tokens": 5, "output_tokens_details": null,
        "total_tokens": 15
    })
}

fn function_call_turn(command: &str) -> Response {
    let arguments = json!({"cmd": command, "yield_time_ms": 1000}).to_string();
    item_turn(&json!({
        "type": "function_call", "id": "fc_e2e_1", "call_id": CALL_ID,
        "name": "exec_command", "arguments": arguments, "status": "completed"
    }))
}

/// One streamed Responses API answer whose only output is `item` (a function call, a custom tool
/// call, a tool search call or a finished message).
pub fn item_turn(item: &Value) -> Response {
    Response::sse(&[
        (
            "response.created",
            json!({"type": "response.created", "response": {"id": "resp_e2e_1"}}),
        ),
        (
            "response.output_item.added",
            json!({"type": "response.output_item.added", "output_index": 0, "item": item}),
        ),
        (
            "response.output_item.done",
            json!({"type": "response.output_item.done", "output_index": 0, "item": item}),
        ),
        (
            "response.completed",
            json!({"type": "response.completed", "response": {"id": "resp_e2e_1", "usage": usage()}}),
        ),
    ])
}

fn text_turn(text: &str) -> Response {
    let added = json!({"type": "message", "id": "msg_e2e_2", "role": "assistant", "status": "in_progress", "content": []});
    let done = json!({
        "type": "message", "id": "msg_e2e_2", "role": "assistant", "status": "completed",
        "content": [{"type": "output_text", "text": text, "annotations": []}]
    });
    Response::sse(&[
        (
            "response.created",
            json!({"type": "response.created", "response": {"id": "resp_e2e_2"}}),
        ),
        (
            "response.output_item.added",
            json!({"type": "response.output_item.added", "output_index": 0, "item": added}),
        ),
        (
            "response.output_text.delta",
            json!({"type": "response.output_text.delta", "item_id": "msg_e2e_2", "output_index": 0, "content_index": 0, "delta": text}),
        ),
        (
            "response.output_item.done",
            json!({"type": "response.output_item.done", "output_index": 0, "item": done}),
        ),
        (
            "response.completed",
            json!({"type": "response.completed", "response": {"id": "resp_e2e_2", "usage": usage()}}),
        ),
    ])
}
