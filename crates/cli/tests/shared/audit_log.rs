//! The audit store read back as a user reads it (`aethelgard audit verify`, `aethelgard audit log
//! --json`). Shared by both test binaries, `tests/all.rs` and `tests/e2e.rs`, which include this
//! file with `#[path]`.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

/// `aethelgard audit SUBCOMMAND --audit-db DB ...`, with no policy or config of the user's.
fn audit(subcommand: &[&str], db: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_aethelgard"))
        .arg("audit")
        .args(subcommand)
        .arg("--audit-db")
        .arg(db)
        .env("AETHELGARD_POLICY", "")
        .env("XDG_CONFIG_HOME", "/nonexistent-aethelgard-test")
        .output()
        .expect("run aethelgard audit")
}

/// The store's hash chain verifies.
pub fn assert_verifies(db: &Path) {
    let out = audit(&["verify"], db);
    assert!(
        out.status.success(),
        "audit verify {}: {}{}",
        db.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Every row of the store, in order, as `aethelgard audit log --json` prints it.
pub fn rows(db: &Path) -> Vec<Value> {
    let out = audit(&["log", "--json"], db);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "audit log {}: {}\n{stdout}",
        db.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
        .lines()
        .map(|line| {
            serde_json::from_str(line).unwrap_or_else(|e| panic!("bad audit row ({e}): {line}"))
        })
        .collect()
}

/// The `event` of every row.
pub fn events(db: &Path) -> Vec<Value> {
    rows(db).into_iter().map(|row| row["event"].clone()).collect()
}

/// The events of the tool calls, leaving out the other kinds (scoping, session ends).
pub fn tool_calls(db: &Path) -> Vec<Value> {
    events(db)
        .into_iter()
        .filter(|event| event["kind"] == "tool_call")
        .collect()
}

/// `(tool, decision)` of every tool call.
pub fn decisions(db: &Path) -> Vec<(String, String)> {
    tool_calls(db)
        .iter()
        .map(|event| (text(event, "tool"), text(event, "decision")))
        .collect()
}

/// `(tool, args, decision)` of every tool call in a store whose chain verifies, each recorded by
/// `source` (asserted).
pub fn verified_calls_from(db: &Path, source: &str) -> Vec<(String, Value, String)> {
    assert_verifies(db);
    tool_calls(db)
        .iter()
        .inspect(|event| assert_eq!(event["source"], source, "{event}"))
        .map(|event| (text(event, "tool"), event["args"].clone(), text(event, "decision")))
        .collect()
}

/// A string field of an event, or `""` when it has none.
pub fn text(event: &Value, key: &str) -> String {
    event[key].as_str().unwrap_or_default().to_owned()
}
