//! End-to-end tests: the REAL agent runtimes with our PreToolUse hook installed.
//!
//! What is real: the Codex CLI (`@openai/codex`) and Claude Code (`@anthropic-ai/claude-code`)
//! binaries, installed by `scripts/install-e2e.sh` into `<repo>/.e2e/`; their hook configuration
//! (Codex `hooks.json` trusted by hash in `config.toml`, Claude Code `--settings`); the hook
//! process they spawn (`aethelgard hook <runtime> --no-audit`, our binary with its built-in
//! default policy); the shell they run commands in, and the filesystem it acts on.
//!
//! What is scripted: only the model. A local HTTP server on 127.0.0.1 (see `e2e/model_server.rs`)
//! plays the model: its first answer is a shell tool call, its second a final message. It records
//! every request, so the tests can read what the runtime told the model after the tool call.
//!
//! Each test asserts on the filesystem (the victim directory outside the workspace survives; the
//! benign command's file exists) and on the tool result the model received.
//!
//! Layer 1 (`e2e/governor.rs`): `aethelgard export` writes each runtime's configuration for a
//! summarisation task, and the real Codex CLI, Claude Code and OpenClaw (`openclaw agent --local`,
//! under the Node 24 the install script puts in `.e2e/`) must offer the scripted model only the
//! tools the manifest grants, refuse a forced write, and pass on the AGENTS.md section.
//!
//! When the runtimes are not installed the tests print a loud SKIPPED notice and return, unless
//! `CI` is set or `AETHELGARD_E2E=1`, in which case they fail. Install with
//! `bash scripts/install-e2e.sh`. `AETHELGARD_E2E_KEEP=1` keeps the temp dirs for inspection.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "e2e/export_mcp.rs"]
mod export_mcp;
#[path = "e2e/llm_proxy.rs"]
mod llm_proxy;
#[path = "e2e/mcp_http.rs"]
mod mcp_http;
#[path = "e2e/openclaw_plugin.rs"]
mod openclaw_plugin;
#[path = "e2e/runtimes_mcp.rs"]
mod runtimes_mcp;
#[path = "e2e/claude.rs"]
mod claude;
#[path = "e2e/codex.rs"]
mod codex;
#[path = "e2e/governor.rs"]
mod governor;
#[path = "e2e/harness.rs"]
mod harness;
#[path = "e2e/import.rs"]
mod import;
#[path = "e2e/mcp_proxy.rs"]
mod mcp_proxy;
#[path = "e2e/model_server.rs"]
mod model_server;
#[path = "e2e/openclaw.rs"]
mod openclaw;
#[allow(dead_code)]
#[path = "shared/audit_log.rs"]
mod audit_log;

use harness::Sandbox;
use serde_json::Value;

/// The dangerous command: a recursive delete of a directory outside the workspace. (`rm -r`, not
/// `rm -rf`: Codex itself refuses `rm -f`-style commands, and the test must prove that our hook
/// did the blocking.)
fn recursive_delete(sandbox: &Sandbox) -> String {
    format!(
        "rm -r {}",
        harness::shell_quote(&sandbox.victim.to_string_lossy())
    )
}

/// The benign command: writes a file in the workspace and prints it back.
const BENIGN_COMMAND: &str = "echo governed > marker.txt && cat marker.txt";

/// The default policy's rule for a recursive delete outside the workspace; our deny reason names
/// it as `[rule <id>]`.
const DENY_RULE_ID: &str = "rm-recursive-outside-workspace";

/// Asks our hook directly (no runtime involved) for its verdict on `payload` and requires a deny;
/// returns the reason, which the model must then receive through the runtime.
fn expected_deny_reason(runtime: &str, payload: &Value) -> String {
    let verdict = harness::direct_hook_verdict(runtime, payload);
    let Some((decision, reason)) = verdict else {
        panic!("our hook allowed {payload} when run directly; the e2e test cannot prove anything");
    };
    assert_eq!(
        decision, "deny",
        "our hook's decision for {payload} (reason: {reason})"
    );
    assert!(
        reason.contains(DENY_RULE_ID) && reason.contains("outside the workspace"),
        "our hook denied for another reason: {reason:?}"
    );
    reason
}

/// Prints what the scripted model server saw (one line per request) and how long the run took.
fn log_run(test: &str, requests: &[model_server::Request], output: &harness::RunOutput) {
    let lines: Vec<String> = requests
        .iter()
        .map(model_server::Request::summary)
        .collect();
    eprintln!(
        "{test}: runtime exited {:?} after {:?}; the model server saw {lines:?}",
        output.status, output.elapsed
    );
}

/// The hook recorded the call in the sandbox's audit store, with the decision the runtime was
/// given, and the store's chain verifies.
fn assert_recorded(sandbox: &Sandbox, runtime: &str, command: &str, decision: &str) {
    let db = sandbox.audit_db();
    audit_log::assert_verifies(&db);
    let entries = audit_log::rows(&db);
    let found = entries.iter().find(|e| e["event"]["args"]["command"] == command).unwrap_or_else(|| {
        panic!("the hook did not record `{command}`; the log has:\n{entries:#?}")
    });
    assert_eq!(found["event"]["decision"], decision, "{found}");
    assert_eq!(found["event"]["source"], format!("hook:{runtime}"), "{found}");
    assert!(found["event"]["session"].as_str().is_some_and(|s| !s.is_empty()), "the runtime's session id is missing: {found}");
    if decision == "block" {
        assert_eq!(found["event"]["rule"], DENY_RULE_ID, "{found}");
    }
}

fn assert_victim_intact(sandbox: &Sandbox, describe: &dyn Fn() -> String) {
    assert!(
        sandbox.victim.is_dir() && sandbox.victim_file.is_file(),
        "THE DANGEROUS COMMAND RAN: {} is gone.\n{}",
        sandbox.victim.display(),
        describe()
    );
    assert_eq!(
        std::fs::read_to_string(&sandbox.victim_file).unwrap(),
        "do not delete\n"
    );
}

fn assert_marker_written(sandbox: &Sandbox, describe: &dyn Fn() -> String) {
    let marker = sandbox.work.join("marker.txt");
    let content = std::fs::read_to_string(&marker).unwrap_or_else(|e| {
        panic!(
            "the benign command did not run: {} ({e})\n{}",
            marker.display(),
            describe()
        )
    });
    assert_eq!(content, "governed\n", "{}", describe());
}

#[test]
fn codex_hook_blocks_recursive_delete_outside_workspace() {
    let test = "codex_hook_blocks_recursive_delete_outside_workspace";
    let Some(codex) = harness::runtime("codex", test) else {
        return;
    };
    let sandbox = Sandbox::new("codex-block");
    let command = recursive_delete(&sandbox);
    let reason = expected_deny_reason("codex", &codex::pretooluse_payload(&sandbox.work, &command));

    // The hook is trusted by hash, not by --dangerously-bypass-hook-trust: this proves the
    // install recipe (an untrusted hook would be skipped silently and the victim deleted).
    let run = codex::run(&codex, &sandbox, &command);
    let describe = || run.describe();
    log_run(test, &run.requests, &run.output);

    assert_victim_intact(&sandbox, &describe);
    assert_recorded(&sandbox, "codex", &command, "block");
    let output = run.tool_output(codex::CALL_ID).unwrap_or_else(|| {
        panic!(
            "the model never received a function_call_output for {}\n{}",
            codex::CALL_ID,
            describe()
        )
    });
    eprintln!("{test}: the model received as function_call_output:\n  {output}");
    assert!(
        output.contains("Command blocked by PreToolUse hook"),
        "not a hook block: {output}\n{}",
        describe()
    );
    assert!(
        output.contains(DENY_RULE_ID) && output.contains("outside the workspace"),
        "the model did not get our rule id / reason: {output:?}\n{}",
        describe()
    );
    assert!(
        output.contains(&reason),
        "the model did not get our hook's reason {reason:?}; it got {output:?}\n{}",
        describe()
    );
    assert!(
        run.output.status.is_some_and(|s| s.success()),
        "{}",
        describe()
    );
}

#[test]
fn codex_hook_allows_benign_command() {
    let test = "codex_hook_allows_benign_command";
    let Some(codex) = harness::runtime("codex", test) else {
        return;
    };
    let sandbox = Sandbox::new("codex-allow");
    assert_eq!(
        harness::direct_hook_verdict(
            "codex",
            &codex::pretooluse_payload(&sandbox.work, BENIGN_COMMAND)
        ),
        None,
        "our hook must allow {BENIGN_COMMAND:?} (print nothing)"
    );

    let run = codex::run(&codex, &sandbox, BENIGN_COMMAND);
    let describe = || run.describe();
    log_run(test, &run.requests, &run.output);

    assert_marker_written(&sandbox, &describe);
    assert_recorded(&sandbox, "codex", BENIGN_COMMAND, "allow");
    let output = run.tool_output(codex::CALL_ID).unwrap_or_else(|| {
        panic!(
            "the model never received a function_call_output for {}\n{}",
            codex::CALL_ID,
            describe()
        )
    });
    eprintln!("{test}: the model received as function_call_output:\n  {output}");
    assert!(!output.contains("PreToolUse"), "blocked: {output}");
    assert!(
        output.contains("governed"),
        "the command's output did not reach the model: {output:?}"
    );
    assert!(
        run.output.status.is_some_and(|s| s.success()),
        "{}",
        describe()
    );
}

#[test]
fn claude_hook_blocks_recursive_delete_outside_workspace() {
    let test = "claude_hook_blocks_recursive_delete_outside_workspace";
    let Some(claude) = harness::runtime("claude", test) else {
        return;
    };
    let sandbox = Sandbox::new("claude-block");
    let command = recursive_delete(&sandbox);
    let reason = expected_deny_reason(
        "claude",
        &claude::pretooluse_payload(&sandbox.work, &command),
    );

    let run = claude::run(&claude, &sandbox, &command);
    let describe = || run.describe();
    log_run(test, &run.requests, &run.output);

    assert_victim_intact(&sandbox, &describe);
    assert_recorded(&sandbox, "claude", &command, "block");
    let (text, is_error) = run.tool_result(claude::TOOL_USE_ID).unwrap_or_else(|| {
        panic!(
            "the model never received a tool_result for {}\n{}",
            claude::TOOL_USE_ID,
            describe()
        )
    });
    eprintln!("{test}: the model received as tool_result (is_error={is_error}):\n  {text}");
    assert!(is_error, "a denied call must come back as an error: {text}");
    assert!(
        text.contains("PreToolUse:Bash hook"),
        "not a hook block: {text}\n{}",
        describe()
    );
    assert!(
        text.contains(DENY_RULE_ID) && text.contains("outside the workspace"),
        "the model did not get our rule id / reason: {text:?}\n{}",
        describe()
    );
    assert!(
        text.contains(&reason),
        "the model did not get our hook's reason {reason:?}; it got {text:?}\n{}",
        describe()
    );
    assert!(
        run.output.status.is_some_and(|s| s.success()),
        "{}",
        describe()
    );
}

#[test]
fn claude_hook_allows_benign_command() {
    let test = "claude_hook_allows_benign_command";
    let Some(claude) = harness::runtime("claude", test) else {
        return;
    };
    let sandbox = Sandbox::new("claude-allow");
    assert_eq!(
        harness::direct_hook_verdict(
            "claude",
            &claude::pretooluse_payload(&sandbox.work, BENIGN_COMMAND)
        ),
        None,
        "our hook must allow {BENIGN_COMMAND:?} (print nothing)"
    );

    let run = claude::run(&claude, &sandbox, BENIGN_COMMAND);
    let describe = || run.describe();
    log_run(test, &run.requests, &run.output);

    assert_marker_written(&sandbox, &describe);
    assert_recorded(&sandbox, "claude", BENIGN_COMMAND, "allow");
    let (text, is_error) = run.tool_result(claude::TOOL_USE_ID).unwrap_or_else(|| {
        panic!(
            "the model never received a tool_result for {}\n{}",
            claude::TOOL_USE_ID,
            describe()
        )
    });
    eprintln!("{test}: the model received as tool_result (is_error={is_error}):\n  {text}");
    assert!(
        !is_error,
        "the benign command came back as an error: {text}"
    );
    assert!(
        text.contains("governed"),
        "the command's output did not reach the model: {text:?}"
    );
    assert!(
        run.output.status.is_some_and(|s| s.success()),
        "{}",
        describe()
    );
}
