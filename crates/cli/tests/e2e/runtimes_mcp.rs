//! The MCP proxy surface, end to end, in each real runtime: Codex CLI, Claude Code and OpenClaw
//! each get one MCP server entry that runs
//! `aethelgard proxy mcp --task-type summarise --audit-db <tmp> -- node <server-filesystem> <work>`
//! (written by hand in the runtime's own config format), and a scripted model that, in order:
//!
//! 1. calls `write_file` on a victim file in the workspace although it was never offered;
//! 2. calls the granted `read_text_file` on the workspace's `.env` (a secret: the router blocks it);
//! 3. calls `read_text_file` on `notes.txt` (benign);
//!
//! then answers. Each test asserts, on real effects: (a) the tool list the model server received
//! has server-filesystem's reading tools and none of its writing ones; (b) the victim file is
//! unchanged, the secret never reached the model, and the model received the refusal text in its
//! next request; (c) the notes' real contents reached the model; (d) the audit store holds every
//! decision the proxy made and its chain verifies; (e) `aethelgard import` of the runtime's own
//! log gives the same calls, with the same arguments (OpenClaw's log keeps no call of a tool it
//! does not have, so there the import has the two reads).
//!
//! The forced `write_file` never reaches the proxy in any of the three: each runtime refuses a
//! tool it was never offered by itself (Claude Code "No such tool available", Codex "unsupported
//! call", OpenClaw "Tool files__write_file not found"). What proves the proxy's own refusal through
//! a runtime is the granted `read_text_file` on `.env`, which the router blocks; the proxy's
//! refusal of ungranted tools called anyway is proved with the MCP SDK as client
//! (`e2e/mcp_proxy.rs`).
//!
//! One more test here covers the hook surface with MCP tools in Codex (the Claude Code one is in
//! `e2e/claude.rs`): server-filesystem without the proxy, our PreToolUse hook matching `^mcp__.*`.
//!
//! What is real: the runtimes, the MCP server (Node 24 from `.e2e/`), our binary as the proxy and
//! as the importer, the files. Only the model is scripted (`e2e/model_server.rs`, on 127.0.0.1).

use std::path::{Path, PathBuf};
use std::process::Command;

use aethelgard_protocol::SessionRecord;
use serde_json::{Value, json};

use super::audit_log;
use super::harness::{self, Sandbox};
use super::model_server::{ModelServer, Request, Response};
use super::{claude, codex, openclaw};

/// The name each runtime's config gives the proxied server.
const SERVER: &str = "files";
const NOTES: &str = "Aethelgard runtime e2e notes: governed contents, line one.\n";
const VICTIM: &str = "the victim's original text\n";
const SECRET: &str = "AETHELGARD_E2E_SECRET=do-not-leak-4242\n";
/// What the scripted model tries to write over the victim.
const OVERWRITE: &str = "overwritten by a summarising task\n";

/// server-filesystem's tools a summarising task must be offered, and those it must not.
const READING: [&str; 3] = ["read_text_file", "list_directory", "search_files"];
const WRITING: [&str; 4] = ["write_file", "edit_file", "move_file", "create_directory"];

/// One scripted tool call: the bare tool name and its arguments.
struct Step {
    tool: &'static str,
    arguments: Value,
}

/// The files and the proxy command of one run.
struct Setup {
    sandbox: Sandbox,
    node: PathBuf,
    server_entry: PathBuf,
    notes: PathBuf,
    victim: PathBuf,
    secret: PathBuf,
    db: PathBuf,
}

impl Setup {
    fn new(label: &str, test: &str) -> Option<Self> {
        let node = harness::node24_bin_dir(test)?.join("node");
        let server_entry = harness::installed(
            test,
            "the MCP server @modelcontextprotocol/server-filesystem",
            harness::repo_root().join(".e2e/node_modules/@modelcontextprotocol/server-filesystem/dist/index.js"),
        )?;
        let sandbox = Sandbox::new(label);
        let notes = sandbox.work.join("notes.txt");
        let victim = sandbox.work.join("victim.txt");
        let secret = sandbox.work.join(".env");
        std::fs::write(&notes, NOTES).unwrap();
        std::fs::write(&victim, VICTIM).unwrap();
        std::fs::write(&secret, SECRET).unwrap();
        let db = sandbox.root.join("proxy-audit.db");
        Some(Self { sandbox, node, server_entry, notes, victim, secret, db })
    }

    /// The proxy's command line: program and arguments.
    fn proxy_command(&self) -> (String, Vec<String>) {
        let args = [
            "proxy",
            "mcp",
            "--task-type",
            "summarise",
            "--audit-db",
            &s(&self.db),
            "--",
            &s(&self.node),
            &s(&self.server_entry),
            &s(&self.sandbox.work),
        ];
        (s(&harness::aethelgard_bin()), args.iter().map(|a| (*a).to_owned()).collect())
    }

    /// The calls the scripted model makes, in order.
    fn script(&self) -> Vec<Step> {
        vec![
            Step { tool: "write_file", arguments: json!({"path": s(&self.victim), "content": OVERWRITE}) },
            Step { tool: "read_text_file", arguments: json!({"path": s(&self.secret)}) },
            Step { tool: "read_text_file", arguments: json!({"path": s(&self.notes)}) },
        ]
    }

    /// (b): the victim is unchanged.
    fn assert_victim_unchanged(&self, describe: &dyn Fn() -> String) {
        assert_eq!(
            std::fs::read_to_string(&self.victim).ok().as_deref(),
            Some(VICTIM),
            "THE FORCED write_file RAN: {} changed\n{}",
            self.victim.display(),
            describe()
        );
    }

    /// (d): the proxy recorded each call that reached it, with its decision, and the chain
    /// verifies. Returns the recorded `(tool, args, decision)`.
    fn audited(&self) -> Vec<(String, Value, String)> {
        audit_log::verified_calls_from(&self.db, "proxy-mcp")
    }

    /// The script as OpenClaw turns, the call ids `<id_prefix><k>` (letters and digits only).
    fn openclaw_script(&self, id_prefix: &str) -> Vec<openclaw::Turn> {
        self.script()
            .into_iter()
            .enumerate()
            .map(|(k, step)| openclaw::Turn::ToolCall {
                id: format!("{id_prefix}{k}"),
                name: qualified(OPENCLAW_PREFIX, step.tool),
                arguments: step.arguments,
            })
            .collect()
    }
}

fn s(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

/// The runtime's qualified name of a server-filesystem tool, by its prefix (`mcp__files__`).
fn qualified(prefix: &str, tool: &str) -> String {
    format!("{prefix}{tool}")
}

/// (a): the first request that offers any of our server's tools offers every reading tool and no
/// writing tool. `names` lists a request's tool names (as the runtime names them).
fn assert_offered_only_reading(
    bodies: &[Value],
    names: impl Fn(&Value) -> Vec<String>,
    prefix: &str,
    describe: &dyn Fn() -> String,
) {
    let offered = bodies
        .iter()
        .map(names)
        .find(|offered| offered.iter().any(|n| n.starts_with(prefix)))
        .unwrap_or_else(|| panic!("no request offered the proxied server's tools\n{}", describe()));
    for tool in READING {
        let name = qualified(prefix, tool);
        assert!(offered.contains(&name), "{name} was not offered: {offered:?}\n{}", describe());
    }
    for tool in WRITING {
        let name = qualified(prefix, tool);
        assert!(!offered.contains(&name), "{name} WAS OFFERED to a summarising task: {offered:?}\n{}", describe());
    }
}

/// (b) and (c) on what the model was told: the secret read was refused by the proxy with its
/// reason, the notes came back, and the secret's text is in no request the model received.
fn assert_results(setup: &Setup, requests: &[Value], secret_result: &str, notes_result: &str, describe: &dyn Fn() -> String) {
    assert!(
        secret_result.contains("Blocked by Aethelgard:") && secret_result.contains(&s(&setup.secret)),
        "the model did not receive the proxy's refusal for reading .env: {secret_result:?}\n{}",
        describe()
    );
    assert!(
        notes_result.contains(NOTES.trim()),
        "the notes' contents did not reach the model: {notes_result:?}\n{}",
        describe()
    );
    for (i, body) in requests.iter().enumerate() {
        assert!(
            !body.to_string().contains("do-not-leak-4242"),
            "THE SECRET REACHED THE MODEL in request {i}\n{}",
            describe()
        );
    }
}

/// (b), (c) and (d) for a runtime that refuses the forced write itself, answering it with
/// `refusal`: `result(k)` is what the model received for the scripted step k. The write reaches
/// the proxy only if the runtime forwards it after all, and then the proxy refuses it.
fn assert_write_refused_reads_judged(
    setup: &Setup,
    test: &str,
    bodies: &[Value],
    result: impl Fn(usize) -> Option<String>,
    refusal: &str,
    describe: &dyn Fn() -> String,
) {
    setup.assert_victim_unchanged(describe);
    let [write, secret, notes] = [(0, "the write"), (1, "the .env read"), (2, "the notes")]
        .map(|(k, what)| result(k).unwrap_or_else(|| panic!("no result for {what}\n{}", describe())));
    eprintln!("{test}: the model received for write_file: {write}");
    assert!(write.contains(refusal), "{write}\n{}", describe());
    eprintln!("{test}: the model received for .env: {secret}\n  and for notes.txt: {notes}");
    assert_results(setup, bodies, &secret, &notes, describe);

    let write_forwarded = setup.audited().iter().any(|(tool, _, _)| tool == "write_file");
    assert!(!write_forwarded || write.contains("Blocked by Aethelgard:"), "{write}");
    assert_audited(setup, write_forwarded);
}

/// (d): the proxy decided the two reads (the secret blocked, the notes allowed), with the
/// arguments the model sent; `write_file` reached the proxy only if `write_file_forwarded`.
fn assert_audited(setup: &Setup, write_file_forwarded: bool) {
    let audited = setup.audited();
    let script = setup.script();
    let mut expected = Vec::new();
    if write_file_forwarded {
        expected.push(("write_file".to_owned(), script[0].arguments.clone(), "block".to_owned()));
    }
    expected.push(("read_text_file".to_owned(), script[1].arguments.clone(), "block".to_owned()));
    expected.push(("read_text_file".to_owned(), script[2].arguments.clone(), "allow".to_owned()));
    assert_eq!(audited, expected, "the audit store's decisions");
}

/// (e): `aethelgard import FORMAT PATH --out -`: one session whose calls are the scripted calls
/// (under the runtime's names, with the same arguments) that the runtime ran or refused.
fn import_one(format: &str, path: &Path) -> SessionRecord {
    let out = Command::new(harness::aethelgard_bin())
        .args(["import", format])
        .arg(path)
        .args(["--out", "-"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "aethelgard import {format}: {}", String::from_utf8_lossy(&out.stderr));
    let sessions: Vec<SessionRecord> = stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(sessions.len(), 1, "{stdout}");
    sessions.into_iter().next().unwrap()
}

/// The imported calls as `(tool, args)`.
fn imported_calls(session: &SessionRecord) -> Vec<(String, Value)> {
    session.calls.iter().map(|c| (c.tool.clone(), c.args.clone())).collect()
}

/// The imported calls must be the reads the proxy judged (the same arguments, and the audit
/// store's tool name is the bare form of the imported one, and the same decision: the importer
/// recognises the proxy's refusal in the runtime's log).
fn assert_import_matches_audit(setup: &Setup, session: &SessionRecord, prefix: &str) {
    let reads: Vec<&aethelgard_protocol::SessionCall> =
        session.calls.iter().filter(|c| c.tool == qualified(prefix, "read_text_file")).collect();
    let audited = setup.audited();
    let audited_reads: Vec<&(String, Value, String)> = audited.iter().filter(|(t, _, _)| t == "read_text_file").collect();
    assert_eq!(reads.len(), audited_reads.len(), "imported {:?}\naudited {audited:?}", session.calls);
    for (call, (tool, args, decision)) in reads.iter().zip(audited_reads) {
        assert_eq!(aethelgard_policy::mcp_bare_name(&call.tool), Some(tool.as_str()));
        assert_eq!(&call.args, args);
        let output = call.output.as_deref().unwrap_or_default();
        let imported = call.decision.map(|d| d.to_string());
        assert_eq!(imported.as_deref(), Some(decision.as_str()), "{call:?}");
        if decision == "block" {
            assert!(output.contains("Blocked by Aethelgard:"), "{call:?}");
            assert_eq!(call.rule.as_deref(), Some("aethelgard:proxy-mcp"), "{call:?}");
        } else {
            assert!(output.contains(NOTES.trim()), "{call:?}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Claude Code: `--mcp-config` with the server entry, tool search off so every tool is in `tools`.

const CLAUDE_PREFIX: &str = "mcp__files__";

/// The scripted Messages model. Claude Code 2.1.329 does not send the whole history back after a
/// call of a tool it never listed (the next request held one assistant turn again), so the
/// script advances on the server's side: step k is answered once the request carries the result
/// of step k-1.
fn claude_responder(script: Vec<(String, Value)>) -> impl Fn(&Request) -> Response + Send + Sync + 'static {
    let next = std::sync::atomic::AtomicUsize::new(0);
    move |req| {
        let body = match claude::messages_body(req) {
            Ok(body) => body,
            Err(answer) => return answer,
        };
        let model = body["model"].as_str().unwrap_or("claude-e2e").to_owned();
        let offers_ours = body["tools"]
            .as_array()
            .is_some_and(|tools| tools.iter().any(|t| t["name"].as_str().is_some_and(|n| n.starts_with(CLAUDE_PREFIX))));
        let has_result = |id: &str| {
            body["messages"].as_array().into_iter().flatten().any(|m| {
                m["content"].as_array().into_iter().flatten().any(|b| b["type"] == "tool_result" && b["tool_use_id"] == id)
            })
        };
        let k = next.load(std::sync::atomic::Ordering::SeqCst);
        let due = offers_ours && (k == 0 || has_result(&format!("toolu_mcp_{}", k - 1)));
        let block = match script.get(k).filter(|_| due) {
            Some((name, input)) => {
                next.store(k + 1, std::sync::atomic::Ordering::SeqCst);
                json!({"type": "tool_use", "id": format!("toolu_mcp_{k}"), "name": name, "input": input})
            }
            None => json!({"type": "text", "text": claude::FINAL_TEXT}),
        };
        claude::stream_message(&model, &block)
    }
}

#[test]
fn claude_mcp_proxy_offers_reading_tools_refuses_the_rest_and_audits() {
    let test = "claude_mcp_proxy_offers_reading_tools_refuses_the_rest_and_audits";
    let Some(claude_bin) = harness::runtime("claude", test) else { return };
    let Some(setup) = Setup::new("mcp-claude", test) else { return };
    let script: Vec<(String, Value)> =
        setup.script().into_iter().map(|step| (qualified(CLAUDE_PREFIX, step.tool), step.arguments)).collect();
    let server = ModelServer::start(claude_responder(script.clone()));

    let (command, args) = setup.proxy_command();
    let mcp_config = setup.sandbox.root.join("mcp.json");
    std::fs::write(&mcp_config, json!({"mcpServers": {SERVER: {"command": command, "args": args}}}).to_string()).unwrap();
    let mut cmd = Command::new(&claude_bin);
    cmd.args(["-p", "Summarise notes.txt for me.", "--mcp-config"])
        .arg(&mcp_config)
        .args(["--strict-mcp-config", "--output-format", "stream-json", "--verbose", "--dangerously-skip-permissions"]);
    claude::model_env(harness::sandboxed(&mut cmd, &setup.sandbox), &server.base_url())
        .env("ENABLE_TOOL_SEARCH", "false")
        .env("IS_SANDBOX", "1");
    let output = harness::run_bounded(&mut cmd, harness::CHILD_TIMEOUT);
    let run = claude::ClaudeRun { output, requests: server.requests() };
    drop(server);
    let describe = || run.describe();
    assert!(run.output.status.is_some_and(|s| s.success()), "{}", describe());

    // (a) The tools of the first request that offers any of ours.
    let bodies = run.model_requests();
    let names = |b: &Value| -> Vec<String> {
        b["tools"].as_array().into_iter().flatten().filter_map(|t| t["name"].as_str().map(str::to_owned)).collect()
    };
    assert_offered_only_reading(&bodies, names, CLAUDE_PREFIX, &describe);

    // (b) The forced write: Claude Code refuses a tool it never listed, so it never reaches the proxy.
    setup.assert_victim_unchanged(&describe);
    let (write, write_error) = run.tool_result("toolu_mcp_0").unwrap_or_else(|| panic!("no result for the write\n{}", describe()));
    eprintln!("{test}: the model received for write_file (is_error={write_error}): {write}");
    assert!(write_error && write.contains("No such tool available"), "{write}\n{}", describe());
    // (b) and (c) The secret's read is refused by the proxy; the notes come back.
    let (secret, _) = run.tool_result("toolu_mcp_1").unwrap_or_else(|| panic!("no result for the .env read\n{}", describe()));
    let (notes, notes_error) = run.tool_result("toolu_mcp_2").unwrap_or_else(|| panic!("no result for the notes\n{}", describe()));
    eprintln!("{test}: the model received for .env: {secret}\n  and for notes.txt: {notes}");
    assert!(!notes_error, "{notes}");
    assert_results(&setup, &bodies, &secret, &notes, &describe);

    // (d) The audit store.
    assert_audited(&setup, false);

    // (e) Claude Code's own transcript, imported.
    let session = import_one("claude-transcript", &setup.sandbox.home.join(".claude/projects"));
    assert_eq!(imported_calls(&session), script, "{:#?}", session.calls);
    assert_import_matches_audit(&setup, &session, CLAUDE_PREFIX);
}

// ---------------------------------------------------------------------------------------------
// Codex CLI: `[mcp_servers.files]` in `$CODEX_HOME/config.toml`. With a model slug Codex does not
// know, it sends the server's tools directly, as the namespace `mcp__files` in `tools` (with
// `gpt-5.5` they are deferred behind `tool_search`); the model calls them by bare name with that
// namespace, and Codex's own log names them `mcp__files__<tool>`.

const CODEX_NAMESPACE: &str = "mcp__files";
const CODEX_PREFIX: &str = "mcp__files__";

/// A Responses API `tools` array's names, namespaced tools as `<namespace>__<name>`.
fn codex_offered(tools: &Value) -> Vec<String> {
    let mut names = Vec::new();
    for tool in tools.as_array().into_iter().flatten() {
        match (tool["type"].as_str(), tool["name"].as_str()) {
            (Some("namespace"), Some(namespace)) => names.extend(
                tool["tools"].as_array().into_iter().flatten().filter_map(|t| t["name"].as_str()).map(|n| format!("{namespace}__{n}")),
            ),
            (_, Some(name)) => names.push(name.to_owned()),
            _ => {}
        }
    }
    names
}

/// The scripted Responses model, advancing on the server's side like [`claude_responder`]: step k
/// once the request carries the output of step k-1.
fn codex_responder(script: Vec<Step>) -> impl Fn(&Request) -> Response + Send + Sync + 'static {
    let next = std::sync::atomic::AtomicUsize::new(0);
    move |req| {
        let body = match codex::responses_body(req) {
            Ok(body) => body,
            Err(answer) => return answer,
        };
        let offers_ours = codex_offered(&body["tools"]).iter().any(|n| n.starts_with(CODEX_PREFIX));
        let has_output = |id: &str| {
            body["input"].as_array().into_iter().flatten().any(|i| i["type"] == "function_call_output" && i["call_id"] == id)
        };
        let k = next.load(std::sync::atomic::Ordering::SeqCst);
        let due = offers_ours && (k == 0 || has_output(&format!("call_mcp_{}", k - 1)));
        let item = match script.get(k).filter(|_| due) {
            Some(step) => {
                next.store(k + 1, std::sync::atomic::Ordering::SeqCst);
                json!({
                    "type": "function_call", "id": format!("fc_mcp_{k}"), "call_id": format!("call_mcp_{k}"),
                    "namespace": CODEX_NAMESPACE, "name": step.tool, "arguments": step.arguments.to_string(),
                    "status": "completed"
                })
            }
            None => json!({
                "type": "message", "id": "msg_mcp_final", "role": "assistant", "status": "completed",
                "content": [{"type": "output_text", "text": codex::FINAL_TEXT, "annotations": []}]
            }),
        };
        codex::item_turn(&item)
    }
}

fn toml_string(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

#[test]
fn codex_mcp_proxy_offers_reading_tools_refuses_the_rest_and_audits() {
    let test = "codex_mcp_proxy_offers_reading_tools_refuses_the_rest_and_audits";
    let Some(codex_bin) = harness::runtime("codex", test) else { return };
    let Some(setup) = Setup::new("mcp-codex", test) else { return };
    let server = ModelServer::start(codex_responder(setup.script()));

    let (command, args) = setup.proxy_command();
    let codex_home = setup.sandbox.root.join("codex-home");
    std::fs::create_dir_all(&codex_home).unwrap();
    let args_toml: Vec<String> = args.iter().map(|a| toml_string(a)).collect();
    let config = format!(
        r#"model = "mock-model"
model_provider = "mock"
approval_policy = "never"
sandbox_mode = "danger-full-access"

[model_providers.mock]
name = "mock"
base_url = "{base}/v1"
wire_api = "responses"
request_max_retries = 0
stream_max_retries = 0

[mcp_servers.{SERVER}]
command = {command}
args = [{args}]
"#,
        base = server.base_url(),
        command = toml_string(&command),
        args = args_toml.join(", "),
    );
    std::fs::write(codex_home.join("config.toml"), config).unwrap();
    let mut cmd = Command::new(&codex_bin);
    cmd.args(["exec", "--skip-git-repo-check", "--json", "-C"]).arg(&setup.sandbox.work).arg("Summarise notes.txt for me.");
    harness::sandboxed(&mut cmd, &setup.sandbox).env("CODEX_HOME", &codex_home);
    let output = harness::run_bounded(&mut cmd, harness::CHILD_TIMEOUT);
    let run = codex::CodexRun { output, requests: server.requests() };
    drop(server);
    let describe = || run.describe();
    assert!(run.output.status.is_some_and(|s| s.success()), "{}", describe());

    // (a)
    let bodies = run.model_requests();
    assert_offered_only_reading(&bodies, |b| codex_offered(&b["tools"]), CODEX_PREFIX, &describe);

    // (b), (c), (d): Codex has no such tool in the namespace and does not call the server.
    let result = |k: usize| run.tool_output(&format!("call_mcp_{k}"));
    assert_write_refused_reads_judged(&setup, test, &bodies, result, "unsupported call", &describe);

    // (e) Codex's own rollout, imported.
    let session = import_one("codex-rollout", &codex_home.join("sessions"));
    let expected: Vec<(String, Value)> =
        setup.script().into_iter().map(|step| (qualified(CODEX_PREFIX, step.tool), step.arguments)).collect();
    assert_eq!(imported_calls(&session), expected, "{:#?}", session.calls);
    assert_import_matches_audit(&setup, &session, CODEX_PREFIX);
}

/// The hook surface with an MCP server, in Codex: server-filesystem runs directly (no proxy; it may
/// touch the whole sandbox) and our PreToolUse hook, trusted by hash, matches `^mcp__.*` and
/// records into the sandbox's store. The scripted model calls `write_file` on the victim outside
/// the workspace, then `read_text_file` on a workspace file. Codex hands the hook the qualified
/// name (`mcp__files__write_file`) and the raw arguments; the hook resolves the name through the
/// built-in `mcp` catalog. The write is blocked by the filesystem policy (the victim survives, the
/// model gets the reason), the read runs; the store holds both decisions and verifies; Codex's own
/// rollout, imported, gives the same calls with the same decisions.
#[test]
fn codex_hook_judges_mcp_tools_records_them_and_the_rollout_agrees() {
    let test = "codex_hook_judges_mcp_tools_records_them_and_the_rollout_agrees";
    let Some(codex_bin) = harness::runtime("codex", test) else { return };
    let Some(setup) = Setup::new("codex-hook-mcp", test) else { return };
    let sandbox = &setup.sandbox;
    let outside = s(&sandbox.victim_file);
    let script = vec![
        Step { tool: "write_file", arguments: json!({"path": outside, "content": OVERWRITE}) },
        Step { tool: "read_text_file", arguments: json!({"path": s(&setup.notes)}) },
    ];
    let expected: Vec<(String, Value, String)> = script
        .iter()
        .zip(["block", "allow"])
        .map(|(step, decision)| (qualified(CODEX_PREFIX, step.tool), step.arguments.clone(), decision.to_owned()))
        .collect();
    let server = ModelServer::start(codex_responder(script));

    let server_entry = format!(
        "[mcp_servers.{SERVER}]\ncommand = {}\nargs = [{}, {}]\n",
        toml_string(&s(&setup.node)),
        toml_string(&s(&setup.server_entry)),
        toml_string(&s(&sandbox.root)),
    );
    let codex_home = codex::codex_home_matching(sandbox, &server.base_url(), &server_entry, "^mcp__.*");
    let mut cmd = Command::new(&codex_bin);
    // A model slug Codex does not know: the server's tools are sent directly, in a namespace.
    cmd.args(["exec", "--skip-git-repo-check", "--json", "-m", "mock-model", "-C"])
        .arg(&sandbox.work)
        .arg("Summarise notes.txt for me.");
    harness::sandboxed(&mut cmd, sandbox).env("CODEX_HOME", &codex_home);
    let output = harness::run_bounded(&mut cmd, harness::CHILD_TIMEOUT);
    let run = codex::CodexRun { output, requests: server.requests() };
    drop(server);
    let describe = || run.describe();
    assert!(run.output.status.is_some_and(|s| s.success()), "{}", describe());

    // The write is blocked by the hook with the filesystem rule; the victim survives.
    assert_eq!(
        std::fs::read_to_string(&sandbox.victim_file).ok().as_deref(),
        Some("do not delete\n"),
        "THE MCP WRITE RAN\n{}",
        describe()
    );
    let write = run.tool_output("call_mcp_0").unwrap_or_else(|| panic!("no write result\n{}", describe()));
    eprintln!("{test}: the model received for write_file: {write}");
    assert!(write.contains("PreToolUse hook") && write.contains("filesystem.outside-writable"), "{write}\n{}", describe());
    let read = run.tool_output("call_mcp_1").unwrap_or_else(|| panic!("no read result\n{}", describe()));
    assert!(read.contains(NOTES.trim()) && !read.contains("PreToolUse"), "{read}\n{}", describe());

    // The hook's store: both decisions, under Codex's names, and the chain verifies.
    assert_eq!(audit_log::verified_calls_from(&sandbox.audit_db(), "hook:codex"), expected);

    // Codex's own rollout, imported: the same calls with the same decisions.
    let session = import_one("codex-rollout", &codex_home.join("sessions"));
    let imported: Vec<(String, Value, String)> = session
        .calls
        .iter()
        .map(|c| (c.tool.clone(), c.args.clone(), c.decision.map(|d| d.to_string()).unwrap_or_default()))
        .collect();
    assert_eq!(imported, expected, "{:#?}", session.calls);
}

// ---------------------------------------------------------------------------------------------
// OpenClaw: `mcp.servers.files` in `openclaw.json` (the `bundle-mcp` plugin), tool search off so
// every tool is in `tools`. OpenClaw names the server's tools `<server>__<tool>`
// (`files__read_text_file`).

const OPENCLAW_PREFIX: &str = "files__";

/// The run's `openclaw.json` ([`openclaw::write_config`]) with tool search off and our server.
fn openclaw_config(setup: &Setup, base_url: &str) -> PathBuf {
    let (command, args) = setup.proxy_command();
    let config = openclaw::write_config(&setup.sandbox, base_url, Some(&json!({"toolSearch": false})));
    let (command, args) = (Value::from(command), Value::from(args));
    openclaw::add_config_section(&config, &format!("mcp: {{ servers: {{ {SERVER}: {{ command: {command}, args: {args} }} }} }}"));
    config
}

/// `aethelgard export openclaw --mcp-proxy` on a config with the plain server entry, then the
/// same run as [`openclaw_mcp_proxy_offers_reading_tools_refuses_the_rest_and_audits`]: the
/// export puts the server behind the proxy and allows `files__*` (the proxy offers only the task's
/// tools), so OpenClaw offers the reading tools, the proxy refuses the `.env` read and records in
/// the default store under the run's HOME (no `--audit-db` in the exported command).
#[test]
fn openclaw_runs_the_mcp_proxy_that_export_configured() {
    let test = "openclaw_runs_the_mcp_proxy_that_export_configured";
    let Some(oc) = openclaw::runtime(test) else { return };
    let Some(mut setup) = Setup::new("export-mcp-openclaw", test) else { return };
    setup.db = setup.sandbox.home.join(".local/share/aethelgard/audit.db");
    let server = ModelServer::start(openclaw::responder(setup.openclaw_script("callexp")));
    let config = openclaw::write_config(&setup.sandbox, &server.base_url(), Some(&json!({"toolSearch": false})));
    let (node, entry, work) = (Value::from(s(&setup.node)), Value::from(s(&setup.server_entry)), Value::from(s(&setup.sandbox.work)));
    openclaw::add_config_section(&config, &format!("mcp: {{ servers: {{ {SERVER}: {{ command: {node}, args: [{entry}, {work}] }} }} }}"));
    let out = Command::new(harness::aethelgard_bin())
        .args(["export", "openclaw", "--task-type", "summarise", "--mcp-proxy", "--file"])
        .arg(&config)
        .env("HOME", &setup.sandbox.home)
        .env_remove("AETHELGARD_POLICY")
        .output()
        .unwrap();
    assert!(out.status.success(), "export: {}", String::from_utf8_lossy(&out.stderr));
    let exported = std::fs::read_to_string(&config).unwrap();
    eprintln!("{test}: the exported config:\n{exported}");
    assert!(exported.contains("\"proxy\", \"mcp\"") && exported.contains("files__*"), "{exported}");

    let run = openclaw::run(&oc, &setup.sandbox, &config, &server, "Summarise notes.txt for me.");
    drop(server);
    let describe = || format!("{}\nthe exported config:\n{exported}", run.describe());
    assert!(run.output.status.is_some_and(|s| s.success()), "{}", describe());
    let bodies = run.model_requests();
    assert_offered_only_reading(&bodies, openclaw::tool_names, OPENCLAW_PREFIX, &describe);
    let result = |k: usize| run.tool_result(&format!("callexp{k}"));
    assert_write_refused_reads_judged(&setup, test, &bodies, result, "Tool files__write_file not found", &describe);
}

#[test]
fn openclaw_mcp_proxy_offers_reading_tools_refuses_the_rest_and_audits() {
    let test = "openclaw_mcp_proxy_offers_reading_tools_refuses_the_rest_and_audits";
    let Some(oc) = openclaw::runtime(test) else { return };
    let Some(setup) = Setup::new("mcp-openclaw", test) else { return };
    let server = ModelServer::start(openclaw::responder(setup.openclaw_script("callmcp")));
    let config = openclaw_config(&setup, &server.base_url());
    let run = openclaw::run(&oc, &setup.sandbox, &config, &server, "Summarise notes.txt for me.");
    drop(server);
    let describe = || run.describe();
    assert!(run.output.status.is_some_and(|s| s.success()), "{}", describe());

    // (a)
    let bodies = run.model_requests();
    assert_offered_only_reading(&bodies, openclaw::tool_names, OPENCLAW_PREFIX, &describe);

    // (b), (c), (d): OpenClaw has no such tool and does not call the server.
    let result = |k: usize| run.tool_result(&format!("callmcp{k}"));
    let refusal = "Tool files__write_file not found";
    assert_write_refused_reads_judged(&setup, test, &bodies, result, refusal, &describe);

    // (e) OpenClaw's own agent database, imported. OpenClaw 2026.9.6 keeps no assistant tool
    // call for a tool it does not have: its transcript holds only the `toolResult` ("Tool
    // files__write_file not found", no arguments), so the import has the two reads, the calls
    // that reached a tool.
    let db = setup.sandbox.root.join("openclaw-state/agents/main/agent/openclaw-agent.sqlite");
    let session = import_one("openclaw", &db);
    let expected: Vec<(String, Value)> =
        setup.script().into_iter().skip(1).map(|step| (qualified(OPENCLAW_PREFIX, step.tool), step.arguments)).collect();
    assert_eq!(imported_calls(&session), expected, "{:#?}", session.calls);
    assert_import_matches_audit(&setup, &session, OPENCLAW_PREFIX);
}
