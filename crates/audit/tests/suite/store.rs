//! The store's promises: every kind of tampering is found and the first bad entry is named;
//! concurrent writers extend one chain.

use aethelgard_audit::{chain, AuditStore, CallEvent, Event, Filter, SqliteStore, Sync};
use aethelgard_protocol::{DecisionKind, SessionCall};
use rusqlite::Connection;
use serde_json::json;
use std::path::{Path, PathBuf};

fn store_with(name: &str, entries: usize) -> (SqliteStore, PathBuf) {
    let dir = std::env::temp_dir().join(format!("aethelgard-store-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let path = dir.join("audit.db");
    let mut store = SqliteStore::open(&path, Sync::Normal).unwrap();
    let events: Vec<Event> = (0..entries).map(|i| call(i, "s1")).collect();
    store.append(&events).unwrap();
    (store, path)
}

fn call(i: usize, session: &str) -> Event {
    Event::ToolCall(CallEvent {
        session: Some(session.into()),
        call: SessionCall {
            decision: Some(if i.is_multiple_of(3) { DecisionKind::Block } else { DecisionKind::Allow }),
            ..SessionCall::new("Bash", json!({"command": format!("echo {i}")}))
        },
        latency_us: Some(4),
        source: Some("test".into()),
    })
}

/// A connection that can edit the log, as someone with write access to the file can.
fn tamper(path: &Path, sql: &str) {
    let raw = Connection::open(path).unwrap();
    raw.execute_batch("DROP TRIGGER IF EXISTS entries_no_update; DROP TRIGGER IF EXISTS entries_no_delete;").unwrap();
    raw.execute_batch(sql).unwrap();
}

fn first_bad(path: &Path) -> (u64, String) {
    let store = SqliteStore::open_read_only(path).unwrap();
    let verification = store.verify().unwrap();
    verification.first_bad.expect("the tampering must be detected")
}

#[test]
fn an_intact_log_verifies() {
    let (store, _) = store_with("intact", 10);
    let verification = store.verify().unwrap();
    assert!(verification.is_intact());
    assert_eq!(verification.checked, 10);
}

#[test]
fn editing_any_single_row_is_found_and_named() {
    // Each column of each of several rows, edited by hand: verify names exactly that row.
    let edits = [
        ("body", "replace(body, 'echo', 'rm -rf')"),
        ("at_ms", "at_ms + 1"),
        ("kind", "'outcome'"),
        ("session", "'s2'"),
        // The first hex digit flipped to another: hashes depend on the time, so a fixed digit
        // would sometimes equal the one already there and edit nothing.
        ("prev_hash", "(CASE WHEN substr(prev_hash, 1, 1) = 'f' THEN '0' ELSE 'f' END) || substr(prev_hash, 2)"),
        ("hash", "(CASE WHEN substr(hash, 1, 1) = 'f' THEN '0' ELSE 'f' END) || substr(hash, 2)"),
    ];
    for (column, expression) in edits {
        for row in [1u64, 5, 10] {
            let (_, path) = store_with(&format!("edit-{column}-{row}"), 10);
            tamper(&path, &format!("UPDATE entries SET {column} = {expression} WHERE seq = {row}"));
            let (seq, why) = first_bad(&path);
            assert_eq!(seq, row, "editing `{column}` of entry {row}: {why}");
        }
    }
}

#[test]
fn an_edit_with_a_recomputed_hash_breaks_the_next_link() {
    // Someone who edits a row and recomputes its hash correctly still breaks the link from the
    // row after it: the forgery is named at the first entry they could not rewrite.
    let (store, path) = store_with("rehash", 6);
    let third = store.entries(&Filter::default()).unwrap().remove(2);
    drop(store);
    let body = serde_json::to_string(&call(99, "s1")).unwrap();
    let row = chain::Row { seq: 3, at_ms: third.at_ms, kind: "tool_call", session: Some("s1"), body: &body, prev_hash: &third.prev_hash };
    let forged = chain::hash(&row);
    tamper(&path, &format!("UPDATE entries SET body = '{body}', hash = '{forged}' WHERE seq = 3"));
    let (seq, why) = first_bad(&path);
    assert_eq!(seq, 4, "{why}");
    assert!(why.contains("previous-hash"), "{why}");
}

#[test]
fn deleting_a_row_is_found_at_the_gap() {
    let (_, path) = store_with("delete", 10);
    tamper(&path, "DELETE FROM entries WHERE seq = 4");
    let (seq, why) = first_bad(&path);
    assert_eq!(seq, 5, "{why}");
    assert!(why.contains("expected entry 4"), "{why}");
}

#[test]
fn deleting_and_renumbering_is_found_by_the_link() {
    let (_, path) = store_with("renumber", 10);
    tamper(&path, "DELETE FROM entries WHERE seq = 4; UPDATE entries SET seq = seq - 1 WHERE seq > 4;");
    let (seq, why) = first_bad(&path);
    assert_eq!(seq, 4, "{why}");
    assert!(why.contains("previous-hash"), "{why}");
}

#[test]
fn swapping_two_rows_is_found_at_the_first() {
    let (_, path) = store_with("swap", 10);
    tamper(
        &path,
        "UPDATE entries SET seq = -1 WHERE seq = 3; UPDATE entries SET seq = 3 WHERE seq = 7; UPDATE entries SET seq = 7 WHERE seq = -1;",
    );
    let (seq, _) = first_bad(&path);
    assert_eq!(seq, 3);
}

#[test]
fn swapping_two_bodies_is_found_at_the_first() {
    let (_, path) = store_with("swap-bodies", 10);
    tamper(
        &path,
        "CREATE TEMP TABLE b AS SELECT seq, body FROM entries WHERE seq IN (2, 6);
         UPDATE entries SET body = (SELECT body FROM b WHERE seq = 6) WHERE seq = 2;
         UPDATE entries SET body = (SELECT body FROM b WHERE seq = 2) WHERE seq = 6;",
    );
    let (seq, _) = first_bad(&path);
    assert_eq!(seq, 2);
}

#[test]
fn inserting_a_row_is_found() {
    let (store, path) = store_with("insert", 5);
    let last = store.entries(&Filter::default()).unwrap().pop().unwrap();
    drop(store);
    // A forged entry appended with a plausible but wrong hash.
    tamper(
        &path,
        &format!(
            "INSERT INTO entries (seq, at_ms, kind, session, body, prev_hash, hash) VALUES (6, 0, 'tool_call', 's1', '{{\"kind\":\"tool_call\",\"tool\":\"x\"}}', '{}', '{}')",
            last.hash,
            "a".repeat(64)
        ),
    );
    assert_eq!(first_bad(&path).0, 6);
}

#[test]
fn truncating_the_end_is_caught_only_by_an_anchored_head() {
    let (store, path) = store_with("truncate", 8);
    let anchored = store.verify().unwrap().head;
    drop(store);
    tamper(&path, "DELETE FROM entries WHERE seq > 6");
    let store = SqliteStore::open_read_only(&path).unwrap();
    let verification = store.verify().unwrap();
    // The shorter chain is internally consistent ...
    assert!(verification.is_intact());
    // ... but it no longer contains the head anchored before.
    assert!(store.entries(&Filter::default()).unwrap().iter().all(|e| e.hash != anchored));
}

#[test]
fn concurrent_writers_extend_one_chain() {
    let (store, path) = store_with("concurrent", 0);
    drop(store);
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let path = path.clone();
            std::thread::spawn(move || {
                let mut store = SqliteStore::open(&path, Sync::Normal).unwrap();
                for i in 0..50 {
                    store.append(&[call(t * 1000 + i, &format!("t{t}"))]).unwrap();
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    let store = SqliteStore::open_read_only(&path).unwrap();
    let verification = store.verify().unwrap();
    assert!(verification.is_intact(), "{verification:?}");
    assert_eq!(verification.checked, 200);
}

#[test]
fn a_store_from_a_newer_build_is_refused_with_advice() {
    let (store, path) = store_with("newer", 1);
    drop(store);
    Connection::open(&path).unwrap().pragma_update(None, "user_version", 99).unwrap();
    let error = SqliteStore::open(&path, Sync::Normal).unwrap_err().to_string();
    assert!(error.contains("schema version 99") && error.contains("upgrade"), "{error}");
}
