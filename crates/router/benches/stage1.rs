//! Stage 1 benchmarks: `Router::route` on representative calls under the built-in policy, and the
//! cost of compiling that policy as the hook pays it on every spawn.
//!
//! Run: `cargo bench -p aethelgard-router --bench stage1`
//!
//! Criterion reports means with confidence intervals, not tail latency; for p50/p99 per call see
//! `cargo run --release -p aethelgard-router --example latency`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use aethelgard_router::{Examples, Router};
use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;

#[path = "shared/calls.rs"]
mod calls;

use calls::{calls, env};

fn route(c: &mut Criterion) {
    let router = Router::builtin(env(), Examples::Trust).expect("the built-in policy compiles");
    let mut group = c.benchmark_group("route");
    for calls::Representative { id, call, .. } in calls() {
        group.bench_function(id, |b| b.iter(|| black_box(router.route(black_box(&call)))));
    }
    group.finish();
}

fn compile(c: &mut Criterion) {
    let mut group = c.benchmark_group("compile");
    group.bench_function("builtin_trust", |b| b.iter(|| black_box(Router::builtin(env(), Examples::Trust).expect("compiles"))));
    // Checking every rule's examples is much slower; fewer samples keep the run short.
    group.sample_size(20);
    group.bench_function("builtin_check", |b| b.iter(|| black_box(Router::builtin(env(), Examples::Check).expect("examples pass"))));
    group.finish();
}

criterion_group!(benches, route, compile);
criterion_main!(benches);
