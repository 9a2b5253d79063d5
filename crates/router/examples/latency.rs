//! Per-call latency percentiles of `Router::route` (stage 1, built-in policy), measured one call
//! at a time with `std::time::Instant`, printed as markdown tables.
//!
//! Run: `cargo run --release -p aethelgard-router --example latency [-- N]`
//! (N timed calls per representative call, default 20000).
//!
//! Every sample includes one `Instant::now()` pair; its own cost is measured and printed first so
//! the figures can be read against it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use aethelgard_protocol::{DecisionKind, ToolCall};
use aethelgard_router::{Examples, Router};
use std::hint::black_box;
use std::time::Instant;

const WARMUP: usize = 2_000;
const TARGET_P99_US: f64 = 10.0;

#[path = "../benches/shared/calls.rs"]
mod shared;

use shared::{bash, env};


/// Nearest-rank percentile of sorted samples.
fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn us(ns: u64) -> String {
    format!("{:.2}", ns as f64 / 1000.0)
}

struct Stats {
    p50: u64,
    p90: u64,
    p99: u64,
    p999: u64,
    max: u64,
    mean: f64,
}

fn stats(mut samples: Vec<u64>) -> Stats {
    samples.sort_unstable();
    let mean = samples.iter().sum::<u64>() as f64 / samples.len().max(1) as f64;
    Stats {
        p50: percentile(&samples, 50.0),
        p90: percentile(&samples, 90.0),
        p99: percentile(&samples, 99.0),
        p999: percentile(&samples, 99.9),
        max: samples.last().copied().unwrap_or(0),
        mean,
    }
}

fn row(label: &str, decision: &str, first: u64, s: &Stats) -> String {
    let met = if s.p99 as f64 / 1000.0 <= TARGET_P99_US { "yes" } else { "**no**" };
    format!(
        "| {label} | {decision} | {} | {} | {} | {} | {} | {} | {:.2} | {met} |",
        us(first),
        us(s.p50),
        us(s.p90),
        us(s.p99),
        us(s.p999),
        us(s.max),
        s.mean / 1000.0
    )
}

fn decision_name(kind: DecisionKind) -> &'static str {
    match kind {
        DecisionKind::Allow => "allow",
        DecisionKind::Block => "block",
        DecisionKind::Escalate => "escalate",
    }
}

fn time_one(router: &Router, call: &ToolCall) -> u64 {
    let started = Instant::now();
    let decision = router.route(black_box(call));
    let elapsed = started.elapsed();
    black_box(decision);
    u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX)
}

fn main() {
    let n: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(20_000);
    let env = env();

    // Built first, before anything else runs (checking examples would route calls and warm the
    // caches), so the first calls below are as cold as a hook process's one call.
    let router = Router::builtin(env.clone(), Examples::Trust).expect("built-in policy compiles");

    // The first call of each kind, before any warm-up: cold CPU caches and an empty brush-parser
    // word/token memo (64 entries, process-wide). A hook process judges exactly one such call.
    // Rows run in order, so only the first row is fully cold (later rows share warmed code).
    let calls: Vec<(String, aethelgard_protocol::ToolCall)> = shared::calls().into_iter().map(|r| (r.label, r.call)).collect();
    let first: Vec<u64> = calls.iter().map(|(_, call)| time_one(&router, call)).collect();

    // The timer's own cost: an empty Instant pair.
    let mut empty = Vec::with_capacity(n);
    for _ in 0..n {
        let started = Instant::now();
        let elapsed = black_box(started).elapsed();
        empty.push(u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX));
    }
    let timer = stats(empty);

    println!("## Stage 1 per-call latency (`Router::route`, built-in policy, Examples::Trust)\n");
    println!("{n} timed calls per row after {WARMUP} warm-up calls; one call per `Instant` pair; nearest-rank percentiles; µs.");
    println!(
        "Timer overhead (empty `Instant::now()` pair): p50 {} µs, p99 {} µs, max {} µs.\n",
        us(timer.p50),
        us(timer.p99),
        us(timer.max)
    );
    println!("### Each call repeated back to back (warm: same words hit brush-parser's memo)\n");
    println!("| call | decision | 1st call | p50 | p90 | p99 | p99.9 | max | mean | p99 ≤ {TARGET_P99_US} µs |");
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|---|");
    for ((label, call), first) in calls.iter().zip(&first) {
        let decision = router.route(call);
        for _ in 0..WARMUP {
            black_box(router.route(black_box(call)));
        }
        let samples: Vec<u64> = (0..n).map(|_| time_one(&router, call)).collect();
        let rule = decision.rule.as_deref().map(|r| format!(" ({r})")).unwrap_or_default();
        println!("{}", row(label, &format!("{}{rule}", decision_name(decision.decision)), *first, &stats(samples)));
    }

    // The same calls interleaved round-robin: the 2 KiB command's ~70 distinct words evict the
    // memo between calls, so this is closer to a daemon judging varied calls.
    let mut interleaved: Vec<Vec<u64>> = vec![Vec::with_capacity(n); calls.len()];
    for _ in 0..(WARMUP / calls.len().max(1)) {
        for (_, call) in &calls {
            black_box(router.route(black_box(call)));
        }
    }
    for _ in 0..n {
        for (i, (_, call)) in calls.iter().enumerate() {
            interleaved[i].push(time_one(&router, call));
        }
    }
    println!("\n### The same calls interleaved round-robin ({n} rounds)\n");
    println!("| call | p50 | p90 | p99 | p99.9 | max | mean | p99 ≤ {TARGET_P99_US} µs |");
    println!("|---|---:|---:|---:|---:|---:|---:|---|");
    for ((label, _), samples) in calls.iter().zip(interleaved) {
        let s = stats(samples);
        let met = if s.p99 as f64 / 1000.0 <= TARGET_P99_US { "yes" } else { "**no**" };
        println!("| {label} | {} | {} | {} | {} | {} | {:.2} | {met} |", us(s.p50), us(s.p90), us(s.p99), us(s.p999), us(s.max), s.mean / 1000.0);
    }

    // The whole labelled corpus, each command timed individually, several passes.
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/corpus/shell.jsonl");
    let text = std::fs::read_to_string(path).expect("read data/corpus/shell.jsonl");
    let corpus = aethelgard_router::corpus::parse(&text).expect("parse the corpus");
    let corpus_calls: Vec<ToolCall> = corpus.iter().map(|item| bash(&item.command)).collect();
    for call in &corpus_calls {
        black_box(router.route(call));
    }
    let passes = (n / corpus_calls.len().max(1)).max(1);
    let mut all = Vec::with_capacity(passes * corpus_calls.len());
    let mut per_item: Vec<Vec<u64>> = vec![Vec::with_capacity(passes); corpus_calls.len()];
    for _ in 0..passes {
        for (i, call) in corpus_calls.iter().enumerate() {
            let t = time_one(&router, call);
            all.push(t);
            per_item[i].push(t);
        }
    }
    let total = all.len();
    let corpus_stats = stats(all);
    println!("\n## Whole corpus `data/corpus/shell.jsonl` ({} commands × {passes} passes = {total} timed calls)\n", corpus_calls.len());
    println!("| set | p50 | p90 | p99 | p99.9 | max | mean | p99 ≤ {TARGET_P99_US} µs |");
    println!("|---|---:|---:|---:|---:|---:|---:|---|");
    let met = if corpus_stats.p99 as f64 / 1000.0 <= TARGET_P99_US { "yes" } else { "**no**" };
    println!(
        "| all commands | {} | {} | {} | {} | {} | {:.2} | {met} |",
        us(corpus_stats.p50),
        us(corpus_stats.p90),
        us(corpus_stats.p99),
        us(corpus_stats.p999),
        us(corpus_stats.max),
        corpus_stats.mean / 1000.0
    );

    // Which commands are slowest (by their median over the passes).
    let mut medians: Vec<(u64, usize)> = per_item
        .iter_mut()
        .enumerate()
        .map(|(i, samples)| {
            samples.sort_unstable();
            (percentile(samples, 50.0), i)
        })
        .collect();
    medians.sort_unstable_by(|a, b| b.cmp(a));
    let over = medians.iter().filter(|(m, _)| *m as f64 / 1000.0 > TARGET_P99_US).count();
    println!("\nCommands whose median exceeds {TARGET_P99_US} µs: {over} of {}.\n", corpus_calls.len());
    println!("Slowest 10 corpus commands by median:\n");
    println!("| id | median µs | bytes | command |");
    println!("|---|---:|---:|---|");
    for (median, i) in medians.iter().take(10) {
        let item = &corpus[*i];
        let mut shown: String = item.command.chars().take(70).collect();
        if shown.len() < item.command.len() {
            shown.push('…');
        }
        println!("| {} | {} | {} | `{}` |", item.id, us(*median), item.command.len(), shown.replace('|', "\\|").replace('`', "'"));
    }

    // Policy compile, as the hook pays it per process (Trust) and on a first load (Check).
    let mut compile_trust = Vec::new();
    for _ in 0..200 {
        let started = Instant::now();
        black_box(Router::builtin(env.clone(), Examples::Trust).expect("built-in policy compiles"));
        compile_trust.push(u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX));
    }
    let mut compile_check = Vec::new();
    for _ in 0..20 {
        let started = Instant::now();
        black_box(Router::builtin(env.clone(), Examples::Check).expect("built-in examples pass"));
        compile_check.push(u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX));
    }
    let ct = stats(compile_trust);
    let cc = stats(compile_check);
    println!("\n## Policy compile (`Router::builtin`)\n");
    println!("| mode | runs | p50 µs | p99 µs | max µs | mean µs |");
    println!("|---|---:|---:|---:|---:|---:|");
    println!("| Examples::Trust | 200 | {} | {} | {} | {:.2} |", us(ct.p50), us(ct.p99), us(ct.max), ct.mean / 1000.0);
    println!("| Examples::Check | 20 | {} | {} | {} | {:.2} |", us(cc.p50), us(cc.p99), us(cc.max), cc.mean / 1000.0);
}
