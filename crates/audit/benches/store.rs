//! Audit store benchmarks: records per second into SQLite, one record per transaction
//! (unbatched: what a hook does) and many per transaction (batched: what `route` and the
//! importers do), in both durability modes; what the hook adds to its path (open the store,
//! redact, append one record); and verifying the chain.
//!
//! Run: `cargo bench -p aethelgard-audit --bench store`
//! Throughput is reported as elements (records) per second.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use aethelgard_audit::{AuditStore, CallEvent, Event, Redactor, SqliteStore, Sync};
use aethelgard_protocol::{DecisionKind, SessionCall, Stage};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use serde_json::json;
use std::hint::black_box;
use std::path::PathBuf;

fn event(i: u64) -> Event {
    Event::ToolCall(CallEvent {
        session: Some("bench-session-0001".into()),
        call: SessionCall {
            decision: Some(DecisionKind::Allow),
            stage: Some(Stage::Rules),
            rule: None,
            score: Some(0.5),
            reason: Some("no rule matched".into()),
            ..SessionCall::new("Bash", json!({"command": format!("git status && cargo test -p crate-{i} -- --nocapture")}))
        },
        latency_us: Some(4),
        source: Some("hook:claude".into()),
    })
}

fn fresh(name: &str, sync: Sync) -> (SqliteStore, PathBuf) {
    let dir = std::env::temp_dir().join(format!("aethelgard-bench-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let path = dir.join("audit.db");
    (SqliteStore::open(&path, sync).unwrap(), path)
}

fn append(c: &mut Criterion) {
    for (mode, sync) in [("normal", Sync::Normal), ("full", Sync::Full)] {
        let mut group = c.benchmark_group(format!("append_{mode}"));
        let (mut store, _) = fresh(&format!("append-{mode}"), sync);
        let mut i = 0u64;
        group.throughput(Throughput::Elements(1));
        group.bench_function("unbatched", |b| {
            b.iter(|| {
                i += 1;
                black_box(store.append(&[event(i)]).unwrap())
            })
        });
        for batch in [16u64, 512] {
            group.throughput(Throughput::Elements(batch));
            let events: Vec<Event> = (0..batch).map(event).collect();
            group.bench_function(format!("batched_{batch}"), |b| b.iter(|| black_box(store.append(&events).unwrap())));
        }
        group.finish();
    }
}

fn hook_path(c: &mut Criterion) {
    // What `aethelgard hook` adds per call: open an existing store (schema already migrated),
    // build the redactor with the built-in patterns, redact the arguments, append, close.
    let (mut store, path) = fresh("hook", Sync::Normal);
    store.append(&[event(0)]).unwrap();
    drop(store);
    let mut group = c.benchmark_group("hook_record");
    group.bench_function("open_redact_append", |b| {
        b.iter_batched(
            || event(1),
            |mut event| {
                let mut store = SqliteStore::open(&path, Sync::Normal).unwrap();
                let redactor = Redactor::new(true, &[]).unwrap();
                if let Event::ToolCall(call) = &mut event {
                    redactor.redact(&mut call.call.args);
                }
                black_box(store.append(&[event]).unwrap())
            },
            BatchSize::SmallInput,
        )
    });
    group.bench_function("open_only", |b| b.iter(|| black_box(SqliteStore::open(&path, Sync::Normal).unwrap())));
    group.bench_function("redactor_build", |b| b.iter(|| black_box(Redactor::new(true, &[]).unwrap())));
    group.finish();
}

fn verify(c: &mut Criterion) {
    let (mut store, _) = fresh("verify", Sync::Normal);
    let events: Vec<Event> = (0..10_000).map(event).collect();
    store.append(&events).unwrap();
    let mut group = c.benchmark_group("verify");
    group.throughput(Throughput::Elements(10_000));
    group.sample_size(10);
    group.bench_function("10k_entries", |b| b.iter(|| black_box(store.verify().unwrap())));
    group.finish();
}

criterion_group!(benches, append, hook_path, verify);
criterion_main!(benches);
