//! Hook inputs from fuzzing (`fuzz/`, targets `hook_input` and `hook_structured`, and the
//! `shell_analyze` findings replayed through the hook; see `fuzz/README.md`). `hook::respond` must
//! answer every one of them, in bounded time, with a deny (Claude Code: deny or ask).
//!
//! Some of these inputs hang or allocate without bound when they regress, so each test runs its
//! body in a child process (this test binary, re-run on that one test) and kills it after a time limit (`tests/support/isolated.rs`).

use aethelgard_router::hook::{respond, Runtime};
use aethelgard_router::{Environment, Examples, Router};
use serde_json::{json, Value};

#[path = "../../../../tests/support/isolated.rs"]
mod support;

/// Runs `body` in a child process killed after the limit (`tests/support/isolated.rs`).
fn isolated(name: &str, body: impl FnOnce()) {
    // libtest names a test by its path without the crate: `suite::fuzz_regressions::NAME`.
    let module = module_path!().split_once("::").map_or("", |(_, rest)| rest);
    support::isolated(&format!("{module}::{name}"), body);
}

fn router() -> Router {
    Router::builtin(Environment::new("/home/dev", "/home/dev/project"), Examples::Trust).unwrap()
}

fn bash(command: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "hook_event_name": "PreToolUse",
        "tool_name": "Bash",
        "tool_input": { "command": command },
        "cwd": "/home/dev/project",
    }))
    .unwrap()
}

/// Both runtimes answer with something they enforce: Codex a deny, Claude Code a deny or an ask.
fn refused(input: &[u8]) {
    let router = router();
    for runtime in [Runtime::Codex, Runtime::Claude] {
        let response = respond(runtime, input, Ok(&router));
        let stdout = response.stdout.unwrap_or_else(|| panic!("{runtime:?}: no answer (the call would run)"));
        let value: Value = serde_json::from_str(&stdout).unwrap();
        let decision = value["hookSpecificOutput"]["permissionDecision"].as_str();
        let enforced = decision == Some("deny") || (runtime == Runtime::Claude && decision == Some("ask"));
        assert!(enforced, "{runtime:?}: {stdout}");
        assert!(!value["hookSpecificOutput"]["permissionDecisionReason"].as_str().unwrap_or("").trim().is_empty(), "{stdout}");
    }
}

/// A panic inside brush-parser's program parser (`peg.rs:695`, fd number above `i32::MAX`) is
/// caught by the shell analyser; the call is still refused.
#[test]
fn fuzz_hook_parser_panic_io_number() {
    isolated("fuzz_hook_parser_panic_io_number", || refused(&bash("rm -rf ~ 6666666666>/dev/null")));
}

/// A panic inside brush-parser's word parser (`word.rs:909`, `~` followed by 20+ digits) escapes
/// the shell analyser; `Router::route`'s `catch_unwind` turns it into the fail mode's decision,
/// so the call is still refused (this guards that `catch_unwind`).
#[test]
fn fuzz_hook_word_parser_panic_tilde_dirstack() {
    isolated("fuzz_hook_word_parser_panic_tilde_dirstack", || refused(&bash("rm -rf ~99999999999999999999")));
}

/// brush-parser's here-document loop at end of input (`<<\f `) allocates without bound: the hook
/// must still answer. (In the CLI the watchdog answers at the budget, but the process grows by
/// about 800 MB/s until then; an OOM kill is a non-zero exit, on which Codex lets the call run.)
#[test]
fn fuzz_hook_heredoc_whitespace_tag_exhausts_memory() {
    isolated("fuzz_hook_heredoc_whitespace_tag_exhausts_memory", || {
        refused(&bash("rm -rf ~ <<\x0c "));
        // `<<<<<` is `<<<` then `<<`: missed by the first fix's scan (63815f9).
        refused(&bash("rm -rf ~ <<<<<\x0c "));
    });
}

/// brush-parser's exponential backtracking over unclosed `(`, through the hook.
#[test]
fn fuzz_hook_unclosed_parentheses_take_exponential_time() {
    isolated("fuzz_hook_unclosed_parentheses_take_exponential_time", || {
        refused(&bash(&format!("{}fii", "(".repeat(46))));
    });
}

/// The analyser's double analysis of command substitutions (2^depth), through the hook.
#[test]
fn fuzz_hook_nested_substitutions_take_exponential_time() {
    isolated("fuzz_hook_nested_substitutions_take_exponential_time", || {
        let mut command = String::from("rm -rf ~");
        for _ in 0..24 {
            command = format!("echo $({command})");
        }
        refused(&bash(&command));
    });
}
