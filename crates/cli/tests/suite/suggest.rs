//! `aethelgard suggest`: proposals from sessions, nothing written without a yes, and accepted
//! changes written into the policy file so that it still loads.

use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use super::aethelgard;

fn folder(name: &str) -> PathBuf {
    super::scratch("suggest-tests", name)
}

/// Twelve summarisation sessions granted `read` and `web_fetch` that only ever read, and four
/// whose agent reached for `grep`, was denied by the manifest, and failed.
fn sessions(dir: &Path) -> PathBuf {
    let mut lines = String::new();
    for i in 0..12 {
        let record = json!({
            "session": format!("s{i}"), "task": "Summarise notes.md", "task_type": "summarise",
            "tools": ["read", "web_fetch", "grep"], "granted": ["read", "web_fetch"],
            "calls": [{"tool": "read", "args": {"path": "notes.md"}, "decision": "allow"}], "success": true
        });
        lines.push_str(&format!("{record}\n"));
    }
    for i in 0..4 {
        let record = json!({
            "session": format!("f{i}"), "task": "Summarise the TODOs in src", "task_type": "summarise",
            "tools": ["read", "web_fetch", "grep"], "granted": ["read", "web_fetch"],
            "calls": [
                {"tool": "read", "args": {"path": "src"}, "decision": "allow"},
                {"tool": "grep", "args": {"pattern": "TODO"}, "decision": "block", "rule": "manifest.not-granted"}
            ],
            "success": false
        });
        lines.push_str(&format!("{record}\n"));
    }
    let path = dir.join("sessions.jsonl");
    std::fs::write(&path, lines).unwrap();
    path
}

fn policy(dir: &Path) -> PathBuf {
    let out = aethelgard(&["policy", "default"]);
    assert!(out.status.success());
    let path = dir.join("policy.toml");
    std::fs::write(&path, &out.stdout).unwrap();
    path
}

#[test]
fn suggestions_come_with_evidence_and_change_nothing_by_themselves() {
    let dir = folder("print");
    let (sessions, policy) = (sessions(&dir), policy(&dir));
    let before = std::fs::read(&policy).unwrap();
    let out = aethelgard(&["suggest", "--policy", policy.to_str().unwrap(), "--sessions", sessions.to_str().unwrap(), "--json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let found: Vec<Value> = String::from_utf8(out.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let ids: Vec<&str> = found.iter().map(|s| s["id"].as_str().unwrap()).collect();
    assert!(ids.contains(&"narrow:summarise:web_fetch"), "{ids:?}");
    assert!(ids.contains(&"widen:summarise:grep"), "{ids:?}");
    let narrow = found.iter().find(|s| s["id"] == "narrow:summarise:web_fetch").unwrap();
    assert_eq!(narrow["support"], 16);
    assert!(!narrow["evidence"].as_array().unwrap().is_empty());
    assert_eq!(std::fs::read(&policy).unwrap(), before, "suggest without --accept wrote the policy");
}

#[test]
fn accepted_suggestions_are_written_and_the_policy_still_loads() {
    let dir = folder("accept");
    let (sessions, policy) = (sessions(&dir), policy(&dir));
    let p = policy.to_str().unwrap();
    let out = aethelgard(&["suggest", "--policy", p, "--sessions", sessions.to_str().unwrap(), "--accept", "narrow:summarise:web_fetch,widen:summarise:grep"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(dir.join("policy.toml.bak").is_file());
    // The governor now denies web_fetch to summaries and grants grep.
    let out = aethelgard(&["scope", "--policy", p, "--task-type", "summarise", "--tools", "read,web_fetch,grep"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let manifest: Value = serde_json::from_slice(&out.stdout).unwrap();
    let granted: Vec<&str> = manifest["granted"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert!(granted.contains(&"grep") && granted.contains(&"read"), "{granted:?}");
    assert!(!granted.contains(&"web_fetch"), "{granted:?}");
    assert!(aethelgard(&["policy", "check", p]).status.success());
}

#[test]
fn an_unknown_id_or_the_builtin_policy_is_a_clear_error() {
    let dir = folder("errors");
    let sessions = sessions(&dir);
    let policy = policy(&dir);
    let out = aethelgard(&["suggest", "--policy", policy.to_str().unwrap(), "--sessions", sessions.to_str().unwrap(), "--accept", "narrow:deploy:nothing"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no suggestion `narrow:deploy:nothing`") && err.contains("widen:summarise:grep"), "{err}");
    let out = aethelgard(&["suggest", "--sessions", sessions.to_str().unwrap(), "--accept", "all"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("aethelgard policy default > policy.toml"));
}
