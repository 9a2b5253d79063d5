//! `aethelgard import` on logs the real runtimes just wrote: a scripted model makes two shell
//! calls, one our hook allows and one it blocks; then the rollout (and Codex's OpenTelemetry
//! logs, captured by the same local server) or the Claude Code transcript is imported with the
//! real binary, and the session must hold exactly the task, the calls and the hook's decisions.

use std::path::{Path, PathBuf};
use std::process::Command;

use aethelgard_protocol::{DecisionKind, SessionCall, SessionRecord};
use serde_json::{Value, json};

use super::harness::{self, RunOutput, Sandbox};
use super::model_server::{ModelServer, Request, Response};
use super::{BENIGN_COMMAND, claude, codex, expected_deny_reason, recursive_delete};

/// The task the user gives; the importers must find exactly this text.
const TASK: &str = "Greet the workspace in marker.txt, then clear out the victim directory next door.";
const FINAL_TEXT: &str = "E2E-FINAL: import test done.";

/// Runs `aethelgard import FORMAT PATH --out -` (plus `extra`) and returns the sessions it wrote.
fn import_jsonl(format: &str, path: &Path, extra: &[&str]) -> Vec<SessionRecord> {
    let out = Command::new(harness::aethelgard_bin())
        .args(["import", format])
        .arg(path)
        .args(["--out", "-"])
        .args(extra)
        .output()
        .expect("run aethelgard import");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "aethelgard import {format} failed: {stderr}");
    eprintln!("aethelgard import {format}: {}", stderr.trim());
    stdout.lines().map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"))).collect()
}

/// Runs `aethelgard import` into a store and returns its summary line.
fn import_into_store(format: &str, path: &Path, store: &Path) -> String {
    let out = Command::new(harness::aethelgard_bin())
        .args(["import", format])
        .arg(path)
        .arg("--audit-db")
        .arg(store)
        .env_remove("AETHELGARD_POLICY")
        .output()
        .expect("run aethelgard import");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "aethelgard import {format} failed: {stderr}");
    stderr
}

/// What an imported call must be, leaving out what the runtime decides (its output, its time).
fn shape(call: &SessionCall) -> (String, Value, Option<DecisionKind>, Option<String>, Option<String>) {
    (call.tool.clone(), call.args.clone(), call.decision, call.rule.clone(), call.reason.clone())
}

fn find_files(dir: &Path, matches: &dyn Fn(&str) -> bool, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            find_files(&path, matches, found);
        } else if matches(&entry.file_name().to_string_lossy()) {
            found.push(path);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Codex

const CODEX_CALL_IDS: [&str; 2] = ["call_import_1", "call_import_2"];

/// Codex with our hook trusted (as in `codex::run`) and its OpenTelemetry logs exported as OTLP
/// JSON to the same local server, which records them.
fn run_codex(codex_bin: &Path, sandbox: &Sandbox, commands: Vec<String>) -> (RunOutput, Vec<Request>, PathBuf) {
    let server = ModelServer::start(codex_responder(commands));
    let base = server.base_url();
    let otel = format!(
        "\n[otel]\nlog_user_prompt = true\nexporter = {{ otlp-http = {{ endpoint = \"{base}/v1/logs\", protocol = \"json\" }} }}\n"
    );
    let codex_home = codex::codex_home(sandbox, &base, &otel);
    let mut cmd = Command::new(codex_bin);
    cmd.args(["exec", "--skip-git-repo-check", "--json", "-C"])
        .arg(&sandbox.work)
        .arg(TASK);
    harness::sandboxed(&mut cmd, sandbox).env("CODEX_HOME", &codex_home);
    let output = harness::run_bounded(&mut cmd, harness::CHILD_TIMEOUT);
    let requests = server.requests();
    drop(server);
    (output, requests, codex_home)
}

/// The scripted Responses model: one `exec_command` call per turn, in order, then a final
/// message (the turn is chosen by counting the `*_output` items already in `input`).
fn codex_responder(commands: Vec<String>) -> impl Fn(&Request) -> Response + Send + Sync + 'static {
    move |req| {
        if req.method == "POST" && req.path() == "/v1/logs" {
            return Response::json(200, &json!({}));
        }
        let body = match codex::responses_body(req) {
            Ok(body) => body,
            Err(answer) => return answer,
        };
        let outputs = body["input"].as_array().map_or(0, |items| {
            items.iter().filter(|i| i["type"].as_str().is_some_and(|t| t.ends_with("_output"))).count()
        });
        let item = match (commands.get(outputs), CODEX_CALL_IDS.get(outputs)) {
            (Some(command), Some(call_id)) => json!({
                "type": "function_call", "id": format!("fc_{call_id}"), "call_id": call_id, "name": "exec_command",
                "arguments": json!({"cmd": command, "yield_time_ms": 1000}).to_string(), "status": "completed"
            }),
            _ => json!({
                "type": "message", "id": "msg_import_final", "role": "assistant", "status": "completed",
                "content": [{"type": "output_text", "text": FINAL_TEXT, "annotations": []}]
            }),
        };
        let id = format!("resp_import_{outputs}");
        let usage = json!({"input_tokens": 10, "input_tokens_details": null, "output_tokens": 5,
                           "output_tokens_details": null, "total_tokens": 15});
        Response::sse(&[
            ("response.created", json!({"type": "response.created", "response": {"id": id}})),
            ("response.output_item.added", json!({"type": "response.output_item.added", "output_index": 0, "item": item})),
            ("response.output_item.done", json!({"type": "response.output_item.done", "output_index": 0, "item": item})),
            ("response.completed", json!({"type": "response.completed", "response": {"id": id, "usage": usage}})),
        ])
    }
}

#[test]
fn codex_rollout_and_otel_logs_import_with_the_hook_decisions() {
    let test = "codex_rollout_and_otel_logs_import_with_the_hook_decisions";
    let Some(codex_bin) = harness::runtime("codex", test) else { return };
    let sandbox = Sandbox::new("import-codex");
    let delete = recursive_delete(&sandbox);
    let reason = expected_deny_reason("codex", &codex::pretooluse_payload(&sandbox.work, &delete));
    let (output, requests, codex_home) = run_codex(&codex_bin, &sandbox, vec![BENIGN_COMMAND.to_owned(), delete.clone()]);
    let describe = || format!("{}\nrequests: {:?}", output.describe(), requests.iter().map(Request::summary).collect::<Vec<_>>());
    assert!(output.status.is_some_and(|s| s.success()), "{}", describe());
    assert!(sandbox.victim_file.is_file(), "the hook did not block the delete\n{}", describe());

    // The rollout: both calls, the second blocked by our hook with our reason.
    let mut rollouts = Vec::new();
    find_files(&codex_home.join("sessions"), &|name| name.starts_with("rollout-") && name.ends_with(".jsonl"), &mut rollouts);
    assert_eq!(rollouts.len(), 1, "{rollouts:?}\n{}", describe());
    let sessions = import_jsonl("codex-rollout", &codex_home.join("sessions"), &[]);
    assert_eq!(sessions.len(), 1, "{sessions:?}");
    let session = &sessions[0];
    assert_eq!(session.task, TASK);
    assert_eq!(session.source.as_deref(), Some("codex"));
    let shapes: Vec<_> = session.calls.iter().map(shape).collect();
    assert_eq!(
        shapes,
        vec![
            ("exec_command".into(), json!({"cmd": BENIGN_COMMAND, "yield_time_ms": 1000}), Some(DecisionKind::Allow), None, None),
            (
                "exec_command".into(),
                json!({"cmd": delete, "yield_time_ms": 1000}),
                Some(DecisionKind::Block),
                Some("hook:PreToolUse".into()),
                Some(reason.clone())
            ),
        ]
    );
    assert!(session.calls[0].output.as_deref().is_some_and(|o| o.contains("governed")), "{:?}", session.calls[0]);

    // Into a store, twice: the second import adds nothing and says so.
    let store = sandbox.root.join("audit.db");
    let first = import_into_store("codex-rollout", &codex_home.join("sessions"), &store);
    assert!(first.contains("imported 1 session, 2 calls (1 blocked) from 1 file into"), "{first}");
    let second = import_into_store("codex-rollout", &codex_home.join("sessions"), &store);
    assert!(second.contains("imported 0 sessions") && second.contains("skipped 1 already in the store"), "{second}");

    // The OpenTelemetry logs of the same run, one OTLP JSON export request a line.
    let bodies: Vec<String> = requests
        .iter()
        .filter(|r| r.method == "POST" && r.path() == "/v1/logs")
        .map(|r| r.json().map(|v| v.to_string()).unwrap_or_else(|| panic!("an OTLP body that is not JSON: {}", r.summary())))
        .collect();
    assert!(!bodies.is_empty(), "Codex exported no logs\n{}", describe());
    let capture = sandbox.root.join("otel_logs.jsonl");
    std::fs::write(&capture, bodies.join("\n") + "\n").unwrap();
    let otel = import_jsonl("codex-otel", &capture, &[]);
    assert_eq!(otel.len(), 1, "{otel:?}");
    assert_eq!(otel[0].session, session.session, "the conversation id is the rollout's session id");
    assert_eq!(otel[0].task, TASK);
    // Codex 0.169.0 logs no `codex.tool_decision` and no `codex.tool_result` for a call a
    // PreToolUse hook denies: the blocked call is absent from its OpenTelemetry logs.
    let otel_shapes: Vec<_> = otel[0].calls.iter().map(shape).collect();
    assert_eq!(otel_shapes, vec![shapes[0].clone()]);
    assert_eq!(otel[0].calls[0].output, session.calls[0].output);
}

// ---------------------------------------------------------------------------------------------
// Claude Code

const CLAUDE_TOOL_IDS: [&str; 2] = ["toolu_import_1", "toolu_import_2"];

fn run_claude(claude_bin: &Path, sandbox: &Sandbox, commands: Vec<String>) -> (RunOutput, Vec<Request>) {
    let server = ModelServer::start(claude_responder(commands));
    let settings = json!({"hooks": {"PreToolUse": [{"matcher": "*",
        "hooks": [{"type": "command", "command": harness::hook_command("claude", sandbox), "timeout": 30}]}]}});
    let settings_path = sandbox.root.join("settings.json");
    std::fs::write(&settings_path, settings.to_string()).unwrap();
    let mut cmd = Command::new(claude_bin);
    cmd.args(["-p", TASK, "--settings"])
        .arg(&settings_path)
        .args(["--output-format", "stream-json", "--verbose", "--dangerously-skip-permissions"]);
    claude::model_env(harness::sandboxed(&mut cmd, sandbox), &server.base_url())
        // --dangerously-skip-permissions is refused to root unless it says it is sandboxed.
        .env("IS_SANDBOX", "1");
    let output = harness::run_bounded(&mut cmd, harness::CHILD_TIMEOUT);
    let requests = server.requests();
    drop(server);
    (output, requests)
}

/// The scripted Messages model: a request offering `Bash` gets the next Bash call (counted by
/// the assistant turns so far); every other request gets the final text.
fn claude_responder(commands: Vec<String>) -> impl Fn(&Request) -> Response + Send + Sync + 'static {
    move |req| {
        if req.method == "POST" && req.path() == "/v1/messages/count_tokens" {
            return Response::json(200, &json!({"input_tokens": 10}));
        }
        let Some(body) = req.json().filter(|_| req.method == "POST" && req.path() == "/v1/messages") else {
            return Response::json(404, &json!({"type": "error", "error": {"type": "not_found_error", "message": "e2e mock"}}));
        };
        let model = body["model"].as_str().unwrap_or("claude-e2e").to_owned();
        let offers_bash = body["tools"].as_array().is_some_and(|tools| tools.iter().any(|t| t["name"] == "Bash"));
        let turns = body["messages"].as_array().map_or(0, |m| m.iter().filter(|m| m["role"] == "assistant").count());
        let call = if offers_bash { commands.get(turns).zip(CLAUDE_TOOL_IDS.get(turns)) } else { None };
        let input = call.map(|(command, _)| json!({"command": command, "description": "e2e import"}));
        let (block, start, delta, stop) = match (call, input) {
            (Some((_, id)), Some(input)) => (
                json!({"type": "tool_use", "id": id, "name": "Bash", "input": input}),
                json!({"type": "tool_use", "id": id, "name": "Bash", "input": {}}),
                json!({"type": "input_json_delta", "partial_json": input.to_string()}),
                "tool_use",
            ),
            _ => (
                json!({"type": "text", "text": FINAL_TEXT}),
                json!({"type": "text", "text": ""}),
                json!({"type": "text_delta", "text": FINAL_TEXT}),
                "end_turn",
            ),
        };
        if body["stream"].as_bool() != Some(true) {
            return Response::json(200, &json!({"id": "msg_import", "type": "message", "role": "assistant", "model": model,
                "content": [block], "stop_reason": stop, "stop_sequence": null,
                "usage": {"input_tokens": 10, "output_tokens": 5}}));
        }
        Response::sse(&[
            ("message_start", json!({"type": "message_start", "message": {"id": format!("msg_import_{turns}"),
                "type": "message", "role": "assistant", "model": model, "content": [], "stop_reason": null,
                "stop_sequence": null, "usage": {"input_tokens": 10, "output_tokens": 1}}})),
            ("content_block_start", json!({"type": "content_block_start", "index": 0, "content_block": start})),
            ("content_block_delta", json!({"type": "content_block_delta", "index": 0, "delta": delta})),
            ("content_block_stop", json!({"type": "content_block_stop", "index": 0})),
            ("message_delta", json!({"type": "message_delta", "delta": {"stop_reason": stop, "stop_sequence": null},
                "usage": {"output_tokens": 5}})),
            ("message_stop", json!({"type": "message_stop"})),
        ])
    }
}

#[test]
fn claude_transcript_imports_with_the_hook_decisions() {
    let test = "claude_transcript_imports_with_the_hook_decisions";
    let Some(claude_bin) = harness::runtime("claude", test) else { return };
    let sandbox = Sandbox::new("import-claude");
    let delete = recursive_delete(&sandbox);
    let reason = expected_deny_reason("claude", &super::claude::pretooluse_payload(&sandbox.work, &delete));
    let (output, requests) = run_claude(&claude_bin, &sandbox, vec![BENIGN_COMMAND.to_owned(), delete.clone()]);
    let describe = || format!("{}\nrequests: {:?}", output.describe(), requests.iter().map(Request::summary).collect::<Vec<_>>());
    assert!(output.status.is_some_and(|s| s.success()), "{}", describe());
    assert!(sandbox.victim_file.is_file(), "the hook did not block the delete\n{}", describe());

    let projects = sandbox.home.join(".claude/projects");
    let mut transcripts = Vec::new();
    find_files(&projects, &|name| name.ends_with(".jsonl"), &mut transcripts);
    assert_eq!(transcripts.len(), 1, "{transcripts:?}\n{}", describe());
    let sessions = import_jsonl("claude-transcript", &projects, &[]);
    assert_eq!(sessions.len(), 1, "{sessions:?}");
    let session = &sessions[0];
    assert_eq!(session.task, TASK);
    assert_eq!(session.source.as_deref(), Some("claude"));
    // The tools offered: those sent with the requests, and the deferred ones named to the model.
    for tool in ["Bash", "Read", "ToolSearch", "WebFetch"] {
        assert!(session.tools.iter().any(|t| t == tool), "{tool} not in {:?}", session.tools);
    }
    let shapes: Vec<_> = session.calls.iter().map(shape).collect();
    assert_eq!(
        shapes,
        vec![
            ("Bash".into(), json!({"command": BENIGN_COMMAND, "description": "e2e import"}), Some(DecisionKind::Allow), None, None),
            (
                "Bash".into(),
                json!({"command": delete, "description": "e2e import"}),
                Some(DecisionKind::Block),
                Some("hook:PreToolUse".into()),
                Some(reason)
            ),
        ]
    );
    assert!(session.calls[0].output.as_deref().is_some_and(|o| o.contains("governed")), "{:?}", session.calls[0]);
}
