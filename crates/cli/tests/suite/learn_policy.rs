//! Layer 2 from the command line: `gym` writes sessions, `learn` turns them into a learned policy
//! (with its training curve and model), and `scope` and `route` put the policy to work.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Output;
use super::aethelgard;

fn ok(out: &Output) -> String {
    assert!(out.status.success(), "stdout: {}\nstderr: {}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn folder(name: &str) -> PathBuf {
    super::scratch("learn-policy-tests", name)
}

fn gym(dir: &Path, sessions: &str, catalog: &str) -> PathBuf {
    let path = dir.join("gym.jsonl");
    ok(&aethelgard(&["gym", "--sessions", sessions, "--seed", "3", "--catalog", catalog, "--out", path.to_str().unwrap()]));
    path
}

#[test]
fn gym_sessions_are_session_records_with_ground_truth() {
    let dir = folder("gym");
    let path = gym(&dir, "50", "openclaw-coding");
    let lines: Vec<Value> = std::fs::read_to_string(&path).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 50);
    for line in &lines {
        assert!(line["task"].as_str().is_some_and(|t| !t.is_empty()));
        assert_eq!(line["tools"].as_array().unwrap().len(), 15);
        assert!(line["needed"].is_array() && line["calls"].is_array());
    }
    let out = aethelgard(&["gym", "--catalog", "nope"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown gym catalog `nope`; known:"));
}

#[test]
fn a_frequency_policy_scopes_requests_and_route_enforces_it() {
    let dir = folder("frequency");
    let sessions = gym(&dir, "300", "openclaw-coding");
    let learned = dir.join("learned.toml");
    ok(&aethelgard(&["learn", "--sessions", sessions.to_str().unwrap(), "--algo", "frequency", "--out", learned.to_str().unwrap()]));
    let text = std::fs::read_to_string(&learned).unwrap();
    assert!(text.contains("algo = \"frequency\"") && text.contains("[task_types.summarise]"), "{text}");

    // The governor takes the learned grants, within the profile's risk ceiling.
    let out = ok(&aethelgard(&["scope", "--learned", learned.to_str().unwrap(), "--task-type", "summarise", "--tools", "read,exec,sessions_spawn"]));
    let manifest: Value = serde_json::from_str(&out).unwrap();
    let granted: Vec<&str> = manifest["granted"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert!(granted.contains(&"read"), "{granted:?}");
    assert!(!granted.contains(&"exec") && !granted.contains(&"sessions_spawn"), "{granted:?}");

    // route --learned scopes calls that carry a task and no manifest.
    let calls = dir.join("calls.jsonl");
    std::fs::write(
        &calls,
        "{\"tool\":\"sessions_spawn\",\"args\":{\"task\":\"x\"},\"task\":\"Summarise notes.md\",\"task_type\":\"summarise\"}\n\
         {\"tool\":\"read\",\"args\":{\"path\":\"notes.md\"},\"task\":\"Summarise notes.md\",\"task_type\":\"summarise\"}\n",
    )
    .unwrap();
    let out = ok(&aethelgard(&["route", "--no-audit", "--learned", learned.to_str().unwrap(), calls.to_str().unwrap()]));
    let decisions: Vec<Value> = out.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(decisions[0]["rule"], "manifest.not-granted");
    assert_eq!(decisions[1]["decision"], "allow");
}

#[test]
fn ppo_writes_a_policy_a_curve_and_a_model() {
    let dir = folder("ppo");
    let sessions = gym(&dir, "200", "openclaw-coding");
    let config = dir.join("ppo.toml");
    std::fs::write(&config, "updates = 3\nepisodes_per_update = 64\nminibatch = 32\nepochs = 2\n").unwrap();
    let learned = dir.join("learned.toml");
    ok(&aethelgard(&[
        "learn", "--sessions", sessions.to_str().unwrap(), "--config", config.to_str().unwrap(), "--quiet", "--out", learned.to_str().unwrap(),
    ]));
    let text = std::fs::read_to_string(&learned).unwrap();
    assert!(text.contains("algo = \"ppo\"") && text.contains("[task_types.summarise"), "{text}");
    let curve = std::fs::read_to_string(dir.join("learned.curve.svg")).unwrap();
    assert!(curve.starts_with("<svg") && curve.matches("<polyline").count() >= 3);
    assert!(dir.join("learned.model.safetensors").is_file());
    // The file loads where the governor reads it.
    ok(&aethelgard(&["scope", "--learned", learned.to_str().unwrap(), "--task", "Summarise notes.md", "--tools", "read,exec"]));
}

#[test]
fn learn_says_what_it_needs() {
    let out = aethelgard(&["learn"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("needs --sessions FILE and --out"));
    let dir = folder("nothing");
    let sessions = dir.join("failed.jsonl");
    std::fs::write(&sessions, "{\"session\":\"a\",\"task\":\"t\",\"tools\":[\"read\"],\"calls\":[],\"success\":false}\n").unwrap();
    let out = aethelgard(&["learn", "--sessions", sessions.to_str().unwrap(), "--out", dir.join("x.toml").to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no session succeeded"), "{}", String::from_utf8_lossy(&out.stderr));
}
