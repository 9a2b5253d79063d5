use super::*;
use aethelgard_protocol::{DecisionKind, SessionCall, SessionRecord};
use serde_json::json;

fn temp_store(name: &str) -> (SqliteStore, std::path::PathBuf) {
    let dir = std::env::temp_dir().join(format!("aethelgard-audit-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let path = dir.join("nested").join("audit.db");
    (SqliteStore::open(&path, Sync::Normal).unwrap(), path)
}

fn call(tool: &str, session: &str) -> Event {
    Event::ToolCall(CallEvent {
        session: Some(session.into()),
        call: SessionCall { decision: Some(DecisionKind::Allow), ..SessionCall::new(tool, json!({"n": 1})) },
        latency_us: Some(3),
        source: Some("test".into()),
    })
}

#[test]
fn appends_chain_and_verify() {
    let (mut store, _) = temp_store("chain");
    assert!(store.is_empty().unwrap());
    let first = store.append(&[call("a", "s1"), call("b", "s1")]).unwrap();
    let second = store.append(&[call("c", "s2")]).unwrap();
    assert_eq!(first.iter().map(|r| r.seq).collect::<Vec<_>>(), vec![1, 2]);
    assert_eq!(second[0].seq, 3);
    let entries = store.entries(&Filter::default()).unwrap();
    assert_eq!(entries.len(), 3);
    assert_eq!(entries[0].prev_hash, GENESIS);
    assert_eq!(entries[1].prev_hash, entries[0].hash);
    assert_eq!(entries[2].prev_hash, entries[1].hash);
    let verification = store.verify().unwrap();
    assert!(verification.is_intact(), "{verification:?}");
    assert_eq!(verification.checked, 3);
    assert_eq!(verification.head, second[0].hash);
    let only_s2 = store.entries(&Filter { session: Some("s2".into()), ..Filter::default() }).unwrap();
    assert_eq!(only_s2.len(), 1);
}

#[test]
fn the_log_refuses_updates_and_deletes() {
    let (mut store, path) = temp_store("append-only");
    store.append(&[call("a", "s1")]).unwrap();
    let raw = rusqlite::Connection::open(&path).unwrap();
    let update = raw.execute("UPDATE entries SET body = 'x'", []);
    assert!(update.unwrap_err().to_string().contains("append-only"));
    assert!(raw.execute("DELETE FROM entries", []).is_err());
}

#[test]
fn reopening_keeps_the_chain_and_migrations_run_once() {
    let (mut store, path) = temp_store("reopen");
    store.append(&[call("a", "s1")]).unwrap();
    drop(store);
    let mut again = SqliteStore::open(&path, Sync::Full).unwrap();
    assert_eq!(again.append(&[call("b", "s1")]).unwrap()[0].seq, 2);
    assert!(again.verify().unwrap().is_intact());
}

#[test]
fn sessions_round_trip_through_the_log() {
    let (mut store, _) = temp_store("sessions");
    let record = SessionRecord {
        session: "s1".into(),
        task: "summarise the README".into(),
        task_type: Some("summarise".into()),
        tools: vec!["Read".into(), "Bash".into()],
        calls: vec![SessionCall { at: Some("2026-11-21T06:05:26.171Z".into()), ..SessionCall::new("Read", json!({"file_path": "README.md"})) }],
        success: Some(true),
        granted: Some(vec!["Read".into()]),
        source: Some("gym".into()),
        started_at: Some("2026-11-21T06:05:26Z".into()),
        ..SessionRecord::default()
    };
    store.append(&events_of(&record, None)).unwrap();
    let back = sessions_of(&store.entries(&Filter::default()).unwrap());
    assert_eq!(back, vec![record]);
}

#[test]
fn redaction_replaces_secrets_and_keeps_the_rest() {
    let redactor = Redactor::new(true, &[("ticket".into(), r"TICKET-\d+".into())]).unwrap();
    let mut args = json!({
        "command": "AWS_SECRET_ACCESS_KEY=abc123xyz aws s3 ls && curl https://bob:hunter2@example.com/x -H 'Authorization: Bearer abcdefghijklmnopqrstuvwxyz'",
        "env": {"password": "hunter2", "user": "bob"},
        "notes": ["key AKIAABCDEFGHIJKLMNOP", "see TICKET-42", "ghp_0123456789abcdefghijklmnopqrstuvwxyz"],
        "count": 3
    });
    redactor.redact(&mut args);
    assert_eq!(
        args,
        json!({
            "command": "AWS_SECRET_ACCESS_KEY=[REDACTED:assignment] aws s3 ls && curl https://bob:[REDACTED:url-password]@example.com/x -H 'Authorization: [REDACTED:bearer]'",
            "env": {"password": "[REDACTED:password]", "user": "bob"},
            "notes": ["key [REDACTED:aws-access-key]", "see [REDACTED:ticket]", "[REDACTED:github-token]"],
            "count": 3
        })
    );
    assert!(Redactor::new(false, &[("bad".into(), "(".into())]).unwrap_err().to_string().contains("`bad`"));
}

#[test]
fn time_formats_and_parses() {
    assert_eq!(time::rfc3339(1_795_241_126_171), "2026-11-21T06:05:26.171Z");
    assert_eq!(time::parse_ms("2026-11-21T06:05:26.171Z"), Some(1_795_241_126_171));
    assert_eq!(time::parse_ms("2026-11-21"), Some(1_795_219_200_000));
    assert_eq!(time::parse_ms("yesterday"), None);
}

#[test]
fn every_builtin_pattern_compiles_and_its_triggers_are_lowercase() {
    // Built-ins compile lazily, so a broken one would silently redact nothing: check them here.
    for (name, source, triggers) in BUILTIN_PATTERNS {
        assert!(regex::Regex::new(source).is_ok(), "{name}");
        assert!(triggers.iter().all(|t| *t == t.to_ascii_lowercase()), "{name}");
    }
    // A string without any trigger is left alone without compiling anything.
    let redactor = Redactor::new(true, &[]).unwrap();
    assert_eq!(redactor.redact_text("cargo test -p aethelgard-audit"), None);
}
