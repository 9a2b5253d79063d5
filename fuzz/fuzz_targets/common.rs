//! Shared by the targets: the panic mode, and the invariant every hook answer must satisfy.

#![allow(dead_code)]

use aethelgard_router::hook::{HookResponse, Runtime};

/// libfuzzer-sys installs a panic hook that aborts *before unwinding*, so by default every panic
/// is a crash, even one the code under test would catch with `catch_unwind` (the shell analyser
/// wraps brush-parser in one). With `AETHELGARD_FUZZ_UNWIND=1` this replaces that hook with one
/// that only prints: a panic then unwinds as in a release build (whose profile keeps
/// `panic = "unwind"`), a caught one is harmless, and one that escapes the target is still
/// turned into an abort (a crash) by libfuzzer-sys's own `catch_unwind` around the target.
pub fn init_panic_mode() {
    if std::env::var_os("AETHELGARD_FUZZ_UNWIND").is_some_and(|v| v == "1") {
        std::panic::set_hook(Box::new(|info| {
            eprintln!("[fuzz] panic (unwinding; a crash only if it escapes the target): {info}");
        }));
    }
}

/// An answer is nothing, or a well-formed deny/ask with a non-empty reason; Codex never gets `ask`.
pub fn check(runtime: Runtime, response: &HookResponse) {
    let Some(stdout) = &response.stdout else { return };
    let value: serde_json::Value = match serde_json::from_str(stdout) {
        Ok(value) => value,
        Err(error) => panic!("{runtime:?} hook stdout is not JSON ({error}): {stdout:?}"),
    };
    let output = value.get("hookSpecificOutput").unwrap_or_else(|| panic!("no hookSpecificOutput: {stdout}"));
    assert_eq!(output.get("hookEventName").and_then(|v| v.as_str()), Some("PreToolUse"), "bad hookEventName: {stdout}");
    let decision = output.get("permissionDecision").and_then(|v| v.as_str());
    match (runtime, decision) {
        (_, Some("deny")) | (Runtime::Claude, Some("ask")) => {}
        other => panic!("permissionDecision not enforceable for {other:?}: {stdout}"),
    }
    let reason = output.get("permissionDecisionReason").and_then(|v| v.as_str()).unwrap_or("");
    assert!(!reason.trim().is_empty(), "empty permissionDecisionReason: {stdout}");
}
