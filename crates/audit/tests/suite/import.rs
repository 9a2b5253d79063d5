//! The importers on the real samples in `tests/fixtures/` (captured from Codex CLI 0.169.0,
//! Claude Code 2.1.329 and OpenClaw 2026.9.6), compared as whole records, and on the ways a log
//! can be broken.

use aethelgard_audit::import::{self, Format, ImportError, Imported};
use aethelgard_audit::{AuditStore, Filter, SqliteStore, Sync, events_of, sessions_of};
use aethelgard_protocol::{DecisionKind, SessionCall, SessionRecord};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

fn fixture(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures").join(relative)
}

fn fixture_text(relative: &str) -> String {
    std::fs::read_to_string(fixture(relative)).unwrap()
}

/// A fresh folder of this test's own under the system temp dir.
fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("aethelgard-import-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn call(tool: &str, args: Value, decision: DecisionKind, at: &str, output: &str) -> SessionCall {
    SessionCall {
        decision: Some(decision),
        output: Some(output.to_owned()),
        at: Some(at.to_owned()),
        ..SessionCall::new(tool, args)
    }
}

fn blocked(call: SessionCall, rule: &str, reason: &str) -> SessionCall {
    SessionCall { rule: Some(rule.to_owned()), reason: Some(reason.to_owned()), ..call }
}

fn codex_deny_record() -> SessionRecord {
    SessionRecord {
        session: "01a1fcb0-7a02-70f2-8a77-6f6524d6029b".into(),
        task: "Please delete the victim directory.".into(),
        calls: vec![blocked(
            call(
                "exec_command",
                json!({"cmd": "rm -r /home/dev/victim", "yield_time_ms": 1000}),
                DecisionKind::Block,
                "2026-11-21T05:59:46.615Z",
                "Command blocked by PreToolUse hook: blocked by test. Command: rm -r /home/dev/victim",
            ),
            "hook:PreToolUse",
            "blocked by test",
        )],
        source: Some("codex".into()),
        started_at: Some("2026-11-21T05:59:46.436Z".into()),
        ..SessionRecord::default()
    }
}

fn claude_record() -> SessionRecord {
    SessionRecord {
        session: "45be0cb1-b7c3-44c6-b1e6-631bc0fffecb".into(),
        task: "Please delete /home/dev/victim".into(),
        calls: vec![blocked(
            call(
                "Bash",
                json!({"command": "rm -rf /home/dev/victim", "description": "Delete the victim directory"}),
                DecisionKind::Block,
                "2026-11-21T05:59:26.582Z",
                "PreToolUse:Bash hook error: blocked by test",
            ),
            "hook:PreToolUse",
            "blocked by test",
        )],
        source: Some("claude".into()),
        started_at: Some("2026-11-21T05:59:26.439Z".into()),
        ..SessionRecord::default()
    }
}

#[test]
fn codex_rollout_with_a_hook_deny() {
    let imported = import::import_path(Format::CodexRollout, &fixture("codex/rollout-rm_r_deny.jsonl")).unwrap();
    assert_eq!(imported, Imported { sessions: vec![codex_deny_record()], warnings: vec![] });
}

#[test]
fn codex_rollout_with_an_allowed_call() {
    let imported = import::import_path(Format::CodexRollout, &fixture("codex/rollout-rm_r_allow.jsonl")).unwrap();
    let expected = SessionRecord {
        session: "01a1fcb0-7f73-79e2-b14e-8cd13d2c8a67".into(),
        task: "Please delete the victim directory.".into(),
        calls: vec![call(
            "exec_command",
            json!({"cmd": "rm -r /home/dev/victim", "yield_time_ms": 1000}),
            DecisionKind::Allow,
            "2026-11-21T05:59:47.959Z",
            "Chunk ID: e8fb25\nWall time: 0.1281 seconds\nProcess exited with code 0\nOriginal token count: 0\nOutput:\n",
        )],
        source: Some("codex".into()),
        started_at: Some("2026-11-21T05:59:47.829Z".into()),
        ..SessionRecord::default()
    };
    assert_eq!(imported, Imported { sessions: vec![expected], warnings: vec![] });
}

#[test]
fn claude_transcript_with_a_hook_deny() {
    let imported = import::import_path(Format::ClaudeTranscript, &fixture("claude/transcript.jsonl")).unwrap();
    assert_eq!(imported, Imported { sessions: vec![claude_record()], warnings: vec![] });
}

fn codex_otel_record() -> SessionRecord {
    SessionRecord {
        session: "01a1fd44-51a4-7f13-90c6-63501063f8b8".into(),
        task: "Greet the workspace in marker.txt, then clear out the victim directory next door.".into(),
        // The run made a second call, `rm -r` of a folder outside the workspace, which our hook
        // denied: Codex 0.169.0 logs neither a decision nor a result for it.
        calls: vec![call(
            "exec_command",
            json!({"cmd": "echo governed > marker.txt && cat marker.txt", "yield_time_ms": 1000}),
            DecisionKind::Allow,
            "2026-11-21T08:41:15.672Z",
            "Chunk ID: c8af33\nWall time: 0.0000 seconds\nProcess exited with code 0\nOriginal token count: 3\nOutput:\ngoverned\n",
        )],
        source: Some("codex".into()),
        started_at: Some("2026-11-21T08:41:15.448Z".into()),
        ..SessionRecord::default()
    }
}

#[test]
fn codex_otel_logs_captured_from_a_real_run() {
    let imported = import::import_path(Format::CodexOtel, &fixture("codex/otel_logs.jsonl")).unwrap();
    assert_eq!(imported, Imported { sessions: vec![codex_otel_record()], warnings: vec![] });
    // The same export as one pretty-printed document reads the same.
    let document: Value = serde_json::from_str(fixture_text("codex/otel_logs.jsonl").trim()).unwrap();
    let pretty = serde_json::to_string_pretty(&document).unwrap();
    assert_eq!(import::import_text(Format::CodexOtel, &pretty, "one.json").unwrap().sessions, vec![codex_otel_record()]);
}

#[test]
fn codex_otel_redacted_prompts_and_denied_decisions() {
    let text = fixture_text("codex/otel_logs.jsonl")
        .replace(
            "\"stringValue\":\"Greet the workspace in marker.txt, then clear out the victim directory next door.\"",
            "\"stringValue\":\"[REDACTED]\"",
        )
        .replace("{\"stringValue\":\"approved\"}", "{\"stringValue\":\"denied\"}")
        .replace("{\"stringValue\":\"Config\"}", "{\"stringValue\":\"User\"}");
    let imported = import::import_text(Format::CodexOtel, &text, "o.jsonl").unwrap();
    let expected = SessionRecord {
        task: String::new(),
        calls: vec![blocked(
            SessionCall { decision: Some(DecisionKind::Block), ..codex_otel_record().calls[0].clone() },
            "codex:user",
            "denied by User",
        )],
        ..codex_otel_record()
    };
    assert_eq!(imported.sessions, vec![expected]);
    assert_eq!(
        imported.warnings,
        vec!["`o.jsonl`: Codex logged the prompts as `[REDACTED]`, so the tasks are empty; set `[otel] log_user_prompt = true` in Codex's config.toml to record them".to_owned()]
    );
}

#[test]
fn openclaw_rows_whose_events_were_trimmed_are_skipped_with_warnings() {
    // The checked-in sample keeps the session, model and thinking events whole but trimmed the
    // message events (to keep the file small), so their calls cannot be read back: the session
    // is still imported and every unreadable event is named.
    let file = fixture("openclaw/transcript_events.jsonl");
    let imported = import::import_path(Format::Openclaw, &file).unwrap();
    let expected = SessionRecord {
        session: "4162e796-545a-404d-a062-01c32b93b62e".into(),
        source: Some("openclaw".into()),
        started_at: Some("2026-11-21T06:05:26.171Z".into()),
        ..SessionRecord::default()
    };
    assert_eq!(imported.sessions, vec![expected]);
    let skipped: Vec<&str> = imported.warnings.iter().map(|w| w.split(": ").next().unwrap_or_default()).collect();
    let name = file.display().to_string();
    let expected_places: Vec<String> =
        (4..=9).map(|seq| format!("`{name}` session `4162e796-545a-404d-a062-01c32b93b62e` event {seq}")).collect();
    assert_eq!(skipped, expected_places);
    assert!(imported.warnings.iter().all(|w| w.contains("is not valid JSON") && w.ends_with("; skipped")), "{:?}", imported.warnings);
}

/// OpenClaw's own DDL for `transcript_events` as of 2026.9.6 (with the compressed column).
const OPENCLAW_DDL: &str = "CREATE TABLE transcript_events (session_id TEXT NOT NULL, seq INTEGER NOT NULL, \
     event_json TEXT, created_at INTEGER NOT NULL, event_zstd BLOB, event_utf8_bytes INTEGER, navigation_json TEXT, \
     PRIMARY KEY (session_id, seq))";

/// Events in the shape of the real sample's envelopes, with the message bodies in the pi agent
/// format OpenClaw persists, and the block `details` of the real `after_tool_call` sample.
fn openclaw_events() -> Vec<Value> {
    let blocked_result: Value =
        serde_json::from_str(&fixture_text("openclaw/after_tool_call_event.json")).unwrap();
    vec![
        json!({"type": "session", "version": 4, "id": "oc-1", "timestamp": "2026-11-21T06:05:26.171Z", "cwd": "/w"}),
        json!({"type": "message", "id": "m1", "timestamp": "2026-11-21T06:05:26.817Z",
               "message": {"role": "user", "content": [{"type": "text", "text": "Please delete /home/dev/victim"}], "timestamp": 1}}),
        json!({"type": "message", "id": "m2", "timestamp": "2026-11-21T06:05:26.936Z",
               "message": {"role": "assistant", "content": [
                   {"type": "toolCall", "id": "call_mock_step0", "name": "exec", "arguments": {"command": "rm -rf /home/dev/victim"}},
                   {"type": "toolCall", "id": "call_mock_step1", "name": "read", "arguments": {"path": "notes.txt"}}]}}),
        json!({"type": "message", "id": "m3", "timestamp": "2026-11-21T06:05:26.992Z",
               "message": {"role": "toolResult", "toolCallId": "call_mock_step0", "toolName": "exec",
                           "content": blocked_result["result"]["content"], "details": blocked_result["result"]["details"], "isError": true}}),
        json!({"type": "message", "id": "m4", "timestamp": "2026-11-21T06:05:27.000Z",
               "message": {"role": "toolResult", "toolCallId": "call_mock_step1", "toolName": "read",
                           "content": [{"type": "text", "text": "x".repeat(5000)}], "isError": false}}),
    ]
}

fn openclaw_expected() -> SessionRecord {
    SessionRecord {
        session: "oc-1".into(),
        task: "Please delete /home/dev/victim".into(),
        calls: vec![
            blocked(
                call("exec", json!({"command": "rm -rf /home/dev/victim"}), DecisionKind::Block, "2026-11-21T06:05:26.936Z", "blocked by test"),
                "openclaw:plugin-before-tool-call",
                "blocked by test",
            ),
            call("read", json!({"path": "notes.txt"}), DecisionKind::Allow, "2026-11-21T06:05:26.936Z", &"x".repeat(5000)),
        ],
        source: Some("openclaw".into()),
        started_at: Some("2026-11-21T06:05:26.171Z".into()),
        ..SessionRecord::default()
    }
}

#[test]
fn openclaw_database_with_a_compressed_event() {
    let dir = temp_dir("openclaw-db");
    let path = dir.join("openclaw-agent.sqlite");
    let db = rusqlite::Connection::open(&path).unwrap();
    db.execute(OPENCLAW_DDL, []).unwrap();
    for (seq, event) in openclaw_events().iter().enumerate() {
        let text = event.to_string();
        // The large result goes in compressed, as OpenClaw 2026.9.6 stores large events.
        let (json, zstd) = if text.len() > 4096 {
            let packed = ruzstd::encoding::compress_to_vec(text.as_bytes(), ruzstd::encoding::CompressionLevel::Fastest);
            (None, Some(packed))
        } else {
            (Some(text), None)
        };
        db.execute(
            "INSERT INTO transcript_events (session_id, seq, event_json, created_at, event_zstd) VALUES ('oc-1', ?1, ?2, 0, ?3)",
            rusqlite::params![seq as i64, json, zstd],
        )
        .unwrap();
    }
    // The report OpenClaw keeps of the system prompt it built names the tools sent.
    db.execute("CREATE TABLE session_nodes (session_key TEXT PRIMARY KEY, current_session_id TEXT, entry_json TEXT)", []).unwrap();
    let entry = json!({"sessionId": "oc-1", "systemPromptReport": {"sessionId": "oc-1",
        "tools": {"entries": [{"name": "exec", "schemaChars": 254}, {"name": "read"}, {"name": "write"}]}}});
    db.execute("INSERT INTO session_nodes VALUES ('agent:main:main', 'oc-1', ?1)", [entry.to_string()]).unwrap();
    drop(db);
    // Lock files beside it are SQLite too; a folder walk reads only the agent database.
    std::fs::write(dir.join("openclaw-agent.sqlite.generation-lock.sqlite"), b"SQLite format 3\0").unwrap();
    let expected = SessionRecord { tools: vec!["exec".into(), "read".into(), "write".into()], ..openclaw_expected() };
    let imported = import::import_path(Format::Openclaw, &path).unwrap();
    assert_eq!(imported, Imported { sessions: vec![expected.clone()], warnings: vec![] });
    assert_eq!(import::import_path(Format::Openclaw, &dir).unwrap().sessions, vec![expected]);
}

#[test]
fn openclaw_row_dump_and_bare_event_file_read_the_same() {
    let events = openclaw_events();
    let rows: Vec<String> = events
        .iter()
        .enumerate()
        .map(|(seq, e)| json!({"session_id": "oc-1", "seq": seq, "event_json": e.to_string(), "created_at": 0}).to_string())
        .collect();
    let dump = import::import_text(Format::Openclaw, &(rows.join("\n") + "\n"), "rows.jsonl").unwrap();
    assert_eq!(dump, Imported { sessions: vec![openclaw_expected()], warnings: vec![] });
    let bare: Vec<String> = events.iter().map(Value::to_string).collect();
    let legacy = import::import_text(Format::Openclaw, &(bare.join("\n") + "\n"), "oc-1.jsonl").unwrap();
    assert_eq!(legacy, dump);
}

#[test]
fn a_malformed_line_names_the_file_the_line_and_what_was_expected() {
    let mut text = fixture_text("codex/rollout-rm_r_deny.jsonl");
    let second = text.find('\n').unwrap() + 1;
    text.insert_str(second, "[1, 2]\n");
    let error = import::import_text(Format::CodexRollout, &text, "x.jsonl").unwrap_err();
    assert_eq!(
        error.to_string(),
        "`x.jsonl` line 2: expected a Codex rollout item (a JSON object with `type` and `payload`), found an array of 2 items"
    );

    let broken = "{\"type\": \"user\"}\n{not json\n{\"type\": \"user\"}\n";
    let error = import::import_text(Format::ClaudeTranscript, broken, "t.jsonl").unwrap_err();
    let message = error.to_string();
    assert!(
        message.starts_with("`t.jsonl` line 2: expected a Claude Code transcript entry (a JSON object with `type`), found invalid JSON ("),
        "{message}"
    );

    let error = import::import_text(Format::Sessions, "{\"session\": \"s\", \"task\": 3}\n", "s.jsonl").unwrap_err();
    assert!(error.to_string().starts_with("`s.jsonl` line 1: expected a session record"), "{error}");
    let error = import::import_text(Format::CodexOtel, "{\"resource\": {}}\n", "o.jsonl").unwrap_err();
    assert_eq!(
        error.to_string(),
        "`o.jsonl` line 1: expected an OTLP JSON export request (a JSON object with `resourceLogs`), found an object with `resource`"
    );
}

#[test]
fn a_half_written_last_line_is_skipped_with_a_warning() {
    let mut text = fixture_text("codex/rollout-rm_r_deny.jsonl");
    let lines = text.lines().count();
    text.push_str("{\"timestamp\": \"2026-11-21T05:59:47.000Z\", \"type\": \"response_it");
    let imported = import::import_text(Format::CodexRollout, &text, "live.jsonl").unwrap();
    assert_eq!(imported.sessions, vec![codex_deny_record()]);
    assert_eq!(
        imported.warnings,
        vec![format!(
            "`live.jsonl` line {}: skipped a half-written last line (the agent may still be writing this log)",
            lines + 1
        )]
    );
    // The same line with a newline after it was finished and is broken: an error.
    text.push('\n');
    assert!(matches!(
        import::import_text(Format::CodexRollout, &text, "live.jsonl"),
        Err(ImportError::Line { line, .. }) if line == lines + 1
    ));
}

#[test]
fn an_empty_file_imports_nothing_and_says_so() {
    for format in Format::ALL {
        let imported = import::import_text(format, "", "empty.jsonl").unwrap();
        assert_eq!(imported.sessions, vec![], "{format}");
        assert_eq!(imported.warnings, vec!["`empty.jsonl` is empty: no sessions in it".to_owned()], "{format}");
    }
}

#[test]
fn a_directory_is_walked_for_the_runtime_file_names() {
    let dir = temp_dir("walk");
    let day = dir.join("2026/11/21");
    std::fs::create_dir_all(&day).unwrap();
    std::fs::copy(fixture("codex/rollout-rm_r_deny.jsonl"), day.join("rollout-2026-11-21T05-59-46-a.jsonl")).unwrap();
    std::fs::copy(fixture("codex/rollout-rm_r_allow.jsonl"), dir.join("rollout-2026-11-21T05-59-47-b.jsonl")).unwrap();
    std::fs::write(dir.join("notes.jsonl"), "not a rollout").unwrap();
    let files = import::files_of(Format::CodexRollout, &dir).unwrap();
    assert_eq!(files, vec![day.join("rollout-2026-11-21T05-59-46-a.jsonl"), dir.join("rollout-2026-11-21T05-59-47-b.jsonl")]);
    let imported = import::import_path(Format::CodexRollout, &dir).unwrap();
    let ids: Vec<&str> = imported.sessions.iter().map(|s| s.session.as_str()).collect();
    assert_eq!(ids, vec!["01a1fcb0-7a02-70f2-8a77-6f6524d6029b", "01a1fcb0-7f73-79e2-b14e-8cd13d2c8a67"]);

    let empty = temp_dir("walk-empty");
    let error = import::import_path(Format::CodexRollout, &empty).unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "`{}`: this folder holds no `rollout-*.jsonl` files (looked in every subfolder); is it the right folder for `codex-rollout`?",
            empty.display()
        )
    );
    let missing = import::import_path(Format::CodexRollout, &empty.join("nope")).unwrap_err();
    assert!(missing.to_string().starts_with(&format!("cannot read `{}`: ", empty.join("nope").display())), "{missing}");
}

#[test]
fn imported_sessions_survive_the_store_and_the_session_jsonl() {
    let mut imported = import::import_path(Format::CodexRollout, &fixture("codex/rollout-rm_r_deny.jsonl")).unwrap();
    imported.absorb(import::import_path(Format::ClaudeTranscript, &fixture("claude/transcript.jsonl")).unwrap());
    assert_eq!(imported.sessions, vec![codex_deny_record(), claude_record()]);

    let dir = temp_dir("round-trip");
    let mut store = SqliteStore::open(&dir.join("audit.db"), Sync::Normal).unwrap();
    for record in &imported.sessions {
        store.append(&events_of(record, Some("import:test"))).unwrap();
    }
    assert_eq!(sessions_of(&store.entries(&Filter::default()).unwrap()), imported.sessions);
    let one = store.entries(&Filter { session: Some(claude_record().session), ..Filter::default() }).unwrap();
    assert_eq!(sessions_of(&one), vec![claude_record()]);

    let jsonl: String = imported.sessions.iter().map(|s| serde_json::to_string(s).unwrap() + "\n").collect();
    let again = import::import_text(Format::Sessions, &jsonl, "sessions.jsonl").unwrap();
    assert_eq!(again.sessions, imported.sessions);
}

#[test]
fn formats_are_named_as_on_the_command_line() {
    for format in Format::ALL {
        assert_eq!(format.as_str().parse::<Format>().unwrap(), format);
    }
    assert_eq!(
        "codex".parse::<Format>().unwrap_err().to_string(),
        "unknown import format `codex`; expected one of: codex-rollout, claude-transcript, openclaw, codex-otel, sessions"
    );
}

#[test]
fn denials_are_told_from_failures() {
    // Codex: the hook's reason is cut out of the text Codex gives the model; a command that ran
    // and failed is an allowed call.
    let rollout = |output: &str| {
        let text = [
            json!({"timestamp": "t0", "type": "session_meta", "payload": {"id": "s", "timestamp": "t0"}}),
            json!({"timestamp": "t1", "type": "response_item", "payload": {"type": "custom_tool_call", "call_id": "c", "name": "apply_patch", "input": "*** Begin Patch"}}),
            json!({"timestamp": "t2", "type": "response_item", "payload": {"type": "custom_tool_call_output", "call_id": "c", "output": output}}),
        ]
        .iter()
        .map(|v| v.to_string() + "\n")
        .collect::<String>();
        let imported = import::import_text(Format::CodexRollout, &text, "r.jsonl").unwrap();
        imported.sessions[0].calls[0].clone()
    };
    let denied = rollout("Command blocked by PreToolUse hook: no patches. Command: *** Begin Patch");
    assert_eq!(denied.args, json!({"input": "*** Begin Patch"}));
    assert_eq!((denied.decision, denied.reason.as_deref()), (Some(DecisionKind::Block), Some("no patches")));
    let failed = rollout("Process exited with code 1\nOutput:\nrm: cannot remove");
    assert_eq!((failed.decision, failed.rule), (Some(DecisionKind::Allow), None));
    let policy = rollout("`rm -rf /` rejected: blocked by policy");
    assert_eq!((policy.decision, policy.rule.as_deref()), (Some(DecisionKind::Block), Some("codex:policy")));
}
