//! Measures what one short-lived writer (a hook: open, append one entry, close) costs under
//! SQLite's WAL settings, to choose the store's defaults. Not a benchmark of the store itself
//! (`benches/store.rs` is); this compares configurations the store does not expose.
//!
//! Run: `cargo run --release -p aethelgard-audit --example wal_modes`

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use rusqlite::config::DbConfig;
use rusqlite::{params, Connection};
use std::time::Instant;

fn run(label: &str, synchronous: &str, checkpoint_on_close: bool, autocheckpoint: u32) {
    let dir = std::env::temp_dir().join(format!("aethelgard-wal-modes-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("audit.db");
    {
        let c = Connection::open(&path).unwrap();
        c.query_row("PRAGMA journal_mode = WAL", [], |r| r.get::<_, String>(0)).unwrap();
        c.execute_batch("CREATE TABLE entries (seq INTEGER PRIMARY KEY, body TEXT NOT NULL, hash TEXT NOT NULL)").unwrap();
    }
    let body = "x".repeat(400);
    let mut samples = Vec::new();
    for i in 0..2000i64 {
        let start = Instant::now();
        let mut c = Connection::open(&path).unwrap();
        c.pragma_update(None, "synchronous", synchronous).unwrap();
        c.pragma_update(None, "wal_autocheckpoint", autocheckpoint).unwrap();
        c.set_db_config(DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, !checkpoint_on_close).unwrap();
        let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).unwrap();
        let _: Option<String> = tx.query_row("SELECT hash FROM entries ORDER BY seq DESC LIMIT 1", [], |r| r.get(0)).ok();
        tx.execute("INSERT INTO entries (seq, body, hash) VALUES (?1, ?2, ?3)", params![i + 1, body, "h"]).unwrap();
        tx.commit().unwrap();
        drop(c);
        samples.push(start.elapsed().as_secs_f64() * 1e6);
    }
    samples.sort_by(f64::total_cmp);
    let pick = |q: f64| samples[((samples.len() - 1) as f64 * q) as usize];
    let mean = samples.iter().sum::<f64>() / samples.len() as f64;
    println!("{label:<48} mean {mean:>8.0} µs  p50 {:>8.0}  p99 {:>8.0}", pick(0.5), pick(0.99));
}

fn main() {
    run("NORMAL, checkpoint on close (SQLite default)", "NORMAL", true, 1000);
    run("NORMAL, no checkpoint on close, auto 1000", "NORMAL", false, 1000);
    run("NORMAL, no checkpoint on close, auto 64", "NORMAL", false, 64);
    run("FULL, no checkpoint on close, auto 64", "FULL", false, 64);
    run("OFF, checkpoint on close", "OFF", true, 1000);
    run("OFF, no checkpoint on close, auto 64", "OFF", false, 64);
    run("FULL, checkpoint on close", "FULL", true, 1000);
}
